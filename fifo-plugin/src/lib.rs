//! fifo: a bounded FIFO of items, shared by producer and consumer modules.
//!
//! The classic design of the operating-systems lab: a ring of `size` slots
//! guarded by a mutex, and two counting semaphores, `empty` (free slots) and
//! `fill` (queued items). `fifo_put` takes an empty slot (sleeping while the
//! fifo is full), stores the item under the mutex, and gives a fill; `fifo_get`
//! does the reverse. The blocking calls sleep interruptibly, so when the
//! caller's module is unloaded they return `-EINTR` instead of holding up
//! its rmmod.
//!
//! ```text
//! modhost# insmod fifo.so size=8
//! modhost# insmod producer.so item=A rate=5
//! modhost# insmod consumer.so rate=2
//! modhost# cat /proc/fifo
//! modhost# rmmod consumer producer fifo
//! ```
//!
//! Unloaded with items still queued, it says how many it discarded from
//! each producer: nothing is lost silently.

#![deny(unsafe_code)]

use fifo_api::{FifoItem, FifoStats};
use modhost_abi::{
    errno,
    prelude::*,
    services::{
        proc::ProcFile,
        sync::{Mutex, Semaphore},
        time::jiffies,
    },
};
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicU64, Ordering::Relaxed},
    },
};

/// The largest fifo `size` accepts.
const SIZE_MAX: u32 = 4096;

module! {
    type: FifoModule,
    name: "fifo",
    author: "modhost developers",
    description: "A bounded FIFO guarded by a mutex and two counting semaphores",
    license: "GPL",
    version: "1.0",
    params: {
        size: uint { default: 32, perm: 0o444, description: "Slots in the fifo (1 to 4096)" },
    },
    exports: {
        gpl fn fifo_put(item: &FifoItem) -> i32;
        gpl fn fifo_get(item: &mut FifoItem) -> i32;
        gpl fn fifo_try_put(item: &FifoItem) -> i32;
        gpl fn fifo_try_get(item: &mut FifoItem) -> i32;
        gpl fn fifo_put_timeout(item: &FifoItem, timeout: u64) -> i32;
        gpl fn fifo_get_timeout(item: &mut FifoItem, timeout: u64) -> i32;
        gpl fn fifo_stats(stats: &mut FifoStats);
    },
}

struct FifoModule {
    fifo: Arc<Fifo>,
    _proc: ProcFile,
}

/// The fifo itself: the ring under its mutex, and the two semaphores.
struct Fifo {
    ring: Mutex<Ring>,
    empty: Semaphore,
    fill: Semaphore,
    capacity: u32,
    puts: Counter,
    gets: Counter,
    producers_waiting: AtomicU32,
    consumers_waiting: AtomicU32,
}

/// A counter on a cache line of its own: producers and consumers each
/// write theirs on every item.
#[repr(align(64))]
#[derive(Default)]
struct Counter(AtomicU64);

/// The slots, oldest item first from `head`.
struct Ring {
    slots: Vec<FifoItem>,
    head: usize,
    len: usize,
    high_water: u32,
}

/// How long a put or get may wait.
#[derive(Clone, Copy)]
enum Wait {
    /// Not at all: `-EAGAIN`.
    No,
    /// As long as needed, unless the caller's module goes away: `-EINTR`.
    Interruptible,
    /// At most this many jiffies: `-ETIME`.
    Jiffies(u64),
}

impl Module for FifoModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let size = params::size.get();
        if size == 0 || size > SIZE_MAX {
            pr_err!("size={size} is out of range: it must be 1 to {SIZE_MAX}\n");
            return Err(Errno::EINVAL);
        }
        let fifo = Arc::new(Fifo::new(size));
        let shown = Arc::clone(&fifo);
        let proc_file = ProcFile::create("fifo", move || shown.show())?;
        pr_info!("ready with {size} slots\n");
        Ok(FifoModule { fifo, _proc: proc_file })
    }
}

impl Drop for FifoModule {
    fn drop(&mut self) {
        let discarded = self.fifo.discard_all();
        for (producer, count) in &discarded {
            pr_info!("discarded {count} items from {producer}\n");
        }
        let stats = self.fifo.stats();
        pr_info!("unloaded after {} puts and {} gets\n", stats.puts, stats.gets);
    }
}

impl Fifo {
    fn new(capacity: u32) -> Fifo {
        Fifo {
            ring: Mutex::new(Ring { slots: vec![FifoItem::EMPTY; capacity as usize], head: 0, len: 0, high_water: 0 }),
            empty: Semaphore::new(capacity),
            fill: Semaphore::new(0),
            capacity,
            puts: Counter::default(),
            gets: Counter::default(),
            producers_waiting: AtomicU32::new(0),
            consumers_waiting: AtomicU32::new(0),
        }
    }

    fn put(&self, item: &FifoItem, wait: Wait) -> Result {
        take(&self.empty, &self.producers_waiting, wait)?;
        let mut stored = *item;
        stored.enqueued = jiffies().raw();
        self.ring.lock().push(stored);
        self.fill.up();
        self.puts.0.fetch_add(1, Relaxed);
        Ok(())
    }

    fn get(&self, item: &mut FifoItem, wait: Wait) -> Result {
        take(&self.fill, &self.consumers_waiting, wait)?;
        *item = self.ring.lock().pop();
        self.empty.up();
        self.gets.0.fetch_add(1, Relaxed);
        Ok(())
    }

    fn stats(&self) -> FifoStats {
        let ring = self.ring.lock();
        FifoStats {
            capacity: self.capacity,
            fill: ring.len as u32,
            high_water: ring.high_water,
            producers_waiting: self.producers_waiting.load(Relaxed),
            consumers_waiting: self.consumers_waiting.load(Relaxed),
            puts: self.puts.0.load(Relaxed),
            gets: self.gets.0.load(Relaxed),
        }
    }

    /// `/proc/fifo`.
    fn show(&self) -> String {
        let s = self.stats();
        format!(
            "capacity:          {}\nfill:              {}\nhigh_water:        {}\nputs:              {}\n\
             gets:              {}\nproducers_waiting: {}\nconsumers_waiting: {}\n",
            s.capacity, s.fill, s.high_water, s.puts, s.gets, s.producers_waiting, s.consumers_waiting
        )
    }

    /// Empties the ring at unload; returns how many items each producer lost.
    fn discard_all(&self) -> BTreeMap<String, u64> {
        let mut ring = self.ring.lock();
        let mut lost = BTreeMap::new();
        while ring.len > 0 {
            *lost.entry(ring.pop().producer().to_string()).or_insert(0) += 1;
        }
        lost
    }
}

/// Takes one count of `sem` as `wait` allows, counting the time spent waiting.
fn take(sem: &Semaphore, waiting: &AtomicU32, wait: Wait) -> Result {
    if sem.down_trylock() == 0 {
        return Ok(());
    }
    let result = match wait {
        Wait::No => return Err(Errno::EAGAIN),
        Wait::Interruptible => {
            waiting.fetch_add(1, Relaxed);
            sem.down_interruptible()
        }
        Wait::Jiffies(timeout) => {
            waiting.fetch_add(1, Relaxed);
            sem.down_timeout(timeout)
        }
    };
    waiting.fetch_sub(1, Relaxed);
    result
}

impl Ring {
    fn push(&mut self, item: FifoItem) {
        let capacity = self.slots.len();
        let tail = (self.head + self.len) % capacity;
        self.slots[tail] = item;
        self.len += 1;
        self.high_water = self.high_water.max(self.len as u32);
    }

    fn pop(&mut self) -> FifoItem {
        let item = self.slots[self.head];
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        item
    }
}

/// Runs an export on the live fifo; `-ENODEV` if it is gone (it cannot be,
/// while a module that imports it is loaded).
fn with_fifo(f: impl FnOnce(&Fifo) -> Result) -> i32 {
    errno::to_kernel(this_module().with(|m| f(&m.fifo)).unwrap_or(Err(Errno::ENODEV)))
}

fn fifo_put(item: &FifoItem) -> i32 {
    with_fifo(|fifo| fifo.put(item, Wait::Interruptible))
}

fn fifo_get(item: &mut FifoItem) -> i32 {
    with_fifo(|fifo| fifo.get(item, Wait::Interruptible))
}

fn fifo_try_put(item: &FifoItem) -> i32 {
    with_fifo(|fifo| fifo.put(item, Wait::No))
}

fn fifo_try_get(item: &mut FifoItem) -> i32 {
    with_fifo(|fifo| fifo.get(item, Wait::No))
}

fn fifo_put_timeout(item: &FifoItem, timeout: u64) -> i32 {
    with_fifo(|fifo| fifo.put(item, Wait::Jiffies(timeout)))
}

fn fifo_get_timeout(item: &mut FifoItem, timeout: u64) -> i32 {
    with_fifo(|fifo| fifo.get(item, Wait::Jiffies(timeout)))
}

fn fifo_stats(stats: &mut FifoStats) {
    if let Some(current) = this_module().with(|m| m.fifo.stats()) {
        *stats = current;
    }
}
