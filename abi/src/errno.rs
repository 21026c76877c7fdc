//! Error numbers: how modules and the host report failure across the ABI.
//!
//! A module's `init` returns `Result<Self, Errno>`; across the boundary that
//! becomes the kernel's `0` or `-errno` convention. The texts are glibc's
//! `strerror` strings, which kmod prints.
//!
//! Kernel counterpart: `include/uapi/asm-generic/errno-base.h`,
//! `rust/kernel/error.rs`.

use abi_stable::StableAbi;
use core::fmt;

/// A positive error number such as [`Errno::EINVAL`].
///
/// # Invariants
///
/// The value is a positive errno known to this table or, for numbers received
/// from outside, any positive value (shown as `Unknown error N`).
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(i32);

/// `Result` with [`Errno`] as the error, as modules return it.
pub type Result<T = (), E = Errno> = core::result::Result<T, E>;

macro_rules! errnos {
    ($($name:ident = $value:literal, $text:literal;)*) => {
        impl Errno {
            $(
                #[doc = $text]
                pub const $name: Errno = Errno($value);
            )*

            /// The symbolic name, for example `"EINVAL"`.
            pub const fn name(self) -> &'static str {
                match self.0 {
                    $($value => stringify!($name),)*
                    _ => "E?",
                }
            }

            /// glibc's `strerror` text, for example `"Invalid argument"`.
            pub fn strerror(self) -> &'static str {
                match self.0 {
                    $($value => $text,)*
                    _ => "Unknown error",
                }
            }
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENOEXEC = 8, "Exec format error";
    EBADF = 9, "Bad file descriptor";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENOSPC = 28, "No space left on device";
    ERANGE = 34, "Numerical result out of range";
    EDEADLK = 35, "Resource deadlock avoided";
    ENOSYS = 38, "Function not implemented";
    ETIME = 62, "Timer expired";
    ETIMEDOUT = 110, "Connection timed out";
    ERESTARTSYS = 512, "Interrupted system call, restart";
}

impl Errno {
    /// `EWOULDBLOCK` is `EAGAIN` on Linux.
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;

    /// The errno with this positive value, or `None` for zero or less.
    pub const fn new(value: i32) -> Option<Errno> {
        if value > 0 { Some(Errno(value)) } else { None }
    }

    /// Reads a kernel-style return value: `0` or more is success, `-errno`
    /// is this error.
    pub const fn from_kernel(ret: i32) -> Result<i32> {
        if ret < 0 { Err(Errno(ret.saturating_neg())) } else { Ok(ret) }
    }

    /// The positive errno value.
    pub const fn value(self) -> i32 {
        self.0
    }

    /// The kernel's return convention for this error: `-errno`.
    pub const fn to_kernel(self) -> i32 {
        -self.0
    }
}

/// Turns a module result into the kernel's `0`/`-errno` convention.
pub fn to_kernel(result: Result) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => e.to_kernel(),
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.strerror() {
            "Unknown error" => write!(f, "Unknown error {}", self.0),
            text => f.write_str(text),
        }
    }
}

impl std::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_convention_round_trips() {
        assert_eq!(Errno::EINVAL.to_kernel(), -22);
        assert_eq!(Errno::from_kernel(-22), Err(Errno::EINVAL));
        assert_eq!(Errno::from_kernel(0), Ok(0));
        assert_eq!(Errno::from_kernel(3), Ok(3));
        assert_eq!(to_kernel(Err(Errno::ENOENT)), -2);
    }

    #[test]
    fn names_and_texts_match_glibc() {
        assert_eq!(Errno::EEXIST.to_string(), "File exists");
        assert_eq!(Errno::ENOEXEC.name(), "ENOEXEC");
        assert_eq!(Errno::new(4242).unwrap().to_string(), "Unknown error 4242");
        assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN);
    }
}
