//! The modules the suites load: where cargo built them, and a kernel to load them in.
//!
//! The bench depends on the plugin crates (see `bench/Cargo.toml`), so cargo
//! builds their `.so` files into `target/<profile>/deps/`. The benchmark
//! binary runs as `target/<profile>/modhost-bench`, so that is `deps/`
//! beside it; a test binary runs from `deps/` itself.
//!
//! Kernel counterpart: `/lib/modules/$(uname -r)`, the module search path.

use modhost::Kernel;
use std::path::PathBuf;

/// The directory that holds `libfifo.so` and the other modules.
///
/// # Panics
///
/// If the modules were not built, with the command that builds them.
pub(crate) fn module_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the benchmark binary has a path");
    let dir = exe.parent().expect("the benchmark binary is in a directory");
    [dir.join("deps"), dir.to_path_buf()].into_iter().find(|d| d.join("libfifo.so").is_file()).unwrap_or_else(|| {
        panic!(
            "modhost-bench: no libfifo.so in {}/deps or beside it; \
             build the modules with `cargo build --release -p modhost-bench`",
            dir.display()
        )
    })
}

/// The path of the module file `lib<name>.so`.
pub(crate) fn module_file(name: &str) -> PathBuf {
    module_dir().join(format!("lib{name}.so"))
}

/// A kernel on the real clock at the default `HZ`, with the modules in its search path.
pub(crate) fn boot() -> Kernel {
    Kernel::builder().module_path(module_dir()).boot()
}

/// The number after `field:` in a `/proc` file of `kernel` (its first word:
/// `samples: 12 of 300` is 12).
///
/// # Panics
///
/// If the file or the field is missing: the module under test changed its format.
pub(crate) fn proc_field(kernel: &Kernel, path: &str, field: &str) -> u64 {
    let text = kernel.read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let line = text.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':'));
    line.and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{path} has no {field}:\n{text}"))
}
