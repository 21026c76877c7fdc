//! Work items: the object, and queueing and re-arming one.
//!
//! Every operation follows the lock order: the pool of the workqueue the
//! item is pending on first, then the item's state. An operation that
//! starts from the item alone (cancel, flush) reads where it is pending,
//! locks that pool and the state, and tries again if the item moved in
//! between ([`with_pending`]). A `mod_delayed_work` that moves an item to
//! another workqueue holds PENDING across the move, so nobody else queues
//! or cancels it half-way.
//!
//! A queueing on a workqueue that is draining (by anyone but its own
//! items) or destroyed is refused with a WARN, once per workqueue as the
//! kernel's `WARN_ONCE`. Cancelling, flushing and disabling are in
//! [`super::cancel`](mod@super::cancel).
//!
//! Kernel counterpart: `queue_work_on`, `queue_delayed_work_on`,
//! `mod_delayed_work_on`, `try_to_grab_pending` in `kernel/workqueue.c`.

use modhost_abi::table::Callback;
use parking_lot::Mutex;
use std::{sync::Arc, time::Duration};

use super::{
    queue::{ItemRef, Pool, State, Workqueue, WqRef},
    state::{Location, Pending, WorkState},
};
use crate::{
    debug::rates::RunMeter,
    services::{
        Services,
        callback::ModuleCallback,
        object::{Kind, Object},
        task::Task,
    },
};

/// A module's work item (`struct work_struct` or `struct delayed_work`).
pub(crate) struct WorkItem {
    pub(super) callback: ModuleCallback,
    /// Made by `INIT_DELAYED_WORK` (for the names of calls in messages).
    pub(super) delayed: bool,
    pub(super) state: Mutex<State>,
    /// A busy loop of its own re-arming was reported (once per item).
    busy_loop_reported: std::sync::atomic::AtomicBool,
    /// Its runs, for the rate it achieves when it re-arms itself.
    pub(crate) meter: RunMeter,
}

impl Kind for WorkItem {
    const NAME: &'static str = "work item";
    const DEBUG_TYPE: Option<&'static str> = Some("work_struct");

    fn stop(object: &Object<WorkItem>) -> Option<String> {
        super::cancel::reclaim(object)
    }

    fn still_running(&self) -> bool {
        self.state.lock().is_running()
    }

    fn fires_at(&self, _services: &Services) -> Option<Duration> {
        self.state.lock().armed_until()
    }

    fn callback(&self) -> Option<&ModuleCallback> {
        Some(&self.callback)
    }

    fn meter(&self) -> Option<&RunMeter> {
        Some(&self.meter)
    }
}

impl WorkItem {
    /// A new idle item calling `callback` (`INIT_WORK`, or
    /// `INIT_DELAYED_WORK` when `delayed`).
    pub(crate) fn new(callback: Callback, delayed: bool) -> WorkItem {
        WorkItem {
            callback: ModuleCallback::new(callback),
            delayed,
            state: Mutex::new(WorkState::new()),
            busy_loop_reported: std::sync::atomic::AtomicBool::new(false),
            meter: RunMeter::default(),
        }
    }

    /// Whether it is pending (`work_pending`).
    pub(crate) fn pending(&self) -> bool {
        self.state.lock().is_pending()
    }

    /// Whether its callback runs on the task `me` (it is its own caller).
    pub(crate) fn runs_on(&self, me: u64) -> bool {
        self.state.lock().running().is_some_and(|r| r.task == me)
    }

    /// The task its callback runs on, if it runs.
    pub(crate) fn running_task(&self) -> Option<u64> {
        self.state.lock().running().map(|r| r.task)
    }

    /// `cancel_work_sync`, `disable_delayed_work`, ...: the call's name.
    pub(crate) fn call(&self, verb: &str, sync: bool) -> String {
        let kind = if self.delayed { "delayed_work" } else { "work" };
        format!("{verb}_{kind}{}", if sync { "_sync" } else { "" })
    }
}

/// Runs `f` with the item's state locked, and the pool of the workqueue it
/// is pending on (if any) locked before it.
pub(super) fn with_pending<R>(
    item: &Object<WorkItem>,
    f: impl FnOnce(Option<(&WqRef, &mut Pool)>, &mut State) -> R,
) -> R {
    loop {
        let location = item.inner.state.lock().location();
        match location {
            // A move between workqueues takes microseconds.
            Location::Held => std::thread::yield_now(),
            Location::Nowhere => {
                let mut st = item.inner.state.lock();
                if matches!(st.location(), Location::Nowhere) {
                    return f(None, &mut st);
                }
            }
            Location::On(wq) => {
                let mut pool = wq.inner.pool.lock();
                let mut st = item.inner.state.lock();
                if st.pending_on(&wq) {
                    return f(Some((&wq, &mut pool)), &mut st);
                }
            }
        }
    }
}

/// Takes PENDING away wherever the item is pending, then applies `also`
/// under the same lock (so no queueing slips in between); `true` if it was
/// pending.
pub(super) fn grab_pending(item: &Object<WorkItem>, also: impl FnOnce(&mut State)) -> bool {
    let (was, wake) = with_pending(item, |located, st| {
        let old = st.grab();
        let mut wake = match located {
            Some((_, pool)) => pool.unlink(item, &old),
            None => Vec::new(),
        };
        also(st);
        wake.append(&mut st.take_waiters());
        (matches!(old, Pending::Armed { .. } | Pending::Queued { .. }), wake)
    });
    wake.iter().for_each(|t| t.wake_up());
    was
}

/// Whether the calling task runs `item`'s callback: queueing it from
/// there, the item re-arms itself.
pub(crate) fn rearms_itself(item: &ItemRef) -> bool {
    let me = Task::current().id();
    item.inner.state.lock().running().is_some_and(|r| r.task == me)
}

/// Whether queueing `item` with `delay` jiffies from the calling task is
/// a busy loop seen for the first time: the item re-arming itself from
/// its own callback with no delay (the lab's `HZ / rate` with a rate above
/// HZ) runs again at once, for ever.
pub(crate) fn first_busy_loop(item: &ItemRef, delay: u64) -> bool {
    delay == 0 && rearms_itself(item) && !item.inner.busy_loop_reported.swap(true, std::sync::atomic::Ordering::Relaxed)
}

/// `queue_work` (`delay` `None`), `queue_delayed_work` (`Some`, 0: now):
/// `false` if the item was pending, disabled, being cancelled, or the
/// workqueue refused it (with a WARN).
pub(crate) fn queue(wq: &WqRef, item: &ItemRef, delay: Option<u64>) -> bool {
    let me = Task::current().id();
    let report = {
        let mut pool = wq.inner.pool.lock();
        let mut st = item.inner.state.lock();
        if !st.may_queue() {
            return false;
        }
        if !pool.refuses(me) {
            pool.insert(wq, item, &mut st, delay);
            drop(st);
            let kick = pool.kick(&wq.inner);
            drop(pool);
            kick.apply(wq);
            return true;
        }
        pool.report_refusal()
    };
    refused(&wq.inner, item, report);
    false
}

/// `mod_delayed_work`: `true` if the item was pending (and is re-armed).
/// An idle item is queued as by `queue_delayed_work`; a disabled one that
/// was pending is only cancelled, as the kernel does.
pub(crate) fn mod_delayed(wq: &WqRef, item: &ItemRef, delay: u64) -> bool {
    let me = Task::current().id();
    loop {
        let location = item.inner.state.lock().location();
        match location {
            Location::Held => std::thread::yield_now(),
            Location::On(other) if !Arc::ptr_eq(&other, wq) => {
                if take_off(&other, item) {
                    return put_on(wq, item, delay, me);
                }
            }
            Location::On(_) | Location::Nowhere => {
                let mut pool = wq.inner.pool.lock();
                let mut st = item.inner.state.lock();
                let was = match st.location() {
                    Location::On(on) if Arc::ptr_eq(&on, wq) => true,
                    Location::Nowhere => false,
                    _ => continue,
                };
                if pool.refuses(me) {
                    let report = pool.report_refusal();
                    drop(st);
                    drop(pool);
                    refused(&wq.inner, item, report);
                    return false;
                }
                let mut wake = Vec::new();
                if was {
                    let old = st.grab();
                    wake = pool.unlink(item, &old);
                    wake.append(&mut st.take_waiters());
                }
                if st.may_queue() {
                    pool.insert(wq, item, &mut st, Some(delay));
                }
                drop(st);
                let kick = pool.kick(&wq.inner);
                drop(pool);
                wake.iter().for_each(|t| t.wake_up());
                kick.apply(wq);
                return was;
            }
        }
    }
}

/// First half of a move: takes the item off `other`, holding PENDING.
fn take_off(other: &WqRef, item: &ItemRef) -> bool {
    let mut pool = other.inner.pool.lock();
    let mut st = item.inner.state.lock();
    if !st.pending_on(other) {
        return false;
    }
    let old = st.hold();
    let mut wake = pool.unlink(item, &old);
    wake.append(&mut st.take_waiters());
    drop(st);
    drop(pool);
    wake.iter().for_each(|t| t.wake_up());
    true
}

/// Second half of a move: puts the held item on `wq`.
fn put_on(wq: &WqRef, item: &ItemRef, delay: u64, me: u64) -> bool {
    let mut pool = wq.inner.pool.lock();
    let mut st = item.inner.state.lock();
    st.grab();
    let refuses = pool.refuses(me);
    if !refuses && st.may_queue() {
        pool.insert(wq, item, &mut st, Some(delay));
    }
    let report = refuses && pool.report_refusal();
    drop(st);
    let kick = pool.kick(&wq.inner);
    drop(pool);
    kick.apply(wq);
    refused(&wq.inner, item, report);
    true
}

/// Re-queues the running item on the workqueue it runs on (`delay` 0: now).
pub(crate) fn requeue(item: &ItemRef, delay: u64) -> bool {
    let wq = item.inner.state.lock().running().map(|r| Arc::clone(&r.wq));
    wq.is_some_and(|wq| queue(&wq, item, Some(delay)))
}

/// The WARN of a refused queueing, if `report` (the first on this workqueue).
fn refused(wq: &Workqueue, item: &Object<WorkItem>, report: bool) {
    if !report {
        return;
    }
    if let Some(services) = wq.services.upgrade() {
        let text = format!("workqueue: cannot queue {} on wq {}", item.describe_object(), wq.name);
        services.warn(item.owner.as_deref(), "", &text);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::services::{clock::Clock, workqueue::flush::stop};
    use modhost_abi::{services::workqueue::WQ_UNBOUND, table::Handle};

    extern "C" fn nothing(_: *const core::ffi::c_void, _: Handle) -> i32 {
        0
    }

    extern "C" fn keep(_: *const core::ffi::c_void) {}

    /// A workqueue of no kernel, on a manual clock that never moves.
    pub(in crate::services::workqueue) fn detached_wq(max_active: i32) -> WqRef {
        let wq = Workqueue::detached("test", WQ_UNBOUND, max_active, Clock::manual(250), 0);
        Arc::new(Object::new(None, 0, String::new(), wq))
    }

    /// A delayed work item of no module (its callback is never called).
    pub(in crate::services::workqueue) fn detached_item() -> ItemRef {
        let callback = Callback { function: nothing, context: core::ptr::null(), release: keep };
        Arc::new(Object::new(None, 0, String::new(), WorkItem::new(callback, true)))
    }

    #[test]
    fn queueing_and_re_arming_report_like_the_kernel() {
        let wq = detached_wq(1);
        let item = detached_item();
        assert!(queue(&wq, &item, Some(100)), "idle: queued");
        assert!(!queue(&wq, &item, Some(5)), "armed: already pending");
        assert!(!queue(&wq, &item, None), "queue_work on an armed item: pending too");
        assert!(mod_delayed(&wq, &item, 10), "pending: re-armed, true");
        let other = detached_item();
        assert!(!mod_delayed(&wq, &other, 10), "idle: queued, false");
        assert!(other.inner.state.lock().is_pending());
        assert!(grab_pending(&item, |_| {}), "cancel of a pending item");
        assert!(!grab_pending(&item, |_| {}), "and of an idle one");
        assert_eq!(wq.inner.pool.lock().delayed.len(), 1, "only `other` is armed");
        stop(wq.inner.pool.lock());
    }

    #[test]
    fn a_move_between_workqueues_keeps_one_pending_instance() {
        let (a, b) = (detached_wq(1), detached_wq(1));
        let item = detached_item();
        assert!(queue(&a, &item, Some(50)));
        assert!(mod_delayed(&b, &item, 20), "it was pending on a");
        assert!(a.inner.pool.lock().delayed.is_empty());
        assert_eq!(b.inner.pool.lock().delayed.len(), 1);
        assert!(item.inner.state.lock().pending_on(&b));
        stop(a.inner.pool.lock());
        stop(b.inner.pool.lock());
    }

    #[test]
    fn a_disabled_item_is_refused_and_a_pending_one_only_cancelled_by_mod() {
        let wq = detached_wq(1);
        let item = detached_item();
        assert!(queue(&wq, &item, Some(50)));
        item.inner.state.lock().disable();
        assert!(mod_delayed(&wq, &item, 20), "it was pending");
        assert!(!item.inner.state.lock().is_pending(), "but stays cancelled while disabled");
        assert!(!queue(&wq, &item, Some(1)));
        stop(wq.inner.pool.lock());
    }

    #[test]
    fn a_dead_workqueue_refuses_everything() {
        let wq = detached_wq(1);
        stop(wq.inner.pool.lock());
        let item = detached_item();
        assert!(!queue(&wq, &item, None));
        assert!(!mod_delayed(&wq, &item, 0));
        assert!(!item.inner.state.lock().is_pending());
    }
}
