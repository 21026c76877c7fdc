//! The last operations of a soak, and the report of a divergence.
//!
//! A soak stops at the first outcome or lsmod that disagrees with its model:
//! past that point the model no longer describes the host, so every later
//! step would disagree too and bury the cause. What it keeps to explain the
//! divergence is a ring of the last [`HISTORY`] operations with their
//! outcomes (bounded, so that a long run's bookkeeping does not grow), and
//! what it prints is enough to replay the run: the seed, the operation's
//! number, the model's loaded set and the host's lsmod.

use super::model::Op;
use modhost::ErrorKind;
use std::{collections::VecDeque, fmt, time::Duration};

/// How many operations a divergence report shows.
pub(crate) const HISTORY: usize = 30;

/// An operation's outcome: `Err` carries the host's error kind.
pub(crate) type Outcome = Result<(), ErrorKind>;

/// One operation as it ran.
#[derive(Debug, Clone)]
struct Entry {
    /// Its number since the kernel booted (warm-up included), from 1.
    number: u64,
    op: Op,
    expected: Outcome,
    outcome: Outcome,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:<8} {} -> {:?}", self.number, self.op, self.outcome)?;
        if self.outcome != self.expected {
            write!(f, " (the model expected {:?})", self.expected)?;
        }
        Ok(())
    }
}

/// The last [`HISTORY`] operations, oldest first.
#[derive(Debug, Default)]
pub(crate) struct History {
    entries: VecDeque<Entry>,
    count: u64,
}

impl History {
    /// Records an operation and returns its number.
    pub(crate) fn push(&mut self, op: &Op, expected: Outcome, outcome: Outcome) -> u64 {
        self.count += 1;
        if self.entries.len() == HISTORY {
            self.entries.pop_front();
        }
        self.entries.push_back(Entry { number: self.count, op: op.clone(), expected, outcome });
        self.count
    }

    /// How many operations ran.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The kept operations, one line each, oldest first.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.entries.iter().map(Entry::to_string).collect()
    }
}

/// What disagreed with the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disagreement {
    /// An operation's outcome.
    Outcome,
    /// lsmod, after an operation that gave the expected outcome.
    Lsmod,
}

/// The first point where host and model disagreed, with what led to it.
#[derive(Debug, Clone)]
pub struct Divergence {
    pub seed: u64,
    /// The number of the operation after which it was seen, since boot.
    pub operation: u64,
    /// Its number in the timed run, and how far into the run it ended;
    /// `None` in the warm-up.
    pub in_run: Option<(u64, Duration)>,
    pub kind: Disagreement,
    /// One line: the operation, what the model expected, what happened.
    pub what: String,
    /// The last operations, oldest first, the diverging one last.
    pub history: Vec<String>,
    /// The loaded set the model had when it made its expectation.
    pub model: Vec<String>,
    /// What the host's lsmod showed after the operation.
    pub lsmod: Vec<String>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seed, operation) = (self.seed, self.operation);
        match self.in_run {
            Some((n, _)) => writeln!(f, "divergence at operation #{operation}, #{n} of the run (seed {seed}):")?,
            None => writeln!(f, "divergence at operation #{operation}, in the warm-up (seed {seed}):")?,
        }
        writeln!(f, "  {}", self.what)?;
        writeln!(f, "  the last {} operations:", self.history.len())?;
        for line in &self.history {
            writeln!(f, "    {line}")?;
        }
        writeln!(f, "  loaded, as the model had it: {:?}", self.model)?;
        writeln!(f, "  loaded, as lsmod showed it:  {:?}", self.lsmod)?;
        // The run starts with nothing loaded and draws its operations from
        // the seed alone (the warm-up has a stream of its own), so any run
        // at least this long makes the same operations up to this one.
        let seconds = self.in_run.map_or(1, |(_, after)| after.as_secs() + 1);
        write!(f, "  replay: cargo run --release -p modhost-bench -- soak --seed {seed} --seconds {seconds}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_keeps_the_last_operations_and_counts_them_all() {
        let mut history = History::default();
        for size in 0..100 {
            history.push(&Op::InsmodFifo { size }, Ok(()), Ok(()));
        }
        history.push(&Op::Rmmod { name: "fifo" }, Ok(()), Err(ErrorKind::InUse));
        let lines = history.lines();
        assert_eq!((history.count(), lines.len()), (101, HISTORY));
        assert_eq!(lines[0], "#72       insmod fifo.so size=71 -> Ok(())");
        assert_eq!(lines[HISTORY - 1], "#101      rmmod fifo -> Err(InUse) (the model expected Ok(()))");
    }
}
