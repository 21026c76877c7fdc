//! An exhaustive interleaving check of the semaphore's protocol.
//!
//! The semaphore's fast paths run outside its lock, so its correctness rests
//! on the order of a few atomic steps against a few locked sections (see the
//! invariants in `mod.rs`). This test models exactly those steps — `down`:
//! try a free unit; commit (decrement, perhaps below zero); under the lock
//! take a token or join the queue; then wait to be granted or give up after
//! a timeout (repaying the debt under the lock unless already granted);
//! `up`: add a unit while the count is not negative, else under the lock pay
//! the first waiter or leave a token — and visits every state reachable by
//! interleaving two or three downs (some of which may time out) with one to
//! three ups from counts 0 and 1, checking every end state:
//!
//! - no unit is lost or made up: initial units + ups = downs that got a
//!   unit + units still free;
//! - no waiter sleeps forever while a unit is free (no lost wake-up);
//! - the queue is served in order: a down that queued before another is
//!   granted first.
//!
//! The model is the protocol, not the code: it mirrors `Semaphore::down`,
//! `up` and `release` step for step, and the stress test in `mod.rs` runs
//! the code itself on real threads.
//!
//! Kernel counterpart: `kernel/locking/semaphore.c` (`__down_common`, `__up`).

use std::collections::{HashSet, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Down {
    /// About to try the fast path.
    Try,
    /// About to commit (decrement the count).
    Commit,
    /// Committed, about to take the lock: token or queue.
    Lock,
    /// Queued, waiting to be granted (or to time out, if it may).
    Waiting,
    /// Got a unit.
    Got,
    /// Gave up after its timeout.
    TimedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Up {
    Fast,
    Slow,
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Sem {
    count: i64,
    queue: VecDeque<usize>,
    tokens: u64,
    granted: Vec<bool>,
    downs: Vec<Down>,
    /// Which downs may time out.
    timed: Vec<bool>,
    ups: Vec<Up>,
    /// The order in which downs joined the queue, and were granted.
    queued_order: Vec<usize>,
    granted_order: Vec<usize>,
}

impl Sem {
    fn new(count: i64, downs: usize, timed: usize, ups: usize) -> Sem {
        Sem {
            count,
            queue: VecDeque::new(),
            tokens: 0,
            granted: vec![false; downs],
            downs: vec![Down::Try; downs],
            timed: (0..downs).map(|i| i < timed).collect(),
            ups: vec![Up::Fast; ups],
            queued_order: Vec::new(),
            granted_order: Vec::new(),
        }
    }

    /// Every state one step from here.
    fn successors(&self) -> Vec<Sem> {
        let mut out = Vec::new();
        for i in 0..self.downs.len() {
            out.extend(self.step_down(i));
        }
        for j in 0..self.ups.len() {
            out.extend(self.step_up(j));
        }
        out
    }

    fn step_down(&self, i: usize) -> Vec<Sem> {
        let mut s = self.clone();
        match self.downs[i] {
            // `try_down`/`spin_down`: take a positive count with a CAS.
            Down::Try => {
                s.downs[i] = if s.count > 0 {
                    s.count -= 1;
                    Down::Got
                } else {
                    Down::Commit
                }
            }
            // `fetch_sub`: a positive old count means a unit after all.
            Down::Commit => {
                let old = s.count;
                s.count -= 1;
                s.downs[i] = if old > 0 { Down::Got } else { Down::Lock };
            }
            // Under the lock: a token set aside, or the end of the queue.
            Down::Lock => {
                if s.tokens > 0 {
                    s.tokens -= 1;
                    s.downs[i] = Down::Got;
                } else {
                    s.queue.push_back(i);
                    s.queued_order.push(i);
                    s.downs[i] = Down::Waiting;
                }
            }
            Down::Waiting if s.granted[i] => s.downs[i] = Down::Got,
            // The timeout: under the lock, keep a grant that came first,
            // else leave the queue and repay the debt.
            Down::Waiting if s.timed[i] => {
                if s.granted[i] {
                    s.downs[i] = Down::Got;
                } else {
                    s.queue.retain(|w| *w != i);
                    s.count += 1;
                    s.downs[i] = Down::TimedOut;
                }
            }
            _ => return Vec::new(),
        }
        vec![s]
    }

    fn step_up(&self, j: usize) -> Vec<Sem> {
        let mut s = self.clone();
        match self.ups[j] {
            // The fast path: add a unit while nobody is owed one.
            Up::Fast if s.count >= 0 => {
                s.count += 1;
                s.ups[j] = Up::Done;
            }
            Up::Fast => s.ups[j] = Up::Slow,
            // `release` under the lock.
            Up::Slow => {
                let old = s.count;
                s.count += 1;
                if old < 0 {
                    match s.queue.pop_front() {
                        Some(w) => {
                            s.granted[w] = true;
                            s.granted_order.push(w);
                        }
                        None => s.tokens += 1,
                    }
                }
                s.ups[j] = Up::Done;
            }
            Up::Done => return Vec::new(),
        }
        vec![s]
    }

    /// The checks at the end of a run (no actor can move).
    fn check_final(&self, initial: i64) {
        let got = self.downs.iter().filter(|d| **d == Down::Got).count() as i64;
        let free = self.count.max(0) + self.tokens as i64;
        let ups = self.ups.len() as i64;
        assert_eq!(initial + ups, got + free, "units lost or made up: {self:?}");
        let waiting = self.downs.contains(&Down::Waiting);
        assert!(!(waiting && free > 0), "a waiter sleeps while a unit is free: {self:?}");
        let served: Vec<usize> = self.queued_order.iter().copied().filter(|w| self.granted[*w]).collect();
        assert_eq!(served, self.granted_order, "the queue was not served in order: {self:?}");
    }
}

/// Visits every state reachable from `start` (each once: two interleavings
/// that reach the same state, history included, continue identically) and
/// checks every end state; returns how many end states there were.
fn explore(start: Sem, initial: i64) -> u64 {
    let mut seen = HashSet::new();
    let mut stack = vec![start];
    let mut ends = 0;
    while let Some(s) = stack.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        let next = s.successors();
        if next.is_empty() {
            s.check_final(initial);
            ends += 1;
        }
        stack.extend(next);
    }
    ends
}

#[test]
fn every_interleaving_conserves_units_and_loses_no_wakeup() {
    for initial in [0, 1] {
        for (downs, timed, ups) in [(2, 0, 2), (2, 1, 2), (3, 1, 2), (2, 2, 1), (3, 2, 3)] {
            let ends = explore(Sem::new(initial, downs, timed, ups), initial);
            assert!(ends > 1, "explored {ends} end states of {downs} downs and {ups} ups from {initial}");
        }
    }
}
