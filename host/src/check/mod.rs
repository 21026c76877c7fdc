//! `modhost check SCENARIO`: a lab scenario run on a fresh kernel and
//! judged, in KTAP.
//!
//! A teacher writes down what the lab sheet asks (load the fifo, two
//! producers and a consumer, let them run two minutes, unload) and the
//! check runs it on a kernel with a manual clock, so two minutes of kernel
//! time take seconds and every run sees the same schedule:
//!
//! ```text
//! # the lab sheet: a fifo, two producers, a consumer, two minutes
//! insmod fifo.so size=8
//! insmod producer.so item=A rate=5
//! insmod --name producer2 producer.so item=B rate=3
//! insmod consumer.so rate=8
//! expect fail rmmod fifo        # in use by the producers and the consumer
//! run 120s
//! rmmod consumer producer2 producer
//! rmmod fifo
//! ```
//!
//! The format is [`scenario`]'s: one step a line, a shell command (as at the
//! prompt), `run DURATION`, `expect dmesg TEXT` or `expect fail COMMAND`;
//! `#` starts a comment. Module files are found relative to the scenario's
//! directory, then in the module path, as `insmod` finds them.
//!
//! The report is KTAP ([`ktap`]) on stdout: one test per step (a command
//! is ok when it succeeds; a `run` when the kernel settled all along, with
//! the achieved rates as diagnostics), then, once every module is unloaded,
//! the verdicts of [`verdicts`]: `no hang`, `no leak`, `no kernel report`,
//! `fifo invariants held`, `ledger balanced`, `rates achieved`. What a
//! command printed and the first line of each report found are `# `
//! diagnostics under their test. The exit status is 0 when every test is
//! ok, 1 otherwise, and 2 for a scenario that cannot be read or parsed (one
//! line naming its file and line, before anything runs).
//!
//! The parts: [`scenario`] reads the file, [`steps`] runs it, [`observe`]
//! keeps what the verdicts need from the log as it is logged, [`ledger`]
//! reads the fifo's books (the soak's reader too), [`verdicts`] judges,
//! [`ktap`] writes.

mod ktap;
pub mod ledger;
mod observe;
pub mod scenario;
mod steps;
mod verdicts;

use std::io::Write;

pub use crate::debug::report::{is_hung_task_report, is_leak_report, is_report_head};
use crate::{Kernel, KernelBuilder};
use ktap::Ktap;
use observe::Observer;
pub use scenario::{Action, Scenario, ScenarioError, Step};
use steps::Runner;

impl Scenario {
    /// Boots the kernel the scenario runs on: `builder`'s settings, with a
    /// manual clock, and relative module paths resolved from the
    /// scenario's directory.
    pub fn boot(&self, builder: KernelBuilder) -> Kernel {
        builder.manual_clock().base_dir(self.directory()).boot()
    }

    /// How many tests the report has: one per step, and the verdicts.
    pub fn plan(&self) -> usize {
        self.steps.len() + verdicts::COUNT
    }
}

/// Runs `scenario` on `kernel` (booted by [`Scenario::boot`]), writes the
/// KTAP report to `out`, and unloads every module and stops the kernel's
/// threads; returns whether every test was ok. The check is the kernel's
/// console from here on: it reads every line as it is logged.
pub fn run(kernel: &Kernel, scenario: &Scenario, out: &mut dyn Write) -> bool {
    let observer = Observer::attach(kernel);
    let mut ktap = Ktap::start(out, scenario.plan());
    let mut runner = Runner::new(kernel);
    for step in &scenario.steps {
        ktap.result(&runner.step(step));
    }
    let left = kernel.shutdown();
    let hz = kernel.clock().hz();
    for verdict in verdicts::judge(&observer.kept(), &left, &runner.roles, &runner.rates, hz) {
        ktap.result(&verdict);
    }
    ktap.all_ok()
}
