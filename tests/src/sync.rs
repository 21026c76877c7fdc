//! Semaphores, mutexes, wait queues and completions, through the synctest
//! fixture: each step is a write to its `op` parameter (run on the writing
//! task), sleepers are its kthreads, and time is the manual clock (HZ=250,
//! so one jiffy is 4 ms). See the fixture's docs for the steps.

use crate::util::*;
use modhost::Kernel;
use std::time::Duration;

/// A kernel with synctest loaded.
fn synctest() -> Kernel {
    let kernel = boot();
    kernel.insmod(plugin("synctest"), "").unwrap();
    kernel
}

/// Runs one step on the calling thread's task, and waits until every
/// sleeper has gone to sleep or logged.
fn op(kernel: &Kernel, step: &str) {
    kernel.write("/sys/module/synctest/parameters/op", step).unwrap();
    assert!(kernel.settle(), "the kernel did not settle after {step}");
}

/// Moves the clock on by `n` jiffies and lets the sleepers react.
fn tick(kernel: &Kernel, n: u64) {
    kernel.clock().advance(Duration::from_millis(4 * n));
    assert!(kernel.settle(), "the kernel did not settle");
}

/// Whether dmesg has the line `synctest: <line>`.
fn logged(kernel: &Kernel, line: &str) -> bool {
    let line = format!("synctest: {line}");
    dmesg(kernel).contains(&line)
}

/// rmmod, which must leave nothing behind.
fn unload(kernel: &Kernel) {
    kernel.rmmod("synctest").unwrap();
    assert_dmesg(kernel, "synctest: exit");
    assert_nothing_pinned(kernel);
}

#[test]
fn down_trylock_returns_0_on_success_and_1_on_failure() {
    let kernel = synctest();
    op(&kernel, "trylock");
    assert_dmesg(&kernel, "synctest: down_trylock: 0 1 0");
    unload(&kernel);
}

#[test]
fn down_timeout_fails_with_etime_on_the_first_tick_after_the_timeout_and_not_before() {
    let kernel = synctest();
    op(&kernel, "down_timeout:late:10");
    tick(&kernel, 10);
    assert!(!logged(&kernel, "late: down_timeout: ETIME"), "timed out early");
    tick(&kernel, 1);
    assert_dmesg(&kernel, "synctest: late: down_timeout: ETIME");
    // In time, it takes the unit `up` hands it.
    op(&kernel, "down_timeout:early:10");
    tick(&kernel, 3);
    op(&kernel, "up");
    assert_dmesg(&kernel, "synctest: early: down_timeout: 0");
    unload(&kernel);
}

#[test]
fn up_hands_units_to_sleepers_in_fifo_order_and_no_late_trylock_takes_them() {
    let kernel = synctest();
    for sleeper in ["a", "b", "c"] {
        op(&kernel, &format!("down:{sleeper}"));
    }
    op(&kernel, "up");
    assert!(logged(&kernel, "a: down: 0") && !logged(&kernel, "b: down: 0"));
    op(&kernel, "up_trylock");
    assert_dmesg(&kernel, "synctest: up, then down_trylock: 1");
    assert!(logged(&kernel, "b: down: 0") && !logged(&kernel, "c: down: 0"));
    op(&kernel, "up");
    assert!(logged(&kernel, "c: down: 0"));
    let order: Vec<String> = dmesg(&kernel).into_iter().filter(|l| l.ends_with(": down: 0")).collect();
    assert_eq!(order, ["synctest: a: down: 0", "synctest: b: down: 0", "synctest: c: down: 0"]);
    unload(&kernel);
}

#[test]
fn down_interruptible_returns_eintr_when_the_module_goes_away() {
    let kernel = synctest();
    op(&kernel, "down_interruptible:di");
    assert!(!logged(&kernel, "di: down_interruptible: EINTR"));
    kernel.rmmod("synctest").unwrap();
    assert_dmesg(&kernel, "synctest: di: down_interruptible: EINTR");
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_mutex_unlocked_by_a_task_that_does_not_own_it_is_a_warning_and_stays_locked() {
    let kernel = synctest();
    op(&kernel, "lock");
    // Another thread is another task. (It writes without settling: this
    // thread, waiting for it, is a task that is not asleep.)
    let write = || kernel.write("/sys/module/synctest/parameters/op", "unlock");
    std::thread::scope(|s| s.spawn(write).join().unwrap()).unwrap();
    assert_dmesg_contains(&kernel, "[synctest]: mutex_unlock by a task that does not own it");
    op(&kernel, "is_locked");
    assert_dmesg(&kernel, "synctest: mutex_is_locked: true");
    op(&kernel, "unlock");
    op(&kernel, "is_locked");
    assert_dmesg(&kernel, "synctest: mutex_is_locked: false");
    op(&kernel, "unlock");
    assert_dmesg_contains(&kernel, "[synctest]: mutex_unlock of an unlocked mutex");
    assert!(kernel.taint().letters().contains('W'));
    unload(&kernel);
}

#[test]
fn a_recursive_mutex_lock_is_reported_and_oopses_instead_of_deadlocking() {
    let kernel = synctest();
    op(&kernel, "lock");
    assert!(kernel.write("/sys/module/synctest/parameters/op", "lock").is_err(), "the step oopsed");
    assert_dmesg(&kernel, "WARNING: possible recursive locking detected");
    assert_dmesg_contains(&kernel, "is trying to acquire lock:");
    assert_dmesg(&kernel, "  lock(mutex@tests/fixtures/synctest/src/lib.rs:88:20);");
    assert_dmesg_contains(&kernel, "Oops: synctest: panicked at");
    assert!(kernel.taint().letters().contains('D'));
    // The first lock is still held, by this task: it can unlock and unload.
    op(&kernel, "unlock");
    op(&kernel, "is_locked");
    assert_dmesg(&kernel, "synctest: mutex_is_locked: false");
    unload(&kernel);
}

#[test]
fn a_mutex_sleeper_gets_the_mutex_when_its_owner_unlocks_and_a_signal_ends_an_interruptible_wait() {
    let kernel = synctest();
    op(&kernel, "lock");
    op(&kernel, "mutex_lock:patient");
    op(&kernel, "mutex_lock_interruptible:impatient");
    op(&kernel, "stop:impatient");
    assert_dmesg(&kernel, "synctest: impatient: mutex_lock_interruptible: EINTR");
    assert!(!logged(&kernel, "patient: mutex_lock: 0"));
    op(&kernel, "unlock");
    assert_dmesg(&kernel, "synctest: patient: mutex_lock: 0");
    op(&kernel, "is_locked");
    assert_dmesg(&kernel, "synctest: mutex_is_locked: false");
    unload(&kernel);
}

#[test]
fn wait_event_timeout_returns_the_jiffies_left_when_woken_in_time() {
    let kernel = synctest();
    op(&kernel, "wait_event_timeout:we:10");
    tick(&kernel, 3);
    op(&kernel, "wake");
    assert_dmesg(&kernel, "synctest: we: wait_event_timeout: 7");
    // With the condition already true it does not sleep: all the time is left.
    op(&kernel, "wait_event_timeout:again:10");
    assert_dmesg(&kernel, "synctest: again: wait_event_timeout: 10");
    unload(&kernel);
}

#[test]
fn wait_event_timeout_returns_0_when_the_condition_is_still_false_at_the_timeout() {
    let kernel = synctest();
    op(&kernel, "wait_event_timeout:we:10");
    op(&kernel, "wake_only");
    tick(&kernel, 10);
    assert!(!logged(&kernel, "we: wait_event_timeout: 0"), "timed out early");
    tick(&kernel, 1);
    assert_dmesg(&kernel, "synctest: we: wait_event_timeout: 0");
    unload(&kernel);
}

#[test]
fn wait_event_timeout_returns_1_when_the_condition_came_true_only_by_the_timeout() {
    let kernel = synctest();
    op(&kernel, "wait_event_timeout:we:10");
    // True, but nobody calls wake_up: only the timeout makes it look again.
    op(&kernel, "set_flag");
    tick(&kernel, 11);
    assert_dmesg(&kernel, "synctest: we: wait_event_timeout: 1");
    unload(&kernel);
}

#[test]
fn wait_event_sleeps_through_wake_ups_until_its_condition_is_true_and_a_signal_ends_an_interruptible_one() {
    let kernel = synctest();
    op(&kernel, "wait_event:we");
    op(&kernel, "wait_event_interruptible_timeout:wi:1000");
    op(&kernel, "wake_only");
    tick(&kernel, 5);
    assert!(!logged(&kernel, "we: wait_event: 0"));
    op(&kernel, "stop:wi");
    assert_dmesg(&kernel, "synctest: wi: wait_event_interruptible_timeout: -512");
    op(&kernel, "wake");
    assert_dmesg(&kernel, "synctest: we: wait_event: 0");
    unload(&kernel);
}

#[test]
fn a_completion_counts_completes_and_complete_all_lasts_until_reinit() {
    let kernel = synctest();
    op(&kernel, "completion_single");
    assert_dmesg(&kernel, "synctest: completion: done false, complete: done true, wait_timeout(5): 5, done false");
    assert_dmesg(&kernel, "synctest: completion: complete_all: waits [5, 5, 5], done true, reinit: done false");
    unload(&kernel);
}

#[test]
fn complete_wakes_one_waiter_in_order_and_complete_all_every_waiter_now_and_later() {
    let kernel = synctest();
    op(&kernel, "wait_for_completion:a");
    op(&kernel, "wait_for_completion:b");
    op(&kernel, "complete");
    assert!(logged(&kernel, "a: wait_for_completion: 0") && !logged(&kernel, "b: wait_for_completion: 0"));
    op(&kernel, "complete_all");
    assert_dmesg(&kernel, "synctest: b: wait_for_completion: 0");
    op(&kernel, "wait_for_completion:c");
    assert_dmesg(&kernel, "synctest: c: wait_for_completion: 0");
    op(&kernel, "reinit");
    op(&kernel, "wait_for_completion:d");
    assert!(!logged(&kernel, "d: wait_for_completion: 0"));
    op(&kernel, "complete");
    assert_dmesg(&kernel, "synctest: d: wait_for_completion: 0");
    unload(&kernel);
}

#[test]
fn wait_for_completion_timeout_returns_the_jiffies_left_or_0_on_timeout() {
    let kernel = synctest();
    op(&kernel, "wait_for_completion_timeout:early:10");
    tick(&kernel, 4);
    op(&kernel, "complete");
    assert_dmesg(&kernel, "synctest: early: wait_for_completion_timeout: 6");
    op(&kernel, "wait_for_completion_timeout:late:10");
    tick(&kernel, 10);
    assert!(!logged(&kernel, "late: wait_for_completion_timeout: 0"), "timed out early");
    tick(&kernel, 1);
    assert_dmesg(&kernel, "synctest: late: wait_for_completion_timeout: 0");
    op(&kernel, "wait_for_completion_interruptible:wi");
    op(&kernel, "stop:wi");
    assert_dmesg(&kernel, "synctest: wi: wait_for_completion_interruptible: ERESTARTSYS");
    unload(&kernel);
}

#[test]
fn unload_wakes_a_leaked_sleeper_and_reports_a_leaked_locked_mutex() {
    let kernel = synctest();
    op(&kernel, "leak_sleeper");
    op(&kernel, "leak_locked");
    kernel.rmmod("synctest").unwrap();
    assert_dmesg_contains(&kernel, "synctest: semaphore (made at ");
    assert_dmesg_contains(&kernel, ") freed with 1 task waiting (killed) at unload");
    assert_dmesg_contains(&kernel, ") left locked by task ");
    assert!(kernel.ps().iter().all(|t| t.command != "leaky"), "the sleeper was woken and unwound");
    assert_nothing_pinned(&kernel);
}

#[test]
fn down_in_a_timer_callback_is_reported_as_sleeping_in_atomic_context() {
    let kernel = synctest();
    op(&kernel, "up");
    op(&kernel, "timer_down");
    tick(&kernel, 2);
    assert_dmesg_contains(
        &kernel,
        "BUG: sleeping function called from invalid context at tests/fixtures/synctest/src/lib.rs:",
    );
    assert_dmesg(&kernel, "down in a timer callback: the timer thread moves on, this callback sleeps");
    unload(&kernel);
}
