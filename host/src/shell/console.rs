//! The console: where kernel messages below the console level are printed as
//! they happen, and the terminal state to give back at the end.
//!
//! Without a prompt the console is [`plain`]: one line per record, on the
//! host's stdout when it is a terminal, else on its stderr, so that stdout
//! carries only command results and a script can parse them.
//! At the prompt it is a [`PromptConsole`]: records go to rustyline's
//! external printer, which prints them above the line being typed and
//! redraws that line. The printer may block (rustyline hands each message
//! over through a one-slot channel while it edits a line), and a module's
//! printk must never wait for the terminal, so the console sink only queues
//! the line and a thread of its own does the printing. After each command
//! the session waits for that queue to empty ([`PromptConsole::flush`]), so
//! a command's messages come before the next prompt, not above it.

use nix::sys::termios::{self, SetArg, Termios};
use rustyline::ExternalPrinter;
use std::{
    io::{self, Write},
    sync::mpsc::{self, Sender, SyncSender},
    thread::{self, JoinHandle},
    time::Duration,
};

use super::stdio;
use crate::{Kernel, services::printk::ConsoleSink};

/// A console that prints each record as a line: on stdout if it is a
/// terminal, else on stderr.
pub fn plain() -> ConsoleSink {
    let on_terminal = stdio::stdout_is_terminal();
    Box::new(move |record| {
        // One write per line, so that lines from several threads stay whole.
        let line = format!("{record}\n");
        let _ = if on_terminal {
            stdio::stdout().write_all(line.as_bytes())
        } else {
            stdio::stderr().write_all(line.as_bytes())
        };
    })
}

/// How long [`PromptConsole::flush`] waits for the terminal at most.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// The console beside the prompt; see the module docs.
#[derive(Debug)]
pub struct PromptConsole {
    thread: JoinHandle<()>,
    queue: Sender<Queued>,
}

/// What the console thread is handed.
enum Queued {
    /// A line to print.
    Line(String),
    /// Everything before has been printed: say so.
    Flush(SyncSender<()>),
}

impl PromptConsole {
    /// Makes `printer` the kernel's console; `None` (and the console left as
    /// it was) if no thread could be started for it.
    pub fn install<P: ExternalPrinter + Send + 'static>(kernel: &Kernel, mut printer: P) -> Option<PromptConsole> {
        let (queue, queued) = mpsc::channel::<Queued>();
        let thread = thread::Builder::new()
            .name("console".into())
            .spawn(move || {
                for item in queued {
                    match item {
                        Queued::Line(line) => {
                            if printer.print(line.clone()).is_err() {
                                let _ = stdio::stdout().write_all(line.as_bytes());
                            }
                        }
                        Queued::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            })
            .ok()?;
        let lines = queue.clone();
        kernel.printk().set_console(Some(Box::new(move |record| {
            // Outside raw mode the printer writes the text as it is, so the
            // line carries its own newline.
            let _ = lines.send(Queued::Line(format!("{record}\n")));
        })));
        Some(PromptConsole { thread, queue })
    }

    /// Waits (a second at most) until every line queued so far is printed.
    pub fn flush(&self) {
        let (done, printed) = mpsc::sync_channel(1);
        if self.queue.send(Queued::Flush(done)).is_ok() {
            let _ = printed.recv_timeout(FLUSH_TIMEOUT);
        }
    }

    /// Switches the kernel to the [`plain`] console and waits until every
    /// line queued for the prompt is printed.
    pub fn finish(self, kernel: &Kernel) {
        // Replacing the sink drops its sender, and with ours dropped too the
        // thread's loop ends once the queue is empty.
        kernel.printk().set_console(Some(plain()));
        drop(self.queue);
        let _ = self.thread.join();
    }
}

/// The terminal's settings before the line editor took it over, to give
/// back when the session ends while the editor holds it in raw mode.
#[derive(Debug, Clone)]
pub struct TerminalMode(Termios);

impl TerminalMode {
    /// Saves stdin's terminal settings; `None` if stdin is not a terminal.
    pub fn save() -> Option<TerminalMode> {
        termios::tcgetattr(io::stdin()).ok().map(TerminalMode)
    }

    /// Restores the saved settings (after pending output is written).
    pub fn restore(&self) {
        let _ = termios::tcsetattr(io::stdin(), SetArg::TCSADRAIN, &self.0);
    }
}
