//! `/sys/kernel/debug/modhost/rates`: what rate each work item or timer
//! that re-arms itself achieves, beside the rate its module asked for.
//!
//! ```text
//! producer         rate=5      achieved 5.00/s  (work item re-armed at producer.c:34)
//! producer2        rate=3      achieved 2.00/s, 60% in its callback  (work item re-armed at producer.c:34)
//! ```
//!
//! One line per object of a loaded module that re-armed itself from its
//! own callback (the lab's producer and consumer, a ticking timer), in
//! the module list's order. `rate=` is the module's `rate` parameter as
//! it reads in `/sys/module/NAME/parameters/rate` (`-` without one); the
//! achieved rate is its callback's runs per second over the last
//! [`WINDOW`](crate::debug::rates::WINDOW) of kernel time, and the share of that time its callback was
//! running when it is 1 % or more: a producer sleeping in `fifo_put` on a
//! full fifo runs as often as the consumer makes room. The measurement is
//! [`crate::debug::rates`]; `modhost check` reads the same [`RateLine`]s.
//!
//! Kernel counterpart: none (debugfs is where the kernel puts such files).

use std::fmt;

use crate::{
    debug::rates::Achieved,
    kernel::Kernel,
    loader::{Module, params::format_value},
};

/// One object that re-arms itself, and what it achieved.
#[derive(Debug, Clone)]
pub(crate) struct RateLine {
    /// The module's (instance) name.
    pub(crate) module: String,
    /// The kind of object: `work item`, `timer`.
    pub(crate) kind: &'static str,
    /// The module's `rate` parameter, as it reads.
    pub(crate) requested: Option<String>,
    /// What its runs achieved.
    pub(crate) achieved: Achieved,
}

impl RateLine {
    /// The requested rate as a number, if the module has a numeric `rate`.
    pub(crate) fn requested_rate(&self) -> Option<f64> {
        self.requested.as_deref()?.parse().ok()
    }
}

/// Every loaded module's objects that re-armed themselves, now.
pub(crate) fn rates(kernel: &Kernel) -> Vec<RateLine> {
    let now = kernel.inner.clock.uptime();
    let modules: Vec<_> = kernel.inner.modules.lock().visible().cloned().collect();
    let mut lines = Vec::new();
    for module in modules {
        let requested = rate_param(&module);
        for object in module.objects() {
            let Some(achieved) = object.meter().and_then(|m| m.achieved(now)) else { continue };
            lines.push(RateLine {
                module: module.name().to_string(),
                kind: object.kind(),
                requested: requested.clone(),
                achieved,
            });
        }
    }
    lines
}

/// The text of the file.
pub(super) fn rates_file(kernel: &Kernel) -> String {
    rates(kernel).iter().map(|line| format!("{line}\n")).collect()
}

/// The module's `rate` parameter as `/sys` shows it, if it has one.
fn rate_param(module: &Module) -> Option<String> {
    let index = module.info.params.iter().position(|p| p.name == "rate")?;
    let value = module.params.lock().get(index)?.clone();
    Some(format_value(&module.info.params[index], &value).trim().to_string())
}

/// `2.00/s`, `-` for too early, `unbounded` for runs with no time passing.
fn per_second(rate: Option<f64>) -> String {
    match rate {
        None => "-".to_string(),
        Some(r) if r.is_infinite() => "unbounded (runs with no time passing)".to_string(),
        Some(r) => format!("{r:.2}/s"),
    }
}

impl fmt::Display for RateLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let requested = format!("rate={}", self.requested.as_deref().unwrap_or("-"));
        let a = &self.achieved;
        write!(f, "{:<16} {requested:<11} achieved {}", self.module, per_second(a.rate()))?;
        let share = a.callback_share();
        if share >= 0.01 {
            write!(f, ", {:.0}% in its callback", share * 100.0)?;
        }
        write!(f, "  ({} re-armed at {})", self.kind, a.site)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn line(runs: usize, over: u64, in_callback: u64, requested: Option<&str>) -> RateLine {
        RateLine {
            module: "producer2".into(),
            kind: "work item",
            requested: requested.map(String::from),
            achieved: Achieved {
                runs,
                over: Duration::from_secs(over),
                in_callback: Duration::from_secs(in_callback),
                site: "producer.c:34".into(),
            },
        }
    }

    #[test]
    fn a_line_shows_the_requested_rate_beside_the_achieved_one() {
        assert_eq!(
            line(50, 10, 0, Some("5")).to_string(),
            "producer2        rate=5      achieved 5.00/s  (work item re-armed at producer.c:34)"
        );
        assert_eq!(
            line(20, 10, 6, Some("5")).to_string(),
            "producer2        rate=5      achieved 2.00/s, 60% in its callback  (work item re-armed at producer.c:34)"
        );
        assert!(line(0, 0, 0, None).to_string().contains("rate=-      achieved -  ("));
        assert!(line(9, 0, 0, Some("1000")).to_string().contains("achieved unbounded"));
        assert_eq!(line(1, 1, 0, Some("5")).requested_rate(), Some(5.0));
        assert_eq!(line(1, 1, 0, Some("fast")).requested_rate(), None);
    }
}
