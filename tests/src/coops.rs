//! Native faults in C module code: an Oops that kills one task, with the
//! kernel's report, and the host and the lab going on.
//!
//! `tests/c/oops` holds one module per classic fault (a NULL write in
//! init, a work item, a timer, a kthread, a tasklet and an exported
//! function; `HZ / rate` with `rate=0`; `BUG_ON`; runaway recursion; a
//! spinning timer and work item). Each test loads the shipped lab (fifo,
//! producer, consumer) first, then the faulty module, and checks the
//! report's lines, the taint, that the lab still moves items, and that
//! everything unloads afterwards.
//!
//! The faults happen on real threads, so these kernels run on the real
//! clock; what is checked never depends on how long anything took.

use crate::{cbuild::build_c, util::*};
use modhost::{ErrorKind, Kernel};
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

fn ko(name: &str) -> PathBuf {
    build_c("oops").join(format!("{name}.ko"))
}

/// A real-clock kernel with a short soft-lockup threshold, running the lab.
fn lab() -> Kernel {
    let kernel = Kernel::builder()
        .module_path(module_dir())
        .watchdog_thresh(Duration::from_millis(100))
        .exit_timeout(Duration::from_secs(2))
        .boot();
    kernel.insmod("fifo.so", "").unwrap();
    kernel.insmod("producer.so", "item=A rate=100").unwrap();
    kernel.insmod("consumer.so", "rate=100").unwrap();
    kernel
}

/// Items the fifo handed out so far.
fn gets(kernel: &Kernel) -> u64 {
    let text = kernel.read("/proc/fifo").unwrap();
    let line = text.lines().find(|l| l.starts_with("gets:")).unwrap_or_else(|| panic!("{text}"));
    line.split_whitespace().last().unwrap().parse().unwrap()
}

/// The producer and consumer still move items.
#[track_caller]
fn assert_lab_moves(kernel: &Kernel) {
    let before = gets(kernel);
    let give_up = Instant::now() + Duration::from_secs(10);
    while gets(kernel) < before + 3 {
        assert!(Instant::now() < give_up, "the lab stopped at {before} items:\n{}", dmesg(kernel).join("\n"));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Unloads everything, the lab last, and checks nothing is left.
#[track_caller]
fn assert_all_unload(kernel: &Kernel, faulty: &[&str]) {
    for name in faulty.iter().chain(&["consumer", "producer", "fifo"]) {
        if kernel.lsmod().iter().any(|m| m.name == *name) {
            kernel.rmmod(name).unwrap_or_else(|e| panic!("rmmod {name}: {e}\n{}", dmesg(kernel).join("\n")));
        }
    }
    assert!(kernel.lsmod().is_empty(), "{:?}", kernel.lsmod());
    assert_nothing_pinned(kernel);
}

/// Asserts the Oops's lines: `first`, the task line, the RIP in `rip`, a
/// call trace, the modules, the end; and taint D.
#[track_caller]
fn assert_oops(kernel: &Kernel, first: &str, comm: &str, rip: &str) {
    wait_for_line(kernel, "---[ end trace");
    let lines = dmesg(kernel);
    let at = |part: &str| lines.iter().position(|l| l.contains(part));
    let order = [first, &format!("Comm: {comm}"), &format!("RIP: 0010:{rip}"), "Call Trace:", "Modules linked in:"];
    let found: Vec<Option<usize>> = order.iter().map(|p| at(p)).collect();
    assert!(
        found.iter().all(Option::is_some) && found.windows(2).all(|w| w[0] < w[1]),
        "the Oops's lines {order:?} in order ({found:?}):\n{}",
        lines.join("\n")
    );
    assert_dmesg_contains(kernel, "Tainted: D");
    assert_dmesg_contains(kernel, "---[ end trace 0000000000000000 ]---");
    assert!(kernel.taint().letters().contains('D'));
}

#[test]
fn a_null_write_in_init_fails_the_insmod_with_an_oops() {
    let kernel = lab();
    let err = kernel.insmod(ko("null_init"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InitFailed, "{err}");
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference, address: 0000000000000000", "insmod", "null_init+0x");
    assert_dmesg(&kernel, "#PF: supervisor write access in kernel mode");
    assert_dmesg(&kernel, "#PF: error_code(0x0002) - not-present page");
    assert_dmesg(&kernel, "Oops: 0002 [#1] SMP");
    assert_dmesg(&kernel, "CR2: 0000000000000000");
    assert!(!dmesg(&kernel).iter().any(|l| l == "still here?"), "init never went on");
    assert!(!kernel.lsmod().iter().any(|m| m.name == "null_init"), "the load was undone");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &[]);
}

#[test]
fn a_null_write_in_a_work_item_kills_its_worker_alone() {
    let kernel = lab();
    kernel.insmod(ko("null_work"), "").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "kworker/", "boom+0x");
    assert_dmesg_contains(&kernel, "killed by the Oops in null_work's code");
    assert!(!dmesg(&kernel).iter().any(|l| l == "still here?"));
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["null_work"]);
    assert_dmesg(&kernel, "exit");
}

#[test]
fn a_null_write_in_a_timer_callback_leaves_the_other_timers_running() {
    let kernel = lab();
    kernel.insmod(ko("null_timer"), "").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "ktimers/0", "boom+0x");
    assert_dmesg_contains(&kernel, "[null_timer]");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["null_timer"]);
}

#[test]
fn a_null_write_in_a_kthread_ends_the_thread_and_kthread_stop_returns() {
    let kernel = lab();
    kernel.insmod(ko("null_kthread"), "").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "boom_thread", "boom_fn+0x");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["null_kthread"]);
    assert_dmesg(&kernel, "kthread_stop returned -4");
}

#[test]
fn a_null_write_in_a_tasklet_is_an_oops_in_softirq() {
    let kernel = lab();
    kernel.insmod(ko("null_tasklet"), "").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "kworker/", "boom+0x");
    assert_dmesg_contains(&kernel, "[null_tasklet]");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["null_tasklet"]);
}

#[test]
fn a_fault_in_an_exported_function_names_the_exporter_and_its_caller() {
    let kernel = lab();
    kernel.insmod(ko("poke_export"), "").unwrap();
    kernel.insmod(ko("poke_user"), "").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "kworker/", "poke+0x");
    assert_dmesg_contains(&kernel, "[poke_export]");
    assert_dmesg_contains(&kernel, "poke_null+0x");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["poke_user", "poke_export"]);
}

#[test]
fn hz_divided_by_a_zero_rate_is_a_divide_error_in_init() {
    let kernel = lab();
    let err = kernel.insmod(ko("div0_init"), "rate=0").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InitFailed, "{err}");
    assert_oops(&kernel, "divide error: 0000 [#1] SMP", "insmod", "div0_init+0x");
    kernel.insmod(ko("div0_init"), "rate=5").unwrap();
    assert_dmesg_contains(&kernel, "period 50 jiffies");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["div0_init"]);
}

#[test]
fn bug_on_prints_where_and_is_an_invalid_opcode_at_the_site() {
    let kernel = lab();
    kernel.insmod(ko("bug_work"), "").unwrap();
    // GCC may move BUG()'s cold path out of line: `check.cold+0x27`, as
    // the kernel's reports show it too.
    assert_oops(&kernel, "invalid opcode: 0000 [#1] SMP", "kworker/", "check");
    let lines = dmesg(&kernel);
    let bug = lines.iter().position(|l| l == "kernel BUG at bug_work.c:12!").expect("kernel BUG at");
    assert_eq!(lines[bug - 1], "------------[ cut here ]------------");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["bug_work"]);
}

#[test]
fn runaway_recursion_in_a_kthread_hits_the_stack_guard_page() {
    let kernel = lab();
    kernel.insmod(ko("deep_kthread"), "").unwrap();
    assert_oops(&kernel, "BUG: stack guard page was hit at 0x", "deep_thread", "descend+0x");
    assert_dmesg_contains(&kernel, "kernel stack overflow (double-fault): 0000 [#1] SMP");
    assert_dmesg_contains(&kernel, "more of descend+0x");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["deep_kthread"]);
}

/// Waits for the soft-lockup report of `comm`, checks it, lets the module
/// stop spinning, and unloads everything.
#[track_caller]
fn assert_soft_lockup(kernel: &Kernel, module: &str, comm: &str) {
    wait_for_line(kernel, "watchdog: BUG: soft lockup - CPU#0 stuck for");
    let lines = dmesg(kernel);
    let first = lines.iter().position(|l| l.starts_with("watchdog: BUG: soft lockup")).unwrap();
    assert!(lines[first].contains(&format!("! [{comm}")), "{}", lines[first]);
    assert!(lines[first..].iter().any(|l| l.starts_with("RIP: 0010:spin_fn+0x")), "{}", lines.join("\n"));
    assert!(lines[first..].iter().any(|l| l.contains(&format!("[{module}]"))), "{}", lines.join("\n"));
    assert!(kernel.taint().letters().contains('L'));
    assert_lab_moves(kernel);
    kernel.write(&format!("/sys/module/{module}/parameters/spin"), "0").unwrap();
    wait_for_line(kernel, "done spinning");
    assert_all_unload(kernel, &[module]);
}

#[test]
fn a_spinning_timer_callback_is_a_soft_lockup_and_the_other_timers_move_on() {
    let kernel = lab();
    kernel.insmod(ko("spin_timer"), "").unwrap();
    assert_soft_lockup(&kernel, "spin_timer", "ktimers/0");
}

#[test]
fn a_spinning_work_item_is_a_soft_lockup_and_the_other_work_moves_on() {
    let kernel = lab();
    kernel.insmod(ko("spin_work"), "").unwrap();
    assert_soft_lockup(&kernel, "spin_work", "kworker/");
}

#[test]
fn a_null_write_in_a_proc_read_fails_the_read_and_the_file_stays() {
    let kernel = lab();
    kernel.insmod(ko("null_proc"), "").unwrap();
    let err = kernel.read("/proc/null_proc").unwrap_err();
    assert!(err.to_string().contains("killed by an Oops"), "{err}");
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "cat", "null_show+0x");
    assert!(kernel.read("/proc/null_proc").is_err(), "a second read faults again, and fails");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["null_proc"]);
}

#[test]
fn a_null_write_in_a_parameter_set_operation_fails_the_write_and_rmmod_works() {
    let kernel = lab();
    kernel.insmod(ko("null_param"), "").unwrap();
    let err = kernel.write("/sys/module/null_param/parameters/poke", "1").unwrap_err();
    assert!(err.to_string().contains("killed by an Oops"), "{err}");
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "modhost", "poke_set+0x");
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &["null_param"]);
    assert_dmesg(&kernel, "exit");
}

#[test]
fn a_null_write_in_exit_still_removes_the_module_and_what_it_left() {
    let kernel = lab();
    kernel.insmod(ko("null_exit"), "").unwrap();
    kernel.rmmod("null_exit").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "rmmod", "null_exit_exit+0x");
    assert_dmesg_contains(&kernel, "null_exit: timer");
    assert!(!kernel.lsmod().iter().any(|m| m.name == "null_exit"));
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &[]);
}

#[test]
fn a_task_killed_holding_a_mutex_leaves_it_held_and_rmmod_names_the_waiter() {
    let kernel = lab();
    kernel.insmod(ko("lock_work"), "").unwrap();
    assert_oops(&kernel, "BUG: kernel NULL pointer dereference", "kworker/", "grab+0x");
    let err = kernel.rmmod("lock_work").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "exit waits for the dead task's mutex: {err}");
    assert_dmesg_contains(&kernel, "INFO: task rmmod:");
    assert_dmesg_contains(&kernel, "lock_work.c:");
    kernel.rmmod_force("lock_work").unwrap();
    assert_lab_moves(&kernel);
    assert_all_unload(&kernel, &[]);
}

#[test]
fn rmmod_f_of_a_spinning_module_says_its_code_stays_mapped_while_a_thread_runs_in_it() {
    let kernel = Kernel::builder()
        .module_path(module_dir())
        .watchdog_thresh(Duration::from_millis(100))
        .exit_timeout(Duration::from_millis(300))
        .boot();
    kernel.insmod(ko("spin_work"), "spin_ms=5000").unwrap();
    wait_for_line(&kernel, "spinning");
    assert_eq!(kernel.rmmod("spin_work").unwrap_err().kind(), ErrorKind::Busy, "exit's flush_work waits");
    // The forced unload stops what the module left, each within the bound,
    // and says so once it has given up on the spinning item.
    let _ = kernel.rmmod_force("spin_work");
    wait_for_line(&kernel, "spin_work: code still running at unload");
    assert_dmesg_contains(&kernel, "spin_work: code still running at unload: a thread runs in it (kworker/");
    assert_dmesg_contains(&kernel, "its code cannot be unmapped while one does; its library stays mapped");
    wait_for_line(&kernel, "done spinning");
}
