//! Why an rmmod waits: the wait-for chain, explained the moment a module's
//! exit waits on a task that nothing will wake.
//!
//! A module's exit waits in `flush_workqueue`, `destroy_workqueue`,
//! `cancel_*_sync`, `flush_work` or `kthread_stop` for the tasks running
//! its work or threads. When one of them sleeps uninterruptibly (neither
//! rmmod's interrupt nor `kthread_stop` ends that sleep) on a semaphore or
//! a completion that no loaded code will give, or on a lock held by the
//! waiting exit itself (or by a task stuck in turn), the kernel would only
//! report a hung rmmod after 120 s. modhost says at once:
//!
//! ```text
//! rmmod producer: exit waits in destroy_workqueue(producer_wq) for produce+0x0/0x5a [producer]
//!   on kworker/1:0/7, which sleeps in down(&empty) at put_item+0x1c/0x80 [fifo] (fifo.c:40);
//!   &empty is 0 of 8; up(&empty) is only called from get_item+0x5c/0xa0 [fifo] (fifo.c:52),
//!   whose callers are not loaded
//! rmmod producer: load a module that calls get_item, or rmmod -f producer to stop waiting
//! ```
//!
//! The sleeping side records what it sleeps on ([`Blocker`], on its task,
//! through [`Services::block_on`]). An exit's wait is looked at when it
//! starts (the tasks already asleep) and stays registered while it lasts
//! ([`ExitWait`]), so that a task it waits for that goes to sleep later is
//! explained as it does. Who gives an event is lockdep's record
//! ([`super::lockdep::Class`]); who could call a giver is the symbol
//! table's ([`Services::symbol_callers`]).
//!
//! Kernel counterpart: none; `kernel/hung_task.c` reports the rmmod late.

use parking_lot::Mutex;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use super::lockdep::{At, LockKind};
use crate::services::{
    Services,
    object::AnyObject,
    printk::Level,
    record::{ModuleRecord, ModuleState},
    task::{Task, WaitMode, task_of},
};

/// What a task sleeps on while it sleeps in a lock, semaphore or completion.
#[derive(Clone)]
pub(crate) struct Blocker {
    /// `down`, `mutex_lock`, `wait_for_completion`.
    pub(crate) call: &'static str,
    pub(crate) object: Arc<dyn AnyObject>,
    pub(crate) at: At,
    pub(crate) mode: WaitMode,
}

/// Why a task cannot go on: the text, and what the user can do.
struct Stuck {
    why: String,
    advice: Option<String>,
}

/// How far a chain of lock holders is followed.
const DEPTH: usize = 4;

/// An exit's wait in progress: who waits, in which call, for which tasks
/// (by id, with what each runs), and which of them were explained.
struct Awaiting {
    module: Arc<str>,
    call: String,
    waiter: Arc<Task>,
    tasks: Vec<(u64, String)>,
    told: Vec<u64>,
}

/// The exits' waits in progress in one kernel.
#[derive(Default)]
pub(crate) struct ExitWaits {
    list: Mutex<Vec<Awaiting>>,
    /// How many: a task going to sleep looks at the list only if any.
    count: AtomicUsize,
}

impl std::fmt::Debug for ExitWaits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExitWaits").field("count", &self.count.load(Ordering::Relaxed)).finish()
    }
}

/// An exit's wait, registered until it is dropped (when the wait ends).
#[must_use]
pub(crate) struct ExitWait {
    services: Option<Arc<Services>>,
    waiter: u64,
}

impl Drop for ExitWait {
    fn drop(&mut self) {
        if let Some(services) = &self.services {
            let mut list = services.exit_waits.list.lock();
            list.retain(|a| a.waiter.id() != self.waiter);
            services.exit_waits.count.store(list.len(), Ordering::Relaxed);
        }
    }
}

impl Services {
    /// `module` waits in `call` for the tasks `awaited` (by id, with what
    /// each runs): if this is its exit, each one that sleeps where nothing
    /// will wake it is explained now, or when it goes to sleep, until the
    /// returned wait is dropped.
    pub(crate) fn explain_exit_wait(
        self: &Arc<Self>,
        module: &ModuleRecord,
        call: impl FnOnce() -> String,
        awaited: &[(u64, String)],
    ) -> ExitWait {
        let waiter = Task::current();
        if !self.lockdep.enabled() || awaited.is_empty() || module.state() != ModuleState::Going {
            return ExitWait { services: None, waiter: waiter.id() };
        }
        let mut wait = Awaiting {
            module: Arc::clone(&module.name),
            call: call(),
            waiter: Arc::clone(&waiter),
            tasks: awaited.to_vec(),
            told: Vec::new(),
        };
        for (id, _) in awaited {
            if let Some(task) = task_of(self.id, *id) {
                self.tell(&mut wait, &task);
            }
        }
        let mut list = self.exit_waits.list.lock();
        list.push(wait);
        self.exit_waits.count.store(list.len(), Ordering::Relaxed);
        ExitWait { services: Some(Arc::clone(self)), waiter: waiter.id() }
    }

    /// `task` is about to sleep on `blocker`: recorded for the chain, and
    /// explained now if an exit waits for it and nothing will wake it.
    pub(crate) fn block_on(&self, task: &Arc<Task>, blocker: Blocker) {
        task.set_blocker(Some(blocker));
        if self.exit_waits.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut list = self.exit_waits.list.lock();
        for wait in list.iter_mut().filter(|w| w.tasks.iter().any(|(id, _)| *id == task.id())) {
            self.tell(wait, task);
        }
    }

    /// Explains `task` to `wait`'s rmmod, once, if it is stuck.
    fn tell(&self, wait: &mut Awaiting, task: &Task) {
        if wait.told.contains(&task.id()) {
            return;
        }
        let Some(stuck) = self.why_stuck(task, &wait.waiter, DEPTH) else { return };
        wait.told.push(task.id());
        let runs = wait.tasks.iter().find(|(id, _)| *id == task.id()).map_or("", |(_, runs)| runs.as_str());
        let (comm, name) = (wait.waiter.name(), &wait.module);
        let text = format!(
            "{comm} {name}: exit waits in {} for {runs} on {}/{}, {}",
            wait.call,
            task.name(),
            task.id(),
            stuck.why
        );
        self.log(Level::Warning, &text);
        let advice = stuck.advice.map_or_else(String::new, |a| format!("{a}, or "));
        self.log(Level::Warning, &format!("{comm} {name}: {advice}rmmod -f {name} to stop waiting"));
    }

    /// Why `task` sleeps for good, if it does: it waits uninterruptibly on a semaphore or completion that no loaded code
    /// gives, or on a lock held by `waiter` or by a task stuck in turn
    /// (followed `depth` deep).
    fn why_stuck(&self, task: &Task, waiter: &Task, depth: usize) -> Option<Stuck> {
        // A blocker is set from the slow path on, while the task spins and
        // then sleeps: committed to waiting, whichever it does now.
        let blocker = task.blocker()?;
        if blocker.mode != WaitMode::Uninterruptible {
            return None;
        }
        let class = blocker.object.lock_class()?;
        let sleeps =
            format!("which sleeps in {}({}) at {}", blocker.call, class.name, blocker.at.format(&self.kallsyms));
        if matches!(class.kind, LockKind::Semaphore | LockKind::Completion) {
            let give = if class.kind == LockKind::Semaphore { "up" } else { "complete" };
            let state = blocker.object.wait_state().map(|s| format!("; {} is {s}", class.name)).unwrap_or_default();
            let (givers, advice) = self.nobody_gives(&class.givers(), give, &class.name)?;
            return Some(Stuck { why: format!("{sleeps}{state}; {givers}"), advice });
        }
        let holder = blocker.object.holder()?;
        if holder == waiter.id() {
            let why = format!(
                "{sleeps}, held by {}/{holder} itself: exit holds the lock that what it waits for needs",
                waiter.name()
            );
            return Some(Stuck { why, advice: Some("release the lock before the wait in exit".to_string()) });
        }
        let holder = task_of(self.id, holder)?;
        let more = self.why_stuck(&holder, waiter, depth.checked_sub(1)?)?;
        let why = format!("{sleeps}, held by {}/{}, {}", holder.name(), holder.id(), more.why);
        Some(Stuck { why, advice: more.advice })
    }

    /// Whether no loaded code can give the event that `givers` gave so far
    /// with `give`: the text and the advice, or `None` if some code can.
    fn nobody_gives(
        &self,
        givers: &[super::lockdep::Giver],
        give: &str,
        name: &str,
    ) -> Option<(String, Option<String>)> {
        if givers.is_empty() {
            return Some((format!("nothing has called {give}({name}) yet"), None));
        }
        let mut callable = Vec::new();
        for giver in givers {
            // A giver in a function nobody loaded calls: an exported
            // function whose importers are all gone. Anything else may run.
            let function = giver.function.as_deref()?;
            if !self.symbol_callers(function)?.is_empty() {
                return None;
            }
            callable.push(function);
        }
        let places: Vec<&str> = givers.iter().map(|g| g.place.as_str()).collect();
        let text = format!("{give}({name}) is only called from {}, whose callers are not loaded", places.join(", "));
        Some((text, Some(format!("load a module that calls {}", callable.join(" or ")))))
    }
}
