//! The supervisor's signals and terminal.
//!
//! While the kernel process runs, the supervisor passes signals on as
//! `system()` does, with one difference: a signal the terminal sent (Ctrl-C,
//! Ctrl-\, a hangup) went to the whole foreground process group, the kernel
//! process included, so it is ignored here; a signal another process sent
//! (`kill`) went to the supervisor alone and is forwarded to the kernel.
//! Without a kernel (at the panic prompt) SIGTERM and SIGHUP end the
//! supervisor, with the terminal given back; SIGINT and SIGQUIT are ignored.
//!
//! The terminal's settings are saved before the first kernel starts, and
//! put back when one dies: its line editor may have left the terminal raw.

use std::{
    ffi::{c_int, c_void},
    io,
    sync::{
        OnceLock,
        atomic::{AtomicI32, Ordering},
    },
};

/// The signals the supervisor handles.
const HANDLED: [c_int; 4] = [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP];

/// The running kernel process, or 0.
static KERNEL: AtomicI32 = AtomicI32::new(0);

/// The terminal's settings before the first kernel, if stdin is a terminal.
static TERMINAL: OnceLock<libc::termios> = OnceLock::new();

/// Saves the terminal's settings, if stdin is a terminal.
pub(super) fn save_terminal() {
    // SAFETY: a zeroed termios is valid to write into; fd 0 is only read.
    unsafe {
        let mut settings: libc::termios = std::mem::zeroed();
        if libc::isatty(libc::STDIN_FILENO) == 1 && libc::tcgetattr(libc::STDIN_FILENO, &raw mut settings) == 0 {
            let _ = TERMINAL.set(settings);
        }
    }
}

/// Puts the saved settings back (async-signal-safe).
pub(super) fn restore_terminal() {
    if let Some(settings) = TERMINAL.get() {
        // SAFETY: `settings` came from tcgetattr on the same descriptor.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, settings) };
    }
}

/// Installs the supervisor's handlers.
pub(super) fn install() -> io::Result<()> {
    for signal in HANDLED {
        // SAFETY: a zeroed sigaction is valid; the handler has the
        // SA_SIGINFO signature and does only async-signal-safe work.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            if libc::sigaction(signal, &raw const action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Tells the handlers which process is the kernel (0: none).
pub(super) fn set_kernel(pid: i32) {
    KERNEL.store(pid, Ordering::SeqCst);
}

/// Blocks the handled signals; returns the mask to put back.
pub(super) fn hold() -> libc::sigset_t {
    // SAFETY: zeroed sigsets are valid to fill; the masks are this thread's.
    unsafe {
        let (mut block, mut before): (libc::sigset_t, libc::sigset_t) = (std::mem::zeroed(), std::mem::zeroed());
        libc::sigemptyset(&raw mut block);
        for signal in HANDLED {
            libc::sigaddset(&raw mut block, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const block, &raw mut before);
        before
    }
}

/// Puts back the mask [`hold`] returned: a signal held meanwhile is
/// delivered now.
pub(super) fn release(before: &libc::sigset_t) {
    // SAFETY: `before` is a mask pthread_sigmask filled.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, before, std::ptr::null_mut()) };
}

/// In the forked kernel process: the default actions back, for the kernel
/// to handle its signals its own way.
pub(super) fn kernel_defaults() {
    for signal in HANDLED {
        // SAFETY: SIG_DFL for a signal that has a handler; no memory involved.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}

extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, _context: *mut c_void) {
    // SAFETY: the kernel hands SA_SIGINFO handlers a valid siginfo.
    let from_terminal = unsafe { (*info).si_code } == libc::SI_KERNEL;
    let kernel = KERNEL.load(Ordering::SeqCst);
    if kernel > 0 {
        if !from_terminal {
            // SAFETY: kill is async-signal-safe; `kernel` is our child.
            unsafe { libc::kill(kernel, signal) };
        }
    } else if signal == libc::SIGTERM || signal == libc::SIGHUP {
        restore_terminal();
        // SAFETY: ends the process at once, as the signal's default would.
        unsafe { libc::_exit(128 + signal) };
    }
}

/// A signal's name, `SIGKILL`.
pub(super) fn name(signal: c_int) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        other => return format!("signal {other}"),
    };
    name.to_string()
}
