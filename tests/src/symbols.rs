//! Symbols: resolution, GPL-only exports, namespaces, uses and refcounts.

use crate::util::*;

#[test]
fn a_gpl_module_sees_every_kind_of_export() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "").unwrap();
    assert_dmesg(&kernel, "gpluser: add=5 gpl_add=1005 ns_value=42");
    let testmod = kernel.lsmod().into_iter().find(|m| m.name == "testmod").unwrap();
    assert_eq!((testmod.refcnt, testmod.holders), (1, vec!["gpluser".to_string()]));
}

#[test]
fn removing_the_user_releases_the_exporter() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "").unwrap();
    kernel.rmmod("gpluser").unwrap();
    let testmod = kernel.lsmod().into_iter().find(|m| m.name == "testmod").unwrap();
    assert_eq!(testmod.refcnt, 0);
    kernel.rmmod("testmod").unwrap();
    assert!(kernel.read("/proc/kallsyms").unwrap().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_proprietary_module_using_plain_symbols_loads_and_taints_p() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("propmod"), "").unwrap();
    assert_dmesg(&kernel, "propmod: module license 'Proprietary' taints kernel.");
    assert_dmesg(&kernel, "propmod: 1 + 1 = 2");
    assert_eq!(kernel.read("/proc/sys/kernel/tainted").unwrap(), "1\n");
    assert_eq!(kernel.read("/sys/module/propmod/taint").unwrap(), "P\n");
    assert_eq!(kernel.read("/sys/module/testmod/taint").unwrap(), "\n");
    let modules = kernel.read("/proc/modules").unwrap();
    assert!(modules.lines().any(|l| l.starts_with("propmod ") && l.ends_with(" (P)")), "{modules}");
    // The taint stays after the module is gone.
    kernel.rmmod("propmod").unwrap();
    assert_eq!(kernel.read("/proc/sys/kernel/tainted").unwrap(), "1\n");
}

#[test]
fn kallsyms_lists_exports_with_owner_gpl_flag_and_namespace() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let kallsyms = kernel.read("/proc/kallsyms").unwrap();
    let line = |name: &str| {
        kallsyms.lines().find(|l| l.contains(&format!(" T {name}\t"))).unwrap_or_else(|| panic!("{name} in {kallsyms}"))
    };
    assert!(line("testmod_add").ends_with("\t[testmod]"));
    assert!(line("testmod_gpl_add").ends_with("\t[testmod]\tGPL"));
    assert!(line("testmod_ns_value").ends_with("\t[testmod]\tGPL\tNS:TESTMOD"));
    let address = u64::from_str_radix(line("testmod_add").split(' ').next().unwrap(), 16).unwrap();
    assert_ne!(address, 0);
}

#[test]
fn a_panic_in_an_exported_function_is_an_oops_for_its_module_only() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "panic_code=7").unwrap();
    assert_dmesg_contains(&kernel, "Oops: testmod: panicked at tests/fixtures/testmod/src/lib.rs:");
    assert_dmesg_contains(&kernel, "testmod_panic(7)");
    assert_dmesg(&kernel, "gpluser: testmod_panic(7) returned -14");
    assert_dmesg_contains(&kernel, "Modules linked in: gpluser(+) testmod(D)");
    assert_eq!(kernel.read("/sys/module/testmod/taint").unwrap(), "D\n");
    assert!(kernel.taint().letters().contains('D'));
    // Both modules still work and can be unloaded.
    kernel.rmmod("gpluser").unwrap();
    kernel.rmmod("testmod").unwrap();
    assert_nothing_pinned(&kernel);
}

#[test]
fn symbol_get_pins_the_exporter_until_it_is_dropped() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let symbol = kernel.symbol_get("testmod_add").unwrap();
    assert_eq!(symbol.owner(), "testmod");
    // SAFETY: testmod exports `testmod_add` as `extern "C" fn(i32, i32) -> i32`.
    let add: extern "C" fn(i32, i32) -> i32 = unsafe { std::mem::transmute(symbol.address()) };
    assert_eq!(add(2, 3), 5);
    assert_eq!(kernel.rmmod("testmod").unwrap_err().to_string(), "testmod: in use");
    drop(symbol);
    kernel.rmmod("testmod").unwrap();
    assert!(kernel.symbol_get("testmod_add").is_err());
}
