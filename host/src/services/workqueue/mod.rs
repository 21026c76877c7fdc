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
//! This file holds the registry of system workqueues and the service
//! table's entry points.
//!
//! # Lock order
//!
//! A workqueue's pool lock, then work items' state locks; never two pools
//! at once. No lock is held while module code runs or a task sleeps, and
//! tasks are woken and workers started once the locks are dropped.
//!
//! # Unload
//!
//! What a module leaves behind is reclaimed (`Reclaim`): a work item still
//! pending or running is disabled and cancelled synchronously (the wait
//! bounded by the exit timeout), a workqueue is destroyed.
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

use abi_stable::std_types::RStr;
use modhost_abi::{
    descriptor::ModuleHandle,
    errno::Errno,
    services::{
        Callback, KILLED, ObjectRef, Site,
        workqueue::{WQ_FREEZABLE, WQ_HIGHPRI, WQ_MAX_ACTIVE, WQ_MEM_RECLAIM, WQ_POWER_EFFICIENT, WQ_UNBOUND},
    },
};
use parking_lot::Mutex;
use std::{
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use super::{module_arc, module_of, object::Object, printk::Level, sched::might_sleep, service, task::Task};
use crate::{kernel::KernelInner, loader::Module};
use flush::Waited;
pub(crate) use item::WorkItem;
pub(crate) use queue::Workqueue;
use queue::WqRef;

/// The system workqueues, by `workqueue::System` number: name, flags, max_active.
const SYSTEM: [(&str, u32, i32); 6] = [
    ("events", 0, 0),
    ("events_highpri", WQ_HIGHPRI, 0),
    ("events_long", 0, 0),
    ("events_unbound", WQ_UNBOUND, WQ_MAX_ACTIVE),
    ("events_freezable", WQ_FREEZABLE, 0),
    ("events_power_efficient", WQ_POWER_EFFICIENT, 0),
];

/// The system workqueues of one kernel, and the numbering of all its workqueues.
pub(crate) struct Workqueues {
    system: Mutex<[Option<WqRef>; SYSTEM.len()]>,
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

    /// Stops the system workqueues' workers (every module is gone by then).
    /// The workqueues themselves stay until the kernel goes: a module that
    /// would not unload may still hold one.
    pub(crate) fn shutdown(&self) {
        self.stopped.store(true, Ordering::Release);
        let queues: Vec<WqRef> = self.system.lock().iter().flatten().cloned().collect();
        for wq in queues {
            flush::stop(wq.inner.pool.lock());
        }
    }

    /// The number of the next workqueue, for its workers' names.
    fn next_number(&self) -> u32 {
        self.numbers.fetch_add(1, Ordering::Relaxed)
    }

    /// System workqueue `which`, made on first use.
    fn system(&self, kernel: &Arc<KernelInner>, which: u32) -> Option<WqRef> {
        let index = usize::try_from(which).ok().filter(|i| *i < SYSTEM.len())?;
        if self.stopped.load(Ordering::Acquire) {
            return None;
        }
        let mut slots = self.system.lock();
        let wq = slots[index].get_or_insert_with(|| {
            let (name, flags, max_active) = SYSTEM[index];
            let mut wq = Workqueue::new(kernel, name, flags, max_active, None);
            wq.system = true;
            Object::unowned(wq)
        });
        Some(Arc::clone(wq))
    }
}

impl fmt::Debug for Workqueues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let made = self.system.lock().iter().filter(|s| s.is_some()).count();
        f.debug_struct("Workqueues").field("system_made", &made).finish_non_exhaustive()
    }
}

/// Runs an entry's body, turning a host panic into `fallback` and a dmesg
/// line: a panic must not unwind into the module.
fn guarded<R>(call: &str, kernel: &Weak<KernelInner>, fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        if let Some(kernel) = kernel.upgrade() {
            kernel.log(Level::Crit, &format!("modhost: BUG: service {call} failed"));
        }
        fallback
    })
}

/// The module to blame for a call on `wq`: its owner, or for a system
/// workqueue the module whose code the calling task runs.
fn blame(wq: &Object<Workqueue>, kernel: &KernelInner) -> Option<Arc<Module>> {
    wq.owner.upgrade().or_else(|| {
        let context = Task::current().context()?;
        // Never wait long for the module list only to name a module.
        let modules = kernel.modules.try_lock_for(Duration::from_millis(100))?;
        modules.by_id(context.module).cloned()
    })
}

fn einval() -> i64 {
    i64::from(Errno::EINVAL.to_kernel())
}

pub(crate) extern "C" fn wq_alloc(
    handle: ModuleHandle,
    name: RStr<'_>,
    flags: u32,
    max_active: i32,
    site: Site,
) -> ObjectRef {
    service("wq_alloc", module_of(handle), ObjectRef::NULL, || {
        let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
        let Some(kernel) = module.kernel.upgrade() else { return ObjectRef::NULL };
        if !(0..=WQ_MAX_ACTIVE).contains(&max_active) {
            let text = format!(
                "workqueue: max_active {max_active} requested for {name} is out of range, clamping between 1 and {WQ_MAX_ACTIVE}"
            );
            kernel.log(Level::Warning, &text);
        }
        let wq = Workqueue::new(&kernel, name.as_str(), flags, max_active, Some(module.context().name));
        let object = Object::new(&module, site.to_string(), wq);
        // The rescuer's promise: a worker that exists before memory is short.
        if flags & WQ_MEM_RECLAIM != 0 {
            let kick = object.inner.pool.lock().ensure_worker();
            kick.apply(&object);
        }
        object.into_ref()
    })
}

pub(crate) extern "C" fn wq_system(handle: ModuleHandle, which: u32) -> ObjectRef {
    let module = module_of(handle);
    service("wq_system", module, ObjectRef::NULL, || {
        let Some(kernel) = module.kernel.upgrade() else { return ObjectRef::NULL };
        // No reference is handed out: the kernel keeps the system
        // workqueues until it shuts down, after every module is gone.
        kernel.workqueues.system(&kernel, which).map_or(ObjectRef::NULL, |wq| ObjectRef(Arc::as_ptr(&wq).cast()))
    })
}

pub(crate) extern "C" fn wq_flush(wq: ObjectRef, drain: bool, site: Site) -> i64 {
    let Some(object) = Object::<Workqueue>::get_arc(wq) else { return einval() };
    let Some(kernel) = object.inner.kernel.upgrade() else { return 0 };
    guarded("wq_flush", &object.inner.kernel, 0, || {
        let module = blame(&object, &kernel);
        might_sleep(&kernel, module.as_deref(), &site, if drain { "drain_workqueue" } else { "flush_workqueue" });
        match flush::flush_workqueue(&object, &kernel, module.as_deref(), &site.to_string(), drain) {
            Waited::Killed => KILLED,
            Waited::Done | Waited::TimedOut => 0,
        }
    })
}

pub(crate) extern "C" fn wq_destroy(wq: ObjectRef, site: Site) -> i64 {
    let Some(object) = Object::<Workqueue>::get_arc(wq) else { return einval() };
    let Some(kernel) = object.inner.kernel.upgrade() else { return 0 };
    guarded("wq_destroy", &Arc::downgrade(&kernel), 0, || {
        let module = blame(&object, &kernel);
        if object.inner.system {
            let text = format!("destroy_workqueue: {} is a system workqueue; not destroyed", object.inner.name);
            kernel.warn(module.as_deref(), &site.to_string(), &text);
            return 0;
        }
        might_sleep(&kernel, module.as_deref(), &site, "destroy_workqueue");
        match flush::destroy(&object, &kernel, module.as_deref(), &site.to_string(), None) {
            Waited::Done | Waited::TimedOut => {
                drop(object);
                Object::<Workqueue>::free(wq);
                0
            }
            Waited::Killed => KILLED,
        }
    })
}

pub(crate) extern "C" fn work_new(handle: ModuleHandle, callback: Callback, delayed: bool, site: Site) -> ObjectRef {
    service("work_new", module_of(handle), ObjectRef::NULL, || {
        let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
        Object::new(&module, site.to_string(), WorkItem::new(callback, delayed)).into_ref()
    })
}

pub(crate) extern "C" fn work_queue(wq: ObjectRef, work: ObjectRef, delay: u64) -> bool {
    let (Some(wq), Some(work)) = (Object::<Workqueue>::get_arc(wq), Object::<WorkItem>::get_arc(work)) else {
        return false;
    };
    // `u64::MAX` is `queue_work`: not a delay at all.
    let delay = (delay != u64::MAX).then_some(delay);
    guarded("work_queue", &wq.inner.kernel, false, || item::queue(&wq, &work, delay))
}

pub(crate) extern "C" fn work_mod_delayed(wq: ObjectRef, work: ObjectRef, delay: u64) -> bool {
    let (Some(wq), Some(work)) = (Object::<Workqueue>::get_arc(wq), Object::<WorkItem>::get_arc(work)) else {
        return false;
    };
    guarded("work_mod_delayed", &wq.inner.kernel, false, || item::mod_delayed(&wq, &work, delay))
}

/// The item behind a reference, and its kernel.
fn item_and_kernel(work: ObjectRef) -> Option<(Arc<Object<WorkItem>>, Arc<KernelInner>)> {
    let item = Object::<WorkItem>::get_arc(work)?;
    let kernel = item.kernel()?;
    Some((item, kernel))
}

pub(crate) extern "C" fn work_cancel(work: ObjectRef, sync: bool, site: Site) -> i64 {
    let Some((item, kernel)) = item_and_kernel(work) else { return 0 };
    guarded("work_cancel", &Arc::downgrade(&kernel), 0, || cancel::cancel(&kernel, &item, sync, false, &site))
}

pub(crate) extern "C" fn work_flush(work: ObjectRef, site: Site) -> i64 {
    let Some((item, kernel)) = item_and_kernel(work) else { return 0 };
    guarded("work_flush", &Arc::downgrade(&kernel), 0, || cancel::flush(&kernel, &item, &site))
}

pub(crate) extern "C" fn work_disable(work: ObjectRef, sync: bool, site: Site) -> i64 {
    let Some((item, kernel)) = item_and_kernel(work) else { return 0 };
    guarded("work_disable", &Arc::downgrade(&kernel), 0, || cancel::cancel(&kernel, &item, sync, true, &site))
}

pub(crate) extern "C" fn work_enable(work: ObjectRef) -> bool {
    let Some((item, kernel)) = item_and_kernel(work) else { return false };
    guarded("work_enable", &Arc::downgrade(&kernel), false, || cancel::enable(&kernel, &item))
}

pub(crate) extern "C" fn work_pending(work: ObjectRef) -> bool {
    Object::<WorkItem>::get(work).is_some_and(|item| item.inner.state.lock().is_pending())
}

pub(crate) extern "C" fn work_free(work: ObjectRef) {
    if let Some(item) = Object::<WorkItem>::get(work) {
        // The module calls this after `disable_*_sync`; should it not have,
        // the callback must still never run again: its context is gone.
        item::grab_pending(item, |st| st.disable());
    }
    Object::<WorkItem>::free(work);
}

pub(crate) extern "C" fn work_requeue(work: ObjectRef, delay: u64) -> bool {
    let Some((item, kernel)) = item_and_kernel(work) else { return false };
    guarded("work_requeue", &Arc::downgrade(&kernel), false, || item::requeue(&item, delay))
}
