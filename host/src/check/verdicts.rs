//! The verdicts on the whole scenario, once every module is unloaded:
//!
//! - `no hang`: no `INFO: task ... blocked` report, and nothing was left
//!   loaded (every rmmod's exit returned);
//! - `no leak`: no kmemleak report;
//! - `no kernel report`: no line that begins a report
//!   ([`crate::debug::report::is_report_head`]);
//! - `fifo invariants held`, `ledger balanced`: the fifo's books
//!   ([`super::ledger`]), skipped when no fifo was loaded;
//! - `rates achieved`: at the end of every `run`, each work item or timer
//!   that re-arms itself in a module with a `rate` achieved that rate
//!   within [`TOLERANCE`]. An item whose callback waited (a producer on a
//!   full fifo, a consumer on an empty one) achieves what the other side
//!   lets it: it is judged on its runs over the time outside its callback,
//!   and the wait is said as a diagnostic. A rate above `HZ` is not
//!   judged: a work item runs at most once a jiffy, so such a module does
//!   several items a run (or busy-loops, which `no kernel report` says).

use super::{
    ktap::Verdict,
    ledger::{Books, Ledger, Role, Rule},
    observe::Kept,
    steps::RateSnapshot,
};
use crate::views::rates::RateLine;
use std::collections::HashMap;

/// How far an achieved rate may be from the requested one, as a share of it.
pub(super) const TOLERANCE: f64 = 0.10;

/// How many verdicts [`judge`] gives.
pub(super) const COUNT: usize = 6;

/// The final verdicts, in their order in the report.
pub(super) fn judge(
    kept: &Kept,
    left: &[String],
    roles: &HashMap<String, Role>,
    rates: &[RateSnapshot],
    hz: u32,
) -> [Verdict; COUNT] {
    let ledger = read_ledger(kept, roles);
    [
        no_hang(kept, left),
        Verdict::new("no leak", kept.leaks.count == 0, kept.leaks.shown()),
        Verdict::new("no kernel report", kept.reports.count == 0, kept.reports.shown()),
        books("fifo invariants held", kept, &ledger, Rule::Invariant),
        books("ledger balanced", kept, &ledger, Rule::Balance),
        rates_achieved(rates, hz),
    ]
}

fn no_hang(kept: &Kept, left: &[String]) -> Verdict {
    let mut diagnostics = kept.hangs.shown();
    if !left.is_empty() {
        diagnostics.push(format!("left loaded, their exit or init stuck: {}", left.join(" ")));
    }
    Verdict::new("no hang", kept.hangs.count == 0 && left.is_empty(), diagnostics)
}

fn read_ledger(kept: &Kept, roles: &HashMap<String, Role>) -> Ledger {
    let mut ledger = Ledger::new();
    for (module, role) in roles {
        ledger.set_role(module, *role);
    }
    ledger.take(kept.ledger.clone());
    ledger.close_books();
    ledger
}

/// One set of the fifo's books: ok when a lifetime closed and none of
/// its failures are of `rule`.
fn books(name: &str, kept: &Kept, ledger: &Ledger, rule: Rule) -> Verdict {
    if !kept.ledger.iter().any(|r| r.text.starts_with("fifo: ")) {
        return Verdict::skip(name, "no fifo was loaded");
    }
    let failures: Vec<String> = ledger.failures_of(rule).map(String::from).collect();
    let mut diagnostics: Vec<String> = ledger.last.iter().map(|b| books_line(b, ledger.lifetimes)).collect();
    let closed = ledger.lifetimes > 0;
    if !closed && failures.is_empty() {
        diagnostics.push("the fifo never reported its counts".into());
    }
    let held = closed && failures.is_empty();
    diagnostics.extend(failures);
    Verdict::new(name, held, diagnostics)
}

/// `put 600 got 598 left 2 (8 slots)`, of the last lifetime.
fn books_line(books: &Books, lifetimes: u64) -> String {
    let Books { slots, put, got, left } = books;
    let which = if lifetimes > 1 { format!(" (the last of {lifetimes} fifo lifetimes)") } else { String::new() };
    format!("put {put} got {got} left {left} of {slots} slots{which}")
}

/// `rates achieved`; see the module docs.
fn rates_achieved(snapshots: &[RateSnapshot], hz: u32) -> Verdict {
    let name = "rates achieved";
    let mut judged = 0;
    let mut held = true;
    let mut diagnostics = Vec::new();
    for snapshot in snapshots {
        for line in &snapshot.rates {
            let Some(judgement) = judge_rate(line, hz) else { continue };
            judged += 1;
            held &= judgement.held;
            if let Some(text) = judgement.said {
                diagnostics.push(format!("after the run of line {}: {text}", snapshot.line));
            }
        }
    }
    if judged == 0 {
        return Verdict::skip(name, "no module asking for a rate re-armed itself during a run");
    }
    Verdict::new(name, held, diagnostics)
}

/// What one rate line came to: whether it held, and what to say about it.
struct Judgement {
    held: bool,
    said: Option<String>,
}

/// Judges one object's rate; `None` when there is nothing to judge (no
/// numeric `rate`, `rate=0`, a rate above HZ, too few runs yet).
fn judge_rate(line: &RateLine, hz: u32) -> Option<Judgement> {
    let requested = line.requested_rate().filter(|r| *r > 0.0 && *r <= f64::from(hz))?;
    let achieved = line.achieved.rate()?;
    let near = |rate: f64| (rate - requested).abs() <= TOLERANCE * requested;
    let what = format!("{}: rate={requested} achieved {achieved:.2}/s", line.module);
    if near(achieved) {
        return Some(Judgement { held: true, said: None });
    }
    let share = line.achieved.callback_share();
    let free = line.achieved.free_rate().filter(|r| r.is_finite());
    if share >= 0.01
        && let Some(free) = free.filter(|free| near(*free))
    {
        let said = format!(
            "{what}, {:.0}% of the time in its callback (waiting for the other side of the fifo?): \
             {free:.2}/s outside it, as asked",
            share * 100.0
        );
        return Some(Judgement { held: true, said: Some(said) });
    }
    let off = (achieved / requested - 1.0) * 100.0;
    Some(Judgement { held: false, said: Some(format!("{what}: {off:+.0}%, more than 10% off")) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::rates::Achieved;
    use std::time::Duration;

    fn line(requested: &str, runs: usize, in_callback_ms: u64) -> RateLine {
        RateLine {
            module: "producer".into(),
            kind: "work item",
            requested: Some(requested.into()),
            achieved: Achieved {
                runs,
                over: Duration::from_secs(10),
                in_callback: Duration::from_millis(in_callback_ms),
                site: "producer.c:34".into(),
            },
        }
    }

    #[test]
    fn a_rate_is_judged_within_ten_percent_outside_its_callbacks_wait() {
        let held = |l: &RateLine| judge_rate(l, 250).map(|j| (j.held, j.said.is_some()));
        assert_eq!(held(&line("5", 50, 0)), Some((true, false)));
        assert_eq!(held(&line("5", 46, 0)), Some((true, false)), "4.6/s is within 10%");
        assert_eq!(held(&line("100", 1250, 0)), Some((false, true)), "HZ / rate rounded: 125/s");
        assert_eq!(held(&line("5", 30, 4000)), Some((true, true)), "waited 40%: 5/s outside it");
        assert_eq!(held(&line("5", 30, 500)), Some((false, true)), "a short wait does not explain it");
        assert_eq!(held(&line("1000", 2500, 0)), None, "above HZ");
        assert_eq!(held(&line("0", 0, 0)), None, "paused");
        let said = judge_rate(&line("5", 30, 0), 250).unwrap().said.unwrap();
        assert_eq!(said, "producer: rate=5 achieved 3.00/s: -40%, more than 10% off");
    }
}
