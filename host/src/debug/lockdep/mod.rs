//! lockdep: the order tasks take locks in, and the deadlocks that order
//! allows, reported the first time the order is seen.
//!
//! Every lock a module takes belongs to a *class* ([`Class`]): a static
//! lock is a class of its own (`&fifo_lock`, named through kallsyms), the
//! locks made at one `mutex_init` site share one, as in the kernel. Each
//! task keeps the locks it holds ([`Held`], on its [`Task`]). Taking a
//! lock while holding others adds an edge *held → new* to one dependency
//! graph per kernel ([`graph`]); an edge that closes a cycle is the
//! kernel's `WARNING: possible circular locking dependency detected`, and
//! taking a class the task already holds its `possible recursive locking
//! detected` ([`report`]).
//!
//! Beyond the kernel, semaphores and completions are in the graph too,
//! because the lab's deadlocks are made of them:
//!
//! - a *binary* semaphore (initialised to 1) is a lock: `down` takes it,
//!   `up` gives it back. Downing one the task holds is recursive locking;
//!   an `up` that raises it above 1, or by a task that never took it while
//!   another holds it, is a bad unlock;
//! - a counting semaphore or a completion is an *event*: `down` (or
//!   `wait_for_completion`) while holding L adds *L → event* (the sleep
//!   needs the event while L is held), `up` (or `complete`) while holding L
//!   adds *event → L* (the event needs L). Both together are a cycle: the
//!   producer that sleeps in `down(&empty)` holding `&fifo_lock`, and the
//!   consumer that must take `&fifo_lock` to `up(&empty)`. It is reported
//!   when the second half is first seen, long before a full fifo makes it
//!   hang.
//!
//! Cost: a lock taken with nothing held and released by its taker touches
//! only the task's own list; the graph's lock is taken when a task holds
//! something while it takes, waits or gives, and new edges are rare.
//!
//! Kernel counterpart: `kernel/locking/lockdep.c`.

mod graph;
mod report;

use modhost_abi::table::Site;
use parking_lot::Mutex;
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use crate::services::{
    Services,
    kallsyms::Kallsyms,
    object::{Kind, Object},
    task::{Task, task_of},
};
use graph::Graph;

/// What a class is, which says how it is taken and given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockKind {
    Mutex,
    Spin,
    /// A semaphore initialised to 1: a lock.
    BinarySemaphore,
    /// A counting semaphore: an event.
    Semaphore,
    Completion,
}

impl LockKind {
    /// An event (waited for, given), not a lock (taken, held).
    fn is_event(self) -> bool {
        matches!(self, LockKind::Semaphore | LockKind::Completion)
    }

    /// lockdep's usage and wait-type marks, as its reports print them.
    fn marks(self) -> &'static str {
        match self {
            LockKind::Spin => "{+.+.}-{2:2}",
            _ => "{+.+.}-{3:3}",
        }
    }
}

/// A lock class: the locks lockdep tells apart.
#[derive(Debug)]
pub(crate) struct Class {
    id: usize,
    /// `&fifo_lock`; a lock without a symbol is named by its init site.
    pub(crate) name: String,
    pub(crate) module: Arc<str>,
    pub(crate) kind: LockKind,
    /// Where the class was given (`up`, `complete`), distinct places, for
    /// the explanation of a wait on it.
    givers: Mutex<Vec<Giver>>,
    /// The last giving site's ip (or line), to skip the list when it repeats.
    last_giver: AtomicUsize,
}

impl Class {
    /// Where the class has been given so far.
    pub(crate) fn givers(&self) -> Vec<Giver> {
        self.givers.lock().clone()
    }
}

/// A place an event was given from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Giver {
    /// `get_item+0x5c/0xa0 [fifo] (fifo.c:52)`.
    pub(crate) place: String,
    /// The function (`get_item`), when the place has an address.
    pub(crate) function: Option<String>,
}

/// A place in a module: an address in the calling function when known.
#[derive(Clone, Copy)]
pub(crate) struct At {
    pub(crate) ip: usize,
    pub(crate) site: Site,
}

impl At {
    /// `put_item+0x10/0x80 [fifo] (fifo.c:40)`: the kernel's symbol and
    /// offset, then the source line (a static function inlined into its
    /// caller is only named by its line); a Rust module's `src/lib.rs:40:9`.
    pub(crate) fn format(&self, kallsyms: &Kallsyms) -> String {
        match self.ip {
            0 => self.site.to_string(),
            ip => format!("{} ({})", kallsyms.sprint(ip, true), self.site),
        }
    }

    fn key(&self) -> usize {
        if self.ip != 0 { self.ip } else { self.site.file.as_ptr().addr() ^ (self.site.line as usize) << 48 }
    }
}

impl From<&Site> for At {
    fn from(site: &Site) -> At {
        At { ip: site.ip, site: *site }
    }
}

/// A lock a task holds.
#[derive(Clone)]
pub(crate) struct Held {
    pub(crate) class: Arc<Class>,
    /// The lock's address (in module memory for a C lock).
    pub(crate) instance: usize,
    /// Where it was taken. Its site's strings live in module memory: the
    /// unload of a module drops the held entries of its classes first.
    pub(crate) at: At,
}

/// One kernel's lock dependency checker.
#[derive(Debug, Default)]
pub(crate) struct Lockdep {
    graph: Mutex<Graph>,
    off: AtomicBool,
}

impl Lockdep {
    /// Switches the checks off (`--no-debug`) or on.
    pub(crate) fn set_enabled(&self, on: bool) {
        self.off.store(!on, Ordering::Relaxed);
    }

    /// Whether it checks.
    pub(crate) fn enabled(&self) -> bool {
        !self.off.load(Ordering::Relaxed)
    }

    /// The class of a lock of `module` named `name`, made on first use.
    pub(crate) fn class(&self, module: &Arc<str>, name: String, kind: LockKind) -> Arc<Class> {
        self.graph.lock().class(module, name, kind)
    }
}

impl Services {
    /// The class of `object`, a lock of kind `kind`: named by its symbol
    /// (`&fifo_lock`, `&fifo+0x10`) when it lives in a module's static
    /// memory, else by where it was made (`mutex@src/lib.rs:40:9`).
    pub(crate) fn lock_class<'o, T: Kind>(&self, object: &'o Object<T>, kind: LockKind) -> &'o Arc<Class> {
        object.lock_class.get_or_init(|| {
            let module: Arc<str> = object.owner.as_ref().map_or_else(|| Arc::from("kernel"), |o| Arc::clone(&o.name));
            let name = match self.kallsyms.lookup(object.address()) {
                Some(at) if at.offset == 0 => format!("&{}", at.name),
                Some(at) => format!("&{}+{:#x}", at.name, at.offset),
                None => format!("{}@{}", T::NAME, object.site),
            };
            self.lockdep.class(&module, name, kind)
        })
    }

    /// `lock_acquire`: `task` is about to take (or wait for) `class` at
    /// `at`; checks the order against what it holds and, for a lock, adds
    /// it to what it holds (before it sleeps, as the kernel does).
    pub(crate) fn lock_acquire(&self, class: &Arc<Class>, instance: usize, at: At) {
        if !self.lockdep.enabled() {
            return;
        }
        let lock = !class.kind.is_event();
        Task::with_current(|task| {
            // One look under the list's lock in the common case, nothing held.
            let others = task.with_held(|held| {
                if held.is_empty() {
                    if lock {
                        held.push(Held { class: Arc::clone(class), instance, at });
                    }
                    return None;
                }
                Some(held.clone())
            });
            if let Some(held) = others {
                self.check_acquire(task, &held, class, instance, at);
                if lock {
                    task.hold(Held { class: Arc::clone(class), instance, at });
                }
            }
        });
    }

    /// A lock taken without waiting (`trylock`): held, never a deadlock.
    pub(crate) fn lock_taken(&self, class: &Arc<Class>, instance: usize, at: At) {
        if self.lockdep.enabled() && !class.kind.is_event() {
            Task::with_current(|task| task.hold(Held { class: Arc::clone(class), instance, at }));
        }
    }

    /// `lock_release`: the calling task gives back the lock at
    /// `instance`; `false` if it did not hold it.
    pub(crate) fn lock_release(&self, instance: usize) -> bool {
        !self.lockdep.enabled() || Task::with_current(|task| task.unhold(instance))
    }

    /// An event given (`up` of a counting semaphore, `complete`) at `at`:
    /// remembered for explanations, and checked against what the giver holds.
    pub(crate) fn lock_give(&self, class: &Arc<Class>, instance: usize, at: At) {
        if !self.lockdep.enabled() {
            return;
        }
        let key = at.key();
        // A read first: the same place gives again and again (the fifo's
        // one `up`), and a write would bounce the line between CPUs.
        if class.last_giver.load(Ordering::Relaxed) != key && class.last_giver.swap(key, Ordering::Relaxed) != key {
            let function = self.kallsyms.lookup(at.ip).map(|l| l.name);
            let giver = Giver { place: at.format(&self.kallsyms), function };
            let mut givers = class.givers.lock();
            if !givers.contains(&giver) && givers.len() < 8 {
                givers.push(giver);
            }
        }
        Task::with_current(|task| {
            let held = task.held_locks();
            if !held.is_empty() {
                self.check_give(task, &held, class, instance, at);
            }
        });
    }

    /// `up` of a binary semaphore at `at`: the release, or a bad unlock
    /// when the calling task does not hold it (`holder`: who does) or when
    /// it goes above the count it was made with.
    pub(crate) fn lock_release_binary(&self, class: &Arc<Class>, instance: usize, at: At, above: bool) {
        if !self.lockdep.enabled() {
            return;
        }
        let released = self.lock_release(instance);
        if above {
            self.report_bad_unlock(class, instance, at, "raises it above 1, the count it was initialised with");
        } else if !released && let Some(holder) = holder_of(self.id, instance).and_then(|id| task_of(self.id, id)) {
            let why = format!(
                "is held by {}/{}, which took it: a task that never took it gives it back",
                holder.name(),
                holder.id()
            );
            self.report_bad_unlock(class, instance, at, &why);
        }
    }

    fn check_acquire(&self, task: &Arc<Task>, held: &[Held], class: &Arc<Class>, instance: usize, at: At) {
        if !class.kind.is_event()
            && let Some(same) = held.iter().find(|h| Arc::ptr_eq(&h.class, class))
        {
            let first = self.lockdep.graph.lock().first_report(class.id, class.id);
            if first {
                self.report_recursive(task, held, same, class, instance, at);
            }
            return;
        }
        let verb = operation(class.kind, false);
        for prev in distinct_classes(held) {
            let edge = || self.edge_text(task, prev, class, verb, at);
            let cycle = self.lockdep.graph.lock().add(prev.class.id, class.id, edge);
            if let Some(cycle) = cycle {
                self.report_circular(task, held, prev, (class, instance), verb, at, &cycle);
            }
        }
    }

    fn check_give(&self, task: &Arc<Task>, held: &[Held], class: &Arc<Class>, instance: usize, at: At) {
        let verb = operation(class.kind, true);
        for prev in distinct_classes(held) {
            let edge = || self.edge_text(task, prev, class, verb, at);
            let cycle = self.lockdep.graph.lock().add(class.id, prev.class.id, edge);
            if let Some(cycle) = cycle {
                self.report_circular(task, held, prev, (class, instance), verb, at, &cycle);
            }
        }
    }

    /// Drops every held entry of `module`'s classes from every task, each
    /// one reported as `held lock freed` (the module's memory goes).
    pub(crate) fn debug_check_no_locks_freed(&self, module: &str) {
        for task in crate::services::task::tasks_of(self.id) {
            let freed = task.unhold_module(module);
            if !freed.is_empty() && self.lockdep.enabled() {
                self.report_held_lock_freed(&task, module, &freed);
            }
        }
    }

    /// `BUG: workqueue leaked atomic, lock or RCU` for a work function
    /// that returned holding locks it took; they are dropped from its
    /// task's list (the next item is not charged for them).
    pub(crate) fn check_work_leaks(&self, task: &Arc<Task>, held_before: usize, function: impl FnOnce() -> String) {
        if task.held_count() <= held_before {
            return;
        }
        if self.lockdep.enabled() {
            self.report_work_leak(task, held_before, &task.held_locks(), &function());
        }
        task.truncate_held(held_before);
    }
}

/// The id of the task of kernel `kernel` holding the lock at `instance`.
pub(crate) fn holder_of(kernel: u64, instance: usize) -> Option<u64> {
    crate::services::task::tasks_of(kernel)
        .into_iter()
        .find(|t| t.held_locks().iter().any(|h| h.instance == instance))
        .map(|t| t.id())
}

/// The held locks, one per class (the first taken).
fn distinct_classes(held: &[Held]) -> impl Iterator<Item = &Held> {
    held.iter().enumerate().filter(|(i, h)| !held[..*i].iter().any(|e| Arc::ptr_eq(&e.class, &h.class))).map(|(_, h)| h)
}

/// The call that takes (`give`: gives) a class of `kind`.
fn operation(kind: LockKind, give: bool) -> &'static str {
    match (kind, give) {
        (LockKind::Mutex | LockKind::Spin, _) => "lock",
        (LockKind::BinarySemaphore | LockKind::Semaphore, false) => "down",
        (LockKind::BinarySemaphore | LockKind::Semaphore, true) => "up",
        (LockKind::Completion, false) => "wait_for_completion",
        (LockKind::Completion, true) => "complete",
    }
}

#[cfg(test)]
mod tests;
