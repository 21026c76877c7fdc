//! The `modhost` binary's own stdout and stderr, out of the modules' reach.
//!
//! Module code shares the process with the host, and with it fds 1 and 2: a
//! module's `println!` would land between the rows of `lsmod`, and a module
//! that closes fd 1 would silence every later result. So at startup the
//! binary ([`take_over`]) makes private duplicates of fds 1 and 2
//! (close-on-exec, at numbers no module knows) and writes every result and
//! message through them ([`stdout`], [`stderr`]); fds 1 and 2 become pipes
//! whose reader turns what module code writes into printk records
//! ([`super::capture`]). [`restore`] puts a pipe back on fd 1 or 2 when
//! module code closed or replaced it; the session calls it after every
//! command.
//!
//! None of this touches a [`Kernel`] used as a library: the writers fall
//! back to the process's stdout and stderr until the binary takes them over.
//!
//! The capture credits text to the task that wrote it by the kernel's
//! per-thread count of write calls, so the host counts its own writes here,
//! per thread, to tell them apart ([`host_writes`]).

use nix::sys::stat::fstat;
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    fs::File,
    io::{self, IsTerminal, Write},
    os::fd::AsFd,
    sync::{
        Arc, OnceLock, Weak,
        atomic::{AtomicU64, Ordering},
    },
};

use super::capture::Capture;
use crate::{Kernel, services::printk::Level};

/// The binary's private stdout and stderr, and the capture of fds 1 and 2.
struct TakenOver {
    out: File,
    err: File,
    out_is_terminal: bool,
    capture: Capture,
}

static TAKEN_OVER: OnceLock<TakenOver> = OnceLock::new();

/// Takes fds 1 and 2 over for `kernel`: private copies for the host, pipes
/// into printk for module code. Once per process; later calls do nothing.
///
/// # Errors
///
/// If a descriptor, a pipe or the reader thread could not be made; fds 1
/// and 2 are then left as they were.
pub fn take_over(kernel: &Kernel) -> io::Result<()> {
    if TAKEN_OVER.get().is_some() {
        return Ok(());
    }
    let out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let err = File::from(io::stderr().as_fd().try_clone_to_owned()?);
    let out_is_terminal = out.is_terminal();
    let capture = Capture::start(kernel)?;
    capture.install()?;
    if TAKEN_OVER.set(TakenOver { out, err, out_is_terminal, capture }).is_ok() {
        install_panic_hook();
    }
    Ok(())
}

/// Puts the capture's pipes back on fds 1 and 2 if module code closed or
/// replaced them, and says so in the log.
pub fn restore() {
    let Some(taken) = TAKEN_OVER.get() else { return };
    for (fd, name) in taken.capture.restore() {
        taken.capture.log(Level::Warning, &format!("modhost: fd {fd} ({name}) was closed or replaced; restored"));
    }
}

/// Waits until everything module code wrote so far is in the log (at the end
/// of the session, before the process exits).
pub fn flush() {
    if let Some(taken) = TAKEN_OVER.get() {
        taken.capture.flush();
    }
}

/// The host's stdout: results.
pub fn stdout() -> HostWriter {
    HostWriter(Stream::Out)
}

/// The host's stderr: errors, and console messages when stdout is not a terminal.
pub fn stderr() -> HostWriter {
    HostWriter(Stream::Err)
}

/// Whether the host's stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    match TAKEN_OVER.get() {
        Some(taken) => taken.out_is_terminal,
        None => io::stdout().is_terminal(),
    }
}

/// Where a [`HostWriter`] writes.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// A writer to the host's stdout or stderr; unbuffered, one write call per
/// `write` (wrap it in a `LineWriter` for whole lines).
#[derive(Debug)]
pub struct HostWriter(Stream);

impl Write for HostWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match (TAKEN_OVER.get(), self.0) {
            (Some(taken), Stream::Out) => {
                count_host_write();
                (&taken.out).write(buf)
            }
            (Some(taken), Stream::Err) => {
                count_host_write();
                (&taken.err).write(buf)
            }
            (None, Stream::Out) => io::stdout().write(buf),
            (None, Stream::Err) => io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match (TAKEN_OVER.get(), self.0) {
            (Some(_), _) => Ok(()),
            (None, Stream::Out) => io::stdout().flush(),
            (None, Stream::Err) => io::stderr().flush(),
        }
    }
}

/// A thread's count of the write calls the host made on it.
#[derive(Debug)]
struct ThreadWrites {
    tid: i32,
    count: AtomicU64,
}

/// Every thread's count, for [`host_writes`].
static THREAD_WRITES: Mutex<Vec<Weak<ThreadWrites>>> = Mutex::new(Vec::new());

thread_local! {
    static MY_WRITES: Arc<ThreadWrites> = {
        let mine = Arc::new(ThreadWrites { tid: nix::unistd::gettid().as_raw(), count: AtomicU64::new(0) });
        let mut all = THREAD_WRITES.lock();
        all.retain(|t| t.strong_count() > 0);
        all.push(Arc::downgrade(&mine));
        mine
    };
}

/// Counts one write call of the host on this thread. Counted before the
/// call is made, so that the capture never takes it for module code's.
fn count_host_write() {
    MY_WRITES.with(|mine| mine.count.fetch_add(1, Ordering::Relaxed));
}

/// How many write calls the host made on each live thread, by thread id
/// (also the wakes of [`super::capture`]'s own pipe).
pub(super) fn host_writes() -> HashMap<i32, u64> {
    THREAD_WRITES.lock().iter().filter_map(Weak::upgrade).map(|t| (t.tid, t.count.load(Ordering::Relaxed))).collect()
}

/// Counts a host write made outside [`HostWriter`].
pub(super) fn counted_write(fd: impl AsFd, buf: &[u8]) -> nix::Result<usize> {
    count_host_write();
    nix::unistd::write(fd, buf)
}

/// The file identity of a descriptor, to see whether fd 1 is still ours.
pub(super) fn identity(fd: impl AsFd) -> Option<(u64, u64)> {
    fstat(fd).ok().map(|st| (st.st_dev, st.st_ino))
}

/// Reports a panic of the host on its private stderr, as std's default hook
/// would on fd 2 (which is the capture's pipe now, whose reader may not get
/// to it before the process ends).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
        let backtrace = std::backtrace::Backtrace::capture();
        let mut text = format!("\nthread '{name}' panicked at {location}:\n{message}\n");
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            text.push_str(&format!("stack backtrace:\n{backtrace}\n"));
        }
        let _ = stderr().write_all(text.as_bytes());
    }));
}
