//! A module's timer (`struct timer_list`): arming, deleting, firing.
//!
//! A timer's state is the wheel key while it is pending, its `expires`,
//! and whether it was shut down (then every arming is ignored). Which
//! timer's callback is running, and on which task, is the base's business
//! (`BaseState::running`), so that `timer_delete_sync` can wait for it.
//!
//! `timer_delete_sync` is the kernel's loop: while the callback runs, wait
//! for it; once it does not, deactivate the timer and return whether it
//! was pending. A callback that re-arms its own timer during the wait is
//! therefore deactivated too. Called from the callback itself it would
//! wait for ever; it is reported and does not wait.
//!
//! Locking: the base's lock, then the timer's state; no lock is held while
//! a callback runs.
//!
//! Kernel counterpart: `timer_setup`, `__mod_timer`, `try_to_del_timer_sync`,
//! `__timer_delete_sync`, `call_timer_fn` in `kernel/time/timer.c`.

use modhost_abi::table::Callback;
use parking_lot::Mutex;
use std::{sync::Arc, time::Duration};

use super::{BaseState, wheel::TimerKey};
use crate::debug::rates::RunMeter;
use crate::services::{
    Services,
    callback::ModuleCallback,
    object::{Kind, Object},
    sched::uptime_at_jiffies,
    task::{Task, WaitMode, softirq_enter, softirq_exit},
    wait::{Sleep, WaitError, enlist, wait_until},
};

/// A module's timer.
pub(crate) struct Timer {
    callback: ModuleCallback,
    state: Mutex<TimerState>,
    /// Tasks in `timer_delete_sync` waiting for the callback to finish.
    waiters: Mutex<Vec<Arc<Task>>>,
    /// Its runs, for the rate it achieves when it re-arms itself.
    pub(crate) meter: RunMeter,
}

struct TimerState {
    key: Option<TimerKey>,
    expires: u64,
    shutdown: bool,
}

/// How a synchronous deletion went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleted {
    /// Deactivated: whether it was pending.
    Done(bool),
    /// From the timer's own callback, which it cannot wait for: whether it was pending.
    OwnCallback(bool),
}

impl Kind for Timer {
    const NAME: &'static str = "timer";
    const DEBUG_TYPE: Option<&'static str> = Some("timer_list");

    fn stop(object: &Object<Timer>) -> Option<String> {
        let services = object.services()?;
        let was_pending = {
            let mut base = services.timers.lock();
            object.inner.state.lock().shutdown = true;
            detach(&mut base, object)
        };
        let was_running = object.inner.callback.is_running();
        if was_running {
            // Wait (real time, bounded) for the callback to finish.
            let me = Task::current();
            let sleep = Sleep {
                clock: &services.wall,
                mode: WaitMode::Uninterruptible,
                deadline: Some(services.wall.uptime() + services.exit_timeout),
                site: &"",
            };
            // On the list before the look: `fire` wakes the list after the
            // callback has returned, so either this look sees it returned
            // or that wake-up finds this task listed.
            let _ = wait_until(&me, &sleep, || {
                enlist(&mut object.inner.waiters.lock(), &me);
                !object.inner.callback.is_running()
            });
            object.inner.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
        }
        (was_pending || was_running)
            .then(|| if was_running { "left running; shut down" } else { "left armed; shut down" }.to_string())
    }

    fn still_running(&self) -> bool {
        self.callback.is_running()
    }

    fn fires_at(&self, services: &Services) -> Option<Duration> {
        let st = self.state.lock();
        // It runs on the first tick after `expires`.
        st.key.map(|_| uptime_at_jiffies(&services.clock, st.expires.wrapping_add(1)))
    }

    fn callback(&self) -> Option<&ModuleCallback> {
        Some(&self.callback)
    }

    fn meter(&self) -> Option<&RunMeter> {
        Some(&self.meter)
    }
}

impl Timer {
    /// `timer_setup`: an inactive timer calling `callback`.
    pub(crate) fn new(callback: Callback) -> Timer {
        Timer {
            callback: ModuleCallback::new(callback),
            state: Mutex::new(TimerState { key: None, expires: 0, shutdown: false }),
            waiters: Mutex::new(Vec::new()),
            meter: RunMeter::default(),
        }
    }

    /// `timer_pending`.
    pub(crate) fn pending(&self) -> bool {
        self.state.lock().key.is_some()
    }

    /// The last `expires` it was armed with.
    pub(crate) fn expires(&self) -> u64 {
        self.state.lock().expires
    }
}

/// Runs a due timer's callback on the timer thread `me`.
pub(super) fn fire(services: &Arc<Services>, me: &Arc<Task>, key: TimerKey, timer: &Arc<Object<Timer>>) {
    {
        let mut base = services.timers.lock();
        let mut state = timer.inner.state.lock();
        if state.key != Some(key) {
            // Deleted or re-armed between the wheel's pop and now.
            return;
        }
        state.key = None;
        base.running = Some((Arc::clone(timer), me.id()));
    }
    if let Some(owner) = &timer.owner {
        let _context = owner.enter(me);
        softirq_enter("a timer callback");
        timer.inner.meter.started(services.clock.uptime());
        timer.inner.callback.call(timer.handle());
        timer.inner.meter.finished(services.clock.uptime());
        softirq_exit();
        me.clear_signals();
    }
    services.timers.lock().running = None;
    let waiters = std::mem::take(&mut *timer.inner.waiters.lock());
    waiters.iter().for_each(|t| t.wake_up());
}

/// The timer thread `me` died of an Oops in a callback: that callback's
/// run is over (it can never return), so `del_timer_sync` goes on.
pub(super) fn died_running(services: &Services, me: &Task) {
    let running = {
        let mut base = services.timers.lock();
        match &base.running {
            Some((_, task)) if *task == me.id() => base.running.take().map(|(timer, _)| timer),
            _ => None,
        }
    };
    if let Some(timer) = running {
        timer.inner.callback.abandon();
        timer.inner.meter.finished(services.clock.uptime());
        let waiters = std::mem::take(&mut *timer.inner.waiters.lock());
        waiters.iter().for_each(|t| t.wake_up());
    }
}

/// Re-arms a due timer that a retiring timer thread could not run.
pub(super) fn rearm_now(services: &Arc<Services>, key: TimerKey, timer: &Arc<Object<Timer>>) {
    let mut base = services.timers.lock();
    let mut state = timer.inner.state.lock();
    if state.key == Some(key) {
        let expires = services.clock.jiffies().wrapping_sub(1);
        state.key = Some(services.timers.arm(services, &mut base, expires, Arc::clone(timer)));
    }
}

/// Whether the calling task runs `timer`'s callback: arming it from there,
/// the timer re-arms itself.
pub(crate) fn rearms_itself(services: &Services, timer: &Object<Timer>) -> bool {
    let me = Task::current().id();
    let base = services.timers.lock();
    base.running.as_ref().is_some_and(|(running, task)| std::ptr::eq(Arc::as_ptr(running), timer) && *task == me)
}

/// Removes a pending timer from the wheel; returns whether it was pending.
fn detach(base: &mut BaseState, timer: &Object<Timer>) -> bool {
    let mut state = timer.inner.state.lock();
    match state.key.take() {
        Some(key) => base.wheel.remove(key).is_some(),
        None => false,
    }
}

/// `mod_timer`; returns whether it was pending.
pub(crate) fn modify(services: &Arc<Services>, timer: &Arc<Object<Timer>>, expires: u64) -> bool {
    let mut base = services.timers.lock();
    let pending = detach(&mut base, timer);
    let mut state = timer.inner.state.lock();
    state.expires = expires;
    if !state.shutdown {
        drop(state);
        let key = services.timers.arm(services, &mut base, expires, Arc::clone(timer));
        timer.inner.state.lock().key = Some(key);
    }
    pending
}

/// `timer_delete`/`timer_shutdown` (`shutdown`): deactivates it now;
/// returns whether it was pending.
pub(crate) fn delete(services: &Services, timer: &Object<Timer>, shutdown: bool) -> bool {
    let mut base = services.timers.lock();
    if shutdown {
        timer.inner.state.lock().shutdown = true;
    }
    detach(&mut base, timer)
}

/// `timer_delete_sync`/`timer_shutdown_sync` for the task `me`: waits
/// until the callback is not running, then deactivates it (see the module docs).
pub(crate) fn delete_sync(
    services: &Services,
    timer: &Object<Timer>,
    shutdown: bool,
    me: &Arc<Task>,
    site: &str,
) -> Result<Deleted, WaitError> {
    let running_here = |base: &BaseState| match &base.running {
        Some((running, task)) if std::ptr::eq(Arc::as_ptr(running), timer) => Some(*task),
        _ => None,
    };
    if running_here(&services.timers.lock()) == Some(me.id()) {
        return Ok(Deleted::OwnCallback(delete(services, timer, shutdown)));
    }
    let sleep = Sleep { clock: &services.clock, mode: WaitMode::Uninterruptible, deadline: None, site: &site };
    let mut pending = false;
    let waited = wait_until(me, &sleep, || {
        let mut base = services.timers.lock();
        if shutdown {
            timer.inner.state.lock().shutdown = true;
        }
        if running_here(&base).is_some() {
            enlist(&mut timer.inner.waiters.lock(), me);
            return false;
        }
        pending = detach(&mut base, timer);
        true
    });
    timer.inner.waiters.lock().retain(|t| !Arc::ptr_eq(t, me));
    waited.map(|()| Deleted::Done(pending))
}
