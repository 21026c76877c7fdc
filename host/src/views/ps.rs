//! ps: the kernel's tasks, with the module each one belongs to; and kill,
//! which sends one of them a signal.
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
//! `kill -SIGNAL PID` reaches a task only if it allows the signal
//! (`allow_signal`); kernel threads ignore SIGKILL and SIGSTOP (see
//! `services::task`).
//!
//! Kernel counterpart: `/proc/PID/stat`, `wchan`; procps's `ps`;
//! `kill(2)`.

use modhost_abi::errno::Errno;

use crate::{
    Error, ErrorKind,
    kernel::Kernel,
    services::task::{SignalError, TaskKind, task_of, tasks_of},
};

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
    /// A kernel thread (a worker, a kthread, the timer thread, a daemon),
    /// which `ps` shows in brackets; the others run for a command (the
    /// prompt, insmod, cat).
    pub kernel_thread: bool,
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
                kernel_thread: !matches!(t.kind(), TaskKind::User | TaskKind::Caller),
            })
            .collect()
    }
}

impl Kernel {
    /// `kill -SIGNAL PID`: sends `signal` to the kernel's task `pid`; a
    /// task that ignores it is not an error (see the module docs), and
    /// signal 0 only checks that the task exists.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchProcess`] (`ESRCH`) for no task of this kernel
    /// with that pid; [`ErrorKind::InvalidSignal`] for no such signal
    /// (`EINVAL`) or a task that is not the kernel's own (`EPERM`: a
    /// thread that calls into it, as the prompt).
    pub fn kill(&self, pid: u64, signal: u32) -> Result<(), Error> {
        let subject = pid.to_string();
        let Some(task) = task_of(self.inner.id, pid) else {
            return Err(Error::new(ErrorKind::NoSuchProcess, Errno::ESRCH, subject, "no such process"));
        };
        match task.send_signal(signal) {
            Ok(_) => Ok(()),
            Err(SignalError::Invalid) => {
                Err(Error::new(ErrorKind::InvalidSignal, Errno::EINVAL, subject, format!("invalid signal {signal}")))
            }
            Err(SignalError::NotPermitted) => {
                Err(Error::new(ErrorKind::InvalidSignal, Errno::EPERM, subject, "not a kernel task"))
            }
        }
    }
}

/// The signals by name, numbered as on x86 Linux (`SIGHUP` is 1).
const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
    "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",
    "PWR", "SYS",
];

/// A signal as `kill` takes it: a number (`2`), a name (`INT`, `SIGINT`,
/// any case); `None` for no such signal.
pub fn signal_number(spec: &str) -> Option<u32> {
    if let Ok(number) = spec.parse::<u32>() {
        return (number <= 64).then_some(number);
    }
    let upper = spec.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let index = SIGNALS.iter().position(|s| *s == name)?;
    u32::try_from(index + 1).ok()
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
            if e.kernel_thread { format!("[{}]", e.command) } else { e.command.clone() },
            e.wchan.as_deref().unwrap_or("")
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_threads_are_shown_in_brackets() {
        let entry = |command: &str, kernel_thread| PsEntry {
            pid: 4,
            tid: 100,
            state: 'I',
            module: None,
            command: command.to_string(),
            wchan: None,
            kernel_thread,
        };
        let text = format_ps(&[entry("kworker/u0:0", true), entry("insmod", false)]);
        assert!(text.lines().nth(1).unwrap().ends_with(" [kworker/u0:0]"), "{text}");
        assert!(text.lines().nth(2).unwrap().ends_with(" insmod"), "{text}");
    }

    #[test]
    fn signals_by_number_and_by_name() {
        assert_eq!(signal_number("2"), Some(2));
        assert_eq!(signal_number("INT"), Some(2));
        assert_eq!(signal_number("sigkill"), Some(9));
        assert_eq!(signal_number("SYS"), Some(31));
        assert_eq!(signal_number("0"), Some(0));
        assert_eq!(signal_number("65"), None);
        assert_eq!(signal_number("FOO"), None);
    }
}
