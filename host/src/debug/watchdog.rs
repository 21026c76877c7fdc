//! The soft-lockup detector: a callback that runs on and on without
//! returning or sleeping.
//!
//! `watchdog/0` is one task per kernel, started with the first module like
//! `khungtaskd`. Every quarter of the threshold (real time: a spinning
//! callback does not move a manual clock) it looks at the timer thread and
//! the workers. A task found in module code twice with neither a return
//! from it nor a sleep in between has been stuck since the first look;
//! past the threshold it is reported once, in the kernel's words:
//!
//! ```text
//! watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [ktimers/0:5]
//! Modules linked in: busy
//! CPU: 0 PID: 5 Comm: ktimers/0 Tainted: L
//! RIP: 0010:spin_fn+0x5/0x10 [busy]
//! ```
//!
//! The RIP and trace come from a sample of the stuck thread (a signal whose
//! handler records where it is). A stuck timer thread stops being the
//! timer thread: a fresh one takes over the wheel, so one spinning module
//! never stops the others' timers. A stuck worker holds only its own item:
//! its pool starts other workers for the rest.
//!
//! Kernel counterpart: `kernel/watchdog.c` (`watchdog_timer_fn`,
//! `is_softlockup`).

use std::{collections::HashMap, sync::Arc, time::Duration};

use crate::{
    kernel::KernelInner,
    services::{
        task::{Task, TaskKind, TaskState, tasks_of},
        timer,
    },
};

/// How long a sample of a stuck thread may take.
const SAMPLE_BOUND: Duration = Duration::from_millis(200);

/// What the last look saw of a task in module code.
struct Seen {
    calls: u64,
    switches: u64,
    since: Duration,
    reported: bool,
}

/// Starts `watchdog/0` for `kernel` if it is not running yet: a look
/// every quarter of the threshold, on the real clock.
pub(crate) fn start(kernel: &Arc<KernelInner>) {
    let mut seen = HashMap::new();
    kernel.watchdog.start(
        kernel,
        "watchdog/0",
        |k| &k.watchdog,
        move |kernel| {
            check(kernel, &mut seen);
            let wall = kernel.services.wall.clone();
            let deadline = wall.uptime() + kernel.softlockup_thresh / 4;
            (wall, deadline)
        },
    );
}

/// One look at the timer thread and the workers.
fn check(kernel: &Arc<KernelInner>, seen: &mut HashMap<u64, Seen>) {
    let now = kernel.services.wall.uptime();
    let tasks: Vec<Arc<Task>> =
        tasks_of(kernel.id).into_iter().filter(|t| matches!(t.kind(), TaskKind::Timer | TaskKind::Worker)).collect();
    seen.retain(|id, _| tasks.iter().any(|t| t.id() == *id));
    for task in tasks {
        let (calls, switches) = (task.module_calls(), task.switches());
        if calls % 2 == 0 || task.state() != TaskState::Running || task.is_dead() {
            seen.remove(&task.id());
            continue;
        }
        let entry = seen.entry(task.id()).or_insert(Seen { calls, switches, since: now, reported: false });
        if entry.calls != calls || entry.switches != switches {
            *entry = Seen { calls, switches, since: now, reported: false };
        }
        let stuck = now.saturating_sub(entry.since);
        if !entry.reported && stuck >= kernel.softlockup_thresh {
            entry.reported = true;
            soft_lockup(kernel, &task, stuck);
        }
    }
}

/// Reports a stuck task and moves the timers off it.
fn soft_lockup(kernel: &Arc<KernelInner>, task: &Arc<Task>, stuck: Duration) {
    let sample = task.fault_slot().and_then(|slot| slot.sample(SAMPLE_BOUND));
    kernel.services.soft_lockup(task, stuck, sample.as_ref());
    if task.kind() == TaskKind::Timer {
        timer::leave_softirq(&kernel.services, task);
    }
}
