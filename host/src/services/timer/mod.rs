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

pub(crate) use list::{Deleted, Timer, delete, delete_sync, modify, rearms_itself};

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
    /// The current timer thread, once started, and the due timers it runs.
    thread: Option<Arc<Task>>,
    batch: Batch,
    /// The timer whose callback is running, and the task running it.
    pub(crate) running: Option<(Arc<Object<Timer>>, u64)>,
    stopping: bool,
}

impl TimerBase {
    /// No timers yet; the timer thread starts with the first one armed.
    pub(crate) fn new(clock: Clock) -> TimerBase {
        let now = clock.jiffies();
        TimerBase {
            clock,
            state: Mutex::new(BaseState {
                wheel: Wheel::new(now),
                thread: None,
                batch: Batch::default(),
                running: None,
                stopping: false,
            }),
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
            None if !base.stopping => {
                base.thread = spawn_timer_thread(services, &base.batch);
            }
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

/// Starts a timer thread that runs `batch` (see [`leave_softirq`]).
fn spawn_timer_thread(services: &Arc<Services>, batch: &Batch) -> Option<Arc<Task>> {
    let (weak, batch) = (Arc::downgrade(services), Arc::clone(batch));
    Task::spawn(services.id, TaskKind::Timer, "ktimers/0".to_string(), move |task| {
        let (services, me) = (weak.clone(), Arc::downgrade(&task));
        task.on_death(Some(Box::new(move || {
            if let (Some(services), Some(me)) = (services.upgrade(), me.upgrade()) {
                list::died_running(&services, &me);
                leave_softirq(&services, &me);
            }
        })));
        run_timers(&weak, &task, &batch);
    })
    .ok()
    .map(|(task, _join)| task)
}

/// The due timers a timer thread is running, in order; [`leave_softirq`]
/// hands what is left of them to the next thread.
type Batch = Arc<Mutex<Vec<(TimerKey, Arc<Object<Timer>>)>>>;

/// The timer thread: run what is due, then sleep until the next expiry.
fn run_timers(services: &Weak<Services>, me: &Arc<Task>, batch: &Batch) {
    loop {
        let Some(services) = services.upgrade() else { return };
        let timers = &services.timers;
        me.prepare_to_wait();
        let deadline = {
            let mut base = timers.lock();
            if base.stopping || !base.thread.as_ref().is_some_and(|t| Arc::ptr_eq(t, me)) {
                return;
            }
            base.wheel.advance(timers.clock.jiffies(), &mut batch.lock());
            base.wheel.next_expiry().map(|j| uptime_at_jiffies(&timers.clock, j))
        };
        if batch.lock().is_empty() {
            let clock = timers.clock.clone();
            drop(services);
            me.schedule(&clock, WaitMode::Idle, deadline, &"");
            continue;
        }
        loop {
            let next = {
                let mut due = batch.lock();
                if due.is_empty() {
                    break;
                }
                due.remove(0)
            };
            list::fire(&services, me, next.0, &next.1);
            if !timers.lock().thread.as_ref().is_some_and(|t| Arc::ptr_eq(t, me)) {
                // Its callback slept, spun or died: another thread has the
                // wheel and what was left of this batch.
                return;
            }
        }
    }
}

/// The timer thread `task` stops being one: its callback is about to sleep
/// (`might_sleep`), spins (the soft-lockup watchdog) or died of an Oops. A
/// fresh thread takes over the wheel, and the rest of the old thread's
/// batch is re-armed at once for it, so no other timer waits for this one.
pub(crate) fn leave_softirq(services: &Arc<Services>, task: &Arc<Task>) {
    let left = {
        let mut base = services.timers.lock();
        if !base.thread.as_ref().is_some_and(|t| Arc::ptr_eq(t, task)) || base.stopping {
            return;
        }
        let batch = Batch::default();
        base.thread = spawn_timer_thread(services, &batch);
        std::mem::replace(&mut base.batch, batch)
    };
    let rest: Vec<_> = left.lock().drain(..).collect();
    for (key, timer) in rest {
        list::rearm_now(services, key, &timer);
    }
}
