//! Checks that follow module data the host cannot bound, run in a child process.
//!
//! abi_stable's layout comparison walks a module's `TypeLayout` graph: names,
//! fields and nested layouts, some reached by calling functions the module
//! provides. [`super::descriptor`] bounds the top of each graph; what lies
//! below is abi_stable's to interpret, and a corrupted graph makes it read
//! wild pointers. So the comparison runs in a child forked for it: the child
//! sees the same mapped library, runs the check, writes the verdict into a
//! pipe and exits; a child killed by a signal, or one that does not answer
//! within [`TIMEOUT`], is a corrupted layout, and the host is untouched. A
//! check that passed is remembered by content (`version.rs`), so each module
//! image costs one child, and loading the same file again costs none.
//!
//! The child runs only the check: glibc's `fork` leaves `malloc` usable in
//! it, and it takes no lock of the host's. It prints nothing: a panic of
//! abi_stable on a corrupt graph (which aborts, as it cannot unwind through
//! abi_stable's `extern "C"` functions) is a quiet `SIGABRT`.

use std::{
    io::Read,
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    panic::{AssertUnwindSafe, catch_unwind},
    time::Duration,
};

/// How long a check may take before its child is killed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `check` in a child process and returns its verdict; a child that
/// crashed or hung is an `Err` saying so.
pub(crate) fn in_child(check: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let (read, write) = pipe().map_err(|e| format!("cannot start the check: {e}"))?;
    // SAFETY: The child only runs `check` and writes to the pipe before
    // `_exit`; it never returns into the host's code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("cannot start the check: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(read);
        quiet_child();
        let verdict = catch_unwind(AssertUnwindSafe(check)).unwrap_or_else(|_| Err("the check panicked".into()));
        let message = verdict.as_ref().err().map_or(&[][..], |m| m.as_bytes());
        // SAFETY: Writes the message from a valid buffer, then ends the
        // child without running any of the host's exit handlers.
        unsafe {
            libc::write(write.as_raw_fd(), message.as_ptr().cast(), message.len());
            libc::_exit(i32::from(verdict.is_err()));
        }
    }
    drop(write);
    let answered = wait_readable(&read, TIMEOUT);
    let mut message = String::new();
    if answered {
        let _ = std::fs::File::from(read).read_to_string(&mut message);
    } else {
        // SAFETY: Kills the child just forked, which has not been reaped.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    match reap(pid) {
        Some(0) => Ok(()),
        Some(1) if !message.is_empty() => Err(message),
        _ if !answered => Err("layout check did not finish".to_string()),
        _ => Err("layout unreadable: its check crashed".to_string()),
    }
}

/// Makes a fault, an abort or a panic message of the check end the child
/// quietly, whoever handles faults in the host, and whatever it prints:
/// default signal actions, standard error to `/dev/null`.
fn quiet_child() {
    for signal in [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGABRT, libc::SIGTRAP, libc::SIGSYS]
    {
        // SAFETY: Restores the default action, in this child only.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        // SAFETY: Replaces this child's standard error with an open descriptor.
        unsafe { libc::dup2(null.as_raw_fd(), libc::STDERR_FILENO) };
    }
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` fills the two-element array with new descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: Both descriptors were just created and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Whether the child closed or wrote to the pipe within `timeout`.
fn wait_readable(read: &OwnedFd, timeout: Duration) -> bool {
    let mut poll = libc::pollfd { fd: read.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    loop {
        // SAFETY: `poll` is one valid `pollfd`.
        match unsafe { libc::poll(&raw mut poll, 1, millis) } {
            n if n > 0 => return true,
            0 => return false,
            _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
            _ => return false,
        }
    }
}

/// The child's exit code, or `None` if a signal ended it.
fn reap(pid: libc::pid_t) -> Option<i32> {
    let mut status = 0;
    loop {
        // SAFETY: Waits for the child forked above; `status` is a valid out-pointer.
        let done = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if done == pid {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
    libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_childs_verdict_comes_back() {
        assert_eq!(in_child(|| Ok(())), Ok(()));
        assert_eq!(in_child(|| Err("layouts differ".to_string())), Err("layouts differ".to_string()));
    }

    #[test]
    fn a_child_that_faults_or_panics_is_a_failed_check_and_the_host_goes_on() {
        let crashed = in_child(|| {
            // SAFETY: Ends the child with a fault, as a wild read in a check would.
            unsafe { libc::raise(libc::SIGSEGV) };
            Ok(())
        });
        assert_eq!(crashed, Err("layout unreadable: its check crashed".to_string()));
        assert_eq!(in_child(|| panic!("corrupt layout")), Err("the check panicked".to_string()));
    }
}
