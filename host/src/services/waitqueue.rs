//! Wait queues: `wait_event*` and `wake_up`.
//!
//! The host loops as the kernel's `___wait_event` macro does: register the
//! task on the queue, then run [`wait_until`] with the module's condition
//! (called with no lock held: it is module code) until it is true, a signal
//! the mode honours arrives, the timeout runs out, or the task is killed.
//! `wake_up` wakes the registered tasks so they check again; one between a
//! task's check and its sleep is not lost (see [`super::wait`]).
//!
//! Return values are the kernel's (see the abi's `wait.rs`): untimed, 0
//! once the condition is true; timed, the jiffies left (at least 1) when it
//! came true, 1 if it was true only at the check after the timeout, 0 if it
//! was still false; `-ERESTARTSYS` on a signal in an interruptible wait, or
//! once the task was killed (forced unload), whatever the mode.
//!
//! In the kernel, `wake_up` wakes every non-exclusive waiter and one
//! exclusive one, and `wake_up_all` every waiter. modhost's waiters are all
//! non-exclusive (there is no `wait_event_exclusive`), so both wake every
//! registered task; the table keeps the two calls apart for the day
//! exclusive waits come.
//!
//! Locking: `sleepers` is a leaf lock; no module code runs under it.
//!
//! Kernel counterpart: `include/linux/wait.h`, `kernel/sched/wait.c`.

use parking_lot::Mutex;
use std::sync::Arc;

use super::{
    handoff::kill_all,
    object::{Kind, Object},
    task::Task,
    wait::{Sleep, WaitError, wait_until},
};
use crate::debug::report::n_tasks;

/// A wait queue head: the tasks in a `wait_event` on it.
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    sleepers: Mutex<Vec<Arc<Task>>>,
}

impl Kind for WaitQueue {
    const NAME: &'static str = "wait queue";

    fn stop(object: &Object<WaitQueue>) -> Option<String> {
        let killed = kill_all(object.inner.sleepers.lock().clone());
        (killed > 0).then(|| format!("freed with {} waiting (killed)", n_tasks(killed)))
    }
}

impl WaitQueue {
    /// `wait_event` for `task` (see the module docs): `Ok(true)` once
    /// `condition` is true, `Ok(false)` if it is still false when the
    /// deadline passed.
    pub(crate) fn wait_event(
        &self,
        task: &Arc<Task>,
        sleep: &Sleep<'_>,
        mut condition: impl FnMut() -> bool,
    ) -> Result<bool, WaitError> {
        if condition() {
            return Ok(true);
        }
        self.sleepers.lock().push(Arc::clone(task));
        let ended = wait_until(task, sleep, &mut condition);
        self.sleepers.lock().retain(|t| !Arc::ptr_eq(t, task));
        match ended {
            Ok(()) => Ok(true),
            Err(WaitError::TimedOut) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// `wake_up`/`wake_up_all`: every registered task checks again.
    pub(crate) fn wake_up(&self) {
        let sleepers = self.sleepers.lock().clone();
        sleepers.iter().for_each(|t| t.wake_up());
    }
}
