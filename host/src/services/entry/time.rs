//! The table's `time` group: jiffies, sleeping, and the current task.
//!
//! Kernel counterpart: `include/linux/jiffies.h`,
//! `kernel/time/timekeeping.c` (`ktime_get_real`), `include/linux/preempt.h`,
//! `kernel/time/sleep_timeout.c` (`schedule_timeout`),
//! `kernel/time/hrtimer.c` (`usleep_range`), `include/linux/sched.h`.

use modhost_abi::{
    errno::Errno,
    table::{Site, SleepMode, Timeout},
};
use std::time::Duration;

use super::{entries, site_text};
use crate::services::{
    sched,
    task::{self, WaitMode},
    wait::{Sleep, WaitError, wait_until},
};

entries! {
    TimeOps {
        /// `jiffies`.
        fn jiffies(c) -> u64 {
            Ok(c.services().clock.jiffies())
        }

        /// `HZ`.
        fn hz(c) -> u32 {
            Ok(c.services().clock.hz())
        }

        /// `ktime_get_ns`.
        fn ktime_get_ns(c) -> u64 {
            Ok(u64::try_from(c.services().clock.uptime().as_nanos()).unwrap_or(u64::MAX))
        }

        /// `schedule_timeout` in a mode.
        fn schedule_timeout(c, mode: SleepMode, timeout: Timeout, site: Site) -> u64 {
            let mode = c.mode(mode, &site)?;
            let task = c.task();
            c.might_sleep(&site);
            let module = c.unpin();
            let clock = &module.services().clock;
            Ok(sched::schedule_timeout(clock, &task, mode, timeout.limit(), &site_text(&site)))
        }

        /// `usleep_range`: at least `min_us`, off the jiffy grid; `-EINTR`
        /// if killed.
        fn usleep_range(c, min_us: u64, _max_us: u64, site: Site) -> i32 {
            let task = c.task();
            c.might_sleep(&site);
            let module = c.unpin();
            let clock = &module.services().clock;
            let sleep = Sleep {
                clock,
                mode: WaitMode::Uninterruptible,
                deadline: Some(clock.uptime() + Duration::from_micros(min_us)),
                site: &site_text(&site),
            };
            match wait_until(&task, &sleep, || false) {
                Err(WaitError::Killed) => Err(Errno::EINTR),
                _ => Ok(0),
            }
        }

        /// `signal_pending(current)`.
        fn signal_pending(c) -> bool {
            Ok(c.task().signal_pending())
        }

        /// `fatal_signal_pending(current)`.
        fn fatal_signal_pending(c) -> bool {
            Ok(c.task().killed())
        }

        /// `current->pid`.
        fn current_pid(c) -> i32 {
            Ok(i32::try_from(c.task().id()).unwrap_or(i32::MAX))
        }

        /// `get_task_comm`: the name into the module's buffer.
        fn get_task_comm(c, buf: *mut u8, len: usize) -> usize {
            let name = c.task().name();
            if name.len() <= len && !buf.is_null() {
                // SAFETY: The module passes a buffer of `len` bytes it owns.
                unsafe { core::ptr::copy_nonoverlapping(name.as_ptr(), buf, name.len()) };
            }
            Ok(name.len())
        }

        /// `ktime_get_real_ns`: the wall clock, since the epoch.
        fn ktime_get_real_ns(c) -> u64 {
            Ok(u64::try_from(c.services().clock.realtime().as_nanos()).unwrap_or(u64::MAX))
        }

        /// The calling task's preempt count (`in_softirq()` and friends).
        fn in_context(_c) -> u32 {
            Ok(task::preempt_count())
        }
    }
}
