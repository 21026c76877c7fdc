//! The kernel clock: time since boot, `HZ` and `jiffies`.
//!
//! There is no periodic tick: `jiffies` is derived on demand from the
//! monotonic clock, `INITIAL_JIFFIES + uptime × HZ`. Like the kernel, which
//! starts 32-bit jiffies five minutes before they wrap so that wrap bugs show
//! early, modhost starts its 64-bit jiffies 300 seconds before *they* wrap.
//!
//! [`Clock::manual`] makes a clock that only moves when a test calls
//! [`Clock::advance`], so behaviour tests never sleep; everything that waits
//! for time (timers, `msleep`, printk timestamps) reads this clock, and
//! advancing it wakes every sleeping task to look again.
//!
//! The wall clock (`CLOCK_REALTIME`) is the wall time at boot, read once
//! when the clock is made, plus the uptime: on a manual clock it moves only
//! with the uptime, so tests stay deterministic; on a real one, a change of
//! the system's time after boot is not seen (the host never steps its time).
//!
//! Kernel counterpart: `include/linux/jiffies.h`, `kernel/time/jiffies.c`,
//! `kernel/time/timekeeping.c` (`ktime_get_real`).

use parking_lot::Mutex;
use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

/// The tick rates the kernel offers (`CONFIG_HZ`).
pub const HZ_CHOICES: [u32; 4] = [100, 250, 300, 1000];

/// The default tick rate, as in most distributions' kernels.
pub const DEFAULT_HZ: u32 = 250;

/// The kernel's source of time; cheap to clone, all clones share one clock.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    hz: u32,
    source: Source,
    /// The wall time at boot, since the epoch.
    boot_wall: Duration,
}

enum Source {
    Real { boot: Instant },
    Manual { now: Mutex<Duration> },
}

impl Clock {
    /// A clock that follows the monotonic clock, starting at zero now.
    pub fn real(hz: u32) -> Clock {
        Clock::with(hz, Source::Real { boot: Instant::now() })
    }

    /// A clock that only moves when [`Clock::advance`] is called.
    pub fn manual(hz: u32) -> Clock {
        Clock::with(hz, Source::Manual { now: Mutex::new(Duration::ZERO) })
    }

    fn with(hz: u32, source: Source) -> Clock {
        let boot_wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        Clock { inner: Arc::new(Inner { hz: hz.max(1), source, boot_wall }) }
    }

    /// `HZ`: jiffies per second.
    pub fn hz(&self) -> u32 {
        self.inner.hz
    }

    /// Whether this is a manual clock.
    pub fn is_manual(&self) -> bool {
        matches!(self.inner.source, Source::Manual { .. })
    }

    /// Time since boot.
    pub fn uptime(&self) -> Duration {
        match &self.inner.source {
            Source::Real { boot } => boot.elapsed(),
            Source::Manual { now } => *now.lock(),
        }
    }

    /// The wall time at boot, since the epoch.
    pub fn boot_wall(&self) -> Duration {
        self.inner.boot_wall
    }

    /// `ktime_get_real`: the wall time, since the epoch (see the module docs).
    pub fn realtime(&self) -> Duration {
        self.inner.boot_wall + self.uptime()
    }

    /// `INITIAL_JIFFIES`: 300 seconds' worth of jiffies before the counter wraps.
    pub fn initial_jiffies(&self) -> u64 {
        0u64.wrapping_sub(300 * u64::from(self.hz()))
    }

    /// `jiffies`: ticks since boot, counted from [`Clock::initial_jiffies`].
    pub fn jiffies(&self) -> u64 {
        self.initial_jiffies().wrapping_add(self.ticks(self.uptime()))
    }

    /// Whole ticks in `d`.
    fn ticks(&self, d: Duration) -> u64 {
        let ticks = d.as_nanos() * u128::from(self.hz()) / 1_000_000_000;
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// Moves a manual clock forward and wakes everything waiting on it.
    ///
    /// Returns `false`, and does nothing, on a real clock.
    pub fn advance(&self, by: Duration) -> bool {
        let Source::Manual { now } = &self.inner.source else {
            return false;
        };
        *now.lock() += by;
        super::task::clock_moved();
        true
    }

    /// The real instant at which the clock will read `uptime`, or `None` on
    /// a manual clock (which reaches it only when advanced).
    pub fn instant_at(&self, uptime: Duration) -> Option<Instant> {
        match &self.inner.source {
            Source::Real { boot } => boot.checked_add(uptime),
            Source::Manual { .. } => None,
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_manual() { "manual" } else { "real" };
        write!(f, "Clock({kind}, HZ={}, uptime={:?})", self.hz(), self.uptime())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiffies_start_five_minutes_before_the_wrap() {
        let clock = Clock::manual(250);
        assert_eq!(clock.jiffies(), u64::MAX - 75_000 + 1);
        clock.advance(Duration::from_secs(300));
        assert_eq!(clock.jiffies(), 0);
        clock.advance(Duration::from_millis(4));
        assert_eq!(clock.jiffies(), 1);
    }

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(1000);
        let before = clock.uptime();
        assert_eq!(clock.uptime(), before);
        assert!(clock.advance(Duration::from_millis(1500)));
        assert_eq!(clock.uptime(), before + Duration::from_millis(1500));
        assert!(!Clock::real(100).advance(Duration::from_secs(1)));
    }

    #[test]
    fn the_wall_clock_is_the_boot_time_plus_the_uptime() {
        let clock = Clock::manual(250);
        let boot = clock.boot_wall();
        assert!(boot > Duration::from_secs(1_500_000_000), "since the epoch: {boot:?}");
        assert_eq!(clock.realtime(), boot);
        clock.advance(Duration::from_millis(2500));
        assert_eq!(clock.realtime(), boot + Duration::from_millis(2500));
        assert_eq!(clock.clone().realtime(), clock.realtime(), "clones share it");
    }
}
