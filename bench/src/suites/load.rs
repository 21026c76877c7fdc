//! The `load` suite: insmod + rmmod of a module against a raw dlopen + dlclose of its file.
//!
//! Ours is a whole cycle of the loader on `fifo.so`: open with `RTLD_NOW |
//! RTLD_LOCAL`, check the ABI and layouts, copy modinfo, parse parameters,
//! resolve symbols, run init (which creates `/proc/fifo`), then rmmod: exit,
//! reclaim, unexport, `dlclose` and the kernel's check that the library is
//! gone. The peer is libloading opening and closing the same file with the
//! same flags and nothing else: the floor that the dynamic linker sets.
//! Rounds of `BATCH` cycles each alternate between the two; a value is the
//! median of the rounds' µs per cycle.
//!
//! After every cycle, outside the timed part, `dlopen(RTLD_NOLOAD)` asks the
//! dynamic linker whether the file is still loaded; the figure counts the
//! cycles after which it was not. Target (the design's first decision):
//! unloading is real, so every cycle of ours unmaps; and the
//! median cycle costs at most twice the raw open + close.
//!
//! Kernel counterpart: `insmod`/`rmmod`, `kernel/module/main.c`.

use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use std::{path::Path, time::Instant};

use super::{modules, process::is_mapped};
use crate::report::Figure;

pub(crate) const ABOUT: &str = "insmod + rmmod of fifo.so against dlopen + dlclose of the same file \
    (µs per cycle; cycles after which the library was unmapped)";

const ROUNDS: usize = 21;
const BATCH: usize = 50;
const WARM_UP: usize = 10;

pub(crate) fn run() -> Vec<Figure> {
    let kernel = modules::boot();
    let file = modules::module_file("fifo");
    let ours = || {
        kernel.insmod(&file, "").unwrap_or_else(|e| panic!("load: insmod: {e}"));
        kernel.rmmod("fifo").unwrap_or_else(|e| panic!("load: rmmod: {e}"));
    };
    let raw = || raw_cycle(&file);
    for _ in 0..WARM_UP {
        ours();
        raw();
    }
    let (mut us, mut unmapped) = ([Vec::new(), Vec::new()], [0.0; 2]);
    for round in 0..ROUNDS {
        for k in 0..2 {
            let i = (round + k) % 2;
            let cycle: &dyn Fn() = if i == 0 { &ours } else { &raw };
            let (elapsed_us, gone) = batch(cycle, &file);
            us[i].push(elapsed_us);
            unmapped[i] += gone as f64;
        }
    }
    assert!(kernel.pinned_libraries().is_empty(), "load: the kernel reports pinned libraries");
    let peer = "libloading open + close";
    let cycles = (ROUNDS * BATCH) as f64;
    vec![
        Figure::paired("load.cycle.fifo.vs_libloading".into(), "µs", &us[0], (peer, &us[1])).target(2.0),
        Figure::paired("load.unmapped.fifo.vs_libloading".into(), "cycles", &[unmapped[0]], (peer, &[unmapped[1]]))
            .target_within(cycles, 0.0),
    ]
}

/// `BATCH` cycles: µs per cycle (timed cycles only), and how many left the file unmapped.
fn batch(cycle: &dyn Fn(), file: &Path) -> (f64, usize) {
    let (mut elapsed, mut gone) = (0.0, 0);
    for _ in 0..BATCH {
        let start = Instant::now();
        cycle();
        elapsed += start.elapsed().as_secs_f64();
        gone += usize::from(!is_mapped(file));
    }
    (elapsed * 1e6 / BATCH as f64, gone)
}

fn raw_cycle(file: &Path) {
    // SAFETY: fifo.so's initialisers are Rust's and abi_stable's statics,
    // which run nothing at load; nothing of the library is used, and it is
    // closed at once.
    let library = unsafe { Library::open(Some(file), RTLD_NOW | RTLD_LOCAL) };
    library
        .unwrap_or_else(|e| panic!("load: dlopen {}: {e}", file.display()))
        .close()
        .unwrap_or_else(|e| panic!("load: dlclose: {e}"));
}
