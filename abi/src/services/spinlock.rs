//! Spinlocks: short critical sections that never sleep.
//!
//! A [`SpinLock`] guards its data like a [`Mutex`](super::sync::Mutex), but
//! holding it puts the task in atomic context, as in the kernel: sleeping
//! while holding one (`msleep`, `down`, `mutex_lock`, `wait_event`, ...) is
//! reported as `BUG: sleeping function called from invalid context`. Timer
//! callbacks and `WQ_BH` work items may take spinlocks; they may not take
//! mutexes or semaphores.
//!
//! [`spin_lock`]/[`spin_unlock`] are the kernel's unguarded calls, for a
//! `SpinLock<()>`. `spin_lock_irqsave` and `spin_lock_bh` are [`SpinLock::lock_irqsave`]
//! and [`SpinLock::lock_bh`]: modhost has no interrupts to disable, so they
//! are `lock` under the kernel's names, for code that reads like the C.
//!
//! Kernel counterpart: `include/linux/spinlock.h`,
//! `Documentation/locking/spinlocks.rst`.

use core::{
    cell::UnsafeCell,
    fmt,
    marker::PhantomData,
    ops::{Deref, DerefMut},
};

use crate::{
    runtime::kernel,
    table::{Handle, Site},
};

/// A spinlock guarding a `T` (`spinlock_t` with its data).
pub struct SpinLock<T> {
    handle: Handle,
    data: UnsafeCell<T>,
}

// SAFETY: The host's spinlock lets one task at a time hold it, and only a
// holder (through its guard) reaches `data`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: Moving the lock moves its data; the host object may be used from any thread.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// `spin_lock_init` with `data` inside.
    ///
    /// # Panics
    ///
    /// If the host refuses to make one (it only does when out of memory).
    #[track_caller]
    pub fn new(data: T) -> SpinLock<T> {
        let (services, module) = kernel();
        let handle = (services.locking().spin_lock_init())(module, Site::caller());
        assert!(!handle.is_null(), "spin_lock_init: out of memory");
        SpinLock { handle, data: UnsafeCell::new(data) }
    }

    /// `spin_lock`: spins until it is free; atomic context until the guard drops.
    #[track_caller]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        let (services, module) = kernel();
        (services.locking().spin_lock())(module, self.handle, Site::caller());
        SpinLockGuard { lock: self, _not_send: PhantomData }
    }

    /// `spin_lock_irqsave`: [`SpinLock::lock`] (there are no interrupts here).
    #[track_caller]
    pub fn lock_irqsave(&self) -> SpinLockGuard<'_, T> {
        self.lock()
    }

    /// `spin_lock_bh`: [`SpinLock::lock`] (softirqs run on their own threads here).
    #[track_caller]
    pub fn lock_bh(&self) -> SpinLockGuard<'_, T> {
        self.lock()
    }

    /// `spin_trylock`: the guard if the lock was free.
    #[track_caller]
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        let (services, module) = kernel();
        (services.locking().spin_trylock())(module, self.handle, Site::caller())
            .then(|| SpinLockGuard { lock: self, _not_send: PhantomData })
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }
}

impl<T> Drop for SpinLock<T> {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.locking().spin_lock_free())(module, self.handle, Site::NONE);
    }
}

impl<T> fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SpinLock").field(&self.handle).finish()
    }
}

/// Proof of holding a [`SpinLock`]; unlocks when dropped, on the task that locked it.
pub struct SpinLockGuard<'a, T> {
    lock: &'a SpinLock<T>,
    _not_send: PhantomData<*const ()>,
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The guard proves this task holds the lock, so no other
        // task reaches the data until it is dropped.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: As in `deref`, and `&mut self` makes the access unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.locking().spin_unlock())(module, self.lock.handle, Site::NONE);
    }
}

/// `spin_lock(&lock)` without a guard, as kernel code writes it.
#[track_caller]
pub fn spin_lock(lock: &SpinLock<()>) {
    // The lock stays held until `spin_unlock`.
    core::mem::forget(lock.lock());
}

/// `spin_unlock(&lock)`: the holder must call it; anyone else is reported.
#[track_caller]
pub fn spin_unlock(lock: &SpinLock<()>) {
    let (services, module) = kernel();
    (services.locking().spin_unlock())(module, lock.handle, Site::caller());
}

impl<T: fmt::Debug> fmt::Debug for SpinLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
