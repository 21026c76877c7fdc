//! Spinlocks: `spin_lock_init`, `spin_lock`, `spin_trylock`, `spin_unlock`.
//!
//! One holder at a time, by task id, and the holder is in atomic context
//! until it unlocks: sleeping there is reported by `might_sleep`
//! (`BUG: sleeping function called from invalid context`), as the kernel
//! does with `CONFIG_DEBUG_ATOMIC_SLEEP`. A task locking a spinlock it
//! holds would spin for ever in the kernel (`BUG: spinlock recursion`);
//! here it is reported and the lock is not taken twice.
//!
//! modhost's tasks are preemptible threads, so a holder may lose its CPU:
//! a waiter spins briefly, then yields, rather than burning its time
//! slice against a holder that is not running.
//!
//! Kernel counterpart: `include/linux/spinlock.h`,
//! `kernel/locking/spinlock_debug.c`.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    handoff::CachePadded,
    object::{Kind, Object},
};

/// A spinlock; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct SpinLock {
    /// The holder's task id, or 0.
    owner: CachePadded<AtomicU64>,
}

/// Why `spin_lock` or `spin_unlock` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpinError {
    /// `spin_lock` by the holder: `BUG: spinlock recursion`.
    Recursion,
    /// `spin_unlock` by a task that does not hold it: `BUG: spinlock wrong owner`.
    WrongOwner,
    /// `spin_unlock` of a free lock: `BUG: spinlock already unlocked`.
    NotLocked,
}

impl Kind for SpinLock {
    const NAME: &'static str = "spinlock";

    fn stop(object: &Object<SpinLock>) -> Option<String> {
        let owner = object.inner.owner();
        (owner != 0).then(|| format!("freed while held by task {owner}"))
    }
}

impl SpinLock {
    /// The holder's task id, or 0.
    pub(crate) fn owner(&self) -> u64 {
        self.owner.load(Ordering::Relaxed)
    }

    /// `spin_trylock` for the task `me`.
    pub(crate) fn try_lock(&self, me: u64) -> bool {
        self.owner.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    /// `spin_lock` for the task `me`: spins (and yields) until it is free.
    pub(crate) fn lock(&self, me: u64) -> Result<(), SpinError> {
        let mut spins = 0u32;
        loop {
            if self.try_lock(me) {
                return Ok(());
            }
            if self.owner() == me {
                return Err(SpinError::Recursion);
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// `spin_unlock` by the task `me`.
    pub(crate) fn unlock(&self, me: u64) -> Result<(), SpinError> {
        match self.owner.compare_exchange(me, 0, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => Ok(()),
            Err(0) => Err(SpinError::NotLocked),
            Err(_) => Err(SpinError::WrongOwner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_and_the_kernels_spinlock_bugs() {
        let lock = SpinLock::default();
        assert_eq!(lock.unlock(1), Err(SpinError::NotLocked));
        assert_eq!(lock.lock(1), Ok(()));
        assert!(!lock.try_lock(2));
        assert_eq!(lock.lock(1), Err(SpinError::Recursion));
        assert_eq!(lock.unlock(2), Err(SpinError::WrongOwner));
        assert_eq!(lock.unlock(1), Ok(()));
        assert!(lock.try_lock(2));
    }
}
