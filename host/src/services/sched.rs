//! Sleeping from module code: `might_sleep`, `schedule_timeout`, jiffies.
//!
//! Every service that may sleep first calls [`might_sleep`]. In atomic
//! context (a timer callback) sleeping is a bug: the kernel reports it and
//! may deadlock; modhost reports it (`BUG: sleeping function called from
//! invalid context`, with the module's call site), hands the timer thread's
//! job to a fresh thread so no other timer is held up, and lets the callback
//! sleep as it asked.
//!
//! Timed sleeps follow the timer wheel's rule: a sleep of `t` jiffies ends
//! on the first tick after `jiffies + t`, never earlier. All of them wait on
//! the kernel clock, so a manual clock drives them in tests.
//!
//! Kernel counterpart: `kernel/sched/core.c` (`__might_sleep`),
//! `kernel/time/sleep_timeout.c`, `kernel/time/hrtimer.c` (`usleep_range`).

use abi_stable::std_types::RStr;
use modhost_abi::{
    descriptor::ModuleHandle,
    services::{KILLED, Site, mode},
};
use std::{sync::Arc, time::Duration};

use super::{
    clock::Clock,
    module_of,
    task::{Task, WaitMode, Wake},
    timer,
};
use crate::{kernel::KernelInner, loader::Module};

/// `MAX_SCHEDULE_TIMEOUT` (sleep until woken), and what "no timeout" is in the table.
pub(crate) const MAX_SCHEDULE_TIMEOUT: u64 = i64::MAX as u64;

/// The wait mode a table `mode` number stands for.
pub(crate) fn wait_mode(sleep_mode: u8) -> WaitMode {
    match sleep_mode {
        mode::INTERRUPTIBLE => WaitMode::Interruptible,
        mode::KILLABLE => WaitMode::Killable,
        _ => WaitMode::Uninterruptible,
    }
}

/// Checks that the calling task may sleep; in atomic context reports the
/// bug and frees the timer thread (see the module docs). `call` names the
/// sleeping function.
pub(crate) fn might_sleep(kernel: &Arc<KernelInner>, module: Option<&Module>, site: &Site, call: &str) {
    let task = Task::current();
    if !task.in_atomic() {
        return;
    }
    kernel.bug_sleeping(module, &site.to_string(), call);
    timer::leave_softirq(kernel, &task);
}

/// The uptime at which the clock's jiffies reach `target`.
pub(crate) fn uptime_at_jiffies(clock: &Clock, target: u64) -> Duration {
    let ticks = target.wrapping_sub(clock.initial_jiffies());
    let nanos = u128::from(ticks) * 1_000_000_000;
    let hz = u128::from(clock.hz());
    Duration::from_nanos(u64::try_from(nanos.div_ceil(hz)).unwrap_or(u64::MAX))
}

/// The deadline of a sleep of `timeout` jiffies starting at jiffies `now`:
/// the first tick after `now + timeout`; `None` for no timeout.
pub(crate) fn deadline_after(clock: &Clock, now: u64, timeout: u64) -> Option<Duration> {
    (timeout < MAX_SCHEDULE_TIMEOUT).then(|| uptime_at_jiffies(clock, now.wrapping_add(timeout).wrapping_add(1)))
}

/// Jiffies left until `expire` (never negative).
pub(crate) fn jiffies_left(clock: &Clock, expire: u64) -> u64 {
    let left = expire.wrapping_sub(clock.jiffies()) as i64;
    u64::try_from(left).unwrap_or(0)
}

/// `schedule_timeout` for the calling task: `Ok(jiffies left)` or `Err(KILLED)`.
pub(crate) fn schedule_timeout(
    kernel: &Arc<KernelInner>,
    sleep: WaitMode,
    timeout: u64,
    site: &Site,
) -> Result<u64, i64> {
    let clock = &kernel.clock;
    let task = Task::current();
    let start = clock.jiffies();
    let expire = start.wrapping_add(timeout.min(MAX_SCHEDULE_TIMEOUT));
    task.prepare_to_wait();
    let woke = task.schedule(clock, sleep, deadline_after(clock, start, timeout), &site.to_string());
    // A killable sleep ends early on the fatal signal; any other unwinds.
    if task.killed() && woke == Wake::Interrupted && sleep != WaitMode::Killable {
        return Err(KILLED);
    }
    if timeout >= MAX_SCHEDULE_TIMEOUT {
        return Ok(MAX_SCHEDULE_TIMEOUT);
    }
    Ok(jiffies_left(clock, expire))
}

pub(super) extern "C" fn jiffies(handle: ModuleHandle) -> u64 {
    module_of(handle).kernel.upgrade().map_or(0, |k| k.clock.jiffies())
}

pub(super) extern "C" fn ktime_get_ns(handle: ModuleHandle) -> u64 {
    module_of(handle).kernel.upgrade().map_or(0, |k| u64::try_from(k.clock.uptime().as_nanos()).unwrap_or(u64::MAX))
}

pub(super) extern "C" fn hz(handle: ModuleHandle) -> u32 {
    module_of(handle).kernel.upgrade().map_or(250, |k| k.clock.hz())
}

pub(super) extern "C" fn sys_schedule_timeout(handle: ModuleHandle, sleep_mode: u8, timeout: u64, site: Site) -> i64 {
    let module = module_of(handle);
    let Some(kernel) = module.kernel.upgrade() else { return 0 };
    might_sleep(&kernel, Some(module), &site, "schedule_timeout");
    match schedule_timeout(&kernel, wait_mode(sleep_mode), timeout, &site) {
        Ok(left) => i64::try_from(left).unwrap_or(i64::MAX),
        Err(killed) => killed,
    }
}

pub(super) extern "C" fn usleep_range(handle: ModuleHandle, min_us: u64, _max_us: u64, site: Site) -> i64 {
    let module = module_of(handle);
    let Some(kernel) = module.kernel.upgrade() else { return 0 };
    might_sleep(&kernel, Some(module), &site, "usleep_range");
    let task = Task::current();
    let deadline = kernel.clock.uptime() + Duration::from_micros(min_us);
    let site = site.to_string();
    loop {
        task.prepare_to_wait();
        match task.schedule(&kernel.clock, WaitMode::Uninterruptible, Some(deadline), &site) {
            Wake::TimedOut => return 0,
            Wake::Interrupted if task.killed() => return KILLED,
            _ => {}
        }
    }
}

pub(super) extern "C" fn signal_pending() -> bool {
    let task = Task::current();
    task.signal_pending() || task.killed()
}

pub(super) extern "C" fn warn(handle: ModuleHandle, text: RStr<'_>, site: Site) {
    let module = module_of(handle);
    if let Some(kernel) = module.kernel.upgrade() {
        kernel.warn(Some(module), &site.to_string(), text.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_ends_on_the_first_tick_after_its_expiry() {
        let clock = Clock::manual(250);
        let now = clock.jiffies();
        // Three jiffies at HZ=250 end when jiffies reaches now + 4: 16 ms.
        assert_eq!(deadline_after(&clock, now, 3), Some(Duration::from_millis(16)));
        assert_eq!(deadline_after(&clock, now, MAX_SCHEDULE_TIMEOUT), None);
        assert_eq!(uptime_at_jiffies(&clock, clock.initial_jiffies()), Duration::ZERO);
    }

    #[test]
    fn jiffies_left_never_goes_negative() {
        let clock = Clock::manual(1000);
        let now = clock.jiffies();
        assert_eq!(jiffies_left(&clock, now.wrapping_add(5)), 5);
        clock.advance(Duration::from_millis(7));
        assert_eq!(jiffies_left(&clock, now.wrapping_add(5)), 0);
    }
}
