//! Module files are inspected, never run: modinfo, depmod, modprobe's
//! lookups and completion read a file's sections and leave its code alone.
//!
//! `ctorbomb` is a module whose ELF constructor aborts the process that
//! loads it, and it sits in every test's module path: a single `dlopen` of
//! it by any of these commands would end this test binary.

use crate::util::*;
use modhost::{ErrorKind, shell::complete::complete, views::modinfo::format_modinfo};
use std::fs;

/// The replacements completion offers at the end of `line`.
fn completions(kernel: &modhost::Kernel, line: &str) -> Vec<String> {
    complete(kernel, line, line.len()).1.into_iter().map(|p| p.replacement).collect()
}

#[test]
fn modinfo_shows_a_module_whose_constructor_aborts() {
    let kernel = boot();
    let report = kernel.modinfo("ctorbomb").unwrap();
    let expected = format!(
        "filename:       {}\n\
         license:        GPL\n\
         author:         modhost developers\n\
         description:    Aborts the process that loads it, from an ELF constructor\n\
         version:        0.1\n\
         depends:        \n\
         name:           ctorbomb\n\
         vermagic:       modhost-abi/3 panic=unwind\n\
         parm:           fuse:Never read: loading already aborted (uint)\n",
        plugin("ctorbomb").canonicalize().unwrap().display()
    );
    assert_eq!(format_modinfo(&report, None), expected);
    assert_eq!(report.info.exports[0].name, "ctorbomb_tick");
    assert_eq!(report.info.params[0].perm, 0o444);
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn depmod_modprobe_and_completion_read_a_module_whose_constructor_aborts() {
    let kernel = boot();
    let map = kernel.depmod();
    let entry = map.get("ctorbomb").expect("depmod lists it");
    assert_eq!(entry.path, plugin("ctorbomb"));
    assert_eq!(entry.info.exports.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["ctorbomb_tick"]);
    assert_eq!(kernel.modprobe("chainmod", "").unwrap(), ["testmod", "gpluser", "chainmod"]);
    assert_eq!(completions(&kernel, "modprobe ctor"), ["ctorbomb"]);
    assert_eq!(completions(&kernel, "insmod ctorb"), ["ctorbomb.so"]);
    assert_eq!(completions(&kernel, "insmod ctorbomb.so f"), ["fuse="]);
    assert_eq!(completions(&kernel, "modinfo ctorbomb"), ["ctorbomb.so"]);
    assert!(!kernel.lsmod().iter().any(|m| m.name == "ctorbomb"));
}

#[test]
fn files_without_modinfo_are_skipped_by_depmod_and_completion() {
    let kernel = boot();
    assert!(kernel.depmod().get("notplugin").is_none());
    assert!(kernel.depmod().iter().all(|(_, e)| !e.path.to_string_lossy().contains("derive")), "no proc-macro library");
    assert!(completions(&kernel, "modprobe notp").is_empty());
    assert!(completions(&kernel, "insmod notp").is_empty());
    let err = kernel.modinfo(plugin("notplugin").to_str().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFormat);
    assert_eq!(err.message(), "invalid module format: no .modinfo section: not a module");
}

#[test]
fn malformed_files_are_one_clear_error_each() {
    let kernel = boot();
    let scratch = Scratch::new("malformed");
    let fifo = fs::read(plugin("fifo")).unwrap();
    let last = b"vermagic=modhost-abi/3 panic=unwind\0";
    let end =
        fifo.windows(last.len()).position(|w| w == last).expect("fifo's .modinfo ends with its vermagic") + last.len();
    let mut unterminated = fifo.clone();
    unterminated[end - 1] = b'x';
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.so", b"", "invalid module format: not an ELF file (too short)"),
        ("text.so", b"not a module at all\n", "invalid module format: not an ELF file"),
        ("header.so", &fifo[..64], "invalid module format: invalid ELF section header offset/size/alignment"),
        (
            "truncated.so",
            &fifo[..fifo.len() / 2],
            "invalid module format: invalid ELF section header offset/size/alignment",
        ),
        ("unterminated.so", &unterminated, "invalid module format: .modinfo: unterminated string at byte "),
    ];
    for (name, bytes, message) in cases {
        let err = kernel.modinfo(&scratch.file(name, bytes)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidFormat, "{name}: {err}");
        assert!(err.message().starts_with(message), "{name}: {err}");
        assert!(!err.message().contains('\n'), "{name}: one line: {err}");
    }
    assert_eq!(kernel.modinfo("fifo").unwrap().info.name, "fifo", "the host goes on");
}
