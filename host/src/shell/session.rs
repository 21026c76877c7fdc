//! A session of the `modhost` binary: commands one at a time, and the end.
//!
//! Commands come from the prompt ([`super::repl`]), a script, a pipe or
//! `-c`; [`Session::run`] runs each one under the `busy` lock. The session
//! ends on EOF, `exit`, SIGTERM, or SIGINT outside the prompt, and ending
//! means [`Session::end`]: every module is unloaded, users before the
//! modules they use, with rmmod's guarantees (flush, cancel, a bounded exit),
//! then the kernel's threads stop.
//!
//! Signals are taken by a thread of their own (signal-hook), never by a
//! handler that could interrupt the kernel mid-way:
//!
//! - the first SIGTERM, or SIGINT in a script, ends the session from that
//!   thread: it asks the running command to stop ([`interrupt::terminate`]),
//!   waits for it under `busy`, unloads everything and exits with 128 plus
//!   the signal's number, as a shell reports it;
//! - at the prompt SIGINT (Ctrl-C while a command runs) only interrupts that
//!   command, like `dmesg -w`; Ctrl-C at the prompt itself is a key the line
//!   editor reads, and clears the line;
//! - any signal while the session is ending forces the unload: modules whose
//!   exit is stuck are removed as `rmmod -f` removes them.
//!
//! A running `sleep` or `dmesg -w` stops at once.

use parking_lot::Mutex;
use signal_hook::{
    consts::{SIGINT, SIGTERM},
    iterator::Signals,
};
use std::{
    io::{self, BufRead, Write},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

use super::{
    console::{PromptConsole, TerminalMode},
    exec::{Format, Outcome, run_line_as},
    interrupt, jobs,
    script::{self, Script},
    stdio,
};
use crate::{Kernel, services::printk::Level};

/// A running session; see the module docs.
#[derive(Debug)]
pub struct Session {
    kernel: Kernel,
    format: Format,
    /// Held while a command runs and while the session ends.
    busy: Mutex<()>,
    /// The session is ending: no command starts any more.
    ending: AtomicBool,
    /// Unload with `rmmod -f` semantics (a signal came while ending).
    force: AtomicBool,
    /// The running command was interrupted once (Ctrl-C at the prompt).
    interrupted: AtomicBool,
    /// The prompt's console, switched back to plain lines at the end.
    console: Mutex<Option<PromptConsole>>,
    /// The terminal as it was before the prompt, if the prompt runs.
    terminal: Mutex<Option<TerminalMode>>,
}

impl Session {
    /// A session over a booted kernel, printing results in `format`.
    pub fn new(kernel: Kernel, format: Format) -> Session {
        Session {
            kernel,
            format,
            busy: Mutex::new(()),
            ending: AtomicBool::new(false),
            force: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
            console: Mutex::new(None),
            terminal: Mutex::new(None),
        }
    }

    /// The kernel.
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// Starts the thread that takes SIGINT and SIGTERM; `prompt` tells
    /// whether SIGINT only interrupts the running command.
    ///
    /// # Errors
    ///
    /// If the handlers or the thread could not be set up.
    pub fn handle_signals(self: &Arc<Self>, prompt: bool) -> io::Result<()> {
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let session = Arc::clone(self);
        thread::Builder::new().name("signals".into()).spawn(move || {
            for signal in signals.forever() {
                session.on_signal(signal, prompt);
            }
        })?;
        Ok(())
    }

    /// Hands the session the prompt's console and the terminal's settings,
    /// to put back when it ends.
    pub fn attach_prompt(&self, console: Option<PromptConsole>, terminal: Option<TerminalMode>) {
        *self.console.lock() = console;
        *self.terminal.lock() = terminal;
    }

    /// Runs one line; `None` if the session is ending and it did not run.
    pub fn run(&self, line: &str, out: &mut dyn Write, err: &mut dyn Write) -> Option<Outcome> {
        let _busy = self.busy.lock();
        if self.ending.load(Ordering::SeqCst) {
            return None;
        }
        interrupt::reset();
        self.interrupted.store(false, Ordering::SeqCst);
        // As a shell does before its prompt: the jobs that ended meanwhile.
        jobs::report_done(err);
        let outcome = run_line_as(&self.kernel, line, self.format, out, err);
        // Module code may have closed fd 1 or 2 under the capture.
        stdio::restore();
        let _ = out.flush();
        if let Some(console) = &*self.console.lock() {
            console.flush();
        }
        Some(outcome)
    }

    /// Runs every line of `input`; stops early at `exit`, when the session
    /// ends, or at the first failure with `errexit` (see [`script::run_lines`]).
    pub fn run_script(&self, input: impl BufRead, out: &mut dyn Write, err: &mut dyn Write, errexit: bool) -> Script {
        script::run_lines(input, out, err, errexit, |line, out, err| self.run(line, out, err))
    }

    /// Ends the session: waits for the running command, unloads every
    /// module that can be unloaded, stops the kernel; returns whether every
    /// module was unloaded. If the session is already ending (a signal came
    /// first), waits for that to exit the process.
    pub fn end(&self) -> bool {
        if self.ending.swap(true, Ordering::SeqCst) {
            loop {
                thread::park();
            }
        }
        interrupt::terminate();
        let _busy = self.busy.lock();
        // Background jobs hold files open, and with them their modules.
        jobs::stop_all(JOBS_STOP_BOUND);
        self.unload_all().is_empty()
    }

    fn on_signal(self: &Arc<Self>, signal: i32, prompt: bool) {
        let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
        if self.ending.load(Ordering::SeqCst) {
            self.give_up_soon(name, signal);
            return;
        }
        let again = prompt && signal == SIGINT && self.interrupted.swap(true, Ordering::SeqCst);
        if prompt && signal == SIGINT && !again {
            interrupt::interrupt();
            return;
        }
        if self.ending.swap(true, Ordering::SeqCst) {
            return;
        }
        if again {
            // Ctrl-C twice on a command that does not stop: end for good.
            self.give_up_soon(name, signal);
        }
        interrupt::terminate();
        // The unload runs on a thread of its own, so that this one is free
        // to take the next signal, the one that forces it.
        let session = Arc::clone(self);
        let ending = thread::Builder::new().name("shutdown".into()).spawn(move || session.end_on_signal(name, signal));
        if ending.is_err() {
            self.end_on_signal(name, signal);
        }
    }

    /// The end of a session a signal ended: unload, then exit as a shell
    /// reports a signal.
    fn end_on_signal(&self, name: &str, signal: i32) {
        let _busy = self.busy.lock();
        if let Some(terminal) = self.terminal.lock().take() {
            // The line editor still has the terminal in raw mode, on a
            // half-typed line; give the terminal back, start a new line, and
            // print the unload's messages as plain lines from here on.
            terminal.restore();
            let _ = writeln!(stdio::stdout());
            if let Some(console) = self.console.lock().take() {
                console.finish(&self.kernel);
            }
        }
        self.kernel.printk().log(Level::Notice, &format!("modhost: {name}: unloading every module"));
        jobs::stop_all(JOBS_STOP_BOUND);
        let _left = self.unload_all();
        stdio::flush();
        crate::debug::panic::shutting_down();
        std::process::exit(128 + signal);
    }

    /// A signal while the session ends: force the unload, and if it has
    /// not ended within a second, exit anyway, naming what is abandoned.
    fn give_up_soon(self: &Arc<Self>, name: &'static str, signal: i32) {
        if self.force.swap(true, Ordering::SeqCst) {
            return;
        }
        self.kernel.printk().log(Level::Warning, &format!("modhost: {name}: forcing the unload"));
        self.kernel.kill_stuck_modules();
        let session = Arc::clone(self);
        let deadline = thread::Builder::new().name("give-up".into()).spawn(move || {
            thread::sleep(GIVE_UP_AFTER);
            session.abandon(name, signal);
        });
        if deadline.is_err() {
            self.abandon(name, signal);
        }
    }

    /// Exits now, with what is still loaded and still running.
    fn abandon(&self, name: &str, signal: i32) -> ! {
        if let Some(terminal) = self.terminal.lock().take() {
            terminal.restore();
        }
        let left: Vec<String> = self
            .kernel
            .lsmod()
            .into_iter()
            .map(|m| format!("{} ({})", m.name, m.state.proc_name().to_lowercase()))
            .collect();
        let what = if left.is_empty() { "the running command".to_string() } else { left.join(", ") };
        self.kernel.printk().log(Level::Emerg, &format!("modhost: {name} again: exiting now, abandoning {what}"));
        stdio::flush();
        crate::debug::panic::shutting_down();
        std::process::exit(128 + signal);
    }

    /// Unloads every module that can be unloaded, newest unused first, then
    /// stops the kernel's threads; returns the modules left loaded. Called
    /// with `busy` held.
    fn unload_all(&self) -> Vec<String> {
        if let Some(console) = self.console.lock().take() {
            console.finish(&self.kernel);
        }
        let left = self.kernel.unload_all(&|| self.force.load(Ordering::SeqCst));
        self.kernel.stop_threads();
        left
    }
}

/// How long the end of a session waits for the background jobs it stops.
const JOBS_STOP_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a second signal lets the ending session go on before it exits.
const GIVE_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
