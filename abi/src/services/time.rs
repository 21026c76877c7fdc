//! Time: `jiffies`, `HZ`, conversions, and sleeping.
//!
//! `jiffies` counts ticks of the kernel clock and wraps (it starts five
//! minutes before the wrap, so wrap bugs show early): compare with
//! [`time_after`] and friends, never with `<`. Conversions round up, as the
//! kernel's do, so a non-zero duration is never zero jiffies.
//!
//! Sleeping (`msleep`, `schedule_timeout_*`, `usleep_range`) is for process
//! context; in a timer callback it is a bug, which the host reports. The busy
//! waits (`udelay`, `mdelay`, `ndelay`) spin and are allowed anywhere.
//!
//! Kernel counterpart: `include/linux/jiffies.h`, `kernel/time/time.c`,
//! `kernel/time/sleep_timeout.c`, `include/linux/delay.h`.

use std::time::{Duration, Instant};

use super::{Site, mode};
use crate::runtime::{check_killed, kernel};

/// `MAX_SCHEDULE_TIMEOUT`: sleep until woken.
pub const MAX_SCHEDULE_TIMEOUT: u64 = i64::MAX as u64;

/// `MAX_JIFFY_OFFSET`: what conversions return for out-of-range input.
pub const MAX_JIFFY_OFFSET: u64 = (i64::MAX as u64 >> 1) - 1;

/// `jiffies`: ticks since boot, counted from five minutes before the wrap.
pub fn jiffies() -> u64 {
    let (services, module) = kernel();
    (services.jiffies())(module)
}

/// `HZ`: jiffies per second.
#[allow(non_snake_case)]
pub fn HZ() -> u32 {
    let (services, module) = kernel();
    (services.hz())(module)
}

/// `ktime_get_ns`: nanoseconds since boot on the kernel clock, the clock
/// `jiffies` counts (tick `k` began at `k × 10⁹ / HZ` ns).
pub fn ktime_get_ns() -> u64 {
    let (services, module) = kernel();
    (services.ktime_get_ns())(module)
}

/// `INITIAL_JIFFIES` at `hz`: jiffies at boot, 300 seconds before they wrap.
pub const fn initial_jiffies(hz: u32) -> u64 {
    0u64.wrapping_sub(300 * hz as u64)
}

/// `time_after(a, b)`: `a` is later than `b`, across the wrap.
pub const fn time_after(a: u64, b: u64) -> bool {
    (b.wrapping_sub(a) as i64) < 0
}

/// `time_before(a, b)`: `a` is earlier than `b`.
pub const fn time_before(a: u64, b: u64) -> bool {
    time_after(b, a)
}

/// `time_after_eq(a, b)`.
pub const fn time_after_eq(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) >= 0
}

/// `time_before_eq(a, b)`.
pub const fn time_before_eq(a: u64, b: u64) -> bool {
    time_after_eq(b, a)
}

/// `time_in_range(a, b, c)`: `b <= a <= c`, across the wrap.
pub const fn time_in_range(a: u64, b: u64, c: u64) -> bool {
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
    msecs_to_jiffies_at(ms, HZ())
}

/// `usecs_to_jiffies` at this kernel's `HZ`.
pub fn usecs_to_jiffies(us: u32) -> u64 {
    usecs_to_jiffies_at(us, HZ())
}

/// `jiffies_to_msecs` at this kernel's `HZ`.
pub fn jiffies_to_msecs(j: u64) -> u64 {
    jiffies_to_msecs_at(j, HZ())
}

fn schedule_timeout_in(sleep_mode: u8, timeout: u64, site: Site) -> u64 {
    let (services, module) = kernel();
    let left = check_killed((services.schedule_timeout())(module, sleep_mode, timeout, site));
    u64::try_from(left).unwrap_or(0)
}

/// `schedule_timeout_uninterruptible`: sleeps `timeout` jiffies; returns 0,
/// or the jiffies left if woken early.
#[track_caller]
pub fn schedule_timeout_uninterruptible(timeout: u64) -> u64 {
    schedule_timeout_in(mode::UNINTERRUPTIBLE, timeout, Site::caller())
}

/// `schedule_timeout_interruptible`: as above, and returns early (with the
/// jiffies left) when the module is going away.
#[track_caller]
pub fn schedule_timeout_interruptible(timeout: u64) -> u64 {
    schedule_timeout_in(mode::INTERRUPTIBLE, timeout, Site::caller())
}

/// `schedule_timeout_killable`.
#[track_caller]
pub fn schedule_timeout_killable(timeout: u64) -> u64 {
    schedule_timeout_in(mode::KILLABLE, timeout, Site::caller())
}

/// `msleep`: sleeps at least `ms` milliseconds (rounded up to whole jiffies),
/// not interruptible.
#[track_caller]
pub fn msleep(ms: u32) {
    let site = Site::caller();
    let mut timeout = msecs_to_jiffies(ms);
    while timeout > 0 {
        timeout = schedule_timeout_in(mode::UNINTERRUPTIBLE, timeout, site);
    }
}

/// `msleep_interruptible`: as `msleep`, but returns early when the module is
/// going away; returns the milliseconds left.
#[track_caller]
pub fn msleep_interruptible(ms: u32) -> u64 {
    let site = Site::caller();
    let mut timeout = msecs_to_jiffies(ms);
    while timeout > 0 && !signal_pending() {
        timeout = schedule_timeout_in(mode::INTERRUPTIBLE, timeout, site);
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
    check_killed((services.usleep_range())(module, min_us, max_us.max(min_us), Site::caller()));
}

/// `signal_pending(current)`: the calling task was asked to stop what it is
/// doing (its module is going away).
pub fn signal_pending() -> bool {
    let (services, _) = kernel();
    (services.signal_pending())()
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

/// `WARN(1, ...)`: a warning with this call site in dmesg; taints `W`.
#[track_caller]
pub fn warn(message: &str) {
    let (services, module) = kernel();
    (services.warn())(module, abi_stable::std_types::RStr::from_str(message), Site::caller());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_survive_the_wrap() {
        let before_wrap = u64::MAX - 5;
        let after_wrap = 3;
        assert!(time_after(after_wrap, before_wrap));
        assert!(time_before(before_wrap, after_wrap));
        assert!(time_after_eq(after_wrap, after_wrap));
        assert!(time_in_range(1, before_wrap, after_wrap));
        assert!(!time_after(before_wrap, after_wrap));
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
