//! The table's `workqueue` group.
//!
//! Kernel counterpart: `include/linux/workqueue.h`, `kernel/workqueue.c`.

use abi_stable::std_types::RStr;
use modhost_abi::{
    errno::Errno,
    services::workqueue::{WQ_MAX_ACTIVE, WQ_MEM_RECLAIM},
    table::{Callback, Handle, Site, SystemWq, WorkCancel},
};

use super::{entries, site_text};
use crate::services::{
    printk::Level,
    workqueue::{self, WorkItem, Workqueue},
};

entries! {
    WorkqueueOps {
        /// `alloc_workqueue`: `max_active` out of range is clamped, as the
        /// kernel does, with its warning.
        fn alloc_workqueue(c, name: RStr<'_>, flags: u32, max_active: i32, site: Site) -> Handle {
            let services = c.services();
            if !(0..=WQ_MAX_ACTIVE).contains(&max_active) {
                let text = format!(
                    "workqueue: max_active {max_active} requested for {name} is out of range, clamping between 1 and {WQ_MAX_ACTIVE}"
                );
                services.log(Level::Warning, &text);
            }
            let owner = Some(std::sync::Arc::clone(&c.module().name));
            let wq = Workqueue::new(services, name.as_str(), flags, max_active, owner);
            let (object, handle) = c.register(wq, &site)?;
            // The rescuer's promise: a worker that exists before memory is short.
            if flags & WQ_MEM_RECLAIM != 0 {
                let kick = object.inner.pool.lock().ensure_worker();
                kick.apply(&object);
            }
            Ok(handle)
        }

        /// A system workqueue, made on first use; owned by the kernel.
        fn system_workqueue(c, which: SystemWq) -> Handle {
            let site = modhost_abi::table::Site::NONE;
            let Some(wq) = c.services().workqueues.system(c.services(), which) else {
                return Err(c.reject_value(&site, &format!("system workqueue {which:?}")));
            };
            Ok(wq.handle())
        }

        /// `flush_workqueue`.
        fn flush_workqueue(c, wq: Handle, site: Site) -> i32 {
            flush(c, wq, site, false)
        }

        /// `drain_workqueue`.
        fn drain_workqueue(c, wq: Handle, site: Site) -> i32 {
            flush(c, wq, site, true)
        }

        /// `destroy_workqueue`: a system workqueue is refused, with a WARN.
        fn destroy_workqueue(c, handle: Handle, site: Site) -> i32 {
            let object = c.object_arc::<Workqueue>(handle, &site)?;
            if object.inner.system {
                let text = format!("destroy_workqueue: {} is a system workqueue; not destroyed", object.inner.name);
                c.warn(&site, &text);
                return Ok(0);
            }
            c.might_sleep(&site);
            let c = c.unpin();
            let _explained = c.services().explain_exit_wait(c.module(), || format!("destroy_workqueue({})", object.inner.name), &object.inner.running());
            workqueue::destroy(&object, c.services(), Some(c.module()), &site_text(&site), None)
                .map_err(|_| Errno::EINTR)?;
            c.repin().free::<Workqueue>(handle, &site)?;
            Ok(0)
        }

        /// `INIT_WORK`.
        fn init_work(c, callback: Callback, site: Site) -> Handle {
            Ok(c.register(WorkItem::new(callback, false), &site)?.1)
        }

        /// `INIT_DELAYED_WORK`.
        fn init_delayed_work(c, callback: Callback, site: Site) -> Handle {
            Ok(c.register(WorkItem::new(callback, true), &site)?.1)
        }

        /// `queue_work`.
        fn queue_work(c, wq: Handle, work: Handle, site: Site) -> bool {
            let (wq, work) = (c.object_arc::<Workqueue>(wq, &site)?, c.object_arc::<WorkItem>(work, &site)?);
            note_rearm(&c, &work, &site);
            Ok(workqueue::queue(&wq, &work, None))
        }

        /// `queue_delayed_work`.
        fn queue_delayed_work(c, wq: Handle, work: Handle, delay: u64, site: Site) -> bool {
            let (wq, work) = (c.object_arc::<Workqueue>(wq, &site)?, c.object_arc::<WorkItem>(work, &site)?);
            report_busy_loop(&c, &work, delay, &site);
            note_rearm(&c, &work, &site);
            Ok(workqueue::queue(&wq, &work, Some(delay)))
        }

        /// `mod_delayed_work`.
        fn mod_delayed_work(c, wq: Handle, work: Handle, delay: u64, site: Site) -> bool {
            let (wq, work) = (c.object_arc::<Workqueue>(wq, &site)?, c.object_arc::<WorkItem>(work, &site)?);
            report_busy_loop(&c, &work, delay, &site);
            note_rearm(&c, &work, &site);
            Ok(workqueue::mod_delayed(&wq, &work, delay))
        }

        /// `cancel_work*`, `disable_work*`.
        fn work_cancel(c, handle: Handle, how: WorkCancel, site: Site) -> i32 {
            let (sync, disable) = match how {
                WorkCancel::CANCEL => (false, false),
                WorkCancel::CANCEL_SYNC | WorkCancel::KILL_TASKLET => (true, false),
                WorkCancel::DISABLE => (false, true),
                WorkCancel::DISABLE_SYNC => (true, true),
                other => return Err(c.reject_value(&site, &format!("{other:?}"))),
            };
            let item = c.object_arc::<WorkItem>(handle, &site)?;
            let task = c.task();
            if !sync && !workqueue::rearms_itself(&item) {
                let verb = if disable { "disable" } else { "cancel" };
                let (call, sync_call) = (item.inner.call(verb, false), item.inner.call(verb, true));
                item.inner.meter.cancelled(|| {
                    format!("{call}() at {} returned while it ran; {sync_call}() waits for the run in progress", site_text(&site))
                });
            }
            // Kept until the wait ends: a task asleep later is explained then.
            let _explained = sync.then(|| {
                c.might_sleep(&site);
                let running: Vec<_> = item.inner.running_task().map(|t| (t, item.name())).into_iter().collect();
                let call = || match how {
                    WorkCancel::KILL_TASKLET => "tasklet_kill".to_string(),
                    _ => item.inner.call(if disable { "disable" } else { "cancel" }, true),
                };
                c.services().explain_exit_wait(c.module(), call, &running)
            });
            let c = c.unpin_on(&item);
            let was = workqueue::cancel(c.services(), &item, sync, disable, &task, &site_text(&site))
                .map_err(|_| Errno::EINTR)?;
            Ok(i32::from(was))
        }

        /// `flush_work`.
        fn flush_work(c, handle: Handle, site: Site) -> i32 {
            let item = c.object_arc::<WorkItem>(handle, &site)?;
            let task = c.task();
            c.might_sleep(&site);
            let running: Vec<_> = item.inner.running_task().map(|t| (t, item.name())).into_iter().collect();
            let _explained = c.services().explain_exit_wait(c.module(), || "flush_work".to_string(), &running);
            let c = c.unpin_on(&item);
            let waited = workqueue::flush_work(c.services(), &item, &task, &site_text(&site))
                .map_err(|_| Errno::EINTR)?;
            Ok(i32::from(waited))
        }

        /// `enable_work`.
        fn enable_work(c, handle: Handle, site: Site) -> bool {
            let item = c.object::<WorkItem>(handle, &site)?;
            Ok(workqueue::enable(c.services(), item, &site_text(&site)))
        }

        /// `work_pending`.
        fn work_pending(c, handle: Handle, site: Site) -> bool {
            Ok(c.object::<WorkItem>(handle, &site)?.inner.pending())
        }

        /// Queues the running item again on its own workqueue.
        fn work_requeue(c, handle: Handle, delay: u64, site: Site) -> bool {
            let item = c.object_arc::<WorkItem>(handle, &site)?;
            note_rearm(&c, &item, &site);
            Ok(workqueue::requeue(&item, delay))
        }

        /// Frees a work item: disabled and waited for (unless this is its
        /// own callback), released once its callback has returned.
        fn work_free(c, handle: Handle, site: Site) -> () {
            let item = c.object_arc::<WorkItem>(handle, &site)?;
            let task = c.task();
            let c = c.unpin_on(&item);
            if item.inner.runs_on(task.id()) {
                // Its own callback: nothing may queue it again; not waited for.
                let _ = workqueue::cancel(c.services(), &item, false, true, &task, "");
            } else {
                // A kill ends the wait: the unload reclaims what is left.
                let _ = workqueue::cancel(c.services(), &item, true, true, &task, &site_text(&site));
            }
            c.repin().free::<WorkItem>(handle, &site).map(drop)
        }
    }
}

/// `flush_workqueue` or `drain_workqueue`.
fn flush(c: super::Caller, handle: Handle, site: Site, drain: bool) -> Result<i32, Errno> {
    let object = c.object_arc::<Workqueue>(handle, &site)?;
    c.might_sleep(&site);
    let call = if drain { "drain_workqueue" } else { "flush_workqueue" };
    let _explained = c.services().explain_exit_wait(
        c.module(),
        || format!("{call}({})", object.inner.name),
        &object.inner.running(),
    );
    let c = c.unpin_on(&object);
    workqueue::flush_workqueue(&object, c.services(), Some(c.module()), &site_text(&site), drain)
        .map_err(|_| Errno::EINTR)?;
    Ok(0)
}

/// A work item queued from its own callback re-arms itself: its meter
/// learns where, and from then on its rate is shown
/// (`/sys/kernel/debug/modhost/rates`). If a plain cancel returned while
/// this run was in progress, the re-arming is the lab's bug: reported.
fn note_rearm(c: &super::Caller, work: &std::sync::Arc<super::super::object::Object<WorkItem>>, site: &Site) {
    if !workqueue::rearms_itself(work) {
        work.inner.meter.armed_by_another();
    } else if let Some(why) = work.inner.meter.rearmed(site) {
        c.services().report_rearm_after_cancel(c.module(), &work.name(), &site_text(site), &why);
    }
}

/// The lab's `rate > HZ`: a work item re-arming itself with no delay is a
/// busy loop, said once per item with the module and the call's site.
fn report_busy_loop(
    c: &super::Caller,
    work: &std::sync::Arc<super::super::object::Object<WorkItem>>,
    delay: u64,
    site: &Site,
) {
    if workqueue::first_busy_loop(work, delay) {
        let hz = c.services().clock.hz();
        let text = format!(
            "{}: a work item re-arms itself with a delay of 0 jiffies at {}: it runs again at once, a busy loop \
             (at HZ={hz} a delay under {} ms rounds to 0, as HZ / rate does for a rate above {hz})",
            c.module().name,
            site_text(site),
            1000 / hz.max(1)
        );
        c.services().log(Level::Warning, &text);
    }
}
