//! What a kernel process's end means, and the panic as the user sees it.
//!
//! The kernel ended on its own (it said so in the pstore before its exit
//! or its death by a signal, or a signal the user sent ended it: SIGINT,
//! SIGTERM, SIGHUP): its status is the command's. Anything else is a panic: the one the kernel recorded,
//! or, for a death with no message (SIGKILL from outside, the OOM killer,
//! `_exit`), one the supervisor writes itself, naming the signal or status.
//! The report is the log's last lines, ending with the panic line, and the
//! kernel's closing line:
//!
//! ```text
//! [    0.052114] panicmod: calling abort()
//! [    0.052177] Kernel panic - not syncing: abort() called from ... [panicmod]
//! [    0.061020] ---[ end Kernel panic - not syncing: abort() called from ... [panicmod] ]---
//! ```

use std::io::{self, Write};

use super::{signals, spawn::Ended};
use crate::debug::pstore::{PANIC_PREFIX, Pstore, State};

/// How many of the log's last lines the report shows.
pub(super) const TAIL_LINES: usize = 20;

/// What a kernel process's end means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It ended on its own, with this status.
    Ended(u8),
    /// It panicked, for this reason.
    Panicked(String),
}

/// Judges how the kernel process ended; a panic without a message gets
/// one in the pstore.
pub(super) fn judge(ended: Ended, pstore: &Pstore) -> Verdict {
    if let Some(message) = pstore.panic_message() {
        return Verdict::Panicked(message);
    }
    let why = match ended {
        Ended::Exited(status) if pstore.state() == State::ShuttingDown => {
            return Verdict::Ended(u8::try_from(status).unwrap_or(1));
        }
        Ended::Killed(signal) if pstore.state() == State::ShuttingDown || asked_for(signal) => {
            return Verdict::Ended(u8::try_from(128 + signal).unwrap_or(1));
        }
        Ended::Exited(status) => format!("kernel process exited with status {status}"),
        Ended::Killed(signal) => format!("kernel process killed by {}", signals::name(signal)),
    };
    pstore.panic(&why, true);
    Verdict::Panicked(pstore.panic_message().unwrap_or(why))
}

/// Whether `signal` is one a user sends to end a program (the kernel
/// process takes SIGINT and SIGTERM itself; SIGHUP is a terminal's end).
fn asked_for(signal: i32) -> bool {
    matches!(signal, libc::SIGINT | libc::SIGTERM | libc::SIGHUP)
}

/// Prints the log's last lines and the closing line of the panic.
pub(super) fn print(pstore: &Pstore, why: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut report = String::new();
    for line in pstore.tail(TAIL_LINES) {
        report.push_str(&line);
        report.push('\n');
    }
    let now = pstore.uptime();
    report.push_str(&format!("[{:5}.{:06}] ---[ end {PANIC_PREFIX}{why} ]---\n", now.as_secs(), now.subsec_micros()));
    out.write_all(report.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_end_the_kernel_announced_is_its_status() {
        let pstore = Pstore::create(4096).unwrap();
        pstore.shutting_down();
        assert_eq!(judge(Ended::Exited(3), &pstore), Verdict::Ended(3));
        assert_eq!(judge(Ended::Killed(libc::SIGTERM), &pstore), Verdict::Ended(143));
        assert_eq!(judge(Ended::Killed(libc::SIGSEGV), &pstore), Verdict::Ended(139), "a death on the way out");
        let pstore = Pstore::create(4096).unwrap();
        assert_eq!(judge(Ended::Killed(libc::SIGHUP), &pstore), Verdict::Ended(129), "the terminal went away");
    }

    #[test]
    fn a_death_without_a_message_is_a_panic_naming_it() {
        let pstore = Pstore::create(4096).unwrap();
        let verdict = judge(Ended::Killed(libc::SIGKILL), &pstore);
        assert_eq!(verdict, Verdict::Panicked("kernel process killed by SIGKILL".into()));
        assert!(pstore.tail(1)[0].ends_with("Kernel panic - not syncing: kernel process killed by SIGKILL"));
        let pstore = Pstore::create(4096).unwrap();
        let verdict = judge(Ended::Exited(0), &pstore);
        assert_eq!(verdict, Verdict::Panicked("kernel process exited with status 0".into()));
    }

    #[test]
    fn a_recorded_panic_wins_over_the_status() {
        let pstore = Pstore::create(4096).unwrap();
        pstore.panic("exit(0) called from f+0x5/0x10 [m]", false);
        assert_eq!(judge(Ended::Exited(0), &pstore), Verdict::Panicked("exit(0) called from f+0x5/0x10 [m]".into()));
    }

    #[test]
    fn the_report_ends_with_the_closing_line() {
        let pstore = Pstore::create(4096).unwrap();
        for n in 0..30 {
            pstore.append_line(Duration::ZERO, &format!("line {n}"));
        }
        pstore.panic("why", false);
        let mut out = Vec::new();
        print(&pstore, "why", &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), TAIL_LINES + 1);
        assert_eq!(lines[0], "[    0.000000] line 11");
        assert!(lines[TAIL_LINES - 1].ends_with("] Kernel panic - not syncing: why"));
        assert!(lines[TAIL_LINES].ends_with("] ---[ end Kernel panic - not syncing: why ]---"));
    }
}
