//! The soak: random module operations under traffic, with invariants checked.
//!
//! A soak boots a kernel on the real clock and, for a while, does what a
//! careless user would: insmod and rmmod fifo, producers and consumers in
//! any order, `modprobe -r`, rate writes through /sys, bad parameters,
//! reads of /proc, all while items flow at rates from paused to 20×HZ. Each
//! operation must give the outcome the loaded set calls for ([`model`]) and
//! return within [`OP_BOUND`]; a watchdog aborts the process if one hangs.
//! At the end it unloads everything and checks that the item ledger
//! balances ([`ledger`]), that no module task, thread or mapped library is
//! left, that the RSS grew by less than [`RSS_GROWTH_LIMIT`], and that
//! nothing oopsed, warned or hung. The same seed gives the same operations.
//!
//! It reads process-wide figures ([`process`]), so it runs alone in its
//! process: `modhost-bench soak --seconds N`, or `tests/tests/soak.rs`.

mod ledger;
mod model;
mod process;

use crate::rng::Rng;
use model::{CONSUMERS, Lab, Op, PRODUCERS};
use modhost::{Kernel, services::printk::Record};
use std::{
    collections::BTreeMap,
    fmt,
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
    thread,
    time::{Duration, Instant},
};

/// How long one operation may take: an rmmod of a blocked producer is
/// meant to return within a second.
pub const OP_BOUND: Duration = Duration::from_secs(2);
/// How long one operation may take before the watchdog calls it a hang and
/// aborts the process (a hung soak must fail, not stall CI).
pub const HANG_LIMIT: Duration = Duration::from_secs(60);
/// How much the RSS may grow between the warm-up and the end of the run.
pub const RSS_GROWTH_LIMIT: u64 = 32 << 20;

/// The plugin files the soak loads.
const FILES: [&str; 3] = ["libfifo.so", "libproducer.so", "libconsumer.so"];

/// What a soak run did and found.
#[derive(Debug, Default)]
pub struct Report {
    pub seed: u64,
    pub elapsed: Duration,
    /// Per kind of operation: how many succeeded, how many were refused
    /// (as they had to be).
    pub operations: BTreeMap<&'static str, (u64, u64)>,
    /// The slowest operation and how long it took.
    pub slowest: (Duration, String),
    /// Every invariant checked, with whether it held.
    pub invariants: Vec<(String, bool)>,
    /// What went wrong, one line each; empty when the run passed.
    pub failures: Vec<String>,
}

impl Report {
    fn check(&mut self, what: impl Into<String>, held: bool, failure: impl FnOnce() -> String) {
        self.invariants.push((what.into(), held));
        if !held {
            self.failures.push(failure());
        }
    }
}

/// Runs a soak for `duration` with the modules found in `module_dir`.
pub fn run(module_dir: &Path, duration: Duration, seed: u64) -> Report {
    let mut report = Report { seed, ..Report::default() };
    let watchdog = Watchdog::start();
    let threads_before_boot = process::threads();
    let kernel = Kernel::builder().module_path(module_dir).boot();
    let log = capture_info(&kernel);
    let mut lab = Lab::default();
    warm_up(&kernel, &mut lab, &watchdog, &mut report);
    let (threads_base, rss_base) = (process::threads(), process::rss_bytes());

    let start = Instant::now();
    let mut rng = Rng::new(seed);
    for n in 0.. {
        if start.elapsed() >= duration {
            break;
        }
        let op = lab.choose(&mut rng);
        step(&kernel, &mut lab, &op, &watchdog, &mut report);
        if n % 16 == 0 {
            check_lsmod(&kernel, &lab, &mut report);
        }
    }
    unload_all(&kernel, &mut lab, &watchdog, &mut report);
    report.elapsed = start.elapsed();

    check_operations(&mut report);
    check_ledger(log.lock_ok().clone(), &mut report);
    check_leftovers(&kernel, threads_base, &mut report);
    check_health(&kernel, &log.lock_ok(), &mut report);
    let rss_end = process::rss_bytes();
    let growth = rss_end.saturating_sub(rss_base);
    report.check(
        format!("RSS grew by {} KiB (limit {} KiB)", growth >> 10, RSS_GROWTH_LIMIT >> 10),
        growth < RSS_GROWTH_LIMIT,
        || format!("RSS grew from {} KiB to {} KiB", rss_base >> 10, rss_end >> 10),
    );
    let left = kernel.shutdown();
    report.check("shutdown unloaded every module", left.is_empty(), || format!("left loaded: {left:?}"));
    drop(kernel);
    let after = process::threads_settle_to(threads_before_boot, Duration::from_secs(5));
    report.check("every kernel thread stopped at shutdown", after <= threads_before_boot, || {
        format!("threads: {threads_before_boot} before boot, {after} after shutdown")
    });
    report
}

/// Keeps every KERN_INFO-and-above record as it is logged: the ledger's
/// lines must survive the per-item KERN_DEBUG flood that wraps the ring.
fn capture_info(kernel: &Kernel) -> Arc<Mutex<Vec<Record>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    kernel.printk().set_console_level(7);
    kernel.printk().set_console(Some(Box::new(move |record: &Record| sink.lock_ok().push(record.clone()))));
    log
}

/// One full load and unload of the lab, so that the figures taken after it
/// count what the run leaks, not the pools and caches a first use fills.
fn warm_up(kernel: &Kernel, lab: &mut Lab, watchdog: &Watchdog, report: &mut Report) {
    let load = [
        Op::InsmodFifo { size: 8 },
        Op::InsmodProducer { name: "producer", item: "warm".into(), rate: 1000 },
        Op::InsmodConsumer { name: "consumer", rate: 500 },
        Op::Pause { ms: 100 },
    ];
    for op in &load {
        step(kernel, lab, op, watchdog, report);
    }
    unload_all(kernel, lab, watchdog, report);
    report.operations.clear();
}

/// Runs one operation under the watchdog and checks its outcome and time.
fn step(kernel: &Kernel, lab: &mut Lab, op: &Op, watchdog: &Watchdog, report: &mut Report) {
    let expected = lab.expect(op);
    watchdog.arm(op.to_string());
    let started = Instant::now();
    let outcome = op.run(kernel);
    let took = started.elapsed();
    watchdog.disarm();

    let tally = report.operations.entry(op.kind()).or_default();
    if outcome.is_ok() {
        tally.0 += 1
    } else {
        tally.1 += 1
    }
    if !matches!(op, Op::Pause { .. }) {
        if took > report.slowest.0 {
            report.slowest = (took, op.to_string());
        }
        if took > OP_BOUND {
            report.failures.push(format!("{op}: took {took:?}, more than {OP_BOUND:?}"));
        }
    }
    if outcome != expected {
        report.failures.push(format!("{op}: expected {expected:?}, got {outcome:?} (loaded: {:?})", lab.loaded()));
    }
    if outcome.is_ok() {
        lab.apply(op);
    }
}

/// What lsmod shows must be what the soak believes is loaded.
fn check_lsmod(kernel: &Kernel, lab: &Lab, report: &mut Report) {
    let mut shown: Vec<String> = kernel.lsmod().into_iter().map(|m| m.name).collect();
    shown.sort();
    if shown != lab.loaded() {
        report.failures.push(format!("lsmod shows {shown:?}, expected {:?}", lab.loaded()));
    }
}

/// Unloads consumers and producers, then the fifo.
fn unload_all(kernel: &Kernel, lab: &mut Lab, watchdog: &Watchdog, report: &mut Report) {
    for name in CONSUMERS.iter().chain(&PRODUCERS).chain(&["fifo"]) {
        if lab.is_loaded(name) {
            step(kernel, lab, &Op::Rmmod { name }, watchdog, report);
        }
    }
    check_lsmod(kernel, lab, report);
}

fn check_operations(report: &mut Report) {
    let total: u64 = report.operations.values().map(|(ok, refused)| ok + refused).sum();
    let wrong = report.failures.iter().filter(|f| f.contains(": expected ")).count();
    let slow = report.failures.iter().filter(|f| f.contains(": took ")).count();
    report.invariants.push((format!("{total} operations: each gave the outcome the loaded set calls for"), wrong == 0));
    report.invariants.push((format!("each returned within {OP_BOUND:?} (slowest: {:?})", report.slowest.0), slow == 0));
    let lsmod = report.failures.iter().any(|f| f.starts_with("lsmod shows"));
    report.invariants.push(("lsmod always showed what was loaded".into(), !lsmod));
}

fn check_ledger(records: Vec<Record>, report: &mut Report) {
    let ledger = ledger::balance(records, &PRODUCERS, &CONSUMERS);
    let held = ledger.failures.is_empty();
    report.invariants.push((
        format!(
            "the item ledger balances over {} fifo lifetimes ({} items put, {} discarded at unload)",
            ledger.lifetimes, ledger.items, ledger.discarded
        ),
        held,
    ));
    report.failures.extend(ledger.failures);
}

/// Nothing of the modules is left: tasks, threads, mapped libraries.
fn check_leftovers(kernel: &Kernel, threads_base: usize, report: &mut Report) {
    let tasks: Vec<String> = kernel.ps().into_iter().filter(|t| t.module.is_some()).map(|t| t.command).collect();
    report.check("no module task left", tasks.is_empty(), || format!("module tasks left: {tasks:?}"));
    let threads = process::threads_settle_to(threads_base, Duration::from_secs(5));
    report.check(format!("thread count back to its baseline ({threads_base})"), threads <= threads_base, || {
        format!("threads: {threads_base} after the warm-up, {threads} at the end")
    });
    let pinned = kernel.pinned_libraries();
    let mapped = process::mappings_of(&FILES);
    report.check("no plugin library left mapped", pinned.is_empty() && mapped.is_empty(), || {
        format!("libraries left: pinned {pinned:?}, mapped {mapped:?}")
    });
}

/// No oops, warning, bug or hung task; no taint.
fn check_health(kernel: &Kernel, log: &[Record], report: &mut Report) {
    const TROUBLE: [&str; 4] = ["Oops:", "WARNING:", "BUG:", "INFO: task"];
    let trouble: Vec<&str> =
        log.iter().map(|r| r.text.as_str()).filter(|t| TROUBLE.iter().any(|m| t.contains(m))).collect();
    report.check("no oops, warning, BUG or hung task in the log", trouble.is_empty(), || {
        format!("the log reports trouble: {}", trouble.join(" | "))
    });
    let taint = kernel.taint().letters();
    report.check("the kernel is not tainted", kernel.taint().mask() == 0, || format!("tainted: {taint}"));
}

/// Aborts the process if an operation runs longer than [`HANG_LIMIT`].
#[derive(Debug)]
struct Watchdog {
    current: Arc<Mutex<Option<(Instant, String)>>>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::default();
        let watched = Arc::downgrade(&current);
        thread::Builder::new()
            .name("soak-watchdog".into())
            .spawn(move || {
                while let Some(current) = watched.upgrade() {
                    if let Some((since, op)) = &*current.lock_ok()
                        && since.elapsed() > HANG_LIMIT
                    {
                        eprintln!("soak: {op}: no return after {HANG_LIMIT:?}; the host hangs");
                        std::process::abort();
                    }
                    drop(current);
                    thread::sleep(Duration::from_millis(100));
                }
            })
            .expect("the watchdog thread starts");
        Watchdog { current }
    }

    fn arm(&self, op: String) {
        *self.current.lock_ok() = Some((Instant::now(), op));
    }

    fn disarm(&self) {
        *self.current.lock_ok() = None;
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "soak: seed {}, {:.1} s", self.seed, self.elapsed.as_secs_f64())?;
        writeln!(f, "operations (ok / refused as required):")?;
        for (kind, (ok, refused)) in &self.operations {
            writeln!(f, "  {kind:<24} {ok:>6} / {refused}")?;
        }
        writeln!(f, "slowest: {} ({:?})", self.slowest.1, self.slowest.0)?;
        writeln!(f, "invariants:")?;
        for (what, held) in &self.invariants {
            writeln!(f, "  [{}] {what}", if *held { "ok" } else { "FAILED" })?;
        }
        for failure in &self.failures {
            writeln!(f, "FAILED: {failure}")?;
        }
        Ok(())
    }
}

/// A lock that shrugs off poisoning: a panic elsewhere must not hide what
/// the soak recorded.
trait LockOk<T> {
    fn lock_ok(&self) -> MutexGuard<'_, T>;
}

impl<T> LockOk<T> for Mutex<T> {
    fn lock_ok(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|e| e.into_inner())
    }
}
