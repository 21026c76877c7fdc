//! Signals to kernel threads, and what a task knows of itself, from C: the
//! courseware's kt1 and kt2 (`tests/c/kthread`) built by kbuild and
//! loaded, their threads signalled through the library and the shell; the
//! context a callback runs in, the wall clock, `try_wait_for_completion`
//! and a kthread's pid.

use crate::{cbuild::build_c, clab::run_for, util::*};
use modhost::{ErrorKind, Kernel, shell::run_script};
use modhost_abi::errno::Errno;
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("kthread").join(format!("{name}.ko"))
}

/// The number in the one dmesg line `PREFIX<n>`.
#[track_caller]
fn number_after(kernel: &Kernel, prefix: &str) -> u64 {
    let lines = dmesg(kernel);
    let found: Vec<u64> = lines.iter().filter_map(|l| l.strip_prefix(prefix)?.parse().ok()).collect();
    assert_eq!(found.len(), 1, "one line {prefix}N in:\n{}", lines.join("\n"));
    found[0]
}

/// The `ps` state of the task `pid`, if it is alive.
fn state_of(kernel: &Kernel, pid: u64) -> Option<(char, String)> {
    kernel.ps().into_iter().find(|t| t.pid == pid).map(|t| (t.state, t.command))
}

/// Nothing the host reports about module code: no warning, bug, Oops or leak.
#[track_caller]
fn assert_clean(kernel: &Kernel) {
    let bad: Vec<String> = dmesg(kernel)
        .into_iter()
        .filter(|l| ["WARNING", "BUG", "Oops", "leak", "invalid", "Call Trace"].iter().any(|w| l.contains(w)))
        .collect();
    assert!(bad.is_empty(), "the host reported:\n{}", bad.join("\n"));
    assert_nothing_pinned(kernel);
}

#[test]
fn kt1_ignores_kill_9_and_ends_on_kill_2() {
    let kernel = boot();
    kernel.insmod(ko("kt1"), "").unwrap();
    assert!(kernel.settle());
    let pid = number_after(&kernel, "kt1: started thread ");
    assert_eq!(number_after(&kernel, "mykt: pid "), pid, "the pid kthread_create gave is the thread's");
    assert_eq!(state_of(&kernel, pid), Some(('S', "mykt".to_string())), "{}", dmesg(&kernel).join("\n"));

    kernel.kill(pid, 9).unwrap();
    kernel.kill(pid, 19).unwrap();
    assert!(kernel.settle());
    assert_eq!(state_of(&kernel, pid), Some(('S', "mykt".to_string())), "SIGKILL and SIGSTOP do nothing");

    kernel.kill(pid, 2).unwrap();
    assert!(kernel.settle());
    assert_dmesg(&kernel, "mykt: signal received, exiting");
    assert_eq!(state_of(&kernel, pid), None, "the thread is gone");
    let gone = kernel.kill(pid, 2).unwrap_err();
    assert_eq!((gone.kind(), gone.errno()), (ErrorKind::NoSuchProcess, Errno::ESRCH));

    kernel.rmmod("kt1").unwrap();
    assert_dmesg(&kernel, "kt1: kthread_stop: 0");
    assert_clean(&kernel);
}

#[test]
fn kt1_is_signalled_from_the_shell() {
    let kernel = boot();
    let ko = ko("kt1");
    let run = |script: &str| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = run_script(&kernel, script.as_bytes(), &mut out, &mut err, false).status();
        (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap(), status)
    };
    let (_, err, status) = run(&format!("insmod {}\n", ko.display()));
    assert_eq!((err.as_str(), status), ("", 0));
    assert!(kernel.settle());
    let pid = number_after(&kernel, "kt1: started thread ");
    let (out, _, _) = run("ps\n");
    assert!(out.lines().any(|l| l.trim_start().starts_with(&format!("{pid} ")) && l.contains("mykt")), "{out}");

    let (_, err, status) = run(&format!("kill -9 {pid}\nkill -s STOP {pid}\n"));
    assert_eq!((err.as_str(), status), ("", 0));
    assert!(kernel.settle());
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("exiting")), "kill -9 has no effect");

    let (_, err, status) = run(&format!("kill -2 {pid}\n"));
    assert_eq!((err.as_str(), status), ("", 0));
    assert!(kernel.settle());
    assert_dmesg(&kernel, "mykt: signal received, exiting");

    let (_, err, status) = run(&format!("kill -INT {pid}\nkill -FOO {pid}\nkill -2 x\nrmmod kt1\n"));
    assert_eq!(
        err,
        format!(
            "kill: ({pid}) - No such process\nkill: FOO: invalid signal specification\n\
             kill: x: arguments must be process or job IDs\n"
        )
    );
    assert_ne!(status, 0);
    assert_dmesg(&kernel, "kt1: kthread_stop: 0");
}

#[test]
fn kt2_ignores_a_signal_it_does_not_allow_and_stops_at_rmmod() {
    let kernel = boot();
    kernel.insmod(ko("kt2"), "").unwrap();
    assert!(kernel.settle());
    let pid = number_after(&kernel, "mykt2: pid ");
    kernel.kill(pid, 2).unwrap();
    run_for(&kernel, 2000);
    assert!(state_of(&kernel, pid).is_some(), "SIGINT is not allowed: ignored");
    kernel.rmmod("kt2").unwrap();
    assert_dmesg(&kernel, "mykt2: stopped, signal pending 1");
    assert_dmesg(&kernel, "kt2: kthread_stop: 0");
    assert_clean(&kernel);
}

#[test]
fn callbacks_know_their_context_and_the_wall_clock_is_boot_plus_uptime() {
    let kernel = boot();
    kernel.insmod(ko("kcontext"), "").unwrap();
    run_for(&kernel, 20);
    kernel.rmmod("kcontext").unwrap();
    let process = "in_task 1 in_atomic 0 in_interrupt 0 in_softirq 0 in_serving_softirq 0";
    let softirq = "in_task 0 in_atomic 1 in_interrupt 1 in_softirq 1 in_serving_softirq 1";
    assert_dmesg(&kernel, &format!("init: {process}"));
    assert_dmesg(&kernel, "spinlock: in_task 1 in_atomic 1 in_interrupt 0 in_softirq 0 in_serving_softirq 0");
    assert_dmesg(&kernel, &format!("timer: {softirq}"));
    assert_dmesg(&kernel, &format!("tasklet: {softirq}"));
    assert_dmesg(&kernel, &format!("work: {process}"));

    assert_dmesg(&kernel, &format!("boot at {} ns since the epoch", kernel.clock().boot_wall().as_nanos()));
    assert_dmesg(&kernel, "real: ns 1, ts64 1, seconds 1");
    assert_dmesg(&kernel, "try_wait_for_completion: 0 1 0 1 1");
    let pid = number_after(&kernel, "created pid ");
    assert!(pid > 0);
    assert_eq!(number_after(&kernel, "running as pid "), pid, "the pid is known before the thread runs");
    assert_clean(&kernel);
}

#[test]
fn the_lab_eras_do_gettimeofday_reads_the_wall_clock() {
    let kernel = boot();
    kernel.clock().advance(std::time::Duration::from_millis(1500));
    kernel.insmod(build_c("snippets").join("wallclock_old.ko"), "").unwrap();
    let now = kernel.clock().boot_wall() + std::time::Duration::from_millis(1500);
    assert_dmesg(&kernel, &format!("loaded at {}.{:06}", now.as_secs(), now.subsec_micros()));
}
