//! What the soak keeps of the log, from the console as lines are logged.
//!
//! The printk ring wraps under the per-item KERN_DEBUG flood, so the soak
//! listens on the console instead, and keeps only what it checks: the
//! ledger's lines until the ledger takes them (after each operation), and
//! the first lines reporting trouble. Nothing here grows with the run.

use super::LockOk;
use modhost::{
    Kernel,
    check::{is_report_head, ledger},
    services::printk::Record,
};
use std::{
    mem,
    sync::{Arc, Mutex},
};

/// At most this many trouble lines are kept; the rest are counted.
const MAX_TROUBLE: usize = 20;

#[derive(Debug, Default)]
struct Kept {
    ledger: Vec<Record>,
    trouble: Vec<String>,
    more_trouble: u64,
}

impl Kept {
    fn keep(&mut self, record: &Record) {
        if ledger::reads(&record.text) {
            self.ledger.push(record.clone());
        }
        // What a healthy run never logs: the kernel's reports.
        if is_report_head(&record.text) {
            if self.trouble.len() < MAX_TROUBLE {
                self.trouble.push(record.text.clone());
            } else {
                self.more_trouble += 1;
            }
        }
    }
}

/// The soak's console; see the module docs.
#[derive(Debug)]
pub(crate) struct Console(Arc<Mutex<Kept>>);

impl Console {
    /// Becomes `kernel`'s console for every KERN_INFO-and-above line.
    pub(crate) fn attach(kernel: &Kernel) -> Console {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let sink = Arc::clone(&kept);
        kernel.printk().set_console_level(7);
        kernel.printk().set_console(Some(Box::new(move |record: &Record| sink.lock_ok().keep(record))));
        Console(kept)
    }

    /// The ledger's lines logged since the last call.
    pub(crate) fn ledger_lines(&self) -> Vec<Record> {
        mem::take(&mut self.0.lock_ok().ledger)
    }

    /// The first lines reporting trouble, and how many more there were.
    pub(crate) fn trouble(&self) -> (Vec<String>, u64) {
        let kept = self.0.lock_ok();
        (kept.trouble.clone(), kept.more_trouble)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modhost::services::printk::Level;
    use std::time::Duration;

    fn record(text: &str) -> Record {
        Record { seq: 0, time: Duration::ZERO, level: Level::Info, text: text.into() }
    }

    #[test]
    fn it_keeps_the_ledger_lines_and_the_first_troubles_only() {
        let mut kept = Kept::default();
        for n in 0..1000 {
            kept.keep(&record(&format!("producer: rate {n} -> 10 items/s")));
            kept.keep(&record(&format!("WARNING: CPU: 0 PID: {n} at x")));
        }
        kept.keep(&record("fifo: ready with 8 slots"));
        assert_eq!(kept.ledger, [record("fifo: ready with 8 slots")]);
        assert_eq!((kept.trouble.len(), kept.more_trouble), (MAX_TROUBLE, 1000 - MAX_TROUBLE as u64));
    }
}
