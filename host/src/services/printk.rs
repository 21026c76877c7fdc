//! printk: the one log of the host and of every module, and its console.
//!
//! Every message is a [`Record`] with a sequence number, the kernel clock's
//! uptime and a level. Records live in a ring bounded, as the kernel's, in
//! bytes of text and in records (one per 32 bytes of capacity: without it,
//! empty lines would cost memory without limit). Their texts sit back to
//! back in one buffer reserved at boot, as in the kernel's text ring, so
//! that logging allocates nothing that outlives the call: records made on
//! many threads would otherwise scatter over the allocator's arenas and
//! keep pages of each resident, and the log's memory would creep up for as
//! long as the host runs. When the ring is full the oldest records go and
//! the ring counts them, so `dmesg` can say how many were lost. One message
//! is at most the kernel's [`RECORD_TEXT_MAX`] bytes of text, a module's
//! name prefix included (`PRINTKRB_RECORD_MAX` less the NUL): the kernel
//! cuts a longer message without a mark, and so does modhost, counting the
//! cut ([`Printk::truncated`]). A message
//! whose level is below the console level is also handed to the console
//! sink as it happens (the REPL prints it above the prompt, a script prints
//! it on stderr).
//!
//! Locking: the ring and the console sink each have their own lock; the sink
//! is called without the ring's lock held, so a slow terminal never blocks a
//! module's printk for longer than the sink itself takes.
//!
//! Kernel counterpart: `kernel/printk/printk.c`.

use parking_lot::{Condvar, Mutex};
use std::{
    collections::VecDeque,
    fmt,
    sync::atomic::{AtomicU8, Ordering},
    time::Duration,
};

pub use modhost_abi::services::printk::{Level, PRINTKRB_RECORD_MAX};

use super::clock::Clock;

/// The default ring size in bytes of text (the kernel's `log_buf_len` is 128 KiB
/// and more; a host with chatty modules keeps a little more).
pub const DEFAULT_RING_BYTES: usize = 1 << 20;

/// The most text one message keeps, in bytes: the kernel's record bound
/// less its terminating NUL.
pub const RECORD_TEXT_MAX: usize = PRINTKRB_RECORD_MAX - 1;

/// One record per this many bytes of capacity at most (the kernel's
/// `PRB_AVGBITS`: descriptors are `log_buf_len >> 5`).
const AVG_RECORD_BYTES: usize = 32;

/// The kernel's default console level: everything but `KERN_DEBUG` is printed.
pub const DEFAULT_CONSOLE_LEVEL: u8 = 7;

/// One logged line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the log since boot, counting from 0.
    pub seq: u64,
    /// Uptime when it was logged.
    pub time: Duration,
    /// Its level.
    pub level: Level,
    /// The text, without a trailing newline.
    pub text: String,
}

impl fmt::Display for Record {
    /// The kernel's `dmesg` line: `[    1.234567] text`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:5}.{:06}] {}", self.time.as_secs(), self.time.subsec_micros(), self.text)
    }
}

/// Where console messages go.
pub type ConsoleSink = Box<dyn Fn(&Record) + Send + Sync>;

/// The log; see the module docs.
pub struct Printk {
    clock: Clock,
    ring: Mutex<Ring>,
    logged: Condvar,
    console_level: AtomicU8,
    console: Mutex<Option<ConsoleSink>>,
}

struct Ring {
    /// One header per record, oldest first.
    headers: VecDeque<Header>,
    /// The records' texts back to back, in the order of `headers`.
    text: VecDeque<u8>,
    capacity: usize,
    next_seq: u64,
    /// Records before this one were cleared by `dmesg -C`/`-c`.
    clear_seq: u64,
    /// Records lost because the ring was full, since boot.
    dropped: u64,
    /// Messages cut at [`RECORD_TEXT_MAX`], since boot.
    truncated: u64,
}

/// A record but its text, which is the next `len` bytes of the ring's text.
#[derive(Clone, Copy)]
struct Header {
    seq: u64,
    time: Duration,
    level: Level,
    len: usize,
}

impl Printk {
    /// An empty log of `capacity` bytes, timestamped by `clock`.
    pub fn new(clock: Clock, capacity: usize) -> Printk {
        Printk {
            clock,
            ring: Mutex::new(Ring::new(capacity.max(1))),
            logged: Condvar::new(),
            console_level: AtomicU8::new(DEFAULT_CONSOLE_LEVEL),
            console: Mutex::new(None),
        }
    }

    /// Logs `text` at `level`, one record per line; one trailing newline is
    /// dropped, and the text is cut at [`RECORD_TEXT_MAX`] bytes.
    pub fn log(&self, level: Level, text: &str) {
        self.log_as(level, None, text);
    }

    /// Logs a module's `text`, each line prefixed with `module: ` as the
    /// kernel's `pr_fmt(KBUILD_MODNAME ": ")` does; the prefixes count
    /// towards the bound.
    pub(crate) fn log_module(&self, level: Level, module: &str, text: &str) {
        self.log_as(level, Some(module), text);
    }

    fn log_as(&self, level: Level, module: Option<&str>, text: &str) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let (lines, cut) = bounded_lines(module, text);
        let time = self.clock.uptime();
        let mut logged = Vec::with_capacity(lines.len());
        {
            let mut ring = self.ring.lock();
            ring.truncated += u64::from(cut);
            for line in lines {
                let seq = ring.push(time, level, &line);
                // Kept where a dead kernel process leaves it, if the supervisor made the place.
                crate::debug::pstore::mirror(time, &line);
                logged.push(Record { seq, time, level, text: line });
            }
        }
        self.logged.notify_all();
        if (level as u8) < self.console_level()
            && let Some(sink) = &*self.console.lock()
        {
            logged.iter().for_each(sink);
        }
    }

    /// The records since the last clear, oldest first.
    pub fn records(&self) -> Vec<Record> {
        let ring = self.ring.lock();
        ring.records_from(ring.clear_seq)
    }

    /// The records with a sequence number of at least `seq`, oldest first.
    pub fn records_since(&self, seq: u64) -> Vec<Record> {
        self.ring.lock().records_from(seq)
    }

    /// Returns the records since the last clear and clears them (`dmesg -c`).
    pub fn read_clear(&self) -> Vec<Record> {
        let mut ring = self.ring.lock();
        let records = ring.records_from(ring.clear_seq);
        ring.clear_seq = ring.next_seq;
        records
    }

    /// Clears the log (`dmesg -C`); sequence numbers keep counting.
    pub fn clear(&self) {
        let mut ring = self.ring.lock();
        ring.clear_seq = ring.next_seq;
    }

    /// The sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.ring.lock().next_seq
    }

    /// How many records the full ring has dropped since boot.
    pub fn dropped(&self) -> u64 {
        self.ring.lock().dropped
    }

    /// How many messages were cut at [`RECORD_TEXT_MAX`] since boot.
    pub fn truncated(&self) -> u64 {
        self.ring.lock().truncated
    }

    /// Waits for a record with sequence number `seq` or later (`dmesg -w`),
    /// or until `stop` is true; returns whether such a record exists. `stop`
    /// is looked at first and after every [`Printk::wake_waiters`].
    pub fn wait_for(&self, seq: u64, stop: &dyn Fn() -> bool) -> bool {
        let mut ring = self.ring.lock();
        while ring.next_seq <= seq && !stop() {
            self.logged.wait(&mut ring);
        }
        ring.next_seq > seq
    }

    /// Wakes every [`Printk::wait_for`] to look at its `stop` again.
    pub fn wake_waiters(&self) {
        // Under the ring's lock, so that a waiter is either before its look
        // at `stop` or already waiting.
        let _ring = self.ring.lock();
        self.logged.notify_all();
    }

    /// The console level: messages below it are printed as they happen.
    pub fn console_level(&self) -> u8 {
        self.console_level.load(Ordering::Relaxed)
    }

    /// Sets the console level (`dmesg -n`), 1 to 8.
    pub fn set_console_level(&self, level: u8) {
        self.console_level.store(level.clamp(1, 8), Ordering::Relaxed);
    }

    /// Installs (or removes) the console sink.
    pub fn set_console(&self, sink: Option<ConsoleSink>) {
        *self.console.lock() = sink;
    }
}

/// The lines of one message, each with the module's prefix, cut so that
/// together (with the newlines between them) they hold at most
/// [`RECORD_TEXT_MAX`] bytes; and whether anything was cut.
fn bounded_lines(module: Option<&str>, text: &str) -> (Vec<String>, bool) {
    let prefix = module.map(|m| format!("{m}: ")).unwrap_or_default();
    let mut lines = Vec::new();
    let mut room = RECORD_TEXT_MAX;
    let mut rest = text.split('\n').peekable();
    while let Some(line) = rest.next() {
        let whole = prefix.len() + line.len();
        if whole > room {
            let mut record = prefix[..prefix.floor_char_boundary(room)].to_string();
            let left = room - record.len();
            record.push_str(&line[..line.floor_char_boundary(left)]);
            lines.push(record);
            return (lines, true);
        }
        lines.push(format!("{prefix}{line}"));
        room -= whole;
        if rest.peek().is_some() {
            // The newline before the next line.
            let Some(left) = room.checked_sub(1) else { return (lines, true) };
            room = left;
        }
    }
    (lines, false)
}

impl Ring {
    /// An empty ring, its memory reserved (and touched only as it fills).
    fn new(capacity: usize) -> Ring {
        let headers = VecDeque::with_capacity(Ring::max_records(capacity));
        let text = VecDeque::with_capacity(capacity);
        Ring { headers, text, capacity, next_seq: 0, clear_seq: 0, dropped: 0, truncated: 0 }
    }

    fn max_records(capacity: usize) -> usize {
        (capacity / AVG_RECORD_BYTES).max(1)
    }

    /// Appends a line, cut to the ring's capacity, after dropping the
    /// oldest records to make room; returns its sequence number.
    fn push(&mut self, time: Duration, level: Level, line: &str) -> u64 {
        let mut len = line.len().min(self.capacity);
        while !line.is_char_boundary(len) {
            len -= 1;
        }
        let max_records = Ring::max_records(self.capacity);
        while self.headers.len() >= max_records || (self.text.len() + len > self.capacity && !self.headers.is_empty()) {
            if let Some(old) = self.headers.pop_front() {
                self.text.drain(..old.len);
                self.dropped += 1;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.headers.push_back(Header { seq, time, level, len });
        self.text.extend(&line.as_bytes()[..len]);
        seq
    }

    /// The records numbered `from` or later, oldest first.
    fn records_from(&self, from: u64) -> Vec<Record> {
        let mut start = 0;
        let mut records = Vec::new();
        for header in &self.headers {
            let end = start + header.len;
            if header.seq >= from {
                let text: Vec<u8> = self.text.range(start..end).copied().collect();
                let text = String::from_utf8_lossy(&text).into_owned();
                records.push(Record { seq: header.seq, time: header.time, level: header.level, text });
            }
            start = end;
        }
        records
    }
}

impl fmt::Debug for Printk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Printk").field("console_level", &self.console_level()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn printk(capacity: usize) -> (Clock, Printk) {
        let clock = Clock::manual(250);
        (clock.clone(), Printk::new(clock, capacity))
    }

    #[test]
    fn records_carry_the_kernel_timestamp_format() {
        let (clock, log) = printk(1024);
        clock.advance(Duration::from_micros(1_234_567));
        log.log(Level::Info, "fifo: loaded\n");
        assert_eq!(log.records()[0].to_string(), "[    1.234567] fifo: loaded");
    }

    #[test]
    fn multi_line_messages_become_one_record_per_line() {
        let (_, log) = printk(1024);
        log.log(Level::Err, "a\nb");
        let texts: Vec<_> = log.records().into_iter().map(|r| r.text).collect();
        assert_eq!(texts, ["a", "b"]);
    }

    #[test]
    fn a_full_ring_drops_the_oldest_and_counts_them() {
        let (_, log) = printk(100);
        for i in 0..5 {
            log.log(Level::Info, &format!("line{i}{}", "-".repeat(40)));
        }
        let texts: Vec<_> = log.records().into_iter().map(|r| r.text[..5].to_string()).collect();
        assert_eq!(texts, ["line3", "line4"]);
        assert_eq!(log.dropped(), 3);
    }

    #[test]
    fn short_lines_are_bounded_in_number_as_well() {
        let (_, log) = printk(100);
        for _ in 0..1000 {
            log.log(Level::Info, "");
        }
        assert_eq!(log.records().len(), 100 / AVG_RECORD_BYTES);
        assert_eq!(log.dropped(), 1000 - 100 / AVG_RECORD_BYTES as u64);
    }

    #[test]
    fn the_ring_never_grows_past_what_it_reserved_at_boot() {
        let (_, log) = printk(1000);
        let reserved = |log: &Printk| {
            let ring = log.ring.lock();
            (ring.headers.capacity(), ring.text.capacity())
        };
        let at_boot = reserved(&log);
        for i in 0..10_000 {
            log.log(Level::Info, &"é".repeat(i % 300));
        }
        log.log(Level::Info, &format!("x{}", "é".repeat(600)));
        assert_eq!(reserved(&log), at_boot);
        let last = log.records().pop().expect("a record");
        assert_eq!(
            last.text,
            format!("x{}", "é".repeat(499)),
            "a line is cut to the capacity, on a character boundary"
        );
    }

    #[test]
    fn clearing_hides_old_records_but_keeps_counting() {
        let (_, log) = printk(1024);
        log.log(Level::Info, "old");
        assert_eq!(log.read_clear().len(), 1);
        log.log(Level::Info, "new");
        let records = log.records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].seq, 1);
    }

    #[test]
    fn a_message_is_cut_at_the_record_bound_and_counted() {
        let (_, log) = printk(1 << 20);
        log.log(Level::Info, &"x".repeat(RECORD_TEXT_MAX));
        assert_eq!(log.truncated(), 0, "a full record is not cut");
        log.log_module(Level::Info, "evil", &"y".repeat(100 * RECORD_TEXT_MAX));
        let records = log.records();
        assert_eq!(records[1].text.len(), RECORD_TEXT_MAX);
        assert!(records[1].text.starts_with("evil: yyy"));
        assert_eq!(log.truncated(), 1);
        // Lines share the bound, newlines included.
        let line = "z".repeat(600);
        log.log_module(Level::Info, "evil", &format!("{line}\n{line}\n{line}"));
        let texts: Vec<usize> = log.records()[2..].iter().map(|r| r.text.len()).collect();
        assert_eq!(texts, [606, RECORD_TEXT_MAX - 607]);
        assert_eq!(log.truncated(), 2);
        // A character is never split.
        log.log(Level::Info, &"é".repeat(RECORD_TEXT_MAX));
        assert_eq!(log.records().last().unwrap().text.len(), RECORD_TEXT_MAX - 1);
    }

    #[test]
    fn the_console_gets_messages_below_its_level() {
        let (_, log) = printk(1024);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        log.set_console(Some(Box::new(move |r| sink.lock().push(r.text.clone()))));
        log.set_console_level(4);
        log.log(Level::Warning, "quiet");
        log.log(Level::Err, "loud");
        assert_eq!(*seen.lock(), ["loud"]);
    }
}
