//! The `lateness` suite: how late a 10 ms timer runs, against a bare thread.
//!
//! Ours: the `timerlat` module in a kernel on the real clock (`HZ` = 250)
//! re-arms a 10 ms timer from its own callback `SAMPLES` times and records,
//! for each run, the time it ran minus the tick on which the kernel's rules
//! first let it run (jiffies past `expires`). That is the cost of the timer
//! thread: waking at the tick and getting to the callback. The peer, in the
//! same run and at the same time, is a bare thread sleeping until absolute
//! deadlines as far apart (`std::thread::sleep`), measuring wake minus
//! deadline: what the operating system gives anyone.
//!
//! Target: p99 lateness at most one jiffy plus 200 µs.
//!
//! Kernel counterpart: `timerlat` of the kernel's latency tracers.

use std::{
    thread,
    time::{Duration, Instant},
};

use super::modules::{self, proc_field};
use crate::report::Figure;

pub(crate) const ABOUT: &str = "lateness of a 10 ms timer re-armed from its callback (µs after the tick it was due; \
    peer: a thread sleeping to absolute deadlines)";

/// Runs measured, on each side.
const SAMPLES: u32 = 300;
/// The timer's period.
const PERIOD_MS: u32 = 10;
const HZ: u32 = 250;

pub(crate) fn run() -> Vec<Figure> {
    let kernel = modules::boot();
    kernel.insmod("timerlat.so", &format!("period_ms={PERIOD_MS} samples={SAMPLES}")).expect("insmod timerlat.so");
    // The same spacing as the timer's: msecs_to_jiffies rounds 10 ms up to
    // whole jiffies, and the timer runs on the tick after.
    let jiffy = Duration::from_secs(1) / HZ;
    let spacing = jiffy * (PERIOD_MS.div_ceil(1000 / HZ) + 1);
    let peer = thread::spawn(move || sleeper(spacing, SAMPLES as usize));
    let deadline = Instant::now() + spacing * (SAMPLES + 50);
    while proc_field(&kernel, "/proc/timerlat", "samples") < u64::from(SAMPLES) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    let ours = |field| proc_field(&kernel, "/proc/timerlat", field) as f64 / 1000.0;
    let (p50, p99) = (ours("p50_ns"), ours("p99_ns"));
    kernel.rmmod("timerlat").expect("rmmod timerlat");
    let peer = peer.join().expect("the sleeper thread");
    let budget = jiffy.as_secs_f64() * 1e6 + 200.0;
    vec![
        Figure::paired("lateness.p50.timer10ms.vs_thread_sleep".into(), "µs", &[p50], ("thread sleep", &[peer.0])),
        Figure::paired("lateness.p99.timer10ms.vs_thread_sleep".into(), "µs", &[p99], ("thread sleep", &[peer.1]))
            .target_max(budget),
    ]
}

/// Sleeps to `samples` absolute deadlines `spacing` apart; returns the
/// p50 and p99 of wake minus deadline, in µs.
fn sleeper(spacing: Duration, samples: usize) -> (f64, f64) {
    let mut late = Vec::with_capacity(samples);
    let mut deadline = Instant::now() + spacing;
    for _ in 0..samples {
        thread::sleep(deadline.saturating_duration_since(Instant::now()));
        late.push(Instant::now().duration_since(deadline).as_secs_f64() * 1e6);
        deadline += spacing;
    }
    late.sort_by(f64::total_cmp);
    let at = |p: usize| late[(late.len() * p / 100).min(late.len() - 1)];
    (at(50), at(99))
}
