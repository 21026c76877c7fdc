//! `panic()`: how the kernel process records its death for the supervisor.
//!
//! Some things no process survives: `abort()` (called by module code, by
//! Rust on a panic while panicking or on a failed allocation), `exit()`
//! called by anyone but the kernel's own end, a fault in the host's code.
//! A module that calls `exit()` or `abort()` through libc is the kernel
//! calling `panic()`. The `modhost` binary's supervisor runs the kernel in
//! a child process and [installs](install) these paths there (a
//! [`Kernel`](crate::Kernel) used as a library never has them); each writes
//! `Kernel panic - not syncing: <why>` into the [`pstore`],
//! whose last lines the supervisor prints once the process is gone:
//!
//! ```text
//! [    3.141592] Kernel panic - not syncing: abort() called from panic_init+0x1a/0x30 [panicmod]
//! ```
//!
//! - `SIGABRT`: a handler records the panic, naming the innermost frame of
//!   module code on the stack (Rust's runtime frames linked into the module
//!   are passed over), then lets the signal kill the process.
//! - `exit()`: an `on_exit` hook records it unless the kernel said it was
//!   ending on its own first ([`shutting_down`]).
//! - A native fault outside module code: the fault handler calls
//!   [`panic_from_signal`].
//!
//! These paths run while any lock may be held, by the dying thread or by
//! another: they allocate nothing and only try locks, so a death never
//! hangs. Only the first panic is recorded.
//!
//! Kernel counterpart: `kernel/panic.c` (`panic`).

use std::{
    ffi::{c_int, c_void},
    fmt::Write,
    io,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicI32, Ordering},
    },
};

use super::pstore::{self, LineBuf};
use crate::services::Services;

/// The kernel whose modules' frames are named, once it has booted.
static KERNEL: OnceLock<Arc<Services>> = OnceLock::new();

/// The kernel process: the paths do nothing in processes it forks.
static KERNEL_PID: AtomicI32 = AtomicI32::new(0);

/// The deepest stack walked to name the caller.
const MAX_FRAMES: usize = 64;

unsafe extern "C" {
    /// glibc's `on_exit`: an `atexit` hook that is told the exit status.
    fn on_exit(hook: extern "C" fn(c_int, *mut c_void), arg: *mut c_void) -> c_int;
}

/// Installs the panic paths in this process, the kernel process, which has
/// a pstore. Call it before the kernel boots, while single-threaded.
pub(crate) fn install() -> io::Result<()> {
    let Some(pstore) = pstore::get() else {
        return Err(io::Error::other("no pstore to record a panic in"));
    };
    pstore.set_origin(pstore::monotonic());
    // SAFETY: getpid has no preconditions.
    KERNEL_PID.store(unsafe { libc::getpid() }, Ordering::Relaxed);
    // SAFETY: a zeroed sigaction is valid; the handler is an
    // `extern "C" fn(c_int, *mut siginfo_t, *mut c_void)` as SA_SIGINFO
    // asks, and it only does async-signal-safe work.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_abort as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&raw mut action.sa_mask);
        if libc::sigaction(libc::SIGABRT, &raw const action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: the hook is a plain function that ignores its argument.
    if unsafe { on_exit(on_exit_hook, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::other("on_exit failed"));
    }
    Ok(())
}

/// The kernel has booted: its modules' frames can be named, and its clock
/// stamps the panic line.
pub(crate) fn attach(services: &Arc<Services>) {
    if let Some(pstore) = pstore::get() {
        pstore.set_origin(pstore::monotonic().saturating_sub(services.clock.uptime()));
        let _ = KERNEL.set(Arc::clone(services));
    }
}

/// The kernel ends on its own from here: the `exit()` that follows is not
/// a panic.
pub(crate) fn shutting_down() {
    if let Some(pstore) = pstore::get() {
        pstore.shutting_down();
    }
}

/// Records a panic for `why` from a signal handler (a fault the process
/// cannot survive); async-signal-safe. A no-op without a pstore.
pub(crate) fn panic_from_signal(why: &str) {
    if in_kernel_process()
        && let Some(pstore) = pstore::get()
    {
        pstore.panic(why, true);
    }
}

/// A fault the host cannot contain (in its own code, on a thread that is
/// no task, or while a task was dying): records `Fatal exception: SIGSEGV`
/// and the innermost module frame, if any; async-signal-safe.
pub(crate) fn fatal_signal(signal: c_int) {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTRAP => "SIGTRAP",
        _ => "a fault",
    };
    let mut why = LineBuf::<256>::new();
    let _ = write!(why, "Fatal exception: {name}");
    name_caller(&mut why);
    panic_from_signal(why.as_str());
}

fn in_kernel_process() -> bool {
    // SAFETY: getpid has no preconditions.
    KERNEL_PID.load(Ordering::Relaxed) == unsafe { libc::getpid() }
}

/// `SIGABRT`: records `abort() called from ...`, then dies of the signal.
extern "C" fn on_abort(_signal: c_int, _info: *mut libc::siginfo_t, _context: *mut c_void) {
    let mut why = LineBuf::<256>::new();
    let _ = why.write_str("abort() called");
    name_caller(&mut why);
    panic_from_signal(why.as_str());
    // SAFETY: back to the default action, then the signal again: it is
    // blocked until this handler returns, and then ends the process (an
    // abort() that returned here would raise it again itself).
    unsafe {
        libc::signal(libc::SIGABRT, libc::SIG_DFL);
        libc::raise(libc::SIGABRT);
    }
}

/// `exit()` by anyone but the kernel's own end: records `exit(N) called
/// from ...`.
extern "C" fn on_exit_hook(status: c_int, _arg: *mut c_void) {
    let Some(pstore) = pstore::get() else { return };
    if !in_kernel_process() || pstore.state() != pstore::State::Running {
        return;
    }
    let mut why = LineBuf::<256>::new();
    let _ = write!(why, "exit({status}) called");
    name_caller(&mut why);
    pstore.panic(why.as_str(), false);
}

/// Appends ` from <frame> [module]`, the innermost frame of module code
/// on this thread's stack, or ` outside module code`.
fn name_caller(out: &mut LineBuf<256>) {
    let Some(services) = KERNEL.get() else {
        let _ = out.write_str(" while the kernel booted");
        return;
    };
    let mut ips = [0; MAX_FRAMES];
    let depth = crate::debug::stack::walk(&mut ips);
    let mut named = false;
    // The module's own code first; Rust's runtime linked into the module
    // (the abort, the panic machinery) only if nothing else is there.
    for pass_runtime in [false, true] {
        for &ip in &ips[..depth] {
            // A return address points after its call: name the call.
            let found = services.kallsyms.try_lookup_with(ip.saturating_sub(1), |module, name, offset, size| {
                if !pass_runtime && is_runtime(name) {
                    return false;
                }
                let _ = out.write_str(" from ");
                let _ = crate::debug::hostsyms::write_short_name(out, name);
                let _ = write!(out, "+{:#x}/{size:#x} [{module}]", offset + 1);
                true
            });
            if found == Some(true) {
                named = true;
                break;
            }
        }
        if named {
            return;
        }
    }
    let _ = out.write_str(" outside module code");
}

/// Whether `symbol` is Rust's runtime (std, core, alloc, the panic
/// machinery), which every Rust module carries: its crate, as mangled in
/// the legacy scheme (`_ZN3std...`) or in v0 (`_RNv...Cs<hash>_3std...`).
fn is_runtime(symbol: &str) -> bool {
    const CRATES: [&str; 6] = ["std", "core", "alloc", "panic_unwind", "compiler_builtins", "__rustc"];
    if symbol.starts_with("__rust") || symbol.starts_with("rust_panic") || symbol == "rust_begin_unwind" {
        return true;
    }
    let krate = if let Some(path) = symbol.strip_prefix("_ZN") {
        // `<alloc::boxed::Box<F> as core::ops::FnOnce>` is `_$LT$alloc..boxed..`.
        identifier(path, false)
            .map(|first| first.strip_prefix("_$LT$").map_or(first, |t| t.split("..").next().unwrap_or(t)))
    } else if let Some(path) = symbol.strip_prefix("_R") {
        v0_first_crate(path)
    } else {
        None
    };
    krate.is_some_and(|k| CRATES.contains(&k))
}

/// A mangled identifier at the start of `text`: its decimal length, then
/// it; in v0, a `_` between the two when the identifier starts with `_` or
/// a digit.
fn identifier(text: &str, v0: bool) -> Option<&str> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let len: usize = text[..digits].parse().ok()?;
    let at = if v0 && text[digits..].starts_with('_') { digits + 1 } else { digits };
    text.get(at..at + len)
}

/// The first crate root of a v0 path: `C`, an optional disambiguator
/// `s<base-62>_`, the crate's identifier. (A `C` that is a closure's
/// namespace is followed by a path, never by `s` or a digit.)
fn v0_first_crate(path: &str) -> Option<&str> {
    path.match_indices('C').find_map(|(at, _)| {
        let rest = &path[at + 1..];
        let rest = match rest.strip_prefix('s') {
            Some(hashed) => &hashed[hashed.find('_')? + 1..],
            None => rest,
        };
        identifier(rest, true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_runtime_frames_are_told_from_the_modules_own() {
        assert!(is_runtime("_ZN3std3sys3pal4unix14abort_internal17h0123456789abcdefE"));
        assert!(is_runtime("_RNvNtNtNtCsjrHSEGnQ3l9_3std3sys3pal4unix14abort_internal"));
        assert!(is_runtime("_RNvNtCs1234_4core9panicking9panic_fmt"));
        assert!(is_runtime("__rust_start_panic"));
        assert!(is_runtime("_RNvCsfLfy6EI15iL_7___rustc26___rust_alloc_error_handler"));
        assert!(is_runtime("_ZN68_$LT$alloc..boxed..Box$LT$F$C$A$GT$$u20$as$u20$core..ops..FnOnce$GT$9call_once17h0E"));
        assert!(!is_runtime("_ZN66_$LT$panicmod..PanicMod$u20$as$u20$modhost_abi..module..Module$GT$4init17h0E"));
        assert!(!is_runtime("_ZN8panicmod9how_abort17h0123456789abcdefE"));
        assert!(!is_runtime("_RNvXs_Cs5Tz2ZQ_8panicmodNtB4_8PanicModNtNtCs9x_11modhost_abi6module6Module4init"));
        assert!(!is_runtime("_RNCNvCsab_8panicmod4init0B3_"));
        assert!(!is_runtime("abort_init"));
        assert!(!is_runtime("_R"));
    }
}
