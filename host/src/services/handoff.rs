//! Handing a unit, a lock or an event straight to a waiting task, and the
//! bounded spinning that comes before sleeping for one.
//!
//! Semaphores, mutexes and completions hand what they guard straight to
//! their first waiter: a [`Waiter`] in a FIFO queue under the object's
//! lock, whose `granted` flag the giver sets under that lock before waking
//! it. The waiter sleeps in [`super::wait::wait_until`] until granted; if
//! its wait ends first (timeout, signal, kill), it takes the object's lock,
//! looks at its flag once more, and either keeps what it was granted or
//! leaves the line.
//!
//! [`Spin`] bounds the spinning before a sleep: about what a sleep and a
//! cross-CPU wake-up cost, so spinning never costs much more than sleeping
//! at once would have. [`CachePadded`] keeps a lock word written by both
//! sides of every hand-off on cache lines of its own.
//!
//! Locking: each object's lock is a leaf lock; tasks are woken after it is
//! dropped.
//!
//! Kernel counterpart: the wait lists of `kernel/locking/semaphore.c` and
//! `kernel/locking/mutex.c`, `kernel/locking/osq_lock.c` (bounded spinning).

use std::{
    ops::Deref,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::task::Task;

/// How long a task spins before it sleeps: about what a sleep and a
/// cross-CPU wake-up cost on the project's machines, so that spinning never
/// costs much more than sleeping at once would have.
const SPIN_LIMIT: Duration = Duration::from_micros(30);

/// Spins between two looks at the clock.
const SPINS_PER_LOOK: u32 = 32;

/// Looks at the clock between two `yield_now`s. Yielding every other look
/// did best with 8 threads on 2 CPUs (the lab's fifo at 4
/// producers and 4 consumers): the task being waited for gets the CPU soon,
/// and a lone spinner pays one cheap `sched_yield` now and then.
const LOOKS_PER_YIELD: u32 = 2;

/// A value on a cache line (pair) of its own: a lock word written by both
/// sides of every hand-off must not drag its neighbours along.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Bounded spinning before a sleep.
#[derive(Debug)]
pub(crate) struct Spin {
    start: Instant,
    spins: u32,
}

impl Spin {
    pub(crate) fn new() -> Spin {
        Spin { start: Instant::now(), spins: 0 }
    }

    /// Waits a moment; `false` once the spinning time is spent.
    pub(crate) fn spin(&mut self) -> bool {
        self.spins = self.spins.wrapping_add(1);
        if self.spins.is_multiple_of(SPINS_PER_LOOK) {
            if self.start.elapsed() >= SPIN_LIMIT {
                return false;
            }
            if self.spins.is_multiple_of(SPINS_PER_LOOK * LOOKS_PER_YIELD) {
                // On an oversubscribed machine the task we wait for may
                // need this CPU.
                std::thread::yield_now();
                return true;
            }
        }
        std::hint::spin_loop();
        true
    }
}

/// A task waiting in line for a hand-off.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) task: Arc<Task>,
    /// Set under the object's lock when the giver handed it over.
    granted: AtomicBool,
}

impl Waiter {
    pub(crate) fn new(task: &Arc<Task>) -> Arc<Waiter> {
        Arc::new(Waiter { task: Arc::clone(task), granted: AtomicBool::new(false) })
    }

    /// Hands over to this waiter; the caller holds the object's lock, and
    /// wakes the returned task once it dropped it.
    pub(crate) fn grant(&self) -> Arc<Task> {
        self.granted.store(true, Ordering::Release);
        Arc::clone(&self.task)
    }

    pub(crate) fn is_granted(&self) -> bool {
        self.granted.load(Ordering::Acquire)
    }

    /// Spins until granted or the spinning time is spent.
    pub(crate) fn spin_until_granted(&self, spin: &mut Spin) -> bool {
        while !self.is_granted() {
            if !spin.spin() {
                return false;
            }
        }
        true
    }
}

/// Kills `tasks` (taken from an object's line, whose lock the caller has
/// dropped) so that their waits end and their code unwinds; returns how
/// many they were.
pub(crate) fn kill_all(tasks: Vec<Arc<Task>>) -> usize {
    tasks.iter().for_each(|t| t.kill());
    tasks.len()
}
