//! printk: the one log of the host and of every module, and its console.
//!
//! Every message is a [`Record`] with a sequence number, the kernel clock's
//! uptime and a level. Records live in a ring buffer bounded in bytes; when
//! it is full the oldest records go and the ring counts them, so `dmesg`
//! can say how many were lost. A message whose level is below the console
//! level is also handed to the console sink as it happens (the REPL prints
//! it above the prompt, a script prints it on stderr).
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
    time::{Duration, Instant},
};

pub use modhost_abi::services::printk::Level;

use super::clock::Clock;

/// The default ring size in bytes of text (the kernel's `log_buf_len` is 128 KiB
/// and more; a host with chatty modules keeps a little more).
pub const DEFAULT_RING_BYTES: usize = 1 << 20;

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
    records: VecDeque<Record>,
    bytes: usize,
    capacity: usize,
    next_seq: u64,
    /// Records before this one were cleared by `dmesg -C`/`-c`.
    clear_seq: u64,
    /// Records lost because the ring was full, since boot.
    dropped: u64,
}

impl Printk {
    /// An empty log of `capacity` bytes, timestamped by `clock`.
    pub fn new(clock: Clock, capacity: usize) -> Printk {
        Printk {
            clock,
            ring: Mutex::new(Ring {
                records: VecDeque::new(),
                bytes: 0,
                capacity: capacity.max(1),
                next_seq: 0,
                clear_seq: 0,
                dropped: 0,
            }),
            logged: Condvar::new(),
            console_level: AtomicU8::new(DEFAULT_CONSOLE_LEVEL),
            console: Mutex::new(None),
        }
    }

    /// Logs `text` at `level`, one record per line; one trailing newline is dropped.
    pub fn log(&self, level: Level, text: &str) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let time = self.clock.uptime();
        let mut logged = Vec::new();
        {
            let mut ring = self.ring.lock();
            for line in text.split('\n') {
                let record = Record { seq: ring.next_seq, time, level, text: line.to_string() };
                ring.push(record.clone());
                logged.push(record);
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
        ring.records.iter().filter(|r| r.seq >= ring.clear_seq).cloned().collect()
    }

    /// The records with a sequence number of at least `seq`, oldest first.
    pub fn records_since(&self, seq: u64) -> Vec<Record> {
        self.ring.lock().records.iter().filter(|r| r.seq >= seq).cloned().collect()
    }

    /// Returns the records since the last clear and clears them (`dmesg -c`).
    pub fn read_clear(&self) -> Vec<Record> {
        let mut ring = self.ring.lock();
        let records = ring.records.iter().filter(|r| r.seq >= ring.clear_seq).cloned().collect();
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

    /// Waits up to `timeout` for a record with sequence number `seq` or later
    /// (`dmesg -w`); returns whether one exists.
    pub fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut ring = self.ring.lock();
        while ring.next_seq <= seq {
            if self.logged.wait_until(&mut ring, deadline).timed_out() {
                break;
            }
        }
        ring.next_seq > seq
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

impl Ring {
    fn push(&mut self, record: Record) {
        self.next_seq += 1;
        self.bytes += record.text.len();
        self.records.push_back(record);
        while self.bytes > self.capacity && self.records.len() > 1 {
            if let Some(old) = self.records.pop_front() {
                self.bytes -= old.text.len();
                self.dropped += 1;
            }
        }
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
        let (_, log) = printk(10);
        for i in 0..5 {
            log.log(Level::Info, &format!("line{i}"));
        }
        let texts: Vec<_> = log.records().into_iter().map(|r| r.text).collect();
        assert_eq!(texts, ["line3", "line4"]);
        assert_eq!(log.dropped(), 3);
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
