//! The supervisor: what the kernel process cannot survive, the command
//! line survives.
//!
//! `abort()`, `exit()` called by module code, a fault in the host's own
//! code, a panic while panicking, a failed allocation: none of these can be
//! caught inside the process they happen in. So the `modhost` binary runs
//! its kernel in a child process ([`supervise`]) and waits for it. The
//! child inherits the terminal and stdio and runs the session as it would
//! alone: commands and their output never pass through the supervisor, and
//! the prompt is as fast as without it. The two share one region of memory,
//! the [`pstore`], where the kernel mirrors its log and
//! its [panic paths](crate::debug::panic) record why it died.
//!
//! When the kernel process dies, the supervisor gives the terminal its
//! settings back and prints the log's last lines, ending with
//! `Kernel panic - not syncing: <why>` and `---[ end Kernel panic - not
//! syncing: <why> ]---` ([`report`]). Then:
//!
//! - at the prompt, its own prompt ([`prompt`]) offers `reboot`, which
//!   starts a fresh kernel: the history file is the same, and the new
//!   kernel's `/sys/fs/pstore/dmesg-ramoops-0` holds the old log;
//! - otherwise (`-c`, `--script`, a pipe) the command ends with
//!   [`PANIC_EXIT_STATUS`], as it does when the user leaves the panic
//!   prompt without a `reboot`.
//!
//! The parts: [`spawn`] forks the kernel and waits for it, [`signals`]
//! passes signals on and keeps the terminal's settings, [`report`] judges
//! an end and prints a panic, [`prompt`] is the prompt after one.
//!
//! A [`Kernel`] used as a library has none of this: an `abort()` or `exit()`
//! in module code ends the process that hosts it, as it would any program.

mod prompt;
mod report;
mod signals;
mod spawn;

use std::{
    io::{self, Write},
    path::PathBuf,
    process::ExitCode,
};

use crate::{
    Kernel,
    debug::{panic, pstore},
};

/// The exit status of a session whose kernel panicked: sysexits'
/// `EX_SOFTWARE`, an internal software error, apart from the statuses of
/// commands (0, 1, 2) and of signals (128 + N).
pub const PANIC_EXIT_STATUS: u8 = 70;

/// How the supervisor runs the session.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The session is the prompt: after a panic, offer `reboot`.
    pub interactive: bool,
    /// The prompt's history file, shared with the kernel's prompt.
    pub history: Option<PathBuf>,
}

/// Runs `kernel_main` in a kernel process and returns its exit status; after
/// a panic, prints it and, at the prompt, offers a fresh kernel. Call it
/// first thing, while the process has one thread: `kernel_main` runs in
/// forked children, once per boot.
pub fn supervise(settings: &Settings, mut kernel_main: impl FnMut() -> u8) -> ExitCode {
    let pstore = match pstore::Pstore::create(pstore::RING_BYTES) {
        Ok(region) => pstore::install(region),
        Err(e) => {
            let _ = writeln!(io::stderr(), "modhost: warning: no supervisor, a panic ends everything: {e}");
            return ExitCode::from(kernel_main());
        }
    };
    signals::save_terminal();
    if let Err(e) = signals::install() {
        let _ = writeln!(io::stderr(), "modhost: warning: signals reach the supervisor only: {e}");
    }
    loop {
        let ended = match spawn::start(&mut kernel_main).and_then(spawn::wait) {
            Ok(ended) => ended,
            Err(e) => {
                let _ = writeln!(io::stderr(), "modhost: cannot run the kernel: {e}");
                return ExitCode::FAILURE;
            }
        };
        let why = match report::judge(ended, pstore) {
            report::Verdict::Ended(status) => return ExitCode::from(status),
            report::Verdict::Panicked(why) => why,
        };
        signals::restore_terminal();
        let _ = report::print(pstore, &why, &mut io::stderr());
        if !settings.interactive || prompt::run(pstore, settings.history.as_deref()) == prompt::Choice::Leave {
            return ExitCode::from(PANIC_EXIT_STATUS);
        }
        pstore.keep_for_next_boot();
    }
}

/// Tells the panic paths of a supervised kernel process about the kernel
/// it booted: they name its modules' code and stamp lines on its clock.
/// Does nothing in a process the supervisor did not start.
pub fn kernel_booted(kernel: &Kernel) {
    panic::attach(&kernel.inner.services);
}
