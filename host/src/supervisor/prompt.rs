//! The prompt after a panic: the supervisor's own, until `reboot`.
//!
//! It looks like the kernel's prompt (`modhost# `, the same history file)
//! and knows three commands: `reboot` starts a fresh kernel, `dmesg` prints
//! the log the dead kernel left in the pstore, `exit` (or Ctrl-D) leaves.
//! Anything else says, in one line, what happened and what to type. The
//! line editor is made and dropped here, before the next fork: it starts
//! no thread, so the supervisor stays single-threaded.

use rustyline::{Behavior, Config, DefaultEditor, error::ReadlineError};
use std::{
    io::{self, Write},
    path::Path,
};

use crate::{debug::pstore::Pstore, shell::repl::PROMPT};

/// What the user chose at the panic prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    /// Start a fresh kernel.
    Reboot,
    /// Leave.
    Leave,
}

/// The line every other command gets.
const PANICKED: &str = "the kernel panicked: reboot starts a fresh one (dmesg shows its log, exit leaves)";

/// Reads commands until `reboot`, `exit` or EOF.
pub(super) fn run(pstore: &Pstore, history: Option<&Path>) -> Choice {
    let mut err = io::stderr();
    let _ = writeln!(err, "modhost: {PANICKED}");
    let config = Config::builder().auto_add_history(false).behavior(Behavior::PreferTerm).build();
    let mut editor = match DefaultEditor::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            let _ = writeln!(err, "modhost: cannot start the prompt: {e}");
            return Choice::Leave;
        }
    };
    if let Some(path) = history {
        // A missing or unreadable history costs nothing here: the kernel's
        // prompt has said so already.
        let _ = editor.load_history(path);
    }
    loop {
        let line = match editor.readline(PROMPT) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => {
                let _ = writeln!(io::stdout());
                return Choice::Leave;
            }
            Err(e) => {
                let _ = writeln!(err, "modhost: {e}");
                return Choice::Leave;
            }
        };
        remember(&mut editor, history, &line);
        match line.trim() {
            "" => {}
            "reboot" => return Choice::Reboot,
            "exit" => return Choice::Leave,
            "dmesg" => {
                let _ = io::stdout().write_all(pstore.text().as_bytes());
            }
            other => {
                let command = other.split_whitespace().next().unwrap_or(other);
                let _ = writeln!(err, "{command}: {PANICKED}");
            }
        }
    }
}

/// Adds `line` to the history and its file, as the kernel's prompt does.
fn remember(editor: &mut DefaultEditor, history: Option<&Path>, line: &str) {
    if line.trim().is_empty() || !editor.add_history_entry(line).unwrap_or(false) {
        return;
    }
    if let Some(path) = history {
        let _ = editor.append_history(path);
    }
}
