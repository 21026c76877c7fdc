//! The soak: random module operations under traffic, with invariants checked.
//!
//! A soak boots a kernel on the real clock and, for a while, does what a
//! careless user would: insmod and rmmod fifo, producers and consumers in
//! any order, `modprobe -r`, rate writes through /sys, bad parameters,
//! reads of /proc, all while items flow at rates from paused to 20×HZ. Each
//! operation must give the outcome the loaded set calls for ([`model`]),
//! after which lsmod must show that set, and return within [`OP_BOUND`]; a
//! watchdog aborts the process if one hangs ([`watchdog`]). The first
//! disagreement stops the run and is reported with the operations that led
//! to it and the seed that replays it ([`history`]). At the end it unloads
//! everything and checks that the item ledger balances
//! ([`modhost::check::ledger`], which `modhost check` reads too), that
//! no module task, thread or mapped library is left, that nothing oopsed,
//! warned or hung, and that the RSS grew by less than [`RSS_GROWTH_LIMIT`]
//! from a baseline taken after a warm-up ([`memory`]). The same seed gives
//! the same operations.
//!
//! It reads process-wide figures ([`process`]), so it runs alone in its
//! process: `modhost-bench soak --seconds N`, or `tests/tests/soak.rs`.

mod console;
mod driver;
mod history;
mod memory;
mod model;
mod process;
mod watchdog;

pub use driver::OP_BOUND;
pub use history::{Disagreement, Divergence};
pub use memory::{Memory, RSS_GROWTH_LIMIT, Sample};
pub use watchdog::HANG_LIMIT;

use crate::rng::Rng;
use console::Console;
use driver::Driver;
use model::{CONSUMERS, Op, PRODUCERS};
use modhost::{
    Kernel,
    check::ledger::{Ledger, Role},
};
use std::{
    collections::BTreeMap,
    fmt,
    path::Path,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};
use watchdog::Watchdog;

/// The plugin files the soak loads.
const FILES: [&str; 3] = ["libfifo.so", "libproducer.so", "libconsumer.so"];

/// How long the warm-up waits at most for the printk ring to fill, and
/// runs random operations at most.
const WARM_UP_LIMIT: Duration = Duration::from_secs(60);

/// At most this many failure lines are kept; the rest are counted.
const MAX_FAILURES: usize = 20;

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
    /// Where host and model first disagreed, if they did.
    pub divergence: Option<Divergence>,
    pub memory: Memory,
    /// Every invariant checked, with whether it held.
    pub invariants: Vec<(String, bool)>,
    /// What went wrong, one line each (the first [`MAX_FAILURES`]); empty
    /// when the run passed.
    pub failures: Vec<String>,
    /// Failures beyond those kept.
    pub more_failures: u64,
}

impl Report {
    fn check(&mut self, what: impl Into<String>, held: bool, failure: impl FnOnce() -> String) {
        self.invariants.push((what.into(), held));
        if !held {
            self.fail(failure());
        }
    }

    fn fail(&mut self, line: String) {
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(line);
        } else {
            self.more_failures += 1;
        }
    }

    /// How many operations the timed run made.
    pub fn operation_count(&self) -> u64 {
        self.operations.values().map(|(ok, refused)| ok + refused).sum()
    }
}

/// Runs a soak for `duration` with the modules found in `module_dir`.
pub fn run(module_dir: &Path, duration: Duration, seed: u64) -> Report {
    let mut report = Report { seed, ..Report::default() };
    let watchdog = Watchdog::start();
    let threads_before_boot = process::threads();
    let kernel = Kernel::builder().module_path(module_dir).boot();
    let mut soak = Soak {
        kernel: &kernel,
        driver: Driver::new(&kernel, seed, watchdog),
        console: Console::attach(&kernel),
        ledger: lab_ledger(),
        // The warm-up's random operations come from a stream of their
        // own, so that the run's depend on the seed alone.
        rng: Rng::new(!seed),
    };

    report.memory = soak.warm_up(warm_up_time(duration));
    let threads_base = process::threads();
    let start = Instant::now();
    soak.driver.start_run(start);
    soak.rng = Rng::new(seed);
    soak.random_steps(start, duration, |at| report.memory.sample_if_due(at, duration));
    soak.driver.unload_all();
    soak.settle();
    soak.ledger.close_books();
    report.elapsed = start.elapsed();
    report.memory.end = Sample::now();

    let Soak { driver, console, ledger, .. } = soak;
    check_operations(&driver, &mut report);
    check_ledger(ledger, &mut report);
    check_leftovers(&kernel, threads_base, &mut report);
    check_health(&kernel, &console, &mut report);
    check_memory(&mut report);
    drop(driver);
    let left = kernel.shutdown();
    report.check("shutdown unloaded every module", left.is_empty(), || format!("left loaded: {left:?}"));
    drop(kernel);
    let after = process::threads_settle_to(threads_before_boot, Duration::from_secs(5));
    report.check("every kernel thread stopped at shutdown", after <= threads_before_boot, || {
        format!("threads: {threads_before_boot} before boot, {after} after shutdown")
    });
    report
}

/// How long a run of `duration` warms up with random operations: a tenth
/// of it, at most [`WARM_UP_LIMIT`].
fn warm_up_time(duration: Duration) -> Duration {
    (duration / 10).min(WARM_UP_LIMIT)
}

/// A run in progress: the kernel, the driver in step with the model, and
/// the books the console feeds.
struct Soak<'k> {
    kernel: &'k Kernel,
    driver: Driver<'k, Kernel>,
    console: Console,
    ledger: Ledger,
    rng: Rng,
}

impl Soak<'_> {
    /// Brings the host's bounded stores to their bounds before the
    /// baseline is taken: loads each module file under each instance name
    /// the run uses, touches each kind of operation, lets short items flow
    /// until the printk ring wraps, unloads everything; then runs random
    /// operations for `random` (allocator caches, high-water marks of
    /// objects and threads settle), and unloads everything again. Returns
    /// the memory figures with the baseline.
    fn warm_up(&mut self, random: Duration) -> Memory {
        let started = Instant::now();
        let mut load = vec![Op::InsmodFifo { size: 64 }, Op::InsmodBadParam { name: "producer" }];
        load.extend(PRODUCERS.map(|name| Op::InsmodProducer { name, item: "w".into(), rate: 5000 }));
        load.extend(CONSUMERS.map(|name| Op::InsmodConsumer { name, rate: 5000 }));
        load.extend([Op::WriteRate { name: "producer", rate: 1000 }, Op::ReadStats]);
        for op in &load {
            self.driver.step(op);
            self.settle();
        }
        let ring_full = |kernel: &Kernel| kernel.printk().dropped() > 0;
        while !ring_full(self.kernel) && started.elapsed() < WARM_UP_LIMIT && self.driver.divergence.is_none() {
            self.driver.step(&Op::Pause { ms: 100 });
        }
        self.driver.step(&Op::ModprobeRemove { name: "consumer" });
        self.driver.unload_all();
        self.random_steps(Instant::now(), random, |_| {});
        self.driver.unload_all();
        self.settle();
        Memory {
            warm_up: started.elapsed(),
            warm_up_operations: self.driver.operations(),
            ring_full: ring_full(self.kernel),
            baseline: Sample::now(),
            ..Memory::default()
        }
    }

    /// Random operations from `start` for `length`, or until host and
    /// model disagree; `after_each` is told how far in each one ended.
    fn random_steps(&mut self, start: Instant, length: Duration, mut after_each: impl FnMut(Duration)) {
        while start.elapsed() < length && self.driver.divergence.is_none() {
            let op = self.driver.lab.choose(&mut self.rng);
            self.driver.step(&op);
            self.settle();
            after_each(start.elapsed());
        }
    }

    /// The ledger takes the lines logged since the last time.
    fn settle(&mut self) {
        self.ledger.take(self.console.ledger_lines());
    }
}

fn check_operations(driver: &Driver<'_, Kernel>, report: &mut Report) {
    report.operations = driver.tally.clone();
    report.slowest = driver.slowest.clone();
    report.divergence = driver.divergence.clone();
    let total = report.operation_count();
    let diverged = |kind| report.divergence.as_ref().is_some_and(|d| d.kind == kind);
    let (outcome, lsmod) = (diverged(Disagreement::Outcome), diverged(Disagreement::Lsmod));
    report.invariants.push((format!("{total} operations: each gave the outcome the loaded set calls for"), !outcome));
    report.invariants.push(("lsmod always showed what was loaded".into(), !lsmod));
    if let Some(divergence) = &report.divergence {
        let line = divergence.to_string();
        report.fail(line);
    }
    let (slow, first) = &driver.slow;
    report.check(format!("each returned within {OP_BOUND:?} (slowest: {:?})", driver.slowest.0), *slow == 0, || {
        format!("{slow} operations took more than {OP_BOUND:?}, the first: {}", first.as_deref().unwrap_or("?"))
    });
}

/// The item ledger ([`modhost::check::ledger`]), told which instances
/// produce and which consume.
fn lab_ledger() -> Ledger {
    let mut ledger = Ledger::new();
    PRODUCERS.iter().for_each(|name| ledger.set_role(name, Role::Producer));
    CONSUMERS.iter().for_each(|name| ledger.set_role(name, Role::Consumer));
    ledger
}

fn check_ledger(ledger: Ledger, report: &mut Report) {
    report.invariants.push((
        format!(
            "the item ledger balances over {} fifo lifetimes ({} items put, {} discarded at unload)",
            ledger.lifetimes, ledger.items, ledger.left
        ),
        ledger.failures.is_empty(),
    ));
    ledger.failures.into_iter().for_each(|failure| report.fail(failure.text));
    report.more_failures += ledger.more_failures;
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
fn check_health(kernel: &Kernel, console: &Console, report: &mut Report) {
    let (trouble, more) = console.trouble();
    report.check("no oops, warning, BUG or hung task in the log", trouble.is_empty(), || {
        format!("the log reports trouble: {} (and {more} more)", trouble.join(" | "))
    });
    let taint = kernel.taint().letters();
    report.check("the kernel is not tainted", kernel.taint().mask() == 0, || format!("tainted: {taint}"));
}

fn check_memory(report: &mut Report) {
    let memory = &report.memory;
    let (growth, baseline, end) = (memory.rss_growth(), memory.baseline.rss, memory.end.rss);
    report.check(
        format!("RSS grew by {} KiB after the warm-up (limit {} KiB)", growth >> 10, RSS_GROWTH_LIMIT >> 10),
        growth < RSS_GROWTH_LIMIT,
        || format!("RSS grew from {} KiB after the warm-up to {} KiB", baseline >> 10, end >> 10),
    );
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "soak: seed {}, {:.1} s", self.seed, self.elapsed.as_secs_f64())?;
        writeln!(f, "operations (ok / refused as required):")?;
        for (kind, (ok, refused)) in &self.operations {
            writeln!(f, "  {kind:<24} {ok:>6} / {refused}")?;
        }
        writeln!(f, "slowest: {} ({:?})", self.slowest.1, self.slowest.0)?;
        writeln!(f, "{}", self.memory)?;
        writeln!(f, "invariants:")?;
        for (what, held) in &self.invariants {
            writeln!(f, "  [{}] {what}", if *held { "ok" } else { "FAILED" })?;
        }
        for failure in &self.failures {
            writeln!(f, "FAILED: {failure}")?;
        }
        if self.more_failures > 0 {
            writeln!(f, "FAILED: and {} more", self.more_failures)?;
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
