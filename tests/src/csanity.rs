//! Lab sanity: the classic parameter mistakes named as they happen.

use crate::{cbuild::build_c, util::*};
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("sanity").join(format!("{name}.ko"))
}

#[test]
fn a_rate_above_hz_makes_a_zero_delay_busy_loop_that_is_named_once() {
    let kernel = boot();
    kernel.insmod(ko("busy_rate"), "rate=1000").unwrap();
    wait_for_line(&kernel, "busy_rate: a work item re-arms itself with a delay of 0 jiffies at busy_rate.c:");
    assert_dmesg_contains(&kernel, "a busy loop (at HZ=250 a delay under 4 ms rounds to 0");
    kernel.rmmod("busy_rate").unwrap();
    let reports = dmesg(&kernel).iter().filter(|l| l.contains("re-arms itself with a delay of 0")).count();
    assert_eq!(reports, 1, "once per item");
}

#[test]
fn a_rate_at_or_below_hz_is_not_a_busy_loop() {
    let kernel = boot();
    kernel.insmod(ko("busy_rate"), "rate=250").unwrap();
    crate::clab::run_for(&kernel, 40);
    kernel.rmmod("busy_rate").unwrap();
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("re-arms itself")), "{:?}", dmesg(&kernel));
    assert_dmesg_contains(&kernel, "produced ");
}

/// Sets the knobs of `/sys/kernel/debug/FAULT`.
fn inject(kernel: &modhost::Kernel, fault: &str, knobs: &[(&str, &str)]) {
    for (knob, value) in knobs {
        kernel.write(&format!("/sys/kernel/debug/{fault}/{knob}"), value).unwrap();
    }
}

#[test]
fn failslab_fails_the_nth_kmalloc_of_one_module_and_init_fails_with_enomem() {
    let kernel = boot();
    inject(&kernel, "failslab", &[("module", "leak"), ("times", "1"), ("probability", "100")]);
    assert_eq!(kernel.read("/sys/kernel/debug/failslab/module").unwrap(), "leak\n");
    let err = kernel.insmod(build_c("memory").join("leak.ko"), "").unwrap_err();
    assert_eq!(err.errno(), modhost::Errno::ENOMEM, "{err}");
    assert_dmesg(&kernel, "FAULT_INJECTION: forcing a failure.");
    assert_dmesg(&kernel, "name failslab, interval 1, probability 100, space 0, times 0");
    assert!(kernel.lsmod().is_empty(), "the failed init was undone");
    kernel.insmod(build_c("memory").join("leak.ko"), "").unwrap();
    assert_eq!(kernel.read("/sys/kernel/debug/failslab/times").unwrap(), "0\n", "one failure, as asked");
}

#[test]
fn fail_down_makes_an_interruptible_down_return_eintr() {
    let kernel = boot();
    inject(&kernel, "fail_down", &[("module", "sem_init"), ("probability", "100")]);
    assert!(kernel.insmod(ko("sem_init"), "").is_err());
    assert_dmesg(&kernel, "down_interruptible: -4");
    assert_dmesg(&kernel, "FAULT_INJECTION: forcing a failure.");
    kernel.insmod(ko("sem_init"), "").unwrap();
    assert_dmesg(&kernel, "down_interruptible: 0");
    let err = kernel.write("/sys/kernel/debug/fail_down/interval", "often").unwrap_err();
    assert!(err.to_string().contains("is not a number"), "{err}");
}

#[test]
fn a_timer_still_armed_when_its_module_goes_is_an_odebug_free_active() {
    let kernel = boot();
    kernel.insmod(ko("timer_left"), "").unwrap();
    kernel.rmmod("timer_left").unwrap();
    let lines = dmesg(&kernel);
    let odebug = lines.iter().find(|l| l.starts_with("ODEBUG: free active (active state 0) object: ")).expect("ODEBUG");
    assert!(
        odebug.contains(" object type: timer_list hint: fire+0x0/0x"),
        "the callback, as the kernel names it: {odebug}"
    );
    assert!(odebug.ends_with(" [timer_left]"), "{odebug}");
    assert!(!odebug.contains("object: 0000000000000000"), "{odebug}");
    assert_dmesg_contains(&kernel, "left armed; shut down at unload");
    assert!(!lines.iter().any(|l| l == "fired"));
}

#[test]
fn a_work_item_re_arming_after_a_plain_cancel_is_named_with_the_sync_call() {
    let kernel = boot();
    kernel.insmod(ko("rearm_nosync"), "").unwrap();
    wait_for_line(&kernel, "re-armed itself after a cancel: ");
    let lines = dmesg(&kernel);
    let warning = lines.iter().find(|l| l.contains("re-armed itself after a cancel: ")).unwrap();
    assert!(warning.starts_with("WARNING: at rearm_nosync.c:22 [rearm_nosync]: tick+0x0/0x"), "{warning}");
    assert!(
        warning.ends_with(
            "cancel_delayed_work() at rearm_nosync.c:29 returned while it ran; cancel_delayed_work_sync() waits \
             for the run in progress"
        ),
        "{warning}"
    );
    assert_eq!(lines.iter().filter(|l| l.contains("re-armed itself after a cancel")).count(), 1);
    kernel.rmmod("rearm_nosync").unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn sleeping_in_a_timer_callback_or_under_a_spinlock_is_named_with_its_site() {
    let kernel = boot();
    kernel.insmod(ko("atomic_sleep"), "").unwrap();
    assert_dmesg(&kernel, "BUG: sleeping function called from invalid context at atomic_sleep.c:27 [atomic_sleep]");
    crate::clab::run_for(&kernel, 12);
    assert_dmesg(&kernel, "BUG: sleeping function called from invalid context at atomic_sleep.c:20 [atomic_sleep]");
    assert_dmesg_contains(&kernel, "in a timer callback");
    kernel.rmmod("atomic_sleep").unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_kthread_exit_forgot_to_stop_is_an_odebug_free_active_and_is_stopped() {
    let kernel = boot();
    kernel.insmod(ko("kthread_left"), "").unwrap();
    crate::clab::run_for(&kernel, 200);
    kernel.rmmod("kthread_left").unwrap();
    let lines = dmesg(&kernel);
    let odebug = lines.iter().find(|l| l.starts_with("ODEBUG: free active (active state 0) object: ")).expect("ODEBUG");
    assert!(odebug.contains(" object type: task_struct hint: tick_fn+0x0/0x"), "{odebug}");
    assert!(odebug.ends_with(" [kthread_left]"), "{odebug}");
    assert_dmesg_contains(&kernel, "left running; stopped at unload");
    assert!(kernel.ps().iter().all(|t| t.command != "ticker"));
}
