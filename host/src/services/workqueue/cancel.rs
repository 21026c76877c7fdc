//! Cancelling, disabling and flushing a work item; reclaiming a leftover.
//!
//! A cancel takes PENDING wherever the item is (unlinking it from its
//! workqueue's lists). A synchronous one (and `disable_*_sync`) then keeps
//! a cancel count on the item while it waits for the running instance:
//! every queueing fails meanwhile, the callback's own re-arming included,
//! so on return the item is neither pending nor running. A plain cancel
//! does not wait, and a callback running meanwhile may re-arm its item.
//!
//! `flush_*` first queues an armed item at once, then waits until the
//! instance pending or running when it was called has finished (or was
//! cancelled). Waiting for the item from its own callback would deadlock
//! in the kernel; here it is warned about and not waited for.
//!
//! At unload, an item the module left pending or running is disabled for
//! good and cancelled synchronously, the wait bounded by the exit timeout.
//!
//! Kernel counterpart: `__cancel_work`, `__cancel_work_sync`,
//! `__flush_work`, `flush_delayed_work`, `enable_work` in
//! `kernel/workqueue.c`.

use std::sync::Arc;

use super::{
    flush::sleep_until,
    item::{WorkItem, grab_pending, with_pending},
    queue::ItemRef,
    state::Pending,
};
use crate::services::{Services, object::Object, task::Task, wait::WaitError};

/// `cancel_*` (`disable` false) or `disable_*` (true), synchronous or not,
/// for the task `me`: whether it was pending, or `Err` if `me` was killed
/// while it waited.
pub(crate) fn cancel(
    services: &Services,
    item: &ItemRef,
    sync: bool,
    disable: bool,
    me: &Arc<Task>,
    site: &str,
) -> Result<bool, WaitError> {
    let call = item.inner.call(if disable { "disable" } else { "cancel" }, sync);
    let was = grab_pending(item, |st| {
        if disable {
            st.disable();
        }
        if sync {
            st.begin_cancel();
        }
    });
    if !sync {
        return Ok(was);
    }
    let waited = if item.inner.runs_on(me.id()) {
        let text = format!("workqueue: {call} on {} from its own callback; not waiting for it", item.describe_object());
        services.warn(item.owner.as_deref(), site, &text);
        Ok(())
    } else {
        sleep_until(&item.inner.state, &services.clock, None, site, |st| !st.is_running(), |st| &mut st.waiters)
    };
    item.inner.state.lock().end_cancel();
    waited.map(|()| was)
}

/// `flush_work`/`flush_delayed_work` for the task `me`: an armed item is
/// queued at once, then the instance pending or running is waited for;
/// whether it waited, or `Err` if `me` was killed.
pub(crate) fn flush_work(services: &Services, item: &ItemRef, me: &Arc<Task>, site: &str) -> Result<bool, WaitError> {
    let call = item.inner.call("flush", false);
    let (target, own, activated) = with_pending(item, |located, st| {
        let mut activated = None;
        if let (Some((wq, pool)), Pending::Armed { key, .. }) = (located, st.pending().clone()) {
            pool.activate(key, st);
            activated = Some(Arc::clone(wq));
        }
        (st.flush_target(), st.running().is_some_and(|r| r.task == me.id()), activated)
    });
    if let Some(wq) = activated {
        let kick = wq.inner.pool.lock().kick(&wq.inner);
        kick.apply(&wq);
    }
    let Some(target) = target else { return Ok(false) };
    if own {
        let text = format!("workqueue: {call} on {} from its own callback; not waiting for it", item.describe_object());
        services.warn(item.owner.as_deref(), site, &text);
        return Ok(false);
    }
    sleep_until(&item.inner.state, &services.clock, None, site, |st| st.finished(target), |st| &mut st.waiters)?;
    Ok(true)
}

/// `enable_work`: `true` when the disable count reaches zero.
pub(crate) fn enable(services: &Services, item: &Object<WorkItem>, site: &str) -> bool {
    let enabled = item.inner.state.lock().enable();
    enabled.unwrap_or_else(|| {
        let text = format!(
            "workqueue: {} on {}, which is not disabled",
            item.inner.call("enable", false),
            item.describe_object()
        );
        services.warn(item.owner.as_deref(), site, &text);
        true
    })
}

/// What an item its module left pending or running needs at unload:
/// disabled for good and cancelled synchronously, the wait bounded.
pub(super) fn reclaim(item: &Object<WorkItem>) -> Option<String> {
    let services = item.services()?;
    let (pending, running) = {
        let st = item.inner.state.lock();
        (st.is_pending(), st.is_running())
    };
    if !pending && !running {
        return None;
    }
    // Disabled for good: the module is going, nothing may queue it again.
    grab_pending(item, |st| {
        st.disable();
        st.begin_cancel();
    });
    let give_up = services.wall.uptime() + services.exit_timeout;
    let waited =
        sleep_until(&item.inner.state, &services.wall, Some(give_up), "", |st| !st.is_running(), |st| &mut st.waiters);
    item.inner.state.lock().end_cancel();
    Some(match (waited, pending) {
        (Ok(()), true) => "left queued; cancelled".to_string(),
        (Ok(()), false) => "left running; waited for it".to_string(),
        (Err(_), _) => "left running and will not finish".to_string(),
    })
}
