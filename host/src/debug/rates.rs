//! The achieved rate of a work item or timer that re-arms itself.
//!
//! The lab's producer asks for `rate` items a second and gets what its work
//! item's runs achieve: `HZ / rate` rounds, a run that sleeps on a full
//! fifo takes the time it sleeps. Every work item and timer has a
//! [`RunMeter`]: its worker or the timer thread notes when each run starts
//! and ends on the kernel clock, and the entry layer notes a re-arming from
//! the object's own callback ([`RunMeter::rearmed`], with the call's site).
//! `/sys/kernel/debug/modhost/rates` (`crate::views::rates`) shows the
//! objects that re-armed themselves, and `modhost check` judges them.
//!
//! The rate is the runs that started in the last [`WINDOW`] of kernel
//! time (or since the first run, which is then the reference and not
//! counted) over that time: `n` runs in 10 s at 5 a second is 5.00/s
//! however the window falls. A meter keeps at most [`KEPT_RUNS`] runs; an
//! object that runs more often is measured over the time they span. The
//! time its runs spent in the callback is measured too: a producer waiting
//! in `fifo_put` for room achieves what the consumer lets it, which
//! [`Achieved::free_rate`] (the runs over the time outside the callback)
//! tells apart from a slow schedule.
//!
//! Locking: the meter's own lock, taken with no other held but the
//! worker's and the timer base's, which never wait for it.
//!
//! Kernel counterpart: none; the kernel's closest is `perf stat` of
//! `workqueue:workqueue_execute_start` tracepoints.

use modhost_abi::table::Site;
use parking_lot::Mutex;
use std::{collections::VecDeque, time::Duration};

use crate::services::entry::site_text;

/// The span of kernel time the rate is measured over.
pub(crate) const WINDOW: Duration = Duration::from_secs(10);

/// The most runs a meter keeps.
pub(crate) const KEPT_RUNS: usize = 1024;

/// One run: when it started and, once it returned, when it ended.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: Duration,
    end: Option<Duration>,
}

/// The runs of one work item or timer; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct RunMeter {
    state: Mutex<Meter>,
}

#[derive(Debug, Default)]
struct Meter {
    /// The runs kept, oldest first; only the newest may be running.
    runs: VecDeque<Run>,
    /// The start of the newest run no longer kept, if any.
    before: Option<Duration>,
    /// Where it last re-armed itself: the site's identity, and its text.
    rearmed: Option<((usize, u32, u32), String)>,
    /// A plain (not `_sync`) cancel returned while the newest run was in
    /// progress: what to tell if that run re-arms (the lab's bug).
    cancelled: Option<String>,
}

/// What a meter measured, at one moment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Achieved {
    /// Runs counted.
    pub(crate) runs: usize,
    /// The kernel time they are counted over.
    pub(crate) over: Duration,
    /// Of that time, how much a callback was running.
    pub(crate) in_callback: Duration,
    /// Where it re-armed itself.
    pub(crate) site: String,
}

impl Achieved {
    /// Runs per second; `None` before there is anything to count over (a
    /// single run), infinite when runs came with no time passing (a busy loop).
    pub(crate) fn rate(&self) -> Option<f64> {
        per_second(self.runs, self.over)
    }

    /// Runs per second of the time spent outside the callback: what the
    /// schedule achieved, whatever the callback waited for.
    pub(crate) fn free_rate(&self) -> Option<f64> {
        per_second(self.runs, self.over.saturating_sub(self.in_callback))
    }

    /// The share of the time a callback was running, 0 to 1.
    pub(crate) fn callback_share(&self) -> f64 {
        if self.over.is_zero() { 0.0 } else { self.in_callback.as_secs_f64() / self.over.as_secs_f64() }
    }
}

/// `runs` over `over`: see [`Achieved::rate`].
fn per_second(runs: usize, over: Duration) -> Option<f64> {
    match (runs, over.is_zero()) {
        (0, true) => None,
        (_, true) => Some(f64::INFINITY),
        (n, false) => Some(n as f64 / over.as_secs_f64()),
    }
}

impl RunMeter {
    /// A run starts at `now` (kernel uptime).
    pub(crate) fn started(&self, now: Duration) {
        let mut meter = self.state.lock();
        meter.forget_before(window_start(now));
        if meter.runs.len() >= KEPT_RUNS {
            meter.drop_oldest();
        }
        meter.runs.push_back(Run { start: now, end: None });
    }

    /// The running run ends at `now`.
    pub(crate) fn finished(&self, now: Duration) {
        let mut meter = self.state.lock();
        meter.cancelled = None;
        if let Some(run) = meter.runs.back_mut().filter(|r| r.end.is_none()) {
            run.end = Some(now);
        }
    }

    /// A plain cancel from another task returns now: if a run is in
    /// progress, it may still re-arm, and `why` is what to tell then.
    pub(crate) fn cancelled(&self, why: impl FnOnce() -> String) {
        let mut meter = self.state.lock();
        if meter.runs.back().is_some_and(|r| r.end.is_none()) {
            meter.cancelled = Some(why());
        }
    }

    /// Another task queued or armed it again after a plain cancel: that
    /// is the caller's intent, and the run's own re-arming is no bug.
    pub(crate) fn armed_by_another(&self) {
        self.state.lock().cancelled = None;
    }

    /// It re-armed itself from its own callback, at `site`; what to tell
    /// if a plain cancel returned while this run was in progress.
    pub(crate) fn rearmed(&self, site: &Site) -> Option<String> {
        let identity = (site.file.as_ptr() as usize, site.line, site.column);
        let mut meter = self.state.lock();
        if meter.rearmed.as_ref().is_none_or(|(known, _)| *known != identity) {
            meter.rearmed = Some((identity, site_text(site)));
        }
        meter.cancelled.take()
    }

    /// What it achieved by `now`, if it ever re-armed itself.
    pub(crate) fn achieved(&self, now: Duration) -> Option<Achieved> {
        let mut meter = self.state.lock();
        let site = meter.rearmed.as_ref()?.1.clone();
        let window_start = window_start(now);
        meter.forget_before(window_start);
        let (reference, runs) = match meter.before {
            Some(before) => (before, meter.runs.len()),
            None => (meter.runs.front().map_or(now, |r| r.start), meter.runs.len().saturating_sub(1)),
        };
        let from = window_start.map_or(reference, |start| reference.max(start));
        let in_callback = meter
            .runs
            .iter()
            .map(|r| r.end.unwrap_or(now).min(now).saturating_sub(r.start.max(from)))
            .sum::<Duration>();
        let over = now.saturating_sub(from);
        Some(Achieved { runs, over, in_callback: in_callback.min(over), site })
    }
}

/// Where the window ending at `now` starts (exclusive); `None` while it
/// reaches back to boot, before which nothing ran.
fn window_start(now: Duration) -> Option<Duration> {
    now.checked_sub(WINDOW)
}

impl Meter {
    /// Drops the finished runs that started at or before `start`, if any.
    fn forget_before(&mut self, start: Option<Duration>) {
        let Some(start) = start else { return };
        while self.runs.front().is_some_and(|r| r.start <= start && r.end.is_some()) {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some(run) = self.runs.pop_front() {
            self.before = Some(run.start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Site = Site { file: abi_stable::std_types::RStr::from_str("p.c"), line: 34, column: 0, ip: 0 };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Runs every `period` ms for `count` runs from 0, each `busy` ms long.
    fn meter(period: u64, count: u64, busy: u64) -> RunMeter {
        let meter = RunMeter::default();
        meter.rearmed(&SITE);
        for n in 0..count {
            meter.started(ms(n * period));
            meter.finished(ms(n * period + busy));
        }
        meter
    }

    #[test]
    fn only_a_cancel_during_a_run_is_told_and_only_to_that_run() {
        let meter = RunMeter::default();
        meter.cancelled(|| "idle".into());
        meter.started(ms(0));
        assert_eq!(meter.rearmed(&SITE), None, "a cancel between runs cannot be outrun");
        meter.cancelled(|| "during".into());
        assert_eq!(meter.rearmed(&SITE).as_deref(), Some("during"));
        assert_eq!(meter.rearmed(&SITE), None, "told once");
        meter.cancelled(|| "again".into());
        meter.finished(ms(1));
        meter.started(ms(2));
        assert_eq!(meter.rearmed(&SITE), None, "a run that ended without re-arming clears it");
        meter.cancelled(|| "then queued".into());
        meter.armed_by_another();
        assert_eq!(meter.rearmed(&SITE), None, "queued again by another task after the cancel");
    }

    #[test]
    fn a_steady_item_achieves_its_rate_however_the_window_falls() {
        let five = meter(200, 600, 0);
        let at_a_run = five.achieved(ms(119_800)).unwrap();
        assert_eq!((at_a_run.runs, at_a_run.over), (50, WINDOW));
        assert_eq!(at_a_run.rate(), Some(5.0));
        assert_eq!(at_a_run.site, "p.c:34");
        let between = five.achieved(ms(119_900)).unwrap().rate().unwrap();
        assert!((4.9..=5.1).contains(&between), "{between}");
        let young = meter(200, 6, 0).achieved(ms(1000)).unwrap();
        assert_eq!(young.rate(), Some(5.0), "the first run is the reference");
    }

    #[test]
    fn an_item_that_stops_falls_to_zero_and_one_run_is_too_early() {
        let stopped = meter(200, 50, 0);
        assert_eq!(stopped.achieved(ms(60_000)).unwrap().rate(), Some(0.0));
        let once = meter(200, 1, 0);
        assert_eq!(once.achieved(ms(0)).unwrap().rate(), None);
        assert_eq!(RunMeter::default().achieved(ms(5)), None, "never re-armed itself");
    }

    #[test]
    fn time_in_the_callback_is_told_from_the_schedule() {
        // Asked for 5 a second; each run waits 300 ms in its callback.
        let waiting = meter(500, 100, 300).achieved(ms(49_800)).unwrap();
        assert_eq!(waiting.rate(), Some(2.0));
        assert!((waiting.callback_share() - 0.6).abs() < 0.01, "{}", waiting.callback_share());
        assert!((waiting.free_rate().unwrap() - 5.0).abs() < 0.1, "{:?}", waiting.free_rate());
    }

    #[test]
    fn a_busy_loop_is_unbounded_and_the_kept_runs_are_bounded() {
        let busy = meter(0, 5000, 0);
        assert_eq!(busy.state.lock().runs.len(), KEPT_RUNS);
        assert_eq!(busy.achieved(ms(0)).unwrap().rate(), Some(f64::INFINITY));
        let fast = meter(1, 5000, 0).achieved(ms(4999)).unwrap();
        assert_eq!(fast.runs, KEPT_RUNS);
        assert!((fast.rate().unwrap() - 1000.0).abs() < 1.0, "{:?}", fast.rate());
    }
}
