//! Running commands one per line, from a file, a pipe or `-c`.
//!
//! Results go to the output writer and errors to the error writer; a failed
//! command does not stop the run unless `errexit` is set (`--errexit`, like
//! `sh -e`). The run reports whether every command succeeded, which the
//! binary turns into its exit status.
//!
//! Input is hostile too: a line is at most [`LINE_MAX`] bytes. A longer one
//! is refused as soon as its end is read, with its number and length, and
//! is never held in memory whole; a line that is not UTF-8 is refused with
//! its number. Either is a failed command: the run goes on, or stops under
//! `errexit`.

use std::io::{self, BufRead, Write};

use super::exec::{Flow, Outcome, run_line};
use crate::Kernel;

/// The longest line a script may have, in bytes, without its newline.
pub const LINE_MAX: usize = 64 * 1024;

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
    run_lines(input, out, err, errexit, |line, out, err| {
        let outcome = run_line(kernel, line, out, err);
        let _ = out.flush();
        Some(outcome)
    })
}

/// Reads `input` line by line, within the bounds, and hands each line to
/// `run`; stops at `exit`, when `run` returns `None` (the session is
/// ending), at the end of the input or of its readability, or at the first
/// failure with `errexit`.
pub fn run_lines(
    mut input: impl BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    errexit: bool,
    mut run: impl FnMut(&str, &mut dyn Write, &mut dyn Write) -> Option<Outcome>,
) -> Script {
    let mut ok = true;
    let mut buf = Vec::new();
    let mut number = 0u64;
    loop {
        number += 1;
        let succeeded = match read_line(&mut input, &mut buf) {
            Ok(None) => break,
            Err(e) => {
                let _ = writeln!(err, "modhost: line {number}: cannot read the input: {e}");
                return Script { ok: false, exit: None };
            }
            Ok(Some(length)) if length > LINE_MAX => {
                let _ =
                    writeln!(err, "modhost: line {number}: line too long ({length} bytes; the limit is {LINE_MAX})");
                false
            }
            Ok(Some(_)) => match std::str::from_utf8(&buf) {
                Err(_) => {
                    let _ = writeln!(err, "modhost: line {number}: input is not valid UTF-8");
                    false
                }
                Ok(line) => {
                    let Some(outcome) = run(line, out, err) else { break };
                    if let Flow::Exit(status) = outcome.flow {
                        return Script { ok: ok && outcome.ok, exit: Some(status) };
                    }
                    outcome.ok
                }
            },
        };
        ok &= succeeded;
        if errexit && !succeeded {
            break;
        }
    }
    Script { ok, exit: None }
}

/// Reads one line into `buf`, without its `\n` or `\r\n`; returns its
/// length, or `None` at the end of the input. Of a line longer than
/// [`LINE_MAX`] only the length is kept: `buf` is left empty.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
    buf.clear();
    let mut length = 0usize;
    let mut started = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        started = true;
        let end = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..end.unwrap_or(chunk.len())];
        length = length.saturating_add(part.len());
        if length <= LINE_MAX + 1 {
            // One byte over the limit is kept, for a `\r` before the `\n`.
            buf.extend_from_slice(part);
        } else {
            buf.clear();
        }
        let used = end.map_or(part.len(), |at| at + 1);
        input.consume(used);
        if end.is_some() {
            break;
        }
    }
    if !started {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
        length -= 1;
    }
    if length > LINE_MAX {
        buf.clear();
    }
    Ok(Some(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(Option<usize>, Vec<u8>)> {
        let mut input = io::BufReader::with_capacity(16, input);
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        loop {
            let length = read_line(&mut input, &mut buf).unwrap();
            lines.push((length, buf.clone()));
            if length.is_none() {
                return lines;
            }
        }
    }

    #[test]
    fn lines_end_at_newlines_and_long_ones_keep_only_their_length() {
        let long = vec![b'x'; LINE_MAX + 1];
        let mut input = b"a\r\nb\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\nlast");
        assert_eq!(
            lines(&input),
            [
                (Some(1), b"a".to_vec()),
                (Some(1), b"b".to_vec()),
                (Some(LINE_MAX + 1), Vec::new()),
                (Some(4), b"last".to_vec()),
                (None, Vec::new())
            ]
        );
        let full = vec![b'y'; LINE_MAX];
        let mut input = full.clone();
        input.extend_from_slice(b"\r\n");
        assert_eq!(lines(&input), [(Some(LINE_MAX), full), (None, Vec::new())]);
    }
}
