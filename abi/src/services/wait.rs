//! Waiting for a condition: wait queues and completions.
//!
//! A [`WaitQueue`] is where tasks sleep until a condition they check comes
//! true; whoever changes the condition calls [`WaitQueue::wake_up`]. The
//! `wait_event*` calls return the kernel's values:
//!
//! | call | returns |
//! |---|---|
//! | `wait_event` | when the condition is true |
//! | `wait_event_interruptible` | `Ok`, or `Err(ERESTARTSYS)` on a signal |
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

use super::time::limit;
use crate::{
    errno::{Errno, Result},
    runtime::{kernel, task_killed, unless_killed},
    table::{Condition, Handle, Site, SleepMode, Timeout},
};

/// A wait queue head (`wait_queue_head_t` after `init_waitqueue_head`).
pub struct WaitQueue {
    handle: Handle,
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

/// A killed task unwinds after a sleep in `mode`, unless the mode is killable.
fn after_sleep(ret: i64, mode: SleepMode) -> i64 {
    if mode == SleepMode::KILLABLE { ret } else { unless_killed(ret, ret < 0) }
}

impl WaitQueue {
    /// `init_waitqueue_head`.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    #[track_caller]
    pub fn new() -> WaitQueue {
        let (services, module) = kernel();
        let handle = (services.wait().init_waitqueue_head())(module, Site::caller());
        assert!(!handle.is_null(), "init_waitqueue_head: out of memory");
        WaitQueue { handle }
    }

    fn wait(&self, condition: &mut dyn FnMut() -> bool, mode: SleepMode, timeout: Timeout, site: Site) -> i64 {
        let (services, module) = kernel();
        let mut check_state = Check { condition, panicked: false };
        let context = (&raw mut check_state).cast::<c_void>().cast_const();
        let ret = (services.wait().wait_event())(
            module,
            self.handle,
            Condition { function: check, context },
            mode,
            timeout,
            site,
        );
        if check_state.panicked {
            // The panic was reported when it happened; carry on unwinding.
            task_killed();
        }
        after_sleep(ret, mode)
    }

    /// `wait_event`: sleeps (uninterruptibly) until `condition()` is true.
    #[track_caller]
    pub fn wait_event(&self, mut condition: impl FnMut() -> bool) {
        self.wait(&mut condition, SleepMode::UNINTERRUPTIBLE, Timeout::FOREVER, Site::caller());
    }

    /// `wait_event_interruptible`.
    ///
    /// # Errors
    ///
    /// `ERESTARTSYS` on a signal.
    #[track_caller]
    pub fn wait_event_interruptible(&self, mut condition: impl FnMut() -> bool) -> Result {
        match self.wait(&mut condition, SleepMode::INTERRUPTIBLE, Timeout::FOREVER, Site::caller()) {
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
        match self.wait(&mut condition, SleepMode::KILLABLE, Timeout::FOREVER, Site::caller()) {
            0 => Ok(()),
            _ => Err(Errno::ERESTARTSYS),
        }
    }

    /// `wait_event_timeout`: 0 if `condition()` is still false after
    /// `timeout` jiffies, 1 if it came true as time ran out, else the
    /// jiffies left.
    #[track_caller]
    pub fn wait_event_timeout(&self, mut condition: impl FnMut() -> bool, timeout: u64) -> u64 {
        let ret = self.wait(&mut condition, SleepMode::UNINTERRUPTIBLE, limit(timeout), Site::caller());
        u64::try_from(ret).unwrap_or(0)
    }

    /// `wait_event_interruptible_timeout`: as `wait_event_timeout`, or
    /// `-ERESTARTSYS` (negative) on a signal.
    #[track_caller]
    pub fn wait_event_interruptible_timeout(&self, mut condition: impl FnMut() -> bool, timeout: u64) -> i64 {
        self.wait(&mut condition, SleepMode::INTERRUPTIBLE, limit(timeout), Site::caller())
    }

    /// `wake_up`: wakes the waiters so they check their conditions again.
    #[track_caller]
    pub fn wake_up(&self) {
        let (services, module) = kernel();
        (services.wait().wake_up())(module, self.handle, Site::caller());
    }

    /// `wake_up_all`.
    #[track_caller]
    pub fn wake_up_all(&self) {
        let (services, module) = kernel();
        (services.wait().wake_up_all())(module, self.handle, Site::caller());
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }
}

impl Default for WaitQueue {
    #[track_caller]
    fn default() -> Self {
        WaitQueue::new()
    }
}

impl Drop for WaitQueue {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.wait().waitqueue_free())(module, self.handle, Site::NONE);
    }
}

impl fmt::Debug for WaitQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WaitQueue").field(&self.handle).finish()
    }
}

/// A completion (`struct completion` after `init_completion`).
pub struct Completion {
    handle: Handle,
}

impl Completion {
    /// `init_completion`.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    #[track_caller]
    pub fn new() -> Completion {
        let (services, module) = kernel();
        let handle = (services.wait().init_completion())(module, Site::caller());
        assert!(!handle.is_null(), "init_completion: out of memory");
        Completion { handle }
    }

    /// `complete`: lets one waiter (present or future) through.
    #[track_caller]
    pub fn complete(&self) {
        let (services, module) = kernel();
        (services.wait().complete())(module, self.handle, Site::caller());
    }

    /// `complete_all`: lets every waiter through, until `reinit`.
    #[track_caller]
    pub fn complete_all(&self) {
        let (services, module) = kernel();
        (services.wait().complete_all())(module, self.handle, Site::caller());
    }

    fn wait(&self, mode: SleepMode, timeout: Timeout, site: Site) -> i64 {
        let (services, module) = kernel();
        let ret = (services.wait().wait_for_completion())(module, self.handle, mode, timeout, site);
        after_sleep(ret, mode)
    }

    /// `wait_for_completion`.
    #[track_caller]
    pub fn wait_for_completion(&self) {
        self.wait(SleepMode::UNINTERRUPTIBLE, Timeout::FOREVER, Site::caller());
    }

    /// `wait_for_completion_timeout`: 0 on timeout, else the jiffies left (at least 1).
    #[track_caller]
    pub fn wait_for_completion_timeout(&self, timeout: u64) -> u64 {
        u64::try_from(self.wait(SleepMode::UNINTERRUPTIBLE, limit(timeout), Site::caller())).unwrap_or(0)
    }

    /// `wait_for_completion_interruptible`.
    ///
    /// # Errors
    ///
    /// `ERESTARTSYS` on a signal.
    #[track_caller]
    pub fn wait_for_completion_interruptible(&self) -> Result {
        match self.wait(SleepMode::INTERRUPTIBLE, Timeout::FOREVER, Site::caller()) {
            ret if ret < 0 => Err(Errno::ERESTARTSYS),
            _ => Ok(()),
        }
    }

    /// `wait_for_completion_killable`.
    ///
    /// # Errors
    ///
    /// `ERESTARTSYS` on a forced unload.
    #[track_caller]
    pub fn wait_for_completion_killable(&self) -> Result {
        match self.wait(SleepMode::KILLABLE, Timeout::FOREVER, Site::caller()) {
            ret if ret < 0 => Err(Errno::ERESTARTSYS),
            _ => Ok(()),
        }
    }

    /// `completion_done`: whether a wait would not sleep.
    #[track_caller]
    pub fn done(&self) -> bool {
        let (services, module) = kernel();
        (services.wait().completion_done())(module, self.handle, Site::caller())
    }

    /// `reinit_completion`.
    #[track_caller]
    pub fn reinit(&self) {
        let (services, module) = kernel();
        (services.wait().reinit_completion())(module, self.handle, Site::caller());
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }
}

impl Default for Completion {
    #[track_caller]
    fn default() -> Self {
        Completion::new()
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.wait().completion_free())(module, self.handle, Site::NONE);
    }
}

impl fmt::Debug for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Completion").field(&self.handle).finish()
    }
}
