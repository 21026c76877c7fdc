//! C modules for the tests: the sources under `tests/c/NAME/`, built once
//! with `make -C <checkout>/kbuild M=DIR [ARGS]` into a directory of the
//! test build's own (one per set of arguments), which every test process
//! shares (under `flock`, since nextest runs each test in a process of its
//! own; make rebuilds nothing that is up to date).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// `make -C <checkout>/kbuild M=dir args...` in a directory of a test's own.
pub(crate) fn make_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../kbuild"))
        .arg(format!("M={}", dir.display()))
        .args(args)
        .env("MODHOST", crate::kbuild::modhost())
        .env("LC_ALL", "C")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .expect("make runs")
}

/// The directory holding the built `tests/c/NAME` modules (`NAME.ko`...).
pub(crate) fn build_c(name: &str) -> PathBuf {
    build_c_with(name, &[])
}

/// As [`build_c`], with `make` arguments (`KASAN=1`), into a directory of
/// their own (`c/NAME+KASAN=1`), so that each build stays up to date.
pub(crate) fn build_c_with(name: &str, args: &[&str]) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("c").join(name);
    let built = std::iter::once(name).chain(args.iter().copied()).collect::<Vec<_>>().join("+");
    let dir = crate::util::module_dir().join("c").join(built);
    std::fs::create_dir_all(&dir).unwrap();
    let kbuild = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kbuild");
    let script = format!(
        "cp -p {src}/* {dir}/ && make -s -C {kbuild} M={dir} {args}",
        src = source.display(),
        dir = dir.display(),
        kbuild = kbuild.display(),
        args = args.join(" ")
    );
    let output = Command::new("flock")
        .arg(dir.with_extension("lock"))
        .args(["sh", "-c", &script])
        .env("MODHOST", crate::kbuild::modhost())
        .env("LC_ALL", "C")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .expect("flock and make run");
    assert!(
        output.status.success(),
        "building tests/c/{name} {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}
