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

use modhost_abi::services::{KILLED, Site};
use std::{sync::Arc, time::Duration};

use super::{
    flush::{Waited, sleep_until},
    item::{WorkItem, grab_pending, with_pending},
    queue::ItemRef,
    state::Pending,
};
use crate::{
    kernel::KernelInner,
    services::{
        object::{Object, Reclaim},
        sched::might_sleep,
        task::Task,
    },
};

/// `cancel_*` (`disable` false) or `disable_*` (true), synchronous or not:
/// `1` if it was pending, `0` if not, or [`KILLED`].
pub(super) fn cancel(kernel: &Arc<KernelInner>, item: &ItemRef, sync: bool, disable: bool, site: &Site) -> i64 {
    let module = item.owner.upgrade();
    let call = item.inner.call(if disable { "disable" } else { "cancel" }, sync);
    if sync {
        might_sleep(kernel, module.as_deref(), site, &call);
    }
    let was = grab_pending(item, |st| {
        if disable {
            st.disable();
        }
        if sync {
            st.begin_cancel();
        }
    });
    if !sync {
        return i64::from(was);
    }
    let me = Task::current().id();
    let own = item.inner.state.lock().running().is_some_and(|r| r.task == me);
    let waited = if own {
        let text = format!("workqueue: {call} on {} from its own callback; not waiting for it", item.describe_object());
        kernel.warn(module.as_deref(), &site.to_string(), &text);
        Waited::Done
    } else {
        let site = site.to_string();
        sleep_until(&item.inner.state, &kernel.clock, None, &site, |st| !st.is_running(), |st| &mut st.waiters)
    };
    item.inner.state.lock().end_cancel();
    if waited == Waited::Killed { KILLED } else { i64::from(was) }
}

/// `flush_work`/`flush_delayed_work`: an armed item is queued at once,
/// then the instance pending or running is waited for; `1` if it waited,
/// `0` if the item was idle, or [`KILLED`].
pub(super) fn flush(kernel: &Arc<KernelInner>, item: &ItemRef, site: &Site) -> i64 {
    let module = item.owner.upgrade();
    let call = item.inner.call("flush", false);
    might_sleep(kernel, module.as_deref(), site, &call);
    let me = Task::current().id();
    let (target, own, activated) = with_pending(item, |located, st| {
        let mut activated = None;
        if let (Some((wq, pool)), Pending::Armed { key, .. }) = (located, st.pending().clone()) {
            pool.activate(key, st);
            activated = Some(Arc::clone(wq));
        }
        (st.flush_target(), st.running().is_some_and(|r| r.task == me), activated)
    });
    if let Some(wq) = activated {
        let kick = wq.inner.pool.lock().kick(&wq.inner);
        kick.apply(&wq);
    }
    let Some(target) = target else { return 0 };
    let site = site.to_string();
    if own {
        let text = format!("workqueue: {call} on {} from its own callback; not waiting for it", item.describe_object());
        kernel.warn(module.as_deref(), &site, &text);
        return 0;
    }
    match sleep_until(&item.inner.state, &kernel.clock, None, &site, |st| st.finished(target), |st| &mut st.waiters) {
        Waited::Killed => KILLED,
        Waited::Done | Waited::TimedOut => 1,
    }
}

/// `enable_work`: `true` when the disable count reaches zero.
pub(super) fn enable(kernel: &KernelInner, item: &Object<WorkItem>) -> bool {
    let enabled = item.inner.state.lock().enable();
    enabled.unwrap_or_else(|| {
        let text = format!(
            "workqueue: {} on {}, which is not disabled",
            item.inner.call("enable", false),
            item.describe_object()
        );
        kernel.warn(item.owner.upgrade().as_deref(), "", &text);
        true
    })
}

impl Reclaim for Object<WorkItem> {
    fn fires_at(&self, _kernel: &KernelInner) -> Option<Duration> {
        self.inner.state.lock().armed_until()
    }

    fn reclaim(&self, kernel: &KernelInner) -> Option<String> {
        let (pending, running) = {
            let st = self.inner.state.lock();
            (st.is_pending(), st.is_running())
        };
        if !pending && !running {
            return None;
        }
        // Disabled for good: the module is going, nothing may queue it again.
        grab_pending(self, |st| {
            st.disable();
            st.begin_cancel();
        });
        let give_up = kernel.wall.uptime() + kernel.exit_timeout;
        let waited = sleep_until(
            &self.inner.state,
            &kernel.wall,
            Some(give_up),
            "",
            |st| !st.is_running(),
            |st| &mut st.waiters,
        );
        self.inner.state.lock().end_cancel();
        let what = self.describe_object();
        Some(match (waited, pending) {
            (Waited::Done, true) => format!("{what} left queued; cancelled"),
            (Waited::Done, false) => format!("{what} left running; waited for it"),
            (Waited::Killed | Waited::TimedOut, _) => format!("{what} left running and will not finish"),
        })
    }

    fn describe(&self) -> String {
        self.describe_object()
    }

    fn freed(&self) -> bool {
        self.is_freed()
    }

    fn still_running(&self) -> bool {
        self.inner.state.lock().is_running()
    }

    fn release_leaked(self: Arc<Self>) {
        self.release_if_leaked();
    }
}
