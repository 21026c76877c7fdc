//! The `timers` suite: arm one timer and cancel one while N others stay pending.
//!
//! This is the kernel's common case (most timers are timeouts cancelled
//! before they fire), and what an O(1) wheel is for. For N = 10,000 and
//! N = 1,000,000, each structure is filled with N timers at random expiries
//! 1..=10,000 ticks ahead (10 s at `HZ` = 1000), untimed. A batch then arms
//! 1000 timers with random expiries in that range and cancels those 1000 in
//! a random order, so N stay pending; a rep times enough batches to last
//! about 5 ms and yields ns per arm + cancel pair. All six structures (three
//! kinds, two sizes) live at once and take turns, one rep each per round, so
//! that the shared machine's bursts of noise hit all of them alike; a value
//! is the median of its 101 reps, a ratio the median of the rounds' ratios.
//! Expiries and cancel orders are drawn before timing, from a fixed seed.
//!
//! Structures: ours, `modhost::services::timer::wheel::Wheel` (its payload a
//! `NonZeroU64`, the size of the host's `Arc` payload); an indexed binary
//! heap with eager O(log n) cancel (`peers/indexed_heap.rs`); std's
//! `BTreeMap<(expires, id), ()>`. Time never advances: this measures arm and
//! cancel, not expiry.
//!
//! Targets: ours at 1,000,000 ≤ 0.5 × the indexed heap
//! at 1,000,000; ours at 1,000,000 ≤ 1.5 × ours at 10,000.
//!
//! Kernel counterpart: `add_timer`/`timer_delete` on `kernel/time/timer.c`.

use modhost::services::timer::wheel::{TimerKey, Wheel};
use std::{
    collections::BTreeMap,
    hint::black_box,
    num::NonZeroU64,
    time::{Duration, Instant},
};

use crate::{peers::indexed_heap::IndexedHeap, report::Figure};
use modhost_bench::rng::Rng;

pub(crate) const ABOUT: &str = "one arm + one cancel while N timers stay pending \
    (ns per pair, median [min-max] over rounds; ratio: median of the rounds' ratios)";

/// Pending timers.
const SIZES: [usize; 2] = [10_000, 1_000_000];
/// Expiries are 1..=HORIZON ticks ahead: 10 s at HZ = 1000.
const HORIZON: u64 = 10_000;
/// Timers armed, then cancelled, per batch.
const BATCH: usize = 1000;
/// Expiries drawn before timing (a whole number of batches).
const TABLE: usize = 64 * BATCH;
/// Cancel orders drawn before timing.
const ORDERS: usize = 16;
const REPS: usize = 101;
const REP_TIME: Duration = Duration::from_millis(5);
/// modhost's `INITIAL_JIFFIES` at HZ = 1000: 300 s before the u64 wraps.
const NOW: u64 = 0u64.wrapping_sub(300 * 1000);

pub(crate) fn run() -> Vec<Figure> {
    let [small, large] = measure();
    let mut figures = Vec::new();
    for (n, [wheel, heap, btree]) in SIZES.into_iter().zip([&small, &large]) {
        let key = |peer: &str| format!("timers.arm_cancel.n{n}.vs_{peer}");
        let vs_heap = Figure::paired(key("indexed_heap"), "ns", wheel, ("indexed binary heap", heap));
        figures.push(if n == 1_000_000 { vs_heap.target(0.5) } else { vs_heap });
        figures.push(Figure::paired(key("btreemap"), "ns", wheel, ("std BTreeMap", btree)));
    }
    let key = "timers.arm_cancel.n1000000.vs_ours_n10000".to_string();
    figures.push(Figure::paired(key, "ns", &large[0], ("ours at N=10000", &small[0])).target(1.5));
    figures
}

/// ns per arm + cancel pair, rep by rep, per size: the wheel, the indexed heap, the BTreeMap.
fn measure() -> [[Vec<f64>; 3]; 2] {
    let mut rng = Rng::new(0x5eed);
    let work = Workload::new(&mut rng);
    let mut runners: Vec<(usize, Box<dyn Rep>)> = Vec::new();
    for n in SIZES {
        runners.push((n, Box::new(Runner::<Wheel<NonZeroU64>>::fill(n, &mut rng))));
        runners.push((n, Box::new(Runner::<IndexedHeap>::fill(n, &mut rng))));
        runners.push((n, Box::new(Runner::<BTreeTimers>::fill(n, &mut rng))));
    }
    for (_, runner) in &mut runners {
        runner.calibrate(&work);
    }
    let mut reps = vec![Vec::with_capacity(REPS); runners.len()];
    for round in 0..REPS {
        // Rotate who goes first, so no structure always follows the same one.
        for k in 0..runners.len() {
            let i = (round + k) % runners.len();
            reps[i].push(runners[i].1.rep(&work));
        }
    }
    for (n, runner) in &runners {
        assert_eq!(runner.pending(), *n, "timers: a structure lost or kept timers");
    }
    let mut reps = reps.into_iter();
    SIZES.map(|_| [(); 3].map(|()| reps.next().expect("one series per runner")))
}

/// Expiries and cancel orders, drawn before timing.
struct Workload {
    expiries: Vec<u64>,
    orders: Vec<Vec<u16>>,
}

impl Workload {
    fn new(rng: &mut Rng) -> Workload {
        let expiries = (0..TABLE).map(|_| random_expiry(rng)).collect();
        let orders = (0..ORDERS)
            .map(|_| {
                let mut order: Vec<u16> = (0..BATCH as u16).collect();
                rng.shuffle(&mut order);
                order
            })
            .collect();
        Workload { expiries, orders }
    }
}

fn random_expiry(rng: &mut Rng) -> u64 {
    NOW.wrapping_add(1 + rng.below(HORIZON))
}

/// A timer structure as this suite drives it. The impls inline into the
/// batch loop (all alike), so that no structure pays for a call it would not
/// pay in real use.
trait TimerQueue {
    type Key: Copy;
    fn with_capacity(n: usize) -> Self;
    fn arm(&mut self, expires: u64) -> Self::Key;
    fn cancel(&mut self, key: Self::Key);
    fn len(&self) -> usize;
}

impl TimerQueue for Wheel<NonZeroU64> {
    type Key = TimerKey;
    fn with_capacity(n: usize) -> Self {
        Wheel::with_capacity(NOW, n)
    }
    #[inline(always)]
    fn arm(&mut self, expires: u64) -> TimerKey {
        self.insert(expires, NonZeroU64::MIN)
    }
    #[inline(always)]
    fn cancel(&mut self, key: TimerKey) {
        black_box(self.remove(key));
    }
    fn len(&self) -> usize {
        Wheel::len(self)
    }
}

impl TimerQueue for IndexedHeap {
    type Key = u32;
    fn with_capacity(n: usize) -> Self {
        IndexedHeap::with_capacity(n)
    }
    #[inline(always)]
    fn arm(&mut self, expires: u64) -> u32 {
        self.insert(expires)
    }
    #[inline(always)]
    fn cancel(&mut self, id: u32) {
        black_box(self.remove(id));
    }
    fn len(&self) -> usize {
        IndexedHeap::len(self)
    }
}

/// std's ordered map as a timer queue; ids break ties between equal expiries.
struct BTreeTimers {
    map: BTreeMap<(u64, u64), ()>,
    next_id: u64,
}

impl TimerQueue for BTreeTimers {
    type Key = (u64, u64);
    fn with_capacity(_: usize) -> Self {
        BTreeTimers { map: BTreeMap::new(), next_id: 0 }
    }
    #[inline(always)]
    fn arm(&mut self, expires: u64) -> (u64, u64) {
        self.next_id += 1;
        self.map.insert((expires, self.next_id), ());
        (expires, self.next_id)
    }
    #[inline(always)]
    fn cancel(&mut self, key: (u64, u64)) {
        black_box(self.map.remove(&key));
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// One structure under test, type-erased so that reps can interleave.
trait Rep {
    fn calibrate(&mut self, work: &Workload);
    /// One timed rep: ns per arm + cancel pair.
    fn rep(&mut self, work: &Workload) -> f64;
    fn pending(&self) -> usize;
}

struct Runner<Q: TimerQueue> {
    queue: Q,
    keys: Vec<Q::Key>,
    /// The next batch's place in the workload.
    cursor: usize,
    batches_per_rep: usize,
}

impl<Q: TimerQueue> Runner<Q> {
    fn fill(n: usize, rng: &mut Rng) -> Self {
        let mut queue = Q::with_capacity(n + BATCH);
        for _ in 0..n {
            queue.arm(random_expiry(rng));
        }
        Runner { queue, keys: Vec::with_capacity(BATCH), cursor: 0, batches_per_rep: 1 }
    }

    /// Arms a batch, then cancels it. Kept lean (no per-key capacity checks,
    /// no opaque copies of the inputs): its cost is in every structure's figure.
    fn batch(&mut self, work: &Workload) {
        let Runner { queue, keys, cursor, .. } = self;
        let at = *cursor % (TABLE / BATCH);
        keys.clear();
        keys.extend(work.expiries[at * BATCH..(at + 1) * BATCH].iter().map(|&expires| queue.arm(expires)));
        for &i in &work.orders[*cursor % ORDERS] {
            queue.cancel(keys[i as usize]);
        }
        *cursor += 1;
    }
}

impl<Q: TimerQueue> Rep for Runner<Q> {
    fn calibrate(&mut self, work: &Workload) {
        self.batch(work); // warm-up
        let start = Instant::now();
        for _ in 0..4 {
            self.batch(work);
        }
        let per_batch = start.elapsed().as_secs_f64() / 4.0;
        self.batches_per_rep = ((REP_TIME.as_secs_f64() / per_batch).ceil() as usize).clamp(1, 100_000);
    }

    fn rep(&mut self, work: &Workload) -> f64 {
        let start = Instant::now();
        for _ in 0..self.batches_per_rep {
            self.batch(work);
        }
        start.elapsed().as_nanos() as f64 / (self.batches_per_rep * BATCH) as f64
    }

    fn pending(&self) -> usize {
        self.queue.len()
    }
}
