//! Module memory gone wrong, reported as KASAN and kmemleak report it:
//! the modules of `tests/c/memory` make the classic mistakes (one byte
//! past `kmalloc(strlen(s))`, a write after `kfree`, a buffer never
//! freed), and each is named with its sites while the host goes on.

use crate::{cbuild::build_c, util::*};
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("memory").join(format!("{name}.ko"))
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
