//! User-mode helpers: programs the kernel runs for the module.
//!
//! [`call_usermodehelper`] runs a program as the host's user, with its
//! arguments and exactly the environment given, stdin `/dev/null`, and
//! its stdout and stderr in the kernel log under the module's name, one
//! record per line. How long it waits is a [`Wait`]: not at all, until the
//! program started, or until it ended (then the result is its wait
//! status, `256` for `exit 1`).
//!
//! ```ignore
//! let status = call_usermodehelper("/bin/sh", &["sh", "-c", "echo hi"], &["HOME=/"], Wait::PROC)?;
//! ```
//!
//! Kernel counterpart: `include/linux/umh.h`, `kernel/umh.c`.

use core::{ffi::c_char, fmt, ptr};
use std::ffi::CString;

use crate::{
    errno::{Errno, Result},
    runtime::{kernel, unless_killed},
    table::{Site, UMH_KILLABLE, UMH_NO_WAIT, UMH_WAIT_EXEC, UMH_WAIT_PROC},
};

/// How long [`call_usermodehelper`] waits: the kernel's `UMH_*` modes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Wait(u32);

impl Wait {
    /// `UMH_NO_WAIT`: returns at once; whether it started is not known.
    pub const NO_WAIT: Wait = Wait(UMH_NO_WAIT);
    /// `UMH_WAIT_EXEC`: returns once the program started.
    pub const EXEC: Wait = Wait(UMH_WAIT_EXEC);
    /// `UMH_WAIT_PROC`: returns the program's wait status once it ended.
    pub const PROC: Wait = Wait(UMH_WAIT_PROC);

    /// `| UMH_KILLABLE`: a kill of the caller (a forced unload) ends the
    /// wait with `EINTR` rather than unwinding the module's code.
    pub const fn killable(self) -> Wait {
        Wait(self.0 | UMH_KILLABLE)
    }

    /// The kernel's value.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.0 & !UMH_KILLABLE {
            UMH_NO_WAIT => "UMH_NO_WAIT",
            UMH_WAIT_EXEC => "UMH_WAIT_EXEC",
            _ => "UMH_WAIT_PROC",
        };
        f.write_str(mode)?;
        if self.0 & UMH_KILLABLE != 0 { f.write_str(" | UMH_KILLABLE") } else { Ok(()) }
    }
}

/// `call_usermodehelper(path, argv, envp, wait)`: `0` (not waited for, or
/// started), or the wait status under [`Wait::PROC`].
///
/// # Errors
///
/// `EINVAL` for a string with a NUL in it; the reason the program could
/// not start (`ENOENT` for a missing one); `EINTR` when the caller was
/// killed in a [killable](Wait::killable) wait (in any other, the kill
/// unwinds the module's code).
#[track_caller]
pub fn call_usermodehelper(path: &str, argv: &[&str], envp: &[&str], wait: Wait) -> Result<i32> {
    let site = Site::caller();
    let path = CString::new(path).map_err(|_| Errno::EINVAL)?;
    let (argv, argv_ptrs) = c_array(argv)?;
    let (envp, envp_ptrs) = c_array(envp)?;
    let (services, module) = kernel();
    let ret = (services.umh().call_usermodehelper())(
        module,
        path.as_ptr(),
        argv_ptrs.as_ptr(),
        envp_ptrs.as_ptr(),
        wait.0,
        site,
    );
    drop((argv, envp));
    let killed = ret == Errno::EINTR.to_kernel() && wait.0 & UMH_KILLABLE == 0;
    Errno::from_kernel(unless_killed(ret, killed))
}

/// The strings as C strings, and the NULL-terminated array of pointers to
/// them (valid while the strings live).
fn c_array(strings: &[&str]) -> Result<(Vec<CString>, Vec<*const c_char>)> {
    let owned = strings.iter().map(|s| CString::new(*s).map_err(|_| Errno::EINVAL)).collect::<Result<Vec<_>>>()?;
    let pointers = owned.iter().map(|s| s.as_ptr()).chain([ptr::null()]).collect();
    Ok((owned, pointers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_modes_are_the_kernels() {
        assert_eq!(Wait::NO_WAIT.bits(), 0);
        assert_eq!(Wait::PROC.killable().bits(), 6);
        assert_eq!(format!("{:?}", Wait::EXEC.killable()), "UMH_WAIT_EXEC | UMH_KILLABLE");
    }

    #[test]
    fn arrays_end_in_null_and_refuse_inner_nuls() {
        let (strings, pointers) = c_array(&["sh", "-c"]).unwrap();
        assert_eq!(pointers.len(), 3);
        assert_eq!(pointers[0], strings[0].as_ptr());
        assert!(pointers[2].is_null());
        assert_eq!(c_array(&["a\0b"]).err(), Some(Errno::EINVAL));
    }
}
