//! ps: the kernel's tasks, with the module each one belongs to.
//!
//! ```text
//!   PID STAT MODULE       COMMAND          WCHAN
//!     3 S    -            modhost
//!     9 I    fifo         kworker/u1:0
//!    11 S    producer     kworker/u2:0     producer-plugin/src/lib.rs:80:13
//!    12 I    -            khungtaskd
//! ```
//!
//! `STAT` is `R` (running), `S` (sleeping, interruptible), `D` (sleeping
//! uninterruptibly), `I` (idle); `MODULE` is the module whose code the task
//! runs now, or that owns the thread; `WCHAN` is where in a module's source
//! the task sleeps.
//!
//! Kernel counterpart: `/proc/PID/stat`, `wchan`; procps's `ps`.

use crate::{kernel::Kernel, services::task::tasks_of};

/// One task as ps shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsEntry {
    /// The task's id.
    pub pid: u64,
    /// The OS thread id.
    pub tid: i32,
    /// `R`, `S`, `D` or `I`.
    pub state: char,
    /// The module it runs or belongs to, if any.
    pub module: Option<String>,
    /// The task's name.
    pub command: String,
    /// Where it sleeps, if in a module's code.
    pub wchan: Option<String>,
}

impl Kernel {
    /// The kernel's tasks, oldest first.
    pub fn ps(&self) -> Vec<PsEntry> {
        tasks_of(self.inner.id)
            .into_iter()
            .map(|t| PsEntry {
                pid: t.id(),
                tid: t.tid(),
                state: t.state().letter(),
                module: t.context().map(|c| c.name.to_string()).or_else(|| t.owner().map(|o| o.to_string())),
                command: t.name(),
                wchan: t.wait_site().map(|(site, _)| site),
            })
            .collect()
    }
}

/// ps's output.
pub fn format_ps(entries: &[PsEntry]) -> String {
    let mut out = format!("{:>5} {:>7} {:<4} {:<12} {:<16} {}\n", "PID", "TID", "STAT", "MODULE", "COMMAND", "WCHAN");
    for e in entries {
        let line = format!(
            "{:>5} {:>7} {:<4} {:<12} {:<16} {}",
            e.pid,
            e.tid,
            e.state,
            e.module.as_deref().unwrap_or("-"),
            e.command,
            e.wchan.as_deref().unwrap_or("")
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
