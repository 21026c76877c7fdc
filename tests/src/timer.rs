//! Timers: never early, the kernel's return values, self-re-arming and
//! shutdown, callbacks that sleep or panic, timers left armed at unload.

use crate::util::*;
use modhost::Kernel;
use std::time::Duration;

/// HZ is 250 in these kernels: one jiffy is 4 ms.
const JIFFY: Duration = Duration::from_millis(4);

fn advance(kernel: &Kernel, jiffies: u32) {
    kernel.clock().advance(JIFFY * jiffies);
    assert!(kernel.settle(), "the kernel did not settle");
}

fn load(scenario: &str) -> Kernel {
    let kernel = boot();
    kernel.insmod(plugin("timertest"), &format!("scenario={scenario}")).unwrap();
    kernel
}

#[test]
fn a_timer_runs_on_the_first_tick_after_its_expiry_never_before() {
    let kernel = load("once");
    advance(&kernel, 10);
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("fired")), "not at expires itself");
    advance(&kernel, 1);
    assert_dmesg(&kernel, "timertest: fired at +11");
}

#[test]
fn mod_timer_and_del_timer_return_what_the_kernel_returns() {
    let kernel = load("returns");
    assert_dmesg(&kernel, "timertest: pending false");
    assert_dmesg(&kernel, "timertest: mod_timer on inactive: false");
    assert_dmesg(&kernel, "timertest: mod_timer on pending: true");
    assert_dmesg(&kernel, "timertest: pending true, expires +200");
    assert_dmesg(&kernel, "timertest: del_timer on pending: true");
    assert_dmesg(&kernel, "timertest: del_timer on inactive: false");
    advance(&kernel, 300);
    assert!(!dmesg(&kernel).iter().any(|l| l == "timertest: fired"), "a deleted timer never runs");
}

#[test]
fn a_self_rearming_timer_keeps_its_period_and_shutdown_stops_it() {
    let kernel = load("periodic");
    advance(&kernel, 26);
    for _ in 0..3 {
        advance(&kernel, 25);
    }
    for (n, at) in [(1, 26), (2, 51), (3, 76), (4, 101)] {
        assert_dmesg(&kernel, &format!("timertest: tick {n} at +{at}"));
    }
    kernel.write("/sys/module/timertest/parameters/stop", "1").unwrap();
    assert_dmesg(&kernel, "timertest: timer_shutdown_sync returned true");
    advance(&kernel, 100);
    assert!(!dmesg(&kernel).iter().any(|l| l.starts_with("timertest: tick 5")), "no tick after shutdown");
    kernel.rmmod("timertest").unwrap();
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_callback_that_sleeps_is_a_bug_that_stalls_no_other_timer() {
    let kernel = load("sleepy");
    advance(&kernel, 11);
    assert_dmesg(&kernel, "timertest: A fired at +11, sleeping");
    assert_dmesg_contains(
        &kernel,
        "BUG: sleeping function called from invalid context at tests/fixtures/timertest/src/lib.rs:",
    );
    assert_dmesg_contains(&kernel, "schedule_timeout in a timer callback");
    advance(&kernel, 20);
    assert_dmesg(&kernel, "timertest: B fired at +31");
    assert!(!dmesg(&kernel).iter().any(|l| l.starts_with("timertest: A woke")), "A is still asleep");
    advance(&kernel, 250);
    assert_dmesg(&kernel, "timertest: A woke at +281");
    kernel.rmmod("timertest").unwrap();
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_timer_left_armed_at_unload_is_shut_down_and_reported() {
    let kernel = load("leftarmed");
    kernel.rmmod("timertest").unwrap();
    assert_dmesg_contains(&kernel, "timertest: timer (made at tests/fixtures/timertest/src/lib.rs:");
    assert_dmesg_contains(&kernel, "left armed; shut down at unload");
    advance(&kernel, 20_000);
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("must never run")));
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_panicking_callback_is_an_oops_and_the_module_can_still_go() {
    let kernel = load("panic");
    advance(&kernel, 6);
    assert_dmesg_contains(&kernel, "Oops: timertest: panicked at tests/fixtures/timertest/src/lib.rs:");
    assert_dmesg_contains(&kernel, "timer callback panics");
    assert!(kernel.taint().letters().contains('D'));
    kernel.rmmod("timertest").unwrap();
    assert_nothing_pinned(&kernel);
}

#[test]
fn add_timer_on_a_pending_timer_is_a_warning() {
    let kernel = load("addpending");
    assert_dmesg_contains(&kernel, "WARNING: at tests/fixtures/timertest/src/lib.rs:");
    assert_dmesg_contains(&kernel, "[timertest]: add_timer of a pending timer");
    assert!(kernel.taint().letters().contains('W'));
}

#[test]
fn del_timer_sync_waits_for_the_callback_and_deactivates_its_own_re_arming() {
    let kernel = load("rearming");
    kernel.clock().advance(JIFFY * 2);
    // The callback busy-waits 300 ms, then re-arms its timer: stop it meanwhile.
    wait_for_line(&kernel, "timertest: busy tick");
    kernel.write("/sys/module/timertest/parameters/stop", "1").unwrap();
    assert_dmesg(&kernel, "timertest: del_timer_sync returned true");
    assert_dmesg(&kernel, "timertest: pending after del_timer_sync: false");
    advance(&kernel, 10);
    let ticks = dmesg(&kernel).iter().filter(|l| l.ends_with("busy tick")).count();
    assert_eq!(ticks, 1, "the re-arming was deactivated");
    kernel.rmmod("timertest").unwrap();
}
