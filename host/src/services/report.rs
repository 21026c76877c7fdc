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
//! Kernel counterpart: `kernel/panic.c` (`__warn`, `print_tainted`),
//! `arch/x86/kernel/dumpstack.c` (`__die`), `kernel/sched/core.c`
//! (`__might_sleep`), `kernel/hung_task.c`.

use std::{sync::Arc, time::Duration};

use super::{printk::Level, task::Task};
use crate::{kernel::KernelInner, loader::Module, taint::TaintFlag};

impl KernelInner {
    /// A panic in `module`'s code: taints `D` (the kernel and the module).
    pub(crate) fn oops(&self, module: &Module, text: &str) {
        self.taint.add(TaintFlag::Die);
        module.taints.add(TaintFlag::Die);
        self.log(Level::Alert, &format!("Oops: {}: {text}", module.name));
        self.report_context(Level::Alert);
    }

    /// `WARN`: a warning with its site; taints `W` (the kernel and the module).
    pub(crate) fn warn(&self, module: Option<&Module>, site: &str, text: &str) {
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
        self.log(Level::Warning, "---[ end trace ]---");
    }

    /// `BUG: sleeping function called from invalid context`, from `might_sleep`.
    pub(crate) fn bug_sleeping(&self, module: Option<&Module>, site: &str, call: &str) {
        self.taint.add(TaintFlag::Warn);
        if let Some(m) = module {
            m.taints.add(TaintFlag::Warn);
        }
        let task = Task::current();
        let owner = module.map(|m| format!(" [{}]", m.name)).unwrap_or_default();
        self.log(Level::Err, &format!("BUG: sleeping function called from invalid context at {site}{owner}"));
        self.log(
            Level::Err,
            &format!("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: {}, name: {}", task.id(), task.name()),
        );
        self.log(Level::Err, &format!("{call} in a timer callback: the timer thread moves on, this callback sleeps"));
        self.report_context(Level::Err);
    }

    /// `INFO: task ... blocked for more than N seconds`, from the hung-task detector.
    pub(crate) fn report_hung(&self, task: &Arc<Task>, blocked: Duration, site: &str) {
        let module = task.context().map(|c| format!(" [{}]", c.name)).unwrap_or_default();
        self.log(
            Level::Err,
            &format!("INFO: task {}:{} blocked for more than {} seconds.", task.name(), task.id(), blocked.as_secs()),
        );
        self.log(Level::Err, &format!("      Tainted: {}", self.taint));
        self.log(Level::Err, &format!("task:{} state:D at {site}{module}", task.name()));
    }

    /// The lines every report ends with: the task, the taint, the modules.
    fn report_context(&self, level: Level) {
        let task = Task::current();
        self.log(
            level,
            &format!("CPU: {} PID: {} Comm: {} Tainted: {}", current_cpu(), task.id(), task.name(), self.taint),
        );
        if let Some(modules) = self.modules.try_lock_for(Duration::from_millis(100)) {
            let linked: Vec<String> = modules
                .visible()
                .map(|m| match m.flags() {
                    flags if flags.is_empty() => m.name.clone(),
                    flags => format!("{}({flags})", m.name),
                })
                .collect();
            let last = modules.last_unloaded.as_ref().map(|l| format!(" [last unloaded: {l}]")).unwrap_or_default();
            self.log(level, &format!("Modules linked in: {}{last}", linked.join(" ")));
        }
    }
}

/// The CPU the calling thread runs on.
fn current_cpu() -> i32 {
    // SAFETY: `sched_getcpu` has no preconditions; it returns -1 on failure.
    unsafe { libc::sched_getcpu() }.max(0)
}
