//! The C API of time, timers, deferred work, threads, sleeping and locks,
//! run: the module sources of `tests/c/snippets` (written as the courseware
//! and the lab write them, in both API generations) built by kbuild and
//! loaded, with the lines they print and nothing the host had to report.
//!
//! Modules whose init only starts things run on a manual clock moved one
//! jiffy at a time; those whose init sleeps or busy-waits on the clock run
//! on the real one, and only what they print is checked, never how long
//! it took.

use crate::{cbuild::build_c, clab::run_for, util::*};
use modhost::Kernel;
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("snippets").join(format!("{name}.ko"))
}

/// A kernel on the real clock, for modules whose init sleeps.
fn boot_real_clock() -> Kernel {
    Kernel::builder().module_path(module_dir()).boot()
}

/// The dmesg lines that start with `prefix`.
fn lines(kernel: &Kernel, prefix: &str) -> Vec<String> {
    dmesg(kernel).into_iter().filter(|l| l.starts_with(prefix)).collect()
}

/// Nothing the host reports about module code: no warning, bug, Oops or leak.
#[track_caller]
fn assert_clean(kernel: &Kernel) {
    let bad: Vec<String> = dmesg(kernel)
        .into_iter()
        .filter(|l| {
            ["WARNING", "BUG", "Oops", "leak", "never freed", "invalid", "Call Trace"].iter().any(|w| l.contains(w))
        })
        .collect();
    assert!(bad.is_empty(), "the host reported:\n{}\n\nin:\n{}", bad.join("\n"), dmesg(kernel).join("\n"));
    assert_nothing_pinned(kernel);
}

#[test]
fn timers_of_both_generations_fire_rearm_and_delete() {
    let kernel = boot();
    kernel.insmod(ko("timer_old"), "").unwrap();
    assert_dmesg(&kernel, "t2 pending: 1, mod_timer says 1");
    run_for(&kernel, 700);
    kernel.rmmod("timer_old").unwrap();
    assert_eq!(lines(&kernel, "timer 1 fired at ").len(), 5, "{:?}", dmesg(&kernel));
    assert!(lines(&kernel, "timer 2").is_empty(), "t2 was deleted before it fired");
    assert_dmesg(&kernel, "del_timer: 1");

    kernel.insmod(ko("timer_new"), "").unwrap();
    run_for(&kernel, 1500);
    kernel.rmmod("timer_new").unwrap();
    assert_eq!(lines(&kernel, "once: ").len(), 1);
    assert_dmesg(&kernel, "beat: 5 beats; once was not pending");
    assert_clean(&kernel);
}

#[test]
fn work_items_run_free_themselves_and_rearm_at_their_rate() {
    let kernel = boot();
    kernel.insmod(ko("workqueue_wiki"), "").unwrap();
    run_for(&kernel, 20);
    kernel.rmmod("workqueue_wiki").unwrap();
    for n in 0..3 {
        assert_dmesg_contains(&kernel, &format!("counter {n}, jiffies "));
        assert_dmesg(&kernel, &format!("delayed {n}"));
    }

    // Lab-era: `void f(void)` as a work function, HZ / rate jiffies apart.
    kernel.insmod(ko("lab_rate"), "rate=10").unwrap();
    run_for(&kernel, 3000);
    kernel.rmmod("lab_rate").unwrap();
    let produced = lines(&kernel, "produce").len();
    assert!((8..=10).contains(&produced), "10 items/s for the 1 s after a 2 s delay: {produced}");

    kernel.insmod(ko("lab_rate_new"), "rate=5").unwrap();
    // Queued with no delay, the item may already run on its worker by the
    // time init's `mod_delayed_work` looks (as on Linux): whether that
    // finds it pending ("re-armed") is a race. Once it runs, it re-arms
    // itself every 200 ms: 5 items in every later second.
    run_for(&kernel, 1100);
    let first = lines(&kernel, "produce (pending").len();
    assert!(first >= 1, "it ran within HZ: {first}");
    run_for(&kernel, 1000);
    let runs = lines(&kernel, "produce (pending").len() - first;
    assert!((4..=6).contains(&runs), "5 items/s: {runs} runs in a second");
    kernel.rmmod("lab_rate_new").unwrap();
    assert_dmesg(&kernel, "pending after disable: 0");

    kernel.insmod(ko("workqueue_courseware"), "").unwrap();
    run_for(&kernel, 1100);
    kernel.rmmod("workqueue_courseware").unwrap();
    assert_eq!(lines(&kernel, "work ").len(), 4, "{:?}", dmesg(&kernel));
    assert_clean(&kernel);
}

#[test]
fn flushing_the_system_workqueue_warns_when_it_runs() {
    let kernel = boot();
    kernel.insmod(ko("workqueue_flush_system"), "").unwrap();
    assert_dmesg(&kernel, "Flushing system-wide workqueues will be prohibited in near future.");
    assert_dmesg_contains(&kernel, "Call Trace:");
}

#[test]
fn kthreads_sleep_are_woken_and_stopped() {
    let kernel = boot();
    kernel.insmod(ko("kthread_kt1"), "").unwrap();
    assert!(kernel.settle());
    assert!(lines(&kernel, "mykt: pid ").len() == 1, "{:?}", dmesg(&kernel));
    kernel.rmmod("kthread_kt1").unwrap();
    assert_dmesg(&kernel, "mykt exits");
    assert_dmesg(&kernel, "kthread_stop: 0");

    kernel.insmod(ko("kthread_kt2"), "").unwrap();
    run_for(&kernel, 250);
    kernel.rmmod("kthread_kt2").unwrap();
    assert!(lines(&kernel, "worker 0 (kt2/0, pid ").len() >= 2, "{:?}", dmesg(&kernel));
    assert!(lines(&kernel, "worker 1 (kt2/1, pid ").len() >= 2, "{:?}", dmesg(&kernel));
    assert_dmesg(&kernel, "worker 0 returned 0");
    assert_dmesg(&kernel, "worker 1 returned 1");
    assert_clean(&kernel);
}

#[test]
fn tasklets_of_both_generations_run_once_enabled() {
    let kernel = boot();
    kernel.insmod(ko("tasklet_old"), "").unwrap();
    kernel.insmod(ko("tasklet_new"), "").unwrap();
    assert!(kernel.settle());
    kernel.rmmod("tasklet_old").unwrap();
    kernel.rmmod("tasklet_new").unwrap();
    assert_dmesg(&kernel, "tasklet 1, in_interrupt 256");
    assert_dmesg(&kernel, "tasklet 2, in_interrupt 256");
    assert_dmesg(&kernel, "legacy 0");
    assert_clean(&kernel);
}

#[test]
fn locks_completions_and_wait_queues_of_the_lab_and_the_courseware() {
    let kernel = boot();
    kernel.insmod(ko("fifo"), "").unwrap();
    kernel.rmmod("fifo").unwrap();
    assert_dmesg(&kernel, "fifo: locked 0");
    kernel.insmod(ko("semaphore_new"), "").unwrap();
    kernel.insmod(ko("sync_misc"), "").unwrap();
    assert_dmesg(&kernel, "left 250, ret 0");

    kernel.insmod(ko("sleepy"), "").unwrap();
    assert_dmesg_contains(&kernel, "awoken ");
    run_for(&kernel, 1100);
    kernel.rmmod("sleepy").unwrap();
    assert_dmesg(&kernel, "whee 1");
    // dump_stack() in the timer function: the module's frames, the kernel's names.
    assert_dmesg_contains(&kernel, "whee_fn+");
    assert_dmesg_contains(&kernel, "call_timer_fn+");
}

#[test]
fn delays_sleeps_and_waits_by_hand_on_the_real_clock() {
    let kernel = boot_real_clock();
    kernel.insmod(ko("delay"), "").unwrap();
    assert_dmesg(&kernel, "schedule_timeout: 0 jiffies left");
    assert_dmesg(&kernel, "schedule_timeout: wrong timeout value fffffffffffffffb");
    assert_dmesg(&kernel, "a negative timeout: 0");
    assert_dmesg(&kernel, "msleep_interruptible: 0 ms left");
    assert_dmesg(&kernel, "timed out");
    kernel.rmmod("delay").unwrap();

    let kernel = boot_real_clock();
    kernel.insmod(ko("time"), "").unwrap();
    assert_dmesg_contains(&kernel, "HZ 250: 10 ms = 3 jiffies, 3 jiffies = 12000 us;");
    assert_dmesg(&kernel, "in range: 1");

    kernel.insmod(ko("wait_by_hand"), "").unwrap();
    assert_dmesg(&kernel, "got 20 items, queue active: 0");
    kernel.rmmod("wait_by_hand").unwrap();
    assert_clean(&kernel);
}

#[test]
fn no_wake_up_is_lost_between_set_current_state_and_schedule() {
    let kernel = boot_real_clock();
    kernel.insmod(ko("wakeups"), "rounds=20000").unwrap();
    assert_dmesg(&kernel, "20000 rounds; the disabled tasklet ran 0 times");
    kernel.rmmod("wakeups").unwrap();
    assert_dmesg(&kernel, "sleeper saw 20000, waker returned 0");
    // Every reader saw every 100th round, plus the stop.
    assert_dmesg(&kernel, "readers woke 804 times, the tasklet ran 1 times");
    assert_clean(&kernel);
}
