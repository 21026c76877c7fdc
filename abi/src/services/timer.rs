//! Timers: a callback at a point in jiffies, in atomic context.
//!
//! A [`Timer`] owns its callback. Arm it with [`TimerRef::mod_timer`]
//! (absolute `expires`); the callback runs on the host's timer thread once
//! `jiffies` has passed `expires`, never earlier. The callback gets a
//! `&TimerRef` to its own timer, so a periodic timer re-arms itself there:
//!
//! ```ignore
//! let tick = Timer::new(|me| {
//!     pr_info!("tick\n");
//!     me.mod_timer(me.expires() + HZ());
//! })?;
//! tick.mod_timer(jiffies() + HZ());
//! ```
//!
//! A `TimerRef` is only ever borrowed: from its `Timer`, or by the callback
//! for the length of one call. It cannot be copied or kept, so no code can
//! reach a timer after the `Timer` is gone. (The host checks every handle
//! anyway: one that is stale gets a WARN, never a crash.)
//!
//! Callbacks run in atomic context, like the kernel's softirq: sleeping
//! there (`down`, `mutex_lock`, `msleep`, `wait_event`, ...) is a bug that
//! the host reports as `BUG: sleeping function called from invalid
//! context`; the other timers keep running regardless.
//!
//! Dropping a `Timer` shuts it down and waits for a running callback
//! (`timer_shutdown_sync`), so the callback never runs after the `Timer` is
//! gone; dropped from inside its own callback, it is released when the
//! callback returns.
//!
//! Kernel counterpart: `include/linux/timer.h`, `kernel/time/timer.c`;
//! Rust-for-Linux keeps its timers pinned in their owner for the same reason.

use std::fmt;

use super::time::Jiffies;
use crate::{
    errno::{Errno, Result},
    runtime::{callback, kernel, release_refused, unless_killed},
    table::{Handle, Site, TimerDelete},
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
}

/// A timer, as its own callback sees it or as a [`Timer`] lends it.
///
/// Neither `Copy` nor `Clone`: it exists only behind a borrow.
pub struct TimerRef {
    handle: Handle,
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
    pub fn with_flags(flags: u32, f: impl Fn(&TimerRef) + Send + Sync + 'static) -> Result<Timer> {
        let (services, module) = kernel();
        let callback = callback(move |handle| {
            f(&TimerRef { handle });
            0
        });
        let handle = (services.timer().timer_setup())(module, callback, flags, Site::caller());
        if handle.is_null() {
            release_refused(callback);
            return Err(Errno::ENOMEM);
        }
        Ok(Timer { timer: TimerRef { handle } })
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
        let (services, module) = kernel();
        (services.timer().timer_free())(module, self.timer.handle, Site::NONE);
    }
}

impl TimerRef {
    /// `mod_timer`: arms the timer at `expires`, pending or not; `true` if
    /// it was pending (the kernel's 1), `false` if it was inactive.
    #[track_caller]
    pub fn mod_timer(&self, expires: Jiffies) -> bool {
        let (services, module) = kernel();
        (services.timer().mod_timer())(module, self.handle, expires.raw(), Site::caller()) == 1
    }

    /// `add_timer`: arms an inactive timer at `expires`; arming a pending
    /// one is a bug, reported in dmesg.
    #[track_caller]
    pub fn add_timer(&self, expires: Jiffies) {
        let (services, module) = kernel();
        (services.timer().add_timer())(module, self.handle, expires.raw(), Site::caller());
    }

    /// `timer_pending`.
    #[track_caller]
    pub fn pending(&self) -> bool {
        let (services, module) = kernel();
        (services.timer().timer_pending())(module, self.handle, Site::caller())
    }

    /// The `expires` it was last armed with.
    #[track_caller]
    pub fn expires(&self) -> Jiffies {
        let (services, module) = kernel();
        Jiffies::from_raw((services.timer().timer_expires())(module, self.handle, Site::caller()))
    }

    /// `timer_delete` (`del_timer`): deactivates the timer without waiting
    /// for a running callback. Returns whether it was pending (the kernel's
    /// 1) or inactive (0).
    #[track_caller]
    pub fn del_timer(&self) -> bool {
        self.delete(TimerDelete::DELETE, Site::caller())
    }

    /// `timer_delete_sync` (`del_timer_sync`): deactivates the timer and
    /// waits until its callback is not running. Returns whether it was
    /// pending (1) or inactive (0) when it was finally deactivated.
    ///
    /// As in the kernel, the wait also catches the callback re-arming its
    /// own timer: on return the timer is neither pending nor running,
    /// unless other code arms it again (use [`TimerRef::shutdown_sync`] to
    /// rule that out). Called from the timer's own callback it would wait
    /// for itself: the host reports that and does not wait.
    #[track_caller]
    pub fn del_timer_sync(&self) -> bool {
        self.delete(TimerDelete::DELETE_SYNC, Site::caller())
    }

    /// `timer_shutdown`: as [`TimerRef::del_timer`], and every later arming is ignored.
    #[track_caller]
    pub fn shutdown(&self) -> bool {
        self.delete(TimerDelete::SHUTDOWN, Site::caller())
    }

    /// `timer_shutdown_sync`: as [`TimerRef::del_timer_sync`], and every
    /// later arming is ignored.
    #[track_caller]
    pub fn shutdown_sync(&self) -> bool {
        self.delete(TimerDelete::SHUTDOWN_SYNC, Site::caller())
    }

    fn delete(&self, how: TimerDelete, site: Site) -> bool {
        let (services, module) = kernel();
        let ret = (services.timer().timer_delete())(module, self.handle, how, site);
        unless_killed(ret, ret < 0) == 1
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timer").field(&self.timer.handle).finish()
    }
}

impl fmt::Debug for TimerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TimerRef").field(&self.handle).finish()
    }
}
