//! The lab's FIFO as the textbook writes it: a ring under a mutex, and two
//! counting semaphores made of a mutex and a condition variable.
//!
//! `empty` counts free slots and `fill` queued items; `put` downs `empty`,
//! pushes under the ring's lock and ups `fill`, and `get` mirrors it. A
//! semaphore's `down` waits on its condvar while the count is 0 and `up`
//! increments and calls `notify_one` under the lock: no fast path, so a full
//! or empty ring puts a thread to sleep and each sleep costs a wake-up. This
//! is design (c) of the project's peer baselines, the `fifo` suite's naive
//! peer. The ring and each semaphore sit on cache lines of their own, so the
//! two sides do not slow each other by false sharing.
//!
//! Kernel counterpart: `kernel/locking/semaphore.c` without its fast path.

use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;

/// A bounded FIFO of `T`; see the module docs.
#[derive(Debug)]
pub(crate) struct SemaphoreRing<T> {
    ring: CacheLine<Mutex<VecDeque<T>>>,
    empty: CacheLine<Semaphore>,
    fill: CacheLine<Semaphore>,
}

/// Keeps its content on a cache line of its own.
#[derive(Debug)]
#[repr(align(64))]
struct CacheLine<T>(T);

/// A counting semaphore: a count under a mutex, and a condvar to sleep on.
#[derive(Debug)]
struct Semaphore {
    count: Mutex<usize>,
    wakeup: Condvar,
}

impl<T> SemaphoreRing<T> {
    /// An empty ring of `capacity` slots.
    pub(crate) fn new(capacity: usize) -> SemaphoreRing<T> {
        SemaphoreRing {
            ring: CacheLine(Mutex::new(VecDeque::with_capacity(capacity))),
            empty: CacheLine(Semaphore::new(capacity)),
            fill: CacheLine(Semaphore::new(0)),
        }
    }

    /// Puts `item`, sleeping while the ring is full.
    pub(crate) fn put(&self, item: T) {
        self.empty.0.down();
        self.ring.0.lock().push_back(item);
        self.fill.0.up();
    }

    /// Takes the oldest item, sleeping while the ring is empty.
    pub(crate) fn get(&self) -> T {
        self.fill.0.down();
        // INVARIANT: a fill count was taken, so an item is queued.
        let item = self.ring.0.lock().pop_front().expect("fill counts the queued items");
        self.empty.0.up();
        item
    }
}

impl Semaphore {
    fn new(count: usize) -> Semaphore {
        Semaphore { count: Mutex::new(count), wakeup: Condvar::new() }
    }

    fn down(&self) {
        let mut count = self.count.lock();
        while *count == 0 {
            self.wakeup.wait(&mut count);
        }
        *count -= 1;
    }

    fn up(&self) {
        let mut count = self.count.lock();
        *count += 1;
        self.wakeup.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn items_come_out_in_order_across_threads() {
        let ring = Arc::new(SemaphoreRing::new(4));
        let producer = {
            let ring = Arc::clone(&ring);
            std::thread::spawn(move || (0..1000).for_each(|i| ring.put(i)))
        };
        let got: Vec<u32> = (0..1000).map(|_| ring.get()).collect();
        producer.join().unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }
}
