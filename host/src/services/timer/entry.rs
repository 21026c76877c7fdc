//! The timer object and the service entries modules call.
//!
//! A timer's state: the wheel key while it is pending, its `expires`, and
//! whether it was shut down (then every arming is ignored). Whether its
//! callback is running is the base's business (`BaseState::running`), so
//! that `timer_delete_sync` can wait for it.

use modhost_abi::{
    descriptor::ModuleHandle,
    services::{Callback, KILLED, ObjectRef, Site},
};
use parking_lot::Mutex;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use super::{BaseState, wheel::TimerKey};
use crate::{
    kernel::KernelInner,
    services::{
        module_arc,
        object::{Kind, Object, Reclaim},
        sched::{might_sleep, uptime_at_jiffies},
        task::{Task, WaitMode},
    },
};

/// A module's timer (`struct timer_list`).
pub(crate) struct Timer {
    callback: Callback,
    /// The callback is running now.
    running: AtomicBool,
    state: Mutex<TimerState>,
    /// Tasks in `timer_delete_sync` waiting for the callback to finish.
    waiters: Mutex<Vec<Arc<Task>>>,
}

struct TimerState {
    key: Option<TimerKey>,
    expires: u64,
    shutdown: bool,
}

impl Kind for Timer {
    const TAG: u64 = 0x7469_6d65_725f_6c73;
    const NAME: &'static str = "timer";
}

/// Runs a due timer's callback on the timer thread `me`.
pub(super) fn fire(kernel: &Arc<KernelInner>, me: &Arc<Task>, key: TimerKey, timer: &Arc<Object<Timer>>) {
    {
        let mut base = kernel.timers.lock();
        let mut state = timer.inner.state.lock();
        if state.key != Some(key) {
            // Deleted or re-armed between the wheel's pop and now.
            return;
        }
        state.key = None;
        base.running = Some((Arc::as_ptr(timer), me.id()));
    }
    if let Some(owner) = timer.owner.upgrade() {
        timer.inner.running.store(true, Ordering::Release);
        let _context = owner.enter(me);
        me.atomic_enter();
        (timer.inner.callback.function)(timer.inner.callback.context, self_ref(timer));
        me.atomic_exit();
        me.clear_signals();
        timer.inner.running.store(false, Ordering::Release);
    }
    kernel.timers.lock().running = None;
    let waiters = std::mem::take(&mut *timer.inner.waiters.lock());
    waiters.iter().for_each(|t| t.wake_up());
}

/// Re-arms a due timer that a retiring timer thread could not run.
pub(super) fn rearm_now(kernel: &Arc<KernelInner>, key: TimerKey, timer: &Arc<Object<Timer>>) {
    let mut base = kernel.timers.lock();
    let mut state = timer.inner.state.lock();
    if state.key == Some(key) {
        let expires = kernel.clock.jiffies().wrapping_sub(1);
        state.key = Some(kernel.timers.arm(kernel, &mut base, expires, Arc::clone(timer)));
    }
}

/// The reference the module holds, rebuilt for the callback (no new count).
fn self_ref(timer: &Arc<Object<Timer>>) -> ObjectRef {
    ObjectRef(Arc::as_ptr(timer).cast())
}

/// The timer object and its kernel, from a module's reference.
fn lookup(timer: ObjectRef) -> Option<(Arc<Object<Timer>>, Arc<KernelInner>)> {
    let object = Object::<Timer>::get_arc(timer)?;
    let kernel = object.kernel()?;
    Some((object, kernel))
}

/// Removes a pending timer from the wheel; returns whether it was pending.
fn detach(base: &mut BaseState, timer: &Object<Timer>) -> bool {
    let mut state = timer.inner.state.lock();
    match state.key.take() {
        Some(key) => base.wheel.remove(key).is_some(),
        None => false,
    }
}

/// `mod_timer`; `add_timer` when `warn_if_pending`. Returns whether it was pending.
fn modify(timer: ObjectRef, expires: u64, site: &Site, warn_if_pending: bool) -> bool {
    let Some((object, kernel)) = lookup(timer) else { return false };
    let mut base = kernel.timers.lock();
    let pending = detach(&mut base, &object);
    if pending && warn_if_pending {
        drop(base);
        kernel.warn(object.owner.upgrade().as_deref(), &site.to_string(), "add_timer of a pending timer");
        base = kernel.timers.lock();
    }
    let mut state = object.inner.state.lock();
    state.expires = expires;
    if !state.shutdown {
        drop(state);
        let key = kernel.timers.arm(&kernel, &mut base, expires, Arc::clone(&object));
        object.inner.state.lock().key = Some(key);
    }
    pending
}

/// `timer_delete(_sync)` and `timer_shutdown(_sync)`.
fn delete(timer: ObjectRef, sync: bool, shutdown: bool, site: &Site) -> i64 {
    let Some((object, kernel)) = lookup(timer) else { return 0 };
    let me = Task::current();
    let owner = object.owner.upgrade();
    if sync {
        might_sleep(&kernel, owner.as_deref(), site, "timer_delete_sync");
    }
    let site = site.to_string();
    let mut pending = None;
    loop {
        me.prepare_to_wait();
        {
            let mut base = kernel.timers.lock();
            let was_pending = detach(&mut base, &object);
            pending.get_or_insert(was_pending);
            if shutdown {
                object.inner.state.lock().shutdown = true;
            }
            match base.running {
                Some((running, task)) if sync && std::ptr::eq(running, Arc::as_ptr(&object)) => {
                    if task == me.id() {
                        drop(base);
                        let text = "timer_delete_sync from the timer's own callback would deadlock";
                        kernel.warn(owner.as_deref(), &site, text);
                        break;
                    }
                    object.inner.waiters.lock().push(Arc::clone(&me));
                }
                _ => break,
            }
        }
        me.schedule(&kernel.clock, WaitMode::Uninterruptible, None, &site);
        object.inner.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
        if me.killed() {
            return KILLED;
        }
    }
    i64::from(pending.unwrap_or(false))
}

pub(crate) extern "C" fn timer_new(handle: ModuleHandle, callback: Callback, _flags: u32, site: Site) -> ObjectRef {
    let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
    let timer = Timer {
        callback,
        running: AtomicBool::new(false),
        state: Mutex::new(TimerState { key: None, expires: 0, shutdown: false }),
        waiters: Mutex::new(Vec::new()),
    };
    Object::new(&module, site.to_string(), timer).into_ref()
}

pub(crate) extern "C" fn timer_mod(timer: ObjectRef, expires: u64, site: Site) -> i32 {
    i32::from(modify(timer, expires, &site, false))
}

pub(crate) extern "C" fn timer_add(timer: ObjectRef, expires: u64, site: Site) {
    modify(timer, expires, &site, true);
}

pub(crate) extern "C" fn timer_delete(timer: ObjectRef, sync: bool, site: Site) -> i64 {
    delete(timer, sync, false, &site)
}

pub(crate) extern "C" fn timer_shutdown(timer: ObjectRef, sync: bool, site: Site) -> i64 {
    delete(timer, sync, true, &site)
}

pub(crate) extern "C" fn timer_pending(timer: ObjectRef) -> bool {
    Object::<Timer>::get(timer).is_some_and(|t| t.inner.state.lock().key.is_some())
}

pub(crate) extern "C" fn timer_expires(timer: ObjectRef) -> u64 {
    Object::<Timer>::get(timer).map_or(0, |t| t.inner.state.lock().expires)
}

pub(crate) extern "C" fn timer_free(timer: ObjectRef) {
    Object::<Timer>::free(timer);
}

impl Reclaim for Object<Timer> {
    fn reclaim(&self, kernel: &KernelInner) -> Option<String> {
        let was_pending = {
            let mut base = kernel.timers.lock();
            self.inner.state.lock().shutdown = true;
            detach(&mut base, self)
        };
        let was_running = self.inner.running.load(Ordering::Acquire);
        if was_running {
            // Wait (real time, bounded) for the callback to finish.
            let until = std::time::Instant::now() + kernel.exit_timeout;
            while self.inner.running.load(Ordering::Acquire) && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        (was_pending || was_running).then(|| {
            let what = if was_running { "left running" } else { "left armed" };
            format!("{} {what}; shut down", self.describe_object())
        })
    }

    fn describe(&self) -> String {
        self.describe_object()
    }

    fn fires_at(&self, kernel: &KernelInner) -> Option<Duration> {
        let st = self.inner.state.lock();
        // It runs on the first tick after `expires`.
        st.key.map(|_| uptime_at_jiffies(&kernel.clock, st.expires.wrapping_add(1)))
    }

    fn freed(&self) -> bool {
        self.is_freed()
    }

    fn still_running(&self) -> bool {
        self.inner.running.load(Ordering::Acquire)
    }

    fn release_leaked(self: Arc<Self>) {
        self.release_if_leaked();
    }
}
