//! lockdep, semaphores and completions included: the modules of
//! `tests/c/lockdep` take locks in orders that can deadlock, take a lock
//! twice, give back what they never took, and leave locks held; each is
//! reported the first time it happens, in lockdep's format, with the
//! functions and the module, while the host goes on.

use crate::{cbuild::build_c, util::*};
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("lockdep").join(format!("{name}.ko"))
}

/// The report that starts at the line `title`, to its `stack backtrace:`.
fn report(kernel: &modhost::Kernel, title: &str) -> Vec<String> {
    let lines = dmesg(kernel);
    let at = lines.iter().position(|l| l == title).unwrap_or_else(|| panic!("no {title:?}:\n{}", lines.join("\n")));
    let end = lines[at..].iter().position(|l| l == "stack backtrace:").map_or(lines.len(), |n| at + n);
    lines[at..end].to_vec()
}

fn has(report: &[String], part: &str) -> bool {
    report.iter().any(|l| l.contains(part))
}

#[test]
fn the_fifo_mutex_taken_around_its_semaphores_is_a_circular_dependency_at_once() {
    let kernel = boot();
    kernel.insmod(ko("fifo_deadlock"), "").unwrap();
    let report = report(&kernel, "WARNING: possible circular locking dependency detected");
    // get_item's down(&fill) under the lock closes the cycle put_item's
    // up(&fill) under the lock opened (both inlined into init).
    assert!(has(&report, "(&fill){+.+.}-{3:3}, at: fifo_deadlock_init+0x"), "{report:#?}");
    assert!(has(&report, "[fifo_deadlock] (fifo_deadlock.c:35)"), "{report:#?}");
    assert!(has(&report, "up(&fill) at fifo_deadlock_init+0x"), "{report:#?}");
    assert!(has(&report, "(fifo_deadlock.c:26)"), "put_item's up: {report:#?}");
    assert!(has(&report, " *** DEADLOCK ***"));
    assert!(
        has(&report, "modhost: down(&fill) sleeps holding &lock, and up(&fill) is done holding &lock"),
        "{report:#?}"
    );
    assert_dmesg(&kernel, "fifo_deadlock: got 42");
    assert!(kernel.taint().letters().contains('W'));
    kernel.rmmod("fifo_deadlock").unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn two_mutexes_taken_in_both_orders_are_the_kernels_abba_report() {
    let kernel = boot();
    kernel.insmod(ko("abba"), "").unwrap();
    let report = report(&kernel, "WARNING: possible circular locking dependency detected");
    assert!(has(&report, "is trying to acquire lock:"));
    assert!(has(&report, "(&a){+.+.}-{3:3}, at: abba_init+0x"), "{report:#?}");
    assert!(has(&report, " [abba] (abba.c:20)") && has(&report, " [abba] (abba.c:19)"), "backward's: {report:#?}");
    assert!(has(&report, "-> #1 (&b)"), "{report:#?}");
    assert!(has(&report, "lock(&b) at abba_init+0x") && has(&report, "(abba.c:12)"), "forward's: {report:#?}");
    let scenario: Vec<_> = report
        .iter()
        .filter(|l| l.trim_start().starts_with("lock(") && l.ends_with(");"))
        .map(|l| l.as_str())
        .collect();
    assert_eq!(
        scenario,
        [
            "  lock(&b);",
            "                               lock(&a);",
            "                               lock(&b);",
            "  lock(&a);"
        ]
    );
    kernel.rmmod("abba").unwrap();
}

#[test]
fn a_binary_semaphore_taken_twice_is_recursive_locking_and_rmmod_still_returns() {
    let kernel = boot();
    kernel.insmod(ko("sem_twice"), "").unwrap();
    wait_for_line(&kernel, "WARNING: possible recursive locking detected");
    let report = report(&kernel, "WARNING: possible recursive locking detected");
    // `update` is inlined into `twice`: both sites are in `twice`, apart.
    let sites: Vec<_> =
        report.iter().filter_map(|l| l.split_once("(&guard){+.+.}-{3:3}, at: ")).map(|(_, at)| at).collect();
    assert_eq!(sites.len(), 3, "trying, holding, held: {report:#?}");
    assert!(sites.iter().all(|at| at.starts_with("twice+0x")), "{report:#?}");
    assert!(sites[0].ends_with(" [sem_twice] (sem_twice.c:14)"), "update's down: {report:#?}");
    assert!(sites[1].ends_with(" [sem_twice] (sem_twice.c:22)"), "twice's down: {report:#?}");
    assert!(has(&report, "  down(&guard);"));
    kernel.rmmod("sem_twice").unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_semaphore_raised_above_one_is_a_bad_unlock() {
    let kernel = boot();
    kernel.insmod(ko("sem_skip"), "").unwrap();
    let report = report(&kernel, "WARNING: bad unlock balance detected!");
    assert!(has(&report, "is trying to release lock (&second) at:"), "{report:#?}");
    assert!(has(&report, "sem_skip_init+0x"), "{report:#?}");
    assert!(has(&report, "up(&second) raises it above 1, the count it was initialised with"), "{report:#?}");
    kernel.rmmod("sem_skip").unwrap();
}

#[test]
fn a_work_function_returning_with_a_mutex_held_leaks_it() {
    let kernel = boot();
    kernel.insmod(ko("work_leak"), "").unwrap();
    wait_for_line(&kernel, "BUG: workqueue leaked atomic, lock or RCU: kworker/");
    assert_dmesg_contains(&kernel, "     preempt=0x00000000 lock=0->1 RCU=0->0 workfn=refresh [work_leak]");
    assert_dmesg_contains(&kernel, "(&state_lock){+.+.}-{3:3}, at: refresh+0x");
    kernel.rmmod("work_leak").unwrap();
}

#[test]
fn a_lock_held_when_its_module_goes_is_a_held_lock_freed() {
    let kernel = boot();
    kernel.insmod(ko("init_holds"), "").unwrap();
    kernel.rmmod("init_holds").unwrap();
    let report = report(&kernel, "WARNING: held lock freed!");
    assert!(has(&report, "is freeing memory of init_holds, with a lock still held there!"), "{report:#?}");
    assert!(has(&report, "(&config_lock){+.+.}-{3:3}, at: init_holds_init+0x"), "{report:#?}");
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_completion_waited_for_under_the_lock_its_completer_holds_is_circular() {
    let kernel = boot();
    kernel.insmod(ko("done_deadlock"), "").unwrap();
    let report = report(&kernel, "WARNING: possible circular locking dependency detected");
    assert!(has(&report, "(&ready)"), "{report:#?}");
    assert!(has(&report, "complete(&ready) at helper_fn+0x"), "{report:#?}");
    assert!(has(&report, "wait_for_completion(&ready) at done_deadlock_init+0x"), "{report:#?}");
    kernel.rmmod("done_deadlock").unwrap();
}

#[test]
fn the_c_lab_takes_its_locks_in_an_order_lockdep_accepts() {
    let kernel = boot();
    let lab = build_c("lab");
    kernel.insmod(lab.join("fifo.ko"), "").unwrap();
    kernel.insmod(lab.join("producer.ko"), "").unwrap();
    kernel.insmod(lab.join("consumer.ko"), "").unwrap();
    crate::clab::run_for(&kernel, 2000);
    kernel.rmmod("consumer").unwrap();
    kernel.rmmod("producer").unwrap();
    kernel.rmmod("fifo").unwrap();
    let lines = dmesg(&kernel);
    assert!(!lines.iter().any(|l| l.starts_with("WARNING:") || l.starts_with("BUG:")), "{}", lines.join("\n"));
}

#[test]
fn with_diagnostics_off_the_same_orders_are_not_checked() {
    let kernel = modhost::Kernel::builder().manual_clock().module_path(module_dir()).debug(false).boot();
    kernel.insmod(ko("abba"), "").unwrap();
    kernel.insmod(ko("fifo_deadlock"), "").unwrap();
    kernel.rmmod("abba").unwrap();
    kernel.rmmod("fifo_deadlock").unwrap();
    assert!(!dmesg(&kernel).iter().any(|l| l.starts_with("WARNING:")), "{}", dmesg(&kernel).join("\n"));
    assert!(!kernel.taint().letters().contains('W'));
}
