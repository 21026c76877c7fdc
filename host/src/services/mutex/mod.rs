//! Mutexes: `mutex_init`, `mutex_lock` and its variants, `mutex_unlock`.
//!
//! One owner at a time, identified by its task id; only the owner unlocks.
//! modhost checks what the kernel checks with `CONFIG_DEBUG_MUTEXES`: a
//! task locking a mutex it already holds gets `-EDEADLK` and a WARN
//! (`possible recursive locking detected`; the module's handle then oopses
//! instead of deadlocking for ever), an unlock by a task that is not the
//! owner is a WARN and does nothing, and so is freeing a locked mutex.
//!
//! # The lock word
//!
//! `state` is the owner's task id (0: unlocked) and two flags: [`WAITERS`]
//! while tasks wait in line, [`HANDOFF`] while the first of them is owed
//! the mutex. As in the kernel, the common cases stay off every lock:
//!
//! 1. **Fast path.** Lock is one CAS from 0 to the caller's id; unlock is
//!    one CAS from the caller's id back to 0, which fails (and takes the
//!    slow path) exactly when a flag is set.
//! 2. **Optimistic spinning.** A lock that finds the mutex held spins,
//!    bounded in time, and takes it the moment it is free. The kernel spins
//!    only while the owner is on a CPU; modhost cannot see that cheaply
//!    (the word holds only an id), so it spins for at most about one
//!    sleep-and-wake round trip, which costs at most what sleeping at once
//!    would have.
//! 3. **Waiting in line.** Then it sets `WAITERS`, joins the FIFO queue and
//!    sleeps. An unlock with waiters frees the mutex and wakes the first in
//!    line, which takes it if nobody running took it first. The woken
//!    waiter that finds it taken sets `HANDOFF`, and the next unlock hands
//!    the mutex straight to it, never through 0, so nobody waits for ever.
//!
//! Why not hand the mutex to the first waiter on every unlock, as a
//! semaphore does with its units? Because a mutex handed to a sleeping
//! task stays locked until that task runs (a cross-CPU wake-up), and
//! everyone behind it then sleeps too: a lock convoy. With the lab's fifo
//! at 4 producers and 4 consumers on 2 CPUs, strict hand-off put a sleep
//! in every few items; freeing and waking, as the kernel does
//! (`MUTEX_FLAG_HANDOFF` only for a starved waiter), keeps the mutex out of
//! the way.
//!
//! # Invariants
//!
//! With the `waiters` lock held: `WAITERS` is set exactly when the queue
//! is non-empty, and `HANDOFF` only while the mutex is owned and waiters
//! wait. Outside the lock the word only moves by a CAS that sets the owner
//! of an unowned mutex (keeping the flags) or clears the owner of one
//! without flags; every other change happens under the lock, so the owner
//! there reads stable flags.
//!
//! A waiter interrupted by a signal (`mutex_lock_interruptible`) leaves the
//! queue, dropping the flags it no longer justifies. One handed the mutex
//! in the meantime keeps it, as in the kernel; one that was killed passes
//! it on, because its code unwinds and would never unlock.
//!
//! Locking: `waiters` is a leaf lock; tasks are woken after it is dropped.
//!
//! Kernel counterpart: `kernel/locking/mutex.c`,
//! `Documentation/locking/mutex-design.rst`, `kernel/locking/mutex-debug.c`.

use parking_lot::{Mutex as RawLock, MutexGuard};
use std::{
    collections::VecDeque,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use super::{
    handoff::{CachePadded, Spin, Waiter, kill_all},
    object::{Kind, Object},
    task::{Task, Wake},
    wait::{Sleep, WaitError},
};
use crate::debug::report::n_tasks;

/// Set in the lock word while tasks wait in line (task ids never reach it).
const WAITERS: u64 = 1 << 63;

/// Set while the first waiter, woken once in vain, is owed the mutex.
const HANDOFF: u64 = 1 << 62;

/// The task id in a lock word.
fn owner_of(state: u64) -> u64 {
    state & !(WAITERS | HANDOFF)
}

/// Why `mutex_lock` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockError {
    /// The task already holds it: `-EDEADLK`.
    Deadlock,
    /// A signal, or a kill.
    Failed(WaitError),
}

/// Why `mutex_unlock` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnlockError {
    /// Another task holds it.
    NotOwner,
    /// Nobody holds it.
    NotLocked,
}

/// A sleeping mutex; see the module docs.
#[derive(Debug)]
pub(crate) struct Mutex {
    state: CachePadded<AtomicU64>,
    waiters: RawLock<VecDeque<Arc<Waiter>>>,
}

impl Kind for Mutex {
    const NAME: &'static str = "mutex";

    /// Tasks in line are killed; a mutex freed while held is reported, as
    /// `mutex_destroy` does with `CONFIG_DEBUG_MUTEXES`.
    fn stop(object: &Object<Mutex>) -> Option<String> {
        let killed = object.inner.kill_waiters();
        if killed > 0 {
            return Some(format!("freed with {} waiting (killed)", n_tasks(killed)));
        }
        let owner = object.inner.owner();
        (owner != 0).then(|| format!("left locked by task {owner}"))
    }

    fn holder(&self) -> Option<u64> {
        Some(self.owner()).filter(|&owner| owner != 0)
    }
}

impl Mutex {
    /// `mutex_init`.
    pub(crate) fn new() -> Mutex {
        Mutex { state: CachePadded(AtomicU64::new(0)), waiters: RawLock::new(VecDeque::new()) }
    }

    /// The owner's task id, or 0.
    pub(crate) fn owner(&self) -> u64 {
        owner_of(self.state.load(Ordering::Relaxed))
    }

    /// `mutex_trylock` for the task `me`: takes the mutex if nobody owns it
    /// and no waiter is owed it.
    pub(crate) fn try_lock(&self, me: u64) -> bool {
        let mut state = 0;
        loop {
            match self.state.compare_exchange(state, state | me, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) if owner_of(now) == 0 && now & HANDOFF == 0 => state = now,
                Err(_) => return false,
            }
        }
    }

    /// `mutex_lock` for `task`, sleeping as `sleep` says if it must.
    pub(crate) fn lock(&self, task: &Arc<Task>, sleep: &Sleep<'_>) -> Result<(), LockError> {
        let me = task.id();
        if self.try_lock(me) {
            return Ok(());
        }
        if self.owner() == me {
            return Err(LockError::Deadlock);
        }
        if self.spin_lock(me, &mut Spin::new()) {
            return Ok(());
        }
        self.lock_slow(task, sleep).map_err(LockError::Failed)
    }

    /// Spins until the mutex is free and takes it (`true`), or until the
    /// spinning time is spent or the mutex is owed to a waiter.
    fn spin_lock(&self, me: u64, spin: &mut Spin) -> bool {
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if owner_of(state) == 0 && self.try_lock(me) {
                return true;
            }
            if state & HANDOFF != 0 || !spin.spin() {
                return false;
            }
        }
    }

    /// Step 3 of the module docs.
    fn lock_slow(&self, task: &Arc<Task>, sleep: &Sleep<'_>) -> Result<(), WaitError> {
        let me = Waiter::new(task);
        let id = task.id();
        let mut queue = self.waiters.lock();
        loop {
            let state = self.state.load(Ordering::Relaxed);
            let wanted = if owner_of(state) == 0 { state | id } else { state | WAITERS };
            if self.state.compare_exchange(state, wanted, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                if owner_of(state) == 0 {
                    return Ok(());
                }
                break;
            }
        }
        queue.push_back(Arc::clone(&me));
        let mut woke = None;
        loop {
            if me.is_granted() {
                drop(queue);
                return self.granted(task);
            }
            // Only the first in line competes for a free mutex, so that the
            // line keeps its order.
            let first = queue.front().is_some_and(|w| Arc::ptr_eq(w, &me));
            let state = self.state.load(Ordering::Relaxed);
            if first && owner_of(state) == 0 {
                // Free: an unlock woke this task. Take it, and leave the line.
                let waiters = if queue.len() > 1 { WAITERS } else { 0 };
                if self.state.compare_exchange(state, id | waiters, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    queue.pop_front();
                    return Ok(());
                }
                continue;
            }
            let fail = match woke {
                _ if task.killed() => Some(WaitError::Killed),
                Some(Wake::Interrupted) => Some(WaitError::Interrupted),
                _ => None,
            };
            if let Some(fail) = fail {
                queue.retain(|w| !Arc::ptr_eq(w, &me));
                // HANDOFF was this waiter's, if anyone's; WAITERS goes with
                // the last. (A first waiter that leaves left an owned mutex:
                // a free one it would have taken.)
                let drop_flags = if queue.is_empty() {
                    WAITERS | HANDOFF
                } else if first {
                    HANDOFF
                } else {
                    0
                };
                self.state.fetch_and(!drop_flags, Ordering::Relaxed);
                return Err(fail);
            }
            if woke.is_some() && first {
                // Woken, and someone running took it first: the next unlock
                // hands it over.
                self.state.fetch_or(HANDOFF, Ordering::Relaxed);
            }
            task.prepare_to_wait();
            woke = Some(MutexGuard::unlocked(&mut queue, || {
                // The first in line spins while the owner may soon unlock.
                let mut spin = Spin::new();
                while first && !me.is_granted() && self.owner() != 0 {
                    if !spin.spin() {
                        break;
                    }
                }
                if me.is_granted() || (first && self.owner() == 0) {
                    return Wake::Woken;
                }
                sleep.once(task)
            }));
        }
    }

    /// The mutex was handed to `task`: keep it, unless the task was killed.
    fn granted(&self, task: &Task) -> Result<(), WaitError> {
        if task.killed() {
            // Cannot fail: the hand-off made this task the owner.
            let _ = self.unlock(task.id());
            return Err(WaitError::Killed);
        }
        Ok(())
    }

    /// `mutex_unlock` by the task `me`.
    pub(crate) fn unlock(&self, me: u64) -> Result<(), UnlockError> {
        let state = match self.state.compare_exchange(me, 0, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return Ok(()),
            Err(state) => state,
        };
        match owner_of(state) {
            0 => return Err(UnlockError::NotLocked),
            owner if owner != me => return Err(UnlockError::NotOwner),
            _ => {}
        }
        let woken = self.unlock_slow(&mut self.waiters.lock());
        if let Some(task) = woken {
            task.wake_up();
        }
        Ok(())
    }

    /// The unlock of a mutex with flags, under the lock: hands it to the
    /// first in line if it is owed it, else frees it and wakes that waiter
    /// (the caller wakes the returned task once the lock is dropped).
    fn unlock_slow(&self, queue: &mut VecDeque<Arc<Waiter>>) -> Option<Arc<Task>> {
        // The caller owns the mutex, so the flags are stable under the lock.
        let state = self.state.load(Ordering::Relaxed);
        if state & HANDOFF != 0
            && let Some(next) = queue.pop_front()
        {
            // Straight from owner to owner, never through 0.
            let waiters = if queue.is_empty() { 0 } else { WAITERS };
            self.state.store(next.task.id() | waiters, Ordering::Release);
            return Some(next.grant());
        }
        self.state.store(state & WAITERS, Ordering::Release);
        queue.front().map(|w| Arc::clone(&w.task))
    }

    /// Kills the tasks in line; returns how many there were.
    pub(crate) fn kill_waiters(&self) -> usize {
        let tasks = self.waiters.lock().iter().map(|w| Arc::clone(&w.task)).collect();
        kill_all(tasks)
    }
}

#[cfg(test)]
mod tests;
