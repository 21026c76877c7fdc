//! The `modhost` binary driven through pipes, `-c` and `--script`.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Output, Stdio},
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
fn console_messages_are_plain_lines_and_exit_unloads_everything() {
    let out = modhost(&[], "insmod testmod.so\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    let init = stdout.lines().position(|l| l.contains("] testmod: init as testmod:")).expect(&stdout);
    let exit = stdout.lines().position(|l| l.ends_with("] testmod: exit")).expect(&stdout);
    assert!(init < exit, "{stdout}");
}

#[test]
fn help_and_version() {
    let out = modhost(&["--help"], "");
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--module-path"));
    let out = modhost(&["--version"], "");
    assert_eq!(text(&out.stdout), format!("modhost {}\n", env!("CARGO_PKG_VERSION")));
}
