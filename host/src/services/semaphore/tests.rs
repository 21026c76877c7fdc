//! Unit tests of `semaphore`.

use super::*;
use crate::services::{clock::Clock, task::WaitMode};
use std::{
    sync::{atomic::AtomicUsize, mpsc},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

/// Waits (in real time, bounded) until `n` tasks are in line.
fn until_waiting(sem: &Semaphore, n: usize) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while sem.waiting() != n {
        assert!(Instant::now() < give_up, "{n} waiters never lined up");
        thread::yield_now();
    }
}

/// A thread that downs `sem` once; its task and its result.
fn sleeper(sem: &Arc<Semaphore>, clock: &Clock, mode: WaitMode, deadline: Option<Duration>) -> Sleeper {
    let (sem, clock, (tx, rx)) = (Arc::clone(sem), clock.clone(), mpsc::channel());
    let thread = thread::spawn(move || {
        let task = Task::current();
        let _ = tx.send(Arc::clone(&task));
        sem.down(&task, &Sleep { clock: &clock, mode, deadline, site: &"test" })
    });
    (rx.recv().expect("the sleeper starts"), thread)
}

type Sleeper = (Arc<Task>, JoinHandle<Result<(), WaitError>>);

fn result(sleeper: Sleeper) -> Result<(), WaitError> {
    sleeper.1.join().expect("the sleeper does not panic")
}

#[test]
fn trylock_takes_free_units_only() {
    let sem = Semaphore::new(2);
    assert!(sem.try_down() && sem.try_down());
    assert!(!sem.try_down());
    sem.up();
    assert!(sem.try_down());
    assert_eq!(sem.count(), 0);
}

#[test]
fn up_hands_units_to_the_longest_waiter_and_a_late_arrival_cannot_take_them() {
    let (sem, clock) = (Arc::new(Semaphore::new(0)), Clock::manual(250));
    let (order, order_rx) = mpsc::channel();
    let mut threads = Vec::new();
    for id in 0..3 {
        let (theirs, clock, order) = (Arc::clone(&sem), clock.clone(), order.clone());
        threads.push(thread::spawn(move || {
            let result = theirs.down(
                &Task::current(),
                &Sleep { clock: &clock, mode: WaitMode::Uninterruptible, deadline: None, site: &"test" },
            );
            let _ = order.send(id);
            result
        }));
        until_waiting(&sem, id + 1);
    }
    for id in 0..3 {
        sem.up();
        assert!(!sem.try_down(), "the unit went to the waiter, not to a late trylock");
        assert_eq!(order_rx.recv().ok(), Some(id));
    }
    assert!(threads.into_iter().all(|t| t.join().ok() == Some(Ok(()))));
    assert_eq!((sem.count(), sem.waiting()), (0, 0));
}

#[test]
fn waiters_that_time_out_or_are_interrupted_repay_their_debt() {
    let (sem, clock) = (Arc::new(Semaphore::new(0)), Clock::manual(250));
    let timed = sleeper(&sem, &clock, WaitMode::Uninterruptible, Some(Duration::from_millis(8)));
    until_waiting(&sem, 1);
    let signalled = sleeper(&sem, &clock, WaitMode::Interruptible, None);
    until_waiting(&sem, 2);
    // A signal does not end an uninterruptible sleep, nor the clock an untimed one.
    timed.0.signal();
    clock.advance(Duration::from_millis(8));
    assert_eq!(result(timed), Err(WaitError::TimedOut));
    assert_eq!(sem.waiting(), 1);
    signalled.0.signal();
    assert_eq!(result(signalled), Err(WaitError::Interrupted));
    assert_eq!((sem.count(), sem.waiting()), (0, 0));
    sem.up();
    assert!(sem.try_down() && !sem.try_down(), "no unit was lost or made up");
}

#[test]
fn a_killed_waiter_passes_on_the_unit_it_was_handed() {
    let (sem, clock) = (Arc::new(Semaphore::new(0)), Clock::manual(250));
    let killed = sleeper(&sem, &clock, WaitMode::Uninterruptible, None);
    until_waiting(&sem, 1);
    let next = sleeper(&sem, &clock, WaitMode::Uninterruptible, None);
    until_waiting(&sem, 2);
    {
        // Hand the first waiter a unit and kill it before it wakes.
        let mut waiters = sem.waiters.lock();
        let woken = sem.release(&mut waiters);
        killed.0.kill();
        drop(waiters);
        woken.iter().for_each(|t| t.wake_up());
    }
    assert_eq!(result(killed), Err(WaitError::Killed));
    assert_eq!(result(next), Ok(()), "the unit went on to the next waiter");
    assert_eq!((sem.count(), sem.waiting()), (0, 0));
}

/// A small xorshift generator: the stress test needs no quality, only variety.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Many tasks take and give units in every way, while another signals
/// and finally kills some of them: the count must come back to what it
/// was, nobody may hold more units than there are, and every waiter
/// must come back.
#[test]
fn under_stress_the_count_is_conserved_and_no_waiter_is_lost() {
    const UNITS: i64 = 2;
    const THREADS: u64 = 8;
    const ROUNDS: usize = 3000;
    let (sem, clock) = (Arc::new(Semaphore::new(UNITS)), Clock::real(1000));
    let (holders, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (done, done_rx) = mpsc::channel();
    let mut tasks = Vec::new();
    for seed in 1..=THREADS {
        let (sem, clock, holders, finished, done, (tx, rx)) = (
            Arc::clone(&sem),
            clock.clone(),
            Arc::clone(&holders),
            Arc::clone(&finished),
            done.clone(),
            mpsc::channel(),
        );
        thread::spawn(move || {
            let task = Task::current();
            let _ = tx.send(Arc::clone(&task));
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut over = false;
            for _ in 0..ROUNDS {
                let deadline = Some(clock.uptime() + Duration::from_micros(rng.below(200)));
                let got = match rng.below(4) {
                    0 => Ok(sem.try_down()),
                    1 => sem
                        .down(
                            &task,
                            &Sleep { clock: &clock, mode: WaitMode::Uninterruptible, deadline: None, site: &"stress" },
                        )
                        .map(|()| true),
                    2 => sem
                        .down(
                            &task,
                            &Sleep { clock: &clock, mode: WaitMode::Uninterruptible, deadline, site: &"stress" },
                        )
                        .map(|()| true),
                    _ => sem
                        .down(
                            &task,
                            &Sleep { clock: &clock, mode: WaitMode::Interruptible, deadline: None, site: &"stress" },
                        )
                        .map(|()| true),
                };
                match got {
                    Ok(true) => {
                        over |= holders.fetch_add(1, Ordering::SeqCst) >= UNITS as usize;
                        match rng.below(8) {
                            0 => thread::sleep(Duration::from_micros(rng.below(100))),
                            1 => thread::yield_now(),
                            _ => (0..rng.below(256)).for_each(|_| std::hint::spin_loop()),
                        }
                        holders.fetch_sub(1, Ordering::SeqCst);
                        sem.up();
                    }
                    Err(WaitError::Killed) => break,
                    Err(WaitError::Interrupted) => task.clear_signals(),
                    Err(WaitError::TimedOut) | Ok(false) => {}
                }
            }
            finished.fetch_add(1, Ordering::SeqCst);
            let _ = done.send(!over);
        });
        tasks.push(rx.recv().expect("the worker starts"));
    }
    let mut rng = Rng(7);
    let mut round = 0;
    while finished.load(Ordering::SeqCst) < THREADS as usize {
        let task = &tasks[rng.below(THREADS) as usize];
        round += 1;
        // A few kills, late enough that the killed have waited a while.
        if round % 500 == 0 && round <= 1500 {
            task.kill();
        } else {
            task.signal();
        }
        thread::sleep(Duration::from_micros(20));
    }
    for _ in 0..THREADS {
        let ok = done_rx.recv_timeout(Duration::from_secs(60)).expect("a waiter was lost");
        assert!(ok, "more tasks held the semaphore than it has units");
    }
    assert_eq!((sem.count(), sem.waiting(), sem.waiters.lock().tokens), (UNITS, 0, 0));
}
