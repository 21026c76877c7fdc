//! Tasklets: a deferred function run in softirq context, never
//! concurrently with itself.
//!
//! A [`Tasklet`] is a work item on the host's softirq workqueue
//! (`system_bh_wq`), with the kernel's tasklet semantics on top:
//!
//! - [`Tasklet::schedule`] while it is scheduled and not yet running is one
//!   run; scheduled while it runs, it runs once more afterwards;
//! - it never runs concurrently with itself, and runs in softirq context:
//!   it may not sleep (sleeping there is reported);
//! - [`Tasklet::disable`] counts: a disabled tasklet that is scheduled does
//!   not run but is held, and runs once the [`Tasklet::enable`] that brings
//!   the count back to zero;
//! - [`Tasklet::kill`] takes it off its queue and waits for a running one;
//!   dropping the tasklet kills it.
//!
//! Tasklets are deprecated in the kernel in favour of BH work items
//! ([`super::workqueue::WQ_BH`]); modhost offers both, since the courseware
//! teaches tasklets.
//!
//! Kernel counterpart: `include/linux/interrupt.h`, `kernel/softirq.c`
//! (`tasklet_action_common`); `kbuild/lib/tasklet.c` is the same for C.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
};

use super::workqueue::{System, Work, WorkRef, Workqueue};
use crate::{
    errno::Result,
    table::{Site, WorkCancel},
};

/// A tasklet and its function (`struct tasklet_struct` after `tasklet_setup`).
pub struct Tasklet {
    state: Arc<State>,
    work: Work,
}

/// A tasklet as its own function sees it: to schedule it again.
pub struct TaskletRef<'a> {
    work: &'a WorkRef,
}

/// The disable count and the run it holds back.
#[derive(Default)]
struct State {
    /// `tasklet_disable` minus `tasklet_enable`.
    count: AtomicU32,
    /// A run came while disabled: the enable to zero queues it again.
    held: AtomicBool,
}

impl State {
    fn disabled(&self) -> bool {
        self.count.load(Ordering::SeqCst) != 0
    }

    /// A run found the tasklet disabled: holds it back, unless an enable
    /// came meanwhile and left it to this run (exactly one of the two runs it).
    fn held_back(&self) -> bool {
        self.held.store(true, Ordering::SeqCst);
        if self.disabled() {
            return true;
        }
        !self.held.swap(false, Ordering::SeqCst)
    }
}

impl Tasklet {
    /// `tasklet_setup`: an idle tasklet that will call `f`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn new(f: impl Fn(&TaskletRef<'_>) + Send + Sync + 'static) -> Result<Tasklet> {
        let state = Arc::new(State::default());
        let theirs = Arc::clone(&state);
        let work = Work::new(move |work| {
            if theirs.disabled() && theirs.held_back() {
                return;
            }
            f(&TaskletRef { work });
        })?;
        Ok(Tasklet { state, work })
    }

    /// `tasklet_schedule`: runs it soon, once however often it is
    /// scheduled before it runs.
    #[track_caller]
    pub fn schedule(&self) {
        queue(&self.work);
    }

    /// `tasklet_hi_schedule`: as [`Tasklet::schedule`] (the host has one
    /// softirq queue).
    #[track_caller]
    pub fn hi_schedule(&self) {
        queue(&self.work);
    }

    /// `tasklet_disable_nosync`: it will not run until enabled; a running
    /// instance goes on.
    pub fn disable_nosync(&self) {
        self.state.count.fetch_add(1, Ordering::SeqCst);
    }

    /// `tasklet_disable`: as [`Tasklet::disable_nosync`], and waits for a
    /// running (or already queued) instance.
    pub fn disable(&self) {
        self.disable_nosync();
        self.work.flush();
    }

    /// `tasklet_enable`: undoes one disable; the last one runs a held run.
    #[track_caller]
    pub fn enable(&self) {
        if self.state.count.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        if self.state.held.swap(false, Ordering::SeqCst) {
            queue(&self.work);
        }
    }

    /// `tasklet_kill`: takes it off its queue and waits for a running one.
    #[track_caller]
    pub fn kill(&self) {
        self.work.cancel_as(WorkCancel::KILL_TASKLET, Site::caller());
        self.state.held.store(false, Ordering::SeqCst);
    }

    /// Whether it is scheduled and has not run yet (`TASKLET_STATE_SCHED`).
    pub fn is_scheduled(&self) -> bool {
        self.work.pending() || self.state.held.load(Ordering::SeqCst)
    }
}

impl TaskletRef<'_> {
    /// `tasklet_schedule` of the running tasklet: it runs again after this run.
    #[track_caller]
    pub fn schedule(&self) {
        self.work.requeue();
    }
}

/// Queues the tasklet's item on the softirq workqueue (merged if pending).
#[track_caller]
fn queue(work: &WorkRef) {
    Workqueue::system(System::BH).queue_work(work);
}

impl Drop for Tasklet {
    fn drop(&mut self) {
        self.kill();
    }
}

impl fmt::Debug for Tasklet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tasklet").field("work", &self.work).field("count", &self.state.count).finish()
    }
}

impl fmt::Debug for TaskletRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaskletRef").field(self.work).finish()
    }
}
