//! What the check keeps of the log, taken from the console as lines are
//! logged, so that the ring wrapping under a long run's per-item
//! `KERN_DEBUG` lines loses nothing the verdicts need: the first line of
//! each report ([`is_report_head`]), kmemleak's and the hung-task
//! detector's lines, and the ledger's lines. Each list keeps its first
//! [`KEPT`] lines and counts the rest.

use parking_lot::Mutex;
use std::sync::Arc;

use super::ledger;
use crate::{
    Kernel,
    debug::report::{is_hung_task_report, is_leak_report, is_report_head},
    services::printk::Record,
};

/// At most this many lines of each kind are kept.
const KEPT: usize = 20;

/// Lines of one kind: the first [`KEPT`], and how many there were.
#[derive(Debug, Default, Clone)]
pub(super) struct Lines {
    pub(super) first: Vec<String>,
    pub(super) count: usize,
}

impl Lines {
    fn keep(&mut self, text: &str) {
        if self.first.len() < KEPT {
            self.first.push(text.to_string());
        }
        self.count += 1;
    }

    /// The kept lines, and `... and N more` if some were not kept.
    pub(super) fn shown(&self) -> Vec<String> {
        let mut shown = self.first.clone();
        if self.count > self.first.len() {
            shown.push(format!("... and {} more", self.count - self.first.len()));
        }
        shown
    }
}

/// Everything kept, by kind.
#[derive(Debug, Default, Clone)]
pub(super) struct Kept {
    pub(super) reports: Lines,
    pub(super) leaks: Lines,
    pub(super) hangs: Lines,
    /// The ledger's lines, in order (few: one or two per module and load).
    pub(super) ledger: Vec<Record>,
}

/// The check's console; see the module docs.
#[derive(Debug)]
pub(super) struct Observer(Arc<Mutex<Kept>>);

impl Observer {
    /// Becomes `kernel`'s console for every line, `KERN_DEBUG` included.
    pub(super) fn attach(kernel: &Kernel) -> Observer {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let sink = Arc::clone(&kept);
        kernel.printk().set_console_level(8);
        kernel.printk().set_console(Some(Box::new(move |record: &Record| sink.lock().keep(record))));
        Observer(kept)
    }

    /// What was kept so far.
    pub(super) fn kept(&self) -> Kept {
        self.0.lock().clone()
    }
}

impl Kept {
    fn keep(&mut self, record: &Record) {
        let text = record.text.as_str();
        if is_report_head(text) {
            self.reports.keep(text);
        }
        if is_leak_report(text) {
            self.leaks.keep(text);
        }
        if is_hung_task_report(text) {
            self.hangs.keep(text);
        }
        if ledger::reads(text) {
            self.ledger.push(record.clone());
        }
    }
}
