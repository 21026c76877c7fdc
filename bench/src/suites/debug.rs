//! The `debug` suite: what the teaching diagnostics cost.
//!
//! Two kernels, one with the diagnostics on (the default: lockdep over
//! every lock, semaphore and completion, the wait-for explanations) and
//! one with them off (`--no-debug`), run the same work in alternating
//! rounds: the fifo's hand-off between one producer and one consumer
//! thread, through the Rust fifo and through the lab's C fifo, and an
//! insmod + rmmod cycle of `fifo.so`. Each figure is on against off; the
//! target is at most 1.5 times.
//!
//! Kernel counterpart: `CONFIG_PROVE_LOCKING` and friends, which a
//! production kernel leaves out for their cost.

use modhost::Kernel;
use std::time::Instant;

use super::{
    fifo::{self, Contender, OursFifo, SLOTS},
    modules,
};
use crate::report::Figure;

pub(crate) const ABOUT: &str = "the teaching diagnostics on against off: fifo hand-off (ns per item, \
    1 producer, 1 consumer) and insmod + rmmod of fifo.so (µs per cycle)";

const ROUNDS: usize = 9;
const CYCLES: usize = 40;

pub(crate) fn run() -> Vec<Figure> {
    let kernels = [boot(true), boot(false)];
    let clean = [bare(true), bare(false)];
    let (mut rust, mut c, mut load) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for round in 0..ROUNDS {
        for k in 0..2 {
            let i = (round + k) % 2;
            let kernel = &kernels[i];
            rust[i].push(handoff(kernel, Contender::Ours));
            c[i].push(handoff(kernel, Contender::CLab));
            load[i].push(cycle(&clean[i]));
        }
    }
    let off = "diagnostics off";
    vec![
        Figure::paired("debug.handoff.1p1c.on_vs_off".into(), "ns", &rust[0], (off, &rust[1])).target(1.5),
        Figure::paired("debug.handoff.c_lab.on_vs_off".into(), "ns", &c[0], (off, &c[1])).target(1.5),
        Figure::paired("debug.load.cycle.on_vs_off".into(), "µs", &load[0], (off, &load[1])).target(1.5),
    ]
}

/// A kernel with nothing loaded.
fn bare(debug: bool) -> Kernel {
    Kernel::builder().module_path(modules::module_dir()).debug(debug).boot()
}

/// A kernel with the Rust fifo and the C lab's fifo loaded.
fn boot(debug: bool) -> Kernel {
    let kernel = bare(debug);
    kernel.insmod("fifo.so", &format!("size={SLOTS}")).unwrap_or_else(|e| panic!("debug: insmod fifo.so: {e}"));
    let c_fifo = super::kbuild::c_lab().join("fifo.ko");
    kernel
        .insmod_named(&c_fifo, Some("c_fifo"), &format!("size={SLOTS}"))
        .unwrap_or_else(|e| panic!("debug: insmod {}: {e}", c_fifo.display()));
    kernel
}

/// ns per item handed from one producer to one consumer through `who`.
fn handoff(kernel: &Kernel, who: Contender) -> f64 {
    let fifo = OursFifo::get(kernel, kernel);
    let (puts, gets) = fifo::ends(who, &fifo, 1, 1);
    let carried = if who == Contender::CLab { fifo::c_item } else { std::convert::identity };
    fifo::handoff(puts, gets, carried)
}

/// µs per insmod + rmmod of `fifo.so` on `kernel`.
fn cycle(kernel: &Kernel) -> f64 {
    let file = modules::module_file("fifo");
    let start = Instant::now();
    for _ in 0..CYCLES {
        kernel.insmod(&file, "").unwrap_or_else(|e| panic!("debug: insmod: {e}"));
        kernel.rmmod("fifo").unwrap_or_else(|e| panic!("debug: rmmod: {e}"));
    }
    start.elapsed().as_secs_f64() * 1e6 / CYCLES as f64
}
