//! Waiting on workqueues: flush, drain, destroy, and the sleep they share.
//!
//! - `flush_workqueue` waits until every item queued before the call has
//!   finished: each queueing takes the next flush sequence number, so it
//!   waits until no number below its mark is in flight. Armed delayed items
//!   are not queued yet and are not waited for.
//! - `drain_workqueue` waits until nothing is in flight at all; meanwhile
//!   only the queue's own items (running on its workers) may queue on it;
//!   anyone else is refused, with a WARN the first time (`WARN_ONCE`).
//! - `destroy_workqueue` drains, then cancels whatever delayed work is still
//!   armed on it (the module's bug: in the kernel it would fire later into
//!   a freed queue) with a WARN naming each item, stops its workers and
//!   joins them. A workqueue flushed or destroyed from one of its own items
//!   would deadlock in the kernel; here that item is warned about and not
//!   waited for.
//!
//! Every wait follows the task pattern (`prepare_to_wait`, register under
//! the lock, drop it, `schedule`, re-check) in an uninterruptible sleep
//! that only a forced unload's kill ends.
//!
//! Kernel counterpart: `__flush_workqueue`, `drain_workqueue`,
//! `destroy_workqueue` in `kernel/workqueue.c`.

use parking_lot::{Mutex, MutexGuard};
use std::{sync::Arc, time::Duration};

use super::queue::{ItemRef, Life, Pool, Workqueue};
use crate::services::{
    Services,
    clock::Clock,
    object::Object,
    record::ModuleRecord,
    task::{Task, WaitMode},
    wait::{Sleep, WaitError, enlist, wait_until},
};

/// Sleeps the calling task uninterruptibly until `ready` holds under
/// `lock`, registered in `waiters`; gives up at `give_up` (uptime on
/// `clock`) if given.
pub(super) fn sleep_until<S>(
    lock: &Mutex<S>,
    clock: &Clock,
    give_up: Option<Duration>,
    site: &str,
    mut ready: impl FnMut(&mut S) -> bool,
    waiters: fn(&mut S) -> &mut Vec<Arc<Task>>,
) -> Result<(), WaitError> {
    let me = Task::current();
    let sleep = Sleep { clock, mode: WaitMode::Uninterruptible, deadline: give_up, site: &site };
    let waited = wait_until(&me, &sleep, || {
        let mut state = lock.lock();
        let done = ready(&mut state);
        if !done {
            enlist(waiters(&mut state), &me);
        }
        done
    });
    let mut state = lock.lock();
    waiters(&mut state).retain(|t| !Arc::ptr_eq(t, &me));
    // Ready at the last look counts, however the wait ended.
    if waited.is_err() && ready(&mut state) { Ok(()) } else { waited }
}

/// Whether nothing below `mark` (everything, if `None`) is in flight but
/// `own`, the caller's own item.
fn quiet(pool: &Pool, own: Option<u64>, mark: Option<u64>) -> bool {
    !pool.inflight.range(..mark.unwrap_or(u64::MAX)).any(|seq| Some(*seq) != own)
}

/// The flush sequence number of the item the calling task runs on `wq`,
/// warning that waiting for it would deadlock.
fn own_item(
    wq: &Object<Workqueue>,
    services: &Services,
    module: Option<&ModuleRecord>,
    site: &str,
    call: &str,
) -> Option<u64> {
    let me = Task::current().id();
    let own = wq.inner.pool.lock().busy.iter().find(|b| b.task == me).map(|b| b.seq);
    if own.is_some() {
        let text =
            format!("workqueue: {call} on {} from one of its own items; not waiting for that item", wq.inner.name);
        services.warn(module, site, &text);
    }
    own
}

/// `flush_workqueue` (`drain` false) or `drain_workqueue` (`drain` true),
/// for a task of `module`.
pub(crate) fn flush_workqueue(
    wq: &Object<Workqueue>,
    services: &Services,
    module: Option<&ModuleRecord>,
    site: &str,
    drain: bool,
) -> Result<(), WaitError> {
    let this = &wq.inner;
    let call = if drain { "drain_workqueue" } else { "flush_workqueue" };
    let own = own_item(wq, services, module, site, call);
    let mark = {
        let mut pool = this.pool.lock();
        if drain {
            pool.draining += 1;
        }
        (!drain).then(|| pool.flush_mark())
    };
    let waited = sleep_until(&this.pool, &this.clock, None, site, |pool| quiet(pool, own, mark), |p| &mut p.flushers);
    if drain {
        let mut pool = this.pool.lock();
        pool.draining = pool.draining.saturating_sub(1);
    }
    waited
}

/// `destroy_workqueue`, for a task of `module`; see the module docs.
/// `bound` limits the drain in real time (for the unload's reclaim).
pub(crate) fn destroy(
    wq: &Object<Workqueue>,
    services: &Services,
    module: Option<&ModuleRecord>,
    site: &str,
    bound: Option<Duration>,
) -> Result<(), WaitError> {
    let this = &wq.inner;
    {
        let mut pool = this.pool.lock();
        if pool.life == Life::Dead {
            return Ok(());
        }
        pool.life = Life::Dying;
    }
    let own = own_item(wq, services, module, site, "destroy_workqueue");
    let (clock, give_up) = match bound {
        Some(bound) => (&services.wall, Some(services.wall.uptime() + bound)),
        None => (&this.clock, None),
    };
    let armed = loop {
        sleep_until(&this.pool, clock, give_up, site, |pool| quiet(pool, own, None), |p| &mut p.flushers)?;
        let pool = this.pool.lock();
        if pool.life == Life::Dead {
            return Ok(());
        }
        // A deadline may have passed since the drain: drain again.
        if quiet(&pool, own, None) {
            break stop(pool);
        }
    };
    if !armed.is_empty() {
        let items: Vec<String> = armed.iter().map(|item| item.describe_object()).collect();
        let text = format!("destroy_workqueue: {} has delayed work armed: {}", this.name, items.join(", "));
        services.warn(module, site, &text);
    }
    Ok(())
}

/// Marks the workqueue dead, cancels what is still armed or queued on it,
/// and stops its workers, joining all but the busy ones. Returns the items
/// it cancelled that were armed.
pub(super) fn stop(mut pool: MutexGuard<'_, Pool>) -> Vec<ItemRef> {
    pool.life = Life::Dead;
    let mut wake: Vec<Arc<Task>> = pool.idle.iter().map(|i| Arc::clone(&i.task)).collect();
    wake.append(&mut pool.flushers);
    let armed: Vec<ItemRef> = std::mem::take(&mut pool.delayed).into_values().collect();
    let queued: Vec<ItemRef> = std::mem::take(&mut pool.worklist).into();
    for item in armed.iter().chain(&queued) {
        let mut st = item.inner.state.lock();
        st.grab();
        wake.append(&mut st.take_waiters());
    }
    let Pool { inflight, busy, .. } = &mut *pool;
    inflight.retain(|seq| busy.iter().any(|b| b.seq == *seq));
    let busy: Vec<u64> = pool.busy.iter().map(|b| b.task).collect();
    let threads = std::mem::take(&mut pool.threads);
    drop(pool);
    wake.iter().for_each(|t| t.wake_up());
    for (task, thread) in threads {
        // A busy worker (at shutdown, or the caller destroying the queue
        // from its own item) leaves once its item returns; not waited for.
        if !busy.contains(&task) {
            let _ = thread.join();
        }
    }
    armed
}

/// What a workqueue its module left allocated needs at unload: destroyed,
/// the drain bounded by the exit timeout.
pub(super) fn reclaim(wq: &Object<Workqueue>) -> Option<String> {
    if wq.inner.system || wq.inner.pool.lock().life == Life::Dead {
        return None;
    }
    let services = wq.services()?;
    Some(match destroy(wq, services, wq.owner.as_deref(), "", Some(services.exit_timeout)) {
        Ok(()) => "left allocated; destroyed".to_string(),
        Err(_) => "left allocated; its items did not finish, so it was not destroyed".to_string(),
    })
}
