//! The table's `locking` group: semaphores, mutexes and spinlocks.
//!
//! The fast paths (a free unit, an unowned mutex, an `up` or an unlock with
//! nobody waiting) run on the object as the registry lends it, with no
//! reference count touched; a task that must wait takes its own reference
//! and unpins before it sleeps.
//!
//! Kernel counterpart: `kernel/locking/semaphore.c`,
//! `kernel/locking/mutex.c`, `include/linux/spinlock.h`.

use modhost_abi::{
    errno::Errno,
    table::{Handle, Site, SleepMode, Timeout},
};

use super::{Shown, entries};
use crate::services::{
    mutex::{LockError, Mutex, UnlockError},
    sched,
    semaphore::Semaphore,
    spinlock::{SpinError, SpinLock},
    task::{preempt_disable, preempt_enable},
    wait::{Sleep, WaitError},
};

entries! {
    LockingOps {
        /// `sema_init`.
        fn sema_init(c, count: i32, site: Site) -> Handle {
            Ok(c.register(Semaphore::new(i64::from(count)), &site)?.1)
        }

        /// `down*`: `-EINTR` on a signal (interruptible) or a kill,
        /// `-ETIME` when the timeout ran out.
        fn down(c, sem: Handle, mode: SleepMode, timeout: Timeout, site: Site) -> i32 {
            let mode = c.mode(mode, &site)?;
            c.might_sleep(&site);
            let services = c.services();
            if mode != crate::services::task::WaitMode::Uninterruptible && services.fail_down.should_fail(services, &c.module().name, 0) {
                return Err(Errno::EINTR);
            }
            if c.object::<Semaphore>(sem, &site)?.inner.try_down() {
                return Ok(0);
            }
            // `down_timeout(sem, 0)` gives up without sleeping, as the kernel's does.
            if timeout.limit() == Some(0) {
                return Err(Errno::ETIME);
            }
            let object = c.object_arc::<Semaphore>(sem, &site)?;
            let task = c.task();
            let c = c.unpin_on(&object);
            let clock = &c.services().clock;
            let deadline = sched::deadline_after(clock, clock.jiffies(), timeout.limit());
            let sleep = Sleep { clock, mode, deadline, site: &Shown(&site) };
            match object.inner.down(&task, &sleep) {
                Ok(()) => Ok(0),
                Err(WaitError::TimedOut) => Err(Errno::ETIME),
                Err(WaitError::Interrupted | WaitError::Killed) => Err(Errno::EINTR),
            }
        }

        /// `down_trylock`: `0` if acquired, `1` if not.
        fn down_trylock(c, sem: Handle, site: Site) -> i32 {
            Ok(i32::from(!c.object::<Semaphore>(sem, &site)?.inner.try_down()))
        }

        /// `up`.
        fn up(c, sem: Handle, site: Site) -> () {
            c.object::<Semaphore>(sem, &site)?.inner.up();
            Ok(())
        }

        /// Frees a semaphore; tasks still waiting are reported and killed.
        fn sema_free(c, sem: Handle, site: Site) -> () {
            c.free_stopping::<Semaphore>(sem, &site)
        }

        /// `mutex_init`.
        fn mutex_init(c, site: Site) -> Handle {
            Ok(c.register(Mutex::new(), &site)?.1)
        }

        /// `mutex_lock*`: `-EINTR` on a signal (interruptible) or a kill;
        /// locking a mutex the task holds is reported and `-EDEADLK`.
        fn mutex_lock(c, mutex: Handle, mode: SleepMode, site: Site) -> i32 {
            let mode = c.mode(mode, &site)?;
            c.might_sleep(&site);
            if c.object::<Mutex>(mutex, &site)?.inner.try_lock(c.task_id()) {
                return Ok(0);
            }
            let object = c.object_arc::<Mutex>(mutex, &site)?;
            let task = c.task();
            let c = c.unpin_on(&object);
            let sleep = Sleep { clock: &c.services().clock, mode, deadline: None, site: &Shown(&site) };
            match object.inner.lock(&task, &sleep) {
                Ok(()) => Ok(0),
                Err(LockError::Deadlock) => {
                    c.warn(&site, "possible recursive locking detected: mutex_lock of a mutex this task holds");
                    Err(Errno::EDEADLK)
                }
                Err(LockError::Failed(_)) => Err(Errno::EINTR),
            }
        }

        /// `mutex_trylock`.
        fn mutex_trylock(c, mutex: Handle, site: Site) -> bool {
            let object = c.object::<Mutex>(mutex, &site)?;
            Ok(object.inner.try_lock(c.task_id()))
        }

        /// `mutex_unlock`: by a task that is not the owner, reported.
        fn mutex_unlock(c, mutex: Handle, site: Site) -> () {
            let object = c.object::<Mutex>(mutex, &site)?;
            match object.inner.unlock(c.task_id()) {
                Ok(()) => {}
                Err(UnlockError::NotOwner) => c.warn(&site, "mutex_unlock by a task that does not own it"),
                Err(UnlockError::NotLocked) => c.warn(&site, "mutex_unlock of an unlocked mutex"),
            }
            Ok(())
        }

        /// `mutex_is_locked`.
        fn mutex_is_locked(c, mutex: Handle, site: Site) -> bool {
            Ok(c.object::<Mutex>(mutex, &site)?.inner.owner() != 0)
        }

        /// `mutex_destroy` and free: freeing a held mutex is reported.
        fn mutex_free(c, mutex: Handle, site: Site) -> () {
            c.free_stopping::<Mutex>(mutex, &site)
        }

        /// `spin_lock_init`.
        fn spin_lock_init(c, site: Site) -> Handle {
            Ok(c.register(SpinLock::default(), &site)?.1)
        }

        /// `spin_lock`: the task is in atomic context until `spin_unlock`.
        fn spin_lock(c, lock: Handle, site: Site) -> () {
            let task = c.task();
            let locked = if c.object::<SpinLock>(lock, &site)?.inner.try_lock(task.id()) {
                Ok(())
            } else {
                // Spinning may last while the holder runs: not pinned.
                let object = c.object_arc::<SpinLock>(lock, &site)?;
                let unpinned = c.unpin_on(&object);
                let locked = object.inner.lock(task.id());
                if locked == Err(SpinError::Recursion) {
                    unpinned.warn(&site, "BUG: spinlock recursion: spin_lock of a spinlock this task holds");
                }
                return locked.map(|()| preempt_disable("a section holding a spinlock")).or(Ok(()));
            };
            locked.map(|()| preempt_disable("a section holding a spinlock"))
        }

        /// `spin_trylock`.
        fn spin_trylock(c, lock: Handle, site: Site) -> bool {
            let task = c.task();
            let locked = c.object::<SpinLock>(lock, &site)?.inner.try_lock(task.id());
            if locked {
                preempt_disable("a section holding a spinlock");
            }
            Ok(locked)
        }

        /// `spin_unlock`: by a task that does not hold it, reported.
        fn spin_unlock(c, lock: Handle, site: Site) -> () {
            let task = c.task();
            match c.object::<SpinLock>(lock, &site)?.inner.unlock(task.id()) {
                Ok(()) => preempt_enable(),
                Err(SpinError::NotLocked) => c.warn(&site, "BUG: spinlock already unlocked"),
                Err(_) => c.warn(&site, "BUG: spinlock wrong owner: spin_unlock by a task that does not hold it"),
            }
            Ok(())
        }

        /// Frees a spinlock: freeing a held one is reported.
        fn spin_lock_free(c, lock: Handle, site: Site) -> () {
            c.free_stopping::<SpinLock>(lock, &site)
        }
    }
}
