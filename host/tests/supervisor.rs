//! The `modhost` command survives its kernel: a module that calls
//! `abort()` or `exit()`, a kernel process killed from outside. Scripts
//! end with the panic on stderr and status 70; the prompt offers `reboot`,
//! and the fresh kernel finds the old log in `/sys/fs/pstore/`.
//!
//! Every step waits for the output it expects (with a timeout that fails
//! the test), never for a fixed time.

use modhost::supervisor::PANIC_EXIT_STATUS;
use rexpect::{
    process::wait::WaitStatus,
    reader::Options,
    session::{PtySession, spawn_with_options},
};
use std::{
    io::{BufRead, BufReader, Write},
    os::unix::process::ExitStatusExt,
    path::PathBuf,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

/// Where cargo built the module files: next to this test binary.
fn module_dir() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().to_path_buf()
}

fn modhost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_modhost"))
        .args(["--module-path", module_dir().to_str().unwrap(), "--console-level", "1"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The panic's message, from its `Kernel panic` line and checked against
/// the closing line, which ends the output.
fn panic_message(stderr: &str) -> String {
    let line = stderr.lines().find(|l| l.contains("] Kernel panic - not syncing: ")).unwrap_or_else(|| {
        panic!("no panic line in {stderr}");
    });
    let why = line.split_once("] Kernel panic - not syncing: ").unwrap().1.to_string();
    let last = stderr.lines().last().unwrap();
    assert!(last.ends_with(&format!("] ---[ end Kernel panic - not syncing: {why} ]---")), "{stderr}");
    why
}

#[test]
fn a_module_calling_abort_or_exit_is_a_kernel_panic_and_a_distinct_status() {
    for (how, call) in [("abort", "abort()"), ("exit", "exit(3)")] {
        let out = modhost(&["-c", "insmod fifo.so", "-c", &format!("insmod panicmod.so how={how}"), "-c", "lsmod"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(i32::from(PANIC_EXIT_STATUS)), "{how}: {stderr}");
        let why = panic_message(&stderr);
        assert!(why.starts_with(&format!("{call} called from ")), "{why}");
        assert!(why.ends_with(" [panicmod]"), "names module code: {why}");
        assert!(why.contains("init"), "names the module's init: {why}");
        // The log's last lines come from the pstore: the console printed nothing.
        assert!(stderr.contains("] fifo: ready with 32 slots\n"), "{stderr}");
        assert!(stderr.contains(&format!("] panicmod: calling {how}\n")), "{stderr}");
        assert_eq!(text(&out.stdout), "", "lsmod never ran");
    }
}

#[test]
fn rust_aborts_in_a_module_are_kernel_panics_too() {
    for how in ["double", "alloc"] {
        let out = modhost(&["-c", &format!("insmod panicmod.so how={how}")]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(i32::from(PANIC_EXIT_STATUS)), "{how}: {stderr}");
        let why = panic_message(&stderr);
        assert!(
            why.starts_with("abort() called from ") && why.contains("panicmod::"),
            "a frame of the module's own code: {why}"
        );
        assert!(why.ends_with(" [panicmod]"), "{why}");
    }
}

#[test]
fn a_module_that_does_not_panic_leaves_the_status_alone() {
    let out = modhost(&["-c", "insmod panicmod.so", "-c", "lsmod", "-c", "exit 4"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("panicmod "), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn without_the_supervisor_an_abort_ends_modhost() {
    let out = modhost(&["--no-supervisor", "-c", "insmod panicmod.so how=abort"]);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("Kernel panic"));
}

/// The kernel process of the `modhost` process `pid`, once it has one.
fn kernel_pid(pid: u32) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        if let Some(child) = children.split_whitespace().next() {
            return child.parse().unwrap();
        }
        assert!(Instant::now() < deadline, "no kernel process");
        std::thread::yield_now();
    }
}

#[test]
fn a_kernel_killed_from_outside_is_a_panic_naming_the_signal() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modhost"))
        .args(["--module-path", module_dir().to_str().unwrap(), "--console-level", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"insmod fifo.so\necho ready\nsleep 600\n").unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let kernel = kernel_pid(child.id());
    // SAFETY: sends a signal to the test's grandchild, no memory involved.
    assert_eq!(unsafe { libc::kill(kernel, libc::SIGKILL) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(i32::from(PANIC_EXIT_STATUS)), "{stderr}");
    assert_eq!(panic_message(&stderr), "kernel process killed by SIGKILL");
    assert!(stderr.contains("] fifo: ready with 32 slots\n"), "{stderr}");
}

/// The prompt on a line of its own, after a command (escape codes
/// stripped): the next line is typed only then, so that it reaches the
/// line editor rather than the terminal's line discipline.
const FRESH_PROMPT: &str = "\n\rmodhost# ";

/// A history file of a test's own, removed when the test ends.
struct History(PathBuf);

impl Drop for History {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn prompt(history: &History) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_modhost"));
    command
        .args(["--module-path", module_dir().to_str().unwrap(), "--history", history.0.to_str().unwrap()])
        .env("TERM", "xterm");
    let options = Options { timeout_ms: Some(30_000), strip_ansi_escape_codes: true };
    let mut session = spawn_with_options(command, options).unwrap();
    session.exp_string("modhost# ").unwrap();
    session
}

#[test]
fn after_a_panic_the_prompt_reboots_a_fresh_kernel_that_finds_the_old_log() {
    let history = History(std::env::temp_dir().join(format!("modhost-supervisor-{}.history", std::process::id())));
    let mut p = prompt(&history);
    p.send_line("insmod panicmod.so how=abort").unwrap();
    p.exp_string("Kernel panic - not syncing: abort() called from ").unwrap();
    p.exp_string("---[ end Kernel panic - not syncing: abort() called from ").unwrap();
    p.exp_string("modhost: the kernel panicked: reboot starts a fresh one").unwrap();
    p.exp_string("modhost# ").unwrap();

    p.send_line("lsmod").unwrap();
    p.exp_string("lsmod: the kernel panicked: reboot starts a fresh one").unwrap();
    p.exp_string("modhost# ").unwrap();
    p.send_line("dmesg").unwrap();
    p.exp_string("panicmod: calling abort").unwrap();
    p.exp_string("modhost# ").unwrap();

    p.send_line("reboot").unwrap();
    p.exp_string("modhost# ").unwrap();
    p.send_line("cat /sys/fs/pstore/dmesg-ramoops-0").unwrap();
    p.exp_string("Panic#1 Part1").unwrap();
    p.exp_string("panicmod: calling abort").unwrap();
    p.exp_string("Kernel panic - not syncing: abort() called from ").unwrap();
    p.exp_string("modhost# ").unwrap();

    // The lab runs on the fresh kernel.
    p.send_line("insmod fifo.so").unwrap();
    p.exp_string("fifo: ready with 32 slots").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("insmod producer.so").unwrap();
    p.exp_string("producer: producing A at").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("insmod consumer.so").unwrap();
    p.exp_string("consumer: consuming at").unwrap();
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_line("lsmod").unwrap();
    p.exp_regex(r"fifo +\d+  2 consumer,producer").unwrap();
    // Ctrl-D once the line editor reads again (typed earlier, the terminal
    // may still be in its cooked mode, where it is not an end of input).
    p.exp_string(FRESH_PROMPT).unwrap();
    p.send_control('d').unwrap();
    p.exp_string("consumer: unloading after").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(p.process().wait().unwrap(), WaitStatus::Exited(p.process().child_pid, 0));

    let kept = std::fs::read_to_string(&history.0).unwrap();
    for line in ["insmod panicmod.so how=abort", "dmesg", "reboot", "insmod consumer.so"] {
        assert!(kept.lines().any(|l| l == line), "{line:?} not in the history: {kept}");
    }
}

#[test]
fn the_help_names_the_panic_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_modhost")).arg("--help").output().unwrap();
    let help = text(&out.stdout);
    assert!(help.contains(&format!("the exit status is {PANIC_EXIT_STATUS}")), "{help}");
    assert!(help.contains("--no-supervisor"), "{help}");
}
