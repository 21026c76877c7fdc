//! Why an rmmod waits: the wait-for chain, explained the moment a module's
//! exit starts waiting on a task that nothing will wake.
//!
//! A module's exit waits in `flush_workqueue`, `destroy_workqueue`,
//! `cancel_*_sync`, `flush_work` or `kthread_stop` for the tasks running
//! its work or threads. When one of them sleeps uninterruptibly (neither
//! rmmod's interrupt nor `kthread_stop` ends that sleep) on a semaphore or
//! a completion that no loaded code will give, the kernel would only
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
//! The sleeping side records what it sleeps on ([`Blocker`], on its task);
//! who gives an event is lockdep's record ([`super::lockdep::Class`]); who
//! could call a giver is the symbol table's ([`Services::symbol_callers`]).
//!
//! Kernel counterpart: none; `kernel/hung_task.c` reports the rmmod late.

use std::sync::Arc;

use super::lockdep::{At, LockKind};
use crate::services::{
    Services,
    object::AnyObject,
    printk::Level,
    record::{ModuleRecord, ModuleState},
    task::{Task, TaskState, task_of},
};

/// What a task sleeps on while it sleeps in a lock, semaphore or completion.
#[derive(Clone)]
pub(crate) struct Blocker {
    /// `down`, `mutex_lock`, `wait_for_completion`.
    pub(crate) call: &'static str,
    pub(crate) object: Arc<dyn AnyObject>,
    pub(crate) at: At,
}

/// Why a task cannot go on: the text, and what the user can do.
struct Stuck {
    why: String,
    advice: Option<String>,
}

impl Services {
    /// `module` waits in `call` for the tasks `awaited` (by id, with what
    /// each runs): if this is its exit, each one that sleeps where nothing
    /// will wake it is explained now, with what the user can do.
    pub(crate) fn explain_exit_wait(
        &self,
        module: &ModuleRecord,
        call: impl FnOnce() -> String,
        awaited: &[(u64, String)],
    ) {
        if !self.lockdep.enabled() || awaited.is_empty() || module.state() != ModuleState::Going {
            return;
        }
        let call = call();
        let waiter = Task::current();
        for (id, runs) in awaited {
            let Some(task) = task_of(self.id, *id) else { continue };
            let Some(stuck) = self.why_stuck(&task) else { continue };
            let name = &module.name;
            self.log(
                Level::Warning,
                &format!(
                    "{} {name}: exit waits in {call} for {runs} on {}/{}, {}",
                    waiter.name(),
                    task.name(),
                    task.id(),
                    stuck.why
                ),
            );
            let advice = stuck.advice.map_or_else(String::new, |a| format!("{a}, or "));
            self.log(Level::Warning, &format!("{} {name}: {advice}rmmod -f {name} to stop waiting", waiter.name()));
        }
    }

    /// Why `task` sleeps for good, if it does: it sleeps uninterruptibly on
    /// a semaphore or completion that no loaded code gives.
    fn why_stuck(&self, task: &Task) -> Option<Stuck> {
        if task.state() != TaskState::DiskSleep {
            return None;
        }
        let blocker = task.blocker()?;
        let class = blocker.object.lock_class()?;
        let sleeps =
            format!("which sleeps in {}({}) at {}", blocker.call, class.name, blocker.at.format(&self.kallsyms));
        if !matches!(class.kind, LockKind::Semaphore | LockKind::Completion) {
            return None;
        }
        let give = if class.kind == LockKind::Semaphore { "up" } else { "complete" };
        let state = blocker.object.wait_state().map(|s| format!("; {} is {s}", class.name)).unwrap_or_default();
        let (givers, advice) = self.nobody_gives(&class.givers(), give, &class.name)?;
        Some(Stuck { why: format!("{sleeps}{state}; {givers}"), advice })
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
