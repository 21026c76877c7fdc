//! Workqueues: work items that run later, on worker threads the host owns.
//!
//! A module makes work items (`INIT_WORK`, `INIT_DELAYED_WORK`) and queues
//! them on a workqueue: one it allocated (`alloc_workqueue`), or one of the
//! kernel's system workqueues (`system_wq` for `schedule_work`, ...), made
//! on first use, owned by no module and never destroyed by one. Each
//! workqueue has workers of its own (`kworker/u3:0`), started on demand up
//! to its `max_active`, and keeps one waiting while it lives. Delayed work
//! is not a timer: it waits on its workqueue's delayed list, and that idle
//! worker sleeps until the earliest deadline.
//!
//! The kernel's rules, and where they live:
//!
//! - `state`: one state machine per item (idle, armed, queued, running,
//!   running and queued again) under one lock; PENDING is cleared just
//!   before the callback runs, and an item never runs twice at once;
//! - `queue`: the workqueue, its run queue, delayed list, flush sequence
//!   and the bookkeeping of its workers;
//! - `dispatch`: which worker runs what, whom to wake, when to start one;
//! - `worker`: the worker loop, idling, and who watches the deadlines;
//! - `item`: the work item, queueing and `mod_delayed_work`;
//! - `cancel`: cancelling (sync ones defeat self-re-arming), disabling
//!   and flushing an item, and reclaiming one at unload;
//! - `flush`: `flush_workqueue`, `drain_workqueue`, `destroy_workqueue`.
//!
//! This file holds the registry of system workqueues; the service table's
//! entries are in `services/entry/workqueue.rs`.
//!
//! # Lock order
//!
//! A workqueue's pool lock, then work items' state locks; never two pools
//! at once. No lock is held while module code runs or a task sleeps, and
//! tasks are woken and workers started once the locks are dropped.
//!
//! # Unload
//!
//! What a module leaves behind is stopped ([`crate::services::object::Kind::stop`]):
//! a work item still pending or running is disabled and cancelled
//! synchronously (the wait bounded by the exit timeout), a workqueue is
//! destroyed.
//!
//! Kernel counterpart: `kernel/workqueue.c`, `include/linux/workqueue.h`.

mod cancel;
mod dispatch;
mod flush;
mod item;
#[cfg(test)]
mod model;
mod queue;
mod state;
mod worker;

use modhost_abi::services::workqueue::{
    WQ_BH, WQ_FREEZABLE, WQ_HIGHPRI, WQ_MAX_ACTIVE, WQ_POWER_EFFICIENT, WQ_UNBOUND,
};
use modhost_abi::table::SystemWq;
use parking_lot::Mutex;
use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
};

use super::{
    Services,
    object::{AnyObject, Object},
};
pub(crate) use cancel::{cancel, enable, flush_work};
pub(crate) use flush::{destroy, flush_workqueue};
pub(crate) use item::{WorkItem, first_busy_loop, mod_delayed, queue, rearms_itself, requeue};
pub(crate) use queue::{Workqueue, WqRef};

/// The system workqueues, by `SystemWq` number: name, flags, max_active.
const SYSTEM: [(&str, u32, i32); 7] = [
    ("events", 0, 0),
    ("events_highpri", WQ_HIGHPRI, 0),
    ("events_long", 0, 0),
    ("events_unbound", WQ_UNBOUND, WQ_MAX_ACTIVE),
    ("events_freezable", WQ_FREEZABLE, 0),
    ("events_power_efficient", WQ_POWER_EFFICIENT, 0),
    ("events_bh", WQ_BH, 0),
];

/// The system workqueues of one kernel, and the numbering of all its workqueues.
pub(crate) struct Workqueues {
    system: Mutex<[Option<WqRef>; SYSTEM.len()]>,
    /// Workqueues numbered so far, for workers' names.
    numbers: AtomicU32,
    stopped: AtomicBool,
}

impl Workqueues {
    /// No workqueues yet; system ones start on first use.
    pub(crate) fn new() -> Workqueues {
        Workqueues {
            system: Mutex::new(Default::default()),
            numbers: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// Stops the system workqueues' workers and frees them (every module
    /// is gone by then; one that would not unload finds them stale).
    pub(crate) fn shutdown(&self) {
        self.stopped.store(true, Ordering::Release);
        let queues: Vec<WqRef> = self.system.lock().iter_mut().filter_map(Option::take).collect();
        for wq in queues {
            flush::stop(wq.inner.pool.lock());
            wq.free_leftover();
        }
    }

    /// The number of the next workqueue, for its workers' names.
    pub(crate) fn next_number(&self) -> u32 {
        self.numbers.fetch_add(1, Ordering::Relaxed)
    }

    /// System workqueue `which`, made (and registered) on first use.
    pub(crate) fn system(&self, services: &Arc<Services>, which: SystemWq) -> Option<WqRef> {
        let index = usize::try_from(which.0).ok().filter(|i| *i < SYSTEM.len())?;
        if self.stopped.load(Ordering::Acquire) {
            return None;
        }
        let mut slots = self.system.lock();
        if slots[index].is_none() {
            let (name, flags, max_active) = SYSTEM[index];
            let mut wq = Workqueue::new(services, name, flags, max_active, None);
            wq.system = true;
            let (object, _handle) = Object::new(None, services.id, String::new(), wq).register()?;
            slots[index] = Some(object);
        }
        slots[index].clone()
    }
}

impl fmt::Debug for Workqueues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let made = self.system.lock().iter().filter(|s| s.is_some()).count();
        f.debug_struct("Workqueues").field("system_made", &made).finish_non_exhaustive()
    }
}
