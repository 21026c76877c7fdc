//! Workers: the threads that run a workqueue's items.
//!
//! Each round of a worker's loop, under the pool's lock:
//!
//! 1. done with the last item: account for it, collect who waited for it;
//! 2. move the delayed items whose deadline has passed to the worklist;
//! 3. take the next item that may start; else go idle, or exit.
//!
//! Then, with the lock dropped, it wakes and starts the workers the pool
//! needs, and runs the item in its owner's module context, or sleeps.
//!
//! Idle workers sleep in [`WaitMode::Idle`] on the kernel clock, so an idle
//! host costs nothing and a manual clock drives them. The watcher sleeps
//! until the earliest deadline, the others until their idle timeout, after
//! which they exit; the watcher never times out, so a workqueue keeps one
//! worker waiting for its next item or deadline as long as it lives. A
//! worker going idle takes the watch over when there is no watcher or the
//! watcher sleeps past the earliest deadline (typically: the item this
//! worker just ran re-armed itself), so an item that re-arms itself costs
//! one wake-up per period, not two.
//!
//! Between two items the worker forgets any signal a callback got (a
//! module going away signals the tasks running its code).
//!
//! Kernel counterpart: `worker_thread`, `process_one_work`,
//! `idle_worker_timeout` in `kernel/workqueue.c`.

use modhost_abi::services::workqueue::WQ_BH;
use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use super::{
    dispatch::{Idle, Kick},
    queue::{ItemRef, Life, Pool, Workqueue, WqRef},
};
use crate::services::{
    object::Object,
    printk::Level,
    task::{Task, TaskKind, WaitMode, softirq_enter, softirq_exit},
};

/// How long a worker other than the watcher stays idle before it exits
/// (the kernel's `IDLE_WORKER_TIMEOUT` is 300 s; threads here are cheaper
/// to make than to keep).
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts worker number `number` of `wq` (already counted in by the pool).
pub(super) fn spawn(wq: &WqRef, number: u32) {
    let this = &wq.inner;
    let theirs = Arc::clone(wq);
    let spawned = Task::spawn(this.kernel_id, TaskKind::Worker, this.worker_name(number), move |task| {
        task.set_owner(theirs.inner.owner.clone());
        let (wq, me) = (Arc::downgrade(&theirs), task.id());
        task.on_death(Some(Box::new(move || died(&wq, me))));
        let idle_since = theirs.inner.clock.uptime();
        Worker { wq: theirs, task, idle_since }.run();
    });
    match spawned {
        Ok((task, join)) => {
            let mut pool = this.pool.lock();
            if pool.life == Life::Dead {
                // Destroyed while it started: it leaves at once.
                drop(pool);
                let _ = join.join();
            } else if !task.is_dead() {
                // A worker that died already (its death hook counted it out
                // under this lock, after it was marked dead) is never joined.
                pool.threads.retain(|(_, thread)| !thread.is_finished());
                pool.threads.push((task.id(), join));
            }
        }
        Err(e) => {
            {
                let mut pool = this.pool.lock();
                pool.nr_workers = pool.nr_workers.saturating_sub(1);
                pool.nr_waking = pool.nr_waking.saturating_sub(1);
            }
            if let Some(services) = this.services.upgrade() {
                services.log(Level::Err, &format!("workqueue {}: cannot start a worker: {e}", this.name));
            }
        }
    }
}

/// Counts worker `me` out of its pool.
fn count_out(pool: &mut Pool, me: u64) {
    pool.nr_workers = pool.nr_workers.saturating_sub(1);
    if pool.watcher == Some(me) {
        pool.watcher = None;
    }
    // A worker leaving by itself is not joined: its handle is dropped.
    pool.threads.retain(|(id, _)| *id != me);
}

/// Worker `me` died of an Oops in an item: it is counted out, and the
/// pool starts another for the items behind. The item's run is over, as
/// it can never return: who flushes or cancels it goes on (the kernel's
/// waiters would wait for good), and the item may be queued again.
fn died(wq: &Weak<Object<Workqueue>>, me: u64) {
    let Some(wq) = wq.upgrade() else { return };
    let mut wake = Vec::new();
    let kick = {
        let mut pool = wq.inner.pool.lock();
        let item = pool.busy.iter().find(|b| b.task == me).map(|b| b.item.clone());
        if let Some(item) = item {
            item.inner.callback.abandon();
            item.inner.meter.finished(wq.inner.clock.uptime());
            let _ = pool.finish(&wq, &item, me, &mut wake);
        }
        count_out(&mut pool, me);
        pool.kick(&wq.inner)
    };
    wake.iter().for_each(|t| t.wake_up());
    kick.apply(&wq);
}

/// One worker thread.
struct Worker {
    wq: WqRef,
    task: Arc<Task>,
    /// When it last finished an item (its idle timeout counts from there).
    idle_since: Duration,
}

/// How a worker comes to look at its pool.
enum Arrival {
    /// Just started: it was counted as on its way.
    Started,
    /// Back from a sleep: on its way if it was taken from the idle list.
    Woke,
    /// Done with this item.
    Ran(ItemRef),
}

/// What a worker does next.
enum Next {
    Run(ItemRef),
    Sleep(Option<Duration>),
    Exit,
}

impl Worker {
    fn run(mut self) {
        let mut arrival = Arrival::Started;
        loop {
            let (next, kick, wake, elsewhere) = self.step(arrival);
            wake.iter().for_each(|t| t.wake_up());
            kick.apply(&self.wq);
            // The item it ran was queued on another workqueue meanwhile.
            if let Some(other) = elsewhere {
                let kick = other.inner.pool.lock().kick(&other.inner);
                kick.apply(&other);
            }
            arrival = match next {
                Next::Run(item) => {
                    self.call(&item);
                    Arrival::Ran(item)
                }
                Next::Sleep(until) => {
                    self.task.schedule(&self.wq.inner.clock, WaitMode::Idle, until, &"");
                    Arrival::Woke
                }
                Next::Exit => return,
            };
        }
    }

    /// One round under the pool's lock; see the module docs.
    fn step(&mut self, arrival: Arrival) -> (Next, Kick, Vec<Arc<Task>>, Option<WqRef>) {
        let this = &self.wq.inner;
        let me = self.task.id();
        let mut pool = this.pool.lock();
        let mut wake = Vec::new();
        let mut elsewhere = None;
        match arrival {
            Arrival::Started => pool.nr_waking = pool.nr_waking.saturating_sub(1),
            Arrival::Woke => match pool.idle.iter().position(|i| i.id == me) {
                Some(at) => drop(pool.idle.remove(at)),
                None => pool.nr_waking = pool.nr_waking.saturating_sub(1),
            },
            Arrival::Ran(item) => {
                elsewhere = pool.finish(&self.wq, &item, me, &mut wake);
                self.idle_since = this.clock.uptime();
            }
        }
        let now = this.clock.uptime();
        let next = if pool.life == Life::Dead {
            self.leave(&mut pool)
        } else {
            pool.promote_due(now);
            match pool.take(this, me) {
                Some(item) => Next::Run(item),
                None => self.rest(&mut pool, now),
            }
        };
        let kick = pool.kick(this);
        (next, kick, wake, elsewhere)
    }

    /// Nothing to run: go idle (watching the next deadline, or not), or
    /// exit after the idle timeout.
    fn rest(&self, pool: &mut Pool, now: Duration) -> Next {
        let me = self.task.id();
        let earliest = pool.earliest_waiting();
        let watcher_late = pool
            .watcher
            .and_then(|w| pool.idle.iter().find(|i| i.id == w))
            .is_some_and(|w| earliest.is_some_and(|e| w.until.is_none_or(|until| until > e)));
        if pool.watcher.is_none() || watcher_late {
            pool.watcher = Some(me);
        }
        let watching = pool.watcher == Some(me);
        let idle_end = self.idle_since + IDLE_TIMEOUT;
        if !watching && now >= idle_end {
            return self.leave(pool);
        }
        let until = if watching { earliest } else { Some(idle_end) };
        // Before it is on the idle list, where wakers find it.
        self.task.prepare_to_wait();
        pool.idle.push(Idle { id: me, task: Arc::clone(&self.task), until });
        Next::Sleep(until)
    }

    /// Counts this worker out.
    fn leave(&self, pool: &mut Pool) -> Next {
        count_out(pool, self.task.id());
        Next::Exit
    }

    /// Runs the item's callback in its owner's context, with no lock held;
    /// a `WQ_BH` workqueue's items run in atomic context, as the kernel's
    /// softirq runs them.
    fn call(&self, item: &ItemRef) {
        // An item whose module is gone was cancelled when the module was
        // unloaded, and its callback released: it is never called.
        if let Some(module) = &item.owner {
            let _context = module.enter(&self.task);
            let bh = self.wq.inner.flags & WQ_BH != 0;
            if bh {
                softirq_enter("a BH work item");
            }
            let held = self.task.held_count();
            let clock = &self.wq.inner.clock;
            item.inner.meter.started(clock.uptime());
            item.inner.callback.call(item.handle());
            item.inner.meter.finished(clock.uptime());
            if bh {
                softirq_exit();
            }
            let function =
                || item.function().unwrap_or_else(|| format!("work made at {} [{}]", item.site, module.name));
            module.services.check_work_leaks(&self.task, held, function);
        }
        self.task.clear_signals();
    }
}
