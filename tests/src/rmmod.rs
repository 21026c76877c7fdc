//! rmmod: unloading, forcing, and checking that the code is really gone.

use crate::util::*;
use modhost::{Errno, ErrorKind};

#[test]
fn every_rmmod_unmaps_the_library() {
    let kernel = boot();
    for _ in 0..20 {
        kernel.insmod(plugin("testmod"), "").unwrap();
        kernel.rmmod("testmod").unwrap();
    }
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_module_holding_a_reference_needs_force_and_force_taints_r() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "hold=1").unwrap();
    assert_eq!(kernel.read("/sys/module/testmod/refcnt").unwrap(), "1\n");
    let err = kernel.rmmod("testmod").unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::InUse, Errno::EWOULDBLOCK));
    assert_eq!(err.to_string(), "testmod: in use");
    assert_eq!(kernel.read("/proc/sys/kernel/tainted").unwrap(), "0\n");
    kernel.rmmod_force("testmod").unwrap();
    assert_dmesg(&kernel, "testmod: exit");
    assert_eq!(kernel.read("/proc/sys/kernel/tainted").unwrap(), "8\n");
    assert_eq!(kernel.taint().letters(), "R");
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_library_pinned_by_a_thread_local_destructor_is_reported() {
    let kernel = boot();
    kernel.insmod(plugin("pinmod"), "").unwrap();
    kernel.rmmod("pinmod").unwrap();
    assert!(kernel.lsmod().is_empty(), "the module itself is gone");
    let pinned = kernel.pinned_libraries();
    assert_eq!(pinned.len(), 1, "{pinned:?}");
    assert!(pinned[0].ends_with("libpinmod.so"), "{pinned:?}");
    assert_dmesg_contains(&kernel, "pinmod: library ");
    assert_dmesg_contains(&kernel, "still resident after unload");
}

#[test]
fn dropping_the_kernel_unloads_users_before_what_they_use() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "").unwrap();
    kernel.insmod(plugin("chainmod"), "").unwrap();
    assert_eq!(kernel.shutdown(), Vec::<String>::new(), "shutdown left modules loaded");
    assert!(kernel.lsmod().is_empty());
    let exits: Vec<_> = dmesg(&kernel).into_iter().filter(|l| l.ends_with(": exit")).collect();
    assert_eq!(exits, ["testmod: exit"]);
    assert_nothing_pinned(&kernel);
}
