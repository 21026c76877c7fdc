//! What the process costs: CPU time, resident memory, and whether a library is still mapped.
//!
//! CPU time is the whole process's (every thread, user + system), from
//! `getrusage(RUSAGE_SELF)`, which Linux accounts to the microsecond. RSS is
//! `VmRSS` from `/proc/self/status`. A library counts as mapped while
//! `dlopen(path, RTLD_NOLOAD)` finds it (the dynamic linker's own answer),
//! or while a private copy of it, which is what insmod maps (a memfd named
//! after the file), is in `/proc/self/maps`.
//!
//! Kernel counterpart: `getrusage(2)`, `proc_pid_status`.

use std::{ffi::CString, os::unix::ffi::OsStrExt, path::Path, time::Duration};

/// CPU time the process has used so far, all threads, user + system.
pub(crate) fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable `rusage`; getrusage fills it in
    // and cannot fail for RUSAGE_SELF with a valid pointer.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The process's resident set size in KiB.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"));
    line.and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok()).expect("/proc/self/status has VmRSS")
}

/// Whether the library at `path`, or a private copy of it, is still mapped.
pub(crate) fn is_mapped(path: &Path) -> bool {
    is_loaded(path) || copy_is_mapped(path)
}

/// Whether a memfd named after the file is mapped: insmod's sealed copy.
fn copy_is_mapped(path: &Path) -> bool {
    let Some(name) = path.file_name() else { return false };
    let copy = format!("/memfd:{} ", name.to_string_lossy());
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines().any(|line| line.contains(&copy))
}

/// Whether the dynamic linker still has the library at `path` loaded.
fn is_loaded(path: &Path) -> bool {
    let path = CString::new(path.as_os_str().as_bytes()).expect("a library path has no NUL byte");
    // SAFETY: `path` is a NUL-terminated string. With RTLD_NOLOAD, dlopen
    // loads nothing and runs no constructor: it only returns a new reference
    // to an object already loaded, or null.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    if handle.is_null() {
        return false;
    }
    // SAFETY: `handle` came from the dlopen above; closing it drops only the
    // reference that dlopen took.
    unsafe { libc::dlclose(handle) };
    true
}
