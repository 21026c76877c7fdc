//! The `fifo` suite: hand-off through fifo's exported `fifo_put`/`fifo_get`.
//!
//! A kernel loads `fifo.so` (32 slots, its default), and the benchmark
//! takes `fifo_put` and `fifo_get` with `symbol_get`, as code outside any
//! module would, and calls them from its own threads: P producers each put
//! `ITEMS / P` items, C consumers each get `ITEMS / C`, with no rate limit.
//! A barrier releases all threads together and the clock runs until every
//! one has been joined; the figure is wall-clock ns per item. The consumers
//! sum the items' sequence numbers, which must come out exactly.
//!
//! Peers, each carrying the same 136-byte `FifoItem` through 32 slots:
//! crossbeam-channel `bounded(32)`; std `sync_channel(32)` (its receiver
//! behind a mutex when there is more than one consumer, since it cannot be
//! shared); and the textbook semaphore ring (`peers/semaphore_ring.rs`).
//! Every round runs each contender once per configuration, in a rotating
//! order; a ratio is the median of the rounds' ratios.
//!
//! The lab in C (`tests/c/lab`, built by kbuild: a mutex and two
//! semaphores around a ring of `char`s, `put_item`/`get_item`) runs the
//! same hand-off beside them, at 32 slots; its items are one byte where
//! the others carry 136, which favours it, if anything. The same lab built
//! with `KASAN=1`, in a kernel of its own (its exports are the lab's),
//! gives the cost of checking every access: `c_lab_kasan_vs_c_lab`.
//!
//! Target: the C lab's fifo within 1.5 × the Rust fifo at 1P/1C; and at
//! 1P/1C, ours at most 3 × crossbeam-channel, keeping
//! the lab's mutex-and-two-semaphores semantics. The project's baselines put
//! the semaphore ring at about 45 × crossbeam on the 2-vCPU machine.
//!
//! Kernel counterpart: none; `fifo_put`/`fifo_get` are the lab's exports.

use crossbeam_channel as crossbeam;
use fifo_api::FifoItem;
use modhost::Kernel;
use std::{
    sync::{Arc, Barrier, Mutex, mpsc},
    thread,
    time::Instant,
};

use super::modules;
use crate::{peers::semaphore_ring::SemaphoreRing, report::Figure};

pub(crate) const ABOUT: &str = "P producer and C consumer threads hand items through 32 slots \
    (wall ns per item; ratio: median of the rounds' ratios)";

/// Items per run: a multiple of every P and C, and enough fill/drain cycles
/// of 32 slots (about 4000) for sleeping to show.
const ITEMS: u64 = 128_000;
/// Odd, for a true median; enough that a few rounds caught by the shared
/// machine's bursts of load do not move it.
const ROUNDS: usize = 9;
/// (producers, consumers).
const CONFIGS: [(u64, u64); 3] = [(1, 1), (2, 2), (4, 4)];
pub(crate) const SLOTS: usize = 32;

/// `fifo_put` and `fifo_get` as fifo exports them (`fifo_api`'s docs).
type PutFn = extern "C" fn(&FifoItem) -> i32;
type GetFn = extern "C" fn(&mut FifoItem) -> i32;

/// One producer's or consumer's end, moved into its thread.
pub(crate) type Put = Box<dyn FnMut(FifoItem) + Send>;
pub(crate) type Get = Box<dyn FnMut() -> FifoItem + Send>;

/// The contenders, ours first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Contender {
    Ours,
    Crossbeam,
    SyncChannel,
    SemaphoreRing,
    CLab,
    CLabKasan,
}

impl Contender {
    const ALL: [Contender; 6] = [
        Contender::Ours,
        Contender::Crossbeam,
        Contender::SyncChannel,
        Contender::SemaphoreRing,
        Contender::CLab,
        Contender::CLabKasan,
    ];

    /// (key suffix, name in the table).
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Contender::Ours => ("ours", "modhost fifo"),
            Contender::Crossbeam => ("crossbeam", "crossbeam-channel bounded(32)"),
            Contender::SyncChannel => ("sync_channel", "std sync_channel(32)"),
            Contender::SemaphoreRing => ("semaphore_ring", "mutex+condvar semaphore ring"),
            Contender::CLab => ("c_lab", "the lab's fifo in C"),
            Contender::CLabKasan => ("c_lab_kasan", "the lab's fifo in C, KASAN=1"),
        }
    }
}

pub(crate) fn run() -> Vec<Figure> {
    let kernel = modules::boot();
    kernel.insmod("fifo.so", &format!("size={SLOTS}")).unwrap_or_else(|e| panic!("fifo: insmod fifo.so: {e}"));
    let c_fifo = super::kbuild::c_lab().join("fifo.ko");
    kernel
        .insmod_named(&c_fifo, Some("c_fifo"), &format!("size={SLOTS}"))
        .unwrap_or_else(|e| panic!("fifo: insmod {}: {e}", c_fifo.display()));
    // The lab with KASAN=1 exports the same names: a kernel of its own.
    let kasan_kernel = modules::boot();
    let c_kasan_fifo = super::kbuild::c_lab_with(&["KASAN=1"]).join("fifo.ko");
    kasan_kernel
        .insmod_named(&c_kasan_fifo, Some("c_fifo"), &format!("size={SLOTS}"))
        .unwrap_or_else(|e| panic!("fifo: insmod {}: {e}", c_kasan_fifo.display()));
    let fifo = OursFifo::get(&kernel, &kasan_kernel);
    // ns per item: [config][contender][round].
    let mut ns = vec![vec![Vec::with_capacity(ROUNDS); Contender::ALL.len()]; CONFIGS.len()];
    for round in 0..ROUNDS {
        for (c, &(p, q)) in CONFIGS.iter().enumerate() {
            for k in 0..Contender::ALL.len() {
                let i = (round + k) % Contender::ALL.len();
                let who = Contender::ALL[i];
                let (puts, gets) = ends(who, &fifo, p, q);
                let carried =
                    if matches!(who, Contender::CLab | Contender::CLabKasan) { c_item } else { std::convert::identity };
                ns[c][i].push(handoff(puts, gets, carried));
            }
        }
    }
    drop(fifo);
    kernel.rmmod("fifo").unwrap_or_else(|e| panic!("fifo: rmmod: {e}"));
    kernel.rmmod("c_fifo").unwrap_or_else(|e| panic!("fifo: rmmod c_fifo: {e}"));
    kasan_kernel.rmmod("c_fifo").unwrap_or_else(|e| panic!("fifo: rmmod c_fifo (KASAN=1): {e}"));
    assert!(
        !kasan_kernel.dmesg().iter().any(|r| r.text.starts_with("BUG: KASAN:")),
        "fifo: the lab with KASAN=1 was reported"
    );
    figures(&ns)
}

/// ours against each peer, per configuration, the C lab against ours, and
/// the C lab with KASAN=1 against without; the targets at 1P/1C.
fn figures(ns: &[Vec<Vec<f64>>]) -> Vec<Figure> {
    let mut figures = Vec::new();
    let at = |who: Contender| Contender::ALL.iter().position(|c| *c == who).expect("a contender");
    let (c_lab, c_lab_kasan) = (at(Contender::CLab), at(Contender::CLabKasan));
    for (&(p, q), ns) in CONFIGS.iter().zip(ns) {
        let figure =
            Figure::paired(format!("fifo.handoff.{p}p{q}c.c_lab_vs_ours"), "ns", &ns[c_lab], ("modhost fifo", &ns[0]));
        figures.push(if (p, q) == (1, 1) { figure.target(1.5) } else { figure });
        let key = format!("fifo.handoff.{p}p{q}c.c_lab_kasan_vs_c_lab");
        figures.push(Figure::paired(key, "ns", &ns[c_lab_kasan], ("the lab's fifo in C", &ns[c_lab])));
        let lab = |c: &Contender| matches!(c, Contender::CLab | Contender::CLabKasan);
        for (peer, theirs) in Contender::ALL.iter().zip(ns).skip(1).filter(|(c, _)| !lab(c)) {
            let (key, name) = peer.names();
            let figure = Figure::paired(format!("fifo.handoff.{p}p{q}c.vs_{key}"), "ns", &ns[0], (name, theirs));
            figures.push(if (p, q, *peer) == (1, 1, Contender::Crossbeam) { figure.target(3.0) } else { figure });
        }
    }
    figures
}

/// The C lab's `put_item` and `get_item`.
type CPutFn = extern "C" fn(core::ffi::c_char) -> i32;
type CGetFn = extern "C" fn(*mut core::ffi::c_char) -> i32;

/// What a C lab item carries of a sequence number: its low 7 bits.
pub(crate) fn c_item(seq: u64) -> u64 {
    seq & 0x7f
}

/// fifo's exports, held with a reference on the module; and the C lab's,
/// built without and with KASAN=1.
pub(crate) struct OursFifo {
    put: PutFn,
    get: GetFn,
    c_put: CPutFn,
    c_get: CGetFn,
    c_kasan_put: CPutFn,
    c_kasan_get: CGetFn,
    _symbols: [modhost::symbols::SymbolRef; 6],
}

impl OursFifo {
    /// The exports of `kernel`'s fifo and C lab, and of `kasan_kernel`'s C lab.
    pub(crate) fn get(kernel: &Kernel, kasan_kernel: &Kernel) -> OursFifo {
        let symbol =
            |kernel: &Kernel, name| kernel.symbol_get(name).unwrap_or_else(|e| panic!("fifo: symbol_get {name}: {e}"));
        let (put, get) = (symbol(kernel, "fifo_put"), symbol(kernel, "fifo_get"));
        let (c_put, c_get) = (symbol(kernel, "put_item"), symbol(kernel, "get_item"));
        let (k_put, k_get) = (symbol(kasan_kernel, "put_item"), symbol(kasan_kernel, "get_item"));
        // SAFETY: fifo exports these two as `extern "C" fn(&FifoItem) -> i32`
        // and `extern "C" fn(&mut FifoItem) -> i32` (its `module!` exports,
        // typed by `fifo_api`, the crate the benchmark uses too), and the
        // `SymbolRef`s kept beside the pointers keep fifo loaded.
        let (put_fn, get_fn) = unsafe {
            (std::mem::transmute::<usize, PutFn>(put.address()), std::mem::transmute::<usize, GetFn>(get.address()))
        };
        // SAFETY: the C lab's fifo.c, with KASAN=1 or without, defines
        // `int put_item(char item)` and `int get_item(char *item)`; their
        // `SymbolRef`s keep them loaded.
        let c_fns = |put: &modhost::symbols::SymbolRef, get: &modhost::symbols::SymbolRef| unsafe {
            (std::mem::transmute::<usize, CPutFn>(put.address()), std::mem::transmute::<usize, CGetFn>(get.address()))
        };
        let (c_put_fn, c_get_fn) = c_fns(&c_put, &c_get);
        let (c_kasan_put, c_kasan_get) = c_fns(&k_put, &k_get);
        OursFifo {
            put: put_fn,
            get: get_fn,
            c_put: c_put_fn,
            c_get: c_get_fn,
            c_kasan_put,
            c_kasan_get,
            _symbols: [put, get, c_put, c_get, k_put, k_get],
        }
    }
}

/// `p` producer ends and `q` consumer ends of a fresh channel of `who`
/// (ours: the loaded fifo, which every run leaves empty).
pub(crate) fn ends(who: Contender, fifo: &OursFifo, p: u64, q: u64) -> (Vec<Put>, Vec<Get>) {
    fn many<T>(n: u64, make: impl Fn() -> T) -> Vec<T> {
        (0..n).map(|_| make()).collect()
    }
    match who {
        Contender::Ours => {
            let (put, get) = (fifo.put, fifo.get);
            let puts = many(p, || Box::new(move |item: FifoItem| assert_eq!(put(&item), 0, "fifo_put")) as Put);
            let gets = many(q, || {
                Box::new(move || {
                    let mut item = FifoItem::EMPTY;
                    assert_eq!(get(&mut item), 0, "fifo_get");
                    item
                }) as Get
            });
            (puts, gets)
        }
        Contender::Crossbeam => {
            let (tx, rx) = crossbeam::bounded(SLOTS);
            let puts = many(p, || {
                let tx = tx.clone();
                Box::new(move |item| tx.send(item).expect("a consumer is alive")) as Put
            });
            let gets = many(q, || {
                let rx = rx.clone();
                Box::new(move || rx.recv().expect("a producer is alive")) as Get
            });
            (puts, gets)
        }
        Contender::SyncChannel => {
            let (tx, rx) = mpsc::sync_channel(SLOTS);
            let puts = many(p, || {
                let tx = tx.clone();
                Box::new(move |item| tx.send(item).expect("a consumer is alive")) as Put
            });
            let gets = if q == 1 {
                vec![Box::new(move || rx.recv().expect("a producer is alive")) as Get]
            } else {
                let rx = Arc::new(Mutex::new(rx));
                many(q, || {
                    let rx = Arc::clone(&rx);
                    Box::new(move || rx.lock().expect("no panic").recv().expect("a producer is alive")) as Get
                })
            };
            (puts, gets)
        }
        Contender::CLab | Contender::CLabKasan => {
            let (put, get) =
                if who == Contender::CLab { (fifo.c_put, fifo.c_get) } else { (fifo.c_kasan_put, fifo.c_kasan_get) };
            let puts = many(p, || {
                Box::new(move |item: FifoItem| assert_eq!(put(c_item(item.seq) as core::ffi::c_char), 0, "put_item"))
                    as Put
            });
            let gets = many(q, || {
                Box::new(move || {
                    let mut byte: core::ffi::c_char = 0;
                    assert_eq!(get(&mut byte), 0, "get_item");
                    let mut item = FifoItem::EMPTY;
                    item.seq = byte as u64;
                    item
                }) as Get
            });
            (puts, gets)
        }
        Contender::SemaphoreRing => {
            let ring = Arc::new(SemaphoreRing::new(SLOTS));
            let puts = many(p, || {
                let ring = Arc::clone(&ring);
                Box::new(move |item| ring.put(item)) as Put
            });
            let gets = many(q, || {
                let ring = Arc::clone(&ring);
                Box::new(move || ring.get()) as Get
            });
            (puts, gets)
        }
    }
}

/// One run: every producer puts its share, every consumer gets its share;
/// wall ns per item from the barrier to the last join. `carried` is what
/// of a sequence number reaches the consumers.
pub(crate) fn handoff(puts: Vec<Put>, gets: Vec<Get>, carried: fn(u64) -> u64) -> f64 {
    let (p, q) = (puts.len() as u64, gets.len() as u64);
    let start = Arc::new(Barrier::new((p + q + 1) as usize));
    let producers: Vec<_> = puts
        .into_iter()
        .enumerate()
        .map(|(i, mut put)| {
            let start = Arc::clone(&start);
            let first = i as u64 * (ITEMS / p);
            thread::spawn(move || {
                let item = FifoItem::new("X", "bench", 0).expect("fits");
                start.wait();
                for seq in first..first + ITEMS / p {
                    let mut item = item;
                    item.seq = seq;
                    put(item);
                }
            })
        })
        .collect();
    let consumers: Vec<_> = gets
        .into_iter()
        .map(|mut get| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                (0..ITEMS / q).map(|_| get().seq).sum::<u64>()
            })
        })
        .collect();
    start.wait();
    let clock = Instant::now();
    producers.into_iter().for_each(|t| t.join().expect("a producer panicked"));
    let sum: u64 = consumers.into_iter().map(|t| t.join().expect("a consumer panicked")).sum();
    let elapsed = clock.elapsed();
    assert_eq!(sum, (0..ITEMS).map(carried).sum::<u64>(), "fifo: items were lost or duplicated");
    elapsed.as_nanos() as f64 / ITEMS as f64
}
