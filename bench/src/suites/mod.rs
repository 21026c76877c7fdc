//! The benchmark suites, and their registry (the workload PRNG is `modhost_bench::rng`).
//!
//! A suite is a name, a one-line description of what one figure measures,
//! and a function that runs it and returns its figures. A suite chooses its
//! own sizes so that its default run stays short (tens of seconds on the
//! project's 2-core machine); it measures ours and its peers interleaved, rep
//! by rep, so that a burst of noise from the shared machine hits all of them
//! alike. To add one: a file here, a `mod` line and an entry in [`SUITES`].
//!
//! Beside the suites: `modules.rs` finds the module files cargo built and
//! boots a kernel with them; `process.rs` reads the process's CPU time and
//! RSS and asks the dynamic linker whether a library is still loaded.
//!
//! Kernel counterpart: none.

pub(crate) mod debug;
pub(crate) mod fifo;
pub(crate) mod idle;
pub(crate) mod kbuild;
pub(crate) mod lateness;
pub(crate) mod load;
pub(crate) mod memory;
mod modules;
mod process;
pub(crate) mod rate;
pub(crate) mod timers;

pub(crate) use modules::module_dir;

use crate::report::Figure;

/// One benchmark suite.
#[derive(Debug)]
pub(crate) struct Suite {
    /// What the command line calls it.
    pub(crate) name: &'static str,
    /// What its figures measure, and in which unit.
    pub(crate) about: &'static str,
    /// Runs it.
    pub(crate) run: fn() -> Vec<Figure>,
}

/// Every suite, in the order a bare `modhost-bench` runs them.
pub(crate) const SUITES: &[Suite] = &[
    Suite { name: "fifo", about: fifo::ABOUT, run: fifo::run },
    Suite { name: "rate", about: rate::ABOUT, run: rate::run },
    Suite { name: "timers", about: timers::ABOUT, run: timers::run },
    Suite { name: "lateness", about: lateness::ABOUT, run: lateness::run },
    Suite { name: "load", about: load::ABOUT, run: load::run },
    Suite { name: "idle", about: idle::ABOUT, run: idle::run },
    Suite { name: "memory", about: memory::ABOUT, run: memory::run },
    Suite { name: "kbuild", about: kbuild::ABOUT, run: kbuild::run },
    Suite { name: "debug", about: debug::ABOUT, run: debug::run },
];
