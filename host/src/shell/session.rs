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
//! A running `sleep` or `dmesg -w` stops within a tenth of a second.

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
    exec::{Flow, Format, Outcome, run_line_as},
    interrupt,
    script::Script,
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
        let outcome = run_line_as(&self.kernel, line, self.format, out, err);
        let _ = out.flush();
        if let Some(console) = &*self.console.lock() {
            console.flush();
        }
        Some(outcome)
    }

    /// Runs every line of `input`; stops early at `exit`, when the session
    /// ends, or at the first failure with `errexit`.
    pub fn run_script(&self, input: impl BufRead, out: &mut dyn Write, err: &mut dyn Write, errexit: bool) -> Script {
        let mut ok = true;
        for line in input.lines() {
            let Ok(line) = line else {
                let _ = writeln!(err, "modhost: input is not valid UTF-8");
                return Script { ok: false, exit: None };
            };
            let Some(outcome) = self.run(&line, out, err) else { break };
            ok &= outcome.ok;
            if let Flow::Exit(status) = outcome.flow {
                return Script { ok, exit: Some(status) };
            }
            if errexit && !outcome.ok {
                break;
            }
        }
        Script { ok, exit: None }
    }

    /// Ends the session: waits for the running command, unloads every
    /// module, stops the kernel. If the session is already ending (a signal
    /// came first), waits for that to exit the process.
    pub fn end(&self) {
        if self.ending.swap(true, Ordering::SeqCst) {
            loop {
                thread::park();
            }
        }
        interrupt::terminate();
        let _busy = self.busy.lock();
        self.unload_all();
    }

    fn on_signal(self: &Arc<Self>, signal: i32, prompt: bool) {
        let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
        if self.ending.load(Ordering::SeqCst) {
            if !self.force.swap(true, Ordering::SeqCst) {
                self.kernel.printk().log(Level::Warning, &format!("modhost: {name}: forcing the unload"));
            }
            return;
        }
        if prompt && signal == SIGINT {
            interrupt::interrupt();
            return;
        }
        if self.ending.swap(true, Ordering::SeqCst) {
            return;
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
            println!();
            if let Some(console) = self.console.lock().take() {
                console.finish(&self.kernel);
            }
        }
        self.kernel.printk().log(Level::Notice, &format!("modhost: {name}: unloading every module"));
        self.unload_all();
        let _ = io::stdout().flush();
        std::process::exit(128 + signal);
    }

    /// Unloads every module, newest unused first, then stops the kernel's
    /// threads. Called with `busy` held.
    fn unload_all(&self) {
        if let Some(console) = self.console.lock().take() {
            console.finish(&self.kernel);
        }
        while let Some(name) = self.next_unused_module() {
            let forced = self.force.load(Ordering::SeqCst);
            let result = if forced { self.kernel.rmmod_force(&name) } else { self.kernel.rmmod(&name) };
            let Err(e) = result else { continue };
            // A signal during a stuck exit asks for the forced unload: retry.
            if !forced && self.force.load(Ordering::SeqCst) {
                continue;
            }
            self.kernel.printk().log(Level::Err, &format!("modhost: shutdown: {e}"));
            break;
        }
        self.kernel.shutdown();
    }

    /// A loaded module no other module uses, newest first.
    fn next_unused_module(&self) -> Option<String> {
        self.kernel.lsmod().into_iter().find(|m| m.holders.is_empty()).map(|m| m.name)
    }
}
