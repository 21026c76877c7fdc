//! The one wait-until loop every sleeping primitive uses, and how it ends.
//!
//! [`wait_until`] is the kernel's `___wait_event` loop over
//! [`Task::schedule`]: each round it calls [`Task::prepare_to_wait`], then
//! checks the condition (true: done), then how the previous sleep ended
//! (killed, interrupted, timed out: the wait fails with that
//! [`WaitError`]), and otherwise sleeps again. The task must be on the
//! list its wakers look at whenever it checks: a condition that is not
//! true puts it back there ([`enlist`]; a waker may take the whole list),
//! and the caller takes it out after the loop. A wake-up between a check
//! and the sleep is never lost: `prepare_to_wait` came before the check,
//! and the wake-up sets the task's wake flag.
//!
//! The condition runs with no lock held by the loop; a condition that needs
//! its object's lock takes it itself.
//!
//! Kernel counterpart: `include/linux/wait.h` (`___wait_event`),
//! `kernel/sched/core.c` (`schedule`).

use std::{fmt, sync::Arc, time::Duration};

use super::{
    clock::Clock,
    task::{Task, WaitMode, Wake},
};

/// How a task sleeps: on which clock, in which mode, until when, and where
/// (a module's source location, for `ps` and the hung-task report).
#[derive(Clone, Copy)]
pub(crate) struct Sleep<'a> {
    pub(crate) clock: &'a Clock,
    pub(crate) mode: WaitMode,
    /// Kernel uptime on `clock` at which the wait gives up; `None`: never.
    pub(crate) deadline: Option<Duration>,
    pub(crate) site: &'a dyn fmt::Display,
}

/// Why a wait ended without its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitError {
    /// A signal the mode honours: `-EINTR`, `-ERESTARTSYS`.
    Interrupted,
    /// The deadline passed.
    TimedOut,
    /// The task was killed (a forced unload): every wait ends.
    Killed,
}

impl Sleep<'_> {
    /// One sleep of `task`, without a condition (`schedule_timeout`).
    pub(crate) fn once(&self, task: &Task) -> Wake {
        task.schedule(self.clock, self.mode, self.deadline, self.site)
    }
}

/// Puts `task` on `waiters` unless it is there.
pub(crate) fn enlist(waiters: &mut Vec<Arc<Task>>, task: &Arc<Task>) {
    if !waiters.iter().any(|t| Arc::ptr_eq(t, task)) {
        waiters.push(Arc::clone(task));
    }
}

/// Sleeps `task` as `sleep` says until `ready()`; see the module docs.
pub(crate) fn wait_until(task: &Task, sleep: &Sleep<'_>, mut ready: impl FnMut() -> bool) -> Result<(), WaitError> {
    let mut woke = None;
    loop {
        task.prepare_to_wait();
        if ready() {
            return Ok(());
        }
        match woke {
            _ if task.killed() => return Err(WaitError::Killed),
            Some(Wake::Interrupted) => return Err(WaitError::Interrupted),
            Some(Wake::TimedOut) => return Err(WaitError::TimedOut),
            _ => {}
        }
        woke = Some(sleep.once(task));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        sync::atomic::{AtomicBool, Ordering},
        thread,
    };

    #[test]
    fn a_wait_ends_on_its_condition_its_deadline_or_a_kill() {
        let clock = Clock::manual(250);
        let task = Task::current();
        let sleep = Sleep { clock: &clock, mode: WaitMode::Uninterruptible, deadline: Some(clock.uptime()), site: &"" };
        assert_eq!(wait_until(&task, &sleep, || true), Ok(()));
        assert_eq!(wait_until(&task, &sleep, || false), Err(WaitError::TimedOut));
        let done = Arc::new(AtomicBool::new(false));
        let (theirs, waker) = (Arc::clone(&done), Arc::clone(&task));
        let setter = thread::spawn(move || {
            theirs.store(true, Ordering::Release);
            waker.wake_up();
        });
        let forever = Sleep { deadline: None, ..sleep };
        assert_eq!(wait_until(&task, &forever, || done.load(Ordering::Acquire)), Ok(()));
        setter.join().expect("the setter ran");
    }

    #[test]
    fn an_interrupt_ends_one_interruptible_sleep_and_not_the_next() {
        let clock = Clock::manual(250);
        let (task, waker) = {
            let task = Task::current();
            (Arc::clone(&task), task)
        };
        let sleep = Sleep { clock: &clock, mode: WaitMode::Interruptible, deadline: None, site: &"" };
        task.interrupt();
        assert_eq!(wait_until(&task, &sleep, || false), Err(WaitError::Interrupted));
        assert!(task.signal_pending(), "until the task sleeps again");
        let soon = Sleep { deadline: Some(clock.uptime()), ..sleep };
        assert_eq!(wait_until(&task, &soon, || false), Err(WaitError::TimedOut), "the next sleep sleeps");
        assert!(!task.signal_pending());
        waker.kill();
        assert_eq!(wait_until(&task, &sleep, || false), Err(WaitError::Killed));
        task.clear_signals();
    }
}
