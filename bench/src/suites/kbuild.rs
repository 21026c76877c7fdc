//! The `kbuild` suite: building the lab in C, and where the C lab comes from.
//!
//! [`c_lab`] builds `tests/c/lab` (fifo.c, producer.c, consumer.c and a
//! student's one-line Makefile) with `make -C <checkout>/kbuild M=DIR`
//! into `target/<profile>/c/lab`, for the suites that load it;
//! [`c_lab_with`] with arguments (`KASAN=1`) into a directory of its own.
//!
//! The suite's figure is the wall time of a whole build of the three
//! modules from clean (compiling, modpost, the `.mod.c` files, linking;
//! the kernel library `libkernel.a` already built, as it is after the
//! first build on a checkout), beside the floor: `gcc -c` of the same
//! three sources with the same flags, and nothing else. Their ratio is
//! what kbuild adds to the compiler. Rounds alternate the two.
//!
//! Kernel counterpart: `make -C /lib/modules/$(uname -r)/build M=$PWD`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use crate::report::Figure;

pub(crate) const ABOUT: &str = "the three C lab modules built from clean by kbuild, beside gcc -c of the \
    same sources (wall ms; ratio: median of the rounds' ratios)";

const ROUNDS: usize = 5;
const SOURCES: [&str; 3] = ["fifo.c", "producer.c", "consumer.c"];

/// The checkout.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `make -C <checkout>/kbuild M=dir args`, quietly; panics with make's
/// output if it fails.
fn make(dir: &Path, args: &[&str]) {
    let mut command = Command::new("make");
    command.arg("-s").arg("-C").arg(checkout().join("kbuild")).arg(format!("M={}", dir.display())).args(args);
    let beside = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.join("modhost")));
    if let Some(modhost) = beside.filter(|m| m.is_file()) {
        command.env("MODHOST", modhost);
    }
    let output = command.output().expect("make runs");
    assert!(
        output.status.success(),
        "kbuild: make in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The built C lab's directory (`fifo.ko`, `producer.ko`, `consumer.ko`).
pub(crate) fn c_lab() -> PathBuf {
    c_lab_with(&[])
}

/// The C lab built with `make` arguments (`KASAN=1`), in a directory of
/// their own (`c/lab+KASAN=1`).
pub(crate) fn c_lab_with(args: &[&str]) -> PathBuf {
    let built = std::iter::once("lab").chain(args.iter().copied()).collect::<Vec<_>>().join("+");
    let dir = super::module_dir().join("c").join(built);
    std::fs::create_dir_all(&dir).expect("a directory for the C lab");
    for entry in std::fs::read_dir(checkout().join("tests/c/lab")).expect("tests/c/lab") {
        let source = entry.expect("a directory entry").path();
        let target = dir.join(source.file_name().expect("a file name"));
        if std::fs::read(&source).ok() != std::fs::read(&target).ok() {
            std::fs::copy(&source, &target).expect("copying the C lab");
        }
    }
    make(&dir, args);
    dir
}

pub(crate) fn run() -> Vec<Figure> {
    let dir = c_lab();
    let (mut ours, mut floor) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for _ in 0..ROUNDS {
        make(&dir, &["clean"]);
        let clock = Instant::now();
        make(&dir, &[]);
        ours.push(clock.elapsed().as_secs_f64() * 1e3);
        floor.push(gcc_alone(&dir));
    }
    vec![Figure::paired("kbuild.c_lab_build".into(), "ms", &ours, ("gcc -c of the same sources", &floor))]
}

/// Wall ms of `gcc -c` of the lab's sources with kbuild's flags.
fn gcc_alone(dir: &Path) -> f64 {
    let include = checkout().join("kbuild/include");
    let clock = Instant::now();
    for source in SOURCES {
        let status = Command::new("gcc")
            .args(["-std=gnu11", "-nostdinc", "-D__KERNEL__", "-DMODULE", "-fPIC", "-fvisibility=hidden"])
            .args(["-fno-strict-aliasing", "-fno-common", "-fno-stack-protector", "-fno-omit-frame-pointer"])
            .args(["-ffreestanding", "-g", "-O2", "-Wall", "-DKBUILD_MODNAME=\"lab\""])
            .arg(format!("-I{}", include.display()))
            .arg("-include")
            .arg(include.join("linux/kconfig.h"))
            .arg("-c")
            .arg(dir.join(source))
            .arg("-o")
            .arg(dir.join(format!("floor-{source}.o")))
            .status()
            .expect("gcc runs");
        assert!(status.success(), "kbuild: gcc -c {source} failed");
    }
    clock.elapsed().as_secs_f64() * 1e3
}
