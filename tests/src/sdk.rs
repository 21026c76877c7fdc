//! The Rust SDK's kernel idioms: spinlocks and atomic context, static
//! kernel objects, `current`, `WQ_BH` work, `del_timer_sync` on a timer
//! that re-arms itself, and `jiffies` across the wrap.

use crate::util::*;
use modhost::Kernel;
use std::time::Duration;

fn sdktest(scenario: &str) -> Kernel {
    let kernel = boot();
    kernel.insmod(plugin("sdktest"), &format!("scenario={scenario}")).unwrap();
    assert!(kernel.settle());
    kernel
}

#[test]
fn a_spinlock_guards_its_data_and_try_lock_fails_while_it_is_held() {
    let kernel = sdktest("spinlock");
    assert_dmesg(&kernel, "sdktest: try_lock while held: false");
    assert_dmesg(&kernel, "sdktest: count 2, try_lock when free: true");
    assert_dmesg(&kernel, "sdktest: mutex try_lock while held: false");
    kernel.rmmod("sdktest").unwrap();
    assert!(
        dmesg(&kernel).iter().all(|l| !l.contains("BUG") && !l.contains("WARNING")),
        "{}",
        dmesg(&kernel).join("\n")
    );
}

#[test]
fn sleeping_while_holding_a_spinlock_is_reported_as_sleeping_in_atomic_context() {
    let kernel = boot();
    std::thread::scope(|scope| {
        // Init sleeps on the manual clock: it runs on a thread of its own.
        let loading = scope.spawn(|| kernel.insmod(plugin("sdktest"), "scenario=spin_sleep"));
        wait_for_line(&kernel, "schedule_timeout in a section holding a spinlock");
        kernel.clock().advance(Duration::from_millis(10));
        loading.join().expect("insmod returns").unwrap();
    });
    assert_dmesg_contains(
        &kernel,
        "BUG: sleeping function called from invalid context at tests/fixtures/sdktest/src/lib.rs:",
    );
    assert_dmesg(&kernel, "sdktest: slept holding a spinlock");
    kernel.rmmod("sdktest").unwrap();
}

#[test]
fn locking_a_spinlock_twice_is_the_kernels_spinlock_recursion_and_does_not_hang() {
    let kernel = sdktest("spin_recursion");
    assert_dmesg_contains(&kernel, "BUG: spinlock recursion: spin_lock of a spinlock this task holds");
    assert_dmesg(&kernel, "sdktest: the second spin_lock returned");
    kernel.rmmod("sdktest").unwrap();
}

#[test]
fn static_kernel_objects_are_made_on_first_use_and_freed_with_the_module() {
    let kernel = sdktest("statics");
    assert_dmesg(&kernel, "sdktest: static semaphore: trylock 0");
    assert_dmesg(&kernel, "sdktest: static work ran under the static mutex");
    assert_dmesg(&kernel, "sdktest: spinlock free: true");
    kernel.clock().advance(Duration::from_millis(40));
    assert!(kernel.settle());
    assert_dmesg(&kernel, "sdktest: static timer fired");
    kernel.rmmod("sdktest").unwrap();
    // Statics are not leaks; a static timer left armed is still reported.
    assert!(dmesg(&kernel).iter().all(|l| !l.contains("never freed")), "{}", dmesg(&kernel).join("\n"));
    assert_dmesg_contains(&kernel, "left armed; shut down at unload");
    assert_nothing_pinned(&kernel);
}

#[test]
fn current_names_the_task_that_runs_the_code() {
    let kernel = boot();
    kernel.insmod(plugin("sdktest"), "scenario=current").unwrap();
    // init runs in the insmod command's task, as in the kernel.
    assert_dmesg_contains(&kernel, "sdktest: init runs as insmod (pid ");
    assert_dmesg_contains(&kernel, "sdktest: the kthread runs as sdk_kt (pid ");
    kernel.rmmod("sdktest").unwrap();
}

#[test]
fn a_bh_work_item_that_sleeps_is_reported_like_a_timer_callback() {
    let kernel = boot();
    kernel.insmod(plugin("sdktest"), "scenario=bh_sleep").unwrap();
    assert!(kernel.settle());
    assert_dmesg_contains(&kernel, "schedule_timeout in a BH work item");
    kernel.clock().advance(Duration::from_millis(10));
    assert!(kernel.settle());
    assert_dmesg(&kernel, "sdktest: a BH work item slept");
    kernel.rmmod("sdktest").unwrap();
}

#[test]
fn tasklets_never_overlap_hold_runs_while_disabled_and_die_when_killed() {
    let kernel = boot();
    kernel.insmod(plugin("tasklettest"), "").unwrap();
    assert_dmesg(&kernel, "tasklettest: killed: scheduled false");
    assert!(kernel.settle());
    kernel.rmmod("tasklettest").unwrap();
    assert_dmesg(&kernel, "tasklettest: runs 5, overlapping 0, scheduled false");
    assert_dmesg(&kernel, "tasklettest: held ran 0 times before enable");
    assert_dmesg(&kernel, "tasklettest: held ran 1 times after enable");
    assert_dmesg(&kernel, "tasklettest: killed ran 0 times");
    assert_nothing_pinned(&kernel);
}
