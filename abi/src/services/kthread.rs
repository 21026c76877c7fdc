//! kthreads: a module's own threads, made and stopped by the host.
//!
//! A module never spawns threads itself (a thread started from module code
//! would keep its library mapped); [`kthread_run`] asks the host for one.
//! The body runs until it returns; a long-running body is the kernel's
//! classic loop:
//!
//! ```ignore
//! let thread = kthread_run("ticker", || {
//!     while !kthread_should_stop() {
//!         msleep_interruptible(1000);
//!     }
//!     0
//! })?;
//! ```
//!
//! [`KThread::stop`] (`kthread_stop`) sets the should-stop flag, signals
//! the thread (so its interruptible sleeps end at once), and waits for the
//! body's result. Nothing else interrupts a kthread's sleeps: removing its
//! module does not, so the loop above sleeps quietly until exit stops it.
//!
//! Dropping a `KThread` that was not stopped stops it.
//!
//! Kernel counterpart: `include/linux/kthread.h`, `kernel/kthread.c`.

use abi_stable::std_types::RStr;
use std::{fmt, sync::Mutex};

use crate::{
    errno::{Errno, Result},
    runtime::{callback, kernel, release_refused, unless_killed},
    table::{Handle, Site},
};

/// A kthread (`struct task_struct *` from `kthread_create`).
pub struct KThread {
    handle: Handle,
}

fn create(name: &str, body: impl FnOnce() -> i32 + Send + 'static, start: bool, site: Site) -> Result<KThread> {
    let (services, module) = kernel();
    // The host calls the body once; the `Option` hands it out.
    let body = Mutex::new(Some(body));
    let callback = callback(move |_| {
        let body = body.lock().ok().and_then(|mut b| b.take());
        body.map_or(Errno::EINVAL.to_kernel(), |body| body())
    });
    let handle = (services.kthread().kthread_create())(module, callback, RStr::from_str(name), site);
    if handle.is_null() {
        release_refused(callback);
        return Err(Errno::ENOMEM);
    }
    let thread = KThread { handle };
    if start {
        thread.wake_up_process();
    }
    Ok(thread)
}

/// `kthread_run`: a thread named `name` running `body` now.
///
/// # Errors
///
/// `ENOMEM` if the host refused (the kernel's `ERR_PTR(-ENOMEM)`, never null).
#[track_caller]
pub fn kthread_run(name: &str, body: impl FnOnce() -> i32 + Send + 'static) -> Result<KThread> {
    create(name, body, true, Site::caller())
}

/// `kthread_create`: a thread named `name` that runs `body` once woken with
/// [`KThread::wake_up_process`].
///
/// # Errors
///
/// As [`kthread_run`].
#[track_caller]
pub fn kthread_create(name: &str, body: impl FnOnce() -> i32 + Send + 'static) -> Result<KThread> {
    create(name, body, false, Site::caller())
}

/// `kthread_should_stop()`: the calling kthread was asked to stop.
pub fn kthread_should_stop() -> bool {
    let (services, module) = kernel();
    (services.kthread().kthread_should_stop())(module)
}

impl KThread {
    /// `wake_up_process`: starts a created thread, or wakes a sleeping one;
    /// `true` if it was not running.
    #[track_caller]
    pub fn wake_up_process(&self) -> bool {
        let (services, module) = kernel();
        (services.kthread().wake_up_process())(module, self.handle, Site::caller())
    }

    /// `kthread_stop`: asks the thread to stop, wakes it, waits for it, and
    /// returns its result (`-EINTR` if it was never woken, so never ran).
    #[track_caller]
    pub fn stop(self) -> i32 {
        let (services, module) = kernel();
        let ret = (services.kthread().kthread_stop())(module, self.handle, Site::caller());
        // `-EINTR` is also what a thread stopped before it ran returns.
        unless_killed(ret, ret == Errno::EINTR.to_kernel())
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        // Stops it first unless `stop` did.
        let (services, module) = kernel();
        (services.kthread().kthread_free())(module, self.handle, Site::NONE);
    }
}

impl fmt::Debug for KThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KThread").field(&self.handle).finish()
    }
}
