//! Time: `jiffies`, `HZ`, conversions, and sleeping.
//!
//! `jiffies` counts ticks of the kernel clock and wraps (it starts five
//! minutes before the wrap, so wrap bugs show early). A point in jiffies is
//! a [`Jiffies`], whose arithmetic wraps and whose comparisons are the
//! kernel's `time_after` and friends, so `jiffies() + HZ()` and `a < b` are
//! right across the wrap; a span of jiffies is a plain `u64`. Conversions
//! round up, as the kernel's do, so a non-zero duration is never zero
//! jiffies.
//!
//! Sleeping (`msleep`, `schedule_timeout_*`, `usleep_range`) is for process
//! context; in a timer callback or under a spinlock it is a bug, which the
//! host reports. The busy waits (`udelay`, `mdelay`, `ndelay`) spin and are
//! allowed anywhere.
//!
//! Kernel counterpart: `include/linux/jiffies.h`, `kernel/time/time.c`,
//! `kernel/time/sleep_timeout.c`, `include/linux/delay.h`.

use abi_stable::StableAbi;
use core::{
    cmp::Ordering,
    fmt,
    ops::{Add, AddAssign, Sub, SubAssign},
};
use std::time::{Duration, Instant};

use crate::{
    runtime::{kernel, unless_killed},
    table::{Site, SleepMode, Timeout},
};

/// `MAX_SCHEDULE_TIMEOUT`: what `schedule_timeout` of an unbounded sleep returns.
pub const MAX_SCHEDULE_TIMEOUT: u64 = i64::MAX as u64;

/// `MAX_JIFFY_OFFSET`: what conversions return for out-of-range input.
pub const MAX_JIFFY_OFFSET: u64 = (i64::MAX as u64 >> 1) - 1;

/// A point in time, in jiffies: wrapping arithmetic, wrap-safe comparisons.
///
/// `Jiffies + n` and `Jiffies - n` (with `n` a `u64` span) wrap;
/// `a - b` is the span from `b` to `a`, wrapping; `a < b` is
/// `time_before(a, b)`, which holds across the wrap as long as the two are
/// less than half the range apart (the kernel's rule). The order is
/// therefore not total over the whole range: compare points that are near.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Jiffies(u64);

impl Jiffies {
    /// The point `raw` jiffies after zero.
    pub const fn from_raw(raw: u64) -> Jiffies {
        Jiffies(raw)
    }

    /// The raw count.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The span from `earlier` to `self`, wrapping (`self - earlier`).
    pub const fn since(self, earlier: Jiffies) -> u64 {
        self.0.wrapping_sub(earlier.0)
    }
}

impl PartialOrd for Jiffies {
    /// `time_before`/`time_after`; points exactly half the range apart are
    /// not comparable.
    fn partial_cmp(&self, other: &Jiffies) -> Option<Ordering> {
        match self.0.wrapping_sub(other.0) as i64 {
            i64::MIN => None,
            difference => Some(difference.cmp(&0)),
        }
    }
}

impl Add<u64> for Jiffies {
    type Output = Jiffies;

    fn add(self, span: u64) -> Jiffies {
        Jiffies(self.0.wrapping_add(span))
    }
}

impl AddAssign<u64> for Jiffies {
    fn add_assign(&mut self, span: u64) {
        *self = *self + span;
    }
}

impl Sub<u64> for Jiffies {
    type Output = Jiffies;

    fn sub(self, span: u64) -> Jiffies {
        Jiffies(self.0.wrapping_sub(span))
    }
}

impl SubAssign<u64> for Jiffies {
    fn sub_assign(&mut self, span: u64) {
        *self = *self - span;
    }
}

impl Sub<Jiffies> for Jiffies {
    type Output = u64;

    fn sub(self, earlier: Jiffies) -> u64 {
        self.since(earlier)
    }
}

impl fmt::Display for Jiffies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Jiffies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jiffies({})", self.0)
    }
}

/// `jiffies`: ticks since boot, counted from five minutes before the wrap.
pub fn jiffies() -> Jiffies {
    let (services, module) = kernel();
    Jiffies((services.time().jiffies())(module))
}

/// `HZ`: jiffies per second, as a span of jiffies (`jiffies() + HZ()` is
/// a second from now).
#[allow(non_snake_case)]
pub fn HZ() -> u64 {
    let (services, module) = kernel();
    u64::from((services.time().hz())(module))
}

/// `HZ` as the host's `u32`, for the conversions.
fn hz() -> u32 {
    let (services, module) = kernel();
    (services.time().hz())(module)
}

/// A timeout in jiffies as the table takes it: [`MAX_SCHEDULE_TIMEOUT`]
/// and above is no limit at all.
pub(crate) fn limit(timeout: u64) -> Timeout {
    if timeout >= MAX_SCHEDULE_TIMEOUT { Timeout::FOREVER } else { Timeout::jiffies(timeout) }
}

/// `ktime_get_ns`: nanoseconds since boot on the kernel clock, the clock
/// `jiffies` counts (tick `k` began at `k × 10⁹ / HZ` ns).
pub fn ktime_get_ns() -> u64 {
    let (services, module) = kernel();
    (services.time().ktime_get_ns())(module)
}

/// `INITIAL_JIFFIES` at `hz`: jiffies at boot, 300 seconds before they wrap.
pub const fn initial_jiffies(hz: u64) -> Jiffies {
    Jiffies(0u64.wrapping_sub(300 * hz))
}

/// `time_after(a, b)`: `a` is later than `b`, across the wrap.
pub const fn time_after(a: Jiffies, b: Jiffies) -> bool {
    (b.0.wrapping_sub(a.0) as i64) < 0
}

/// `time_before(a, b)`: `a` is earlier than `b`.
pub const fn time_before(a: Jiffies, b: Jiffies) -> bool {
    time_after(b, a)
}

/// `time_after_eq(a, b)`.
pub const fn time_after_eq(a: Jiffies, b: Jiffies) -> bool {
    (a.0.wrapping_sub(b.0) as i64) >= 0
}

/// `time_before_eq(a, b)`.
pub const fn time_before_eq(a: Jiffies, b: Jiffies) -> bool {
    time_after_eq(b, a)
}

/// `time_in_range(a, b, c)`: `b <= a <= c`, across the wrap.
pub const fn time_in_range(a: Jiffies, b: Jiffies, c: Jiffies) -> bool {
    time_after_eq(a, b) && time_before_eq(a, c)
}

/// `msecs_to_jiffies` at `hz`, rounding up; values that would be negative
/// as an `int` give [`MAX_JIFFY_OFFSET`].
pub const fn msecs_to_jiffies_at(ms: u32, hz: u32) -> u64 {
    if ms > i32::MAX as u32 {
        return MAX_JIFFY_OFFSET;
    }
    (ms as u64 * hz as u64).div_ceil(1000)
}

/// `usecs_to_jiffies` at `hz`, rounding up.
pub const fn usecs_to_jiffies_at(us: u32, hz: u32) -> u64 {
    if us > i32::MAX as u32 {
        return MAX_JIFFY_OFFSET;
    }
    (us as u64 * hz as u64).div_ceil(1_000_000)
}

/// `jiffies_to_msecs` at `hz`, rounding up (never 0 for non-zero input).
pub const fn jiffies_to_msecs_at(j: u64, hz: u32) -> u64 {
    (j as u128 * 1000).div_ceil(hz as u128) as u64
}

/// `msecs_to_jiffies` at this kernel's `HZ`.
pub fn msecs_to_jiffies(ms: u32) -> u64 {
    msecs_to_jiffies_at(ms, hz())
}

/// `usecs_to_jiffies` at this kernel's `HZ`.
pub fn usecs_to_jiffies(us: u32) -> u64 {
    usecs_to_jiffies_at(us, hz())
}

/// `jiffies_to_msecs` at this kernel's `HZ`.
pub fn jiffies_to_msecs(j: u64) -> u64 {
    jiffies_to_msecs_at(j, hz())
}

/// `schedule_timeout` in `mode`; a killed task unwinds unless the mode is killable.
fn schedule_timeout_in(mode: SleepMode, timeout: u64, site: Site) -> u64 {
    let (services, module) = kernel();
    let left = (services.time().schedule_timeout())(module, mode, limit(timeout), site);
    if mode == SleepMode::KILLABLE { left } else { unless_killed(left, left > 0) }
}

/// `schedule_timeout_uninterruptible`: sleeps `timeout` jiffies; returns 0,
/// or the jiffies left if woken early.
#[track_caller]
pub fn schedule_timeout_uninterruptible(timeout: u64) -> u64 {
    schedule_timeout_in(SleepMode::UNINTERRUPTIBLE, timeout, Site::caller())
}

/// `schedule_timeout_interruptible`: as above, and returns early (with the
/// jiffies left) on a signal: a work item's when its module is being
/// removed, a kthread's when it is being stopped.
#[track_caller]
pub fn schedule_timeout_interruptible(timeout: u64) -> u64 {
    schedule_timeout_in(SleepMode::INTERRUPTIBLE, timeout, Site::caller())
}

/// `schedule_timeout_killable`: returns early on a forced unload.
#[track_caller]
pub fn schedule_timeout_killable(timeout: u64) -> u64 {
    schedule_timeout_in(SleepMode::KILLABLE, timeout, Site::caller())
}

/// `msleep`: sleeps at least `ms` milliseconds (rounded up to whole jiffies),
/// not interruptible.
#[track_caller]
pub fn msleep(ms: u32) {
    let site = Site::caller();
    let mut timeout = msecs_to_jiffies(ms);
    while timeout > 0 {
        timeout = schedule_timeout_in(SleepMode::UNINTERRUPTIBLE, timeout, site);
    }
}

/// `msleep_interruptible`: as `msleep`, but returns early on a signal
/// (see [`schedule_timeout_interruptible`]); returns the milliseconds left.
#[track_caller]
pub fn msleep_interruptible(ms: u32) -> u64 {
    let site = Site::caller();
    let mut timeout = msecs_to_jiffies(ms);
    while timeout > 0 && !signal_pending() {
        timeout = schedule_timeout_in(SleepMode::INTERRUPTIBLE, timeout, site);
    }
    jiffies_to_msecs(timeout)
}

/// `ssleep`: sleeps `seconds`.
#[track_caller]
pub fn ssleep(seconds: u32) {
    msleep(seconds.saturating_mul(1000));
}

/// `usleep_range`: sleeps at least `min_us` microseconds, not on the jiffy grid.
#[track_caller]
pub fn usleep_range(min_us: u64, max_us: u64) {
    let (services, module) = kernel();
    let ret = (services.time().usleep_range())(module, min_us, max_us.max(min_us), Site::caller());
    unless_killed((), ret < 0);
}

/// `signal_pending(current)`: the calling task has a signal to attend to
/// (a work item of a module being removed, a kthread being stopped).
pub fn signal_pending() -> bool {
    let (services, module) = kernel();
    (services.time().signal_pending())(module)
}

/// `fatal_signal_pending(current)`: the calling task is being killed (a
/// forced unload).
pub fn fatal_signal_pending() -> bool {
    let (services, module) = kernel();
    (services.time().fatal_signal_pending())(module)
}

/// `ndelay`: busy-waits `ns` nanoseconds (allowed in atomic context).
pub fn ndelay(ns: u64) {
    let until = Instant::now() + Duration::from_nanos(ns);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// `udelay`: busy-waits `us` microseconds.
pub fn udelay(us: u64) {
    ndelay(us.saturating_mul(1000));
}

/// `mdelay`: busy-waits `ms` milliseconds.
pub fn mdelay(ms: u64) {
    ndelay(ms.saturating_mul(1_000_000));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_survive_the_wrap() {
        let before_wrap = Jiffies(u64::MAX - 5);
        let after_wrap = Jiffies(3);
        assert!(time_after(after_wrap, before_wrap));
        assert!(time_before(before_wrap, after_wrap));
        assert!(time_after_eq(after_wrap, after_wrap));
        assert!(time_in_range(Jiffies(1), before_wrap, after_wrap));
        assert!(!time_after(before_wrap, after_wrap));
        assert!(before_wrap < after_wrap, "the operators are time_before");
        assert!(after_wrap >= before_wrap);
        assert_eq!(Jiffies(0).partial_cmp(&Jiffies(1 << 63)), None, "half the range apart");
    }

    #[test]
    fn arithmetic_wraps_instead_of_overflowing() {
        let late = Jiffies(u64::MAX - 100);
        assert_eq!(late + 250, Jiffies(149));
        assert_eq!(Jiffies(149) - late, 250);
        assert_eq!(Jiffies(3) - 5, Jiffies(u64::MAX - 1));
        let mut j = late;
        j += 101;
        assert_eq!(j, Jiffies(0));
        assert_eq!(initial_jiffies(250) + 300u64 * 250, Jiffies(0));
    }

    #[test]
    fn conversions_round_up() {
        assert_eq!(msecs_to_jiffies_at(1, 250), 1);
        assert_eq!(msecs_to_jiffies_at(10, 250), 3);
        assert_eq!(msecs_to_jiffies_at(4, 250), 1);
        assert_eq!(msecs_to_jiffies_at(5, 250), 2);
        assert_eq!(msecs_to_jiffies_at(0, 250), 0);
        assert_eq!(msecs_to_jiffies_at(10, 300), 3);
        assert_eq!(msecs_to_jiffies_at(u32::MAX, 250), MAX_JIFFY_OFFSET);
        assert_eq!(usecs_to_jiffies_at(1, 1000), 1);
        assert_eq!(jiffies_to_msecs_at(1, 300), 4);
        assert_eq!(jiffies_to_msecs_at(3, 250), 12);
    }
}
