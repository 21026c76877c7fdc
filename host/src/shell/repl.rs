//! The prompt: `modhost# ` with line editing, history, completion and hints,
//! and the kernel log printed above it as it happens.
//!
//! rustyline edits the line. Ctrl-C clears it, Ctrl-D on an empty line ends
//! the session. Every line typed is appended to the history file as soon as
//! it is entered, so a session ended by a signal keeps its history; a
//! history file that cannot be read or written costs one warning, never the
//! session. Completion and hints are [`super::complete`]'s.

use rustyline::{
    Behavior, CompletionType, Config, Context, Editor, Helper,
    completion::{Completer, Pair},
    error::ReadlineError,
    highlight::Highlighter,
    hint::{Hinter, HistoryHinter},
    history::DefaultHistory,
    validate::Validator,
};
use std::{
    borrow::Cow,
    io::{self, LineWriter, Write},
    path::Path,
};

use super::{
    complete,
    console::{PromptConsole, TerminalMode},
    exec::Flow,
    script::Script,
    session::Session,
    stdio,
};
use crate::Kernel;

/// The prompt.
pub const PROMPT: &str = "modhost# ";

/// Reads and runs lines at the prompt until EOF or `exit`; `history` is the
/// history file, if any.
pub fn run_repl(session: &Session, history: Option<&Path>) -> Script {
    // The terminal itself, not fds 0 and 1: fd 1 is the capture's pipe
    // (`super::stdio`).
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .behavior(Behavior::PreferTerm)
        .build();
    let mut editor = match Editor::<ShellHelper<'_>, DefaultHistory>::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            let _ = writeln!(stdio::stderr(), "modhost: cannot start the prompt: {e}");
            return Script { ok: false, exit: Some(1) };
        }
    };
    editor.set_helper(Some(ShellHelper { kernel: session.kernel(), history: HistoryHinter::new() }));
    let mut history = History::load(&mut editor, history);
    // Not every terminal supports the external printer; without it the
    // console stays plain lines.
    let console = editor.create_external_printer().ok().and_then(|p| PromptConsole::install(session.kernel(), p));
    session.attach_prompt(console, TerminalMode::save());

    let mut ok = true;
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                history.add(&mut editor, &line);
                let (mut out, mut err) = (LineWriter::new(stdio::stdout()), LineWriter::new(stdio::stderr()));
                let Some(outcome) = session.run(&line, &mut out, &mut err) else { break };
                ok &= outcome.ok;
                if let Flow::Exit(status) = outcome.flow {
                    return Script { ok, exit: Some(status) };
                }
            }
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => {
                let _ = writeln!(stdio::stdout());
                break;
            }
            Err(e) => {
                let _ = writeln!(stdio::stderr(), "modhost: {e}");
                return Script { ok: false, exit: None };
            }
        }
    }
    Script { ok, exit: None }
}

/// The history file, and whether writing it has failed once already.
struct History<'a> {
    file: Option<&'a Path>,
    warned: bool,
}

impl<'a> History<'a> {
    fn load(editor: &mut Editor<ShellHelper<'_>, DefaultHistory>, file: Option<&'a Path>) -> History<'a> {
        if let Some(path) = file {
            match editor.load_history(path) {
                Ok(()) => {}
                // No history yet: the first line entered creates the file.
                Err(ReadlineError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    let _ = writeln!(stdio::stderr(), "modhost: warning: cannot read history {}: {e}", path.display());
                }
            }
        }
        History { file, warned: false }
    }

    fn add(&mut self, editor: &mut Editor<ShellHelper<'_>, DefaultHistory>, line: &str) {
        if line.trim().is_empty() || !editor.add_history_entry(line).unwrap_or(false) {
            return;
        }
        let Some(path) = self.file else { return };
        if let Err(e) = editor.append_history(path)
            && !std::mem::replace(&mut self.warned, true)
        {
            let _ = writeln!(stdio::stderr(), "modhost: warning: cannot write history {}: {e}", path.display());
        }
    }
}

/// What rustyline asks of the shell while a line is edited.
struct ShellHelper<'k> {
    kernel: &'k Kernel,
    history: HistoryHinter,
}

impl Completer for ShellHelper<'_> {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(complete::complete(self.kernel, line, pos))
    }
}

impl Hinter for ShellHelper<'_> {
    type Hint = String;

    /// The rest of the latest history line that starts the same way, else
    /// the command's usage right after its name.
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        self.history.hint(line, pos, ctx).or_else(|| complete::usage_hint(line))
    }
}

impl Highlighter for ShellHelper<'_> {
    /// Hints are dim, so they do not read as typed text.
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

impl Validator for ShellHelper<'_> {}

impl Helper for ShellHelper<'_> {}

/// Where the history lives by default: `$HOME/.modhost_history`.
pub fn default_history() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|home| Path::new(&home).join(".modhost_history"))
}
