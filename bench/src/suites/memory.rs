//! The `memory` suite: resident memory of the host with the lab loaded, and
//! its growth over many insmod/rmmod cycles.
//!
//! Each figure is measured in a fresh process (this binary, run again as
//! `modhost-bench rss-probe WHAT`, which prints one number), so that what
//! earlier suites allocated and freed does not blur it:
//!
//! - `lab`: the RSS (`VmRSS`) of a process whose kernel has fifo, a
//!   producer and a consumer loaded at rate 1, against `bare`, the same
//!   binary that booted nothing. No target: it says what the lab costs.
//! - `cycles`: the RSS growth over `CYCLES` cycles of insmod fifo, producer
//!   and consumer, then rmmod of all three, measured after `WARM_UP` cycles,
//!   against `raw-cycles`, libloading opening and closing the same three
//!   files. The kernel's printk ring is 64 KiB there, full before the
//!   measurement starts, so the log's own bounded growth does not count.
//!   Target: bounded, under 1 MiB.
//!
//! Every probe runs `PROBES` times; a value is the median.
//!
//! Kernel counterpart: none.

use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use modhost::Kernel;
use std::{process::Command, thread, time::Duration};

use super::{modules, process::rss_kib};
use crate::report::Figure;

pub(crate) const ABOUT: &str = "RSS with the lab loaded against a bare process, and RSS growth over \
    1000 insmod/rmmod cycles of the lab after warm-up (KiB; each measured in a fresh process)";

const CYCLES: usize = 1000;
const WARM_UP: usize = 100;
const PROBES: usize = 3;
/// The lab's modules, in load order, with their arguments.
const LAB: [(&str, &str); 3] = [("fifo", ""), ("producer", "rate=1"), ("consumer", "rate=1")];

/// What a probe process measures; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Probe {
    Bare,
    Lab,
    Cycles,
    RawCycles,
}

pub(crate) fn run() -> Vec<Figure> {
    let kib = |probe| (0..PROBES).map(|_| measure(probe)).collect::<Vec<f64>>();
    let (bare, lab, cycles, raw_cycles) =
        (kib(Probe::Bare), kib(Probe::Lab), kib(Probe::Cycles), kib(Probe::RawCycles));
    vec![
        Figure::paired("memory.rss.lab.vs_bare_process".into(), "KiB", &lab, ("bare process", &bare)),
        Figure::paired(
            "memory.growth.lab_cycles1000.vs_libloading".into(),
            "KiB",
            &cycles,
            ("libloading open + close", &raw_cycles),
        )
        .target_max(1024.0),
    ]
}

/// Runs one probe in a fresh process of this binary and reads its number.
fn measure(probe: Probe) -> f64 {
    let name = clap::ValueEnum::to_possible_value(&probe).expect("no probe is skipped").get_name().to_string();
    let exe = std::env::current_exe().expect("the benchmark binary has a path");
    let output = Command::new(exe).args(["rss-probe", &name]).output().expect("the benchmark binary runs again");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "memory: rss-probe {name} failed: {}", String::from_utf8_lossy(&output.stderr));
    text.trim().parse().unwrap_or_else(|_| panic!("memory: rss-probe {name} printed {text:?}"))
}

/// The probe itself, in its own process: KiB of RSS, or of RSS growth.
pub(crate) fn probe(probe: Probe) -> u64 {
    match probe {
        Probe::Bare => rss_kib(),
        Probe::Lab => {
            let kernel = modules::boot();
            load_lab(&kernel);
            thread::sleep(Duration::from_millis(300));
            rss_kib()
        }
        Probe::Cycles => {
            let kernel = Kernel::builder().module_path(modules::module_dir()).ring_bytes(64 << 10).boot();
            growth(|| {
                load_lab(&kernel);
                for (module, _) in LAB.iter().rev() {
                    kernel.rmmod(module).unwrap_or_else(|e| panic!("memory: rmmod {module}: {e}"));
                }
            })
        }
        Probe::RawCycles => growth(|| {
            let libraries: Vec<Library> = LAB.iter().map(|(module, _)| open(module)).collect();
            libraries.into_iter().rev().for_each(|library| library.close().expect("dlclose succeeds"));
        }),
    }
}

fn load_lab(kernel: &Kernel) {
    for (module, args) in LAB {
        kernel.insmod(format!("{module}.so"), args).unwrap_or_else(|e| panic!("memory: insmod {module}: {e}"));
    }
}

/// RSS growth in KiB over `CYCLES` runs of `cycle`, after `WARM_UP` of them.
fn growth(cycle: impl Fn()) -> u64 {
    (0..WARM_UP).for_each(|_| cycle());
    let before = rss_kib();
    (0..CYCLES).for_each(|_| cycle());
    rss_kib().saturating_sub(before)
}

fn open(module: &str) -> Library {
    let file = modules::module_file(module);
    // SAFETY: the lab's libraries run nothing at load (their statics are
    // initialised lazily); nothing of them is used, and they are closed at once.
    unsafe { Library::open(Some(&file), RTLD_NOW | RTLD_LOCAL) }
        .unwrap_or_else(|e| panic!("memory: dlopen {}: {e}", file.display()))
}
