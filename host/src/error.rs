//! The host's one error type.
//!
//! An [`Error`] names its subject first and then the cause, in lowercase
//! without a trailing period: `producer: unknown symbol fifo_put`. It also
//! carries the errno the kernel would return, which is what kmod's tools turn
//! into their own wording (`insmod: ERROR: could not insert module
//! producer.so: Unknown symbol in module`); see [`Error::errno`]. The longer
//! story, as the kernel tells it, is in dmesg.

use modhost_abi::errno::Errno;
use std::{fmt, io};

/// What went wrong, for callers that react to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The module file could not be opened or read.
    Open,
    /// Not a modhost module, built for another ABI, or an unreadable descriptor.
    InvalidFormat,
    /// The module name is not valid.
    InvalidName,
    /// A module with this name is already loaded.
    Exists,
    /// The module is still loading or already unloading.
    Busy,
    /// One or more symbols could not be resolved.
    UnknownSymbol,
    /// The module exports a symbol another module already exports.
    DuplicateSymbol,
    /// A parameter was unknown in a write, malformed or out of range.
    InvalidParams,
    /// The module's init returned an error.
    InitFailed,
    /// The module's init panicked.
    InitPanicked,
    /// No module of this name is loaded.
    NotLoaded,
    /// Other modules use this one.
    InUse,
    /// No module of this name in the module search path.
    NotFound,
    /// A `/proc` or `/sys` path does not exist.
    NoSuchFile,
    /// A `/proc` or `/sys` file cannot be written (or read).
    PermissionDenied,
    /// A module rejected a parameter write.
    Rejected,
    /// A module's file operation (open, read, write, ...) failed; the
    /// errno is what it returned (`EINTR` for a read cut short by a signal).
    Io,
    /// No task of the kernel has this pid.
    NoSuchProcess,
    /// No such signal, or a task that takes none (`kill`).
    InvalidSignal,
}

/// A failed operation: subject, cause and errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    errno: Errno,
    subject: String,
    message: String,
}

/// `Result` with the host's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error about `subject`.
    pub fn new(kind: ErrorKind, errno: Errno, subject: impl Into<String>, message: impl Into<String>) -> Error {
        Error { kind, errno, subject: subject.into(), message: message.into() }
    }

    /// An error from an I/O failure on `subject`.
    pub fn io(kind: ErrorKind, subject: impl Into<String>, e: &io::Error) -> Error {
        let errno = e.raw_os_error().and_then(Errno::new).unwrap_or(Errno::EIO);
        Error::new(kind, errno, subject, errno.strerror().to_lowercase())
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno the kernel would have returned.
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// The module, file or path the error is about.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The cause, without the subject.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// insmod's text for this error: `strerror` for a file it could not open,
    /// else kmod's `mod_strerror`.
    pub fn insmod_strerror(&self) -> String {
        if self.kind == ErrorKind::Open {
            return self.errno.to_string();
        }
        match self.errno {
            Errno::ENOEXEC => "Invalid module format".to_string(),
            Errno::ENOENT => "Unknown symbol in module".to_string(),
            Errno::ESRCH => "Module has wrong symbol version".to_string(),
            Errno::EINVAL => "Invalid parameters".to_string(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_first_then_cause() {
        let e = Error::new(ErrorKind::UnknownSymbol, Errno::ENOENT, "producer", "unknown symbol fifo_put");
        assert_eq!(e.to_string(), "producer: unknown symbol fifo_put");
        assert_eq!(e.insmod_strerror(), "Unknown symbol in module");
    }

    #[test]
    fn every_errno_of_a_failed_open_prints_as_words() {
        for errno in [libc::ELOOP, libc::EMFILE, libc::ENFILE, libc::ENAMETOOLONG, libc::ETXTBSY, libc::EFBIG] {
            let e = Error::io(ErrorKind::Open, "x.so", &io::Error::from_raw_os_error(errno));
            assert!(!e.insmod_strerror().starts_with("Unknown error"), "{errno}: {}", e.insmod_strerror());
            assert_eq!(
                e.insmod_strerror(),
                io::Error::from_raw_os_error(errno).to_string().split(" (os error").next().unwrap()
            );
        }
    }

    #[test]
    fn insmod_maps_errnos_as_kmod_does() {
        let e = |errno| Error::new(ErrorKind::Exists, errno, "m", "x").insmod_strerror();
        assert_eq!(e(Errno::ENOEXEC), "Invalid module format");
        assert_eq!(e(Errno::EINVAL), "Invalid parameters");
        assert_eq!(e(Errno::EEXIST), "File exists");
        assert_eq!(e(Errno::ERANGE), "Numerical result out of range");
    }
}
