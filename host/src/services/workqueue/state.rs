//! The work item state machine: PENDING, running, disabled, cancelling.
//!
//! A work item is in one of the kernel's effective states:
//!
//! ```text
//!            queue_work                 a worker takes it        callback returns
//!   idle ───────────────────► queued ─────────────────────► running ─────────► idle
//!     │                         ▲  (PENDING cleared here,      │
//!     │ queue_delayed_work      │   just before the callback)  │ queued again
//!     ▼                         │ deadline, flush_delayed_work ▼
//!   armed ──────────────────────┘                        running + queued
//! ```
//!
//! PENDING is "armed, queued or held": `queue_*` succeeds only from idle
//! PENDING, with a zero disable count and no synchronous cancel in
//! progress, so an item is on at most one workqueue's lists at a time and
//! its state names that workqueue. It never runs twice at once: a worker
//! starts only an item that is not running (non-reentrancy), so an item
//! queued again while it runs waits for the current run to end. `Held` is
//! PENDING owned by a `mod_delayed_work` moving the item from one
//! workqueue to another: nobody else may queue or cancel it meanwhile.
//!
//! Every queueing gives the item a new *instance* number; `flush_work`
//! waits for the latest instance pending or running when it was called.
//!
//! Locking: the state lives under the item's lock. Whoever changes a state
//! that names a workqueue holds that workqueue's lock too, taken first. The
//! struct itself is plain data, generic over the workqueue handle, so its
//! rules are tested here without threads.
//!
//! Kernel counterpart: the `data` word of `struct work_struct`
//! (`WORK_STRUCT_PENDING`, the off-queue disable count), `try_to_grab_pending`
//! and `process_one_work` in `kernel/workqueue.c`.

use std::{sync::Arc, time::Duration};

use crate::services::task::Task;

/// Handles that can tell whether they name the same workqueue.
pub(super) trait SameQueue: Clone {
    /// Whether `self` and `other` are the same workqueue.
    fn same(&self, other: &Self) -> bool;
}

impl<T> SameQueue for Arc<T> {
    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(self, other)
    }
}

/// An armed item's place in its workqueue's delayed list: the deadline
/// (kernel uptime), then arming order among equal deadlines.
pub(super) type DelayKey = (Duration, u64);

/// The PENDING half of the state.
#[derive(Debug, Clone)]
pub(super) enum Pending<Q> {
    /// Not pending.
    Idle,
    /// Delayed: on `wq`'s delayed list until its deadline.
    Armed { wq: Q, key: DelayKey, instance: u64 },
    /// On `wq`'s run queue, counted in its flush sequence as `seq`.
    Queued { wq: Q, seq: u64, instance: u64 },
    /// Taken by `mod_delayed_work` on its way to another workqueue.
    Held,
}

/// The running half of the state: which worker runs which instance.
#[derive(Debug, Clone)]
pub(super) struct Running<Q> {
    /// The workqueue whose worker runs it.
    pub(super) wq: Q,
    /// Its place in that workqueue's flush sequence.
    pub(super) seq: u64,
    pub(super) instance: u64,
    /// The worker's task id.
    pub(super) task: u64,
}

/// Where a pending item is, for callers that must lock its workqueue first.
#[derive(Debug)]
pub(super) enum Location<Q> {
    /// Not pending: only the item's lock is needed.
    Nowhere,
    /// Pending on this workqueue.
    On(Q),
    /// Being moved by `mod_delayed_work`: try again in a moment.
    Held,
}

/// One work item's state; see the module docs.
#[derive(Debug)]
pub(super) struct WorkState<Q> {
    pending: Pending<Q>,
    running: Option<Running<Q>>,
    /// `disable_work` count: queueing fails while it is above zero.
    disable: u32,
    /// Synchronous cancels in progress: they hold PENDING, so queueing
    /// fails, the item's own re-queueing included.
    canceling: u32,
    /// The last instance number handed out.
    instances: u64,
    /// Tasks in `flush_work` or `cancel_*_sync`, woken on every run's end
    /// and every cancel.
    pub(super) waiters: Vec<Arc<Task>>,
}

impl<Q: SameQueue> WorkState<Q> {
    /// An idle, enabled item.
    pub(super) fn new() -> Self {
        WorkState { pending: Pending::Idle, running: None, disable: 0, canceling: 0, instances: 0, waiters: Vec::new() }
    }

    pub(super) fn pending(&self) -> &Pending<Q> {
        &self.pending
    }

    pub(super) fn running(&self) -> Option<&Running<Q>> {
        self.running.as_ref()
    }

    /// The deadline of an armed delayed item.
    pub(super) fn armed_until(&self) -> Option<Duration> {
        match &self.pending {
            Pending::Armed { key, .. } => Some(key.0),
            _ => None,
        }
    }

    /// `work_pending`.
    pub(super) fn is_pending(&self) -> bool {
        !matches!(self.pending, Pending::Idle)
    }

    pub(super) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Where the pending instance is.
    pub(super) fn location(&self) -> Location<Q> {
        match &self.pending {
            Pending::Idle => Location::Nowhere,
            Pending::Armed { wq, .. } | Pending::Queued { wq, .. } => Location::On(wq.clone()),
            Pending::Held => Location::Held,
        }
    }

    /// Whether the item is pending on `wq`.
    pub(super) fn pending_on(&self, wq: &Q) -> bool {
        matches!(&self.pending, Pending::Armed { wq: on, .. } | Pending::Queued { wq: on, .. } if on.same(wq))
    }

    /// Whether a `queue_*` call may take PENDING now.
    pub(super) fn may_queue(&self) -> bool {
        matches!(self.pending, Pending::Idle) && self.disable == 0 && self.canceling == 0
    }

    /// Idle (or held) → queued on `wq` as flush sequence `seq`.
    pub(super) fn queue(&mut self, wq: Q, seq: u64) {
        debug_assert!(matches!(self.pending, Pending::Idle | Pending::Held), "queueing a pending item");
        self.instances += 1;
        self.pending = Pending::Queued { wq, seq, instance: self.instances };
    }

    /// Idle (or held) → armed on `wq`'s delayed list at `key`.
    pub(super) fn arm(&mut self, wq: Q, key: DelayKey) {
        debug_assert!(matches!(self.pending, Pending::Idle | Pending::Held), "arming a pending item");
        self.instances += 1;
        self.pending = Pending::Armed { wq, key, instance: self.instances };
    }

    /// Armed → queued on the same workqueue (its deadline came, or a flush
    /// wants it now); the instance stays the same. `false` if not armed.
    pub(super) fn activate(&mut self, seq: u64) -> bool {
        let Pending::Armed { wq, instance, .. } = &self.pending else { return false };
        self.pending = Pending::Queued { wq: wq.clone(), seq, instance: *instance };
        true
    }

    /// Takes PENDING away (cancel, re-arm): returns what was pending, which
    /// the caller unlinks from its workqueue.
    pub(super) fn grab(&mut self) -> Pending<Q> {
        std::mem::replace(&mut self.pending, Pending::Idle)
    }

    /// Takes PENDING for a move to another workqueue (see [`Pending::Held`]).
    pub(super) fn hold(&mut self) -> Pending<Q> {
        std::mem::replace(&mut self.pending, Pending::Held)
    }

    /// A worker of task `task` starts the queued instance: PENDING is
    /// cleared, the item is running. Returns its flush sequence, or `None`
    /// if it is not queued or still running (non-reentrancy).
    pub(super) fn start(&mut self, task: u64) -> Option<u64> {
        if self.running.is_some() {
            return None;
        }
        let Pending::Queued { wq, seq, instance } = &self.pending else { return None };
        let (wq, seq, instance) = (wq.clone(), *seq, *instance);
        self.pending = Pending::Idle;
        self.running = Some(Running { wq, seq, instance, task });
        Some(seq)
    }

    /// The callback returned.
    pub(super) fn finish(&mut self) -> Option<Running<Q>> {
        self.running.take()
    }

    /// One more `disable_work`.
    pub(super) fn disable(&mut self) {
        self.disable = self.disable.saturating_add(1);
    }

    /// `enable_work`: `Some(true)` when the count drops to zero, `None`
    /// if the item was not disabled (a module bug).
    pub(super) fn enable(&mut self) -> Option<bool> {
        self.disable = self.disable.checked_sub(1)?;
        Some(self.disable == 0)
    }

    /// A synchronous cancel starts holding PENDING.
    pub(super) fn begin_cancel(&mut self) {
        self.canceling += 1;
    }

    /// A synchronous cancel is done.
    pub(super) fn end_cancel(&mut self) {
        self.canceling = self.canceling.saturating_sub(1);
    }

    /// The instance `flush_work` waits for: the latest one pending or
    /// running; `None` if the item is idle.
    pub(super) fn flush_target(&self) -> Option<u64> {
        let pending = match &self.pending {
            Pending::Armed { instance, .. } | Pending::Queued { instance, .. } => Some(*instance),
            Pending::Idle | Pending::Held => None,
        };
        pending.or(self.running.as_ref().map(|r| r.instance))
    }

    /// Whether instance `target` and every earlier one have finished or
    /// were cancelled.
    pub(super) fn finished(&self, target: u64) -> bool {
        let pending = match &self.pending {
            Pending::Armed { instance, .. } | Pending::Queued { instance, .. } => *instance <= target,
            Pending::Idle | Pending::Held => false,
        };
        let running = self.running.as_ref().is_some_and(|r| r.instance <= target);
        !pending && !running
    }

    /// A copy of the state without its waiters, for the model check.
    #[cfg(test)]
    pub(super) fn snapshot(&self) -> Self {
        WorkState {
            pending: self.pending.clone(),
            running: self.running.clone(),
            disable: self.disable,
            canceling: self.canceling,
            instances: self.instances,
            waiters: Vec::new(),
        }
    }

    /// The waiters, to wake once the lock is dropped.
    pub(super) fn take_waiters(&mut self) -> Vec<Arc<Task>> {
        std::mem::take(&mut self.waiters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Wq = Arc<&'static str>;
    type State = WorkState<Wq>;

    fn queues() -> (Wq, Wq) {
        (Arc::new("a"), Arc::new("b"))
    }

    #[test]
    fn queueing_a_pending_item_is_refused() {
        let (a, _) = queues();
        let mut st = State::new();
        assert!(st.may_queue());
        st.queue(a.clone(), 1);
        assert!(st.is_pending() && st.pending_on(&a));
        assert!(!st.may_queue(), "queued: PENDING is taken");
        let mut armed = State::new();
        armed.arm(a, (Duration::from_millis(8), 1));
        assert!(armed.is_pending() && !armed.may_queue(), "armed counts as pending");
    }

    #[test]
    fn pending_clears_just_before_the_run_so_the_callback_may_requeue() {
        let (a, _) = queues();
        let mut st = State::new();
        st.queue(a.clone(), 1);
        assert_eq!(st.start(7), Some(1));
        assert!(!st.is_pending() && st.is_running());
        assert!(st.may_queue(), "a running item may be queued again");
        st.queue(a.clone(), 2);
        assert_eq!(st.start(8), None, "never twice at once: the second run waits");
        assert_eq!(st.finish().map(|r| (r.seq, r.task)), Some((1, 7)));
        assert_eq!(st.start(8), Some(2), "then it runs again");
    }

    #[test]
    fn disable_counts_and_enable_reports_zero() {
        let (a, _) = queues();
        let mut st = State::new();
        st.disable();
        st.disable();
        assert!(!st.may_queue());
        assert_eq!(st.enable(), Some(false));
        assert!(!st.may_queue());
        assert_eq!(st.enable(), Some(true));
        assert!(st.may_queue());
        assert_eq!(st.enable(), None, "enabling an enabled item is a bug");
        st.queue(a, 1);
        assert!(st.is_pending());
    }

    #[test]
    fn a_sync_cancel_in_progress_blocks_every_queueing() {
        let (a, _) = queues();
        let mut st = State::new();
        st.queue(a.clone(), 1);
        st.start(3);
        st.begin_cancel();
        assert!(!st.may_queue(), "the running callback cannot re-arm itself");
        st.finish();
        st.end_cancel();
        assert!(st.may_queue());
    }

    #[test]
    fn grab_and_hold_take_pending_and_say_where_it_was() {
        let (a, b) = queues();
        let mut st = State::new();
        st.arm(a.clone(), (Duration::from_millis(4), 9));
        assert!(matches!(st.location(), Location::On(q) if q.same(&a)));
        assert!(!st.pending_on(&b));
        assert!(matches!(st.hold(), Pending::Armed { key: (_, 9), .. }));
        assert!(matches!(st.location(), Location::Held));
        assert!(st.is_pending() && !st.may_queue(), "held is pending");
        st.queue(b.clone(), 4);
        assert!(st.pending_on(&b));
        assert!(matches!(st.grab(), Pending::Queued { seq: 4, .. }));
        assert!(matches!(st.location(), Location::Nowhere));
    }

    #[test]
    fn activation_keeps_the_instance_and_the_queue() {
        let (a, _) = queues();
        let mut st = State::new();
        assert!(!st.activate(1), "only an armed item activates");
        st.arm(a.clone(), (Duration::ZERO, 1));
        let before = st.flush_target();
        assert!(st.activate(5));
        assert!(st.pending_on(&a));
        assert_eq!(st.flush_target(), before);
        assert!(matches!(st.pending(), Pending::Queued { seq: 5, .. }));
    }

    #[test]
    fn flush_waits_for_the_latest_instance_only() {
        let (a, _) = queues();
        let mut st = State::new();
        assert_eq!(st.flush_target(), None, "idle: nothing to wait for");
        st.queue(a.clone(), 1);
        st.start(1);
        st.queue(a.clone(), 2);
        let target = st.flush_target().expect("queued again");
        st.finish();
        assert!(!st.finished(target), "the second instance is still queued");
        st.start(1);
        st.queue(a, 3);
        assert!(!st.finished(target), "the second instance runs");
        st.finish();
        assert!(st.finished(target), "a later instance does not hold the flush up");
        st.grab();
        assert!(st.finished(st.instances));
    }

    #[test]
    fn cancelling_a_pending_instance_finishes_its_flush() {
        let (a, _) = queues();
        let mut st = State::new();
        st.arm(a, (Duration::from_secs(1), 1));
        let target = st.flush_target().expect("armed");
        assert!(!st.finished(target));
        st.grab();
        assert!(st.finished(target));
    }
}
