//! Workqueues and work items, end to end through the `wqtest` fixture.
//!
//! Every test loads `wqtest` with a scenario, moves the manual clock (HZ
//! 250: a jiffy is 4 ms) and settles, then reads what the module logged.

use crate::util::*;
use modhost::Kernel;
use std::time::Duration;

/// One jiffy at HZ 250, in milliseconds.
const JIFFY: u64 = 4;

/// A kernel with `wqtest` loaded in `scenario`, settled.
fn load(scenario: &str) -> Kernel {
    load_with(&format!("scenario={scenario}"))
}

fn load_with(args: &str) -> Kernel {
    let kernel = boot();
    kernel.insmod(plugin("wqtest"), args).unwrap();
    assert!(kernel.settle(), "the kernel did not settle");
    kernel
}

/// Moves the clock by `ms` and waits until everything that became due ran.
fn advance(kernel: &Kernel, ms: u64) {
    kernel.clock().advance(Duration::from_millis(ms));
    assert!(kernel.settle(), "the kernel did not settle");
}

/// Makes the scenario take its next step.
fn step(kernel: &Kernel, what: &str) {
    kernel.write("/sys/module/wqtest/parameters/step", what).unwrap();
    assert!(kernel.settle(), "the kernel did not settle");
}

/// What the module logged, without the `wqtest: ` prefix.
fn said(kernel: &Kernel) -> Vec<String> {
    dmesg(kernel).iter().filter_map(|l| l.strip_prefix("wqtest: ")).map(str::to_string).collect()
}

fn count(kernel: &Kernel, line: &str) -> usize {
    said(kernel).iter().filter(|l| *l == line).count()
}

#[track_caller]
fn position(kernel: &Kernel, line: &str) -> usize {
    let lines = said(kernel);
    lines
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("wqtest did not say {line:?}; it said:\n{}", lines.join("\n")))
}

/// Asserts that the module said these lines, in this order.
#[track_caller]
fn assert_said_in_order(kernel: &Kernel, lines: &[&str]) {
    let at: Vec<usize> = lines.iter().map(|l| position(kernel, l)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "out of order: {lines:?} at {at:?}");
}

/// The module's worker threads, as `ps` shows them.
fn workers(kernel: &Kernel) -> Vec<String> {
    let ps = kernel.ps();
    ps.into_iter()
        .filter(|t| t.command.starts_with("kworker/") && t.module.as_deref() == Some("wqtest"))
        .map(|t| t.command)
        .collect()
}

fn unload(kernel: &Kernel) {
    kernel.rmmod("wqtest").unwrap();
    assert_dmesg(kernel, "wqtest: exit");
    assert_nothing_pinned(kernel);
}

#[test]
fn queue_work_refuses_a_pending_item_and_it_runs_once() {
    let kernel = load("pending");
    assert_said_in_order(&kernel, &["queue gate: true", "queue a: true", "queue a again: false", "a pending: true"]);
    assert_eq!(count(&kernel, "a ran"), 0, "a waits behind the gate");
    advance(&kernel, 2 * JIFFY);
    assert_said_in_order(&kernel, &["gate done", "a ran"]);
    assert_eq!(count(&kernel, "a ran"), 1);
    unload(&kernel);
}

#[test]
fn a_delay_of_zero_queues_at_once() {
    let kernel = load("delay0");
    // The worker may run it before init logs what queueing returned.
    assert_eq!(count(&kernel, "queue_delayed_work(0): true"), 1);
    assert_eq!(count(&kernel, "d ran after 0 jiffies"), 1);
    unload(&kernel);
}

#[test]
fn a_delayed_item_runs_on_the_first_tick_after_its_delay() {
    let kernel = load_with("scenario=delayed delay=10");
    assert_said_in_order(&kernel, &["queue_delayed_work(10): true", "queue_delayed_work again: false"]);
    advance(&kernel, 10 * JIFFY);
    assert!(!said(&kernel).iter().any(|l| l.starts_with("d ran")), "not at jiffies + 10");
    advance(&kernel, JIFFY);
    assert_eq!(count(&kernel, "d ran after 11 jiffies"), 1);
    advance(&kernel, 1000);
    assert_eq!(said(&kernel).iter().filter(|l| l.starts_with("d ran")).count(), 1);
    unload(&kernel);
}

#[test]
fn mod_delayed_work_queues_an_idle_item_and_re_arms_a_pending_one() {
    let kernel = load("mod");
    assert_said_in_order(
        &kernel,
        &["mod idle d to 50: false", "mod pending d to 20: true", "queue e in 100: true", "mod pending e to 0: true"],
    );
    assert_eq!(count(&kernel, "e ran after 0 jiffies"), 1, "a delay of 0 runs it at once");
    advance(&kernel, 20 * JIFFY);
    assert!(!said(&kernel).iter().any(|l| l.starts_with("d ran")));
    advance(&kernel, JIFFY);
    assert_eq!(count(&kernel, "d ran after 21 jiffies"), 1, "re-armed to 20, not 50");
    advance(&kernel, 1000);
    let runs = said(&kernel).iter().filter(|l| l.starts_with("d ran") || l.starts_with("e ran")).count();
    assert_eq!(runs, 2, "each ran once");
    unload(&kernel);
}

#[test]
fn an_item_queued_while_it_runs_runs_again_afterwards_never_beside_itself() {
    let kernel = load("reenter");
    assert_said_in_order(&kernel, &["run 1 starts (1 inside)", "requeue: true", "requeue again: false"]);
    assert_eq!(count(&kernel, "run 2 starts (1 inside)"), 0, "a free worker must not start it meanwhile");
    advance(&kernel, 2 * JIFFY);
    assert_said_in_order(&kernel, &["run 1 done", "run 2 starts (1 inside)", "run 2 done"]);
    assert!(!said(&kernel).iter().any(|l| l.contains("(2 inside)")));
    unload(&kernel);
}

#[test]
fn cancel_delayed_work_sync_stops_an_item_that_re_arms_itself() {
    let kernel = load("rearm");
    advance(&kernel, 11 * JIFFY);
    assert_eq!(count(&kernel, "tick 1"), 1);
    step(&kernel, "cancel_sync");
    assert!(!said(&kernel).iter().any(|l| l.starts_with("cancel_sync returned")), "it waits for the running tick");
    advance(&kernel, 3 * JIFFY);
    assert_said_in_order(&kernel, &["tick 1: requeue false", "cancel_sync returned false"]);
    advance(&kernel, 2000);
    assert_eq!(count(&kernel, "tick 2"), 0, "never again");
    unload(&kernel);
}

#[test]
fn a_plain_cancel_does_not_stop_a_running_item_from_re_arming() {
    let kernel = load("rearm");
    advance(&kernel, 11 * JIFFY);
    step(&kernel, "cancel");
    assert_eq!(count(&kernel, "cancel returned false"), 1, "not pending: it was running");
    advance(&kernel, 3 * JIFFY);
    assert_eq!(count(&kernel, "tick 1: requeue true"), 1);
    advance(&kernel, 11 * JIFFY);
    advance(&kernel, 3 * JIFFY);
    assert_said_in_order(&kernel, &["tick 2", "tick 2: requeue true"]);
    unload(&kernel);
}

#[test]
fn a_disabled_item_cannot_be_queued_until_enabled() {
    let kernel = load("disable");
    assert_said_in_order(
        &kernel,
        &[
            "disable idle: false",
            "disable again: false",
            "queue while disabled: false",
            "mod while disabled: false",
            "enable: false",
            "enable again: true",
            "queue in 5: true",
            "disable pending: true",
            "pending after disable: false",
            "queue now: true",
        ],
    );
    assert_eq!(count(&kernel, "x ran"), 1);
    advance(&kernel, 100);
    assert_eq!(count(&kernel, "x ran"), 1, "the cancelled instance never runs");
    unload(&kernel);
}

#[test]
fn flush_work_and_flush_delayed_work_wait_for_the_item() {
    let kernel = load("flush");
    assert_said_in_order(
        &kernel,
        &["flush_work idle: false", "g ran after 0 jiffies", "flush_delayed_work: true", "g pending: false"],
    );
    step(&kernel, "flush");
    assert!(!said(&kernel).iter().any(|l| l.starts_with("flush_work:")), "f waits behind the gate");
    advance(&kernel, 2 * JIFFY);
    assert_said_in_order(&kernel, &["gate done", "f ran", "flush_work: true"]);
    unload(&kernel);
}

#[test]
fn flush_workqueue_waits_for_queued_items_not_for_armed_ones() {
    let kernel = load("flush_wq");
    step(&kernel, "flush");
    assert!(!said(&kernel).iter().any(|l| l.starts_with("flush_workqueue done")));
    advance(&kernel, 2 * JIFFY);
    assert_said_in_order(
        &kernel,
        &["gate done", "w1 ran", "w2 ran", "w3 ran", "flush_workqueue done (late pending: true)"],
    );
    assert_eq!(count(&kernel, "late ran"), 0);
    unload(&kernel);
}

#[test]
fn drain_workqueue_waits_for_chained_items_and_refuses_outsiders() {
    let kernel = load("drain");
    step(&kernel, "drain");
    step(&kernel, "outside");
    assert_eq!(count(&kernel, "queue from outside: false"), 1);
    assert_dmesg_contains(&kernel, "workqueue: cannot queue work item (made at ");
    assert_dmesg_contains(&kernel, "on wq wqtest_drain");
    assert!(!said(&kernel).iter().any(|l| l == "drain_workqueue done"));
    advance(&kernel, 2 * JIFFY);
    assert_said_in_order(&kernel, &["chain 1", "chain requeue: true", "chain 2", "chain 3", "drain_workqueue done"]);
    assert_eq!(count(&kernel, "chain requeue: true"), 2, "chain queueing is allowed while draining");
    step(&kernel, "outside");
    assert_said_in_order(&kernel, &["drain_workqueue done", "queue from outside: true"]);
    assert_said_in_order(&kernel, &["drain_workqueue done", "outsider ran"]);
    unload(&kernel);
}

#[test]
fn an_ordered_workqueue_runs_one_item_at_a_time_in_order() {
    let kernel = load("ordered");
    for started in 1..=5 {
        let starts = said(&kernel).iter().filter(|l| l.starts_with("item ")).count();
        assert_eq!(starts, started);
        advance(&kernel, 2 * JIFFY);
    }
    let expected: Vec<String> = (1..=5).map(|i| format!("item {i} starts (1 inside)")).collect();
    assert_said_in_order(&kernel, &expected.iter().map(String::as_str).collect::<Vec<_>>());
    unload(&kernel);
}

#[test]
fn max_active_limits_concurrency_and_spare_workers_retire() {
    let kernel = load("max_active");
    let starts = |kernel: &Kernel| said(kernel).iter().filter(|l| l.starts_with("item ")).count();
    assert_eq!(starts(&kernel), 2);
    advance(&kernel, 2 * JIFFY);
    assert_eq!(starts(&kernel), 4);
    advance(&kernel, 2 * JIFFY);
    assert_eq!(starts(&kernel), 5);
    assert!(!said(&kernel).iter().any(|l| l.contains("(3 inside)")));
    assert_eq!(workers(&kernel).len(), 2, "{:?}", workers(&kernel));
    advance(&kernel, 2 * JIFFY);
    advance(&kernel, 11_000);
    let left = workers(&kernel);
    assert!(left.len() == 1 && left[0].starts_with("kworker/0:"), "one stays waiting, the other retired: {left:?}");
    unload(&kernel);
}

#[test]
fn destroy_workqueue_warns_about_armed_delayed_work_which_never_runs() {
    let kernel = load("destroy");
    assert_said_in_order(&kernel, &["queued item ran", "destroyed; armed pending: false"]);
    assert_dmesg_contains(&kernel, "destroy_workqueue: wqtest_doomed has delayed work armed: work item (made at ");
    advance(&kernel, 1000);
    assert_eq!(count(&kernel, "armed item ran"), 0);
    unload(&kernel);
}

#[test]
fn schedule_work_and_schedule_delayed_work_use_the_system_workqueue() {
    let kernel = load("system");
    assert_said_in_order(&kernel, &["schedule_work: true", "schedule_delayed_work(5): true"]);
    assert_eq!(count(&kernel, "s ran"), 1);
    advance(&kernel, 5 * JIFFY);
    assert!(!said(&kernel).iter().any(|l| l.starts_with("sd ran")));
    advance(&kernel, JIFFY);
    assert_eq!(count(&kernel, "sd ran after 6 jiffies"), 1);
    let system = kernel.ps().into_iter().find(|t| t.command == "kworker/0:0").expect("system_wq's worker");
    assert_eq!(system.module, None, "system workers belong to no module");
    unload(&kernel);
}

#[test]
fn work_left_armed_at_rmmod_is_cancelled_and_reported() {
    let kernel = load("leak");
    assert_eq!(workers(&kernel).len(), 1);
    kernel.rmmod("wqtest").unwrap();
    assert_dmesg_contains(&kernel, "wqtest: work item (made at ");
    assert_dmesg_contains(&kernel, "left queued; cancelled at unload");
    assert_dmesg_contains(&kernel, "wqtest: workqueue wqtest_leak (made at ");
    assert_dmesg_contains(&kernel, ") left allocated; destroyed at unload");
    advance(&kernel, 1000);
    assert_eq!(count(&kernel, "leaked item ran"), 0);
    assert!(workers(&kernel).is_empty(), "its workers are gone");
    assert_nothing_pinned(&kernel);
}

#[test]
fn workers_are_named_like_kworkers() {
    let kernel = load("names");
    let mut names = workers(&kernel);
    names.sort();
    assert_eq!(names, ["kworker/0:0H", "kworker/2:0", "kworker/3:0", "kworker/u1:0"]);
    unload(&kernel);
    assert!(workers(&kernel).is_empty());
}
