//! What module code writes to fds 1 and 2, turned into printk records.
//!
//! Once the binary has taken its output over ([`super::stdio`]), fds 1 and 2
//! are the write ends of two pipes, and a thread of the host (`stdio`) reads
//! them. Each line becomes one record, at `KERN_INFO` from stdout and
//! `KERN_ERR` from stderr, credited to a module as the module's printk is:
//!
//! ```text
//! [   12.345678] evil: stdout: hello
//! [   12.345679] evil: stderr: hello on stderr
//! ```
//!
//! A line is bounded as a record is; a partial line waits for its end, or
//! for [`Capture::flush`] at the end of the session.
//!
//! # Whose text it is
//!
//! A pipe does not say who wrote into it, but the kernel counts each
//! thread's write calls (`syscw` in `/proc/self/task/TID/io`), and the host
//! counts its own ([`super::stdio::host_writes`]). When text arrives, the
//! reader looks at the kernel's tasks: one whose count of write calls grew by
//! more than the host's writes on it has written elsewhere, into the pipe.
//! The text is credited to the module whose code that task runs now; if it
//! runs none, to the module the task belongs to (a kthread's, a workqueue
//! worker's); if none, to the module whose code it ran last (the shell's
//! thread after an init or a parameter write). When several tasks wrote, the
//! strongest of those reasons wins, and a task of the kernel's own (kthread,
//! worker, timer) before a user thread.
//!
//! Nothing of this runs when no module writes to fd 1 or 2: the module
//! entries and callbacks pay nothing for it. Its limits:
//!
//! - text is credited per read, so lines that two tasks write at the same
//!   moment may all go to one of them; a task's writes to other files (not
//!   through the host) make it a suspect too;
//! - the kernel counts a write call when it returns, after its text is in
//!   the pipe: text read at once may find its writer not yet counted, and
//!   is then logged without a module name;
//! - a thread that is not one of the kernel's tasks (one a module spawned
//!   itself) is not looked at: its text is logged without a module name;
//! - without per-thread I/O accounting in the kernel
//!   (`CONFIG_TASK_IO_ACCOUNTING`) no text has a module name.

use nix::{
    fcntl::{FcntlArg, OFlag, fcntl},
    poll::{PollFd, PollFlags, PollTimeout, poll},
    unistd::{dup2_stderr, dup2_stdout},
};
use parking_lot::{Condvar, Mutex};
use std::{
    collections::HashMap,
    io::{self, PipeReader, PipeWriter, Read},
    os::fd::AsFd,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    thread,
    time::Duration,
};

use super::stdio::{counted_write, host_writes, identity};
use crate::{
    Kernel,
    services::{
        Services,
        printk::{Level, PRINTKRB_RECORD_MAX},
        task::{Task, TaskKind, tasks_of},
    },
};

/// How long [`Capture::flush`] waits for the reader at most.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// The pipes on fds 1 and 2 and their reader; see the module docs.
pub(super) struct Capture {
    services: Arc<Services>,
    /// The write ends that go on fds 1 and 2, kept for [`Capture::restore`]
    /// (and so that a module closing fd 1 does not close the pipe).
    out: PipeWriter,
    err: PipeWriter,
    /// Wakes the reader for a flush.
    wake: PipeWriter,
    flushes: Arc<Flushes>,
}

/// Flush requests, and how far the reader has got with them.
#[derive(Default)]
struct Flushes {
    requested: AtomicU64,
    done: Mutex<u64>,
    changed: Condvar,
}

impl Capture {
    /// Makes the pipes and starts their reader, crediting text to the
    /// modules of `kernel`; fds 1 and 2 are not touched yet.
    pub(super) fn start(kernel: &Kernel) -> io::Result<Capture> {
        let (out_reader, out) = io::pipe()?;
        let (err_reader, err) = io::pipe()?;
        let (wake_reader, wake) = io::pipe()?;
        for reader in [&out_reader, &err_reader, &wake_reader] {
            fcntl(reader, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        }
        let services = Arc::clone(&kernel.inner.services);
        let flushes = Arc::new(Flushes::default());
        let reader = Reader {
            streams: [Stream::new(out_reader, "stdout", Level::Info), Stream::new(err_reader, "stderr", Level::Err)],
            wake: wake_reader,
            writers: Writers::new(services.id),
            services: Arc::clone(&services),
            flushes: Arc::clone(&flushes),
        };
        thread::Builder::new().name("stdio".into()).spawn(move || reader.run())?;
        Ok(Capture { services, out, err, wake, flushes })
    }

    /// Puts the pipes on fds 1 and 2.
    pub(super) fn install(&self) -> io::Result<()> {
        dup2_stdout(&self.out)?;
        dup2_stderr(&self.err)?;
        Ok(())
    }

    /// Puts a pipe back on fd 1 or 2 where it is no longer; returns the fds
    /// it restored.
    pub(super) fn restore(&self) -> Vec<(i32, &'static str)> {
        let mut restored = Vec::new();
        if identity(io::stdout().as_fd()) != identity(&self.out) && dup2_stdout(&self.out).is_ok() {
            restored.push((1, "stdout"));
        }
        if identity(io::stderr().as_fd()) != identity(&self.err) && dup2_stderr(&self.err).is_ok() {
            restored.push((2, "stderr"));
        }
        restored
    }

    /// Waits (a second at most) until everything written before is logged,
    /// partial lines included.
    pub(super) fn flush(&self) {
        let wanted = self.flushes.requested.fetch_add(1, Ordering::SeqCst) + 1;
        if counted_write(&self.wake, b"f").is_err() {
            return;
        }
        let mut done = self.flushes.done.lock();
        while *done < wanted {
            if self.flushes.changed.wait_for(&mut done, FLUSH_TIMEOUT).timed_out() {
                return;
            }
        }
    }

    /// Logs a line of the host's about the capture.
    pub(super) fn log(&self, level: Level, text: &str) {
        self.services.printk.log(level, text);
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture").finish_non_exhaustive()
    }
}

/// The reader thread's state.
struct Reader {
    streams: [Stream; 2],
    wake: PipeReader,
    writers: Writers,
    services: Arc<Services>,
    flushes: Arc<Flushes>,
}

impl Reader {
    fn run(mut self) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let Some((readable, woken)) = self.wait() else { return };
            let flush = woken.then(|| {
                drain(&mut self.wake, &mut buf);
                self.flushes.requested.load(Ordering::SeqCst)
            });
            let mut module = None;
            let mut looked = false;
            for (stream, readable) in self.streams.iter_mut().zip(readable) {
                // Once the writers have been looked at, every pipe is read
                // (they do not block): the look counted all writes made so
                // far, so text that reached this pipe after `poll` returned
                // is theirs too, and a later look would see no writer for it.
                if !(readable || looked || flush.is_some()) {
                    continue;
                }
                // A bounded number of reads per round, so that a flood on one
                // pipe is credited afresh now and then and starves nothing.
                for _ in 0..16 {
                    let Some(n) = read_some(&mut stream.pipe, &mut buf) else { break };
                    if !looked {
                        module = self.writers.guess();
                        looked = true;
                    }
                    stream.take(&buf[..n], module.as_ref(), &self.services);
                }
            }
            if let Some(flush) = flush {
                self.streams.iter_mut().for_each(|s| s.finish(&self.services));
                *self.flushes.done.lock() = flush;
                self.flushes.changed.notify_all();
            }
        }
    }

    /// Waits until a pipe has data or a flush is asked for; returns which
    /// pipes are readable and whether a flush is, or `None` if polling fails.
    fn wait(&self) -> Option<([bool; 2], bool)> {
        let mut fds = [
            PollFd::new(self.streams[0].pipe.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.streams[1].pipe.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.wake.as_fd(), PollFlags::POLLIN),
        ];
        loop {
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return None,
            }
        }
        let ready =
            |fd: &PollFd<'_>| fd.revents().is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP));
        Some(([ready(&fds[0]), ready(&fds[1])], ready(&fds[2])))
    }
}

/// Reads what is there; `None` when nothing is (or the pipe failed).
fn read_some(pipe: &mut PipeReader, buf: &mut [u8]) -> Option<usize> {
    loop {
        match pipe.read(buf) {
            Ok(0) => return None,
            Ok(n) => return Some(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

fn drain(pipe: &mut PipeReader, buf: &mut [u8]) {
    while read_some(pipe, buf).is_some() {}
}

/// One of the two pipes and its line being assembled.
struct Stream {
    pipe: PipeReader,
    name: &'static str,
    level: Level,
    /// The line so far, one byte longer than a record at most, so that
    /// printk sees (and counts) that it was cut.
    partial: Vec<u8>,
    /// Whose the line so far is.
    partial_module: Option<Arc<str>>,
}

impl Stream {
    fn new(pipe: PipeReader, name: &'static str, level: Level) -> Stream {
        Stream { pipe, name, level, partial: Vec::new(), partial_module: None }
    }

    /// Adds `bytes` written by `module`'s code; logs each line they end.
    fn take(&mut self, bytes: &[u8], module: Option<&Arc<str>>, services: &Services) {
        for (i, piece) in bytes.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                self.finish(services);
            }
            if self.partial.is_empty() && !piece.is_empty() {
                self.partial_module = module.cloned();
            }
            let room = (PRINTKRB_RECORD_MAX + 1).saturating_sub(self.partial.len());
            self.partial.extend_from_slice(&piece[..piece.len().min(room)]);
        }
    }

    /// Logs the line so far, if any.
    fn finish(&mut self, services: &Services) {
        if self.partial.is_empty() {
            self.partial_module = None;
            return;
        }
        let text = format!("{}: {}", self.name, String::from_utf8_lossy(&self.partial));
        match self.partial_module.take() {
            Some(module) => services.printk.log_module(self.level, &module, &text),
            None => services.printk.log(self.level, &text),
        }
        self.partial.clear();
    }
}

/// What the reader knows of each thread's write calls: the most it has seen
/// them exceed the host's own, by thread id.
struct Writers {
    kernel: u64,
    excess: HashMap<i32, u64>,
}

impl Writers {
    /// Starts from the threads as they are: what they wrote before is not
    /// the modules' doing.
    fn new(kernel: u64) -> Writers {
        let host = host_writes();
        let tids = std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten();
        let excess = tids
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(|tid| Some((tid, write_calls(tid)?.saturating_sub(host.get(&tid).copied().unwrap_or(0)))))
            .collect();
        Writers { kernel, excess }
    }

    /// The module to credit the text read now to; see the module docs.
    fn guess(&mut self) -> Option<Arc<str>> {
        let host = host_writes();
        let mut best: Option<(u8, Arc<str>)> = None;
        for task in tasks_of(self.kernel) {
            let tid = task.tid();
            let Some(calls) = write_calls(tid) else { continue };
            // The host counts a write before making it, so a write in
            // progress only lowers this: it never passes for module code's.
            let excess = calls.saturating_sub(host.get(&tid).copied().unwrap_or(0));
            let seen = self.excess.entry(tid).or_insert(0);
            if excess <= *seen {
                continue;
            }
            *seen = excess;
            if let Some(credit) = credit(&task)
                && best.as_ref().is_none_or(|(rank, _)| credit.0 > *rank)
            {
                best = Some(credit);
            }
        }
        self.excess.retain(|tid, _| Path::new(&format!("/proc/self/task/{tid}")).exists());
        best.map(|(_, module)| module)
    }
}

/// Whose code a task's writes are, ranked: the module it runs now, the
/// module it belongs to, the module it ran last; a kernel's own task before
/// a user thread at the same rank.
fn credit(task: &Task) -> Option<(u8, Arc<str>)> {
    let (rank, module) = match (task.context(), task.owner()) {
        (Some(context), _) => (3, context.name),
        (None, Some(owner)) => (2, owner),
        (None, None) => (1, task.last_context()?.name),
    };
    Some((rank * 2 + u8::from(task.kind() != TaskKind::User), module))
}

/// The write calls thread `tid` has made (`syscw`), if the kernel counts them.
fn write_calls(tid: i32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/self/task/{tid}/io")).ok()?;
    io.lines().find_map(|line| line.strip_prefix("syscw:")).and_then(|n| n.trim().parse().ok())
}
