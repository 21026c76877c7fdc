//! Starting a kernel process and waiting for its end.
//!
//! The supervisor forks without exec: the child is the same program, and
//! goes on to boot the kernel and run the session with the terminal and
//! stdio it inherits, so a command's output never passes through the
//! supervisor. A fork without exec is safe only from a single-threaded
//! process (another thread's locks would stay locked in the child), so the
//! supervisor checks that it has one thread before each fork; its line
//! editor starts none.

use std::{ffi::c_int, io};

use super::signals;
use crate::debug::panic;

/// How a kernel process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// It exited with this status.
    Exited(c_int),
    /// This signal killed it.
    Killed(c_int),
}

/// Forks the kernel process, which runs `kernel_main` and exits with the
/// status it returns; returns the child's pid.
pub(super) fn start(kernel_main: &mut dyn FnMut() -> u8) -> io::Result<libc::pid_t> {
    let threads = std::fs::read_dir("/proc/self/task").map(Iterator::count).unwrap_or(1);
    if threads != 1 {
        return Err(io::Error::other(format!("the supervisor has {threads} threads; it forks only with one")));
    }
    // SAFETY: getpid has no preconditions.
    let supervisor = unsafe { libc::getpid() };
    // A signal that comes between the fork and the handlers learning the
    // child's pid would find no kernel to pass it to, and be lost: held
    // until they know it.
    let held = signals::hold();
    // SAFETY: this process has one thread (checked above), so the child
    // gets every lock unlocked and may run any code.
    match unsafe { libc::fork() } {
        -1 => {
            let e = io::Error::last_os_error();
            signals::release(&held);
            Err(e)
        }
        0 => {
            signals::kernel_defaults();
            signals::release(&held);
            run_kernel(supervisor, kernel_main)
        }
        pid => {
            signals::set_kernel(pid);
            signals::release(&held);
            Ok(pid)
        }
    }
}

/// The kernel process's life: never returns.
fn run_kernel(supervisor: libc::pid_t, kernel_main: &mut dyn FnMut() -> u8) -> ! {
    // A kernel whose supervisor died is ended as by `kill`, which unloads
    // everything.
    // SAFETY: prctl with an integer argument; getppid has no preconditions.
    let parent = unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong);
        libc::getppid()
    };
    if parent != supervisor {
        // The supervisor died before the request took.
        std::process::exit(128 + libc::SIGTERM);
    }
    if let Err(e) = panic::install() {
        eprintln!("modhost: warning: a panic will not be recorded: {e}");
    }
    let status = kernel_main();
    panic::shutting_down();
    std::process::exit(i32::from(status))
}

/// Waits for the kernel process `pid` to end.
pub(super) fn wait(pid: libc::pid_t) -> io::Result<Ended> {
    let mut status: c_int = 0;
    loop {
        // SAFETY: waits for our own child; `status` is a valid int to write.
        let done = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if done == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            signals::set_kernel(0);
            return Err(e);
        }
    }
    signals::set_kernel(0);
    Ok(if libc::WIFSIGNALED(status) {
        Ended::Killed(libc::WTERMSIG(status))
    } else {
        Ended::Exited(libc::WEXITSTATUS(status))
    })
}
