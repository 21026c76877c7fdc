//! Bad input: each gets a clear error, changes nothing, and the host goes on.

use crate::util::*;
use modhost::{Errno, ErrorKind, Kernel};
use std::{fs, path::PathBuf};

/// Runs a failing insmod and checks the error and that nothing changed
/// apart from `taint` (the kernel's mask after the attempt).
#[track_caller]
fn refused(kernel: &Kernel, file: PathBuf, args: &str, kind: ErrorKind, strerror: &str) -> modhost::Error {
    let before = Snapshot::of(kernel);
    let err = kernel.insmod(&file, args).unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.insmod_strerror(), strerror, "{err}");
    assert_eq!(kernel.lsmod(), before_lsmod(&before, kernel));
    assert_eq!(kernel.read("/proc/kallsyms").unwrap(), Snapshot::kallsyms_of(&before));
    assert_nothing_pinned(kernel);
    err
}

fn before_lsmod(before: &Snapshot, _kernel: &Kernel) -> Vec<modhost::views::lsmod::LsmodEntry> {
    before.lsmod_entries()
}

#[test]
fn a_path_that_does_not_exist() {
    let kernel = boot();
    let err = refused(&kernel, "/no/such/module.so".into(), "", ErrorKind::Open, "No such file or directory");
    assert_eq!(err.errno(), Errno::ENOENT);
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn a_file_that_is_not_a_shared_library() {
    let kernel = boot();
    let scratch = Scratch::new("text");
    let file = scratch.join("hello.so");
    fs::write(&file, "not an ELF file\n").unwrap();
    let err = refused(&kernel, file, "", ErrorKind::InvalidFormat, "Invalid module format");
    assert!(err.message().contains("invalid ELF header"), "{err}");
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn a_truncated_shared_library() {
    let kernel = boot();
    let scratch = Scratch::new("truncated");
    let file = scratch.join("libtestmod.so");
    let bytes = fs::read(plugin("testmod")).unwrap();
    fs::write(&file, &bytes[..16 * 1024]).unwrap();
    refused(&kernel, file, "", ErrorKind::InvalidFormat, "Invalid module format");
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn a_shared_library_that_is_not_a_module() {
    let kernel = boot();
    let err = refused(&kernel, plugin("notplugin"), "", ErrorKind::InvalidFormat, "Invalid module format");
    assert_eq!(err.to_string(), "notplugin: not a modhost module (no valid __this_module)");
    assert_dmesg(&kernel, "notplugin: not a modhost module (no valid __this_module)");
}

#[test]
fn a_module_built_for_another_abi_version() {
    let kernel = boot();
    refused(&kernel, plugin("oldabi"), "", ErrorKind::InvalidFormat, "Invalid module format");
    assert_dmesg(&kernel, "oldabi: version magic 'modhost-abi/1 panic=unwind' should be 'modhost-abi/3 panic=unwind'");
}

#[test]
fn a_module_whose_descriptor_layout_differs() {
    let kernel = boot();
    refused(&kernel, plugin("badlayout"), "", ErrorKind::InvalidFormat, "Invalid module format");
    assert_dmesg_contains(&kernel, "badlayout: disagrees about version of symbol module_layout");
}

/// `testmod` with `patch` applied, written as `libtestmod.so` in `scratch`.
fn patched_testmod(scratch: &Scratch, patch: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = fs::read(plugin("testmod")).unwrap();
    patch(&mut bytes);
    let file = scratch.join("libtestmod.so");
    fs::write(&file, &bytes).unwrap();
    file
}

/// Sets the 8 bytes at `at` to `value`.
fn poke(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn a_descriptor_with_wild_pointers_is_an_invalid_module_format() {
    let kernel = boot();
    let scratch = Scratch::new("wild");
    for (field, offset, reason) in [
        ("vermagic", 8, "testmod: invalid module format: descriptor vermagic outside the module's read-only data"),
        ("layout", 16, "testmod: invalid module format: descriptor layout outside the module's read-only data"),
        ("info", 24, "testmod: invalid module format: descriptor module info outside the module"),
    ] {
        let file = patched_testmod(&scratch, |bytes| {
            let at = crate::mutants::addend_of(bytes, crate::mutants::this_module(bytes) + offset).unwrap();
            poke(bytes, at, 0x4141_4141_4141);
        });
        let err = refused(&kernel, file, "", ErrorKind::InvalidFormat, "Invalid module format");
        assert_eq!(err.to_string(), reason, "{field}");
        assert_dmesg(&kernel, reason);
    }
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn a_vermagic_without_its_nul_is_not_read_on() {
    let kernel = boot();
    let scratch = Scratch::new("nul");
    let file = patched_testmod(&scratch, |bytes| {
        let magic = b"modhost-abi/3 panic=unwind\0";
        let at = bytes.windows(magic.len()).position(|w| w == magic).unwrap();
        bytes[at + magic.len() - 1..at + 512].fill(b'!');
    });
    let err = refused(&kernel, file, "", ErrorKind::InvalidFormat, "Invalid module format");
    assert_eq!(err.to_string(), "testmod: invalid module format: descriptor vermagic not NUL-terminated");
}

#[test]
fn a_needed_library_named_outside_the_string_table_is_an_invalid_module_format() {
    let kernel = boot();
    let scratch = Scratch::new("needed");
    let file = patched_testmod(&scratch, |bytes| {
        let at = crate::mutants::dynamic_entry(bytes, 1).unwrap();
        poke(bytes, at + 8, 0x00ff_ffff);
    });
    let err = refused(&kernel, file, "", ErrorKind::InvalidFormat, "Invalid module format");
    assert!(err.message().ends_with("DT_NEEDED name outside the string table"), "{err}");
}

#[test]
fn a_relocation_outside_the_library_is_an_invalid_module_format() {
    let kernel = boot();
    let scratch = Scratch::new("reloc");
    let file = patched_testmod(&scratch, |bytes| {
        let at = crate::mutants::addend_of(bytes, crate::mutants::this_module(bytes) + 24).unwrap();
        poke(bytes, at - 16, 0x7fff_0000_0000);
    });
    let err = refused(&kernel, file, "", ErrorKind::InvalidFormat, "Invalid module format");
    assert!(err.message().contains("target outside the writable segments"), "{err}");
}

#[test]
fn a_duplicate_module_name() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let err = refused(&kernel, plugin("testmod"), "", ErrorKind::Exists, "File exists");
    assert_eq!(err.errno(), Errno::EEXIST);
}

#[test]
fn unknown_symbols_are_all_reported() {
    let kernel = boot();
    let err = refused(&kernel, plugin("gpluser"), "", ErrorKind::UnknownSymbol, "Unknown symbol in module");
    assert_eq!(err.errno(), Errno::ENOENT);
    for symbol in ["testmod_add", "testmod_gpl_add", "testmod_ns_value", "testmod_panic"] {
        assert_dmesg(&kernel, &format!("gpluser: Unknown symbol {symbol} (err -2)"));
    }
}

#[test]
fn a_gpl_only_symbol_from_a_proprietary_module() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    refused(&kernel, plugin("propgpl"), "", ErrorKind::UnknownSymbol, "Unknown symbol in module");
    assert_dmesg(&kernel, "propgpl: module license 'Proprietary' taints kernel.");
    assert_dmesg(&kernel, "propgpl: Unknown symbol testmod_gpl_add (err -2)");
    // The kernel stays tainted even though the load failed.
    assert_eq!(kernel.read("/proc/sys/kernel/tainted").unwrap(), "1\n");
}

#[test]
fn a_signature_mismatch() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let err = refused(&kernel, plugin("badsig"), "", ErrorKind::UnknownSymbol, "Invalid parameters");
    assert_eq!(err.errno(), Errno::EINVAL);
    assert_dmesg(&kernel, "badsig: disagrees about version of symbol testmod_add");
    assert_dmesg(&kernel, "badsig: Unknown symbol testmod_add (err -22)");
}

#[test]
fn a_namespaced_symbol_without_its_namespace() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    refused(&kernel, plugin("nsmissing"), "", ErrorKind::UnknownSymbol, "Invalid parameters");
    assert_dmesg(
        &kernel,
        "nsmissing: module uses symbol (testmod_ns_value) from namespace TESTMOD, but does not import it.",
    );
}

#[test]
fn bad_parameter_values() {
    let kernel = boot();
    let cases = [
        ("i=abc", Errno::EINVAL, "testmod: `abc' invalid for parameter `i'"),
        ("b=256", Errno::ERANGE, "testmod: `256' invalid for parameter `b'"),
        ("ui=-1", Errno::EINVAL, "testmod: `-1' invalid for parameter `ui'"),
        ("us=08", Errno::EINVAL, "testmod: `08' invalid for parameter `us'"),
        ("flag=maybe", Errno::EINVAL, "testmod: `maybe' invalid for parameter `flag'"),
        ("noflag", Errno::EINVAL, "testmod: `' invalid for parameter `noflag'"),
        ("i", Errno::EINVAL, "testmod: `' invalid for parameter `i'"),
        ("ints=1,2,3,4,5", Errno::EINVAL, "ints: can only take 4 arguments"),
    ];
    for (args, errno, line) in cases {
        let err = refused(&kernel, plugin("testmod"), args, ErrorKind::InvalidParams, &errno_text(errno));
        assert_eq!(err.errno(), errno, "{args}");
        assert_dmesg(&kernel, line);
    }
    let long = format!("name={}", "x".repeat(1025));
    refused(&kernel, plugin("testmod"), &long, ErrorKind::InvalidParams, "No space left on device");
    assert_dmesg(&kernel, "name: string parameter too long");
    kernel.insmod(plugin("testmod"), "").unwrap();
}

fn errno_text(errno: Errno) -> String {
    match errno {
        Errno::EINVAL => "Invalid parameters".to_string(),
        other => other.to_string(),
    }
}

#[test]
fn init_panicking_is_an_oops_and_nothing_else_changes() {
    let kernel = boot();
    let err = refused(&kernel, plugin("testmod"), "init_panic=1", ErrorKind::InitPanicked, "Bad address");
    assert_eq!(err.to_string(), "testmod: init panicked");
    assert_dmesg_contains(&kernel, "Oops: testmod: panicked at tests/fixtures/testmod/src/lib.rs:");
    assert_dmesg_contains(&kernel, "init_panic was set");
    assert!(kernel.taint().letters().contains('D'));
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn rmmod_of_a_module_that_is_not_loaded() {
    let kernel = boot();
    let err = kernel.rmmod("testmod").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotLoaded);
    assert_eq!(err.to_string(), "testmod: not currently loaded");
}

#[test]
fn rmmod_of_a_module_in_use() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "").unwrap();
    let before = Snapshot::of(&kernel);
    let err = kernel.rmmod("testmod").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InUse);
    assert_eq!(err.errno(), Errno::EWOULDBLOCK);
    assert_eq!(err.to_string(), "testmod: in use by: gpluser");
    let err = kernel.rmmod_force("testmod").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InUse, "forcing never removes a module others use");
    assert_eq!(Snapshot::of(&kernel), before);
}
