//! The item ledger: every item put was got or discarded, per fifo lifetime.
//!
//! The lab's modules account for their items when they go: a producer or
//! consumer says `unloading after N items` once its work is stopped, and the
//! fifo says `discarded N items from P` for what was still queued, then
//! `unloaded after P puts and G gets`. Producers and consumers cannot outlive
//! the fifo they use, so between one `fifo: ready` and the next `fifo:
//! unloaded` the sums must balance exactly:
//! produced = fifo's puts, consumed = fifo's gets, puts = gets + discarded.
//! These lines are KERN_INFO, collected from the console as they are logged,
//! so the per-item KERN_DEBUG flood cannot push them out of the ring.

use modhost::services::printk::Record;

/// The sums of one fifo lifetime.
#[derive(Debug, Default)]
struct Lifetime {
    produced: u64,
    consumed: u64,
    discarded: u64,
}

/// What the ledger found: items moved, and any imbalance, one line each.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) lifetimes: u64,
    pub(crate) items: u64,
    pub(crate) discarded: u64,
    pub(crate) failures: Vec<String>,
}

/// Balances the books from the records (any order; sorted by sequence here).
pub(crate) fn balance(mut records: Vec<Record>, producers: &[&str], consumers: &[&str]) -> Ledger {
    records.sort_by_key(|r| r.seq);
    let mut ledger = Ledger::default();
    let mut open: Option<Lifetime> = None;
    for record in &records {
        let Some((module, text)) = record.text.split_once(": ") else { continue };
        if module == "fifo" {
            fifo_line(text, &mut open, &mut ledger);
        } else if let Some(n) = count(text, "unloading after ", " items") {
            let Some(life) = open.as_mut() else {
                ledger.failures.push(format!("ledger: {module} unloaded with no fifo loaded: {}", record.text));
                continue;
            };
            if producers.contains(&module) {
                life.produced += n;
            } else if consumers.contains(&module) {
                life.consumed += n;
            }
        }
    }
    if open.is_some() {
        ledger.failures.push("ledger: the last fifo never said it unloaded".into());
    }
    ledger
}

/// One of fifo's own lines: a lifetime starts, discards, or closes.
fn fifo_line(text: &str, open: &mut Option<Lifetime>, ledger: &mut Ledger) {
    if text.starts_with("ready with ") {
        if open.replace(Lifetime::default()).is_some() {
            ledger.failures.push("ledger: fifo became ready twice without unloading".into());
        }
    } else if let Some(n) = text.strip_prefix("discarded ").and_then(|t| t.split(' ').next()?.parse::<u64>().ok()) {
        if let Some(life) = open.as_mut() {
            life.discarded += n;
        }
    } else if let Some(rest) = text.strip_prefix("unloaded after ") {
        let Some(life) = open.take() else {
            ledger.failures.push(format!("ledger: fifo unloaded twice: {text}"));
            return;
        };
        close(life, rest, ledger);
    }
}

/// Checks one lifetime against fifo's closing line (`P puts and G gets`).
fn close(life: Lifetime, rest: &str, ledger: &mut Ledger) {
    let words: Vec<&str> = rest.split(' ').collect();
    let (Some(puts), Some(gets)) =
        (words.first().and_then(|w| w.parse::<u64>().ok()), words.get(3).and_then(|w| w.parse::<u64>().ok()))
    else {
        ledger.failures.push(format!("ledger: unreadable fifo line: unloaded after {rest}"));
        return;
    };
    let lifetime = ledger.lifetimes + 1;
    if life.produced != puts {
        ledger.failures.push(format!(
            "ledger: fifo lifetime {lifetime}: producers put {} items, fifo counted {puts}",
            life.produced
        ));
    }
    if life.consumed != gets {
        ledger.failures.push(format!(
            "ledger: fifo lifetime {lifetime}: consumers got {} items, fifo counted {gets}",
            life.consumed
        ));
    }
    if puts != gets + life.discarded {
        ledger.failures.push(format!(
            "ledger: fifo lifetime {lifetime}: {puts} puts != {gets} gets + {} discarded",
            life.discarded
        ));
    }
    ledger.lifetimes += 1;
    ledger.items += puts;
    ledger.discarded += life.discarded;
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
        let to_record = |(seq, text): (usize, &&str)| Record {
            seq: seq as u64,
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
}
