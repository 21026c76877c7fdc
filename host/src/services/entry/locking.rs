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
use crate::debug::{
    lockdep::{At, Class, LockKind},
    waitfor::Blocker,
};
use crate::services::{
    Services,
    mutex::{LockError, Mutex, UnlockError},
    object::Object,
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
            let object = c.object::<Semaphore>(sem, &site)?;
            let (class, instance) = (semaphore_class(services, object), object.address());
            services.lock_acquire(class, instance, At::from(&site));
            if object.inner.try_down() {
                return Ok(0);
            }
            // `down_timeout(sem, 0)` gives up without sleeping, as the kernel's does.
            if timeout.limit() == Some(0) {
                services.lock_release(instance);
                return Err(Errno::ETIME);
            }
            let object = c.object_arc::<Semaphore>(sem, &site)?;
            let task = c.task();
            let c = c.unpin_on(&object);
            let clock = &c.services().clock;
            let deadline = sched::deadline_after(clock, clock.jiffies(), timeout.limit());
            let sleep = Sleep { clock, mode, deadline, site: &Shown(&site) };
            c.services().block_on(&task, Blocker { call: "down", object: object.clone(), at: At::from(&site), mode });
            let taken = object.inner.down(&task, &sleep);
            task.set_blocker(None);
            if taken.is_err() {
                c.services().lock_release(instance);
            }
            match taken {
                Ok(()) => Ok(0),
                Err(WaitError::TimedOut) => Err(Errno::ETIME),
                Err(WaitError::Interrupted | WaitError::Killed) => Err(Errno::EINTR),
            }
        }

        /// `down_trylock`: `0` if acquired, `1` if not.
        fn down_trylock(c, sem: Handle, site: Site) -> i32 {
            let object = c.object::<Semaphore>(sem, &site)?;
            let taken = object.inner.try_down();
            if taken {
                c.services().lock_taken(semaphore_class(c.services(), object), object.address(), At::from(&site));
            }
            Ok(i32::from(!taken))
        }

        /// `up`: a binary semaphore's is checked as a lock's release, a
        /// counting one's remembered as who gives it.
        fn up(c, sem: Handle, site: Site) -> () {
            let object = c.object::<Semaphore>(sem, &site)?;
            let services = c.services();
            let class = semaphore_class(services, object);
            if class.kind == LockKind::BinarySemaphore {
                let above = object.inner.available() >= object.inner.initial();
                services.lock_release_binary(class, object.address(), At::from(&site), above);
            } else {
                services.lock_give(class, object.address(), At::from(&site));
            }
            object.inner.up();
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
            let object = c.object::<Mutex>(mutex, &site)?;
            let instance = object.address();
            c.services().lock_acquire(c.services().lock_class(object, LockKind::Mutex), instance, At::from(&site));
            if object.inner.try_lock(c.task_id()) {
                return Ok(0);
            }
            let object = c.object_arc::<Mutex>(mutex, &site)?;
            let task = c.task();
            let c = c.unpin_on(&object);
            let sleep = Sleep { clock: &c.services().clock, mode, deadline: None, site: &Shown(&site) };
            c.services().block_on(&task, Blocker { call: "mutex_lock", object: object.clone(), at: At::from(&site), mode });
            let locked = object.inner.lock(&task, &sleep);
            task.set_blocker(None);
            if locked.is_err() {
                c.services().lock_release(instance);
            }
            match locked {
                Ok(()) => Ok(0),
                Err(LockError::Deadlock) => {
                    if !c.services().lockdep.enabled() {
                        c.warn(&site, "possible recursive locking detected: mutex_lock of a mutex this task holds");
                    }
                    Err(Errno::EDEADLK)
                }
                Err(LockError::Failed(_)) => Err(Errno::EINTR),
            }
        }

        /// `mutex_trylock`.
        fn mutex_trylock(c, mutex: Handle, site: Site) -> bool {
            let object = c.object::<Mutex>(mutex, &site)?;
            let locked = object.inner.try_lock(c.task_id());
            if locked {
                let class = c.services().lock_class(object, LockKind::Mutex);
                c.services().lock_taken(class, object.address(), At::from(&site));
            }
            Ok(locked)
        }

        /// `mutex_unlock`: by a task that is not the owner, reported.
        fn mutex_unlock(c, mutex: Handle, site: Site) -> () {
            let object = c.object::<Mutex>(mutex, &site)?;
            match object.inner.unlock(c.task_id()) {
                Ok(()) => {
                    c.services().lock_release(object.address());
                }
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
            let object = c.object::<SpinLock>(lock, &site)?;
            let instance = object.address();
            c.services().lock_acquire(c.services().lock_class(object, LockKind::Spin), instance, At::from(&site));
            let locked = if object.inner.try_lock(task.id()) {
                Ok(())
            } else {
                // Spinning may last while the holder runs: not pinned.
                let object = c.object_arc::<SpinLock>(lock, &site)?;
                let unpinned = c.unpin_on(&object);
                let locked = object.inner.lock(task.id());
                if locked == Err(SpinError::Recursion) {
                    unpinned.services().lock_release(instance);
                    unpinned.warn(&site, "BUG: spinlock recursion: spin_lock of a spinlock this task holds");
                }
                return locked.map(|()| preempt_disable("a section holding a spinlock")).or(Ok(()));
            };
            locked.map(|()| preempt_disable("a section holding a spinlock"))
        }

        /// `spin_trylock`.
        fn spin_trylock(c, lock: Handle, site: Site) -> bool {
            let task = c.task();
            let object = c.object::<SpinLock>(lock, &site)?;
            let locked = object.inner.try_lock(task.id());
            if locked {
                let class = c.services().lock_class(object, LockKind::Spin);
                c.services().lock_taken(class, object.address(), At::from(&site));
                preempt_disable("a section holding a spinlock");
            }
            Ok(locked)
        }

        /// `spin_unlock`: by a task that does not hold it, reported.
        fn spin_unlock(c, lock: Handle, site: Site) -> () {
            let task = c.task();
            let object = c.object::<SpinLock>(lock, &site)?;
            match object.inner.unlock(task.id()) {
                Ok(()) => {
                    c.services().lock_release(object.address());
                    preempt_enable();
                }
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

/// A semaphore's lockdep class: a lock if it was made binary, else an event.
fn semaphore_class<'o>(services: &Services, object: &'o Object<Semaphore>) -> &'o std::sync::Arc<Class> {
    let kind = if object.inner.initial() == 1 { LockKind::BinarySemaphore } else { LockKind::Semaphore };
    services.lock_class(object, kind)
}
