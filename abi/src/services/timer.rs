//! Timers: a callback at a point in jiffies, in atomic context.
//!
//! A [`Timer`] owns its callback. Arm it with [`TimerRef::mod_timer`]
//! (absolute `expires`, in jiffies); the callback runs on the host's timer
//! thread once `jiffies` has passed `expires`, never earlier. The callback
//! gets a [`TimerRef`] to itself, so a periodic timer re-arms itself there.
//!
//! Callbacks run in atomic context, like the kernel's softirq: sleeping
//! there (`down`, `mutex_lock`, `msleep`, `wait_event`, ...) is a bug that
//! the host reports as `BUG: sleeping function called from invalid
//! context`; the other timers keep running regardless.
//!
//! Dropping a `Timer` is `timer_shutdown_sync`: it waits for a running
//! callback and ignores any later re-arming, so the callback never runs
//! after the `Timer` is gone.
//!
//! Kernel counterpart: `include/linux/timer.h`, `kernel/time/timer.c`.

use core::ffi::c_void;
use std::fmt;

use super::{Callback, ObjectRef, Site};
use crate::{
    errno::{Errno, Result},
    runtime::{check_killed, guard, kernel},
};

/// `TIMER_DEFERRABLE`: the timer need not wake an idle system.
pub const TIMER_DEFERRABLE: u32 = 0x0008_0000;
/// `TIMER_PINNED`: keep the timer on the CPU that armed it.
pub const TIMER_PINNED: u32 = 0x0010_0000;
/// `TIMER_IRQSAFE`: the callback runs with interrupts disabled.
pub const TIMER_IRQSAFE: u32 = 0x0020_0000;

/// A timer and its callback (`struct timer_list` after `timer_setup`).
pub struct Timer {
    timer: TimerRef,
    _callback: Box<dyn Send + Sync>,
}

/// A timer as its own callback sees it, or as a [`Timer`] lends it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TimerRef(ObjectRef);

extern "C" fn call<F: Fn(&TimerRef) + Send + Sync + 'static>(context: *const c_void, timer: ObjectRef) {
    // SAFETY: `context` is the `F` boxed in the `Timer`, which outlives every
    // call: dropping the `Timer` shuts the timer down synchronously first.
    let callback = unsafe { &*context.cast::<F>() };
    let _ = guard(|| callback(&TimerRef(timer)));
}

impl Timer {
    /// `timer_setup`: an inactive timer that will call `callback`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn new(callback: impl Fn(&TimerRef) + Send + Sync + 'static) -> Result<Timer> {
        Timer::with_flags(0, callback)
    }

    /// `timer_setup` with `TIMER_*` flags.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn with_flags<F: Fn(&TimerRef) + Send + Sync + 'static>(flags: u32, callback: F) -> Result<Timer> {
        let (services, module) = kernel();
        let callback = Box::new(callback);
        let context = (&raw const *callback).cast::<c_void>();
        let raw = (services.timer_new())(module, Callback { function: call::<F>, context }, flags, Site::caller());
        if raw.is_null() {
            return Err(Errno::ENOMEM);
        }
        Ok(Timer { timer: TimerRef(raw), _callback: callback })
    }

    /// `timer_delete` (`del_timer`): deactivates it without waiting for a
    /// running callback; `true` if it was pending.
    #[track_caller]
    pub fn del_timer(&self) -> bool {
        self.delete(false)
    }

    /// `timer_delete_sync` (`del_timer_sync`): deactivates it and waits for
    /// a running callback; `true` if it was pending. The callback may re-arm
    /// it after this returns; use [`Timer::shutdown_sync`] to prevent that.
    #[track_caller]
    pub fn del_timer_sync(&self) -> bool {
        self.delete(true)
    }

    #[track_caller]
    fn delete(&self, sync: bool) -> bool {
        let (services, _) = kernel();
        check_killed((services.timer_delete())(self.timer.0, sync, Site::caller())) == 1
    }

    /// `timer_shutdown_sync`: as `del_timer_sync`, and every later arming is ignored.
    #[track_caller]
    pub fn shutdown_sync(&self) -> bool {
        let (services, _) = kernel();
        check_killed((services.timer_shutdown())(self.timer.0, true, Site::caller())) == 1
    }
}

impl core::ops::Deref for Timer {
    type Target = TimerRef;

    fn deref(&self) -> &TimerRef {
        &self.timer
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let (services, _) = kernel();
        let ret = (services.timer_shutdown())(self.timer.0, true, Site::caller());
        if ret != super::KILLED {
            (services.timer_free())(self.timer.0);
        }
    }
}

impl TimerRef {
    /// `mod_timer`: arms the timer at `expires` (jiffies), pending or not;
    /// `true` if it was pending (the kernel's 1), `false` if it was inactive.
    #[track_caller]
    pub fn mod_timer(&self, expires: u64) -> bool {
        let (services, _) = kernel();
        (services.timer_mod())(self.0, expires, Site::caller()) == 1
    }

    /// `add_timer`: arms an inactive timer at `expires`; arming a pending
    /// one is a bug, reported in dmesg.
    #[track_caller]
    pub fn add_timer(&self, expires: u64) {
        let (services, _) = kernel();
        (services.timer_add())(self.0, expires, Site::caller());
    }

    /// `timer_pending`.
    pub fn pending(&self) -> bool {
        let (services, _) = kernel();
        (services.timer_pending())(self.0)
    }

    /// The `expires` it was last armed with.
    pub fn expires(&self) -> u64 {
        let (services, _) = kernel();
        (services.timer_expires())(self.0)
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timer").field(&self.timer.0).finish()
    }
}

impl fmt::Debug for TimerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TimerRef").field(&self.0).finish()
    }
}
