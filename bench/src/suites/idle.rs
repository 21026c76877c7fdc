//! The `idle` suite: what the lab costs the CPU while it has almost nothing to do.
//!
//! Ours: a kernel with fifo, a producer and a consumer at `rate=1` loaded,
//! left half a second to settle, then the process's CPU time (every thread,
//! user + system) over `WINDOW`. The peer: the same measurement of a bare
//! thread that sleeps one second in a loop, with no kernel in the process.
//! The two alternate for `ROUNDS` windows each; a figure is CPU µs per
//! second of wall time (1 µs/s is 0.0001 % of a core).
//!
//! A second figure loads only fifo and a producer at `rate=1` (its fifo
//! large enough never to fill): a host whose only activity is one delayed
//! work firing once a second. Target: at most 2 × the peer.
//!
//! Target: the design's tickless promise, "an idle host costs nothing"
//! beyond its work. At rate 1 the lab has two things to do each second (a
//! put and a get), each a timer expiry that wakes a worker: about four
//! thread wake-ups per second against the bare thread's one, so ours at
//! most 4 × the peer. A host ticking at `HZ` = 250 would pay about 250.
//! The project's baselines measured the bare thread at about 70 µs of CPU
//! per wake-up on the 2-vCPU machine.
//!
//! Kernel counterpart: `NO_HZ_IDLE` (`kernel/time/tick-sched.c`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use super::{modules, process::cpu_time};
use crate::report::Figure;

pub(crate) const ABOUT: &str = "process CPU time while the lab idles at rate 1, or one delayed work fires \
    once a second, against a bare thread sleeping 1 s in a loop (CPU µs per wall second)";

const WINDOW: Duration = Duration::from_secs(2);
const ROUNDS: usize = 3;

/// The whole lab at rate 1.
const LAB: &[(&str, &str)] = &[("fifo.so", ""), ("producer.so", "rate=1"), ("consumer.so", "rate=1")];
/// One delayed work a second: a producer at rate 1 into a fifo it never fills.
const ONE_WORK: &[(&str, &str)] = &[("fifo.so", "size=4096"), ("producer.so", "rate=1")];

pub(crate) fn run() -> Vec<Figure> {
    let (mut lab, mut one_work, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(bare_thread());
        lab.push(loaded(LAB));
        one_work.push(loaded(ONE_WORK));
    }
    let peer = ("thread sleeping 1 s", bare.as_slice());
    vec![
        Figure::paired("idle.cpu.lab_rate1.vs_sleeping_thread".into(), "µs/s", &lab, peer).target(4.0),
        Figure::paired("idle.cpu.one_delayed_work.vs_sleeping_thread".into(), "µs/s", &one_work, peer).target(2.0),
    ]
}

/// CPU µs per second over `WINDOW`, with `modules` loaded and settled.
fn loaded(modules: &[(&str, &str)]) -> f64 {
    let kernel = modules::boot();
    for (file, args) in modules {
        kernel.insmod(file, args).unwrap_or_else(|e| panic!("idle: insmod {file}: {e}"));
    }
    // Loading wakes everything once; the window starts after that has passed.
    thread::sleep(Duration::from_millis(500));
    let cost = cpu_per_second(|| thread::sleep(WINDOW));
    assert!(kernel.shutdown().is_empty(), "idle: shutdown left modules loaded");
    cost
}

/// CPU µs per second over `WINDOW`, with a thread sleeping one second at a time.
fn bare_thread() -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let sleeper = thread::spawn(move || {
        while !stopped.load(Ordering::Relaxed) {
            thread::park_timeout(Duration::from_secs(1));
        }
    });
    let cost = cpu_per_second(|| thread::sleep(WINDOW));
    stop.store(true, Ordering::Relaxed);
    sleeper.thread().unpark();
    sleeper.join().expect("the sleeper does not panic");
    cost
}

/// The process's CPU µs per wall second while `wait` runs.
fn cpu_per_second(wait: impl FnOnce()) -> f64 {
    let (cpu, wall) = (cpu_time(), Instant::now());
    wait();
    (cpu_time() - cpu).as_secs_f64() * 1e6 / wall.elapsed().as_secs_f64()
}
