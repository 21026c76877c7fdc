//! timerlat: how late do timers run?
//!
//! A timer of `period_ms` (default 10) re-arms itself from its callback,
//! `samples` times, the way a driver polls. Each run records its lateness:
//! the time it ran minus the earliest time the kernel's rules let it run,
//! the tick on which jiffies passed `expires`. (That tick is itself up to
//! a jiffy after `period_ms`, by the kernel's rounding; that is the timer
//! API's contract, not lateness.) `/proc/timerlat` shows the percentiles.
//!
//! ```text
//! modhost# insmod timerlat.so samples=500
//! modhost# cat /proc/timerlat
//! samples: 500 of 500
//! p50_ns:  61020
//! ...
//! ```

#![deny(unsafe_code)]

use modhost_abi::{
    prelude::*,
    services::{
        proc::ProcFile,
        time::{HZ, initial_jiffies, jiffies, ktime_get_ns, msecs_to_jiffies},
        timer::{Timer, TimerRef},
    },
};
use std::sync::{Arc, Mutex};

module! {
    type: TimerLat,
    name: "timerlat",
    author: "modhost developers",
    description: "Measures the lateness of a periodic timer",
    license: "GPL",
    version: "1.0",
    params: {
        period_ms: uint { default: 10, perm: 0o444, description: "The timer's period in milliseconds" },
        samples: uint { default: 1000, perm: 0o444, description: "How many runs to measure" },
    },
}

struct TimerLat {
    _proc: ProcFile,
    /// Dropped before the samples it writes to.
    _timer: Timer,
}

/// Lateness of each run so far, in nanoseconds.
type Samples = Arc<Mutex<Vec<u64>>>;

impl Module for TimerLat {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let wanted = params::samples.get() as usize;
        let period = msecs_to_jiffies(params::period_ms.get());
        let samples: Samples = Arc::new(Mutex::new(Vec::with_capacity(wanted)));
        let recorded = Arc::clone(&samples);
        let timer = Timer::new(move |me: &TimerRef| {
            let late = ktime_get_ns().saturating_sub(due_ns(me.expires()));
            let mut samples = recorded.lock().unwrap_or_else(|e| e.into_inner());
            samples.push(late);
            if samples.len() < wanted {
                me.mod_timer(jiffies() + period);
            }
        })?;
        timer.mod_timer(jiffies() + period);
        let proc_file = ProcFile::create("timerlat", move || show(&samples, wanted))?;
        Ok(TimerLat { _proc: proc_file, _timer: timer })
    }
}

/// When a timer with `expires` may first run, in ns of uptime: the tick on
/// which jiffies becomes `expires + 1`.
fn due_ns(expires: Jiffies) -> u64 {
    let hz = HZ();
    let ticks = (expires + 1) - initial_jiffies(HZ());
    ticks.saturating_mul(1_000_000_000).div_ceil(hz)
}

/// `/proc/timerlat`.
fn show(samples: &Samples, wanted: usize) -> String {
    let mut sorted = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    sorted.sort_unstable();
    let at = |p: usize| sorted.get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1))).copied().unwrap_or(0);
    format!(
        "samples: {} of {wanted}\np50_ns:  {}\np99_ns:  {}\nmax_ns:  {}\n",
        sorted.len(),
        at(50),
        at(99),
        sorted.last().copied().unwrap_or(0)
    )
}
