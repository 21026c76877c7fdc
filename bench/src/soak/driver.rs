//! Driving the host one operation at a time, in step with the model.
//!
//! Each step works out the outcome the model expects, runs the operation
//! under the watchdog, and compares: the outcome, then lsmod against the
//! model's loaded set. The first disagreement is kept as a [`Divergence`]
//! and the driver is out of step from then on: it stops checking, and the
//! soak stops choosing operations. To end cleanly it then takes the host's
//! lsmod as the truth and unloads that.

use super::{
    history::{Disagreement, Divergence, History, Outcome},
    model::{CONSUMERS, Lab, Op, PRODUCERS},
    watchdog::Watchdog,
};
use modhost::{Kernel, services::printk::Level};
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// What the soak drives: the kernel, or a stand-in in unit tests.
pub(crate) trait Host {
    /// Runs one operation.
    fn run(&self, op: &Op) -> Outcome;
    /// The names lsmod shows, sorted.
    fn lsmod(&self) -> Vec<String>;
    /// A mark in the log: what is logged from now on comes after it.
    fn log_mark(&self) -> u64;
    /// The KERN_INFO-and-above lines logged since `mark`.
    fn logged_since(&self, mark: u64) -> Vec<String>;
}

impl Host for Kernel {
    fn run(&self, op: &Op) -> Outcome {
        op.run(self)
    }

    fn lsmod(&self) -> Vec<String> {
        let mut shown: Vec<String> = Kernel::lsmod(self).into_iter().map(|m| m.name).collect();
        shown.sort();
        shown
    }

    fn log_mark(&self) -> u64 {
        self.printk().next_seq()
    }

    fn logged_since(&self, mark: u64) -> Vec<String> {
        let records = self.printk().records_since(mark).into_iter();
        records.filter(|r| r.level <= Level::Info).map(|r| r.to_string()).collect()
    }
}

/// How long one operation may take: an rmmod of a blocked producer is
/// meant to return within a second.
pub const OP_BOUND: Duration = Duration::from_secs(2);

/// At most this many lines of what was logged during a slow operation are
/// kept for the report.
const SLOW_LOG_LINES: usize = 40;

/// Steps, the model, and what was seen; see the module docs.
#[derive(Debug)]
pub(crate) struct Driver<'h, H> {
    host: &'h H,
    seed: u64,
    pub(crate) lab: Lab,
    history: History,
    watchdog: Watchdog,
    /// When the timed run started and how many operations came before
    /// it; `None` in the warm-up.
    run: Option<(Instant, u64)>,
    /// Per kind of operation: how many succeeded, how many were refused.
    pub(crate) tally: BTreeMap<&'static str, (u64, u64)>,
    /// The slowest operation and how long it took.
    pub(crate) slowest: (Duration, String),
    /// How long an operation may take: [`OP_BOUND`].
    pub(crate) bound: Duration,
    /// How many operations took longer than `bound`, and the first,
    /// with what was logged meanwhile and the operations before it.
    pub(crate) slow: (u64, Option<String>),
    /// The first disagreement between host and model.
    pub(crate) divergence: Option<Divergence>,
}

impl<'h, H: Host> Driver<'h, H> {
    pub(crate) fn new(host: &'h H, seed: u64, watchdog: Watchdog) -> Self {
        Driver {
            host,
            seed,
            lab: Lab::default(),
            history: History::default(),
            watchdog,
            run: None,
            tally: BTreeMap::new(),
            slowest: (Duration::ZERO, String::new()),
            bound: OP_BOUND,
            slow: (0, None),
            divergence: None,
        }
    }

    /// The timed run starts: the warm-up's tally is set aside.
    pub(crate) fn start_run(&mut self, now: Instant) {
        self.run = Some((now, self.history.count()));
        self.tally.clear();
    }

    /// How many operations ran since boot.
    pub(crate) fn operations(&self) -> u64 {
        self.history.count()
    }

    /// Runs `op` and checks it; returns whether host and model still agree.
    pub(crate) fn step(&mut self, op: &Op) -> bool {
        let expected = self.lab.expect(op);
        self.watchdog.arm(op.to_string());
        let (mark, started) = (self.host.log_mark(), Instant::now());
        let outcome = self.host.run(op);
        let took = started.elapsed();
        self.watchdog.disarm();
        self.history.push(op, expected, outcome);
        self.count(op, &outcome, took, mark);
        if self.divergence.is_some() {
            // Out of step: the model follows the host as best it can.
            if outcome.is_ok() {
                self.lab.apply(op);
            }
            return false;
        }
        if outcome != expected {
            let what = format!("{op}: the model expected {expected:?}, the host gave {outcome:?}");
            self.diverge(Disagreement::Outcome, what, self.lab.loaded());
            return false;
        }
        if outcome.is_ok() {
            self.lab.apply(op);
        }
        let (shown, believed) = (self.host.lsmod(), self.lab.loaded());
        if shown != believed {
            let what = format!("after {op} (gave {outcome:?}), lsmod shows {shown:?}, the model {believed:?}");
            self.diverge(Disagreement::Lsmod, what, believed);
            return false;
        }
        true
    }

    /// Unloads consumers and producers, then the fifo: what the model
    /// believes is loaded, or after a divergence what lsmod shows.
    pub(crate) fn unload_all(&mut self) {
        if self.divergence.is_some() {
            self.lab.adopt(&self.host.lsmod());
        }
        for name in CONSUMERS.iter().chain(&PRODUCERS).chain(&["fifo"]) {
            if self.lab.is_loaded(name) {
                self.step(&Op::Rmmod { name });
            }
        }
    }

    fn count(&mut self, op: &Op, outcome: &Outcome, took: Duration, mark: u64) {
        let tally = self.tally.entry(op.kind()).or_default();
        if outcome.is_ok() {
            tally.0 += 1
        } else {
            tally.1 += 1
        }
        if matches!(op, Op::Pause { .. }) {
            return;
        }
        if took > self.slowest.0 {
            self.slowest = (took, op.to_string());
        }
        if took > self.bound {
            self.slow.0 += 1;
            if self.slow.1.is_none() {
                self.slow.1 = Some(self.slow_report(op, took, mark));
            }
        }
    }

    /// A slow operation, what was logged while it ran, and what came before.
    fn slow_report(&self, op: &Op, took: Duration, mark: u64) -> String {
        let mut logged = self.host.logged_since(mark);
        let cut = logged.len().saturating_sub(SLOW_LOG_LINES);
        logged.drain(..cut);
        let mut report =
            format!("#{} {op}: took {took:?}\n  logged meanwhile, KERN_INFO and above:", self.history.count());
        logged.iter().for_each(|line| report.push_str(&format!("\n    {line}")));
        report.push_str("\n  the last operations:");
        self.history.lines().iter().for_each(|line| report.push_str(&format!("\n    {line}")));
        report
    }

    fn diverge(&mut self, kind: Disagreement, what: String, model: Vec<String>) {
        self.divergence = Some(Divergence {
            seed: self.seed,
            operation: self.history.count(),
            in_run: self.run.map(|(start, before)| (self.history.count() - before, start.elapsed())),
            kind,
            what,
            history: self.history.lines(),
            model,
            lsmod: self.host.lsmod(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{rng::Rng, soak::history::HISTORY};
    use modhost::ErrorKind;
    use std::cell::{Cell, RefCell};

    /// A host that behaves as the model says, except for one fault injected
    /// at a given operation.
    struct Faulty {
        lab: RefCell<Lab>,
        ran: Cell<u64>,
        fault_at: u64,
        fault: Fault,
    }

    enum Fault {
        /// The operation takes effect, but reports this error.
        Reports(ErrorKind),
        /// From the operation on, lsmod also shows this name.
        ShowsInLsmod(&'static str),
    }

    impl Faulty {
        fn new(fault_at: u64, fault: Fault) -> Faulty {
            Faulty { lab: RefCell::new(Lab::default()), ran: Cell::new(0), fault_at, fault }
        }
    }

    impl Host for Faulty {
        fn run(&self, op: &Op) -> Outcome {
            self.ran.set(self.ran.get() + 1);
            let mut lab = self.lab.borrow_mut();
            let outcome = lab.expect(op);
            if outcome.is_ok() {
                lab.apply(op);
            }
            match self.fault {
                Fault::Reports(kind) if self.ran.get() == self.fault_at => Err(kind),
                _ => outcome,
            }
        }

        fn log_mark(&self) -> u64 {
            0
        }

        fn logged_since(&self, _mark: u64) -> Vec<String> {
            (0..100).map(|n| format!("[    0.000000] line {n}")).collect()
        }

        fn lsmod(&self) -> Vec<String> {
            let mut shown = self.lab.borrow().loaded();
            if let Fault::ShowsInLsmod(name) = self.fault
                && self.ran.get() >= self.fault_at
            {
                shown.push(name.to_string());
                shown.sort();
            }
            shown
        }
    }

    /// Steps random operations until the driver falls out of step (or
    /// `limit` operations ran); returns how many ran.
    fn drive(driver: &mut Driver<'_, Faulty>, seed: u64, limit: u64) -> u64 {
        let mut rng = Rng::new(seed);
        for n in 1..=limit {
            let op = driver.lab.choose(&mut rng);
            if !driver.step(&op) {
                return n;
            }
        }
        limit
    }

    #[test]
    fn a_wrong_outcome_stops_the_run_and_is_reported_with_what_led_to_it() {
        // Operation 100 reports an error the model never expects; 20 come
        // before the timed run.
        let host = Faulty::new(100, Fault::Reports(ErrorKind::Busy));
        let mut driver = Driver::new(&host, 11, Watchdog::start());
        for _ in 0..20 {
            driver.step(&Op::Pause { ms: 0 });
        }
        driver.start_run(Instant::now());
        assert_eq!(drive(&mut driver, 11, 1000), 80, "the run stops at the wrong outcome");
        let divergence = driver.divergence.clone().expect("the divergence is kept");
        assert_eq!((divergence.operation, divergence.kind, divergence.seed), (100, Disagreement::Outcome, 11));
        assert_eq!(divergence.in_run.map(|(n, _)| n), Some(80));
        assert_eq!(divergence.history.len(), HISTORY);
        assert!(divergence.history[0].starts_with("#71 "), "{:?}", divergence.history);
        let last = divergence.history.last().expect("the diverging operation");
        assert!(last.starts_with("#100") && last.contains("-> Err(Busy) (the model expected"), "{last}");
        assert_eq!(divergence.lsmod, host.lsmod());

        let printed = divergence.to_string();
        assert!(printed.starts_with("divergence at operation #100, #80 of the run (seed 11):\n  "), "{printed}");
        assert!(printed.contains("the host gave Err(Busy)"), "{printed}");
        assert!(printed.contains(&format!("loaded, as the model had it: {:?}", divergence.model)), "{printed}");
        assert!(printed.contains(&format!("loaded, as lsmod showed it:  {:?}", divergence.lsmod)), "{printed}");
        assert!(printed.ends_with("replay: cargo run --release -p modhost-bench -- soak --seed 11 --seconds 1"));
        assert_eq!(printed.lines().count(), 2 + 1 + HISTORY + 3, "{printed}");
    }

    #[test]
    fn an_lsmod_that_disagrees_stops_the_run_at_the_operation_after_which_it_did() {
        let host = Faulty::new(50, Fault::ShowsInLsmod("ghost"));
        let mut driver = Driver::new(&host, 3, Watchdog::start());
        assert_eq!(drive(&mut driver, 3, 1000), 50);
        let divergence = driver.divergence.clone().expect("the divergence is kept");
        assert_eq!((divergence.operation, divergence.kind), (50, Disagreement::Lsmod));
        assert!(divergence.lsmod.contains(&"ghost".to_string()), "{divergence}");
        assert!(!divergence.model.contains(&"ghost".to_string()), "{divergence}");
    }

    #[test]
    fn after_a_divergence_the_run_unloads_what_the_host_shows() {
        // The producer loads but its insmod reports an error: the model
        // believes it is not loaded, and only lsmod knows better.
        let host = Faulty::new(2, Fault::Reports(ErrorKind::Busy));
        let mut driver = Driver::new(&host, 1, Watchdog::start());
        let ops = [
            Op::InsmodFifo { size: 8 },
            Op::InsmodProducer { name: "producer", item: "x".into(), rate: 10 },
            Op::InsmodConsumer { name: "consumer", rate: 10 },
        ];
        let in_step: Vec<bool> = ops.iter().map(|op| driver.step(op)).collect();
        assert_eq!(in_step, [true, false, false]);
        driver.unload_all();
        assert_eq!(host.lsmod(), Vec::<String>::new(), "{}", driver.divergence.expect("kept"));
    }

    #[test]
    fn the_first_slow_operation_is_reported_with_what_was_logged_meanwhile() {
        let host = Faulty::new(u64::MAX, Fault::Reports(ErrorKind::Busy));
        let mut driver = Driver::new(&host, 5, Watchdog::start());
        driver.bound = Duration::ZERO;
        driver.step(&Op::InsmodFifo { size: 8 });
        driver.step(&Op::Rmmod { name: "fifo" });
        let (count, first) = driver.slow.clone();
        let first = first.expect("the first slow operation is kept");
        assert_eq!(count, 2);
        assert!(first.starts_with("#1 insmod fifo.so size=8: took "), "{first}");
        assert!(first.contains("\n    [    0.000000] line 99"), "{first}");
        assert!(!first.contains("line 59\n"), "only the last {SLOW_LOG_LINES} lines: {first}");
        assert!(first.ends_with("\n  the last operations:\n    #1        insmod fifo.so size=8 -> Ok(())"), "{first}");
    }
}
