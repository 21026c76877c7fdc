//! The fifo's ledger: every item put was got or is left, per fifo lifetime,
//! read from the lines the lab's modules log as they go.
//!
//! Both labs account for their items when they unload. The Rust lab
//! (`fifo.so`, `producer.so`, `consumer.so`): a producer or consumer says
//! `NAME: unloading after N items` once its work is stopped, and the fifo
//! `fifo: discarded N items from P` for what was still queued, then
//! `fifo: unloaded after P puts and G gets`. The C lab (`tests/c/lab`):
//! `producer: produced N items`, `consumer: consumed N items`, and the fifo
//! `fifo: P put, G got, L left`. Either fifo starts a lifetime with
//! `fifo: ready with N slots`. Producers and consumers cannot outlive the
//! fifo they use, so each lifetime closes with two sets of books:
//!
//! - the fifo's invariants ([`Rule::Invariant`]): put = got + left,
//!   left <= slots, and no count negative;
//! - the balance ([`Rule::Balance`]): what the producers say they produced
//!   is what the fifo counted put, and the consumers' is what it counted got.
//!
//! A C module names its role in its line; a Rust module's `unloading after`
//! says nothing of it, so the reader is told the roles of those instances
//! ([`Ledger::set_role`]). Lines may come in batches, in any order within a
//! batch ([`Ledger::take`]); only the open lifetime's sums and the last
//! closed lifetime's books are kept, so the ledger does not grow with a long
//! run (the soak's). `modhost check` and the soak both read the log with it.

use std::collections::HashMap;

use crate::services::printk::Record;

/// At most this many failure lines are kept; the rest are counted.
const MAX_FAILURES: usize = 20;

/// What a module does with the fifo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Puts items.
    Producer,
    /// Gets items.
    Consumer,
}

/// Which books a failure is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The fifo's own counts disagree with each other or its size.
    Invariant,
    /// The producers' or consumers' counts disagree with the fifo's.
    Balance,
}

/// One thing the books show wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Which books.
    pub rule: Rule,
    /// What, in one line.
    pub text: String,
}

/// One closed fifo lifetime as the fifo reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Books {
    /// Its size.
    pub slots: u64,
    /// Items put.
    pub put: u64,
    /// Items got.
    pub got: u64,
    /// Items left in it at unload.
    pub left: u64,
}

/// The sums of the open lifetime.
#[derive(Debug, Default)]
struct Lifetime {
    slots: u64,
    produced: u64,
    consumed: u64,
    discarded: u64,
}

/// The ledger; see the module docs.
#[derive(Debug, Default)]
pub struct Ledger {
    roles: HashMap<String, Role>,
    open: Option<Lifetime>,
    /// Fifo lifetimes closed.
    pub lifetimes: u64,
    /// Items put over them.
    pub items: u64,
    /// Items left in the fifo at its unloads.
    pub left: u64,
    /// The last closed lifetime's books.
    pub last: Option<Books>,
    /// The first [`MAX_FAILURES`] failures.
    pub failures: Vec<Failure>,
    /// Failures beyond those kept.
    pub more_failures: u64,
}

/// Whether a log line is one the ledger reads: the fifo's, or a producer's
/// or consumer's last count.
pub fn reads(text: &str) -> bool {
    text.starts_with("fifo: ")
        || text.contains(": unloading after ")
        || text.contains(": produced ")
        || text.contains(": consumed ")
}

impl Ledger {
    /// An empty ledger that knows no roles yet.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Tells the ledger that the module (instance) `module` is a producer
    /// or a consumer: for the Rust lab's `unloading after` lines.
    pub fn set_role(&mut self, module: &str, role: Role) {
        self.roles.insert(module.to_string(), role);
    }

    /// Reads the records logged since the last batch (any order; sorted by
    /// sequence here).
    pub fn take(&mut self, mut records: Vec<Record>) {
        records.sort_by_key(|r| r.seq);
        for record in &records {
            self.read_line(&record.text);
        }
    }

    /// Reads one log line (one that [`reads`] does not take is ignored).
    pub fn read_line(&mut self, line: &str) {
        let Some((module, text)) = line.split_once(": ") else { return };
        if module == "fifo" {
            self.fifo_line(text);
            return;
        }
        let count = |verb: &str| number_between(text, verb, " items");
        let (role, n) = if let Some(n) = count("unloading after ") {
            let Some(role) = self.roles.get(module).copied() else { return };
            (role, n)
        } else if let Some(n) = count("produced ") {
            (Role::Producer, n)
        } else if let Some(n) = count("consumed ") {
            (Role::Consumer, n)
        } else {
            return;
        };
        let Ok(n) = n else {
            self.fail(Rule::Invariant, format!("ledger: a negative count: {line}"));
            return;
        };
        let Some(life) = self.open.as_mut() else {
            self.fail(Rule::Balance, format!("ledger: {module} unloaded with no fifo loaded: {line}"));
            return;
        };
        match role {
            Role::Producer => life.produced += n,
            Role::Consumer => life.consumed += n,
        }
    }

    /// Once everything is unloaded: the last lifetime must be closed.
    pub fn close_books(&mut self) {
        if self.open.is_some() {
            self.fail(Rule::Balance, "ledger: the last fifo never said it unloaded".into());
        }
    }

    /// The failures of one set of books.
    pub fn failures_of(&self, rule: Rule) -> impl Iterator<Item = &str> {
        self.failures.iter().filter(move |f| f.rule == rule).map(|f| f.text.as_str())
    }

    fn fail(&mut self, rule: Rule, text: String) {
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(Failure { rule, text });
        } else {
            self.more_failures += 1;
        }
    }

    /// One of the fifo's own lines: a lifetime starts, discards, or closes.
    fn fifo_line(&mut self, text: &str) {
        if let Some(slots) = number_between(text, "ready with ", " slots") {
            let slots = slots.unwrap_or(0);
            if self.open.replace(Lifetime { slots, ..Lifetime::default() }).is_some() {
                self.fail(Rule::Balance, "ledger: fifo became ready twice without unloading".into());
            }
        } else if let Some(rest) = text.strip_prefix("discarded ") {
            let n = rest.split(' ').next().and_then(|w| w.parse::<u64>().ok());
            if let (Some(life), Some(n)) = (self.open.as_mut(), n) {
                life.discarded += n;
            }
        } else if let Some(rest) = text.strip_prefix("unloaded after ") {
            // `P puts and G gets`; what is left is what it discarded.
            let words: Vec<&str> = rest.split(' ').collect();
            let counts = [words.first(), words.get(3)].map(|w| w.and_then(|w| signed(w)));
            self.close(text, counts[0], counts[1], None);
        } else if let Some(rest) = text.strip_suffix(" left") {
            // `P put, G got, L left`.
            let words: Vec<&str> = rest.split(' ').collect();
            let counts = [words.first(), words.get(2), words.get(4)].map(|w| w.and_then(|w| signed(w)));
            if words.len() == 5 && words[1] == "put," && words[3] == "got," {
                self.close(text, counts[0], counts[1], Some(counts[2]));
            }
        }
    }

    /// Closes the open lifetime with the fifo's counts (`None`: unreadable;
    /// `left` `None`: what it discarded).
    fn close(&mut self, text: &str, put: Option<i128>, got: Option<i128>, left: Option<Option<i128>>) {
        let Some(life) = self.open.take() else {
            self.fail(Rule::Balance, format!("ledger: fifo unloaded twice: {text}"));
            return;
        };
        let left = left.unwrap_or(Some(i128::from(life.discarded)));
        let (Some(put), Some(got), Some(left)) = (put, got, left) else {
            self.fail(Rule::Invariant, format!("ledger: unreadable fifo line: {text}"));
            return;
        };
        self.lifetimes += 1;
        let lifetime = self.lifetimes;
        if [put, got, left].iter().any(|n| *n < 0) {
            self.fail(Rule::Invariant, format!("ledger: fifo lifetime {lifetime}: a negative count: {text}"));
            return;
        }
        let [put, got, left] = [put, got, left].map(|n| u64::try_from(n).unwrap_or(u64::MAX));
        self.check_invariants(lifetime, &life, Books { slots: life.slots, put, got, left });
        self.check_balance(lifetime, &life, put, got);
        self.items += put;
        self.left += left;
        self.last = Some(Books { slots: life.slots, put, got, left });
    }

    fn check_invariants(&mut self, lifetime: u64, life: &Lifetime, books: Books) {
        let Books { slots, put, got, left } = books;
        if u128::from(put) != u128::from(got) + u128::from(left) {
            let left = if life.discarded == left { format!("{left} discarded") } else { format!("{left} left") };
            self.fail(Rule::Invariant, format!("ledger: fifo lifetime {lifetime}: {put} puts != {got} gets + {left}"));
        }
        if left > slots {
            self.fail(Rule::Invariant, format!("ledger: fifo lifetime {lifetime}: {left} items left in {slots} slots"));
        }
    }

    fn check_balance(&mut self, lifetime: u64, life: &Lifetime, put: u64, got: u64) {
        if life.produced != put {
            let text =
                format!("ledger: fifo lifetime {lifetime}: producers put {} items, fifo counted {put}", life.produced);
            self.fail(Rule::Balance, text);
        }
        if life.consumed != got {
            let text =
                format!("ledger: fifo lifetime {lifetime}: consumers got {} items, fifo counted {got}", life.consumed);
            self.fail(Rule::Balance, text);
        }
    }
}

/// The count in `{before}N{after}`: `Err` if it is negative.
fn number_between(text: &str, before: &str, after: &str) -> Option<Result<u64, ()>> {
    let n = signed(text.strip_prefix(before)?.strip_suffix(after)?)?;
    Some(u64::try_from(n).map_err(|_| ()))
}

/// A count as a module printed it, sign and all.
fn signed(word: &str) -> Option<i128> {
    word.trim_end_matches(',').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::printk::Level;
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

    fn ledger() -> Ledger {
        let mut ledger = Ledger::new();
        ledger.set_role("producer2", Role::Producer);
        ledger.set_role("consumer", Role::Consumer);
        ledger
    }

    fn balance(lines: &[&str]) -> Ledger {
        let mut ledger = ledger();
        ledger.take(records(lines));
        ledger.close_books();
        ledger
    }

    fn texts(ledger: &Ledger) -> Vec<&str> {
        ledger.failures.iter().map(|f| f.text.as_str()).collect()
    }

    const LIFETIME: [&str; 6] = [
        "fifo: ready with 8 slots",
        "producer2: unloading after 10 items",
        "consumer: unloading after 7 items",
        "fifo: discarded 3 items from producer2",
        "fifo: unloaded after 10 puts and 7 gets",
        "fifo: ready with 2 slots",
    ];

    const C_LIFETIME: [&str; 5] = [
        "fifo: ready with 4 slots",
        "consumer: consumed 19 items",
        "producer: produced 13 items",
        "producer: produced 10 items",
        "fifo: 23 put, 19 got, 4 left",
    ];

    #[test]
    fn a_balanced_lifetime_passes_and_an_unclosed_one_fails() {
        let ledger = balance(&LIFETIME[..5]);
        assert!(ledger.failures.is_empty(), "{:?}", ledger.failures);
        assert_eq!((ledger.lifetimes, ledger.items, ledger.left), (1, 10, 3));
        assert_eq!(ledger.last, Some(Books { slots: 8, put: 10, got: 7, left: 3 }));
        let ledger = balance(&LIFETIME);
        assert_eq!(texts(&ledger), ["ledger: the last fifo never said it unloaded"]);
        assert_eq!(ledger.failures[0].rule, Rule::Balance);
    }

    #[test]
    fn the_c_lab_balances_with_the_roles_its_lines_name() {
        let ledger = balance(&C_LIFETIME);
        assert!(ledger.failures.is_empty(), "{:?}", ledger.failures);
        assert_eq!(ledger.last, Some(Books { slots: 4, put: 23, got: 19, left: 4 }));
    }

    #[test]
    fn a_lost_item_breaks_the_invariant_and_a_miscount_the_balance() {
        let mut lines = LIFETIME[..5].to_vec();
        lines[3] = "fifo: discarded 2 items from producer2";
        let ledger = balance(&lines);
        assert_eq!(texts(&ledger), ["ledger: fifo lifetime 1: 10 puts != 7 gets + 2 discarded"]);
        assert_eq!(ledger.failures_of(Rule::Invariant).count(), 1);
        let mut lines = C_LIFETIME.to_vec();
        lines[2] = "producer: produced 12 items";
        let ledger = balance(&lines);
        assert_eq!(texts(&ledger), ["ledger: fifo lifetime 1: producers put 22 items, fifo counted 23"]);
        assert_eq!(ledger.failures_of(Rule::Balance).count(), 1);
    }

    #[test]
    fn more_left_than_slots_or_a_negative_count_breaks_the_invariants() {
        let mut lines = C_LIFETIME.to_vec();
        lines[0] = "fifo: ready with 2 slots";
        let ledger = balance(&lines);
        assert_eq!(texts(&ledger), ["ledger: fifo lifetime 1: 4 items left in 2 slots"]);
        lines[4] = "fifo: 23 put, 19 got, -4 left";
        let ledger = balance(&lines);
        assert_eq!(texts(&ledger), ["ledger: fifo lifetime 1: a negative count: 23 put, 19 got, -4 left"]);
        let ledger = balance(&["fifo: ready with 2 slots", "consumer: consumed -1 items"]);
        assert_eq!(ledger.failures[0].text, "ledger: a negative count: consumer: consumed -1 items");
    }

    #[test]
    fn a_lifetime_balances_across_batches() {
        let mut ledger = ledger();
        ledger.take(records_from(0, &LIFETIME[..2]));
        ledger.take(records_from(2, &LIFETIME[2..5]));
        ledger.close_books();
        assert!(ledger.failures.is_empty(), "{:?}", ledger.failures);
        assert_eq!((ledger.lifetimes, ledger.items, ledger.left), (1, 10, 3));
    }

    #[test]
    fn failures_are_counted_beyond_the_first_few() {
        let mut ledger = ledger();
        let mut lines = LIFETIME[..5].to_vec();
        lines[3] = "fifo: discarded 2 items from producer2";
        for n in 0..100 {
            ledger.take(records_from(n * 5, &lines));
        }
        assert_eq!((ledger.failures.len(), ledger.more_failures), (MAX_FAILURES, 100 - MAX_FAILURES as u64));
    }

    #[test]
    fn it_reads_the_lifecycle_lines_and_not_the_items() {
        assert!(LIFETIME.iter().chain(&C_LIFETIME).all(|line| reads(line)));
        assert!(!reads("producer2: put item-3 #12") && !reads("consumer: got item-3 #12 from producer2 after 1 ms"));
        assert!(!reads("producer: rate 10 -> 100 items/s"));
    }
}
