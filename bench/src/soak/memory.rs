//! The soak's memory figures: a baseline after the warm-up, samples during
//! the run, and the end, so that growth is measured on the host alone.
//!
//! The baseline is taken once the warm-up has brought the host's bounded
//! stores to their bounds (the printk ring full, each module file and
//! instance name loaded once, then a tenth of the run's time, at most a
//! minute, of the same random operations), with nothing loaded; the end
//! figure is taken with nothing loaded again. The soak's own bookkeeping is bounded
//! (a ring of the last operations, the open ledger lifetime, a few failure
//! lines), so what grows in between is the host's.

use super::process;
use std::{fmt, time::Duration};

/// How much the RSS may grow between the warm-up and the end of the run.
pub const RSS_GROWTH_LIMIT: u64 = 1 << 20;

/// How many samples a run takes between baseline and end.
const SAMPLES: u32 = 10;

/// One reading of the process's memory.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Resident set size, bytes.
    pub rss: u64,
    /// Bytes the allocator has handed out and not had back.
    pub heap: u64,
}

impl Sample {
    pub(crate) fn now() -> Sample {
        Sample { rss: process::rss_bytes(), heap: process::heap_in_use() }
    }
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RSS {} KiB, heap {} KiB", self.rss >> 10, self.heap >> 10)
    }
}

/// A run's memory figures; see the module docs.
#[derive(Debug, Default, Clone)]
pub struct Memory {
    /// How long the warm-up took, and how many operations it made.
    pub warm_up: Duration,
    pub warm_up_operations: u64,
    /// Whether the warm-up filled the printk ring (it stops trying after
    /// a while; then the ring's filling counts as growth).
    pub ring_full: bool,
    /// After the warm-up, nothing loaded.
    pub baseline: Sample,
    /// At each tenth of the run, with whatever was loaded then.
    pub during: Vec<(Duration, Sample)>,
    /// After the run, nothing loaded.
    pub end: Sample,
}

impl Memory {
    /// Takes a sample if the run, `duration` long, has reached its next tenth.
    pub(crate) fn sample_if_due(&mut self, elapsed: Duration, duration: Duration) {
        let next = duration * (self.during.len() as u32 + 1) / SAMPLES;
        if elapsed >= next && self.during.len() < SAMPLES as usize {
            self.during.push((elapsed, Sample::now()));
        }
    }

    /// RSS growth from the baseline to the end (0 if it shrank).
    pub fn rss_growth(&self) -> u64 {
        self.end.rss.saturating_sub(self.baseline.rss)
    }
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = if self.ring_full { "printk ring full" } else { "printk ring NOT full" };
        writeln!(f, "memory (nothing loaded at baseline and end):")?;
        let (seconds, operations) = (self.warm_up.as_secs_f64(), self.warm_up_operations);
        writeln!(
            f,
            "  baseline after a {seconds:.1} s warm-up of {operations} operations ({full}): {}",
            self.baseline
        )?;
        for (at, sample) in &self.during {
            writeln!(f, "  at {:>7.1} s: {sample}", at.as_secs_f64())?;
        }
        writeln!(f, "  end: {}", self.end)?;
        let heap = self.end.heap as i64 - self.baseline.heap as i64;
        write!(f, "  growth: RSS {} KiB, heap {heap:+} B", self.rss_growth() >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_come_at_each_tenth_and_stop_at_ten() {
        let mut memory = Memory::default();
        let duration = Duration::from_secs(100);
        for ms in (0..200_000).step_by(100) {
            memory.sample_if_due(Duration::from_millis(ms), duration);
        }
        let at: Vec<u64> = memory.during.iter().map(|(at, _)| at.as_secs()).collect();
        assert_eq!(at, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    }
}
