//! Unit tests of `mutex`.

use super::*;
use crate::services::{clock::Clock, task::WaitMode};
use std::{
    sync::{atomic::AtomicUsize, mpsc},
    thread,
    time::{Duration, Instant},
};

fn lock(mutex: &Mutex, task: &Arc<Task>, mode: WaitMode) -> Result<(), LockError> {
    mutex.lock(task, &Sleep { clock: &Clock::manual(250), mode, deadline: None, site: &"test" })
}

/// Waits (in real time, bounded) until `n` tasks are in line.
fn until_waiting(mutex: &Mutex, n: usize) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while mutex.waiters.lock().len() != n {
        assert!(Instant::now() < give_up, "{n} waiters never lined up");
        thread::yield_now();
    }
}

#[test]
fn only_the_owner_unlocks_and_nobody_locks_twice() {
    let (mutex, me) = (Mutex::new(), Task::current());
    assert_eq!(mutex.unlock(me.id()), Err(UnlockError::NotLocked));
    assert!(mutex.try_lock(me.id()));
    assert!(!mutex.try_lock(me.id()), "mutex_trylock of a mutex the task holds fails");
    assert_eq!(lock(&mutex, &me, WaitMode::Uninterruptible), Err(LockError::Deadlock));
    assert_eq!(mutex.unlock(me.id() + 1), Err(UnlockError::NotOwner));
    assert_eq!(mutex.owner(), me.id());
    assert_eq!(mutex.unlock(me.id()), Ok(()));
    assert_eq!(mutex.owner(), 0);
}

#[test]
fn unlock_hands_the_mutex_to_waiters_in_line_order() {
    let (mutex, me) = (Arc::new(Mutex::new()), Task::current());
    assert_eq!(lock(&mutex, &me, WaitMode::Uninterruptible), Ok(()));
    let (order, order_rx) = mpsc::channel();
    let mut threads = Vec::new();
    for id in 0..3 {
        let (theirs, order) = (Arc::clone(&mutex), order.clone());
        threads.push(thread::spawn(move || {
            let task = Task::current();
            let locked = lock(&theirs, &task, WaitMode::Uninterruptible);
            let _ = order.send(id);
            locked.and_then(|()| theirs.unlock(task.id()).map_err(|_| LockError::Deadlock))
        }));
        until_waiting(&mutex, id + 1);
    }
    assert_eq!(mutex.unlock(me.id()), Ok(()));
    assert_eq!(order_rx.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(threads.into_iter().all(|t| t.join().ok() == Some(Ok(()))));
    assert_eq!(mutex.state.load(Ordering::Relaxed), 0);
}

#[test]
fn an_interrupted_waiter_leaves_the_line_and_a_killed_one_passes_the_mutex_on() {
    let (mutex, me) = (Arc::new(Mutex::new()), Task::current());
    assert_eq!(lock(&mutex, &me, WaitMode::Uninterruptible), Ok(()));
    let waiter = |mode| {
        let (theirs, (tx, rx)) = (Arc::clone(&mutex), mpsc::channel());
        let thread = thread::spawn(move || {
            let task = Task::current();
            let _ = tx.send(Arc::clone(&task));
            let locked = lock(&theirs, &task, mode);
            if locked.is_ok() {
                let _ = theirs.unlock(task.id());
            }
            locked
        });
        (rx.recv().expect("the waiter starts"), thread)
    };
    let (signalled, first) = waiter(WaitMode::Interruptible);
    until_waiting(&mutex, 1);
    signalled.signal();
    assert_eq!(first.join().ok(), Some(Err(LockError::Failed(WaitError::Interrupted))));
    assert_eq!(mutex.state.load(Ordering::Relaxed), me.id(), "the last waiter cleared WAITERS");
    let (killed, second) = waiter(WaitMode::Uninterruptible);
    until_waiting(&mutex, 1);
    let (_, third) = waiter(WaitMode::Uninterruptible);
    until_waiting(&mutex, 2);
    {
        // Hand the mutex to the first in line, and kill it before it wakes.
        let mut queue = mutex.waiters.lock();
        mutex.state.fetch_or(HANDOFF, Ordering::Relaxed);
        let woken = mutex.unlock_slow(&mut queue);
        killed.kill();
        drop(queue);
        woken.iter().for_each(|t| t.wake_up());
    }
    assert_eq!(second.join().ok(), Some(Err(LockError::Failed(WaitError::Killed))));
    assert_eq!(third.join().ok(), Some(Ok(())), "the mutex went on to the next in line");
    assert_eq!(mutex.state.load(Ordering::Relaxed), 0);
}

/// Many tasks increment a counter with a plain load and store under the
/// mutex, some with interruptible locks that signals cut short: not one
/// increment may be lost, and the mutex must end unlocked.
#[test]
fn under_stress_the_mutex_excludes_and_every_waiter_comes_back() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 3000;
    let mutex = Arc::new(Mutex::new());
    let (counter, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (done, done_rx) = mpsc::channel();
    let mut tasks = Vec::new();
    for n in 0..THREADS {
        let (mutex, counter, finished, done, (tx, rx)) =
            (Arc::clone(&mutex), Arc::clone(&counter), Arc::clone(&finished), done.clone(), mpsc::channel());
        thread::spawn(move || {
            let task = Task::current();
            let _ = tx.send(Arc::clone(&task));
            let mut added = 0;
            for round in 0..ROUNDS {
                let locked = match (n + round) % 3 {
                    0 => mutex.try_lock(task.id()),
                    1 => lock(&mutex, &task, WaitMode::Uninterruptible).is_ok(),
                    _ => lock(&mutex, &task, WaitMode::Interruptible).is_ok(),
                };
                if !locked {
                    task.clear_signals();
                    continue;
                }
                let seen = counter.load(Ordering::Relaxed);
                // Now and then hold it long enough that the others sleep.
                match (n * 7 + round) % 32 {
                    0 => thread::sleep(Duration::from_micros(60)),
                    1..4 => thread::yield_now(),
                    _ => {}
                }
                counter.store(seen + 1, Ordering::Relaxed);
                added += 1;
                let _ = mutex.unlock(task.id());
            }
            finished.fetch_add(1, Ordering::SeqCst);
            let _ = done.send(added);
        });
        tasks.push(rx.recv().expect("the worker starts"));
    }
    let mut next = 0;
    while finished.load(Ordering::SeqCst) < THREADS {
        next = (next + 5) % THREADS;
        tasks[next].signal();
        thread::sleep(Duration::from_micros(20));
    }
    let added: usize =
        (0..THREADS).map(|_| done_rx.recv_timeout(Duration::from_secs(60)).expect("a waiter was lost")).sum();
    assert_eq!(counter.load(Ordering::Relaxed), added);
    assert_eq!((mutex.state.load(Ordering::Relaxed), mutex.waiters.lock().len()), (0, 0));
}
