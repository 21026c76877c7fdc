//! The item ledger: every item put was got or discarded, per fifo lifetime.
//!
//! The lab's modules account for their items when they go: a producer or
//! consumer says `unloading after N items` once its work is stopped, and the
//! fifo says `discarded N items from P` for what was still queued, then
//! `unloaded after P puts and G gets`. Producers and consumers cannot outlive
//! the fifo they use, so between one `fifo: ready` and the next `fifo:
//! unloaded` the sums must balance exactly:
//! produced = fifo's puts, consumed = fifo's gets, puts = gets + discarded.
//! These lines are KERN_INFO, handed to the soak by the console as they are
//! logged ([`super::console`]), so the per-item KERN_DEBUG flood cannot push
//! them out of the ring; the ledger takes them in batches as they come and
//! keeps only the open lifetime's sums, so it does not grow with the run.

use modhost::services::printk::Record;

/// At most this many failure lines are kept; the rest are counted.
const MAX_FAILURES: usize = 20;

/// The sums of one fifo lifetime.
#[derive(Debug, Default)]
struct Lifetime {
    produced: u64,
    consumed: u64,
    discarded: u64,
}

/// What the ledger found: items moved, and any imbalance, one line each.
#[derive(Debug)]
pub(crate) struct Ledger {
    producers: &'static [&'static str],
    consumers: &'static [&'static str],
    open: Option<Lifetime>,
    pub(crate) lifetimes: u64,
    pub(crate) items: u64,
    pub(crate) discarded: u64,
    /// The first [`MAX_FAILURES`] failures, and how many more there were.
    pub(crate) failures: Vec<String>,
    pub(crate) more_failures: u64,
}

/// Whether a line is one the ledger reads: the fifo's, or a producer's or
/// consumer's last count.
pub(crate) fn reads(text: &str) -> bool {
    text.starts_with("fifo: ") || text.contains(": unloading after ")
}

/// Balances the books of a whole log (any order).
#[cfg(test)]
fn balance(records: Vec<Record>, producers: &'static [&'static str], consumers: &'static [&'static str]) -> Ledger {
    let mut ledger = Ledger::new(producers, consumers);
    ledger.take(records);
    ledger.close_books();
    ledger
}

impl Ledger {
    pub(crate) fn new(producers: &'static [&'static str], consumers: &'static [&'static str]) -> Ledger {
        Ledger {
            producers,
            consumers,
            open: None,
            lifetimes: 0,
            items: 0,
            discarded: 0,
            failures: Vec::new(),
            more_failures: 0,
        }
    }

    /// Takes the lines logged since the last batch (any order; sorted by
    /// sequence here).
    pub(crate) fn take(&mut self, mut records: Vec<Record>) {
        records.sort_by_key(|r| r.seq);
        for record in &records {
            self.line(record);
        }
    }

    /// Once everything is unloaded: the last lifetime must be closed.
    pub(crate) fn close_books(&mut self) {
        if self.open.is_some() {
            self.fail("ledger: the last fifo never said it unloaded".into());
        }
    }

    fn line(&mut self, record: &Record) {
        let Some((module, text)) = record.text.split_once(": ") else { return };
        if module == "fifo" {
            self.fifo_line(text);
        } else if let Some(n) = count(text, "unloading after ", " items") {
            let (producer, consumer) = (self.producers.contains(&module), self.consumers.contains(&module));
            let Some(life) = self.open.as_mut() else {
                self.fail(format!("ledger: {module} unloaded with no fifo loaded: {}", record.text));
                return;
            };
            if producer {
                life.produced += n;
            } else if consumer {
                life.consumed += n;
            }
        }
    }

    fn fail(&mut self, line: String) {
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(line);
        } else {
            self.more_failures += 1;
        }
    }

    /// One of fifo's own lines: a lifetime starts, discards, or closes.
    fn fifo_line(&mut self, text: &str) {
        if text.starts_with("ready with ") {
            if self.open.replace(Lifetime::default()).is_some() {
                self.fail("ledger: fifo became ready twice without unloading".into());
            }
        } else if let Some(n) = text.strip_prefix("discarded ").and_then(|t| t.split(' ').next()?.parse::<u64>().ok()) {
            if let Some(life) = self.open.as_mut() {
                life.discarded += n;
            }
        } else if let Some(rest) = text.strip_prefix("unloaded after ") {
            let Some(life) = self.open.take() else {
                self.fail(format!("ledger: fifo unloaded twice: {text}"));
                return;
            };
            self.close(life, rest);
        }
    }

    /// Checks one lifetime against fifo's closing line (`P puts and G gets`).
    fn close(&mut self, life: Lifetime, rest: &str) {
        let words: Vec<&str> = rest.split(' ').collect();
        let (Some(puts), Some(gets)) =
            (words.first().and_then(|w| w.parse::<u64>().ok()), words.get(3).and_then(|w| w.parse::<u64>().ok()))
        else {
            self.fail(format!("ledger: unreadable fifo line: unloaded after {rest}"));
            return;
        };
        let lifetime = self.lifetimes + 1;
        if life.produced != puts {
            self.fail(format!(
                "ledger: fifo lifetime {lifetime}: producers put {} items, fifo counted {puts}",
                life.produced
            ));
        }
        if life.consumed != gets {
            self.fail(format!(
                "ledger: fifo lifetime {lifetime}: consumers got {} items, fifo counted {gets}",
                life.consumed
            ));
        }
        if puts != gets + life.discarded {
            self.fail(format!(
                "ledger: fifo lifetime {lifetime}: {puts} puts != {gets} gets + {} discarded",
                life.discarded
            ));
        }
        self.lifetimes += 1;
        self.items += puts;
        self.discarded += life.discarded;
    }
}

/// `N` from `{before}N{after}`.
fn count(text: &str, before: &str, after: &str) -> Option<u64> {
    text.strip_prefix(before)?.strip_suffix(after)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use modhost::services::printk::Level;
    use std::time::Duration;

    fn records(lines: &[&str]) -> Vec<Record> {
        records_from(0, lines)
    }

    /// Records numbered from `first`, handed over in reverse.
    fn records_from(first: usize, lines: &[&str]) -> Vec<Record> {
        let to_record = |(seq, text): (usize, &&str)| Record {
            seq: (first + seq) as u64,
            time: Duration::ZERO,
            level: Level::Info,
            text: text.to_string(),
        };
        // Reversed: the ledger must not depend on the order it was handed.
        lines.iter().enumerate().map(to_record).rev().collect()
    }

    const LIFETIME: [&str; 6] = [
        "fifo: ready with 8 slots",
        "producer2: unloading after 10 items",
        "consumer: unloading after 7 items",
        "fifo: discarded 3 items from producer2",
        "fifo: unloaded after 10 puts and 7 gets",
        "fifo: ready with 2 slots",
    ];

    #[test]
    fn a_balanced_lifetime_passes_and_an_unclosed_one_fails() {
        let ledger = balance(records(&LIFETIME[..5]), &["producer2"], &["consumer"]);
        assert!(ledger.failures.is_empty(), "{:?}", ledger.failures);
        assert_eq!((ledger.lifetimes, ledger.items, ledger.discarded), (1, 10, 3));
        let ledger = balance(records(&LIFETIME), &["producer2"], &["consumer"]);
        assert_eq!(ledger.failures, ["ledger: the last fifo never said it unloaded"]);
    }

    #[test]
    fn a_lost_item_is_found() {
        let mut lines = LIFETIME[..5].to_vec();
        lines[3] = "fifo: discarded 2 items from producer2";
        let ledger = balance(records(&lines), &["producer2"], &["consumer"]);
        assert_eq!(ledger.failures, ["ledger: fifo lifetime 1: 10 puts != 7 gets + 2 discarded"]);
    }

    #[test]
    fn a_lifetime_balances_across_batches() {
        let mut ledger = Ledger::new(&["producer2"], &["consumer"]);
        ledger.take(records_from(0, &LIFETIME[..2]));
        ledger.take(records_from(2, &LIFETIME[2..5]));
        ledger.close_books();
        assert!(ledger.failures.is_empty(), "{:?}", ledger.failures);
        assert_eq!((ledger.lifetimes, ledger.items, ledger.discarded), (1, 10, 3));
    }

    #[test]
    fn failures_are_counted_beyond_the_first_few() {
        let mut ledger = Ledger::new(&["producer2"], &["consumer"]);
        let mut lines = LIFETIME[..5].to_vec();
        lines[3] = "fifo: discarded 2 items from producer2";
        for n in 0..100 {
            ledger.take(records_from(n * 5, &lines));
        }
        assert_eq!((ledger.failures.len(), ledger.more_failures), (MAX_FAILURES, 100 - MAX_FAILURES as u64));
    }

    #[test]
    fn it_reads_the_lifecycle_lines_and_not_the_items() {
        assert!(LIFETIME.iter().all(|line| reads(line)));
        assert!(!reads("producer2: put item-3 #12") && !reads("consumer: got item-3 #12 from producer2 after 1 ms"));
        assert!(!reads("producer: rate 10 -> 100 items/s"));
    }
}
