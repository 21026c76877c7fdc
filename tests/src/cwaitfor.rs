//! Every rmmod that waits is explained at once: the modules of
//! `tests/c/waitfor` make exit wait for a task that sleeps in `down()` on
//! a semaphore nothing loaded will `up()`, and the chain is printed the
//! moment exit starts waiting, long before the hung-task report.

use crate::{cbuild::build_c, clab::run_for, util::*};
use modhost::Kernel;
use std::{path::PathBuf, time::Duration};

fn ko(name: &str) -> PathBuf {
    build_c("waitfor").join(format!("{name}.ko"))
}

fn boot_short() -> Kernel {
    Kernel::builder().manual_clock().module_path(module_dir()).exit_timeout(Duration::from_millis(300)).boot()
}

fn lines_with(kernel: &Kernel, part: &str) -> Vec<String> {
    dmesg(kernel).into_iter().filter(|l| l.contains(part)).collect()
}

#[test]
fn a_producer_asleep_on_a_full_fifo_is_explained_when_rmmod_waits_for_it() {
    let kernel = boot_short();
    kernel.insmod(ko("sfifo"), "size=2").unwrap();
    kernel.insmod(ko("sconsumer"), "").unwrap_err(); // an empty fifo: init sleeps in get_item
    kernel.insmod(ko("sproducer"), "rate=50").unwrap();
    run_for(&kernel, 400); // the consumer's get_item returns; the fifo fills up
    assert_dmesg(&kernel, "sconsumer: got A");
    kernel.rmmod("sconsumer").unwrap();
    let err = kernel.rmmod("sproducer").unwrap_err();
    assert_eq!(err.errno(), modhost::Errno::EBUSY, "{err}");
    let why = lines_with(&kernel, "rmmod sproducer: exit waits in ");
    assert_eq!(why.len(), 1, "{}", dmesg(&kernel).join("\n"));
    let why = &why[0];
    assert!(why.contains("exit waits in cancel_delayed_work_sync for produce+0x0/0x"), "{why}");
    assert!(why.contains("[sproducer] on kworker/"), "{why}");
    assert!(why.contains(", which sleeps in down(&empty) at put_item+0x"), "{why}");
    assert!(why.contains("[sfifo] (sfifo.c:22); &empty is 0 of 2;"), "{why}");
    assert!(why.contains("up(&empty) is only called from get_item+0x"), "{why}");
    assert!(why.ends_with("[sfifo] (sfifo.c:40), whose callers are not loaded"), "{why}");
    assert_dmesg(&kernel, "rmmod sproducer: load a module that calls get_item, or rmmod -f sproducer to stop waiting");
    let said = dmesg(&kernel).iter().position(|l| l.starts_with("rmmod sproducer: exit waits"));
    let hung = dmesg(&kernel).iter().position(|l| l.starts_with("INFO: task rmmod:"));
    assert!(said < hung, "said before the hung report");
    kernel.rmmod_force("sproducer").unwrap();
    kernel.rmmod("sfifo").unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_kthread_asleep_on_a_semaphore_nobody_ups_is_explained_at_kthread_stop() {
    let kernel = boot_short();
    kernel.insmod(ko("kthread_stuck"), "").unwrap();
    run_for(&kernel, 8);
    let waits = "exit waits in kthread_stop(stuck_worker) for worker_fn+0x0/0x";
    assert_explained_then_forced(&kernel, "kthread_stuck", waits, "down(&go) at worker_fn+0x", "go");
}

#[test]
fn a_tasklet_asleep_in_softirq_context_is_explained_at_tasklet_kill() {
    let kernel = boot_short();
    kernel.insmod(ko("tasklet_stuck"), "").unwrap();
    run_for(&kernel, 8);
    assert_dmesg_contains(&kernel, "BUG: sleeping function called from invalid context at ");
    let waits = "exit waits in tasklet_kill for drain+0x0/0x";
    assert_explained_then_forced(&kernel, "tasklet_stuck", waits, "down(&ready) at drain+0x", "ready");
}

/// rmmod `module` fails, its wait explained once: `waits` for a task that
/// `sleeps` on semaphore `sem`, which nothing has raised; rmmod -f ends it.
fn assert_explained_then_forced(kernel: &Kernel, module: &str, waits: &str, sleeps: &str, sem: &str) {
    assert!(kernel.rmmod(module).is_err());
    let why = lines_with(kernel, &format!("rmmod {module}: {waits}"));
    assert_eq!(why.len(), 1, "{}", dmesg(kernel).join("\n"));
    assert!(why[0].contains(&format!("which sleeps in {sleeps}")), "{}", why[0]);
    assert!(why[0].ends_with(&format!("&{sem} is 0 of 0; nothing has called up(&{sem}) yet")), "{}", why[0]);
    assert_dmesg(kernel, &format!("rmmod {module}: rmmod -f {module} to stop waiting"));
    kernel.rmmod_force(module).unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn an_rmmod_whose_wait_ends_by_itself_is_not_explained() {
    let kernel = boot_short();
    let lab = build_c("lab");
    kernel.insmod(lab.join("fifo.ko"), "").unwrap();
    kernel.insmod(lab.join("producer.ko"), "rate=50").unwrap();
    run_for(&kernel, 400);
    kernel.rmmod("producer").unwrap();
    kernel.rmmod("fifo").unwrap();
    assert!(lines_with(&kernel, "exit waits in").is_empty(), "{}", dmesg(&kernel).join("\n"));
}

#[test]
fn an_exit_waiting_for_work_that_needs_the_lock_exit_holds_is_explained() {
    let kernel = boot_short();
    kernel.insmod(ko("exit_lock"), "").unwrap();
    assert!(kernel.rmmod("exit_lock").is_err(), "exit deadlocks on its own lock");
    let why = lines_with(&kernel, "rmmod exit_lock: exit waits in cancel_work_sync for update+0x0/0x");
    assert_eq!(why.len(), 1, "{}", dmesg(&kernel).join("\n"));
    assert!(why[0].contains("[exit_lock] on kworker/"), "{}", why[0]);
    assert!(why[0].contains(", which sleeps in mutex_lock(&state_lock) at update+0x"), "{}", why[0]);
    assert!(why[0].contains("(exit_lock.c:18), held by rmmod/"), "{}", why[0]);
    assert!(why[0].ends_with(" itself: exit holds the lock that what it waits for needs"), "{}", why[0]);
    assert_dmesg(
        &kernel,
        "rmmod exit_lock: release the lock before the wait in exit, or rmmod -f exit_lock to stop waiting",
    );
    kernel.rmmod_force("exit_lock").unwrap();
    assert!(kernel.lsmod().is_empty());
}
