//! kthreads: a module's own threads, made and stopped by the host.
//!
//! A module never spawns threads itself (a thread started from module code
//! would keep its library mapped); [`kthread_run`] asks the host for one.
//! The body runs until it returns; a long-running body loops on
//! [`kthread_should_stop`] and sleeps interruptibly, because
//! [`KThread::stop`] (`kthread_stop`) sets that flag, wakes the thread, and
//! waits for the body's result.
//!
//! Dropping a `KThread` that was not stopped stops it.
//!
//! Kernel counterpart: `include/linux/kthread.h`, `kernel/kthread.c`.

use abi_stable::std_types::RStr;
use core::ffi::c_void;
use std::{fmt, sync::Mutex};

use super::{ObjectRef, Site, ThreadFn};
use crate::{
    errno::{Errno, Result},
    runtime::{check_killed, guard, kernel},
};

type Body = Mutex<Option<Box<dyn FnOnce() -> i32 + Send>>>;

/// A kthread (`struct task_struct *` from `kthread_create`).
pub struct KThread {
    raw: ObjectRef,
    stopped: bool,
    _body: Box<Body>,
}

extern "C" fn run(context: *const c_void) -> i32 {
    // SAFETY: `context` is the `Body` boxed in the `KThread`, which outlives
    // the thread: dropping a `KThread` stops the thread first.
    let body = unsafe { &*context.cast::<Body>() };
    let body = body.lock().ok().and_then(|mut b| b.take());
    match body {
        Some(body) => guard(body).unwrap_or(crate::errno::Errno::EFAULT.to_kernel()),
        None => Errno::EINVAL.to_kernel(),
    }
}

fn create(name: &str, body: impl FnOnce() -> i32 + Send + 'static, start: bool, site: Site) -> Result<KThread> {
    let (services, module) = kernel();
    let body: Box<Body> = Box::new(Mutex::new(Some(Box::new(body))));
    let context = (&raw const *body).cast::<c_void>();
    let raw =
        (services.kthread_create())(module, ThreadFn { function: run, context }, RStr::from_str(name), start, site);
    if raw.is_null() {
        return Err(Errno::ENOMEM);
    }
    Ok(KThread { raw, stopped: false, _body: body })
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
    let (services, _) = kernel();
    (services.kthread_should_stop())()
}

impl KThread {
    /// `wake_up_process`: starts a created thread, or wakes a sleeping one.
    pub fn wake_up_process(&self) {
        let (services, _) = kernel();
        (services.kthread_wake())(self.raw);
    }

    /// `kthread_stop`: asks the thread to stop, wakes it, waits for it, and
    /// returns its result (`-EINTR` if it was never woken, so never ran).
    #[track_caller]
    pub fn stop(mut self) -> i32 {
        self.stop_now(Site::caller())
    }

    fn stop_now(&mut self, site: Site) -> i32 {
        self.stopped = true;
        let (services, _) = kernel();
        let ret = check_killed((services.kthread_stop())(self.raw, site));
        i32::try_from(ret).unwrap_or(Errno::EINVAL.to_kernel())
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        let (services, _) = kernel();
        if !self.stopped {
            let ret = (services.kthread_stop())(self.raw, Site::caller());
            if ret == super::KILLED {
                return;
            }
        }
        (services.kthread_free())(self.raw);
    }
}

impl fmt::Debug for KThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KThread").field("raw", &self.raw).field("stopped", &self.stopped).finish()
    }
}
