//! The check's report in KTAP, the kernel's test output format
//! (`Documentation/dev-tools/ktap.rst`): a version line, the plan, then one
//! result line per test as it ends, each followed by its diagnostics as
//! `# ` lines.
//!
//! ```text
//! KTAP version 1
//! 1..3
//! ok 1 insmod fifo.so size=8
//! not ok 2 no kernel report
//! # BUG: KASAN: slab-out-of-bounds in kfree at oob.c:19 [oob]
//! ok 3 fifo invariants held # SKIP no fifo was loaded
//! ```

use std::io::Write;

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    Ok,
    NotOk,
    /// Not applicable to this scenario, for this reason (counts as ok).
    Skip(String),
}

/// One test's result: its name, outcome and diagnostic lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Verdict {
    pub(super) name: String,
    pub(super) outcome: Outcome,
    pub(super) diagnostics: Vec<String>,
}

impl Verdict {
    /// `ok` if `held`, else `not ok`, with diagnostics.
    pub(super) fn new(name: &str, held: bool, diagnostics: Vec<String>) -> Verdict {
        let outcome = if held { Outcome::Ok } else { Outcome::NotOk };
        Verdict { name: name.to_string(), outcome, diagnostics }
    }

    /// Skipped, for `reason`.
    pub(super) fn skip(name: &str, reason: &str) -> Verdict {
        Verdict { name: name.to_string(), outcome: Outcome::Skip(reason.to_string()), diagnostics: Vec::new() }
    }
}

/// A KTAP report being written.
pub(super) struct Ktap<'a> {
    out: &'a mut dyn Write,
    number: usize,
    all_ok: bool,
}

impl<'a> Ktap<'a> {
    /// Starts a report of `plan` tests.
    pub(super) fn start(out: &'a mut dyn Write, plan: usize) -> Ktap<'a> {
        let _ = writeln!(out, "KTAP version 1\n1..{plan}");
        let _ = out.flush();
        Ktap { out, number: 0, all_ok: true }
    }

    /// Writes the next test's result and its diagnostics.
    pub(super) fn result(&mut self, verdict: &Verdict) {
        self.number += 1;
        let (status, directive) = match &verdict.outcome {
            Outcome::Ok => ("ok", String::new()),
            Outcome::NotOk => ("not ok", String::new()),
            Outcome::Skip(reason) => ("ok", format!(" # SKIP {reason}")),
        };
        self.all_ok &= verdict.outcome != Outcome::NotOk;
        let _ = writeln!(self.out, "{status} {} {}{directive}", self.number, verdict.name);
        for line in verdict.diagnostics.iter().flat_map(|d| d.lines()) {
            let _ = writeln!(self.out, "# {line}");
        }
        let _ = self.out.flush();
    }

    /// Whether every test so far was ok (or skipped).
    pub(super) fn all_ok(&self) -> bool {
        self.all_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_numbered_with_their_diagnostics_and_skips() {
        let mut out = Vec::new();
        let mut ktap = Ktap::start(&mut out, 3);
        ktap.result(&Verdict::new("insmod fifo.so", true, vec![]));
        ktap.result(&Verdict::new("no leak", false, vec!["unreferenced object 1 (size 96):\nkmemleak: 1".into()]));
        ktap.result(&Verdict::skip("ledger balanced", "no fifo was loaded"));
        assert!(!ktap.all_ok());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "KTAP version 1\n1..3\nok 1 insmod fifo.so\nnot ok 2 no leak\n# unreferenced object 1 (size 96):\n\
             # kmemleak: 1\nok 3 ledger balanced # SKIP no fifo was loaded\n"
        );
    }
}
