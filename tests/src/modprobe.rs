//! depmod, modprobe and modinfo: modules found in the search path.

use crate::util::*;
use modhost::{ErrorKind, views::modinfo::format_modinfo};

#[test]
fn depmod_derives_dependencies_from_imports_and_exports() {
    let kernel = boot();
    let map = kernel.depmod();
    assert_eq!(map.get("gpluser").unwrap().depends, ["testmod"]);
    assert_eq!(map.get("chainmod").unwrap().depends, ["gpluser"]);
    assert!(map.get("testmod").unwrap().depends.is_empty());
    assert!(map.get("notplugin").is_none(), "not a module");
    assert_eq!(map.load_order("chainmod"), ["testmod", "gpluser", "chainmod"]);
    let dep = map.to_modules_dep();
    let line = dep.lines().find(|l| l.contains("libchainmod.so:")).unwrap();
    assert!(line.ends_with("libgpluser.so ") || line.contains("libgpluser.so"), "{line}");
}

#[test]
fn insmod_before_the_dependency_fails_and_modprobe_loads_it_first() {
    let kernel = boot();
    let err = kernel.insmod(plugin("chainmod"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSymbol);
    let loaded = kernel.modprobe("chainmod", "x=5").unwrap();
    assert_eq!(loaded, ["testmod", "gpluser", "chainmod"]);
    assert_dmesg(&kernel, "chainmod: init #1: twice 5 is 10");
    let names: Vec<_> = kernel.lsmod().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["chainmod", "gpluser", "testmod"]);
}

#[test]
fn modprobe_of_a_loaded_module_does_nothing() {
    let kernel = boot();
    kernel.modprobe("testmod", "").unwrap();
    assert!(kernel.modprobe("testmod", "").unwrap().is_empty());
}

#[test]
fn modprobe_of_an_unknown_module_says_where_it_looked() {
    let kernel = boot();
    let err = kernel.modprobe("nosuchmodule", "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.subject(), "nosuchmodule");
    assert!(err.message().starts_with("not found in directory "), "{err}");
}

#[test]
fn show_depends_lists_the_load_order_with_options() {
    let kernel = boot();
    let steps = kernel.show_depends("chainmod", "x=3").unwrap();
    let files: Vec<_> = steps.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(files, ["libtestmod.so", "libgpluser.so", "libchainmod.so"]);
    assert_eq!(steps[2].1, "x=3");
    assert!(kernel.lsmod().is_empty(), "show-depends loads nothing");
}

#[test]
fn modprobe_remove_takes_unused_dependencies_along() {
    let kernel = boot();
    kernel.modprobe("chainmod", "").unwrap();
    let err = kernel.modprobe_remove("gpluser").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InUse);
    let removed = kernel.modprobe_remove("chainmod").unwrap();
    assert_eq!(removed, ["chainmod", "gpluser", "testmod"]);
    assert!(kernel.lsmod().is_empty());
    assert!(kernel.modprobe_remove("chainmod").unwrap().is_empty(), "not loaded: nothing to do");
    assert_nothing_pinned(&kernel);
}

#[test]
fn modprobe_remove_of_a_module_not_loaded_leaves_its_dependencies() {
    let kernel = boot();
    kernel.modprobe("gpluser", "").unwrap();
    assert!(kernel.modprobe_remove("chainmod").unwrap().is_empty());
    let names: Vec<_> = kernel.lsmod().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["gpluser", "testmod"]);
}

#[test]
fn modprobe_remove_keeps_dependencies_others_still_use() {
    let kernel = boot();
    kernel.modprobe("chainmod", "").unwrap();
    kernel.insmod(plugin("propmod"), "").unwrap();
    let removed = kernel.modprobe_remove("chainmod").unwrap();
    assert_eq!(removed, ["chainmod", "gpluser"]);
    let names: Vec<_> = kernel.lsmod().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["propmod", "testmod"]);
}

#[test]
fn modinfo_reads_a_file_without_running_it() {
    let kernel = boot();
    let report = kernel.modinfo("testmod").unwrap();
    let text = format_modinfo(&report, None);
    let expected_head = format!(
        "filename:       {}\n\
         license:        GPL\n\
         author:         modhost developers\n\
         description:    Test fixture with every parameter type and export kind\n\
         version:        1.2.3\n\
         depends:        \n\
         name:           testmod\n\
         vermagic:       modhost-abi/3 panic=unwind\n\
         parm:           b:A byte (byte)\n",
        plugin("testmod").canonicalize().unwrap().display()
    );
    assert!(text.starts_with(&expected_head), "{text}");
    assert!(text.contains("parm:           ints:An array of ints (array of int)\n"), "{text}");
    assert!(text.contains("parm:           name:A string (charp)\n"), "{text}");
    assert!(!dmesg(&kernel).iter().any(|l| l.starts_with("testmod:")), "init must not run");
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn modinfo_shows_depends_and_namespaces_and_filters_fields() {
    let kernel = boot();
    let report = kernel.modinfo(plugin("gpluser").to_str().unwrap()).unwrap();
    let text = format_modinfo(&report, None);
    assert!(text.contains("import_ns:      TESTMOD\n"), "{text}");
    assert!(text.contains("depends:        testmod\n"), "{text}");
    assert_eq!(format_modinfo(&report, Some("license")), "GPL v2\n");
    assert_eq!(format_modinfo(&report, Some("parm")), "panic_code:Call testmod_panic with this code in init (int)\n");
}

#[test]
fn modinfo_of_a_loaded_instance_reads_its_file() {
    let kernel = boot();
    kernel.modprobe("gpluser", "").unwrap();
    kernel.insmod_named(plugin("chainmod"), Some("chain2"), "").unwrap();
    let report = kernel.modinfo("chain2").unwrap();
    assert_eq!(report.info.name, "chainmod");
    let err = kernel.modinfo("nosuchmodule").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// Runs `script` through the shell; returns (stdout, stderr, status).
fn shell(kernel: &modhost::Kernel, script: &str) -> (String, String, i32) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = modhost::shell::run_script(kernel, script.as_bytes(), &mut out, &mut err, false).status();
    (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap(), status)
}

#[test]
fn depmod_reports_a_dependency_cycle_as_kmod_does() {
    let kernel = boot();
    assert_eq!(kernel.depmod().cycles(), [["cyclea", "cycleb", "cyclea"]]);
    let (out, err, status) = shell(&kernel, "depmod\n");
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        (
            "",
            "depmod: ERROR: Cycle detected: cyclea -> cycleb -> cyclea\n\
             depmod: ERROR: Found 2 modules in dependency cycles!\n",
            1
        )
    );
    let err = kernel.modprobe("cyclea", "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSymbol, "neither can load first: {err}");
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn modprobe_r_of_an_unknown_module_is_fatal() {
    let kernel = boot();
    let (_, err, status) = shell(&kernel, "modprobe -r nosuchmodule\nmodprobe -r testmod\n");
    assert_eq!((err.as_str(), status), ("modprobe: FATAL: Module nosuchmodule not found.\n", 1));
}
