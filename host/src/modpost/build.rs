//! `modhost build DIR [TARGET]`: kbuild's make for the module sources in
//! DIR, as `make -C <checkout>/kbuild M=DIR` would run it.
//!
//! The checkout is `$MODHOST_KBUILD` (the checkout or its `kbuild/`), else
//! the one this binary was built in (`target/{release,debug}/modhost` is
//! two levels below it). make is told to use this binary for modpost.

use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

/// The variable naming the checkout (or its `kbuild/`).
pub const KBUILD_ENV: &str = "MODHOST_KBUILD";

/// `modhost build`: build the kernel modules of a directory with kbuild.
#[derive(Debug, clap::Parser)]
#[command(
    name = "modhost build",
    bin_name = "modhost build",
    about = "Build the kernel C modules in DIR (make -C <checkout>/kbuild M=DIR)",
    after_help = "Examples:\n  modhost build .            build the modules of ./Makefile or ./Kbuild\n  \
                  modhost build . clean      remove what the build wrote\n  \
                  modhost build lab V=1      print the commands"
)]
pub struct BuildOptions {
    /// The directory of the module's sources and its Makefile or Kbuild
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// make's goal (modules, clean, help) and variables (V=1, MODHOST_KERNEL=4.4)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
}

/// Runs kbuild's make and returns its exit status.
pub fn build(options: &BuildOptions) -> ExitCode {
    let Some(kbuild) = kbuild_dir() else {
        eprintln!("modhost build: cannot find kbuild/: set {KBUILD_ENV} to the modhost checkout");
        return ExitCode::FAILURE;
    };
    let dir = match std::path::absolute(&options.dir) {
        Ok(dir) if dir.is_dir() => dir,
        _ => {
            eprintln!("modhost build: {}: not a directory", options.dir.display());
            return ExitCode::FAILURE;
        }
    };
    let mut make = Command::new("make");
    make.arg("-C").arg(&kbuild).arg(format!("M={}", dir.display())).args(&options.targets);
    if let Ok(exe) = env::current_exe() {
        make.env("MODHOST", exe);
    }
    match make.status() {
        Ok(status) => ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(e) => {
            eprintln!("modhost build: make: {e}");
            ExitCode::FAILURE
        }
    }
}

/// kbuild/ of `$MODHOST_KBUILD`, else of the checkout this binary is in.
fn kbuild_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os(KBUILD_ENV) {
        return kbuild_in(Path::new(&dir));
    }
    let exe = env::current_exe().ok()?;
    // target/{release,debug}/modhost: the checkout is two levels up.
    kbuild_in(exe.parent()?.parent()?.parent()?)
}

/// `dir` itself if it is kbuild/, else its kbuild/.
fn kbuild_in(dir: &Path) -> Option<PathBuf> {
    let is_kbuild = |d: &Path| d.join("Makefile").is_file() && d.join("include/modhost/kmod.h").is_file();
    [dir.to_path_buf(), dir.join("kbuild")].into_iter().find(|d| is_kbuild(d))
}
