//! Kernel timers: callbacks at a point in jiffies, run by the timer thread.
//!
//! Armed timers live in one hierarchical [`wheel`] per kernel (O(1) arm and
//! cancel). One thread, `ktimers/0`, sleeps until the wheel's next expiry on
//! the kernel clock (tickless: an idle kernel with no timers armed never
//! wakes it), then runs every due callback in order, in atomic context and
//! in the owning module's context.
//!
//! A timer with `expires = E` runs on the first tick after `E` (when
//! `jiffies` reaches `E + 1`), never earlier: the kernel wheel's rule.
//!
//! # A callback that sleeps
//!
//! Sleeping in atomic context is a bug; the kernel reports it and may stall
//! every other timer on that CPU. Here `might_sleep` reports it and calls
//! `leave_softirq`: the sleeping callback's thread stops being the timer
//! thread, a fresh `ktimers/0` takes over the wheel, and the old thread
//! finishes the callback and exits. No other timer is held up.
//!
//! # Locking
//!
//! The base's lock guards the wheel, the current timer thread and which
//! timer's callback is running; each timer's lock guards its own state. Take
//! the base's first. No lock is held while a callback runs.
//!
//! Kernel counterpart: `kernel/time/timer.c`, `include/linux/timer.h`.

mod list;
pub mod wheel;

pub(crate) use list::{Deleted, Timer, delete, delete_sync, modify};

use parking_lot::Mutex;
use std::sync::{Arc, Weak};

use super::{
    Services,
    clock::Clock,
    object::Object,
    sched::uptime_at_jiffies,
    task::{Task, TaskKind, WaitMode},
};
use wheel::{TimerKey, Wheel};

/// The timers of one kernel and the thread that runs them.
pub(crate) struct TimerBase {
    clock: Clock,
    state: Mutex<BaseState>,
}

pub(crate) struct BaseState {
    pub(crate) wheel: Wheel<Arc<Object<Timer>>>,
    /// The current timer thread, once started.
    thread: Option<Arc<Task>>,
    /// The timer whose callback is running (its address, only compared),
    /// and the task running it.
    pub(crate) running: Option<(usize, u64)>,
    stopping: bool,
}

impl TimerBase {
    /// No timers yet; the timer thread starts with the first one armed.
    pub(crate) fn new(clock: Clock) -> TimerBase {
        let now = clock.jiffies();
        TimerBase {
            clock,
            state: Mutex::new(BaseState { wheel: Wheel::new(now), thread: None, running: None, stopping: false }),
        }
    }

    /// Locks the base.
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, BaseState> {
        self.state.lock()
    }

    /// Arms `timer` at `expires`; returns the wheel key. Starts or wakes the
    /// timer thread if this expiry is the new earliest one.
    pub(crate) fn arm(
        &self,
        services: &Arc<Services>,
        base: &mut BaseState,
        expires: u64,
        timer: Arc<Object<Timer>>,
    ) -> TimerKey {
        let earliest_before = base.wheel.next_expiry();
        let key = base.wheel.insert(expires, timer);
        let earliest_now = base.wheel.next_expiry();
        match &base.thread {
            None if !base.stopping => base.thread = spawn_timer_thread(services),
            Some(thread) if earliest_now != earliest_before => thread.wake_up(),
            _ => {}
        }
        key
    }

    /// Stops the timer thread (every module is gone by then) and forgets
    /// what is still armed (a module whose unload could not finish).
    pub(crate) fn shutdown(&self) {
        let thread = {
            let mut base = self.state.lock();
            base.stopping = true;
            let now = self.clock.jiffies();
            base.wheel = Wheel::new(now);
            base.thread.take()
        };
        if let Some(thread) = thread {
            thread.wake_up();
        }
    }
}

impl std::fmt::Debug for TimerBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerBase").field("armed", &self.state.lock().wheel.len()).finish()
    }
}

fn spawn_timer_thread(services: &Arc<Services>) -> Option<Arc<Task>> {
    let weak = Arc::downgrade(services);
    Task::spawn(services.id, TaskKind::Timer, "ktimers/0".to_string(), move |task| run_timers(&weak, &task))
        .ok()
        .map(|(task, _join)| task)
}

/// The timer thread: run what is due, then sleep until the next expiry.
fn run_timers(services: &Weak<Services>, me: &Arc<Task>) {
    let mut due = Vec::new();
    loop {
        let Some(services) = services.upgrade() else { return };
        let timers = &services.timers;
        me.prepare_to_wait();
        let deadline = {
            let mut base = timers.lock();
            if base.stopping || !base.thread.as_ref().is_some_and(|t| Arc::ptr_eq(t, me)) {
                return;
            }
            base.wheel.advance(timers.clock.jiffies(), &mut due);
            base.wheel.next_expiry().map(|j| uptime_at_jiffies(&timers.clock, j))
        };
        if due.is_empty() {
            let clock = timers.clock.clone();
            drop(services);
            me.schedule(&clock, WaitMode::Idle, deadline, &"");
            continue;
        }
        while !due.is_empty() {
            let (key, timer) = due.remove(0);
            list::fire(&services, me, key, &timer);
            if !timers.lock().thread.as_ref().is_some_and(|t| Arc::ptr_eq(t, me)) {
                // A callback slept: another thread runs the wheel now; hand
                // it what is left of this batch by re-arming it at once.
                for (key, left) in due.drain(..) {
                    list::rearm_now(&services, key, &left);
                }
                return;
            }
        }
    }
}

/// `might_sleep` found a timer callback about to sleep on `task`: if it is
/// the timer thread, a fresh thread takes over the wheel (see the docs).
pub(crate) fn leave_softirq(services: &Arc<Services>, task: &Arc<Task>) {
    let mut base = services.timers.lock();
    if base.thread.as_ref().is_some_and(|t| Arc::ptr_eq(t, task)) && !base.stopping {
        base.thread = spawn_timer_thread(services);
    }
}
