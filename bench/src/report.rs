//! Figures and how they are printed: an aligned table, or JSON with stable keys.
//!
//! A [`Figure`] is one measured value of ours, usually beside a peer's value
//! measured in the same run, their ratio `ours / peer`, and optionally a
//! [`Target`]: the largest ratio the project accepts, the largest value of
//! ours, or a value ours must come within a tolerance of (an achieved rate).
//! Values are [`Sample`]s: the median of a suite's repetitions, with the
//! lowest and highest beside it so that noise shows. Lower is better for
//! every figure whose target is a maximum.
//!
//! Ours and the peer are measured in rounds, one rep of each back to back,
//! and the ratio is the median of the per-round ratios, not the ratio of the
//! medians: on a shared, noisy machine (the project's 2 vCPUs differ from
//! each other and from minute to minute) a burst of noise or a move to the
//! other vCPU then hits both sides of a ratio alike. The two are close when
//! the machine is quiet.
//!
//! The JSON output (`--json`) is one object; its keys are stable, and a
//! missing value is `null`:
//!
//! ```text
//! { "suites": [ { "suite": "timers", "about": "...",
//!     "figures": [ { "key": "timers.arm_cancel.n1000000.vs_indexed_heap",
//!       "unit": "ns",
//!       "ours": 20.1, "ours_min": 19.8, "ours_max": 23.0,
//!       "peer": "indexed binary heap",
//!       "peer_value": 95.2, "peer_min": 90.1, "peer_max": 99.0,
//!       "ratio": 0.211, "ratio_min": 0.18, "ratio_max": 0.3,
//!       "target_max_ratio": 0.5, "target_max": null,
//!       "target_value": null, "target_tolerance": null, "pass": true } ] } ] }
//! ```
//!
//! `key` names the figure for good: `<suite>.<measure>.<case>.vs_<peer>`
//! (without `.vs_<peer>` when there is no peer). At most one kind of target
//! is set: `target_max_ratio` (`ratio` ≤ it), `target_max` (`ours` ≤ it), or
//! `target_value` with `target_tolerance` (`ours` within `value × (1 ±
//! tolerance)`); `pass` is `null` without a target.
//!
//! Kernel counterpart: none.

use std::fmt::Write;

use crate::suites::Suite;

/// A measured value: the median of the repetitions, and their range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Sample {
    /// The sample of `values` (at least one).
    pub(crate) fn of(mut values: Vec<f64>) -> Sample {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
        Sample { median, min: values[0], max: values[n - 1] }
    }
}

/// What ours is compared with.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub(crate) name: String,
    pub(crate) value: Sample,
    /// `ours / peer`, round by round.
    pub(crate) ratio: Sample,
}

/// What the project accepts for a figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target {
    /// `ours / peer` at most this.
    MaxRatio(f64),
    /// Ours at most this, in the figure's unit.
    Max(f64),
    /// Ours within `value × (1 ± tolerance)`.
    Within { value: f64, tolerance: f64 },
}

/// One line of a report; see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct Figure {
    pub(crate) key: String,
    pub(crate) unit: &'static str,
    pub(crate) ours: Sample,
    pub(crate) peer: Option<Peer>,
    pub(crate) target: Option<Target>,
}

impl Figure {
    /// A figure from per-round measurements of ours and of a peer (same rounds, same order).
    pub(crate) fn paired(key: String, unit: &'static str, ours: &[f64], peer: (&str, &[f64])) -> Figure {
        let (name, theirs) = peer;
        assert_eq!(ours.len(), theirs.len(), "{key}: one peer measurement per round");
        let ratios = ours.iter().zip(theirs).map(|(o, t)| o / t).collect();
        Figure {
            key,
            unit,
            ours: Sample::of(ours.to_vec()),
            peer: Some(Peer { name: name.into(), value: Sample::of(theirs.to_vec()), ratio: Sample::of(ratios) }),
            target: None,
        }
    }

    /// The same figure with a target: the largest `ours / peer` accepted.
    pub(crate) fn target(self, max_ratio: f64) -> Figure {
        Figure { target: Some(Target::MaxRatio(max_ratio)), ..self }
    }

    /// The same figure with a target: the largest value of ours accepted.
    pub(crate) fn target_max(self, max: f64) -> Figure {
        Figure { target: Some(Target::Max(max)), ..self }
    }

    /// The same figure with a target: ours within `value × (1 ± tolerance)`.
    pub(crate) fn target_within(self, value: f64, tolerance: f64) -> Figure {
        Figure { target: Some(Target::Within { value, tolerance }), ..self }
    }

    /// `ours / peer`: the median of the per-round ratios.
    pub(crate) fn ratio(&self) -> Option<f64> {
        self.peer.as_ref().map(|peer| peer.ratio.median)
    }

    /// Whether the target is met; `None` without a target.
    pub(crate) fn pass(&self) -> Option<bool> {
        Some(match self.target? {
            Target::MaxRatio(max) => self.ratio()? <= max,
            Target::Max(max) => self.ours.median <= max,
            Target::Within { value, tolerance } => (self.ours.median - value).abs() <= value * tolerance,
        })
    }
}

/// The suite's figures as an aligned table, with a heading and a summary line.
pub(crate) fn table(suite: &Suite, figures: &[Figure]) -> String {
    let mut rows = vec![["figure", "ours", "peer", "peer value", "ratio", "target", "pass"].map(String::from)];
    for f in figures {
        let peer = f.peer.as_ref();
        rows.push([
            f.key.clone(),
            format_sample(&f.ours, f.unit),
            peer.map_or("-".into(), |p| p.name.clone()),
            peer.map_or("-".into(), |p| format_sample(&p.value, f.unit)),
            peer.map_or("-".into(), |p| format_ratio(&p.ratio)),
            f.target.map_or("-".into(), |t| format_target(t, f.unit)),
            f.pass().map_or("-".into(), |pass| if pass { "PASS" } else { "FAIL" }.into()),
        ]);
    }
    let widths: Vec<usize> = (0..7).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = format!("{}: {}\n", suite.name, suite.about);
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, &w)| format!("{cell:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let targets = figures.iter().filter_map(Figure::pass);
    let (met, all) = targets.fold((0, 0), |(met, all), pass| (met + usize::from(pass), all + 1));
    let _ = writeln!(out, "{}: {met} of {all} targets met\n", suite.name);
    out
}

/// `ratio <= 3.00`, `<= 1024 KiB` or `250 ±0.5%`.
fn format_target(target: Target, unit: &str) -> String {
    match target {
        Target::MaxRatio(max) => format!("ratio <= {max:.2}"),
        Target::Max(max) => format!("<= {} {unit}", precise(max)),
        Target::Within { value, tolerance: 0.0 } => format!("= {}", precise(value)),
        Target::Within { value, tolerance } => format!("{} ±{}%", precise(value), tolerance * 100.0),
    }
}

/// `12.3 [11.9-14.0] ns`: median [min-max] unit; without the range when
/// there is none (a single measurement).
fn format_sample(s: &Sample, unit: &str) -> String {
    if s.min == s.max {
        return format!("{} {unit}", precise(s.median));
    }
    format!("{} [{}-{}] {unit}", precise(s.median), precise(s.min), precise(s.max))
}

/// `1.781 [1.49-3.86]`, or `1.781` for a single measurement; `-` against a peer's 0.
fn format_ratio(r: &Sample) -> String {
    if !r.median.is_finite() {
        return "-".into();
    }
    if r.min == r.max {
        return format!("{:.3}", r.median);
    }
    format!("{:.3} [{:.2}-{:.2}]", r.median, r.min, r.max)
}

/// Four significant digits or more (a rate's 0.5 % shows), a count as it is, never exponent notation.
fn precise(x: f64) -> String {
    if x >= 1000.0 || (x >= 1.0 && x.fract() == 0.0) {
        format!("{x:.0}")
    } else if x >= 100.0 {
        format!("{x:.1}")
    } else if x >= 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// Every suite's figures as one JSON object (keys in the module docs).
pub(crate) fn json(results: &[(&Suite, Vec<Figure>)]) -> String {
    let suites: Vec<String> = results
        .iter()
        .map(|(suite, figures)| {
            let figures: Vec<String> = figures.iter().map(figure_json).collect();
            format!(
                "{{\"suite\":{},\"about\":{},\"figures\":[{}]}}",
                string(suite.name),
                string(suite.about),
                figures.join(",")
            )
        })
        .collect();
    format!("{{\"suites\":[{}]}}", suites.join(","))
}

fn figure_json(f: &Figure) -> String {
    let peer = f.peer.as_ref();
    // One target field from the figure's target, if it is of that kind.
    macro_rules! target {
        ($kind:pat => $x:expr) => {
            match f.target {
                Some($kind) => Some($x),
                _ => None,
            }
        };
    }
    let fields = [
        ("key", string(&f.key)),
        ("unit", string(f.unit)),
        ("ours", number(Some(f.ours.median))),
        ("ours_min", number(Some(f.ours.min))),
        ("ours_max", number(Some(f.ours.max))),
        ("peer", peer.map_or("null".into(), |p| string(&p.name))),
        ("peer_value", number(peer.map(|p| p.value.median))),
        ("peer_min", number(peer.map(|p| p.value.min))),
        ("peer_max", number(peer.map(|p| p.value.max))),
        ("ratio", number(f.ratio())),
        ("ratio_min", number(peer.map(|p| p.ratio.min))),
        ("ratio_max", number(peer.map(|p| p.ratio.max))),
        ("target_max_ratio", number(target!(Target::MaxRatio(max) => max))),
        ("target_max", number(target!(Target::Max(max) => max))),
        ("target_value", number(target!(Target::Within { value, .. } => value))),
        ("target_tolerance", number(target!(Target::Within { tolerance, .. } => tolerance))),
        ("pass", f.pass().map_or("null".into(), |p| p.to_string())),
    ];
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", fields.join(","))
}

/// A JSON number, or `null` when absent or not finite (JSON has no NaN).
fn number(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite()).map_or("null".into(), |x| format!("{x}"))
}

/// A JSON string literal.
fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(ours: f64, peer: f64, target: Option<f64>) -> Figure {
        let figure = Figure::paired("t.k".into(), "ns", &[ours], ("p \"q\"", &[peer]));
        Figure { target: target.map(Target::MaxRatio), ..figure }
    }

    #[test]
    fn samples_take_the_median() {
        let s = Sample::of(vec![5.0, 1.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        assert_eq!(Sample::of(vec![4.0, 1.0, 2.0, 3.0]).median, 2.5);
    }

    #[test]
    fn the_ratio_is_the_median_of_the_rounds() {
        // Round 2 was noisy for both sides; the rounds' ratios do not see it.
        let f = Figure::paired("k".into(), "ns", &[10.0, 30.0, 11.0], ("p", &[40.0, 100.0, 40.0]));
        assert_eq!((f.ours.median, f.peer.as_ref().unwrap().value.median), (11.0, 40.0));
        assert_eq!(f.ratio(), Some(0.275));
        assert_eq!(f.target(0.25).pass(), Some(false));
    }

    #[test]
    fn targets_bound_the_ratio() {
        assert_eq!(figure(10.0, 40.0, Some(0.5)).pass(), Some(true));
        assert_eq!(figure(30.0, 40.0, Some(0.5)).pass(), Some(false));
        assert_eq!(figure(30.0, 40.0, None).pass(), None);
    }

    #[test]
    fn json_keeps_its_keys_and_escapes() {
        let suite = Suite { name: "t", about: "a\nb", run: Vec::new };
        let json = json(&[(&suite, vec![figure(1.5, 3.0, Some(0.5))])]);
        assert!(
            json.starts_with("{\"suites\":[{\"suite\":\"t\",\"about\":\"a\\u000ab\",\"figures\":[{\"key\":\"t.k\"")
        );
        assert!(json.contains("\"peer\":\"p \\\"q\\\"\",\"peer_value\":3,"));
        assert!(json.ends_with(
            "\"ratio\":0.5,\"ratio_min\":0.5,\"ratio_max\":0.5,\"target_max_ratio\":0.5,\"target_max\":null,\
             \"target_value\":null,\"target_tolerance\":null,\"pass\":true}]}]}"
        ));
    }

    #[test]
    fn absolute_targets_judge_ours_alone() {
        let rate = |achieved: f64| figure(achieved, 80.0, None).target_within(100.0, 0.005);
        assert_eq!(rate(100.4).pass(), Some(true));
        assert_eq!(rate(99.4).pass(), Some(false));
        assert_eq!(figure(900.0, 10.0, None).target_max(1024.0).pass(), Some(true));
        assert!(figure_json(&rate(100.0)).contains("\"target_value\":100,\"target_tolerance\":0.005,\"pass\":true"));
    }
}
