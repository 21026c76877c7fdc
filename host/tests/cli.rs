//! The `modhost` binary driven through pipes, `-c` and `--script`, and
//! ended by signals.

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Output, Stdio},
    sync::mpsc::{self, Receiver},
    thread,
    time::Duration,
};

/// Where cargo built the module files: next to this test binary.
fn module_dir() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().to_path_buf()
}

fn modhost(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modhost"))
        .args(["--module-path", module_dir().to_str().unwrap()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn commands_from_a_pipe_run_in_order_and_exit_zero() {
    let out = modhost(&["--console-level", "1"], "insmod testmod.so\nlsmod\nrmmod testmod\n");
    assert_eq!(text(&out.stderr), "");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Module                  Size  Used by\ntestmod "), "{stdout}");
    assert!(!stdout.contains("modhost#"), "no prompt when stdin is not a terminal");
    assert!(!stdout.contains('\x1b'), "no escape codes");
}

#[test]
fn a_failed_command_makes_the_exit_status_non_zero() {
    let out = modhost(&["--console-level", "1"], "rmmod nosuch\nlsmod\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "rmmod: ERROR: Module nosuch is not currently loaded\n");
    assert!(text(&out.stdout).starts_with("Module"), "the next command still ran");
}

#[test]
fn errexit_stops_at_the_first_failure() {
    let out = modhost(&["--console-level", "1", "--errexit"], "rmmod nosuch\nlsmod\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn dash_c_and_script_files() {
    let out = modhost(&["--console-level", "1", "-c", "insmod testmod.so", "-c", "cat /sys/module/testmod/refcnt"], "");
    assert_eq!((text(&out.stdout), out.status.code()), ("0\n".to_string(), Some(0)));
    let script = std::env::temp_dir().join(format!("modhost-cli-{}.txt", std::process::id()));
    std::fs::write(&script, "# a comment\n\ninsmod testmod.so i=7\ncat /sys/module/testmod/parameters/i\n").unwrap();
    let out = modhost(&["--console-level", "1", "--script", script.to_str().unwrap()], "");
    let _ = std::fs::remove_file(&script);
    assert_eq!((text(&out.stdout), out.status.code()), ("7\n".to_string(), Some(0)));
    let out = modhost(&["--script", "/no/such/script"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("modhost: /no/such/script: "));
}

#[test]
fn console_messages_are_plain_lines_on_stderr_and_exit_unloads_everything() {
    let out = modhost(&[], "insmod testmod.so\nlsmod\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success());
    let init = stderr.lines().position(|l| l.contains("] testmod: init as testmod:")).expect(&stderr);
    let exit = stderr.lines().position(|l| l.ends_with("] testmod: exit")).expect(&stderr);
    assert!(init < exit, "{stderr}");
    assert!(stdout.starts_with("Module ") && !stdout.contains("testmod: "), "only results on stdout: {stdout}");
}

#[test]
fn help_and_version() {
    let out = modhost(&["--help"], "");
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in ["--module-path", "--history <FILE>", "--json", "Examples:\n  modhost ", "\"used_by\":[..]"] {
        assert!(help.contains(needle), "{needle:?} in {help}");
    }
    let out = modhost(&["--version"], "");
    assert_eq!(text(&out.stdout), format!("modhost {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn exit_sets_the_status_and_still_unloads() {
    let out = modhost(&[], "insmod testmod.so\nexit 3\nlsmod\n");
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(stderr.lines().any(|l| l.ends_with("] testmod: exit")), "{stderr}");
    assert!(!text(&out.stdout).contains("Module "), "nothing runs after exit");
}

#[test]
fn json_output_of_lsmod_modinfo_and_statistics() {
    let out = modhost(
        &["--json", "--console-level", "1"],
        "insmod fifo.so size=8\ninsmod producer.so rate=0\nlsmod\nmodinfo producer\nmodinfo -F license fifo\n\
         cat /proc/fifo\ncat /proc/producer\ncat /sys/module/fifo/refcnt\n",
    );
    assert_eq!((text(&out.stderr), out.status.code()), (String::new(), Some(0)));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let size = |name: &str| {
        let from = lines[0].find(&format!("{{\"name\":\"{name}\",\"size\":")).unwrap() + name.len() + 18;
        lines[0][from..].split(',').next().unwrap().to_string()
    };
    assert_eq!(
        lines[0],
        format!(
            "[{{\"name\":\"producer\",\"size\":{},\"refcnt\":0,\"used_by\":[],\"state\":\"Live\",\"flags\":\"\"}},\
             {{\"name\":\"fifo\",\"size\":{},\"refcnt\":1,\"used_by\":[\"producer\"],\"state\":\"Live\",\"flags\":\"\"}}]",
            size("producer"),
            size("fifo")
        )
    );
    assert!(lines[1].starts_with("{\"filename\":\""), "{}", lines[1]);
    assert!(
        lines[1].ends_with(
            "\"name\":\"producer\",\"license\":\"GPL\",\"author\":\"modhost developers\",\
             \"description\":\"Puts its item into the fifo at a steady rate\",\"version\":\"1.0\",\
             \"vermagic\":\"modhost-abi/3 panic=unwind\",\"import_ns\":[],\"depends\":[\"fifo\"],\
             \"parm\":[{\"name\":\"item\",\"type\":\"charp\",\"description\":\"The item to produce (1 to 63 bytes)\",\
             \"perm\":\"0444\"},{\"name\":\"rate\",\"type\":\"uint\",\"description\":\"Items per second; 0 pauses\",\
             \"perm\":\"0644\"}]}"
        ),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "[\"GPL\"]");
    assert_eq!(
        lines[3],
        "{\"capacity\":8,\"fill\":0,\"high_water\":0,\"puts\":0,\"gets\":0,\"producers_waiting\":0,\"consumers_waiting\":0}"
    );
    assert_eq!(lines[4], "{\"item\":\"A\",\"rate\":0,\"produced\":0,\"waited\":0,\"first_ns\":0,\"last_ns\":0}");
    assert_eq!(lines[5], "1", "files that are not statistics print as they are");
    assert_eq!(lines.len(), 6);
}

/// A modhost whose stdin stays open, and its stdout and stderr line by line
/// (the console is on stderr: lines of one stream keep their order).
struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
    /// How many of `seen` a wait has looked at.
    looked: usize,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_modhost"))
            .args(["--module-path", module_dir().to_str().unwrap()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (tx, lines) = mpsc::channel();
        let tx2 = tx.clone();
        thread::spawn(move || stdout.lines().map_while(Result::ok).try_for_each(|line| tx.send(line)));
        thread::spawn(move || stderr.lines().map_while(Result::ok).try_for_each(|line| tx2.send(line)));
        Running { child, stdin, lines, seen: Vec::new(), looked: 0 }
    }

    fn send(&mut self, commands: &str) {
        self.stdin.write_all(commands.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for a line, after the one the last wait found, that contains
    /// `needle` (at most a minute: a hang fails the test instead of stalling it).
    fn wait_for(&mut self, needle: &str) {
        self.wait_until(|line| line.contains(needle), needle);
    }

    fn wait_until(&mut self, found: impl Fn(&str) -> bool, what: &str) {
        loop {
            if self.looked == self.seen.len() {
                let line = self.lines.recv_timeout(Duration::from_secs(60));
                self.seen.push(line.unwrap_or_else(|_| panic!("no line with {what:?} in {:#?}", self.seen)));
            }
            self.looked += 1;
            if found(&self.seen[self.looked - 1]) {
                return;
            }
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-s", name, &pid]).status().unwrap().success());
    }

    /// Waits for the exit; returns its status and every line printed.
    fn finish(mut self) -> (Option<i32>, Vec<String>) {
        let status = self.child.wait().unwrap();
        self.seen.extend(self.lines.iter());
        (status.code(), self.seen)
    }
}

fn position(lines: &[String], needle: &str) -> usize {
    lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?} in {lines:#?}"))
}

#[test]
fn sigterm_in_a_script_unloads_users_first() {
    let mut modhost = Running::start(&[]);
    modhost.send("insmod fifo.so\ninsmod producer.so rate=0\ninsmod consumer.so rate=0\ncat /sys/module/fifo/refcnt\n");
    // The result (stdout) and the kernel's lines (stderr) come through two
    // pipes, in no order between them: wait for the result alone.
    modhost.wait_until(|line| line == "2", "refcnt 2");
    modhost.signal("TERM");
    let (status, lines) = modhost.finish();
    assert_eq!(status, Some(128 + 15), "{lines:#?}");
    let signal = position(&lines, "modhost: SIGTERM: unloading every module");
    let consumer = position(&lines, "consumer: unloading after");
    let producer = position(&lines, "producer: unloading after");
    let fifo = position(&lines, "fifo: unloaded after");
    assert!(signal < consumer && consumer < producer && producer < fifo, "{lines:#?}");
}

#[test]
fn sigint_ends_a_follow_and_the_session() {
    let mut modhost = Running::start(&[]);
    modhost.send("insmod testmod.so\ndmesg -w\n");
    modhost.wait_for("modhost version");
    modhost.wait_for("testmod: init as testmod:");
    modhost.signal("INT");
    let (status, lines) = modhost.finish();
    assert_eq!(status, Some(128 + 2), "{lines:#?}");
    assert!(lines.last().unwrap().ends_with("] testmod: exit"), "{lines:#?}");
}

#[test]
fn a_second_sigint_forces_a_stuck_unload() {
    let mut modhost = Running::start(&[]);
    modhost.send("insmod kthreadtest.so mode=stuck\n");
    modhost.wait_for("kthreadtest: started in mode stuck");
    modhost.signal("INT");
    modhost.wait_for("modhost: SIGINT: unloading every module");
    modhost.signal("INT");
    let (status, lines) = modhost.finish();
    assert_eq!(status, Some(128 + 2), "{lines:#?}");
    let forcing = position(&lines, "modhost: SIGINT: forcing the unload");
    let killed = position(&lines, "kthreadtest: forcing the unload: killing its tasks");
    assert!(forcing < killed, "{lines:#?}");
}

#[test]
fn sigterm_cuts_a_sleep_short() {
    let mut modhost = Running::start(&[]);
    modhost.send("insmod testmod.so\nsleep 600\n");
    modhost.wait_for("testmod: init as testmod:");
    let sent = std::time::Instant::now();
    modhost.signal("TERM");
    let (status, lines) = modhost.finish();
    assert_eq!(status, Some(128 + 15), "{lines:#?}");
    assert!(sent.elapsed() < std::time::Duration::from_secs(60), "the sleep ran on: {:?}", sent.elapsed());
    assert!(lines.last().unwrap().ends_with("] testmod: exit"), "{lines:#?}");
}

#[test]
fn the_end_unloads_every_module_but_a_stuck_one_and_fails() {
    let output = modhost(&["--exit-timeout", "0.3"], "insmod fifo.so\ninsmod stuck.so hang=exit\ninsmod testmod.so\n");
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains("] testmod: exit"), "{all}");
    assert!(all.contains("] fifo: unloaded"), "{all}");
    assert!(all.contains("] modhost: shutdown: left loaded: stuck"), "{all}");
}

#[test]
fn an_init_that_never_returns_gives_the_command_line_back() {
    let output = modhost(&["--exit-timeout", "0.3"], "insmod stuck.so hang=init\ncat /proc/modules\n");
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(all.contains("] INFO: task insmod:"), "{all}");
    assert!(all.contains("insmod: ERROR: could not insert module stuck.so: Device or resource busy"), "{all}");
    assert!(all.lines().any(|l| l.starts_with("stuck ") && l.contains(" Loading ")), "{all}");
    assert_eq!(output.status.code(), Some(1), "{all}");
}

#[test]
fn a_second_sigterm_ends_a_spinning_unload_within_a_second() {
    let mut modhost = Running::start(&["--exit-timeout", "60"]);
    modhost.send("insmod stuck.so hang=spin_exit\n");
    modhost.wait_for("stuck: loaded, hang=spin_exit");
    modhost.signal("TERM");
    modhost.wait_for("stuck: exit spins for ever");
    let sent = std::time::Instant::now();
    modhost.signal("TERM");
    let (status, lines) = modhost.finish();
    assert_eq!(status, Some(128 + 15), "{lines:#?}");
    assert!(sent.elapsed() < Duration::from_secs(20), "took {:?}", sent.elapsed());
    position(&lines, "modhost: SIGTERM again: exiting now, abandoning stuck (unloading)");
}

/// The voluntary context switches of the process's main thread so far.
fn main_thread_wakeups(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("voluntary_ctxt_switches:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_sleep_waits_without_waking_up() {
    let mut modhost = Running::start(&["--console-level", "1"]);
    modhost.send("echo sleeping\nsleep 600\n");
    modhost.wait_for("sleeping");
    // The kernel runs in the supervisor's child process.
    let supervisor = modhost.child.id();
    let children = std::fs::read_to_string(format!("/proc/{supervisor}/task/{supervisor}/children")).unwrap();
    let pid: u32 = children.split_whitespace().next().expect("a kernel process").parse().unwrap();
    // The script runs on the main thread; once asleep it stays asleep (a
    // sleep that polls wakes it every few tens of milliseconds).
    let mut before = main_thread_wakeups(pid);
    for _ in 0..5 {
        thread::sleep(Duration::from_millis(100));
        let now = main_thread_wakeups(pid);
        if now == before {
            break;
        }
        before = now;
    }
    thread::sleep(Duration::from_millis(300));
    let woken = main_thread_wakeups(pid) - before;
    modhost.signal("TERM");
    let (status, lines) = modhost.finish();
    assert_eq!(woken, 0, "the sleeping thread woke {woken} times");
    assert_eq!(status, Some(128 + 15), "{lines:#?}");
}

#[test]
fn a_sleep_too_long_for_the_clock_sleeps_until_interrupted() {
    let mut modhost = Running::start(&["--console-level", "1"]);
    modhost.send("echo sleeping\nsleep 9.3e18\n");
    modhost.wait_for("sleeping");
    modhost.signal("INT");
    let (status, lines) = modhost.finish();
    assert_eq!(status, Some(128 + 2), "no panic: {lines:#?}");
}

#[test]
fn a_huge_line_is_refused_without_being_echoed() {
    let huge = "x".repeat(8 << 20);
    let out = modhost(&["--console-level", "1"], &format!("{huge}\nlsmod\n"));
    assert_eq!(text(&out.stderr), "modhost: line 1: line too long (8388608 bytes; the limit is 65536)\n");
    assert!(text(&out.stdout).starts_with("Module"), "the next line still ran");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn what_module_code_writes_is_logged_and_results_stay_whole() {
    let out = modhost(
        &[],
        "insmod evil.so say=hello\nlsmod\necho 1 > /sys/module/evil/parameters/close_stdout\nlsmod\n\
         echo -n again > /sys/module/evil/parameters/say\n",
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let lsmod = stdout.lines().next().unwrap().to_string() + "\n" + stdout.lines().nth(1).unwrap() + "\n";
    assert_eq!(stdout, format!("{lsmod}{lsmod}"), "results only, and still after fd 1 was closed");
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr.lines().any(|l| l.ends_with("] modhost: fd 1 (stdout) was closed or replaced; restored")));
    // Each line is logged once, credited to the module or, when its writer
    // could not be told in time (see shell/capture.rs), to no module.
    for line in ["stdout: hello", "stderr: hello on stderr", "stdout: again"] {
        let logged: Vec<&str> = stderr.lines().filter(|l| l.ends_with(line)).collect();
        assert_eq!(logged.len(), 1, "{line:?} in {stderr}");
        assert!(
            logged[0].ends_with(&format!("] evil: {line}")) || logged[0].ends_with(&format!("] {line}")),
            "{stderr}"
        );
    }
}
