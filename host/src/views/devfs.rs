//! `/dev`, and the files users open on devices and on modules' `/proc`
//! files with file operations.
//!
//! [`Kernel::open`] opens `/dev/NAME` or such a `/proc/NAME` as a process
//! opens a file: the module's `open` runs, and the [`DevFile`] it returns
//! reads, writes, seeks and closes through the module's file operations
//! ([`crate::services::chardev`]). `ls /dev` lists the nodes (`ls -l`
//! shows each one's `major, minor`), `/proc/devices` the majors.
//!
//! Each call runs on the calling thread's caller task (as `/proc` show
//! functions do, [`crate::loader::callers`]), so module code never runs
//! on the user's thread, and waits for it as long as the module takes: a
//! read that sleeps until data comes is what a device does. An
//! [`Interrupter`] (Ctrl-C in the shell, `kill %N`, another thread of a
//! test) signals the call: an interruptible sleep in it returns
//! `-ERESTARTSYS`, which the caller sees as `EINTR`. A call that does not
//! return within the exit timeout after that is reported as a blocked task
//! and abandoned, so the prompt comes back; the file then stays open (its
//! module cannot be removed but with `rmmod -f`), since releasing it
//! under the call still running could block the same way.
//!
//! Kernel counterpart: `fs/char_dev.c` (`chrdev_open`), `fs/read_write.c`,
//! `fs/proc/devices.c`.

use modhost_abi::errno::Errno;
use parking_lot::Mutex;
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use super::Node;
use crate::{
    error::{Error, ErrorKind, Result},
    kernel::{Kernel, KernelInner},
    services::{
        chardev::{self, OpenFile, major, minor},
        object::Object,
        proc_entry,
        task::{Task, WaitMode},
        wait::{Sleep, wait_until},
    },
};

/// How a file is opened (the `O_ACCMODE` bits of its flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `O_RDONLY`.
    Read,
    /// `O_WRONLY`.
    Write,
    /// `O_RDWR`.
    ReadWrite,
}

impl Access {
    fn flags(self) -> u32 {
        match self {
            Access::Read => 0,
            Access::Write => 1,
            Access::ReadWrite => 2,
        }
    }
}

/// A file open on a device or a module's `/proc` file; closed when dropped.
pub struct DevFile {
    kernel: Arc<KernelInner>,
    file: Arc<Object<OpenFile>>,
    path: String,
    /// The name of the task that runs its calls (`cat`).
    comm: String,
    shared: Arc<Shared>,
    closed: bool,
}

/// What a [`DevFile`] shares with its [`Interrupter`]s.
#[derive(Default)]
struct Shared {
    /// Counts the interrupts, so a waiter sees one that came during its call.
    interrupts: AtomicU64,
    /// The tasks waiting for a call of the file.
    waiters: Mutex<Vec<Arc<Task>>>,
    /// A call did not return after a signal and was given up: the file is
    /// left open (holding its module) rather than released under it.
    abandoned: AtomicBool,
}

/// Signals the calls of a [`DevFile`] from another thread (Ctrl-C, `kill`).
#[derive(Clone)]
pub struct Interrupter {
    file: Arc<Object<OpenFile>>,
    shared: Arc<Shared>,
}

impl Interrupter {
    /// Signals the call in progress, or the next one: an interruptible
    /// sleep in it returns, and the call fails with `EINTR`.
    pub fn interrupt(&self) {
        self.file.interrupt();
        self.shared.interrupts.fetch_add(1, Ordering::SeqCst);
        self.shared.waiters.lock().iter().for_each(|t| t.wake_up());
    }
}

impl std::fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupter").field("file", &self.file.describe_object()).finish()
    }
}

impl Kernel {
    /// Opens `/dev/NAME`, or a module's `/proc/NAME` with file operations,
    /// for reading and writing; its calls run as a task named `modhost`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchFile`] for a path that is not such a file,
    /// [`ErrorKind::Io`] when the module's `open` failed (with its errno).
    pub fn open(&self, path: &str) -> Result<DevFile> {
        self.open_as(path, Access::ReadWrite, "modhost")
    }

    /// [`Kernel::open`] with an access mode, the calls running as a task named `comm`.
    ///
    /// # Errors
    ///
    /// As [`Kernel::open`].
    pub fn open_as(&self, path: &str, access: Access, comm: &str) -> Result<DevFile> {
        Task::current().adopt(self.inner.id);
        let parts = super::components(path);
        let (owner, ops, dev) = match parts.as_slice() {
            ["dev", name] => chardev::lookup_node(&self.inner, name).map_err(|e| open_error(path, e))?,
            ["proc", name] => match proc_entry::file_ops(&self.inner, name) {
                Some((owner, ops)) => (owner, ops, 0),
                None => return Err(open_error(path, Errno::ENOENT)),
            },
            _ => return Err(open_error(path, Errno::ENOENT)),
        };
        let shared = Arc::new(Shared::default());
        let path_text = path.to_string();
        let flags = access.flags();
        let opened = run(&self.inner, &shared, comm, path, move || chardev::open(&owner, ops, dev, flags, &path_text))?;
        let file = opened.map_err(|e| io_error(path, e))?;
        Ok(DevFile {
            kernel: Arc::clone(&self.inner),
            file,
            path: path.to_string(),
            comm: comm.to_string(),
            shared,
            closed: false,
        })
    }

    /// Reads a device or `/proc` file with file operations to its end.
    pub(super) fn read_file(&self, path: &str) -> Result<String> {
        let file = self.open_as(path, Access::Read, "cat")?;
        let mut text = Vec::new();
        loop {
            let chunk = file.read(4096)?;
            if chunk.is_empty() {
                break;
            }
            text.extend_from_slice(&chunk);
        }
        file.close()?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    /// Writes `data` to a device or `/proc` file with file operations.
    pub(super) fn write_file(&self, path: &str, data: &str) -> Result<()> {
        let file = self.open_as(path, Access::Write, "echo")?;
        let mut rest = data.as_bytes();
        while !rest.is_empty() {
            let n = file.write(rest)?;
            if n == 0 {
                return Err(io_error(path, Errno::ENOSPC));
            }
            rest = &rest[n.min(rest.len())..];
        }
        file.close()
    }
}

impl DevFile {
    /// Reads at most `len` bytes: what the module's `read` copied; empty at
    /// the end of the file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] with the module's errno (`EINTR` when interrupted,
    /// `EFAULT` for a bad copy), [`ErrorKind::Busy`] for a call abandoned.
    pub fn read(&self, len: usize) -> Result<Vec<u8>> {
        let file = Arc::clone(&self.file);
        let (n, mut buf) = self.call(move || {
            let mut buf = vec![0u8; len];
            (file.read(&mut buf), buf)
        })?;
        let n = self.check(n)?;
        buf.truncate(n.min(len));
        Ok(buf)
    }

    /// Writes `data`: the bytes the module's `write` took.
    ///
    /// # Errors
    ///
    /// As [`DevFile::read`].
    pub fn write(&self, data: &[u8]) -> Result<usize> {
        let (file, data, len) = (Arc::clone(&self.file), data.to_vec(), data.len());
        let n = self.call(move || file.write(&data))?;
        // A module may claim more than it was given; it took all of it.
        Ok(self.check(n)?.min(len))
    }

    /// `lseek(offset, whence)` (0 `SEEK_SET`, 1 `SEEK_CUR`, 2 `SEEK_END`): the new position.
    ///
    /// # Errors
    ///
    /// As [`DevFile::read`].
    pub fn seek(&self, offset: i64, whence: i32) -> Result<u64> {
        let file = Arc::clone(&self.file);
        let pos = self.call(move || file.llseek(offset, whence))?;
        Ok(self.check(pos)? as u64)
    }

    /// `ioctl(cmd, arg)`: the module's return value.
    ///
    /// # Errors
    ///
    /// As [`DevFile::read`].
    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<i64> {
        let file = Arc::clone(&self.file);
        let ret = self.call(move || file.ioctl(cmd, arg))?;
        self.check(ret).map(|n| n as i64)
    }

    /// A handle that signals this file's calls from another thread.
    pub fn interrupter(&self) -> Interrupter {
        Interrupter { file: Arc::clone(&self.file), shared: Arc::clone(&self.shared) }
    }

    /// The path it was opened by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Closes the file: the module's `release`.
    ///
    /// # Errors
    ///
    /// As [`DevFile::read`].
    pub fn close(mut self) -> Result<()> {
        self.closed = true;
        if self.shared.abandoned.load(Ordering::SeqCst) {
            return Err(abandoned(&self.path));
        }
        let file = Arc::clone(&self.file);
        let ret = self.call(move || file.close())?;
        self.check(ret).map(drop)
    }

    fn call<R: Send + 'static>(&self, work: impl FnOnce() -> R + Send + 'static) -> Result<R> {
        run(&self.kernel, &self.shared, &self.comm, &self.path, work)
    }

    /// A module's return value: the count, or its errno as an error.
    fn check(&self, ret: i64) -> Result<usize> {
        usize::try_from(ret).map_err(|_| io_error(&self.path, chardev::errno_of(ret)))
    }
}

impl Drop for DevFile {
    fn drop(&mut self) {
        if !self.closed && !self.shared.abandoned.load(Ordering::SeqCst) {
            let file = Arc::clone(&self.file);
            let _ = self.call(move || file.close());
        }
    }
}

impl std::fmt::Debug for DevFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevFile").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Runs `work` on the calling thread's caller task, named `comm`, and
/// waits for it; after an interrupt, at most the exit timeout more.
fn run<R: Send + 'static>(
    kernel: &Arc<KernelInner>,
    shared: &Shared,
    comm: &str,
    path: &str,
    work: impl FnOnce() -> R + Send + 'static,
) -> Result<R> {
    let me = Task::current();
    let seen = shared.interrupts.load(Ordering::SeqCst);
    shared.waiters.lock().push(Arc::clone(&me));
    let slot = Arc::new(Mutex::new(None));
    let (theirs, waiter) = (Arc::clone(&slot), Arc::clone(&me));
    let (dead, woken) = (Arc::clone(&slot), Arc::clone(&me));
    let job = kernel.callers.submit_or_die(
        kernel,
        comm,
        move || {
            let result = work();
            *theirs.lock() = Some(Some(result));
            waiter.wake_up();
        },
        move || {
            *dead.lock() = Some(None);
            woken.wake_up();
        },
    );
    let mut deadline = None;
    let result = loop {
        let sleep = Sleep { clock: &kernel.wall, mode: WaitMode::Idle, deadline, site: &"a module's file operation" };
        let interrupted = || shared.interrupts.load(Ordering::SeqCst) != seen;
        let waited = wait_until(&me, &sleep, || slot.lock().is_some() || (deadline.is_none() && interrupted()));
        match slot.lock().take() {
            Some(Some(result)) => break Ok(result),
            Some(None) => break Err(killed(path)),
            None => {}
        }
        if waited.is_err() {
            kernel.report_blocked_job(&job);
            shared.abandoned.store(true, Ordering::SeqCst);
            break Err(abandoned(path));
        }
        deadline = Some(kernel.wall.uptime().saturating_add(kernel.exit_timeout));
    };
    shared.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
    result
}

/// A call whose task died of an Oops.
fn killed(path: &str) -> Error {
    Error::new(ErrorKind::Io, Errno::EFAULT, path, "the module's file operation was killed by an Oops (see dmesg)")
}

/// A call given up after a signal: the file stays open, its module held.
fn abandoned(path: &str) -> Error {
    let message = "the module's file operation did not return after a signal; abandoned, the file left open";
    Error::new(ErrorKind::Busy, Errno::EBUSY, path, message)
}

fn open_error(path: &str, errno: Errno) -> Error {
    Error::new(ErrorKind::NoSuchFile, errno, path, errno.strerror().to_lowercase())
}

/// A module's errno as the caller sees it: a signal's restart codes are `EINTR`.
fn io_error(path: &str, errno: Errno) -> Error {
    let errno = if errno == Errno::ERESTARTSYS { Errno::EINTR } else { errno };
    Error::new(ErrorKind::Io, errno, path, errno.strerror().to_lowercase())
}

/// The node at `/dev/<parts>`.
pub(super) fn node(kernel: &Kernel, parts: &[&str]) -> Option<Node> {
    let nodes = chardev::nodes(&kernel.inner);
    match parts {
        [] => Some(Node::Dir(nodes.into_iter().map(|(name, _)| name).collect())),
        [name] => nodes.iter().any(|(n, _)| n == name).then(|| Node::Device(name.to_string())),
        _ => None,
    }
}

/// `ls -l /dev`: `crw------- 1 root root 254, 0 sleepy`, one line per node.
pub(super) fn long_listing(kernel: &Kernel) -> Vec<String> {
    let nodes = chardev::nodes(&kernel.inner);
    nodes
        .into_iter()
        .map(|(name, dev)| format!("crw------- 1 root root {:>3}, {:>3} {name}", major(dev), minor(dev)))
        .collect()
}

/// `/proc/devices`: the character majors (modhost has no block devices).
pub(super) fn proc_devices(kernel: &Kernel) -> String {
    let mut out = "Character devices:\n".to_string();
    for (major, name) in chardev::majors(&kernel.inner) {
        out.push_str(&format!("{major:>3} {name}\n"));
    }
    out.push_str("\nBlock devices:\n");
    out
}
