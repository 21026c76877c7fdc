//! The hung-task detector: reports module tasks stuck in uninterruptible sleep.
//!
//! `khungtaskd` is one task per kernel, started with the first module. It
//! looks at the kernel's tasks every timeout period (on the kernel clock)
//! and reports, once per sleep, every task that runs module code and has
//! been in an uninterruptible sleep (`D`) for longer than the timeout:
//!
//! ```text
//! INFO: task stuck_thread:7 blocked for more than 120 seconds.
//!       Tainted: G
//! task:stuck_thread state:D at stuck-plugin/src/lib.rs:40:9 [stuck]
//! ```
//!
//! It sleeps until the earliest moment a sleeping task could cross the
//! timeout, or a whole period when none sleeps; an idle host wakes it once a
//! period at most.
//!
//! Kernel counterpart: `kernel/hung_task.c`.

use std::{sync::Arc, time::Duration};

use crate::{
    kernel::KernelInner,
    services::task::{TaskState, tasks_of},
};

/// Starts `khungtaskd` for `kernel` if it is not running yet.
pub(crate) fn start(kernel: &Arc<KernelInner>) {
    kernel.hung_task.start(
        kernel,
        "khungtaskd",
        |k| &k.hung_task,
        |kernel| {
            let timeout = kernel.hung_task_timeout;
            let next = check_hung_tasks(kernel, timeout);
            (kernel.clock.clone(), kernel.clock.uptime() + next.unwrap_or(timeout))
        },
    );
}

/// Reports the tasks blocked for longer than `timeout`; returns how long
/// until the next sleeping task would be, if any.
fn check_hung_tasks(kernel: &KernelInner, timeout: Duration) -> Option<Duration> {
    let mut next: Option<Duration> = None;
    for task in tasks_of(kernel.id) {
        if task.state() != TaskState::DiskSleep || (task.context().is_none() && task.owner().is_none()) {
            continue;
        }
        let Some((site, slept)) = task.wait_site() else { continue };
        if slept >= timeout {
            if task.report_hung_once() {
                kernel.report_hung(&task, timeout, &site);
            }
        } else {
            let left = timeout - slept;
            next = Some(next.map_or(left, |n| n.min(left)));
        }
    }
    next
}
