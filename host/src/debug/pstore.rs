//! pstore/ramoops: the kernel log kept where a dead kernel cannot take it
//! along, for the supervisor to print and for the next boot to read.
//!
//! The `modhost` binary's supervisor maps one region `MAP_SHARED |
//! MAP_ANONYMOUS` before it forks the kernel process, so both see the same
//! bytes: a [`Header`] (a magic, the kernel's state, the panic message, the
//! clock's origin) and a ring of log text. The kernel process mirrors every
//! printk line into the ring as `dmesg` prints it (`[    1.234567] text`);
//! when the kernel process dies, the supervisor reads the ring's last lines
//! and the message ([`Pstore::tail`], [`Pstore::panic_message`]). At a
//! `reboot` the log is kept in the supervisor's memory
//! ([`Pstore::keep_for_next_boot`]), which the next kernel inherits through
//! `fork` and shows as `/sys/fs/pstore/dmesg-ramoops-0` ([`previous_dump`]).
//!
//! Appending is async-signal-safe, so the panic paths ([`super::panic`])
//! use it from signal handlers: a writer reserves its bytes with one atomic
//! add on the write position and stores them one atomic byte at a time; no
//! lock, no allocation. Writers never wait for one another, so a line whose
//! writer died half-way stays torn, as a line in ramoops does; the reader
//! keeps it as it is.
//!
//! A [`Kernel`](crate::Kernel) used as a library has no pstore: the region
//! exists only when the binary's supervisor made it ([`install`]).
//!
//! Kernel counterpart: `fs/pstore/ram.c`, `fs/pstore/platform.c`
//! (`pstore_dump`), `kernel/printk/printk.c` (`kmsg_dump`).

use parking_lot::Mutex;
use std::{
    fmt, io,
    ptr::NonNull,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering},
    },
    time::Duration,
};

/// The ring's size: the last few thousand lines of the log.
pub(crate) const RING_BYTES: usize = 256 << 10;

/// The longest panic message kept in the header.
const MESSAGE_MAX: usize = 256;

/// Marks a region this code made ("MODHOSTP").
const MAGIC: u64 = 0x4d4f_4448_4f53_5450;

/// The longest line the ring takes: a printk record and its timestamp.
const LINE_MAX: usize = crate::services::printk::RECORD_TEXT_MAX + 32;

// A line longer than the ring would leave no whole line in it.
const _: () = assert!(RING_BYTES > 2 * LINE_MAX);

/// The name of the previous boot's log under `/sys/fs/pstore/`.
pub(crate) const DUMP_NAME: &str = "dmesg-ramoops-0";

/// What the kernel process is doing, as the supervisor reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Booting or running.
    Running,
    /// Ending on its own: the exit that follows is the kernel's.
    ShuttingDown,
    /// Panicked: the message says why.
    Panicked,
}

/// [`State`]s as the header keeps them.
const RUNNING: u32 = 0;
const SHUTTING_DOWN: u32 = 1;
const PANICKED: u32 = 2;

impl State {
    fn from_raw(raw: u32) -> State {
        match raw {
            SHUTTING_DOWN => State::ShuttingDown,
            PANICKED => State::Panicked,
            _ => State::Running,
        }
    }
}

/// The start of the region.
#[repr(C)]
struct Header {
    magic: AtomicU64,
    /// A [`State`]: [`RUNNING`], [`SHUTTING_DOWN`] or [`PANICKED`].
    state: AtomicU32,
    message_len: AtomicU32,
    /// `CLOCK_MONOTONIC`, in nanoseconds, at the kernel clock's uptime 0:
    /// the panic paths timestamp their lines from it without the kernel.
    origin: AtomicU64,
    /// Bytes appended since the last reset; the ring holds the last
    /// [`Pstore::capacity`] of them.
    head: AtomicU64,
    message: [AtomicU8; MESSAGE_MAX],
}

/// One shared region; see the module docs.
pub(crate) struct Pstore {
    base: NonNull<u8>,
    len: usize,
    capacity: usize,
}

// SAFETY: the region is only ever accessed through atomics (`Header`'s
// fields and the ring's `AtomicU8`s), and it lives until `Pstore` drops.
unsafe impl Send for Pstore {}
// SAFETY: as for `Send`: every access is atomic.
unsafe impl Sync for Pstore {}

impl Pstore {
    /// A zeroed region with a ring of `capacity` bytes, shared with the
    /// children forked after this call.
    pub(crate) fn create(capacity: usize) -> io::Result<Pstore> {
        let capacity = capacity.max(1);
        let len = size_of::<Header>() + capacity;
        // SAFETY: a fresh anonymous mapping; no existing memory is touched.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(address.cast::<u8>()).ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let pstore = Pstore { base, len, capacity };
        pstore.header().magic.store(MAGIC, Ordering::Relaxed);
        Ok(pstore)
    }

    fn header(&self) -> &Header {
        // SAFETY: the region starts with a `Header` (page-aligned, zeroed at
        // creation, which is a valid value for its atomics) and outlives `self`.
        unsafe { self.base.cast::<Header>().as_ref() }
    }

    fn ring(&self) -> &[AtomicU8] {
        // SAFETY: the `capacity` bytes after the header are the ring's, and
        // `AtomicU8` has the layout of `u8`.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(size_of::<Header>()).cast(), self.capacity) }
    }

    /// The kernel's state.
    pub(crate) fn state(&self) -> State {
        State::from_raw(self.header().state.load(Ordering::Acquire))
    }

    /// The kernel process ends on its own from here: its exit is no panic.
    pub(crate) fn shutting_down(&self) {
        let _ = self.header().state.compare_exchange(RUNNING, SHUTTING_DOWN, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Sets where the kernel clock's uptime 0 is on `CLOCK_MONOTONIC`.
    pub(crate) fn set_origin(&self, origin: Duration) {
        let nanos = u64::try_from(origin.as_nanos()).unwrap_or(u64::MAX);
        self.header().origin.store(nanos, Ordering::Relaxed);
    }

    /// The kernel clock's uptime now, from `CLOCK_MONOTONIC`
    /// (async-signal-safe).
    pub(crate) fn uptime(&self) -> Duration {
        monotonic().saturating_sub(Duration::from_nanos(self.header().origin.load(Ordering::Relaxed)))
    }

    /// Appends `text` as a log line stamped `time` (async-signal-safe).
    pub(crate) fn append_line(&self, time: Duration, text: &str) {
        let mut stamp = LineBuf::<32>::new();
        let _ = fmt::Write::write_fmt(&mut stamp, format_args!("[{:5}.{:06}] ", time.as_secs(), time.subsec_micros()));
        let text = &text.as_bytes()[..floor_char_boundary(text, LINE_MAX)];
        self.append(&[stamp.as_bytes(), text, b"\n"]);
    }

    /// Appends the bytes of `parts` as one piece: reserved at once, so
    /// that lines written at the same time never interleave.
    fn append(&self, parts: &[&[u8]]) {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let start = self.header().head.fetch_add(total as u64, Ordering::AcqRel);
        let ring = self.ring();
        for (at, byte) in (start..).zip(parts.iter().flat_map(|p| p.iter())) {
            // A piece longer than the ring keeps its end: later bytes land on earlier ones.
            ring[(at % self.capacity as u64) as usize].store(*byte, Ordering::Relaxed);
        }
    }

    /// Records the panic (async-signal-safe): the message, the state, and
    /// the `Kernel panic - not syncing:` line in the log. Only the first
    /// panic is recorded; returns whether this one was. `after_shutdown`
    /// says whether a panic while the kernel ends on its own counts.
    pub(crate) fn panic(&self, why: &str, after_shutdown: bool) -> bool {
        let header = self.header();
        let mut from = [Some(RUNNING), after_shutdown.then_some(SHUTTING_DOWN)].into_iter().flatten();
        if !from
            .any(|state| header.state.compare_exchange(state, PANICKED, Ordering::AcqRel, Ordering::Acquire).is_ok())
        {
            return false;
        }
        let why = &why[..floor_char_boundary(why, MESSAGE_MAX)];
        for (slot, byte) in header.message.iter().zip(why.bytes()) {
            slot.store(byte, Ordering::Relaxed);
        }
        header.message_len.store(why.len() as u32, Ordering::Release);
        let mut line = LineBuf::<{ MESSAGE_MAX + 32 }>::new();
        let _ = fmt::Write::write_fmt(&mut line, format_args!("{PANIC_PREFIX}{why}"));
        self.append_line(self.uptime(), line.as_str());
        true
    }

    /// The recorded panic message, if the kernel panicked.
    pub(crate) fn panic_message(&self) -> Option<String> {
        if self.state() != State::Panicked {
            return None;
        }
        let header = self.header();
        let len = (header.message_len.load(Ordering::Acquire) as usize).min(MESSAGE_MAX);
        let bytes: Vec<u8> = header.message[..len].iter().map(|b| b.load(Ordering::Relaxed)).collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The ring's text, oldest first: from the first whole line when the
    /// ring has wrapped; bytes reserved but never written are left out.
    pub(crate) fn text(&self) -> String {
        let head = self.header().head.load(Ordering::Acquire);
        let kept = head.min(self.capacity as u64);
        let ring = self.ring();
        let mut bytes: Vec<u8> =
            (head - kept..head).map(|at| ring[(at % self.capacity as u64) as usize].load(Ordering::Relaxed)).collect();
        if head > kept {
            // The oldest line lost its start to the wrap.
            let cut = bytes.iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| i + 1);
            bytes.drain(..cut);
        }
        bytes.retain(|&b| b != 0);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The last `n` lines of the log (a torn last line included).
    pub(crate) fn tail(&self, n: usize) -> Vec<String> {
        let text = self.text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].iter().map(|l| l.to_string()).collect()
    }

    /// Keeps this boot's log for the next one's `/sys/fs/pstore/` (in this
    /// process's memory, which the next kernel inherits), and empties the
    /// region for it.
    pub(crate) fn keep_for_next_boot(&self) {
        *PREVIOUS.lock() = Some(Arc::from(format!("Panic#1 Part1\n{}", self.text())));
        let header = self.header();
        header.head.store(0, Ordering::Release);
        header.message_len.store(0, Ordering::Relaxed);
        header.state.store(RUNNING, Ordering::Release);
        self.ring().iter().for_each(|b| b.store(0, Ordering::Relaxed));
    }
}

impl Drop for Pstore {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `create`, unmapped once; nothing
        // borrows from it past `self`.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

impl fmt::Debug for Pstore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pstore").field("capacity", &self.capacity).field("state", &self.state()).finish()
    }
}

/// The panic line's start.
pub(crate) const PANIC_PREFIX: &str = "Kernel panic - not syncing: ";

/// The region of this process, if the supervisor made one.
static PSTORE: OnceLock<Pstore> = OnceLock::new();

/// The previous boot's log, if it panicked.
static PREVIOUS: Mutex<Option<Arc<str>>> = Mutex::new(None);

/// Makes `pstore` this process's region: printk mirrors into it from now
/// on. Once per process; returns the region in place.
pub(crate) fn install(pstore: Pstore) -> &'static Pstore {
    PSTORE.get_or_init(|| pstore)
}

/// This process's region, if the supervisor made one.
pub(crate) fn get() -> Option<&'static Pstore> {
    PSTORE.get()
}

/// Mirrors a printk line into the region, if there is one.
pub(crate) fn mirror(time: Duration, text: &str) {
    if let Some(pstore) = get() {
        pstore.append_line(time, text);
    }
}

/// The previous boot's log, as `/sys/fs/pstore/dmesg-ramoops-0` shows it.
pub(crate) fn previous_dump() -> Option<Arc<str>> {
    PREVIOUS.lock().clone()
}

/// `CLOCK_MONOTONIC` now (async-signal-safe).
pub(crate) fn monotonic() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec to write; CLOCK_MONOTONIC exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    Duration::new(u64::try_from(now.tv_sec).unwrap_or(0), u32::try_from(now.tv_nsec).unwrap_or(0))
}

/// The largest char boundary of `text` at or below `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Text formatted on the stack, cut at `N` bytes on a char boundary: what
/// the panic paths format with, since they may not allocate.
pub(crate) struct LineBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> LineBuf<N> {
    pub(crate) fn new() -> LineBuf<N> {
        LineBuf { bytes: [0; N], len: 0 }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole characters are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for LineBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = N - self.len;
        let take = floor_char_boundary(s, room);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() { Err(fmt::Error) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> String {
        format!("line {n}")
    }

    #[test]
    fn lines_are_kept_as_dmesg_prints_them() {
        let pstore = Pstore::create(4096).unwrap();
        pstore.append_line(Duration::from_micros(1_234_567), "fifo: ready");
        pstore.append_line(Duration::from_secs(12), "b");
        assert_eq!(pstore.text(), "[    1.234567] fifo: ready\n[   12.000000] b\n");
        assert_eq!(pstore.tail(1), ["[   12.000000] b"]);
    }

    #[test]
    fn a_wrapped_ring_keeps_the_last_whole_lines() {
        let pstore = Pstore::create(100).unwrap();
        for n in 0..50 {
            pstore.append_line(Duration::ZERO, &line(n));
        }
        // Each line is 15 + 7 bytes: the last four fit whole in 100.
        let text = pstore.text();
        assert!(text.starts_with("[    0.000000] line 46\n"), "{text:?}");
        assert_eq!(pstore.tail(2), ["[    0.000000] line 48", "[    0.000000] line 49"]);
        assert_eq!(pstore.tail(100).len(), 4);
    }

    #[test]
    fn a_torn_last_line_is_kept_as_it_is() {
        let pstore = Pstore::create(4096).unwrap();
        pstore.append_line(Duration::ZERO, "whole");
        // A writer that reserved 20 bytes and died after writing 8 of them.
        let start = pstore.header().head.fetch_add(20, Ordering::AcqRel) as usize;
        for (i, b) in b"[    0.0".iter().enumerate() {
            pstore.ring()[start + i].store(*b, Ordering::Relaxed);
        }
        assert_eq!(pstore.tail(5), ["[    0.000000] whole", "[    0.0"]);
    }

    #[test]
    fn the_first_panic_is_recorded_in_the_header_and_the_log() {
        let pstore = Pstore::create(4096).unwrap();
        assert_eq!(pstore.panic_message(), None);
        assert!(pstore.panic("abort() called from f+0x1/0x2 [m]", false));
        assert!(!pstore.panic("a second one", true));
        assert_eq!(pstore.state(), State::Panicked);
        assert_eq!(pstore.panic_message().as_deref(), Some("abort() called from f+0x1/0x2 [m]"));
        let last = pstore.tail(1).pop().unwrap();
        assert!(last.ends_with("] Kernel panic - not syncing: abort() called from f+0x1/0x2 [m]"), "{last}");
    }

    #[test]
    fn an_exit_during_shutdown_is_no_panic_but_a_fault_is() {
        let pstore = Pstore::create(4096).unwrap();
        pstore.shutting_down();
        assert!(!pstore.panic("exit(0)", false));
        assert_eq!(pstore.state(), State::ShuttingDown);
        assert!(pstore.panic("abort() called", true));
        assert_eq!(pstore.state(), State::Panicked);
    }

    #[test]
    fn the_region_is_shared_with_a_forked_child() {
        let pstore = Pstore::create(4096).unwrap();
        // SAFETY: the child only appends to the shared ring (atomics, no
        // allocation) and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            pstore.panic("from the child", false);
            // SAFETY: ends the forked child without running anything of the parent's.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        unsafe { libc::waitpid(pid, &raw mut status, 0) };
        assert_eq!(pstore.panic_message().as_deref(), Some("from the child"));
    }

    #[test]
    fn keeping_the_log_for_the_next_boot_empties_the_region() {
        let pstore = Pstore::create(4096).unwrap();
        pstore.append_line(Duration::ZERO, "old boot");
        pstore.panic("why", false);
        pstore.keep_for_next_boot();
        assert_eq!((pstore.text(), pstore.state()), (String::new(), State::Running));
        let dump = previous_dump().unwrap();
        assert!(dump.starts_with("Panic#1 Part1\n[    0.000000] old boot\n"), "{dump}");
        assert!(dump.contains("Kernel panic - not syncing: why"), "{dump}");
    }
}
