//! Sleeping from module code: `might_sleep`, timeouts in jiffies.
//!
//! Every service that may sleep first calls [`might_sleep`]. In atomic
//! context (a timer callback, a `WQ_BH` work item, a spinlock held)
//! sleeping is a bug: the kernel reports it and may deadlock; modhost
//! reports it (`BUG: sleeping function called from invalid context`, with
//! the module's call site) and lets the task sleep as it asked. A timer
//! callback that sleeps also hands the timer thread's job to a fresh
//! thread, so that no other timer is held up.
//!
//! Timed sleeps follow the timer wheel's rule: a sleep of `t` jiffies ends
//! on the first tick after `jiffies + t`, never earlier. All of them wait on
//! the kernel clock, so a manual clock drives them in tests.
//!
//! Kernel counterpart: `kernel/sched/core.c` (`__might_sleep`),
//! `kernel/time/sleep_timeout.c`, `kernel/time/hrtimer.c` (`usleep_range`).

use std::{sync::Arc, time::Duration};

use super::{
    Services,
    clock::Clock,
    record::ModuleRecord,
    task::{self, Task, TaskKind, WaitMode, Wake},
    timer,
    wait::Sleep,
};

/// `MAX_SCHEDULE_TIMEOUT`: what an unbounded `schedule_timeout` returns.
pub(crate) const MAX_SCHEDULE_TIMEOUT: u64 = i64::MAX as u64;

/// Checks that `task` may sleep; in atomic context reports the bug and
/// frees the timer thread (see the module docs). `call` names the sleeping
/// function.
pub(crate) fn might_sleep(
    services: &Arc<Services>,
    module: Option<&ModuleRecord>,
    task: &Arc<Task>,
    site: &str,
    call: &str,
) {
    if !task::in_atomic() {
        return;
    }
    services.bug_sleeping(module, task, site, call);
    if task.kind() == TaskKind::Timer {
        timer::leave_softirq(services, task);
    }
}

/// The uptime at which the clock's jiffies reach `target`.
pub(crate) fn uptime_at_jiffies(clock: &Clock, target: u64) -> Duration {
    let ticks = target.wrapping_sub(clock.initial_jiffies());
    let nanos = u128::from(ticks) * 1_000_000_000;
    let hz = u128::from(clock.hz());
    Duration::from_nanos(u64::try_from(nanos.div_ceil(hz)).unwrap_or(u64::MAX))
}

/// The deadline of a sleep of `timeout` jiffies starting at jiffies `now`:
/// the first tick after `now + timeout`; `None` for no limit.
pub(crate) fn deadline_after(clock: &Clock, now: u64, timeout: Option<u64>) -> Option<Duration> {
    timeout.map(|t| uptime_at_jiffies(clock, now.wrapping_add(t).wrapping_add(1)))
}

/// Jiffies left until `expire` (never negative).
pub(crate) fn jiffies_left(clock: &Clock, expire: u64) -> u64 {
    let left = expire.wrapping_sub(clock.jiffies()) as i64;
    u64::try_from(left).unwrap_or(0)
}

/// What a timed wait that succeeded returns: the jiffies left of `timeout`
/// since `start`, at least 1.
pub(crate) fn remaining(clock: &Clock, start: u64, timeout: u64) -> i64 {
    i64::try_from(jiffies_left(clock, start.wrapping_add(timeout)).max(1)).unwrap_or(i64::MAX)
}

/// `schedule_timeout` for `task`: sleeps until woken, signalled as `mode`
/// allows, or `timeout` jiffies passed (`None`: no limit); returns the
/// jiffies left (`MAX_SCHEDULE_TIMEOUT` for an unbounded sleep).
pub(crate) fn schedule_timeout(clock: &Clock, task: &Task, mode: WaitMode, timeout: Option<u64>, site: &str) -> u64 {
    let start = clock.jiffies();
    task.prepare_to_wait();
    let sleep = Sleep { clock, mode, deadline: deadline_after(clock, start, timeout), site: &site };
    let woke = sleep.once(task);
    match timeout {
        None => MAX_SCHEDULE_TIMEOUT,
        Some(_) if woke == Wake::TimedOut => 0,
        Some(t) => jiffies_left(clock, start.wrapping_add(t)),
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
        assert_eq!(deadline_after(&clock, now, Some(3)), Some(Duration::from_millis(16)));
        assert_eq!(deadline_after(&clock, now, None), None);
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
