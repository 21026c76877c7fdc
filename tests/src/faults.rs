//! Fault injection: a module that panics anywhere, or whose exporter goes
//! away under it, never takes the host down.

use crate::util::*;
use modhost::{ErrorKind, Kernel};
use std::{thread, time::Duration};

fn load(fault: &str) -> Kernel {
    let kernel = boot();
    kernel.insmod(plugin("faultmod"), &format!("fault={fault}")).unwrap();
    assert!(kernel.settle());
    kernel
}

/// The Oops is in dmesg, the kernel is tainted D, and the module is gone
/// without a trace once removed.
#[track_caller]
fn survived(kernel: &Kernel, panic_message: &str) {
    assert_dmesg_contains(kernel, "Oops: faultmod: panicked at tests/fixtures/faultmod/src/lib.rs:");
    assert_dmesg_contains(kernel, panic_message);
    assert!(kernel.taint().letters().contains('D'));
    if kernel.lsmod().iter().any(|m| m.name == "faultmod") {
        kernel.rmmod("faultmod").unwrap();
    }
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(kernel);
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn a_panic_in_exit_still_unloads_the_module() {
    let kernel = load("exit");
    kernel.rmmod("faultmod").unwrap();
    survived(&kernel, "exit panics");
}

#[test]
fn a_panic_in_a_work_item_leaves_the_worker_and_the_module_usable() {
    let kernel = load("work");
    survived(&kernel, "work item panics");
}

#[test]
fn a_panic_in_a_kthread_ends_that_thread_and_kthread_stop_says_so() {
    let kernel = load("kthread");
    kernel.rmmod("faultmod").unwrap();
    assert_dmesg(&kernel, "faultmod: kthread returned -14");
    survived(&kernel, "kthread panics on its way out");
}

#[test]
fn a_panic_in_a_parameter_notification_rejects_the_write() {
    let kernel = load("param");
    let err = kernel.write("/sys/module/faultmod/parameters/poke", "1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert_eq!(kernel.read("/sys/module/faultmod/parameters/poke").unwrap(), "0\n", "the old value is back");
    survived(&kernel, "parameter notification panics");
}

#[test]
fn a_panic_in_a_proc_show_function_reads_as_empty() {
    let kernel = load("proc");
    assert_eq!(kernel.read("/proc/faultmod").unwrap(), "");
    survived(&kernel, "show panics");
}

#[test]
fn an_exporter_unloaded_while_importers_come_and_go_never_breaks_the_host() {
    let kernel = std::sync::Arc::new(boot());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let importer = {
        let (kernel, stop) = (kernel.clone(), stop.clone());
        thread::spawn(move || {
            let mut loaded = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match kernel.insmod(plugin("gpluser"), "") {
                    Ok(_) => {
                        loaded += 1;
                        kernel.rmmod("gpluser").unwrap();
                    }
                    Err(e) => assert!(matches!(e.kind(), ErrorKind::UnknownSymbol | ErrorKind::Busy), "unexpected {e}"),
                }
            }
            loaded
        })
    };
    for _ in 0..50 {
        kernel.insmod(plugin("testmod"), "").unwrap();
        thread::sleep(Duration::from_millis(1));
        loop {
            match kernel.rmmod("testmod") {
                Ok(()) => break,
                Err(e) => assert_eq!(e.kind(), ErrorKind::InUse, "unexpected {e}"),
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let loaded = importer.join().unwrap();
    assert!(loaded > 0, "the importer got in at least once");
    assert!(kernel.lsmod().is_empty());
    assert!(kernel.read("/proc/kallsyms").unwrap().is_empty());
    assert_nothing_pinned(&kernel);
}

/// A kernel where `oopsmod` writes through NULL at `fault`; the Oops is in.
fn oops_at(fault: &str) -> Kernel {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let loaded = kernel.insmod(plugin("oopsmod"), &format!("fault={fault}"));
    assert_eq!(loaded.is_err(), fault == "init", "{loaded:?}");
    kernel.clock().advance(Duration::from_millis(8));
    wait_for_line(&kernel, "---[ end trace 0000000000000000 ]---");
    assert!(kernel.settle());
    assert_dmesg(&kernel, "BUG: kernel NULL pointer dereference, address: 0000000000000000");
    assert_dmesg(&kernel, "Oops: 0002 [#1] SMP");
    assert_dmesg_contains(&kernel, "RIP: 0010:oopsmod::write_null+0x");
    assert_dmesg_contains(&kernel, "killed by the Oops in oopsmod's code");
    assert!(kernel.taint().letters().contains('D'));
    kernel
}

/// The other module still works, and everything unloads.
#[track_caller]
fn unloads_after_oops(kernel: &Kernel) {
    kernel.write("/sys/module/testmod/parameters/i", "7").unwrap();
    for name in ["oopsmod", "testmod"] {
        if kernel.lsmod().iter().any(|m| m.name == name) {
            kernel.rmmod(name).unwrap();
        }
    }
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(kernel);
}

#[test]
fn a_null_write_in_rust_init_fails_the_insmod_with_an_oops() {
    let kernel = oops_at("init");
    assert_dmesg_contains(&kernel, "Comm: insmod");
    assert!(!dmesg(&kernel).iter().any(|l| l == "oopsmod: init done"));
    unloads_after_oops(&kernel);
}

#[test]
fn a_null_write_in_a_rust_work_item_kills_its_worker_alone() {
    let kernel = oops_at("work");
    assert_dmesg_contains(&kernel, "Comm: kworker/");
    unloads_after_oops(&kernel);
}

#[test]
fn a_null_write_in_a_rust_timer_callback_kills_the_timer_thread_alone() {
    let kernel = oops_at("timer");
    assert_dmesg_contains(&kernel, "Comm: ktimers/0");
    unloads_after_oops(&kernel);
}
