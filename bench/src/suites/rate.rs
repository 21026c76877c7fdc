//! The `rate` suite: the producer's achieved rate against the requested one.
//!
//! One kernel (real clock, `HZ` = 250) loads fifo with 4096 slots and, side
//! by side, a shipped producer (ours: absolute deadlines, several items per
//! run above `HZ`) and a `naive_producer` (the peer: one item per run,
//! re-armed at `jiffies + HZ/rate`) for each requested rate: 1, 5, 100,
//! `HZ`, 10 × `HZ` and 100 × `HZ` items per second. A benchmark thread
//! drains the fifo with `fifo_get_timeout` as fast as items come, and the
//! fifo is large enough that no producer ever waits on it: this measures
//! the schedule, not back-pressure. After `SECONDS` each instance's
//! `/proc/NAME` gives the items it produced and when its first and latest
//! went in; the achieved rate is `(produced - 1) / (latest - first)`, which
//! is exact for a steady producer whatever the phase of the reading.
//!
//! Above `HZ` the naive period `HZ/rate` is 0, so the peer requeues itself
//! at once and produces as fast as the machine lets it. Running two such
//! busy loops beside ours would measure how well ours survives two saturated
//! vCPUs rather than its schedule, so the peer's two rates above `HZ` run
//! afterwards, together, for `BUSY_SECONDS`, in the same kernel.
//!
//! Target: ours within ±0.5 % of the requested rate over 10 s, at
//! 1 to 10 × `HZ`; the suite holds 100 × `HZ` to the same.
//!
//! Kernel counterpart: none; the lab's producer module.

use modhost::Kernel;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use fifo_api::FifoItem;

use super::modules::{self, proc_field};
use crate::report::Figure;

pub(crate) const ABOUT: &str = "achieved rate over 10 s of a producer asked for N items/s \
    (items/s; peer: re-armed at jiffies + HZ/rate; its rates above HZ run after, alone, for 2 s)";

/// How long every producer runs.
const SECONDS: u64 = 10;
/// How long the peer's busy loops (rates above `HZ`) run.
const BUSY_SECONDS: u64 = 2;
/// The fifo's slots: the most it takes, so that no producer waits.
const SLOTS: u32 = 4096;
/// The requested rates (from the lab sheet to 100 × HZ).
const RATES: [Rate; 6] =
    [Rate::PerSecond(1), Rate::PerSecond(5), Rate::PerSecond(100), Rate::Hz(1), Rate::Hz(10), Rate::Hz(100)];

/// A requested rate: in items per second, or as a multiple of `HZ`.
#[derive(Clone, Copy, Debug)]
enum Rate {
    PerSecond(u32),
    Hz(u32),
}

impl Rate {
    /// Items per second at `hz`.
    fn at(self, hz: u32) -> u32 {
        match self {
            Rate::PerSecond(rate) => rate,
            Rate::Hz(times) => times * hz,
        }
    }

    /// `r100`, `hz`, `10hz`: the figure's case.
    fn label(self) -> String {
        match self {
            Rate::PerSecond(rate) => format!("r{rate}"),
            Rate::Hz(1) => "hz".into(),
            Rate::Hz(times) => format!("{times}hz"),
        }
    }
}

pub(crate) fn run() -> Vec<Figure> {
    let kernel = modules::boot();
    let hz = kernel.clock().hz();
    kernel.insmod("fifo.so", &format!("size={SLOTS}")).unwrap_or_else(|e| panic!("rate: insmod fifo.so: {e}"));
    let drain = Drain::start(&kernel);
    let rates = RATES.map(|r| r.at(hz));
    let (paced, busy): (Vec<u32>, Vec<u32>) = rates.iter().partition(|&&r| r <= hz);
    for &rate in &rates {
        insmod(&kernel, "producer", rate);
    }
    for &rate in &paced {
        insmod(&kernel, "naive_producer", rate);
    }
    thread::sleep(Duration::from_secs(SECONDS));
    let ours = rates.map(|rate| achieved(&kernel, "producer", rate));
    let mut naive: Vec<f64> = paced.iter().map(|&rate| achieved(&kernel, "naive_producer", rate)).collect();
    unload(&kernel, "producer", &rates);
    unload(&kernel, "naive_producer", &paced);

    for &rate in &busy {
        insmod(&kernel, "naive_producer", rate);
    }
    thread::sleep(Duration::from_secs(BUSY_SECONDS));
    naive.extend(busy.iter().map(|&rate| achieved(&kernel, "naive_producer", rate)));
    unload(&kernel, "naive_producer", &busy);
    drain.stop();
    kernel.rmmod("fifo").unwrap_or_else(|e| panic!("rate: rmmod fifo: {e}"));

    let peer = "naive jiffies + HZ/rate";
    (RATES.iter().zip(rates).zip(ours.iter().zip(&naive)))
        .map(|((r, rate), (&ours, &naive))| {
            let key = format!("rate.achieved.{}.vs_naive", r.label());
            Figure::paired(key, "items/s", &[ours], (peer, &[naive])).target_within(f64::from(rate), 0.005)
        })
        .collect()
}

/// The instance of `module` for `rate`: `producer_250`.
fn instance(module: &str, rate: u32) -> String {
    format!("{module}_{rate}")
}

fn insmod(kernel: &Kernel, module: &str, rate: u32) {
    let name = instance(module, rate);
    let args = format!("item=R rate={rate}");
    kernel
        .insmod_named(format!("{module}.so"), Some(&name), &args)
        .unwrap_or_else(|e| panic!("rate: insmod {module}.so as {name}: {e}"));
}

fn unload(kernel: &Kernel, module: &str, rates: &[u32]) {
    for &rate in rates {
        kernel.rmmod(&instance(module, rate)).unwrap_or_else(|e| panic!("rate: rmmod: {e}"));
    }
}

/// Items per second from the instance's first item to its latest.
fn achieved(kernel: &Kernel, module: &str, rate: u32) -> f64 {
    let proc = format!("/proc/{}", instance(module, rate));
    let produced = proc_field(kernel, &proc, "produced");
    let span_ns = proc_field(kernel, &proc, "last_ns").saturating_sub(proc_field(kernel, &proc, "first_ns"));
    if produced < 2 || span_ns == 0 {
        return 0.0;
    }
    (produced - 1) as f64 * 1e9 / span_ns as f64
}

/// A benchmark thread that takes every item out of the fifo.
struct Drain {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<()>,
}

/// `fifo_get_timeout` as fifo exports it (`fifo_api`'s docs).
type GetTimeoutFn = extern "C" fn(&mut FifoItem, u64) -> i32;

impl Drain {
    fn start(kernel: &Kernel) -> Drain {
        let symbol = kernel.symbol_get("fifo_get_timeout").unwrap_or_else(|e| panic!("rate: symbol_get: {e}"));
        // SAFETY: fifo exports `fifo_get_timeout` as
        // `extern "C" fn(&mut FifoItem, u64) -> i32` (`fifo_api`, which the
        // benchmark uses too); the thread below holds `symbol`, which keeps
        // fifo loaded, for as long as it calls it.
        let get = unsafe { std::mem::transmute::<usize, GetTimeoutFn>(symbol.address()) };
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let _symbol = symbol;
            let mut item = FifoItem::EMPTY;
            while !stopped.load(Ordering::Relaxed) {
                // A short timeout, so that a stop is seen within 40 ms (10 jiffies).
                get(&mut item, 10);
            }
        });
        Drain { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the drain thread does not panic");
    }
}
