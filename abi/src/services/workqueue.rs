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
//! The callback gets a `&WorkRef` (`&DelayedWorkRef`) to its own item, to
//! re-queue it; like a timer's, it is only ever borrowed and cannot be kept.
//!
//! Dropping a `Work`/`DelayedWork` disables it and waits for it
//! (`disable_work_sync`), so its callback never runs after it is gone;
//! dropped from inside its own callback, it is released when the callback
//! returns. Dropping a [`Workqueue`] you allocated is `destroy_workqueue`:
//! it drains the queue; delayed work still armed on it is reported (cancel
//! it first).
//!
//! Items of a `WQ_BH` workqueue (and of `system_bh_wq`) run in softirq
//! context, like timers: they may not sleep, and sleeping there is reported.
//!
//! Kernel counterpart: `include/linux/workqueue.h`, `kernel/workqueue.c`.

use abi_stable::std_types::RStr;
use std::fmt;

use crate::{
    errno::{Errno, Result},
    runtime::{callback, kernel, release_refused, unless_killed},
    table::{Callback, Handle, KernelServicesRef, ModuleHandle, Site, WorkCancel},
};

/// `WQ_BH`: run items in softirq context (they may not sleep).
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

/// The system workqueues: `System::NORMAL` is `system_wq`, ...
pub use crate::table::SystemWq as System;

/// A workqueue: one the module allocated (destroyed when dropped) or a
/// system one (never destroyed).
pub struct Workqueue {
    handle: Handle,
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
        let handle =
            (services.workqueue().alloc_workqueue())(module, RStr::from_str(name), flags, max_active, Site::caller());
        if handle.is_null() { Err(Errno::ENOMEM) } else { Ok(Workqueue { handle, owned: true }) }
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

    /// A system workqueue (`system_wq`, `system_unbound_wq`, ...).
    pub fn system(which: System) -> Workqueue {
        let (services, module) = kernel();
        Workqueue { handle: (services.workqueue().system_workqueue())(module, which), owned: false }
    }

    /// `queue_work`: `true` if queued, `false` if it was already pending (or disabled).
    #[track_caller]
    pub fn queue_work(&self, work: &WorkRef) -> bool {
        let (services, module) = kernel();
        (services.workqueue().queue_work())(module, self.handle, work.handle, Site::caller())
    }

    /// `queue_delayed_work`: queues `dwork` after `delay` jiffies (0: now);
    /// `false` if it was already pending (or disabled).
    #[track_caller]
    pub fn queue_delayed_work(&self, dwork: &DelayedWorkRef, delay: u64) -> bool {
        let (services, module) = kernel();
        (services.workqueue().queue_delayed_work())(module, self.handle, dwork.handle, delay, Site::caller())
    }

    /// `mod_delayed_work`: queues `dwork` after `delay`, re-arming it if
    /// pending; `true` if it was pending (inverted from `queue_*`).
    #[track_caller]
    pub fn mod_delayed_work(&self, dwork: &DelayedWorkRef, delay: u64) -> bool {
        let (services, module) = kernel();
        (services.workqueue().mod_delayed_work())(module, self.handle, dwork.handle, delay, Site::caller())
    }

    /// `flush_workqueue`: waits for every item queued before the call.
    #[track_caller]
    pub fn flush(&self) {
        let (services, module) = kernel();
        let ret = (services.workqueue().flush_workqueue())(module, self.handle, Site::caller());
        unless_killed((), ret < 0);
    }

    /// `drain_workqueue`: flushes until empty; meanwhile only the queue's own
    /// items may queue more on it.
    #[track_caller]
    pub fn drain(&self) {
        let (services, module) = kernel();
        let ret = (services.workqueue().drain_workqueue())(module, self.handle, Site::caller());
        unless_killed((), ret < 0);
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        if self.owned {
            let (services, module) = kernel();
            // Never unwind from a destructor: a killed task is already
            // unwinding, and the host reclaims what is left.
            let _ = (services.workqueue().destroy_workqueue())(module, self.handle, Site::NONE);
        }
    }
}

/// `schedule_work`: queues `work` on `system_wq`.
#[track_caller]
pub fn schedule_work(work: &WorkRef) -> bool {
    Workqueue::system(System::NORMAL).queue_work(work)
}

/// `schedule_delayed_work`: queues `dwork` on `system_wq` after `delay`.
#[track_caller]
pub fn schedule_delayed_work(dwork: &DelayedWorkRef, delay: u64) -> bool {
    Workqueue::system(System::NORMAL).queue_delayed_work(dwork, delay)
}

/// A work item, as its own callback sees it or as a [`Work`] lends it.
///
/// Neither `Copy` nor `Clone`: it exists only behind a borrow.
pub struct WorkRef {
    handle: Handle,
}

/// A delayed work item, as its own callback sees it or as a
/// [`DelayedWork`] lends it.
pub struct DelayedWorkRef {
    handle: Handle,
}

/// A work item and its callback (`struct work_struct` after `INIT_WORK`).
pub struct Work {
    item: WorkRef,
}

/// A delayed work item and its callback (`struct delayed_work`).
pub struct DelayedWork {
    item: DelayedWorkRef,
}

impl WorkRef {
    /// Queues the running item again, now, on the workqueue it runs on.
    #[track_caller]
    pub fn requeue(&self) -> bool {
        requeue(self.handle, 0, Site::caller())
    }
}

impl DelayedWorkRef {
    /// Queues the running item again after `delay` jiffies on the workqueue
    /// it runs on.
    #[track_caller]
    pub fn requeue(&self, delay: u64) -> bool {
        requeue(self.handle, delay, Site::caller())
    }
}

fn requeue(handle: Handle, delay: u64, site: Site) -> bool {
    let (services, module) = kernel();
    (services.workqueue().work_requeue())(module, handle, delay, site)
}

/// Makes a work item with `init` (`INIT_WORK` or `INIT_DELAYED_WORK`).
fn init_item(
    init: fn(&KernelServicesRef) -> extern "C" fn(ModuleHandle, Callback, Site) -> Handle,
    callback: Callback,
    site: Site,
) -> Result<Handle> {
    let (services, module) = kernel();
    let handle = (init(&services))(module, callback, site);
    if handle.is_null() {
        release_refused(callback);
        return Err(Errno::ENOMEM);
    }
    Ok(handle)
}

/// What the two kinds of work item share, on their `Ref`s.
macro_rules! work_item_common {
    ($type:ident, $borrowed:ident) => {
        impl $borrowed {
            /// `cancel_*`: takes the item off its queue without waiting for a
            /// running instance; `true` if it was pending.
            #[track_caller]
            pub fn cancel(&self) -> bool {
                self.cancel_as(WorkCancel::CANCEL, Site::caller())
            }

            /// `cancel_*_sync`: cancels the item and waits for a running
            /// instance; it is neither pending nor running on return, even
            /// if it re-queues itself; `true` if it was pending.
            #[track_caller]
            pub fn cancel_sync(&self) -> bool {
                self.cancel_as(WorkCancel::CANCEL_SYNC, Site::caller())
            }

            /// `disable_*`: as [`Self::cancel`], and queueing fails until [`Self::enable`].
            #[track_caller]
            pub fn disable(&self) -> bool {
                self.cancel_as(WorkCancel::DISABLE, Site::caller())
            }

            /// `disable_*_sync`: as [`Self::cancel_sync`], and queueing fails
            /// until [`Self::enable`].
            #[track_caller]
            pub fn disable_sync(&self) -> bool {
                self.cancel_as(WorkCancel::DISABLE_SYNC, Site::caller())
            }

            pub(crate) fn cancel_as(&self, how: WorkCancel, site: Site) -> bool {
                let (services, module) = kernel();
                let ret = (services.workqueue().work_cancel())(module, self.handle, how, site);
                unless_killed(ret, ret < 0) == 1
            }

            /// `enable_*`: undoes one `disable`; `true` when queueing works again.
            #[track_caller]
            pub fn enable(&self) -> bool {
                let (services, module) = kernel();
                (services.workqueue().enable_work())(module, self.handle, Site::caller())
            }

            /// `work_pending`.
            #[track_caller]
            pub fn pending(&self) -> bool {
                let (services, module) = kernel();
                (services.workqueue().work_pending())(module, self.handle, Site::caller())
            }

            /// `flush_*`: a delayed item whose delay is still running is
            /// queued now; then waits for the last queued instance to
            /// finish; `true` if it waited.
            #[track_caller]
            pub fn flush(&self) -> bool {
                let (services, module) = kernel();
                let ret = (services.workqueue().flush_work())(module, self.handle, Site::caller());
                unless_killed(ret, ret < 0) == 1
            }
        }

        impl core::ops::Deref for $type {
            type Target = $borrowed;

            fn deref(&self) -> &$borrowed {
                &self.item
            }
        }

        impl Drop for $type {
            fn drop(&mut self) {
                let (services, module) = kernel();
                (services.workqueue().work_free())(module, self.item.handle, Site::NONE);
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($type)).field(&self.item.handle).finish()
            }
        }

        impl fmt::Debug for $borrowed {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($borrowed)).field(&self.handle).finish()
            }
        }
    };
}

work_item_common!(Work, WorkRef);
work_item_common!(DelayedWork, DelayedWorkRef);

impl Work {
    /// `INIT_WORK`: an idle item that will call `f`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn new(f: impl Fn(&WorkRef) + Send + Sync + 'static) -> Result<Work> {
        let callback = callback(move |handle| {
            f(&WorkRef { handle });
            0
        });
        let handle = init_item(|s| s.workqueue().init_work(), callback, Site::caller())?;
        Ok(Work { item: WorkRef { handle } })
    }

    pub(crate) fn handle(&self) -> Handle {
        self.item.handle
    }
}

impl DelayedWork {
    /// `INIT_DELAYED_WORK`: an idle delayed item that will call `f`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the host refused.
    #[track_caller]
    pub fn new(f: impl Fn(&DelayedWorkRef) + Send + Sync + 'static) -> Result<DelayedWork> {
        let callback = callback(move |handle| {
            f(&DelayedWorkRef { handle });
            0
        });
        let handle = init_item(|s| s.workqueue().init_delayed_work(), callback, Site::caller())?;
        Ok(DelayedWork { item: DelayedWorkRef { handle } })
    }

    pub(crate) fn handle(&self) -> Handle {
        self.item.handle
    }
}

impl fmt::Debug for Workqueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workqueue").field("handle", &self.handle).field("owned", &self.owned).finish()
    }
}
