//! A workqueue: its run queue, its delayed list, and who runs them.
//!
//! Every workqueue (a module's, or one of the kernel's system ones) has a
//! [`Pool`] under one lock:
//!
//! - `worklist`: the items queued on it, in queueing order;
//! - `delayed`: the items armed on it, ordered by deadline. Delayed work is
//!   not a timer here: the workqueue's own idle worker sleeps until the
//!   earliest deadline and moves what is due to the worklist, so one
//!   delayed item firing once a second costs one wake-up a second;
//! - `inflight`: the flush sequence numbers of the items queued or running
//!   (each queueing takes the next number), which is what `flush_workqueue`
//!   and `drain_workqueue` wait on;
//! - the workers: their count, the idle ones, and the *watcher*, the idle
//!   worker that sleeps until the next deadline (the others sleep until
//!   their idle timeout, so a deadline wakes one thread, not all).
//!
//! At most `max_active` items run at once (ordered queues: one, in
//! queueing order); which worker runs what is [`super::dispatch`]'s job.
//!
//! Locking: the pool's lock, then the items' state locks, never the
//! reverse and never two pools at once. Whoever changes an item's PENDING
//! holds both, so the item's state and the lists it is on always agree.
//!
//! Kernel counterpart: `struct workqueue_struct`, `struct worker_pool`,
//! `__queue_work`, `delayed_work_timer_fn` in `kernel/workqueue.c`.

use modhost_abi::services::workqueue::{WQ_DFL_ACTIVE, WQ_HIGHPRI, WQ_MAX_ACTIVE, WQ_ORDERED, WQ_UNBOUND};
use parking_lot::Mutex;
use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    sync::{Arc, Weak},
    thread::JoinHandle,
    time::Duration,
};

use super::{
    dispatch::{Busy, Idle},
    item::WorkItem,
    state::{DelayKey, Pending, WorkState},
};
use crate::services::{
    Services,
    clock::Clock,
    object::{Kind, Object},
    sched::deadline_after,
    task::Task,
};

/// A workqueue as a module holds it.
pub(crate) type WqRef = Arc<Object<Workqueue>>;
/// A work item as a workqueue holds it.
pub(super) type ItemRef = Arc<Object<WorkItem>>;
/// A work item's state, naming workqueues by reference.
pub(super) type State = WorkState<WqRef>;

/// A workqueue; see the module docs.
pub(crate) struct Workqueue {
    pub(crate) name: String,
    pub(crate) flags: u32,
    /// At most this many items run at once.
    pub(super) max_active: usize,
    /// Its number in this kernel, in its workers' names.
    pub(super) number: u32,
    /// One of the kernel's system workqueues: never destroyed by a module.
    pub(crate) system: bool,
    /// The module whose workers these are, for `ps`.
    pub(super) owner: Option<Arc<str>>,
    pub(super) services: Weak<Services>,
    pub(super) kernel_id: u64,
    pub(super) clock: Clock,
    pub(crate) pool: Mutex<Pool>,
}

impl Kind for Workqueue {
    const NAME: &'static str = "workqueue";

    fn stop(object: &Object<Workqueue>) -> Option<String> {
        super::flush::reclaim(object)
    }

    fn detail(&self) -> Option<String> {
        Some(self.name.clone())
    }
}

/// Where a workqueue is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Life {
    Live,
    /// `destroy_workqueue` is draining it: only its own items may queue on it.
    Dying,
    /// Destroyed (or stopped at shutdown): its workers are gone.
    Dead,
}

/// A workqueue's queues and workers; see the module docs.
#[derive(Debug)]
pub(crate) struct Pool {
    pub(super) life: Life,
    pub(super) worklist: VecDeque<ItemRef>,
    pub(super) delayed: BTreeMap<DelayKey, ItemRef>,
    pub(super) inflight: BTreeSet<u64>,
    next_seq: u64,
    pub(super) active: usize,
    pub(super) busy: Vec<Busy>,
    /// Workers alive or being started.
    pub(super) nr_workers: usize,
    /// Workers woken (or being started) for work that have not looked yet.
    pub(super) nr_waking: usize,
    pub(super) next_worker: u32,
    /// Asleep, most recently idle last.
    pub(super) idle: Vec<Idle>,
    /// The idle worker in charge of the delayed list's next deadline.
    pub(super) watcher: Option<u64>,
    /// The workers' threads, by task id, for joining at destroy.
    pub(super) threads: Vec<(u64, JoinHandle<()>)>,
    /// Tasks in `flush_workqueue`, `drain_workqueue` or `destroy_workqueue`.
    pub(super) flushers: Vec<Arc<Task>>,
    /// `drain_workqueue` calls in progress.
    pub(super) draining: u32,
    /// A refused queueing was reported (once per workqueue, as `WARN_ONCE`).
    refusal_reported: bool,
}

impl Workqueue {
    /// The tasks running its items now, with each item's name.
    pub(crate) fn running(&self) -> Vec<(u64, String)> {
        self.pool.lock().busy.iter().map(|b| (b.task, b.item.name())).collect()
    }

    /// A new workqueue of `kernel`; `max_active` is clamped as the kernel
    /// does (0: the default), and ordered queues run one item at a time.
    pub(crate) fn new(
        services: &Arc<Services>,
        name: &str,
        flags: u32,
        max_active: i32,
        owner: Option<Arc<str>>,
    ) -> Self {
        let number = services.workqueues.next_number();
        let mut wq = Workqueue::detached(name, flags, max_active, services.clock.clone(), number);
        wq.services = Arc::downgrade(services);
        wq.kernel_id = services.id;
        wq.owner = owner;
        wq
    }

    /// A workqueue of no kernel (for unit tests, and the base of [`Workqueue::new`]).
    pub(super) fn detached(name: &str, flags: u32, max_active: i32, clock: Clock, number: u32) -> Self {
        Workqueue {
            name: if name.is_empty() { "(unnamed)".to_string() } else { name.to_string() },
            flags,
            max_active: effective_max_active(flags, max_active),
            number,
            system: false,
            owner: None,
            services: Weak::new(),
            kernel_id: 0,
            clock,
            pool: Mutex::new(Pool::new()),
        }
    }

    /// `kworker/u3:0` (unbound or ordered), `kworker/3:1H` (high priority), ...
    pub(super) fn worker_name(&self, worker: u32) -> String {
        let unbound = if self.flags & (WQ_UNBOUND | WQ_ORDERED) != 0 { "u" } else { "" };
        let highpri = if self.flags & WQ_HIGHPRI != 0 { "H" } else { "" };
        format!("kworker/{unbound}{}:{worker}{highpri}", self.number)
    }
}

/// `max_active` as the workqueue uses it: ordered 1, 0 the default, the rest
/// clamped to `1..=WQ_MAX_ACTIVE`.
pub(super) fn effective_max_active(flags: u32, requested: i32) -> usize {
    let n = match requested {
        _ if flags & WQ_ORDERED != 0 => 1,
        0 => WQ_DFL_ACTIVE,
        n => n.clamp(1, WQ_MAX_ACTIVE),
    };
    usize::try_from(n).unwrap_or(1)
}

impl Pool {
    fn new() -> Pool {
        Pool {
            life: Life::Live,
            worklist: VecDeque::new(),
            delayed: BTreeMap::new(),
            inflight: BTreeSet::new(),
            next_seq: 0,
            active: 0,
            busy: Vec::new(),
            nr_workers: 0,
            nr_waking: 0,
            next_worker: 0,
            idle: Vec::new(),
            watcher: None,
            threads: Vec::new(),
            flushers: Vec::new(),
            draining: 0,
            refusal_reported: false,
        }
    }

    /// The next flush sequence number (also the tie-breaker of deadlines).
    pub(super) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The number the next queueing will get: a flush waits for those below.
    pub(super) fn flush_mark(&self) -> u64 {
        self.next_seq + 1
    }

    /// Whether task `me` runs one of this workqueue's items (chain queueing).
    pub(super) fn is_chained(&self, me: u64) -> bool {
        self.busy.iter().any(|b| b.task == me)
    }

    /// Whether a queueing by task `me` is refused: the queue is destroyed,
    /// or draining and `me` is not one of its own items.
    pub(super) fn refuses(&self, me: u64) -> bool {
        match self.life {
            Life::Live => self.draining > 0 && !self.is_chained(me),
            Life::Dying => !self.is_chained(me),
            Life::Dead => true,
        }
    }

    /// A queueing was refused: whether to report it (the first time).
    pub(super) fn report_refusal(&mut self) -> bool {
        !std::mem::replace(&mut self.refusal_reported, true)
    }

    /// Queues `item` now (`delay` `None` or 0) or arms it for `delay`
    /// jiffies from now; the item's state must allow it.
    pub(super) fn insert(&mut self, wq: &WqRef, item: &ItemRef, st: &mut State, delay: Option<u64>) {
        match delay {
            None | Some(0) => {
                let seq = self.next_seq();
                st.queue(Arc::clone(wq), seq);
                self.inflight.insert(seq);
                self.worklist.push_back(Arc::clone(item));
            }
            Some(delay) => {
                let clock = &wq.inner.clock;
                // The timer-wheel rule: the first tick after jiffies + delay.
                let deadline = deadline_after(clock, clock.jiffies(), Some(delay)).unwrap_or(Duration::MAX);
                let key = (deadline, self.next_seq());
                st.arm(Arc::clone(wq), key);
                self.delayed.insert(key, Arc::clone(item));
            }
        }
    }

    /// Takes what `pending` says off this workqueue's lists (the item's
    /// PENDING was just grabbed); returns the flushers to wake, whose wait
    /// may be over.
    pub(super) fn unlink(&mut self, item: &Object<WorkItem>, pending: &Pending<WqRef>) -> Vec<Arc<Task>> {
        match pending {
            Pending::Armed { key, .. } => {
                self.delayed.remove(key);
                Vec::new()
            }
            Pending::Queued { seq, .. } => {
                if let Some(at) = self.worklist.iter().position(|i| std::ptr::eq(Arc::as_ptr(i), item)) {
                    self.worklist.remove(at);
                }
                self.inflight.remove(seq);
                std::mem::take(&mut self.flushers)
            }
            Pending::Idle | Pending::Held => Vec::new(),
        }
    }

    /// Moves the armed item at `key`, whose state the caller has locked,
    /// to the worklist now (its deadline came, or a flush wants it).
    pub(super) fn activate(&mut self, key: DelayKey, st: &mut State) {
        let Some(item) = self.delayed.remove(&key) else { return };
        let seq = self.next_seq();
        if st.activate(seq) {
            self.inflight.insert(seq);
            self.worklist.push_back(item);
        }
    }

    /// Activates every armed item whose deadline is at or before `now`.
    pub(super) fn promote_due(&mut self, now: Duration) {
        while let Some((&key, item)) = self.delayed.first_key_value() {
            if key.0 > now {
                break;
            }
            let item = Arc::clone(item);
            let mut st = item.inner.state.lock();
            self.activate(key, &mut st);
        }
    }

    /// The earliest deadline of an armed item that could run then (one that
    /// is running now re-armed itself: its worker watches it when done).
    pub(super) fn earliest_waiting(&self) -> Option<Duration> {
        self.delayed.iter().find(|(_, item)| !item.inner.state.lock().is_running()).map(|(key, _)| key.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::item::tests::{detached_item, detached_wq};
    use super::*;

    #[test]
    fn max_active_is_clamped_like_the_kernel_does() {
        assert_eq!(effective_max_active(0, 0), 256);
        assert_eq!(effective_max_active(0, 4), 4);
        assert_eq!(effective_max_active(0, 100_000), 512);
        assert_eq!(effective_max_active(0, -3), 1);
        assert_eq!(effective_max_active(WQ_ORDERED | WQ_UNBOUND, 0), 1);
    }

    #[test]
    fn workers_are_named_like_kworkers() {
        let clock = Clock::manual(250);
        assert_eq!(Workqueue::detached("a", WQ_UNBOUND, 0, clock.clone(), 3).worker_name(0), "kworker/u3:0");
        assert_eq!(Workqueue::detached("b", WQ_ORDERED, 0, clock.clone(), 4).worker_name(2), "kworker/u4:2");
        assert_eq!(Workqueue::detached("c", WQ_HIGHPRI, 0, clock.clone(), 5).worker_name(1), "kworker/5:1H");
        assert_eq!(Workqueue::detached("", 0, 0, clock, 6).worker_name(0), "kworker/6:0");
    }

    #[test]
    fn a_deadline_moves_the_item_to_the_worklist_on_the_first_tick_after_the_delay() {
        let wq = detached_wq(1);
        let item = detached_item();
        let mut pool = wq.inner.pool.lock();
        pool.insert(&wq, &item, &mut item.inner.state.lock(), Some(3));
        let tick = Duration::from_millis(4);
        assert_eq!(pool.earliest_waiting(), Some(tick * 4));
        pool.promote_due(tick * 3);
        assert!(pool.worklist.is_empty(), "not before jiffies passes now + 3");
        pool.promote_due(tick * 4);
        assert_eq!(pool.worklist.len(), 1);
        assert_eq!(pool.inflight.len(), 1);
        assert!(pool.delayed.is_empty());
    }
}
