//! User-mode helpers from C (`tests/c/umh`, built by kbuild): each wait
//! mode's return value, the program's output in the log under the
//! module's name, exactly the environment given, a missing program, the
//! two-step form, and a program that outlives its caller's forced unload;
//! and from the Rust SDK (`fixtures/umhtest`).

use crate::{cbuild::build_c, util::*};
use modhost::Kernel;
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

fn ko(name: &str) -> PathBuf {
    build_c("umh").join(format!("{name}.ko"))
}

/// The program's lines, as the courseware's module runs it.
#[track_caller]
fn assert_output(kernel: &Kernel, module: &str) {
    wait_for_line(kernel, &format!("{module}: oops"));
    wait_for_line(kernel, &format!("{module}: hi"));
    assert_dmesg(kernel, &format!("{module}: HOME=/ PATH=/sbin:/bin:/usr/sbin:/usr/bin"));
}

#[test]
fn umh_wait_proc_returns_the_wait_status_after_the_output() {
    let kernel = boot();
    kernel.insmod(ko("umh_proc"), "").unwrap();
    // Logged before the call returned: no waiting here.
    let lines = dmesg(&kernel);
    let at = |line: &str| lines.iter().position(|l| l == line).unwrap_or_else(|| panic!("{line:?} in {lines:#?}"));
    assert!(at("umh_proc: hi") < at("call_usermodehelper: 256"));
    assert!(at("umh_proc: oops") < at("call_usermodehelper: 256"));
    assert_output(&kernel, "umh_proc");
    kernel.rmmod("umh_proc").unwrap();
}

#[test]
fn umh_wait_exec_and_no_wait_return_0_and_the_program_runs_on() {
    let kernel = boot();
    kernel.insmod(ko("umh_exec"), "").unwrap();
    kernel.insmod(ko("umh_nowait"), "").unwrap();
    assert_eq!(dmesg(&kernel).iter().filter(|l| *l == "call_usermodehelper: 0").count(), 2);
    assert_output(&kernel, "umh_exec");
    assert_output(&kernel, "umh_nowait");
    kernel.rmmod("umh_exec").unwrap();
    kernel.rmmod("umh_nowait").unwrap();
}

#[test]
fn a_missing_program_is_enoent_unless_nobody_waits() {
    let kernel = boot();
    kernel.insmod(ko("umh_missing"), "").unwrap();
    assert_dmesg(&kernel, "UMH_WAIT_EXEC: -2");
    assert_dmesg(&kernel, "UMH_WAIT_PROC: -2");
    assert_dmesg(&kernel, "UMH_NO_WAIT: 0");
    kernel.rmmod("umh_missing").unwrap();
}

/// The helpers this test process still has running: `(pid, comm)`.
fn children() -> Vec<(u32, String)> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // pid (comm) state ppid ...
        let Some((head, tail)) = stat.rsplit_once(") ") else { continue };
        let ppid = tail.split_whitespace().nth(1);
        let state = tail.split_whitespace().next();
        if ppid == Some(me.as_str()) && state != Some("Z") {
            let (pid, comm) = head.split_once(" (").unwrap();
            found.push((pid.parse().unwrap(), comm.to_string()));
        }
    }
    found
}

#[test]
fn the_two_step_form_runs_init_and_cleanup_and_a_forced_unload_kills_a_waited_program() {
    let kernel =
        Kernel::builder().manual_clock().module_path(module_dir()).exit_timeout(Duration::from_millis(300)).boot();
    kernel.insmod(ko("umh_steps"), "").unwrap();
    assert_dmesg(&kernel, "init: /usr/bin/env, data for steps");
    assert_dmesg(&kernel, "cleanup: retval 0");
    assert_dmesg(&kernel, "exec: 0");
    assert_dmesg(&kernel, "exit 3: 768");
    // env prints exactly the environment it was given (the other program,
    // started meanwhile, may already have said it sleeps).
    let env: Vec<String> =
        dmesg(&kernel).into_iter().filter(|l| l.starts_with("umh_steps: ") && l != "umh_steps: sleeping").collect();
    assert_eq!(env, ["umh_steps: HOME=/", "umh_steps: PATH=/sbin:/bin:/usr/sbin:/usr/bin"]);

    wait_for_line(&kernel, "umh_steps: sleeping");
    // The shell that said so may not have exec'd `sleep` yet.
    let give_up = Instant::now() + Duration::from_secs(10);
    while !children().iter().any(|(_, comm)| comm == "sleep") {
        assert!(Instant::now() < give_up, "no sleep among {:?}", children());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(kernel.rmmod("umh_steps").is_err(), "exit waits for a thread that waits for the program");
    kernel.rmmod_force("umh_steps").unwrap();
    wait_for_line(&kernel, "forever: -4");
    let give_up = Instant::now() + Duration::from_secs(10);
    while children().iter().any(|(_, comm)| comm == "sleep") {
        assert!(Instant::now() < give_up, "the program outlived its caller: {:?}", children());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_rust_sdk_calls_helpers_with_the_same_results() {
    let kernel = boot();
    kernel.insmod(plugin("umhtest"), "").unwrap();
    assert_dmesg(&kernel, "umhtest: hi from rust");
    assert_dmesg(&kernel, "umhtest: proc: 512");
    assert_dmesg(&kernel, "umhtest: proc, killable: 0");
    assert_dmesg(&kernel, "umhtest: exec: 0");
    assert_dmesg(&kernel, "umhtest: no wait: 0");
    assert_dmesg(&kernel, "umhtest: missing: -2");
    assert_dmesg(&kernel, "umhtest: nul: -22");
    wait_for_line(&kernel, "umhtest: started");
    wait_for_line(&kernel, "umhtest: not waited for");
    kernel.rmmod("umhtest").unwrap();
    assert_nothing_pinned(&kernel);
}
