//! kthreads, and what rmmod does to modules whose threads or exit misbehave.

use crate::util::*;
use modhost::{ErrorKind, Kernel};
use std::time::Duration;

/// A kernel whose rmmod gives up on an exit after 300 ms.
fn boot_impatient() -> Kernel {
    modhost::Kernel::builder()
        .manual_clock()
        .module_path(module_dir())
        .exit_timeout(Duration::from_millis(300))
        .hung_task_timeout(Duration::from_secs(10))
        .boot()
}

fn step(kernel: &Kernel, seconds: u64) {
    kernel.clock().advance(Duration::from_secs(seconds));
    assert!(kernel.settle(), "the kernel did not settle");
}

fn dmesg_value(kernel: &Kernel, prefix: &str) -> i32 {
    let line = dmesg(kernel).into_iter().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?}"));
    line[prefix.len()..].trim().parse().unwrap()
}

#[test]
fn a_kthread_runs_until_stopped_and_its_result_comes_back() {
    let kernel = boot();
    kernel.insmod(plugin("kthreadtest"), "mode=run").unwrap();
    assert!(kernel.settle());
    for _ in 0..3 {
        step(&kernel, 1);
    }
    let ps = kernel.ps();
    let thread = ps.iter().find(|t| t.command == "kt_patient").expect("kt_patient in ps");
    assert_eq!((thread.state, thread.module.as_deref()), ('S', Some("kthreadtest")));
    assert!(thread.wchan.as_deref().unwrap_or("").contains("kthreadtest/src/lib.rs"), "{thread:?}");
    kernel.rmmod("kthreadtest").unwrap();
    // One whole second slept by t = 2 s (a sleep of 1000 ms ends on the
    // tick after 250 jiffies, and the next one started then ends after
    // t = 3 s), and one more round as kthread_stop wakes it. rmmod itself
    // does not interrupt a kthread, so its loop never spins meanwhile.
    let rounds = dmesg_value(&kernel, "kthreadtest: kthread returned");
    assert_eq!(rounds, 2, "{}", dmesg(&kernel).join("\n"));
    assert_dmesg(&kernel, "kthreadtest: exit done");
    assert!(kernel.ps().iter().all(|t| t.command != "kt_patient"), "the thread is gone");
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_kthread_stopped_before_it_ever_ran_returns_eintr() {
    let kernel = boot();
    kernel.insmod(plugin("kthreadtest"), "mode=create").unwrap();
    kernel.rmmod("kthreadtest").unwrap();
    assert_eq!(dmesg_value(&kernel, "kthreadtest: kthread returned"), -4);
}

#[test]
fn stopping_a_kthread_that_already_exited_is_reported_and_returns_its_result() {
    let kernel = boot();
    kernel.insmod(plugin("kthreadtest"), "mode=exited").unwrap();
    assert!(kernel.settle());
    kernel.rmmod("kthreadtest").unwrap();
    assert_dmesg_contains(&kernel, "kthreadtest: kthread_stop: kt_quick already exited (returned 7)");
    assert_eq!(dmesg_value(&kernel, "kthreadtest: kthread returned"), 7);
}

#[test]
fn kthread_stop_ends_the_threads_interruptible_sleep() {
    let kernel = boot();
    kernel.insmod(plugin("kthreadtest"), "mode=interrupt").unwrap();
    assert!(kernel.settle());
    kernel.rmmod("kthreadtest").unwrap();
    assert_dmesg(&kernel, "kthreadtest: sleep ended early: true ms left, signal pending: true");
    assert_eq!(dmesg_value(&kernel, "kthreadtest: kthread returned"), 0);
}

#[test]
fn a_stuck_exit_makes_rmmod_fail_and_rmmod_f_finishes_it() {
    let kernel = boot_impatient();
    kernel.insmod(plugin("kthreadtest"), "mode=stuck").unwrap();
    let err = kernel.rmmod("kthreadtest").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy);
    assert_eq!(err.to_string(), "kthreadtest: exit is blocked after 0.3 seconds; the module stays unloading");
    assert_dmesg_contains(&kernel, "INFO: task rmmod:");
    assert_dmesg_contains(&kernel, "blocked for more than 0.3 seconds.");
    assert_dmesg_contains(&kernel, "task:rmmod state:D at tests/fixtures/kthreadtest/src/lib.rs:");
    let lsmod = kernel.lsmod();
    assert_eq!(lsmod.len(), 1);
    assert_eq!(lsmod[0].state.proc_name(), "Unloading");
    assert!(kernel.read("/proc/modules").unwrap().contains(" Unloading "));
    let err = kernel.rmmod("kthreadtest").unwrap_err();
    assert_eq!(err.to_string(), "kthreadtest: already unloading");
    kernel.rmmod_force("kthreadtest").unwrap();
    assert!(kernel.lsmod().is_empty());
    assert!(kernel.taint().letters().contains('R'));
    assert!(kernel.ps().iter().all(|t| t.command != "kt_stubborn"), "the stuck thread was killed");
    assert_nothing_pinned(&kernel);
}

#[test]
fn an_exit_that_sleeps_for_ever_is_killed_by_rmmod_f() {
    let kernel = boot_impatient();
    kernel.insmod(plugin("kthreadtest"), "mode=sleepy").unwrap();
    assert_eq!(kernel.rmmod("kthreadtest").unwrap_err().kind(), ErrorKind::Busy);
    kernel.rmmod_force("kthreadtest").unwrap();
    assert!(kernel.lsmod().is_empty());
    assert!(!dmesg(&kernel).iter().any(|l| l == "kthreadtest: exit done"), "exit was unwound, not finished");
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_kthread_left_running_at_exit_is_stopped_and_reported() {
    let kernel = boot();
    kernel.insmod(plugin("kthreadtest"), "mode=leak").unwrap();
    assert!(kernel.settle());
    kernel.rmmod("kthreadtest").unwrap();
    assert_dmesg_contains(&kernel, "kthread kt_patient (made at ");
    assert_dmesg_contains(&kernel, ") left running; stopped at unload");
    assert_dmesg_contains(&kernel, " object type: task_struct hint: made at ");
    assert_dmesg_contains(&kernel, "was never freed");
    assert!(kernel.ps().iter().all(|t| t.command != "kt_patient"));
    assert_nothing_pinned(&kernel);
}

#[test]
fn the_hung_task_detector_reports_a_long_uninterruptible_sleep_once() {
    let kernel = boot_impatient();
    kernel.insmod(plugin("kthreadtest"), "mode=hung").unwrap();
    assert!(kernel.settle());
    step(&kernel, 9);
    assert!(!dmesg(&kernel).iter().any(|l| l.starts_with("INFO: task kt_hung")));
    step(&kernel, 2);
    step(&kernel, 1);
    let reports: Vec<String> = dmesg(&kernel).into_iter().filter(|l| l.starts_with("INFO: task kt_hung:")).collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].ends_with("blocked for more than 10 seconds."), "{reports:?}");
    assert_dmesg_contains(&kernel, "task:kt_hung state:D at tests/fixtures/kthreadtest/src/lib.rs:");
    step(&kernel, 30);
    let count = dmesg(&kernel).iter().filter(|l| l.starts_with("INFO: task kt_hung:")).count();
    assert_eq!(count, 1, "reported once");
    assert_eq!(kernel.rmmod("kthreadtest").unwrap_err().kind(), ErrorKind::Busy);
    kernel.rmmod_force("kthreadtest").unwrap();
    assert_nothing_pinned(&kernel);
}
