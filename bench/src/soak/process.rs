//! What the soak reads about its own process: threads, memory, mappings.
//!
//! These are process-wide figures, so a soak is meant to run alone in its
//! process (`modhost-bench soak`, or the one test of `tests/tests/soak.rs`).

use std::{
    fs, thread,
    time::{Duration, Instant},
};

/// The number of threads in this process.
pub(crate) fn threads() -> usize {
    fs::read_dir("/proc/self/task").map_or(0, |dir| dir.count())
}

/// Waits up to `within` for the thread count to fall to `target` (exiting
/// threads take a moment to leave `/proc`); returns the last count seen.
pub(crate) fn threads_settle_to(target: usize, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let now = threads();
        if now <= target || Instant::now() >= deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Resident set size in bytes (`VmRSS` of `/proc/self/status`).
pub(crate) fn rss_bytes() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().strip_suffix(" kB"));
    kib.and_then(|k| k.trim().parse::<u64>().ok()).unwrap_or(0) * 1024
}

/// Lines of `/proc/self/maps` that map one of `files` (by file name, which
/// also matches the `memfd:` copies second instances are loaded from).
pub(crate) fn mappings_of(files: &[&str]) -> Vec<String> {
    let maps = fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines().filter(|line| files.iter().any(|f| line.contains(f))).map(str::to_string).collect()
}

/// Bytes the allocator has handed out and not had back, over all its
/// arenas (glibc's `mallinfo2`): unlike the RSS, blind to fragmentation
/// and to memory the allocator keeps for reuse, so the two together tell
/// a leak from a heap that settles.
pub(crate) fn heap_in_use() -> u64 {
    // SAFETY: `mallinfo2` only reads the allocator's statistics under its
    // own locks and returns them by value.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}
