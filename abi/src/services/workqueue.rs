//! Workqueues: work items run later on the host's worker threads.
//!
//! A [`Work`] or [`DelayedWork`] owns its callback; queueing it on a
//! [`Workqueue`] runs the callback once on a worker thread (process
//! context: it may sleep). The kernel's rules hold:
//!
//! - a work item is either idle or pending; queueing a pending item does
//!   nothing and returns `false`;
//! - an item never runs concurrently with itself; queued again while it
//!   runs, it runs again afterwards;
//! - `queue_delayed_work` with a delay of 0 queues at once;
//!   `mod_delayed_work` re-arms a pending item;
//! - `cancel_*_sync` waits for a running instance and defeats an item that
//!   re-queues itself; `disable_*` also keeps anyone else from queueing it.
//!
//! Dropping a `Work`/`DelayedWork` disables it and waits for it
//! (`disable_work_sync`), so its callback never runs after it is gone.
//! Dropping a [`Workqueue`] you allocated is `destroy_workqueue`: it drains
//! the queue; delayed work still armed on it is reported (cancel it first).
//!
//! Kernel counterpart: `include/linux/workqueue.h`, `kernel/workqueue.c`.

use abi_stable::std_types::RStr;
use core::ffi::c_void;
use std::fmt;

use super::{Callback, ObjectRef, Site};
use crate::{
    errno::{Errno, Result},
    runtime::{check_killed, guard, kernel},
};

/// `WQ_BH`: run items in softirq context (modhost: on the timer thread's terms).
pub const WQ_BH: u32 = 1 << 0;
/// `WQ_UNBOUND`: items are not bound to a CPU; start as soon as possible.
pub const WQ_UNBOUND: u32 = 1 << 1;
/// `WQ_FREEZABLE`: takes part in suspend (accepted, no effect).
pub const WQ_FREEZABLE: u32 = 1 << 2;
/// `WQ_MEM_RECLAIM`: guarantees one worker even when the host is short of threads.
pub const WQ_MEM_RECLAIM: u32 = 1 << 3;
/// `WQ_HIGHPRI`: high-priority workers.
pub const WQ_HIGHPRI: u32 = 1 << 4;
/// `WQ_CPU_INTENSIVE`: long-running items that do not count against concurrency.
pub const WQ_CPU_INTENSIVE: u32 = 1 << 5;
/// `WQ_SYSFS`: visible in sysfs (accepted, no effect).
pub const WQ_SYSFS: u32 = 1 << 6;
/// `WQ_POWER_EFFICIENT` (accepted, no effect).
pub const WQ_POWER_EFFICIENT: u32 = 1 << 7;
/// `__WQ_ORDERED`: one item at a time, in queueing order.
pub const WQ_ORDERED: u32 = 1 << 17;
/// `WQ_MAX_ACTIVE`.
pub const WQ_MAX_ACTIVE: i32 = 512;
/// `WQ_DFL_ACTIVE`: what `max_active` 0 means.
pub const WQ_DFL_ACTIVE: i32 = WQ_MAX_ACTIVE / 2;

/// The system workqueues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum System {
    /// `system_wq` (`schedule_work`): short items.
    Normal = 0,
    /// `system_highpri_wq`.
    HighPri = 1,
    /// `system_long_wq`: items that may take long.
    Long = 2,
    /// `system_unbound_wq`.
    Unbound = 3,
    /// `system_freezable_wq`.
    Freezable = 4,
    /// `system_power_efficient_wq`.
    PowerEfficient = 5,
}

/// A workqueue: one the module allocated (destroyed when dropped) or a
/// system one (never destroyed).
pub struct Workqueue {
    raw: ObjectRef,
    owned: bool,
}

impl Workqueue {
    /// `alloc_workqueue(name, flags, max_active)`; `max_active` 0 is the default.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused (check it: the lab's modules did not).
    #[track_caller]
    pub fn alloc(name: &str, flags: u32, max_active: i32) -> Result<Workqueue> {
        let (services, module) = kernel();
        let raw = (services.wq_alloc())(module, RStr::from_str(name), flags, max_active, Site::caller());
        if raw.is_null() { Err(Errno::ENOMEM) } else { Ok(Workqueue { raw, owned: true }) }
    }

    /// `alloc_ordered_workqueue`: one item at a time, in queueing order.
    ///
    /// # Errors
    ///
    /// As [`Workqueue::alloc`].
    #[track_caller]
    pub fn alloc_ordered(name: &str, flags: u32) -> Result<Workqueue> {
        Workqueue::alloc(name, WQ_UNBOUND | WQ_ORDERED | flags, 1)
    }

    /// `create_workqueue` (legacy): `WQ_MEM_RECLAIM`, one item at a time.
    ///
    /// # Errors
    ///
    /// As [`Workqueue::alloc`].
    #[track_caller]
    pub fn create(name: &str) -> Result<Workqueue> {
        Workqueue::alloc(name, WQ_MEM_RECLAIM, 1)
    }

    /// `create_singlethread_workqueue` (legacy): ordered, `WQ_MEM_RECLAIM`.
    ///
    /// # Errors
    ///
    /// As [`Workqueue::alloc`].
    #[track_caller]
    pub fn create_singlethread(name: &str) -> Result<Workqueue> {
        Workqueue::alloc_ordered(name, WQ_MEM_RECLAIM)
    }

    /// A system workqueue.
    pub fn system(which: System) -> Workqueue {
        let (services, module) = kernel();
        Workqueue { raw: (services.wq_system())(module, which as u32), owned: false }
    }

    /// `queue_work`: `true` if queued, `false` if it was already pending (or disabled).
    pub fn queue_work(&self, work: &Work) -> bool {
        let (services, _) = kernel();
        (services.work_queue())(self.raw, work.raw, u64::MAX)
    }

    /// `queue_delayed_work`: queues `dwork` after `delay` jiffies (0: now);
    /// `false` if it was already pending (or disabled).
    pub fn queue_delayed_work(&self, dwork: &DelayedWork, delay: u64) -> bool {
        let (services, _) = kernel();
        (services.work_queue())(self.raw, dwork.raw, delay.min(u64::MAX - 1))
    }

    /// `mod_delayed_work`: queues `dwork` after `delay`, re-arming it if
    /// pending; `true` if it was pending (inverted from `queue_*`).
    pub fn mod_delayed_work(&self, dwork: &DelayedWork, delay: u64) -> bool {
        let (services, _) = kernel();
        (services.work_mod_delayed())(self.raw, dwork.raw, delay.min(u64::MAX - 1))
    }

    /// `flush_workqueue`: waits for every item queued before the call.
    #[track_caller]
    pub fn flush(&self) {
        let (services, _) = kernel();
        check_killed((services.wq_flush())(self.raw, false, Site::caller()));
    }

    /// `drain_workqueue`: flushes until empty; meanwhile only the queue's own
    /// items may queue more on it.
    #[track_caller]
    pub fn drain(&self) {
        let (services, _) = kernel();
        check_killed((services.wq_flush())(self.raw, true, Site::caller()));
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        if self.owned {
            let (services, _) = kernel();
            // Never unwind from a destructor: a killed task is already
            // unwinding, and the host reclaims what is left.
            let _ = (services.wq_destroy())(self.raw, Site::caller());
        }
    }
}

/// `schedule_work`: queues `work` on `system_wq`.
pub fn schedule_work(work: &Work) -> bool {
    Workqueue::system(System::Normal).queue_work(work)
}

/// `schedule_delayed_work`: queues `dwork` on `system_wq` after `delay`.
pub fn schedule_delayed_work(dwork: &DelayedWork, delay: u64) -> bool {
    Workqueue::system(System::Normal).queue_delayed_work(dwork, delay)
}

/// A work item as its own callback sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WorkRef(ObjectRef);

/// A delayed work item as its own callback sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DelayedWorkRef(ObjectRef);

impl WorkRef {
    /// Queues the item again, now, on the workqueue it is running on.
    pub fn requeue(&self) -> bool {
        let (services, _) = kernel();
        (services.work_requeue())(self.0, 0)
    }
}

impl DelayedWorkRef {
    /// Queues the item again after `delay` jiffies on the workqueue it is running on.
    pub fn requeue(&self, delay: u64) -> bool {
        let (services, _) = kernel();
        (services.work_requeue())(self.0, delay.min(u64::MAX - 1))
    }
}

/// A work item and its callback (`struct work_struct` after `INIT_WORK`).
pub struct Work {
    raw: ObjectRef,
    _callback: Box<dyn Send + Sync>,
}

/// A delayed work item and its callback (`struct delayed_work`).
pub struct DelayedWork {
    raw: ObjectRef,
    _callback: Box<dyn Send + Sync>,
}

extern "C" fn call_work<F: Fn(&WorkRef) + Send + Sync + 'static>(context: *const c_void, work: ObjectRef) {
    // SAFETY: `context` is the `F` boxed in the `Work`, which outlives every
    // call: dropping it disables and waits for the item first.
    let callback = unsafe { &*context.cast::<F>() };
    let _ = guard(|| callback(&WorkRef(work)));
}

extern "C" fn call_delayed<F: Fn(&DelayedWorkRef) + Send + Sync + 'static>(context: *const c_void, work: ObjectRef) {
    // SAFETY: As in `call_work`, for the `DelayedWork`.
    let callback = unsafe { &*context.cast::<F>() };
    let _ = guard(|| callback(&DelayedWorkRef(work)));
}

fn new_item(callback: Callback, delayed: bool, site: Site) -> Result<ObjectRef> {
    let (services, module) = kernel();
    let raw = (services.work_new())(module, callback, delayed, site);
    if raw.is_null() { Err(Errno::ENOMEM) } else { Ok(raw) }
}

/// What the two kinds of work item share.
macro_rules! work_item_common {
    ($type:ident) => {
        impl $type {
            /// Cancels the item if pending, without waiting for a running
            /// instance; `true` if it was pending.
            #[track_caller]
            pub fn cancel(&self) -> bool {
                let (services, _) = kernel();
                check_killed((services.work_cancel())(self.raw, false, Site::caller())) == 1
            }

            /// Cancels the item and waits for a running instance; it is
            /// neither pending nor running on return, even if it re-queues
            /// itself; `true` if it was pending.
            #[track_caller]
            pub fn cancel_sync(&self) -> bool {
                let (services, _) = kernel();
                check_killed((services.work_cancel())(self.raw, true, Site::caller())) == 1
            }

            /// As [`Self::cancel`], and queueing fails until [`Self::enable`].
            #[track_caller]
            pub fn disable(&self) -> bool {
                let (services, _) = kernel();
                check_killed((services.work_disable())(self.raw, false, Site::caller())) == 1
            }

            /// As [`Self::cancel_sync`], and queueing fails until [`Self::enable`].
            #[track_caller]
            pub fn disable_sync(&self) -> bool {
                let (services, _) = kernel();
                check_killed((services.work_disable())(self.raw, true, Site::caller())) == 1
            }

            /// Undoes one `disable`; `true` when queueing works again.
            pub fn enable(&self) -> bool {
                let (services, _) = kernel();
                (services.work_enable())(self.raw)
            }

            /// `work_pending`.
            pub fn pending(&self) -> bool {
                let (services, _) = kernel();
                (services.work_pending())(self.raw)
            }
        }

        impl Drop for $type {
            fn drop(&mut self) {
                let (services, _) = kernel();
                let ret = (services.work_disable())(self.raw, true, Site::caller());
                if ret != super::KILLED {
                    (services.work_free())(self.raw);
                }
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($type)).field(&self.raw).finish()
            }
        }
    };
}

work_item_common!(Work);
work_item_common!(DelayedWork);

impl Work {
    /// `INIT_WORK`: an idle item that will call `callback`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn new<F: Fn(&WorkRef) + Send + Sync + 'static>(callback: F) -> Result<Work> {
        let callback = Box::new(callback);
        let context = (&raw const *callback).cast::<c_void>();
        let raw = new_item(Callback { function: call_work::<F>, context }, false, Site::caller())?;
        Ok(Work { raw, _callback: callback })
    }

    /// `flush_work`: waits for the last queued instance to finish; `true` if it waited.
    #[track_caller]
    pub fn flush(&self) -> bool {
        let (services, _) = kernel();
        check_killed((services.work_flush())(self.raw, Site::caller())) == 1
    }
}

impl DelayedWork {
    /// `INIT_DELAYED_WORK`: an idle delayed item that will call `callback`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn new<F: Fn(&DelayedWorkRef) + Send + Sync + 'static>(callback: F) -> Result<DelayedWork> {
        let callback = Box::new(callback);
        let context = (&raw const *callback).cast::<c_void>();
        let raw = new_item(Callback { function: call_delayed::<F>, context }, true, Site::caller())?;
        Ok(DelayedWork { raw, _callback: callback })
    }

    /// `flush_delayed_work`: if its delay is still running, queues it now;
    /// then waits for it to finish; `true` if it waited.
    #[track_caller]
    pub fn flush(&self) -> bool {
        let (services, _) = kernel();
        check_killed((services.work_flush())(self.raw, Site::caller())) == 1
    }
}

impl fmt::Debug for Workqueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workqueue").field("raw", &self.raw).field("owned", &self.owned).finish()
    }
}

impl fmt::Debug for WorkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WorkRef").field(&self.0).finish()
    }
}

impl fmt::Debug for DelayedWorkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DelayedWorkRef").field(&self.0).finish()
    }
}
