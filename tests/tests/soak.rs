//! A short soak in the test command: random insmod, rmmod, modprobe -r and
//! rate writes of the lab's modules under traffic (see `modhost_bench::soak`).
//!
//! Its own test binary, so that the soak's process-wide checks (threads,
//! RSS, mappings) see only its own kernel. `modhost-bench soak --seconds N`
//! runs a long one.

use std::time::Duration;

/// Long enough for a few hundred operations and several fifo lifetimes.
const SECONDS: u64 = 8;

#[test]
fn a_short_soak_keeps_every_invariant() {
    let exe = std::env::current_exe().expect("the test binary has a path");
    // Cargo puts the plugins (this crate's dev-dependencies) beside it.
    let module_dir = exe.parent().expect("the test binary is in a directory");
    let seed = std::env::var("MODHOST_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let report = modhost_bench::soak::run(module_dir, Duration::from_secs(SECONDS), seed);
    println!("{report}");
    assert!(report.failures.is_empty(), "{report}");
    let operations: u64 = report.operations.values().map(|(ok, refused)| ok + refused).sum();
    assert!(operations > 100, "only {operations} operations in {SECONDS} s");
}
