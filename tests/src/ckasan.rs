//! Module memory gone wrong, reported as KASAN and kmemleak report it:
//! the modules of `tests/c/memory` make the classic mistakes (one byte
//! past `kmalloc(strlen(s))`, a write after `kfree`, a buffer never
//! freed), and each is named with its sites while the host goes on.
//! Built with `KASAN=1`, the report names the function that made the
//! access; without, the check that found it: `kfree`, the unload, or the
//! periodic check of `kslabcheckd`.

use crate::{
    cbuild::{build_c, build_c_with},
    clab::run_for,
    util::*,
};
use modhost::Kernel;
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("memory").join(format!("{name}.ko"))
}

/// `tests/c/memory/NAME.ko` built with `KASAN=1`.
fn kasan_ko(name: &str) -> PathBuf {
    build_c_with("memory", &["KASAN=1"]).join(format!("{name}.ko"))
}

/// The first lines of dmesg's KASAN reports.
fn kasan_reports(kernel: &Kernel) -> Vec<String> {
    dmesg(kernel).into_iter().filter(|l| l.starts_with("BUG: KASAN: ")).collect()
}

/// The dmesg lines from the first one starting with `first`, `count` of them.
fn report(lines: &[String], first: &str, count: usize) -> Vec<String> {
    let at = lines
        .iter()
        .position(|l| l.starts_with(first))
        .unwrap_or_else(|| panic!("no {first:?}:\n{}", lines.join("\n")));
    lines[at..(at + count).min(lines.len())].to_vec()
}

#[test]
fn one_byte_past_a_kmalloc_of_strlen_is_slab_out_of_bounds_at_kfree() {
    let kernel = boot();
    kernel.insmod(ko("oob"), "").unwrap();
    let lines = dmesg(&kernel);
    let bug = report(&lines, "BUG: KASAN: slab-out-of-bounds in kfree at oob.c:", 14);
    assert!(bug[0].ends_with(" [oob]"), "{bug:?}");
    assert!(bug[1].starts_with("Write of size 1 at addr ") && bug[1].contains(" by task insmod/"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" oob.c:") && l.ends_with(" [oob]")), "the allocation's site: {bug:?}");
    assert!(bug.iter().any(|l| l == " which belongs to the cache kmalloc-16 of size 16"), "{bug:?}");
    assert!(bug.iter().any(|l| l == "The buggy address is located 0 bytes to the right of"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" allocated 10-byte region [")), "{bug:?}");
    assert!(kernel.taint().letters().contains('B'));
    kernel.rmmod("oob").unwrap();
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_write_after_kfree_is_slab_use_after_free_with_both_sites() {
    let kernel = boot();
    kernel.insmod(ko("uaf"), "").unwrap();
    kernel.rmmod("uaf").unwrap();
    let lines = dmesg(&kernel);
    let bug = report(&lines, "BUG: KASAN: slab-use-after-free in the memory check at unload [uaf]", 16);
    assert!(bug[1].starts_with("Write of size 4 at addr "), "{bug:?}");
    let allocated = bug.iter().position(|l| l.starts_with("Allocated by task")).expect("allocated");
    let freed = bug.iter().position(|l| l.starts_with("Freed by task")).expect("freed");
    assert!(bug[allocated + 1].starts_with(" uaf.c:") && bug[freed + 1].starts_with(" uaf.c:"), "{bug:?}");
    assert_ne!(bug[allocated + 1], bug[freed + 1]);
    assert!(bug.iter().any(|l| l == "The buggy address is located 0 bytes inside of"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" freed 16-byte region [")), "{bug:?}");
}

#[test]
fn a_buffer_never_freed_is_an_unreferenced_object_at_rmmod() {
    let kernel = boot();
    kernel.insmod(ko("leak"), "").unwrap();
    kernel.rmmod("leak").unwrap();
    let lines = dmesg(&kernel);
    let leak = report(&lines, "unreferenced object ", 9);
    assert!(leak[0].ends_with(" (size 96):"), "{leak:?}");
    assert!(leak[1].starts_with("  comm \"insmod\", pid ") && leak[1].contains(", jiffies "), "{leak:?}");
    assert_eq!(leak[2], "  hex dump (first 32 bytes):");
    // kmalloc does not zero: past the string, the bytes are whatever was there.
    assert!(leak[3].starts_with("    6c 61 62 20 62 75 66 66 65 72 00 "), "{leak:?}");
    assert!(leak[3].contains("  lab buffer."), "{leak:?}");
    assert_eq!(leak[5], "  backtrace:");
    assert!(leak[6].starts_with("    leak.c:") && leak[6].ends_with(" [leak]"), "{leak:?}");
    assert_dmesg(&kernel, "kmemleak: 1 new suspected memory leaks");
    assert_nothing_pinned(&kernel);
}

#[test]
fn with_kasan_one_byte_past_is_caught_in_the_function_that_writes_it() {
    let kernel = boot();
    kernel.insmod(kasan_ko("oob"), "").unwrap();
    let lines = dmesg(&kernel);
    let bug = report(&lines, "BUG: KASAN: slab-out-of-bounds in oob_init+0x", 22);
    assert!(bug[0].ends_with(" [oob]"), "{bug:?}");
    // strcpy checks the 11 bytes it is about to copy, for its caller.
    assert!(bug[1].starts_with("Write of size 11 at addr ") && bug[1].contains(" by task insmod/"), "{bug:?}");
    let trace = bug.iter().position(|l| l == "Call Trace:").expect("the writer's call trace");
    let frames: Vec<&String> = bug[trace + 2..].iter().take_while(|l| *l != " </TASK>").collect();
    assert!(frames.iter().any(|l| l.starts_with(" strcpy+0x")), "{bug:?}");
    assert!(frames.iter().any(|l| l.starts_with(" oob_init+0x")), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" oob.c:") && l.ends_with(" [oob]")), "the allocation's site: {bug:?}");
    assert!(bug.iter().any(|l| l == "The buggy address is located 0 bytes inside of"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" allocated 10-byte region [")), "{bug:?}");
    assert!(kernel.taint().letters().contains('B'));
    assert_dmesg(&kernel, "copied producer-A");
    kernel.rmmod("oob").unwrap();
    assert_eq!(kasan_reports(&kernel).len(), 1, "kfree does not report it again: {:?}", dmesg(&kernel));
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn with_kasan_a_write_after_kfree_is_caught_in_the_function_that_writes_it() {
    let kernel = boot();
    kernel.insmod(kasan_ko("uaf"), "").unwrap();
    let lines = dmesg(&kernel);
    let bug = report(&lines, "BUG: KASAN: slab-use-after-free in uaf_init+0x", 24);
    assert!(bug[0].ends_with(" [uaf]"), "{bug:?}");
    assert!(bug[1].starts_with("Write of size 4 at addr ") && bug[1].contains(" by task insmod/"), "{bug:?}");
    let allocated = bug.iter().position(|l| l.starts_with("Allocated by task")).expect("allocated");
    let freed = bug.iter().position(|l| l.starts_with("Freed by task")).expect("freed");
    assert!(bug[allocated + 1].starts_with(" uaf.c:") && bug[freed + 1].starts_with(" uaf.c:"), "{bug:?}");
    assert!(bug.iter().any(|l| l == "The buggy address is located 0 bytes inside of"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" freed 16-byte region [")), "{bug:?}");
    kernel.rmmod("uaf").unwrap();
    assert_eq!(kasan_reports(&kernel).len(), 1, "the unload does not report it again: {:?}", dmesg(&kernel));
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_block_overrun_and_kept_is_reported_by_the_periodic_check_before_rmmod() {
    let kernel = boot();
    kernel.insmod(ko("keep"), "").unwrap();
    assert!(kernel.settle());
    run_for(&kernel, 4_900);
    assert!(kasan_reports(&kernel).is_empty(), "nothing looked yet: {:?}", dmesg(&kernel));
    run_for(&kernel, 104);
    let lines = dmesg(&kernel);
    let bug = report(&lines, "BUG: KASAN: slab-out-of-bounds in the periodic memory check [keep]", 12);
    assert!(bug[1].starts_with("Write of size 1 at addr ") && bug[1].contains(" by task kslabcheckd/"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" keep.c:") && l.ends_with(" [keep]")), "the allocation's site: {bug:?}");
    assert!(bug.iter().any(|l| l == "The buggy address is located 0 bytes to the right of"), "{bug:?}");
    assert!(bug.iter().any(|l| l.starts_with(" allocated 5-byte region [")), "{bug:?}");
    assert!(kernel.taint().letters().contains('B'));
    run_for(&kernel, 5_000);
    kernel.rmmod("keep").unwrap();
    assert_eq!(kasan_reports(&kernel).len(), 1, "once, not again by the check or kfree: {:?}", dmesg(&kernel));
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn the_c_lab_built_with_kasan_runs_without_a_report() {
    let lab = build_c_with("lab", &["KASAN=1"]);
    let kernel = boot();
    kernel.insmod(lab.join("fifo.ko"), "size=4").unwrap();
    kernel.insmod(lab.join("producer.ko"), "rate=50").unwrap();
    kernel.insmod(lab.join("consumer.ko"), "rate=50").unwrap();
    run_for(&kernel, 6_000);
    for name in ["consumer", "producer", "fifo"] {
        kernel.rmmod(name).unwrap();
    }
    let lines = dmesg(&kernel);
    let consumed = lines.iter().find_map(|l| l.strip_prefix("consumer: consumed ")?.strip_suffix(" items"));
    assert!(consumed.and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n >= 250), "50 items/s for 6 s: {lines:?}");
    assert!(kasan_reports(&kernel).is_empty(), "{lines:?}");
    assert!(!kernel.taint().letters().contains('B'));
    assert!(kernel.lsmod().is_empty());
}
