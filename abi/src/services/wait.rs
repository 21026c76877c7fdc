//! Waiting for a condition: wait queues and completions.
//!
//! A [`WaitQueue`] is where tasks sleep until a condition they check comes
//! true; whoever changes the condition calls [`WaitQueue::wake_up`]. The
//! `wait_event*` calls return the kernel's values:
//!
//! | call | returns |
//! |---|---|
//! | `wait_event` | when the condition is true |
//! | `wait_event_interruptible` | `Ok`, or `Err(ERESTARTSYS)` when the module goes away |
//! | `wait_event_timeout` | 0 if the condition is still false after the timeout, 1 if it became true just as the timeout ran out, else the jiffies left |
//! | `wait_event_interruptible_timeout` | as above, or `-ERESTARTSYS` |
//!
//! A [`Completion`] is a one-shot event: `complete` wakes one waiter (and
//! counts), `complete_all` wakes every waiter, now and later.
//!
//! Kernel counterpart: `include/linux/wait.h`, `kernel/sched/wait.c`,
//! `include/linux/completion.h`, `kernel/sched/completion.c`.

use core::ffi::c_void;
use std::{fmt, panic::AssertUnwindSafe};

use super::{Condition, ObjectRef, Site, mode};
use crate::{
    errno::{Errno, Result},
    runtime::{check_killed, kernel, task_killed},
};

/// A wait queue head (`wait_queue_head_t` after `init_waitqueue_head`).
pub struct WaitQueue {
    raw: ObjectRef,
}

/// The condition of one `wait_event` call, as the host's trampoline sees it.
struct Check<'a> {
    condition: &'a mut dyn FnMut() -> bool,
    panicked: bool,
}

extern "C" fn check(context: *const c_void) -> bool {
    // SAFETY: `context` is the `Check` on the stack of `WaitQueue::wait`,
    // which the host calls back only while that call is running, from the
    // waiting task itself.
    let check = unsafe { &mut *context.cast_mut().cast::<Check<'_>>() };
    match std::panic::catch_unwind(AssertUnwindSafe(|| (check.condition)())) {
        Ok(done) => done,
        Err(_) => {
            // Stop waiting; the caller unwinds once the host returns.
            check.panicked = true;
            true
        }
    }
}

impl WaitQueue {
    /// `init_waitqueue_head`.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    pub fn new() -> WaitQueue {
        let (services, module) = kernel();
        let raw = (services.waitqueue_new())(module);
        assert!(!raw.is_null(), "init_waitqueue_head: out of memory");
        WaitQueue { raw }
    }

    fn wait(&self, condition: &mut dyn FnMut() -> bool, sleep_mode: u8, timeout: u64, site: Site) -> i64 {
        let (services, _) = kernel();
        let mut check_state = Check { condition, panicked: false };
        let context = (&raw mut check_state).cast::<c_void>().cast_const();
        let ret = (services.wait_event())(self.raw, Condition { function: check, context }, sleep_mode, timeout, site);
        if check_state.panicked {
            // The panic was reported when it happened; carry on unwinding.
            task_killed();
        }
        check_killed(ret)
    }

    /// `wait_event`: sleeps (uninterruptibly) until `condition()` is true.
    #[track_caller]
    pub fn wait_event(&self, mut condition: impl FnMut() -> bool) {
        self.wait(&mut condition, mode::UNINTERRUPTIBLE, u64::MAX, Site::caller());
    }

    /// `wait_event_interruptible`.
    ///
    /// # Errors
    ///
    /// `ERESTARTSYS` when the module is going away.
    #[track_caller]
    pub fn wait_event_interruptible(&self, mut condition: impl FnMut() -> bool) -> Result {
        match self.wait(&mut condition, mode::INTERRUPTIBLE, u64::MAX, Site::caller()) {
            0 => Ok(()),
            _ => Err(Errno::ERESTARTSYS),
        }
    }

    /// `wait_event_killable`.
    ///
    /// # Errors
    ///
    /// `ERESTARTSYS` on a forced unload.
    #[track_caller]
    pub fn wait_event_killable(&self, mut condition: impl FnMut() -> bool) -> Result {
        match self.wait(&mut condition, mode::KILLABLE, u64::MAX, Site::caller()) {
            0 => Ok(()),
            _ => Err(Errno::ERESTARTSYS),
        }
    }

    /// `wait_event_timeout`: 0 if `condition()` is still false after
    /// `timeout` jiffies, 1 if it came true as time ran out, else the
    /// jiffies left.
    #[track_caller]
    pub fn wait_event_timeout(&self, mut condition: impl FnMut() -> bool, timeout: u64) -> u64 {
        let ret = self.wait(&mut condition, mode::UNINTERRUPTIBLE, timeout.min(u64::MAX - 1), Site::caller());
        u64::try_from(ret).unwrap_or(0)
    }

    /// `wait_event_interruptible_timeout`: as `wait_event_timeout`, or
    /// `-ERESTARTSYS` (negative) when the module is going away.
    #[track_caller]
    pub fn wait_event_interruptible_timeout(&self, mut condition: impl FnMut() -> bool, timeout: u64) -> i64 {
        self.wait(&mut condition, mode::INTERRUPTIBLE, timeout.min(u64::MAX - 1), Site::caller())
    }

    /// `wake_up`: wakes the waiters so they check their conditions again.
    pub fn wake_up(&self) {
        let (services, _) = kernel();
        (services.wake_up())(self.raw, false);
    }

    /// `wake_up_all`.
    pub fn wake_up_all(&self) {
        let (services, _) = kernel();
        (services.wake_up())(self.raw, true);
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        WaitQueue::new()
    }
}

impl Drop for WaitQueue {
    fn drop(&mut self) {
        let (services, _) = kernel();
        (services.waitqueue_free())(self.raw);
    }
}

impl fmt::Debug for WaitQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WaitQueue").field(&self.raw).finish()
    }
}

/// A completion (`struct completion` after `init_completion`).
pub struct Completion {
    raw: ObjectRef,
}

impl Completion {
    /// `init_completion`.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    pub fn new() -> Completion {
        let (services, module) = kernel();
        let raw = (services.completion_new())(module);
        assert!(!raw.is_null(), "init_completion: out of memory");
        Completion { raw }
    }

    /// `complete`: lets one waiter (present or future) through.
    pub fn complete(&self) {
        let (services, _) = kernel();
        (services.complete())(self.raw, false);
    }

    /// `complete_all`: lets every waiter through, until `reinit`.
    pub fn complete_all(&self) {
        let (services, _) = kernel();
        (services.complete())(self.raw, true);
    }

    fn wait(&self, sleep_mode: u8, timeout: u64, site: Site) -> i64 {
        let (services, _) = kernel();
        check_killed((services.wait_for_completion())(self.raw, sleep_mode, timeout, site))
    }

    /// `wait_for_completion`.
    #[track_caller]
    pub fn wait_for_completion(&self) {
        self.wait(mode::UNINTERRUPTIBLE, u64::MAX, Site::caller());
    }

    /// `wait_for_completion_timeout`: 0 on timeout, else the jiffies left (at least 1).
    #[track_caller]
    pub fn wait_for_completion_timeout(&self, timeout: u64) -> u64 {
        u64::try_from(self.wait(mode::UNINTERRUPTIBLE, timeout.min(u64::MAX - 1), Site::caller())).unwrap_or(0)
    }

    /// `wait_for_completion_interruptible`.
    ///
    /// # Errors
    ///
    /// `ERESTARTSYS` when the module is going away.
    #[track_caller]
    pub fn wait_for_completion_interruptible(&self) -> Result {
        match self.wait(mode::INTERRUPTIBLE, u64::MAX, Site::caller()) {
            ret if ret < 0 => Err(Errno::ERESTARTSYS),
            _ => Ok(()),
        }
    }

    /// `completion_done`: whether a wait would not sleep.
    pub fn done(&self) -> bool {
        let (services, _) = kernel();
        (services.completion_done())(self.raw)
    }

    /// `reinit_completion`.
    pub fn reinit(&self) {
        let (services, _) = kernel();
        (services.completion_reinit())(self.raw);
    }
}

impl Default for Completion {
    fn default() -> Self {
        Completion::new()
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        let (services, _) = kernel();
        (services.completion_free())(self.raw);
    }
}

impl fmt::Debug for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Completion").field(&self.raw).finish()
    }
}
