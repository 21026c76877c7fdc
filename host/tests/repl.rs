//! The `modhost` prompt driven through a real pseudo-terminal: typing,
//! completion, the kernel log above the line being typed, history, Ctrl-C
//! and Ctrl-D.
//!
//! Every step waits for the output it expects (with a timeout that fails
//! the test), never for a fixed time.

use rexpect::{
    process::{Signal, wait::WaitStatus},
    reader::Options,
    session::{PtySession, spawn_with_options},
};
use std::{
    path::PathBuf,
    process::Command,
    sync::atomic::{AtomicU32, Ordering},
};

/// Where cargo built the module files: next to this test binary.
fn module_dir() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().to_path_buf()
}

/// The prompt on a line of its own, after a command or Ctrl-C (escape codes
/// stripped); a prompt redrawn after a log message follows a `\n` alone.
/// Control keys wait for it: typed while a command runs, they would reach
/// the terminal's line discipline instead of the line editor.
const FRESH_PROMPT: &str = "\n\rmodhost# ";

/// A history file of a test's own, removed when the test ends.
struct History(PathBuf);

impl History {
    fn new() -> History {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        History(std::env::temp_dir().join(format!("modhost-repl-{}-{n}.history", std::process::id())))
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for History {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn prompt(args: &[&str]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_modhost"));
    command.args(["--module-path", module_dir().to_str().unwrap()]).args(args).env("TERM", "xterm");
    let options = Options { timeout_ms: Some(30_000), strip_ansi_escape_codes: true };
    let mut session = spawn_with_options(command, options).unwrap();
    session.exp_string("modhost# ").unwrap();
    session
}

/// Types `keys` without a newline (rexpect buffers what it sends until a flush).
fn type_keys(p: &mut PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

/// Waits for the session to end and returns its exit status.
fn exit_status(session: &mut PtySession) -> Option<i32> {
    session.exp_eof().unwrap();
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => Some(code),
        _ => None,
    }
}

#[test]
fn insmod_at_the_prompt_and_ctrl_d_unloads_in_order_and_history_persists() {
    let history = History::new();
    let mut p = prompt(&["--history", history.arg()]);
    p.send_line("insmod fifo.so").unwrap();
    p.exp_string("fifo: ready with 32 slots").unwrap();
    p.send_line("insmod producer.so rate=0").unwrap();
    p.exp_string("producer: loaded paused").unwrap();
    p.send_line("insmod consumer.so rate=0").unwrap();
    p.exp_string("consumer: loaded paused").unwrap();
    p.send_line("lsmod").unwrap();
    p.exp_regex(r"fifo +\d+  2 consumer,producer").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_control('d').unwrap();
    p.exp_string("consumer: unloading after").unwrap();
    p.exp_string("producer: unloading after").unwrap();
    p.exp_string("fifo: unloaded after").unwrap();
    assert_eq!(exit_status(&mut p), Some(0));
    let saved = std::fs::read_to_string(&history.0).unwrap();
    assert!(saved.lines().any(|l| l == "insmod producer.so rate=0"), "{saved}");
    assert!(saved.lines().any(|l| l == "lsmod"), "{saved}");
    // The next session starts with it: Up brings back the last line.
    let mut p = prompt(&["--history", history.arg(), "--console-level", "1"]);
    type_keys(&mut p, "\x1b[A\r");
    p.exp_string("Module                  Size  Used by").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_control('d').unwrap();
    assert_eq!(exit_status(&mut p), Some(0));
}

#[test]
fn tab_completes_commands_and_parameter_names() {
    let history = History::new();
    let mut p = prompt(&["--history", history.arg()]);
    type_keys(&mut p, "insm\t");
    p.exp_string("insmod ").unwrap();
    type_keys(&mut p, "fifo.so\r");
    p.exp_string("fifo: ready").unwrap();
    // Two candidates: the first TAB has no common prefix to add, the second
    // lists them with their types and descriptions, read from modinfo.
    type_keys(&mut p, "insmod producer.so \t\t");
    p.exp_string("item=  (charp) The item to produce (1 to 63 bytes)").unwrap();
    p.exp_string("rate=  (uint) Items per second; 0 pauses").unwrap();
    type_keys(&mut p, "ra\t");
    p.exp_string("insmod producer.so rate=").unwrap();
    type_keys(&mut p, "0\r");
    p.exp_string("producer: loaded paused (rate=0)").unwrap();
    type_keys(&mut p, "cat /sys/module/producer/parameters/ra\t");
    p.exp_string("parameters/rate").unwrap();
    type_keys(&mut p, "\r");
    p.exp_string("\n0\r").unwrap();
    type_keys(&mut p, "rmmod pro\t");
    p.exp_string("rmmod producer").unwrap();
    type_keys(&mut p, "\r");
    p.exp_string("producer: unloading after").unwrap();
    p.send_line("exit 4").unwrap();
    p.exp_string("fifo: unloaded after").unwrap();
    assert_eq!(exit_status(&mut p), Some(4));
}

#[test]
fn the_kernel_log_appears_above_a_partly_typed_line() {
    let history = History::new();
    let mut p = prompt(&["--history", history.arg(), "--console-level", "8"]);
    p.send_line("insmod fifo.so").unwrap();
    p.exp_string("fifo: ready").unwrap();
    p.send_line("insmod producer.so rate=20").unwrap();
    p.exp_string("producer: producing A at 20 items/s").unwrap();
    p.send_line("insmod consumer.so rate=20").unwrap();
    p.exp_string("consumer: consuming at 20 items/s").unwrap();
    // Half a command, typed while the producer logs every item it puts.
    type_keys(&mut p, "lsm");
    p.exp_string("modhost# lsm").unwrap();
    p.exp_regex(r"\] producer: put A #\d+").unwrap();
    // The line is drawn again below the message, and it is still there.
    p.exp_string("modhost# lsm").unwrap();
    type_keys(&mut p, "od\r");
    p.exp_regex(r"fifo +\d+  2 consumer,producer").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_control('d').unwrap();
    p.exp_string("consumer: unloading after").unwrap();
    p.exp_string("producer: unloading after").unwrap();
    p.exp_string("fifo: unloaded after").unwrap();
    assert_eq!(exit_status(&mut p), Some(0));
}

#[test]
fn ctrl_c_clears_the_line_and_interrupts_dmesg_follow() {
    let history = History::new();
    let mut p = prompt(&["--history", history.arg(), "--console-level", "1"]);
    // Were the line not cleared, this would run `rmmod nosuchinsmod fifo.so`.
    type_keys(&mut p, "rmmod nosuch");
    p.send_control('c').unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("insmod fifo.so").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("lsmod").unwrap();
    p.exp_regex(r"fifo +\d+  0").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    // The producer puts an item every 200 ms, and only dmesg prints them
    // (console level 1): item #5 can only come from following the log.
    p.send_line("insmod producer.so rate=5").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("dmesg -w").unwrap();
    p.exp_string("producer: producing A at 5 items/s").unwrap();
    p.exp_string("producer: put A #5").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("modhost# ").unwrap();
    p.send_line("cat /sys/module/fifo/refcnt").unwrap();
    p.exp_string("\n1\r").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_control('d').unwrap();
    assert_eq!(exit_status(&mut p), Some(0));
}

#[test]
fn sigterm_at_a_half_typed_line_unloads_and_exits() {
    let history = History::new();
    let mut p = prompt(&["--history", history.arg()]);
    p.send_line("insmod fifo.so").unwrap();
    p.exp_string("fifo: ready").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("insmod producer.so rate=0").unwrap();
    p.exp_string("producer: loaded paused").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    type_keys(&mut p, "lsm");
    p.exp_string("lsm").unwrap();
    p.process_mut().signal(Signal::SIGTERM).unwrap();
    p.exp_string("modhost: SIGTERM: unloading every module").unwrap();
    p.exp_string("producer: unloading after").unwrap();
    p.exp_string("fifo: unloaded after").unwrap();
    assert_eq!(exit_status(&mut p), Some(128 + 15));
}

#[test]
fn an_unwritable_history_file_is_a_warning() {
    let mut p = prompt(&["--history", "/nonexistent/dir/history", "--console-level", "1"]);
    p.send_line("lsmod").unwrap();
    p.exp_string("modhost: warning: cannot write history /nonexistent/dir/history").unwrap();
    p.exp_string("Module                  Size  Used by").unwrap();
    p.send_line("lsmod").unwrap();
    p.exp_string("Module                  Size  Used by").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_control('d').unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains("warning"), "one warning only: {rest}");
}
