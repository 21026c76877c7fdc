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
//! kernel's [`Services`], so that all of them look alike.
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

/// `"1 task"`, `"2 tasks"`.
pub(crate) fn n_tasks(n: usize) -> String {
    if n == 1 { "1 task".to_string() } else { format!("{n} tasks") }
}

/// The CPU the calling thread runs on.
fn current_cpu() -> i32 {
    // SAFETY: `sched_getcpu` has no preconditions; it returns -1 on failure.
    unsafe { libc::sched_getcpu() }.max(0)
}
