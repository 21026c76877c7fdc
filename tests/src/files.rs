//! Module files: every load maps a private copy, so what happens to the file
//! afterwards never reaches a loaded module; files that are not regular,
//! symbolic-link loops, and relative paths after a module moved the
//! working directory.

use crate::util::*;
use modhost::{ErrorKind, Kernel};
use std::{
    fs,
    io::{Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

/// `testmod` loaded as `a` from `x.so`, and proof that its code still runs:
/// a parameter write calls its notification.
fn a_still_works(kernel: &Kernel) {
    kernel.write("/sys/module/a/parameters/ui", "9").unwrap();
    assert_dmesg(kernel, "a: param ui changed");
}

/// Both instances unload cleanly and nothing stays mapped.
fn both_unload(kernel: &Kernel) {
    kernel.rmmod("b").unwrap();
    kernel.rmmod("a").unwrap();
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(kernel);
}

#[test]
fn a_file_copied_over_a_loaded_module_loads_as_the_new_module() {
    let kernel = boot();
    let scratch = Scratch::new("cp");
    let file = scratch.join("x.so");
    fs::copy(plugin("testmod"), &file).unwrap();
    kernel.insmod_named(&file, Some("a"), "").unwrap();
    // `cp` writes the new module into the same inode, in place.
    fs::write(&file, fs::read(plugin("cwdmod")).unwrap()).unwrap();
    kernel.insmod_named(&file, Some("b"), "").unwrap();
    assert_dmesg(&kernel, "b: working directory kept");
    assert_eq!(kernel.modinfo(file.to_str().unwrap()).unwrap().info.name, "cwdmod");
    a_still_works(&kernel);
    both_unload(&kernel);
}

#[test]
fn a_file_overwritten_or_truncated_in_place_leaves_the_loaded_module_alone() {
    let kernel = boot();
    let scratch = Scratch::new("inplace");
    let file = scratch.join("x.so");
    fs::copy(plugin("testmod"), &file).unwrap();
    kernel.insmod_named(&file, Some("a"), "").unwrap();
    let mut f = fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.write_all(&vec![0xcc; 256 * 1024]).unwrap();
    f.seek(SeekFrom::Start(1 << 20)).unwrap();
    f.write_all(&vec![0; 64 * 1024]).unwrap();
    a_still_works(&kernel);
    f.set_len(0).unwrap();
    a_still_works(&kernel);
    let err = kernel.insmod_named(&file, Some("b"), "").unwrap_err();
    assert_eq!(err.insmod_strerror(), "Invalid module format", "{err}");
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(&fs::read(plugin("cwdmod")).unwrap()).unwrap();
    kernel.insmod_named(&file, Some("b"), "").unwrap();
    assert_dmesg(&kernel, "b: working directory kept");
    a_still_works(&kernel);
    both_unload(&kernel);
}

#[test]
fn a_rebuilt_file_loads_fresh_after_its_old_copy_was_unloaded() {
    let kernel = boot();
    let scratch = Scratch::new("rebuilt");
    let file = scratch.join("x.so");
    fs::copy(plugin("testmod"), &file).unwrap();
    kernel.insmod_named(&file, Some("a"), "").unwrap();
    kernel.rmmod("a").unwrap();
    fs::copy(plugin("cwdmod"), &file).unwrap();
    kernel.insmod_named(&file, Some("b"), "").unwrap();
    assert_dmesg(&kernel, "b: working directory kept");
    kernel.rmmod("b").unwrap();
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_named_pipe_is_refused_without_blocking() {
    let kernel = boot();
    let scratch = Scratch::new("fifo");
    let file = scratch.join("x.so");
    assert!(std::process::Command::new("mkfifo").arg(&file).status().unwrap().success());
    let err = kernel.insmod(&file, "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Open);
    assert_eq!(err.insmod_strerror(), "Invalid argument", "{err}");
    let err = kernel.insmod("/dev/null", "").unwrap_err();
    assert_eq!(err.insmod_strerror(), "Invalid argument", "{err}");
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn a_symbolic_link_loop_says_so() {
    let kernel = boot();
    let scratch = Scratch::new("loop");
    let file = scratch.join("x.so");
    std::os::unix::fs::symlink(&file, &file).unwrap();
    let err = kernel.insmod(&file, "").unwrap_err();
    assert_eq!(err.insmod_strerror(), "Too many levels of symbolic links", "{err}");
    let err = kernel.insmod(file.join("y.so"), "").unwrap_err();
    assert_eq!(err.insmod_strerror(), "Too many levels of symbolic links", "{err}");
}

/// `to` relative to `from`, both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let common = from.components().zip(to.components()).take_while(|(a, b)| a == b).count();
    let up = from.components().skip(common).map(|_| "..");
    up.map(PathBuf::from).chain(to.components().skip(common).map(|c| PathBuf::from(c.as_os_str()))).collect()
}

#[test]
fn relative_paths_stay_relative_to_the_directory_at_boot() {
    let boot_dir = std::env::current_dir().unwrap();
    let kernel = boot();
    let testmod = relative(&boot_dir, &plugin("testmod"));
    assert!(testmod.is_relative() && testmod.is_file(), "{}", testmod.display());
    kernel.insmod(plugin("cwdmod"), "dir=/").unwrap();
    assert_eq!(std::env::current_dir().unwrap(), Path::new("/"), "the module moved the working directory");
    let loaded = kernel.insmod(&testmod, "");
    std::env::set_current_dir(&boot_dir).unwrap();
    assert_eq!(loaded.unwrap(), "testmod");
}
