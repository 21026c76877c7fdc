//! Sleeping locks: semaphores and mutexes.
//!
//! Both sleep when they cannot proceed, so they are for process context
//! (worker threads, kthreads, init and exit); taking one in a timer
//! callback or under a spinlock is a bug the host reports. The host
//! implements them with a fast path that spins briefly instead of sleeping
//! while the other side is running.
//!
//! - [`Semaphore`]: a count; [`Semaphore::down`] and friends take one,
//!   [`Semaphore::up`] gives one back (to the longest waiter first), from any
//!   task. The return values are the kernel's: `down_interruptible` fails
//!   with `EINTR` on a signal (a work item of a module being removed, a
//!   kthread being stopped), `down_timeout` with `ETIME`, and
//!   `down_trylock` returns 0 on success.
//! - [`Mutex`]: one owner at a time, guarding its data. Unlocking from a task
//!   that is not the owner, or locking it twice from one task, is reported
//!   with a `WARN` (and the second lock is an Oops instead of a deadlock).
//!   [`mutex_lock`]/[`mutex_unlock`] are the kernel's unguarded calls, for a
//!   `Mutex<()>`.
//!
//! Kernel counterpart: `include/linux/semaphore.h`,
//! `kernel/locking/semaphore.c`, `include/linux/mutex.h`,
//! `Documentation/locking/mutex-design.rst`.

use core::{
    cell::UnsafeCell,
    fmt,
    marker::PhantomData,
    ops::{Deref, DerefMut},
};

use super::time::limit;
use crate::{
    errno::{Errno, Result},
    runtime::{kernel, unless_killed},
    table::{Handle, Site, SleepMode, Timeout},
};

/// A counting semaphore (`struct semaphore` after `sema_init`).
pub struct Semaphore {
    handle: Handle,
}

impl Semaphore {
    /// `sema_init(sem, count)`.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    #[track_caller]
    pub fn new(count: u32) -> Semaphore {
        let (services, module) = kernel();
        let handle = (services.locking().sema_init())(module, i32::try_from(count).unwrap_or(i32::MAX), Site::caller());
        assert!(!handle.is_null(), "sema_init: out of memory");
        Semaphore { handle }
    }

    /// `down*` in `mode`: a killed task unwinds, unless the mode is killable.
    fn down_in(&self, mode: SleepMode, timeout: Timeout, site: Site) -> Result {
        let (services, module) = kernel();
        let ret = (services.locking().down())(module, self.handle, mode, timeout, site);
        let ret = if mode == SleepMode::KILLABLE { ret } else { unless_killed(ret, ret < 0) };
        Errno::from_kernel(ret).map(|_| ())
    }

    /// `down`: takes one, sleeping uninterruptibly as long as needed
    /// (deprecated in the kernel: prefer `down_interruptible`).
    #[track_caller]
    pub fn down(&self) {
        let _ = self.down_in(SleepMode::UNINTERRUPTIBLE, Timeout::FOREVER, Site::caller());
    }

    /// `down_interruptible`: takes one, or fails with `EINTR` on a signal.
    ///
    /// # Errors
    ///
    /// `EINTR`.
    #[track_caller]
    pub fn down_interruptible(&self) -> Result {
        self.down_in(SleepMode::INTERRUPTIBLE, Timeout::FOREVER, Site::caller())
    }

    /// `down_killable`: takes one, or fails with `EINTR` on a forced unload.
    ///
    /// # Errors
    ///
    /// `EINTR`.
    #[track_caller]
    pub fn down_killable(&self) -> Result {
        self.down_in(SleepMode::KILLABLE, Timeout::FOREVER, Site::caller())
    }

    /// `down_timeout`: takes one, or fails with `ETIME` after `timeout` jiffies.
    ///
    /// # Errors
    ///
    /// `ETIME`.
    #[track_caller]
    pub fn down_timeout(&self, timeout: u64) -> Result {
        self.down_in(SleepMode::UNINTERRUPTIBLE, limit(timeout), Site::caller())
    }

    /// `down_trylock`: takes one if it can without sleeping; returns **0 on
    /// success and 1 on failure**, as the kernel does.
    #[track_caller]
    pub fn down_trylock(&self) -> i32 {
        let (services, module) = kernel();
        (services.locking().down_trylock())(module, self.handle, Site::caller())
    }

    /// `up`: gives one back, to the longest waiter if there is one.
    #[track_caller]
    pub fn up(&self) {
        let (services, module) = kernel();
        (services.locking().up())(module, self.handle, Site::caller());
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.locking().sema_free())(module, self.handle, Site::NONE);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Semaphore").field(&self.handle).finish()
    }
}

/// A sleeping mutex guarding a `T` (`struct mutex` with its data).
pub struct Mutex<T> {
    handle: Handle,
    data: UnsafeCell<T>,
}

// SAFETY: The host's mutex lets one task at a time hold the lock, and only a
// holder (through its guard) reaches `data`; `T: Send` lets the data be used
// from whichever task holds it.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: Moving the mutex moves its data; the host object may be used from any thread.
unsafe impl<T: Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// `mutex_init` with `data` inside.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    #[track_caller]
    pub fn new(data: T) -> Mutex<T> {
        let (services, module) = kernel();
        let handle = (services.locking().mutex_init())(module, Site::caller());
        assert!(!handle.is_null(), "mutex_init: out of memory");
        Mutex { handle, data: UnsafeCell::new(data) }
    }

    /// `mutex_lock*` in `mode`: a killed task unwinds, unless the mode is killable.
    fn lock_in(&self, mode: SleepMode, site: Site) -> Result<MutexGuard<'_, T>> {
        let (services, module) = kernel();
        let ret = (services.locking().mutex_lock())(module, self.handle, mode, site);
        if ret == Errno::EDEADLK.to_kernel() {
            // The host has reported the recursive lock; going on would
            // deadlock this task forever, so it oopses instead.
            panic!("mutex_lock: recursive locking of a mutex this task holds ({site})");
        }
        let ret = if mode == SleepMode::KILLABLE { ret } else { unless_killed(ret, ret < 0) };
        Errno::from_kernel(ret)?;
        Ok(MutexGuard { mutex: self, _not_send: PhantomData })
    }

    /// `mutex_lock`: waits as long as needed.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        match self.lock_in(SleepMode::UNINTERRUPTIBLE, Site::caller()) {
            Ok(guard) => guard,
            Err(e) => panic!("mutex_lock failed: {e}"),
        }
    }

    /// `mutex_lock_interruptible`.
    ///
    /// # Errors
    ///
    /// `EINTR` on a signal.
    #[track_caller]
    pub fn lock_interruptible(&self) -> Result<MutexGuard<'_, T>> {
        self.lock_in(SleepMode::INTERRUPTIBLE, Site::caller())
    }

    /// `mutex_lock_killable`.
    ///
    /// # Errors
    ///
    /// `EINTR` on a forced unload.
    #[track_caller]
    pub fn lock_killable(&self) -> Result<MutexGuard<'_, T>> {
        self.lock_in(SleepMode::KILLABLE, Site::caller())
    }

    /// `mutex_trylock`: the guard if the mutex was free.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let (services, module) = kernel();
        (services.locking().mutex_trylock())(module, self.handle, Site::caller())
            .then(|| MutexGuard { mutex: self, _not_send: PhantomData })
    }

    /// `mutex_is_locked`.
    #[track_caller]
    pub fn is_locked(&self) -> bool {
        let (services, module) = kernel();
        (services.locking().mutex_is_locked())(module, self.handle, Site::caller())
    }

    fn unlock(&self, site: Site) {
        let (services, module) = kernel();
        (services.locking().mutex_unlock())(module, self.handle, site);
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }
}

impl<T> Drop for Mutex<T> {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.locking().mutex_free())(module, self.handle, Site::NONE);
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mutex").field(&self.handle).finish()
    }
}

/// Proof of holding a [`Mutex`]; unlocks when dropped. It stays on the task
/// that locked it (the owner must unlock).
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    _not_send: PhantomData<*const ()>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The guard proves this task holds the lock, so no other
        // task reaches the data until it is dropped.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: As in `deref`, and `&mut self` makes the access unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock(Site::NONE);
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// `mutex_lock(&m)` without a guard, as kernel code writes it.
#[track_caller]
pub fn mutex_lock(mutex: &Mutex<()>) {
    match mutex.lock_in(SleepMode::UNINTERRUPTIBLE, Site::caller()) {
        // The lock stays held until `mutex_unlock`.
        Ok(guard) => core::mem::forget(guard),
        Err(e) => panic!("mutex_lock failed: {e}"),
    }
}

/// `mutex_unlock(&m)`: the owner must call it; anyone else is reported.
#[track_caller]
pub fn mutex_unlock(mutex: &Mutex<()>) {
    mutex.unlock(Site::caller());
}
