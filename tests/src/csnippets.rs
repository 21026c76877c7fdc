//! The kernel's C API for time, timers, deferred work, threads, sleeping
//! and locks (`kbuild/include`, `kbuild/lib`) builds as the kernel's does:
//! every header alone, in both API generations; `kbuild/lib` without a
//! warning; and the module sources of `tests/c/snippets`, written as the
//! courseware and the lab write them, with exactly the warnings and errors
//! their kernels gave, calling only what `kbuild/lib` defines.
//!
//! A snippet's first lines may say `modhost-kernel: 4.4` (the generation),
//! `expect-warning: TEXT` or `expect-error: TEXT` (see the README there).

use crate::util::Scratch;
use object::{Object, ObjectSymbol};
use std::{
    collections::BTreeSet,
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// The headers this API consists of.
const HEADERS: &str = "jiffies time time64 ktime timekeeping delay sched sched/signal signal timer workqueue \
                       kthread wait completion semaphore mutex spinlock spinlock_types interrupt hardirq preempt bottom_half \
                       irqflags umh kmod";

/// The library files behind them.
const LIBRARY: &str = "object time sched task kthread timer workqueue wait completion locking tasklet umh";

/// `MODHOST_KERNEL=4.4`, as kbuild passes it.
const LAB_ERA: &str = "-DMODHOST_LINUX_VERSION_CODE=KERNEL_VERSION(4,4,0)";

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the checkout").to_path_buf()
}

/// The kbuild contract's compiler flags.
fn flags(name: &str) -> Vec<String> {
    let include = checkout().join("kbuild/include");
    [
        "-std=gnu11",
        "-nostdinc",
        &format!("-I{}", include.display()),
        "-include",
        &include.join("linux/kconfig.h").display().to_string(),
        "-D__KERNEL__",
        "-DMODULE",
        &format!("-DKBUILD_MODNAME=\"{name}\""),
        &format!("-DKBUILD_BASENAME=\"{name}\""),
        "-fPIC",
        "-fvisibility=hidden",
        "-fno-strict-aliasing",
        "-fno-common",
        "-fno-stack-protector",
        "-fno-omit-frame-pointer",
        "-ffreestanding",
        "-O2",
        "-Wall",
        "-Wundef",
        "-Werror=implicit-function-declaration",
        "-Werror=implicit-int",
        "-Werror=return-type",
        "-Wno-format-security",
        "-Wno-error=incompatible-pointer-types",
        "-fdiagnostics-color=never",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// What gcc said.
struct Build {
    ok: bool,
    stderr: String,
}

fn gcc(name: &str, extra: &[&str], stdin: Option<&str>) -> Build {
    let mut command = Command::new("gcc");
    command.args(flags(name)).args(extra).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("gcc runs");
    let mut input = child.stdin.take().expect("gcc's stdin");
    input.write_all(stdin.unwrap_or("").as_bytes()).expect("gcc reads its stdin");
    drop(input);
    let output = child.wait_with_output().expect("gcc ends");
    Build { ok: output.status.success(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

/// Compiles `source` into `object`.
fn compile(source: &Path, object: &Path, extra: &[&str]) -> Build {
    let name = source.file_stem().expect("a file name").to_string_lossy().into_owned();
    let mut args = extra.to_vec();
    let (source, object) = (source.display().to_string(), object.display().to_string());
    args.extend(["-c", &source, "-o", &object]);
    gcc(&name, &args, None)
}

/// The value of `key: value` in a snippet's first comment.
fn directive(text: &str, key: &str) -> Option<String> {
    let head = &text[..text.find("*/").unwrap_or(text.len())];
    head.lines().find_map(|line| {
        let line = line.trim_start_matches([' ', '/', '*']).trim();
        line.strip_prefix(key).and_then(|rest| rest.strip_prefix(':')).map(|v| v.trim().to_string())
    })
}

fn symbols(object: &Path, defined: bool) -> BTreeSet<String> {
    let bytes = fs::read(object).expect("the object was written");
    let file = object::File::parse(&*bytes).expect("gcc writes ELF");
    file.symbols()
        .filter(|s| s.is_undefined() != defined && (s.is_global() || !defined) && !s.name().unwrap_or("").is_empty())
        .map(|s| s.name().expect("a symbol's name").to_string())
        .collect()
}

#[test]
fn every_header_compiles_alone_in_both_generations() {
    for header in HEADERS.split_whitespace() {
        for generation in [&[][..], &[LAB_ERA][..]] {
            let source = format!("#include <linux/{header}.h>\n");
            let mut args = generation.to_vec();
            args.extend(["-fsyntax-only", "-x", "c", "-"]);
            let build = gcc("t", &args, Some(&source));
            assert!(build.ok && build.stderr.is_empty(), "<linux/{header}.h> {generation:?}:\n{}", build.stderr);
        }
    }
}

#[test]
fn the_library_compiles_without_a_warning() {
    let dir = Scratch::new("clib-b-library");
    for file in LIBRARY.split_whitespace() {
        let source = checkout().join(format!("kbuild/lib/{file}.c"));
        let build = compile(&source, &dir.join(&format!("{file}.o")), &[]);
        assert!(build.ok && build.stderr.is_empty(), "kbuild/lib/{file}.c:\n{}", build.stderr);
    }
}

#[test]
fn the_snippets_build_as_their_kernels_built_them_and_call_only_the_library() {
    let dir = Scratch::new("clib-b-snippets");
    let library = library_symbols(&dir);
    let mut snippets: Vec<PathBuf> = fs::read_dir(checkout().join("tests/c/snippets"))
        .expect("tests/c/snippets exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "c"))
        .collect();
    snippets.sort();
    assert!(snippets.len() >= 10, "the snippets are there: {snippets:?}");
    let makefile = fs::read_to_string(checkout().join("tests/c/snippets/Makefile")).expect("the snippets' Makefile");
    for source in &snippets {
        let text = fs::read_to_string(source).expect("a snippet is text");
        assert_makefile_agrees(&makefile, source, &text);
        let generation: &[&str] = match directive(&text, "modhost-kernel").as_deref() {
            None => &[],
            Some("4.4") => &[LAB_ERA],
            Some(other) => panic!("{}: unknown generation {other}", source.display()),
        };
        let object = dir.join(&format!("{}.o", source.file_stem().expect("a name").to_string_lossy()));
        let build = compile(source, &object, generation);
        let what = source.display();
        if let Some(error) = directive(&text, "expect-error") {
            assert!(!build.ok && build.stderr.contains(&error), "{what} must fail with {error:?}:\n{}", build.stderr);
            continue;
        }
        assert!(build.ok, "{what}:\n{}", build.stderr);
        match directive(&text, "expect-warning") {
            Some(warning) => {
                assert!(build.stderr.contains(&warning), "{what} must warn {warning:?}:\n{}", build.stderr)
            }
            None => assert!(build.stderr.is_empty(), "{what} warns:\n{}", build.stderr),
        }
        // modpost writes __this_module; everything else is the library's.
        let missing: Vec<_> =
            symbols(&object, false).into_iter().filter(|s| s != "__this_module" && !library.contains(s)).collect();
        assert!(missing.is_empty(), "{what} calls what kbuild/lib does not define: {missing:?}");
    }
}

/// The Makefile that builds the snippets to load them (tests/src/cdeferred.rs)
/// lists every one that builds, and gives the lab-era ones their generation.
#[track_caller]
fn assert_makefile_agrees(makefile: &str, source: &Path, text: &str) {
    let name = source.file_stem().expect("a name").to_string_lossy();
    let listed = makefile.split_whitespace().any(|word| word == format!("{name}.o"));
    assert_eq!(listed, directive(text, "expect-error").is_none(), "{name}.o in the Makefile's obj-m");
    let lab_era = makefile.contains(&format!("CFLAGS_{name}.o := $(lab-era)"));
    assert_eq!(lab_era, listed && directive(text, "modhost-kernel").is_some(), "CFLAGS_{name}.o in the Makefile");
}

/// The global symbols the whole of kbuild/lib defines.
fn library_symbols(dir: &Scratch) -> BTreeSet<String> {
    let mut defined = BTreeSet::new();
    for entry in fs::read_dir(checkout().join("kbuild/lib")).expect("kbuild/lib exists") {
        let source = entry.expect("a directory entry").path();
        if source.extension().is_none_or(|e| e != "c") {
            continue;
        }
        let object = dir.join(&format!("lib-{}.o", source.file_stem().expect("a name").to_string_lossy()));
        let build = compile(&source, &object, &[]);
        assert!(build.ok, "{}:\n{}", source.display(), build.stderr);
        defined.extend(symbols(&object, true));
    }
    defined
}
