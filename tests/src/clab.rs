//! The lab in C: `tests/c/lab` (fifo.c, producer.c, consumer.c and a plain
//! `obj-m` Makefile, as a student writes them), built by kbuild and run
//! through the library API with the same checks as the Rust lab.
//!
//! Time is a manual clock (HZ 250) moved one jiffy at a time with a settle
//! after each step, so every run sees the same schedule.

use crate::{cbuild::build_c, util::*};
use modhost::{ErrorKind, Kernel};
use std::{path::PathBuf, time::Duration};

/// The built lab's directory.
fn lab() -> PathBuf {
    build_c("lab")
}

fn ko(name: &str) -> PathBuf {
    lab().join(format!("{name}.ko"))
}

/// Moves the clock `ms` milliseconds, one jiffy (4 ms) at a time.
pub(crate) fn run_for(kernel: &Kernel, ms: u64) {
    for _ in 0..ms / 4 {
        kernel.clock().advance(Duration::from_millis(4));
        assert!(kernel.settle(), "the kernel did not settle");
    }
}

/// The number in the dmesg line `PREFIX<n> SUFFIX`.
fn logged(kernel: &Kernel, prefix: &str, suffix: &str) -> u64 {
    let lines = dmesg(kernel);
    let found = lines.iter().find_map(|l| l.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok());
    found.unwrap_or_else(|| panic!("no line {prefix}N{suffix} in:\n{}", lines.join("\n")))
}

/// fifo's last line: `(put, got, left)`.
fn fifo_ledger(kernel: &Kernel) -> (u64, u64, u64) {
    let lines = dmesg(kernel);
    let line = lines.iter().rev().find_map(|l| l.strip_prefix("fifo: ")?.strip_suffix(" left")).expect("fifo's ledger");
    let numbers: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
    (numbers[0], numbers[1], numbers[2])
}

#[test]
fn the_c_lab_moves_items_and_its_ledger_balances() {
    let kernel = boot();
    kernel.insmod(ko("fifo"), "size=4").unwrap();
    kernel.insmod(ko("producer"), "item=B rate=50").unwrap();
    kernel.insmod(ko("consumer"), "rate=25").unwrap();
    assert_dmesg(&kernel, "fifo: ready with 4 slots");
    assert_dmesg(&kernel, "producer: producing B at 50 items/s");
    run_for(&kernel, 2000);
    for name in ["consumer", "producer", "fifo"] {
        kernel.rmmod(name).unwrap();
    }
    let produced = logged(&kernel, "producer: produced ", " items");
    let consumed = logged(&kernel, "consumer: consumed ", " items");
    let (put, got, left) = fifo_ledger(&kernel);
    assert_eq!((put, got), (produced, consumed));
    assert_eq!(left, put - got);
    assert!(left <= 4, "a fifo of 4 slots held {left}");
    assert!(consumed >= 45, "25 items/s for 2 s, {consumed} consumed");
    assert_nothing_pinned(&kernel);
}

#[test]
fn two_producer_instances_share_the_fifo_and_hold_it() {
    let kernel = boot();
    kernel.insmod(ko("fifo"), "size=8").unwrap();
    kernel.insmod(ko("producer"), "item=A rate=10").unwrap();
    kernel.insmod_named(ko("producer"), Some("producer2"), "item=C rate=10").unwrap();
    let fifo = kernel.lsmod().into_iter().find(|m| m.name == "fifo").unwrap();
    assert_eq!(fifo.holders, ["producer2", "producer"], "the newest user first");
    let err = kernel.rmmod("fifo").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InUse);
    run_for(&kernel, 1000);
    kernel.rmmod("producer2").unwrap();
    kernel.rmmod("producer").unwrap();
    kernel.rmmod("fifo").unwrap();
    assert_dmesg(&kernel, "producer: producing C at 10 items/s");
    let (put, got, left) = fifo_ledger(&kernel);
    assert_eq!((got, left), (0, put));
    assert_eq!(put, 8, "two producers at 10 items/s for 1 s fill the 8 slots, then wait");
}

#[test]
fn rmmod_of_a_producer_blocked_on_a_full_fifo_returns() {
    let kernel = boot();
    kernel.insmod(ko("fifo"), "size=1").unwrap();
    kernel.insmod(ko("producer"), "rate=250").unwrap();
    run_for(&kernel, 40);
    kernel.rmmod("producer").unwrap();
    assert_eq!(logged(&kernel, "producer: produced ", " items"), 1);
    kernel.rmmod("fifo").unwrap();
    assert_eq!(fifo_ledger(&kernel), (1, 0, 1));
}

#[test]
fn a_producer_without_its_fifo_names_the_unknown_symbol() {
    let kernel = boot();
    let err = kernel.insmod(ko("producer"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSymbol);
    assert_dmesg(&kernel, "producer: Unknown symbol put_item (err -2)");
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn c_parameters_are_checked_shown_and_written_as_the_kernel_does() {
    let kernel = boot();
    kernel.insmod(ko("fifo"), "").unwrap();
    assert_eq!(kernel.read("/sys/module/fifo/parameters/size").unwrap(), "8\n");
    let err = kernel.insmod(ko("producer"), "rate=fast").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParams);
    kernel.insmod(ko("producer"), "item=XY").unwrap();
    assert_eq!(kernel.read("/sys/module/producer/parameters/item").unwrap(), "XY\n");
    assert_eq!(kernel.read("/sys/module/producer/parameters/rate").unwrap(), "1\n");
    kernel.write("/sys/module/producer/parameters/rate", "5").unwrap();
    assert_eq!(kernel.read("/sys/module/producer/parameters/rate").unwrap(), "5\n");
    let info = kernel.modinfo(&ko("producer").to_string_lossy()).unwrap();
    let fields = info.fields();
    assert!(fields.contains(&("parm", "rate:Items per second (int)".to_string())), "{fields:?}");
    assert!(fields.contains(&("depends", "fifo".to_string())), "{fields:?}");
    kernel.rmmod("producer").unwrap();
    kernel.rmmod("fifo").unwrap();
}
