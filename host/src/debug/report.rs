//! The kernel's reports of things going wrong: Oops, WARN, BUG and INFO.
//!
//! Each report is a few dmesg lines in the kernel's shape, naming the task
//! (`PID` is the task's id, `Comm` its name), the taint flags and the
//! modules linked in, so a user reading dmesg sees what happened where:
//!
//! ```text
//! Oops: testmod: panicked at src/lib.rs:61:13: init_panic was set
//! CPU: 1 PID: 3 Comm: modhost Tainted: D
//! Modules linked in: gpluser(+) testmod(D)
//! ```
//!
//! Every report of the services goes through here, as methods of the
//! kernel's [`Services`], so that all of them look alike; and the one list
//! of the lines that begin a report ([`is_report_head`]), kmemleak's
//! ([`is_leak_report`]) and the hung-task detector's
//! ([`is_hung_task_report`]), which whoever reads a log for trouble (`modhost
//! check`, the soak) asks, so that a new report is added in one place.
//!
//! Kernel counterpart: `kernel/panic.c` (`__warn`, `print_tainted`),
//! `arch/x86/kernel/dumpstack.c` (`__die`), `kernel/sched/core.c`
//! (`__might_sleep`), `kernel/hung_task.c`.

use std::{sync::Arc, time::Duration};

use crate::{
    services::{Services, printk::Level, record::ModuleRecord, task::Task},
    taint::TaintFlag,
};

impl Services {
    /// A panic in `module`'s code: taints `D` (the kernel and the module).
    pub(crate) fn oops(&self, module: &ModuleRecord, text: &str) {
        module.taint(TaintFlag::Die);
        self.log(Level::Alert, &format!("Oops: {}: {text}", module.name));
        self.report_context(Level::Alert);
    }

    /// `WARN`: a warning with its site; taints `W` (the kernel and the module).
    pub(crate) fn warn(&self, module: Option<&ModuleRecord>, site: &str, text: &str) {
        self.taint.add(TaintFlag::Warn);
        let owner = match module {
            Some(m) => {
                m.taints.add(TaintFlag::Warn);
                format!(" [{}]", m.name)
            }
            None => String::new(),
        };
        let at = if site.is_empty() { String::new() } else { format!(" at {site}") };
        self.log(Level::Warning, "------------[ cut here ]------------");
        self.log(Level::Warning, &format!("WARNING:{at}{owner}: {text}"));
        self.report_context(Level::Warning);
        self.warn_trace(Level::Warning);
        self.log(Level::Warning, "---[ end trace ]---");
    }

    /// A timer or work item (`what`) re-arming itself at `site` from the
    /// run a plain cancel did not wait for (`why`): it fires again after
    /// the cancel, maybe after its module is gone.
    pub(crate) fn report_rearm_after_cancel(&self, module: &ModuleRecord, what: &str, site: &str, why: &str) {
        let text = format!("{what} re-armed itself after a cancel: {why}");
        self.warn(Some(module), site, &text);
    }

    /// A bug of the host itself (a panic in a service), caught by the entry
    /// layer: a WARN with the backtrace, so it can be reported and fixed.
    pub(crate) fn host_bug(&self, module: Option<&ModuleRecord>, site: &str, text: &str, backtrace: &str) {
        self.warn(module, site, &format!("modhost: BUG in {text}; the call fails"));
        for line in backtrace.lines().filter(|l| !l.trim().is_empty()) {
            self.log(Level::Warning, &format!(" {line}"));
        }
    }

    /// `BUG: sleeping function called from invalid context`, from `might_sleep`.
    pub(crate) fn bug_sleeping(&self, module: Option<&ModuleRecord>, task: &Task, site: &str, call: &str) {
        self.taint.add(TaintFlag::Warn);
        if let Some(m) = module {
            m.taints.add(TaintFlag::Warn);
        }
        let owner = module.map(|m| format!(" [{}]", m.name)).unwrap_or_default();
        self.log(Level::Err, &format!("BUG: sleeping function called from invalid context at {site}{owner}"));
        self.log(
            Level::Err,
            &format!("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: {}, name: {}", task.id(), task.name()),
        );
        let context = crate::services::task::atomic_context().unwrap_or("atomic context");
        let after =
            if context == "a timer callback" { ": the timer thread moves on, this callback sleeps" } else { "" };
        self.log(Level::Err, &format!("{call} in {context}{after}"));
        self.report_context(Level::Err);
    }

    /// `INFO: task ... blocked for more than N seconds`, from the hung-task
    /// detector and from an rmmod whose exit does not return.
    pub(crate) fn report_hung(&self, task: &Arc<Task>, blocked: Duration, site: &str) {
        self.report_blocked(task, &format!("{}", blocked.as_secs()), site);
    }

    /// The hung-task report for a wait of `seconds` (as text: rmmod's bound
    /// may be a fraction).
    pub(crate) fn report_blocked(&self, task: &Task, seconds: &str, site: &str) {
        let module = task.context().map(|c| format!(" [{}]", c.name)).unwrap_or_default();
        self.log(
            Level::Err,
            &format!("INFO: task {}:{} blocked for more than {seconds} seconds.", task.name(), task.id()),
        );
        self.log(Level::Err, &format!("      Tainted: {}", self.taint));
        self.log(Level::Err, &format!("task:{} state:D at {site}{module}", task.name()));
    }

    /// The lines every report ends with: the task, the taint, the modules.
    fn report_context(&self, level: Level) {
        self.report_task(level);
        if let Some(linked) = self.linked_in() {
            self.log(level, &format!("Modules linked in: {linked}"));
        }
    }
}

impl Services {
    /// The calling task's line: CPU, PID, name, taint.
    pub(crate) fn report_task(&self, level: Level) {
        let task = Task::current();
        self.log(
            level,
            &format!("CPU: {} PID: {} Comm: {} Tainted: {}", current_cpu(), task.id(), task.name(), self.taint),
        );
    }
}

/// The first words of the kernel's reports of something gone wrong, as a
/// record's text begins: `BUG:` (KASAN's and might_sleep's too), `WARNING:`,
/// an Oops, debugobjects, the hung-task detector, the soft-lockup watchdog,
/// a panic and the native faults' first lines.
const REPORT_HEADS: [&str; 10] = [
    "BUG:",
    "WARNING:",
    "Oops",
    "ODEBUG:",
    "INFO: task",
    "watchdog: BUG: soft lockup",
    "Kernel panic",
    "general protection fault",
    "divide error",
    "invalid opcode",
];

/// modhost's own diagnostics of a bug the kernel would not report, found
/// after the module's name (`busy_rate: a work item re-arms itself ...`).
const DIAGNOSTICS: [&str; 1] = ["re-arms itself with a delay of 0"];

/// Whether a log line begins a report of something gone wrong (kmemleak's
/// are apart: [`is_leak_report`]).
pub fn is_report_head(line: &str) -> bool {
    REPORT_HEADS.iter().any(|head| line.starts_with(head)) || DIAGNOSTICS.iter().any(|d| line.contains(d))
}

/// Whether a log line is kmemleak's: an object a module never freed, or the count.
pub fn is_leak_report(line: &str) -> bool {
    line.starts_with("unreferenced object ") || line.starts_with("kmemleak:")
}

/// Whether a log line is the hung-task detector's `INFO: task ... blocked`.
pub fn is_hung_task_report(line: &str) -> bool {
    line.starts_with("INFO: task ") && line.contains(" blocked for more than ")
}

/// `"1 task"`, `"2 tasks"`.
pub(crate) fn n_tasks(n: usize) -> String {
    if n == 1 { "1 task".to_string() } else { format!("{n} tasks") }
}

/// The CPU the calling thread runs on.
fn current_cpu() -> i32 {
    // SAFETY: `sched_getcpu` has no preconditions; it returns -1 on failure.
    unsafe { libc::sched_getcpu() }.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_heads_are_told_from_ordinary_lines() {
        let heads = [
            "BUG: KASAN: slab-out-of-bounds in kfree at oob.c:19 [oob]",
            "WARNING: at wq.c:3 [wq]: workqueue: cannot queue work item on wq x",
            "Oops: testmod: panicked at src/lib.rs:61:13: init_panic was set",
            "ODEBUG: free active (active state 0) object: 00007f hint: made at t.c:16 [t]",
            "INFO: task rmmod:7 blocked for more than 5 seconds.",
            "watchdog: BUG: soft lockup - CPU#0 stuck for 20s! [ktimers/0:5]",
            "divide error: 0000 [#1] SMP",
            "busy_rate: a work item re-arms itself with a delay of 0 jiffies at busy_rate.c:18: ...",
        ];
        assert!(heads.iter().all(|l| is_report_head(l)), "{heads:?}");
        let ordinary =
            ["fifo: ready with 8 slots", "producer: BUG counter at 3", "kmemleak: 1 new suspected memory leaks"];
        assert!(!ordinary.iter().any(|l| is_report_head(l)), "{ordinary:?}");
        assert!(is_leak_report("unreferenced object 00007fa778003fc0 (size 96):"));
        assert!(is_leak_report("kmemleak: 1 new suspected memory leaks"));
        assert!(!is_leak_report("fifo: 3 put, 3 got, 0 left"));
        assert!(is_hung_task_report(heads[4]) && !is_hung_task_report(heads[0]));
    }
}
