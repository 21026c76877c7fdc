//! The kernel's own periodic threads (`khungtaskd`, `watchdog/0`,
//! `kslabcheckd`): one task per kernel, started with the first module,
//! that looks at the kernel, sleeps as long as its look says, and stops at
//! shutdown.
//!
//! Kernel counterpart: `kthread_run` of a daemon with a
//! `schedule_timeout_interruptible` loop.

use parking_lot::Mutex;
use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use crate::{
    kernel::KernelInner,
    services::{
        clock::Clock,
        task::{Task, TaskKind, WaitMode},
    },
};

/// One daemon of one kernel.
#[derive(Debug, Default)]
pub(crate) struct Daemon {
    task: Mutex<Option<Arc<Task>>>,
    stopping: AtomicBool,
}

impl Daemon {
    /// Starts the daemon `name` if it is not running yet: it calls `look`
    /// and then sleeps until the deadline `look` returns (an uptime on the
    /// clock it returns), until this daemon, `which` of the kernel's, stops.
    pub(crate) fn start(
        &self,
        kernel: &Arc<KernelInner>,
        name: &str,
        which: fn(&KernelInner) -> &Daemon,
        mut look: impl FnMut(&Arc<KernelInner>) -> (Clock, Duration) + Send + 'static,
    ) {
        let mut slot = self.task.lock();
        if slot.is_some() || self.stopping.load(Ordering::Acquire) {
            return;
        }
        let weak: Weak<KernelInner> = Arc::downgrade(kernel);
        let spawned = Task::spawn(kernel.id, TaskKind::Daemon, name.to_string(), move |me| {
            loop {
                let Some(kernel) = weak.upgrade() else { return };
                if which(&kernel).stopping.load(Ordering::Acquire) {
                    return;
                }
                let (clock, deadline) = look(&kernel);
                drop(kernel);
                me.prepare_to_wait();
                me.schedule(&clock, WaitMode::Idle, Some(deadline), &"");
            }
        });
        if let Ok((task, _join)) = spawned {
            *slot = Some(task);
        }
    }

    /// Stops the daemon.
    pub(crate) fn shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
        if let Some(task) = self.task.lock().take() {
            task.wake_up();
        }
    }
}
