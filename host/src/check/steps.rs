//! Running a scenario's steps, each to one verdict.
//!
//! A command runs as the shell runs it ([`crate::shell::run_line`]): what
//! it prints and the errors it reports become the verdict's diagnostics.
//! After every step the kernel settles: every worker, kthread and timer
//! has done what is due, so what the next step sees does not depend on
//! the machine's speed. `run` moves the manual clock from one deadline a
//! task sleeps until to the next ([`next_deadline`]), settling at each:
//! nothing happens in between, so two minutes of the lab take a few
//! thousand steps, not a step per jiffy. At the end of a run it takes the
//! achieved rates ([`crate::views::rates`]) for the verdicts.
//!
//! A kernel that does not settle has a task that runs with no time
//! passing: a busy loop. The step fails, and the run moves the rest of its
//! time in one go; later steps wait for the kernel only briefly until it
//! settles again, so a busy module does not make the check crawl.

use std::{collections::HashMap, time::Duration};

use super::{
    ktap::Verdict,
    ledger::Role,
    scenario::{Action, Step},
};
use crate::{
    Kernel,
    services::task::{next_deadline, settle},
    shell,
    views::rates::{RateLine, rates},
};

/// How long the kernel may take to settle after a step.
const SETTLE_BOUND: Duration = Duration::from_secs(5);

/// How long, once it did not settle, until it settles again.
const UNSETTLED_BOUND: Duration = Duration::from_millis(100);

/// The achieved rates at the end of one `run`.
#[derive(Debug, Clone)]
pub(super) struct RateSnapshot {
    /// The step's line in the scenario.
    pub(super) line: usize,
    pub(super) rates: Vec<RateLine>,
}

/// The steps' runner, and what it learns for the verdicts.
#[derive(Debug)]
pub(super) struct Runner<'k> {
    kernel: &'k Kernel,
    settle_bound: Duration,
    /// The producers and consumers loaded, by instance name, from their
    /// module's own name.
    pub(super) roles: HashMap<String, Role>,
    /// The rates at the end of each run.
    pub(super) rates: Vec<RateSnapshot>,
}

impl<'k> Runner<'k> {
    pub(super) fn new(kernel: &'k Kernel) -> Runner<'k> {
        Runner { kernel, settle_bound: SETTLE_BOUND, roles: HashMap::new(), rates: Vec::new() }
    }

    /// Runs one step.
    pub(super) fn step(&mut self, step: &Step) -> Verdict {
        let name = step.name();
        let (held, mut diagnostics) = match &step.action {
            Action::Command(line) => self.command(line),
            Action::ExpectFail(line) => {
                let (succeeded, mut diagnostics) = self.command(line);
                if succeeded {
                    diagnostics.push("it succeeded".into());
                }
                (!succeeded, diagnostics)
            }
            Action::Run(duration) => self.run(*duration, step.line),
            Action::ExpectDmesg(text) => self.expect_dmesg(text),
        };
        // A run ends settled, or says why not.
        let settled = if matches!(step.action, Action::Run(_)) { Ok(()) } else { self.settle() };
        self.learn_roles();
        if let Err(why) = &settled {
            diagnostics.push(why.clone());
        }
        Verdict::new(&name, held && settled.is_ok(), diagnostics)
    }

    /// Runs a shell command: whether it succeeded, and what it printed.
    fn command(&mut self, line: &str) -> (bool, Vec<String>) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = shell::run_line(self.kernel, line, &mut out, &mut err);
        let diagnostics = [out, err].iter().flat_map(|text| lines(text)).collect();
        (outcome.ok, diagnostics)
    }

    /// Moves the clock on by `duration`, deadline by deadline.
    fn run(&mut self, duration: Duration, line: usize) -> (bool, Vec<String>) {
        let clock = self.kernel.clock();
        if !clock.is_manual() {
            return (false, vec!["the kernel's clock is not manual: run cannot move it".into()]);
        }
        let end = clock.uptime() + duration;
        let mut diagnostics = Vec::new();
        loop {
            if let Err(why) = self.settle() {
                clock.advance(end.saturating_sub(clock.uptime()));
                diagnostics.extend([why, "the rest of the run moved the clock in one go".into()]);
                break;
            }
            let now = clock.uptime();
            if now >= end {
                break;
            }
            let next = next_deadline(self.kernel.inner.id).filter(|d| *d > now).map_or(end, |d| d.min(end));
            clock.advance(next - now);
        }
        let settled = diagnostics.is_empty();
        let rates = rates(self.kernel);
        diagnostics.extend(rates.iter().map(ToString::to_string));
        self.rates.push(RateSnapshot { line, rates });
        (settled, diagnostics)
    }

    /// Whether the log has a line containing `text`.
    fn expect_dmesg(&self, text: &str) -> (bool, Vec<String>) {
        let found = self.kernel.dmesg().iter().any(|r| r.text.contains(text));
        let diagnostics = if found { Vec::new() } else { vec![format!("no line in the log contains {text:?}")] };
        (found, diagnostics)
    }

    /// Waits for the kernel to settle; why not, if it did not.
    fn settle(&mut self) -> Result<(), String> {
        if settle(self.kernel.inner.id, self.settle_bound) {
            self.settle_bound = SETTLE_BOUND;
            return Ok(());
        }
        let waited = self.settle_bound;
        self.settle_bound = UNSETTLED_BOUND;
        Err(format!(
            "the kernel did not settle within {} ms: a task runs with no time passing (a busy loop?)",
            waited.as_millis()
        ))
    }

    /// Notes the role of every loaded producer and consumer instance.
    fn learn_roles(&mut self) {
        let modules = self.kernel.inner.modules.lock();
        for module in modules.visible() {
            let role = match module.info.name.as_str() {
                "producer" => Role::Producer,
                "consumer" => Role::Consumer,
                _ => continue,
            };
            self.roles.insert(module.name().to_string(), role);
        }
    }
}

/// The lines of what a command printed.
fn lines(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text).lines().map(String::from).collect()
}
