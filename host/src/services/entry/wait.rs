//! The table's `wait` group: wait queues and completions.
//!
//! Kernel counterpart: `include/linux/wait.h`, `kernel/sched/wait.c`,
//! `kernel/sched/completion.c`.

use modhost_abi::{
    errno::Errno,
    table::{Condition, Handle, Site, SleepMode, Timeout},
};

use super::{Shown, entries};
use crate::debug::{
    lockdep::{At, LockKind},
    waitfor::Blocker,
};
use crate::services::{
    completion::Completion,
    sched,
    wait::{Sleep, WaitError},
    waitqueue::WaitQueue,
};

entries! {
    WaitOps {
        /// `init_waitqueue_head`.
        fn init_waitqueue_head(c, site: Site) -> Handle {
            Ok(c.register(WaitQueue::default(), &site)?.1)
        }

        /// `wait_event*`: the kernel's values (see `waitqueue.rs`).
        fn wait_event(c, wq: Handle, condition: Condition, mode: SleepMode, timeout: Timeout, site: Site) -> i64 {
            let mode = c.mode(mode, &site)?;
            let object = c.object_arc::<WaitQueue>(wq, &site)?;
            let task = c.task();
            c.might_sleep(&site);
            let c = c.unpin_on(&object);
            let clock = &c.services().clock;
            let check = || (condition.function)(condition.context);
            let start = clock.jiffies();
            let ended = match timeout.limit() {
                // `___wait_cond_timeout` with no time left: one look, no sleep.
                Some(0) => Ok(check()),
                limit => {
                    let deadline = sched::deadline_after(clock, start, limit);
                    object.inner.wait_event(&task, &Sleep { clock, mode, deadline, site: &Shown(&site) }, check)
                }
            };
            match (ended, timeout.limit()) {
                (Ok(true), Some(limit)) => Ok(sched::remaining(clock, start, limit)),
                (Ok(_), _) => Ok(0),
                (Err(_), _) => Err(Errno::ERESTARTSYS),
            }
        }

        /// `wake_up`.
        fn wake_up(c, wq: Handle, site: Site) -> () {
            c.object::<WaitQueue>(wq, &site)?.inner.wake_up();
            Ok(())
        }

        /// `wake_up_all`.
        fn wake_up_all(c, wq: Handle, site: Site) -> () {
            c.object::<WaitQueue>(wq, &site)?.inner.wake_up();
            Ok(())
        }

        /// Frees a wait queue; tasks still waiting are reported and killed.
        fn waitqueue_free(c, wq: Handle, site: Site) -> () {
            c.free_stopping::<WaitQueue>(wq, &site)
        }

        /// `init_completion`.
        fn init_completion(c, site: Site) -> Handle {
            Ok(c.register(Completion::default(), &site)?.1)
        }

        /// `complete`.
        fn complete(c, completion: Handle, site: Site) -> () {
            let object = c.object::<Completion>(completion, &site)?;
            c.services().lock_give(c.services().lock_class(object, LockKind::Completion), object.address(), At::from(&site));
            object.inner.complete();
            Ok(())
        }

        /// `complete_all`.
        fn complete_all(c, completion: Handle, site: Site) -> () {
            let object = c.object::<Completion>(completion, &site)?;
            c.services().lock_give(c.services().lock_class(object, LockKind::Completion), object.address(), At::from(&site));
            object.inner.complete_all();
            Ok(())
        }

        /// `wait_for_completion*`: untimed `0`; timed, the jiffies left (at
        /// least 1) or `0`; `-ERESTARTSYS` on a signal or a kill.
        fn wait_for_completion(c, completion: Handle, mode: SleepMode, timeout: Timeout, site: Site) -> i64 {
            let mode = c.mode(mode, &site)?;
            let object = c.object_arc::<Completion>(completion, &site)?;
            let task = c.task();
            c.might_sleep(&site);
            let class = c.services().lock_class(&object, LockKind::Completion);
            c.services().lock_acquire(class, object.address(), At::from(&site));
            let c = c.unpin_on(&object);
            let clock = &c.services().clock;
            let start = clock.jiffies();
            let deadline = sched::deadline_after(clock, start, timeout.limit());
            let sleep = Sleep { clock, mode, deadline, site: &Shown(&site) };
            let blocker = Blocker { call: "wait_for_completion", object: object.clone(), at: At::from(&site), mode };
            c.services().block_on(&task, blocker);
            let waited = object.inner.wait(&task, &sleep);
            task.set_blocker(None);
            match (waited, timeout.limit()) {
                (Ok(()), None) => Ok(0),
                (Ok(()), Some(limit)) => Ok(sched::remaining(clock, start, limit)),
                (Err(WaitError::TimedOut), _) => Ok(0),
                (Err(_), _) => Err(Errno::ERESTARTSYS),
            }
        }

        /// `completion_done`.
        fn completion_done(c, completion: Handle, site: Site) -> bool {
            Ok(c.object::<Completion>(completion, &site)?.inner.done())
        }

        /// `reinit_completion`.
        fn reinit_completion(c, completion: Handle, site: Site) -> () {
            c.object::<Completion>(completion, &site)?.inner.reinit();
            Ok(())
        }

        /// Frees a completion; tasks still waiting are reported and killed.
        fn completion_free(c, completion: Handle, site: Site) -> () {
            c.free_stopping::<Completion>(completion, &site)
        }

        /// `try_wait_for_completion`: never sleeps.
        fn try_wait_for_completion(c, completion: Handle, site: Site) -> bool {
            Ok(c.object::<Completion>(completion, &site)?.inner.try_wait())
        }
    }
}
