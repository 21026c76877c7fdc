//! Running commands one per line, from a file, a pipe or `-c`.
//!
//! Results go to the output writer and errors to the error writer; a failed
//! command does not stop the run unless `errexit` is set (`--errexit`, like
//! `sh -e`). The run reports whether every command succeeded, which the
//! binary turns into its exit status.

use std::io::{BufRead, Write};

use super::exec::{Flow, run_line};
use crate::Kernel;

/// How a script run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    /// Whether every command succeeded.
    pub ok: bool,
    /// The status an `exit` command asked for, if one ran.
    pub exit: Option<i32>,
}

impl Script {
    /// The process exit status: `exit`'s, else 0 if all succeeded, else 1.
    pub fn status(&self) -> i32 {
        self.exit.unwrap_or(if self.ok { 0 } else { 1 })
    }
}

/// Runs every line of `input`; stops early at `exit`, or at the first
/// failure with `errexit`.
pub fn run_script(
    kernel: &Kernel,
    input: impl BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    errexit: bool,
) -> Script {
    let mut ok = true;
    for line in input.lines() {
        let Ok(line) = line else {
            let _ = writeln!(err, "modhost: input is not valid UTF-8");
            return Script { ok: false, exit: None };
        };
        let outcome = run_line(kernel, &line, out, err);
        let _ = out.flush();
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
