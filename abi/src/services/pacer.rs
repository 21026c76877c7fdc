//! A steady rate on absolute deadlines: how many things are due, and when the next one is.
//!
//! Re-arming a delayed work "now + HZ/rate" drifts (every period adds the
//! wake-up latency), truncates (`HZ/rate` is 0 for rates above `HZ`, which
//! the lab's modules turned into a busy loop, and a division by zero for
//! rate 0), and rounds every period up to whole jiffies. A [`Pacer`] instead
//! fixes item *k*'s deadline at `epoch + ceil(k × HZ / rate)` jiffies: late
//! runs catch up, several items are due per run when the rate is above `HZ`,
//! and the average rate is exact over any long enough window.
//!
//! A rate of 0 means paused: nothing is due. After a stall (the caller was
//! blocked), [`Pacer::restart`] starts a fresh schedule instead of bursting
//! everything that fell due meanwhile.
//!
//! Kernel counterpart: the `hrtimer_forward_now` idiom (absolute expiry,
//! overruns counted), `include/linux/hrtimer.h`.

use super::time::Jiffies;

/// A steady-rate schedule in jiffies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacer {
    /// Items per second; 0 is paused.
    rate: u32,
    /// Jiffies per second.
    hz: u64,
    /// When item 0 of this schedule was due.
    epoch: Jiffies,
    /// Items done since `epoch`.
    done: u64,
}

impl Pacer {
    /// A schedule of `rate` items per second whose first item is due at `now`.
    pub const fn new(rate: u32, now: Jiffies, hz: u64) -> Pacer {
        Pacer { rate, hz: if hz == 0 { 1 } else { hz }, epoch: now, done: 0 }
    }

    /// The rate, items per second.
    pub const fn rate(&self) -> u32 {
        self.rate
    }

    /// Jiffies at which item `k` of this schedule is due.
    const fn due_at(&self, k: u64) -> Jiffies {
        let offset = (k as u128 * self.hz as u128).div_ceil(self.rate as u128);
        Jiffies::from_raw(self.epoch.raw().wrapping_add(offset as u64))
    }

    /// How many items are due at `now` and not done yet.
    pub const fn due(&self, now: Jiffies) -> u64 {
        let elapsed = now.since(self.epoch) as i64;
        if self.rate == 0 || elapsed < 0 {
            return 0;
        }
        let due_total = (elapsed as u128 * self.rate as u128 / self.hz as u128) as u64 + 1;
        due_total.saturating_sub(self.done)
    }

    /// Records `n` items done.
    pub fn done(&mut self, n: u64) {
        self.done += n;
    }

    /// The delay to pass to `queue_delayed_work` at `now` so that the work
    /// runs when the next item is due; `None` when paused.
    ///
    /// A delay `d > 0` runs on the first tick after `now + d`, and 0 runs at
    /// once. So an item due now gets 0, one due `t > 1` ticks ahead gets
    /// `t - 1`, and one due on the very next tick gets 1, a tick late: no
    /// delay runs on the next tick, and 0 would spin until jiffies moves.
    /// The schedule is absolute, so the late run catches up and the rate
    /// holds.
    pub const fn delay(&self, now: Jiffies) -> Option<u64> {
        if self.rate == 0 {
            return None;
        }
        let until = self.due_at(self.done).since(now) as i64;
        Some(if until > 1 {
            until as u64 - 1
        } else if until == 1 {
            1
        } else {
            0
        })
    }

    /// Starts a fresh schedule at `now` (after a stall, nothing is owed).
    pub fn restart(&mut self, now: Jiffies) {
        self.epoch = now;
        self.done = 0;
    }

    /// Changes the rate from `now` on, the first item due at once; returns the old rate.
    pub fn set_rate(&mut self, rate: u32, now: Jiffies) -> u32 {
        let old = self.rate;
        self.rate = rate;
        self.restart(now);
        old
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a pacer the way a delayed work drives it, over `seconds`: runs
    /// happen on the tick after each requested delay. Returns items done.
    fn simulate(rate: u32, hz: u64, seconds: u64, start: u64) -> u64 {
        let start = Jiffies::from_raw(start);
        let mut pacer = Pacer::new(rate, start, hz);
        let end = start + seconds * hz;
        let mut now = start;
        let mut items = 0;
        while now < end {
            let due = pacer.due(now);
            pacer.done(due);
            items += due;
            let Some(delay) = pacer.delay(now) else { break };
            // A delay of 0 would run again on the same tick and find
            // nothing due: the spin `delay` must never ask for.
            assert!(delay > 0, "rate {rate}: a run with nothing left to do asked to run again at once");
            now += delay + 1;
        }
        items
    }

    #[test]
    fn the_rate_holds_below_at_and_above_hz() {
        for (rate, hz) in [(1, 250), (5, 250), (100, 250), (250, 250), (2500, 250), (7, 300), (1000, 1000)] {
            let items = simulate(rate, hz, 10, 1_000);
            // Deadlines are whole jiffies, and at a rate of HZ or more a run
            // comes every other tick: the items of the window's last two
            // ticks may fall into the next window, never more.
            let expected = u64::from(rate) * 10;
            let two_ticks = 2 * u64::from(rate).div_ceil(hz);
            assert!(items <= expected && expected - items < two_ticks, "rate {rate} at HZ={hz}: {items}");
        }
    }

    #[test]
    fn the_schedule_survives_the_jiffies_wrap() {
        assert_eq!(simulate(100, 250, 10, u64::MAX - 300), 1000);
    }

    fn j(raw: u64) -> Jiffies {
        Jiffies::from_raw(raw)
    }

    #[test]
    fn several_items_are_due_per_tick_above_hz() {
        let pacer = Pacer::new(2500, j(0), 250);
        assert_eq!(pacer.due(j(0)), 1);
        assert_eq!(pacer.due(j(1)), 11);
        assert_eq!(pacer.delay(j(0)), Some(0));
    }

    #[test]
    fn a_late_run_catches_up_and_rate_zero_pauses() {
        let mut pacer = Pacer::new(5, j(0), 250);
        pacer.done(1);
        assert_eq!(pacer.delay(j(0)), Some(49), "item 1 is due at jiffy 50");
        assert_eq!(pacer.due(j(120)), 2, "items 1 and 2 are due by jiffy 120");
        assert_eq!(pacer.set_rate(0, j(120)), 5);
        assert_eq!(pacer.due(j(1000)), 0);
        assert_eq!(pacer.delay(j(1000)), None);
    }

    #[test]
    fn a_restart_forgives_what_fell_due_during_a_stall() {
        let mut pacer = Pacer::new(10, j(0), 100);
        pacer.done(1);
        assert_eq!(pacer.due(j(100)), 10);
        pacer.restart(j(100));
        pacer.done(1);
        assert_eq!(pacer.due(j(100)), 0);
        assert_eq!(pacer.delay(j(100)), Some(9));
    }
}
