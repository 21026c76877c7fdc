//! What every test needs: a booted kernel, the plugins' paths, dmesg helpers.

use modhost::{Kernel, views::lsmod::LsmodEntry};
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

/// The directory cargo built the plugin `.so` files into: the test binary's own.
pub(crate) fn module_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.parent().expect("the test binary is in a directory").to_path_buf()
}

/// The path of a plugin's `.so` built by cargo (`lib<name>.so`).
pub(crate) fn plugin(name: &str) -> PathBuf {
    let path = module_dir().join(format!("lib{name}.so"));
    assert!(path.is_file(), "{} was not built; is it a dev-dependency of modhost-tests?", path.display());
    path
}

/// A kernel with a manual clock and the plugins in its module path.
pub(crate) fn boot() -> Kernel {
    Kernel::builder().manual_clock().module_path(module_dir()).boot()
}

/// The texts of the dmesg records, without timestamps.
pub(crate) fn dmesg(kernel: &Kernel) -> Vec<String> {
    kernel.dmesg().into_iter().map(|r| r.text).collect()
}

/// Asserts that dmesg has a line equal to `line`.
#[track_caller]
pub(crate) fn assert_dmesg(kernel: &Kernel, line: &str) {
    let lines = dmesg(kernel);
    assert!(lines.iter().any(|l| l == line), "dmesg has no line {line:?}; it has:\n{}", lines.join("\n"));
}

/// Asserts that dmesg has a line containing `part`.
#[track_caller]
pub(crate) fn assert_dmesg_contains(kernel: &Kernel, part: &str) {
    let lines = dmesg(kernel);
    assert!(
        lines.iter().any(|l| l.contains(part)),
        "dmesg has no line containing {part:?}; it has:\n{}",
        lines.join("\n")
    );
}

/// What a failed operation must leave unchanged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    lsmod: Vec<LsmodEntry>,
    kallsyms: String,
    tainted: String,
}

impl Snapshot {
    pub(crate) fn of(kernel: &Kernel) -> Snapshot {
        Snapshot {
            lsmod: kernel.lsmod(),
            kallsyms: kernel.read("/proc/kallsyms").expect("kallsyms is readable"),
            tainted: kernel.read("/proc/sys/kernel/tainted").expect("tainted is readable"),
        }
    }
}

impl Snapshot {
    pub(crate) fn lsmod_entries(&self) -> Vec<LsmodEntry> {
        self.lsmod.clone()
    }

    pub(crate) fn kallsyms_of(&self) -> String {
        self.kallsyms.clone()
    }
}

/// Asserts that no library stayed mapped after its module was removed.
#[track_caller]
pub(crate) fn assert_nothing_pinned(kernel: &Kernel) {
    assert!(kernel.pinned_libraries().is_empty(), "pinned: {:?}", kernel.pinned_libraries());
}

/// Waits (real time, bounded) until dmesg has a line containing `part`.
pub(crate) fn wait_for_line(kernel: &Kernel, part: &str) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while !dmesg(kernel).iter().any(|l| l.contains(part)) {
        assert!(Instant::now() < give_up, "no line containing {part:?}:\n{}", dmesg(kernel).join("\n"));
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A directory of one test's own under the system's temporary directory,
/// removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(test: &str) -> Scratch {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("modhost-test-{}-{n}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A path in the directory.
    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes a file into the directory and returns its path.
    pub(crate) fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
