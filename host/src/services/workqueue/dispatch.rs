//! Dispatching a workqueue's items to its workers.
//!
//! Under the pool's lock a change computes a [`Kick`]: one worker on its
//! way (woken from the idle list, or started) for each item that may start
//! now, up to `max_active`, and a watcher awake in time for the delayed
//! list's next deadline. Idle workers are taken most recently idle first
//! (their caches are warm) and the watcher last, so that a burst of work
//! does not wake the one thread that keeps the time. The kick is carried
//! out once the lock is dropped.
//!
//! [`Pool::take`] starts only an item that is not running anywhere (the
//! whole of non-reentrancy: an item queued again while it runs waits in
//! the worklist until its run ends), and [`Pool::finish`] accounts for a
//! run's end and collects who waited for it.
//!
//! Locking: all of it runs under the pool's lock and takes item state
//! locks inside it, so none may be held by the caller.
//!
//! Kernel counterpart: `need_more_worker`, `wake_up_worker`,
//! `create_worker`, `find_worker_executing_work` in `kernel/workqueue.c`.

use std::{sync::Arc, time::Duration};

use super::{
    queue::{ItemRef, Life, Pool, Workqueue, WqRef},
    state::Pending,
    worker,
};
use crate::services::task::Task;

/// A worker asleep waiting for work.
#[derive(Debug)]
pub(super) struct Idle {
    pub(super) id: u64,
    pub(super) task: Arc<Task>,
    /// When its sleep ends by itself (`None`: only when woken).
    pub(super) until: Option<Duration>,
}

/// A worker running an item.
#[derive(Debug, Clone)]
pub(super) struct Busy {
    pub(super) task: u64,
    pub(super) seq: u64,
    /// The item (for a worker that dies running it).
    pub(super) item: ItemRef,
}

/// What to do once the pool's lock is dropped.
#[must_use]
#[derive(Debug, Default)]
pub(crate) struct Kick {
    pub(super) wake: Vec<Arc<Task>>,
    /// The numbers of the workers to start.
    pub(super) spawn: Vec<u32>,
}

impl Kick {
    /// Wakes and starts the workers `wq` needs.
    pub(crate) fn apply(self, wq: &WqRef) {
        self.wake.iter().for_each(|t| t.wake_up());
        for number in self.spawn {
            worker::spawn(wq, number);
        }
    }
}

impl Pool {
    /// Starts the first queued item that is not running elsewhere, on
    /// worker `me`, if `max_active` allows.
    pub(super) fn take(&mut self, wq: &Workqueue, me: u64) -> Option<ItemRef> {
        if self.active >= wq.max_active {
            return None;
        }
        let at = self.worklist.iter().position(|i| !i.inner.state.lock().is_running())?;
        let item = self.worklist.remove(at)?;
        let started = item.inner.state.lock().start(me);
        let Some(seq) = started else {
            self.worklist.insert(at, item);
            return None;
        };
        self.active += 1;
        self.busy.push(Busy { task: me, seq, item: item.clone() });
        if self.watcher == Some(me) {
            self.watcher = None;
        }
        Some(item)
    }

    /// Worker `me` is done with `item`: account for it and collect whom to
    /// wake. Returns another workqueue the item was queued on meanwhile,
    /// which may start it now.
    pub(super) fn finish(&mut self, wq: &WqRef, item: &ItemRef, me: u64, wake: &mut Vec<Arc<Task>>) -> Option<WqRef> {
        let mut st = item.inner.state.lock();
        if let Some(run) = st.finish() {
            self.inflight.remove(&run.seq);
        }
        self.active = self.active.saturating_sub(1);
        self.busy.retain(|b| b.task != me);
        wake.append(&mut st.take_waiters());
        wake.append(&mut self.flushers);
        match st.pending() {
            Pending::Queued { wq: other, .. } if !Arc::ptr_eq(other, wq) => Some(Arc::clone(other)),
            _ => None,
        }
    }

    /// Wakes or starts the workers the current state needs: one on its way
    /// for each item that may start now, and a watcher awake in time for
    /// the next deadline.
    pub(super) fn kick(&mut self, wq: &Workqueue) -> Kick {
        let mut kick = Kick::default();
        if self.life == Life::Dead {
            return kick;
        }
        let room = wq.max_active.saturating_sub(self.active);
        let available = self.idle.len() + wq.max_active.saturating_sub(self.nr_workers);
        let limit = room.min(self.nr_waking + available);
        let runnable = self.worklist.iter().filter(|i| !i.inner.state.lock().is_running()).take(limit).count();
        while self.nr_waking < runnable {
            if let Some(idle) = self.pop_idle() {
                kick.wake.push(idle.task);
            } else if self.nr_workers < wq.max_active {
                kick.spawn.push(self.new_worker());
            } else {
                break;
            }
            self.nr_waking += 1;
        }
        if self.watcher.is_none() {
            self.watcher = self.idle.first().map(|i| i.id);
        }
        let Some(deadline) = self.earliest_waiting() else { return kick };
        let watcher = self.watcher;
        match watcher.and_then(|w| self.idle.iter_mut().find(|i| i.id == w)) {
            Some(idle) if idle.until.is_none_or(|until| until > deadline) => {
                idle.until = Some(deadline);
                kick.wake.push(Arc::clone(&idle.task));
            }
            // No idle worker at all, none on its way: start one to watch.
            None if watcher.is_none() && self.nr_waking == 0 && self.nr_workers < wq.max_active => {
                kick.spawn.push(self.new_worker());
                self.nr_waking += 1;
            }
            // Asleep until before the deadline, or awake: it looks again
            // before it sleeps.
            _ => {}
        }
        kick
    }

    /// Starts a worker now, if there is none (`WQ_MEM_RECLAIM`'s guarantee).
    pub(crate) fn ensure_worker(&mut self) -> Kick {
        let mut kick = Kick::default();
        if self.nr_workers == 0 && self.life != Life::Dead {
            kick.spawn.push(self.new_worker());
            self.nr_waking += 1;
        }
        kick
    }

    /// Takes an idle worker for work: the most recently idle one that is
    /// not the watcher, else the watcher.
    fn pop_idle(&mut self) -> Option<Idle> {
        let watcher = self.watcher;
        let at = self.idle.iter().rposition(|i| Some(i.id) != watcher).or(self.idle.len().checked_sub(1))?;
        let idle = self.idle.remove(at);
        if watcher == Some(idle.id) {
            self.watcher = None;
        }
        Some(idle)
    }

    /// Counts a new worker in and gives it its number.
    fn new_worker(&mut self) -> u32 {
        self.nr_workers += 1;
        let number = self.next_worker;
        self.next_worker += 1;
        number
    }
}

#[cfg(test)]
mod tests {
    use super::super::item::tests::{detached_item, detached_wq};
    use super::*;

    #[test]
    fn a_queued_item_gets_one_worker_up_to_max_active() {
        let wq = detached_wq(2);
        let mut pool = wq.inner.pool.lock();
        for _ in 0..3 {
            let item = detached_item();
            let mut st = item.inner.state.lock();
            pool.insert(&wq, &item, &mut st, None);
        }
        let kick = pool.kick(&wq.inner);
        assert_eq!(kick.spawn, [0, 1], "two may run at once: two workers");
        assert_eq!((pool.nr_workers, pool.nr_waking), (2, 2));
        assert!(pool.kick(&wq.inner).spawn.is_empty(), "the two on their way will take the items");
    }

    #[test]
    fn a_worker_never_starts_an_item_that_is_running() {
        let wq = detached_wq(4);
        let item = detached_item();
        let mut pool = wq.inner.pool.lock();
        pool.insert(&wq, &item, &mut item.inner.state.lock(), None);
        let taken = pool.take(&wq.inner, 1).expect("queued");
        pool.insert(&wq, &item, &mut item.inner.state.lock(), None);
        assert!(pool.take(&wq.inner, 2).is_none(), "queued again while running: it waits");
        assert!(pool.kick(&wq.inner).spawn.is_empty(), "and needs no worker yet");
        let mut wake = Vec::new();
        assert!(pool.finish(&wq, &taken, 1, &mut wake).is_none());
        assert!(pool.take(&wq.inner, 1).is_some(), "then it runs again");
    }

    #[test]
    fn the_watcher_is_woken_only_for_an_earlier_deadline() {
        let wq = detached_wq(1);
        let task = Task::current();
        let mut pool = wq.inner.pool.lock();
        pool.nr_workers = 1;
        pool.idle.push(Idle { id: 1, task, until: Some(Duration::from_millis(40)) });
        pool.watcher = Some(1);
        let late = detached_item();
        pool.insert(&wq, &late, &mut late.inner.state.lock(), Some(20));
        assert!(pool.kick(&wq.inner).wake.is_empty(), "it wakes at 40 ms anyway");
        let early = detached_item();
        pool.insert(&wq, &early, &mut early.inner.state.lock(), Some(2));
        assert_eq!(pool.kick(&wq.inner).wake.len(), 1);
        assert!(pool.kick(&wq.inner).wake.is_empty(), "once");
    }
}
