//! Semaphores: `sema_init`, `down` and its variants, `up`.
//!
//! The kernel's counting semaphore: `down` takes a unit or sleeps until
//! `up` gives one, and `up` hands its unit straight to the longest waiter,
//! so a task arriving later cannot take it first. Sleeping is what makes a
//! naive semaphore slow (a cross-CPU wake-up costs far more than the
//! hand-off itself, more so on a virtual machine whose idle CPU halts), so
//! the common cases never sleep and never touch a lock:
//!
//! 1. **Fast path.** `down` takes a positive count with one CAS; `up` with
//!    nobody waiting is one CAS on the count.
//! 2. **Spinning.** A `down` that finds no unit spins for a while (with
//!    `spin_loop` and an occasional `yield_now`, so that an oversubscribed
//!    machine runs the task that will call `up`), taking a unit the moment
//!    one appears. It stops spinning at once if tasks already wait in line.
//! 3. **Waiting in line.** Then it *commits*: it decrements the count below
//!    zero and joins the FIFO queue. It spins a little longer on its own
//!    "granted" flag, then sleeps ([`Task::schedule`]) until an `up` grants
//!    it a unit, its timeout passes, or a signal its mode honours arrives.
//!
//! With this (and the mutex's fast paths), the lab's fifo hands an item
//! from a producer to a consumer within a small factor of a lock-free
//! channel, where a semaphore that sleeps whenever it must wait is an order
//! of magnitude slower (the `fifo` benchmark suite measures both).
//!
//! # Invariants
//!
//! `count` is an atomic; `waiters` (a lock) holds the queue and `tokens`.
//! With the lock held:
//!
//! - `count > 0`: that many units are free, and no task is in debt.
//! - `count <= 0`: no unit is free, and `-count` is the *debt*: the
//!   committed waiters (queued, or between their decrement and taking the
//!   lock) for whom no unit has been set aside yet.
//! - A unit set aside for a waiter that has not queued yet is a *token*:
//!   `up` finds the debt but no queued task, and leaves a token, which the
//!   waiter claims when it takes the lock. Tokens exist only while the
//!   queue is empty; a waiter queues only when there are none.
//! - So debt = (committed waiters, unqueued or queued) − tokens, and a
//!   queued waiter holding the lock always sees `count < 0`.
//!
//! Outside the lock, the count only moves by CAS while it is positive
//! (`down`'s fast path) or non-negative (`up`'s fast path), and down by one
//! when a task commits. Every other change (an `up` that pays a debt, a
//! waiter that leaves) happens under the lock, so a waiter that leaves can
//! always repay its own debt with one increment.
//!
//! # Leaving the line
//!
//! A waiter whose timeout passes or whom a signal interrupts takes the
//! lock and looks at its flag. Granted: like the kernel, it keeps the unit
//! and returns 0 (the `up` came first). Not granted: it leaves the queue and
//! adds one to the count, repaying its debt. A *killed* waiter that was
//! granted passes its unit on (to the next waiter, or back to the count),
//! because its code unwinds and would never `up` it.
//!
//! Locking: `waiters` is a leaf lock, except that a waiter sleeps with it
//! released; tasks are woken after it is dropped. No module code runs here.
//!
//! Kernel counterpart: `kernel/locking/semaphore.c`, `include/linux/semaphore.h`.

#[cfg(test)]
mod model;

use parking_lot::Mutex;
use std::{
    collections::VecDeque,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};

use crate::debug::report::n_tasks;

use super::{
    handoff::{CachePadded, Spin, Waiter, kill_all},
    object::{Kind, Object},
    task::Task,
    wait::{Sleep, WaitError, wait_until},
};

#[derive(Debug, Default)]
struct Waiters {
    queue: VecDeque<Arc<Waiter>>,
    /// Units set aside for committed waiters that have not queued yet.
    tokens: u64,
}

/// A counting semaphore; see the module docs.
#[derive(Debug)]
pub(crate) struct Semaphore {
    count: CachePadded<AtomicI64>,
    waiters: Mutex<Waiters>,
    /// The count it was made with (1: a binary semaphore, used as a lock).
    initial: i64,
}

impl Kind for Semaphore {
    const NAME: &'static str = "semaphore";

    fn stop(object: &Object<Semaphore>) -> Option<String> {
        let killed = object.inner.kill_waiters();
        (killed > 0).then(|| format!("freed with {} waiting (killed)", n_tasks(killed)))
    }

    fn wait_state(&self) -> Option<String> {
        Some(format!("{} of {}", self.available(), self.initial))
    }
}

impl Semaphore {
    /// `sema_init(sem, count)`.
    pub(crate) fn new(count: i64) -> Semaphore {
        Semaphore {
            count: CachePadded(AtomicI64::new(count.max(0))),
            waiters: Mutex::new(Waiters::default()),
            initial: count.max(0),
        }
    }

    /// The count it was made with.
    pub(crate) fn initial(&self) -> i64 {
        self.initial
    }

    /// The units free now (0 while tasks wait).
    pub(crate) fn available(&self) -> i64 {
        self.count.load(Ordering::Relaxed).max(0)
    }

    /// `down_trylock`'s core: takes a free unit if there is one.
    pub(crate) fn try_down(&self) -> bool {
        let mut count = self.count.load(Ordering::Relaxed);
        while count > 0 {
            match self.count.compare_exchange_weak(count, count - 1, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => count = now,
            }
        }
        false
    }

    /// `down` for `task`: takes a unit, sleeping as `sleep` says if none is free.
    pub(crate) fn down(&self, task: &Arc<Task>, sleep: &Sleep<'_>) -> Result<(), WaitError> {
        if self.try_down() {
            return Ok(());
        }
        let mut spin = Spin::new();
        if self.spin_down(&mut spin) {
            return Ok(());
        }
        // Commit: from here on the count owes this task a unit.
        if self.count.fetch_sub(1, Ordering::AcqRel) > 0 {
            return Ok(());
        }
        let me = Waiter::new(task);
        {
            let mut waiters = self.waiters.lock();
            if waiters.tokens > 0 {
                waiters.tokens -= 1;
                return Ok(());
            }
            waiters.queue.push_back(Arc::clone(&me));
        }
        if !me.spin_until_granted(&mut spin)
            && let Err(ended) = wait_until(task, sleep, || me.is_granted())
        {
            let mut waiters = self.waiters.lock();
            if !me.is_granted() {
                // Not granted, so the debt is still ours (the count is
                // negative, see the invariants): repay it.
                waiters.queue.retain(|w| !Arc::ptr_eq(w, &me));
                self.count.fetch_add(1, Ordering::AcqRel);
                return Err(ended);
            }
        }
        self.granted(task)
    }

    /// Spins while no unit is free and nobody waits in line; `true` once
    /// it took a unit.
    fn spin_down(&self, spin: &mut Spin) -> bool {
        loop {
            let count = self.count.load(Ordering::Relaxed);
            if count > 0 {
                if self.count.compare_exchange_weak(count, count - 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return true;
                }
                continue;
            }
            // Tasks in line get every unit first: join them.
            if count < 0 || !spin.spin() {
                return false;
            }
        }
    }

    /// A unit was handed to `task`: keep it, unless the task was killed.
    fn granted(&self, task: &Task) -> Result<(), WaitError> {
        if task.killed() {
            self.up();
            return Err(WaitError::Killed);
        }
        Ok(())
    }

    /// `up`: gives a unit back, to the first waiter in line if there is one.
    pub(crate) fn up(&self) {
        let mut count = self.count.load(Ordering::Relaxed);
        while count >= 0 {
            match self.count.compare_exchange_weak(count, count + 1, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return,
                Err(now) => count = now,
            }
        }
        let woken = self.release(&mut self.waiters.lock());
        if let Some(task) = woken {
            task.wake_up();
        }
    }

    /// `up` under the lock: pays a debt by granting the first waiter (whom
    /// the caller wakes once the lock is dropped) or leaving a token.
    fn release(&self, waiters: &mut Waiters) -> Option<Arc<Task>> {
        if self.count.fetch_add(1, Ordering::AcqRel) >= 0 {
            return None;
        }
        match waiters.queue.pop_front() {
            Some(waiter) => Some(waiter.grant()),
            None => {
                waiters.tokens += 1;
                None
            }
        }
    }

    /// The tasks in line.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.waiters.lock().queue.len()
    }

    /// Kills the tasks in line, so that they stop waiting and unwind;
    /// returns how many there were.
    pub(crate) fn kill_waiters(&self) -> usize {
        let tasks = self.waiters.lock().queue.iter().map(|w| Arc::clone(&w.task)).collect();
        kill_all(tasks)
    }

    /// The count: free units, or minus the tasks in debt.
    #[cfg(test)]
    fn count(&self) -> i64 {
        self.count.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests;
