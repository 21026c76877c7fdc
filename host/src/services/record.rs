//! The module as the services see it: its name and state, what it made,
//! and what its code may still ask of the kernel.
//!
//! The loader's [`Module`](crate::loader::Module) holds one
//! [`ModuleRecord`]; so does every object the module made, and the handle
//! registry, which the module's code reaches it through (its
//! `ModuleHandle`). The record outlives the module's code: while a library
//! stays mapped after rmmod (a thread the module started still runs in it,
//! or a thread-local destructor is pending), calls from it find the record
//! `Gone`, are refused and reported once, and never read freed memory.
//!
//! At unload the loader asks the record to [reclaim](ModuleRecord::reclaim)
//! what the module left behind, in the order that keeps the host safe:
//! stop every object (timers, work, threads, waiters), then release the
//! module's callbacks (its code, while still mapped), then free what the
//! module never freed.
//!
//! Kernel counterpart: the runtime half of `struct module`
//! (`include/linux/module.h`).

use modhost_abi::{param::ParamValue, table::ModuleHandle};
use parking_lot::Mutex;
use std::{
    collections::HashSet,
    fmt,
    sync::{
        Arc, OnceLock, Weak,
        atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering},
    },
};

use super::{
    Services,
    kmem::Kmem,
    object::AnyObject,
    printk::Level,
    task::{Context, ContextGuard, Task, TaskKind},
};
use crate::{
    debug::kasan::Place,
    taint::{Taint, TaintFlag},
};

/// A module's lifecycle state (`enum module_state`), and `Gone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ModuleState {
    /// Initialised and in use.
    Live = 0,
    /// Running init.
    Coming = 1,
    /// Being removed: exit is running or has run.
    Going = 2,
    /// Name reserved, still being set up; invisible to lookups.
    Unformed = 3,
    /// Removed. Its code can still run only if its library stayed mapped,
    /// and every call it makes is refused.
    Gone = 4,
}

impl ModuleState {
    fn from_u8(n: u8) -> ModuleState {
        match n {
            0 => ModuleState::Live,
            1 => ModuleState::Coming,
            2 => ModuleState::Going,
            3 => ModuleState::Unformed,
            _ => ModuleState::Gone,
        }
    }

    /// The state column of `/proc/modules`.
    pub fn proc_name(self) -> &'static str {
        match self {
            ModuleState::Live => "Live",
            ModuleState::Coming | ModuleState::Unformed => "Loading",
            ModuleState::Going | ModuleState::Gone => "Unloading",
        }
    }

    /// The contents of `/sys/module/NAME/initstate`.
    pub fn initstate(self) -> &'static str {
        match self {
            ModuleState::Live => "live",
            ModuleState::Coming | ModuleState::Unformed => "coming",
            ModuleState::Going | ModuleState::Gone => "going",
        }
    }
}

/// How the module's parameters are shown (the `get` ops' types).
pub(crate) type ParamShow = Box<dyn Fn(usize, &ParamValue) -> String + Send + Sync>;

/// The module as the services see it; see the module docs.
///
/// Every task that sleeps in a service call takes a reference to it, while
/// every call reads it: aligned so that its `Arc`'s counts sit on a cache
/// line of their own, away from the fields the calls read.
#[repr(align(128))]
pub struct ModuleRecord {
    /// The module's id in its kernel.
    pub(crate) id: u64,
    /// The instance's name.
    pub(crate) name: Arc<str>,
    /// Its kernel's services.
    pub(crate) services: Arc<Services>,
    state: AtomicU8,
    pub(crate) taints: Taint,
    /// References taken on top of the users' ones (`try_module_get`).
    pub(crate) extra_refs: AtomicU32,
    /// The modules using its exports (the loader counts them under its lock).
    pub(crate) users: AtomicU32,
    /// The parameter values, by declaration index (`kernel_param_lock`).
    pub(crate) params: Mutex<Vec<ParamValue>>,
    /// Shows parameter `i` as its `/sys` file does, without the newline.
    pub(crate) param_show: ParamShow,
    /// Everything the module made through the services, oldest first.
    objects: Mutex<Vec<Weak<dyn AnyObject>>>,
    /// The handle the module's code calls with, once registered.
    pub(crate) handle: OnceLock<ModuleHandle>,
    /// Why its library stays mapped after removal, for the `Gone` report.
    pub(crate) pinned_by: Mutex<Option<String>>,
    gone_reported: AtomicBool,
    /// Call sites already warned about (a `WARN_ONCE` per site).
    warned_sites: Mutex<HashSet<String>>,
    /// The memory it allocated (`kmalloc`).
    pub(crate) kmem: Kmem,
}

impl ModuleRecord {
    /// A new `Unformed` module of `services`.
    pub(crate) fn new(
        id: u64,
        name: &str,
        services: Arc<Services>,
        params: Vec<ParamValue>,
        param_show: ParamShow,
    ) -> ModuleRecord {
        ModuleRecord {
            id,
            name: Arc::from(name),
            services,
            state: AtomicU8::new(ModuleState::Unformed as u8),
            taints: Taint::default(),
            extra_refs: AtomicU32::new(0),
            users: AtomicU32::new(0),
            params: Mutex::new(params),
            param_show,
            objects: Mutex::new(Vec::new()),
            handle: OnceLock::new(),
            pinned_by: Mutex::new(None),
            gone_reported: AtomicBool::new(false),
            warned_sites: Mutex::new(HashSet::new()),
            kmem: Kmem::default(),
        }
    }

    /// The current state.
    pub fn state(&self) -> ModuleState {
        ModuleState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn set_state(&self, state: ModuleState) {
        self.state.store(state as u8, Ordering::Release);
    }

    /// `try_module_get`: one more reference, unless the module is going.
    pub(crate) fn try_get(&self) -> bool {
        if matches!(self.state(), ModuleState::Going | ModuleState::Gone) {
            return false;
        }
        self.extra_refs.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// `module_refcount`: its users plus the extra references.
    pub(crate) fn refcount(&self) -> u32 {
        self.users.load(Ordering::Acquire).saturating_add(self.extra_refs.load(Ordering::Acquire))
    }

    /// `module_put`: drops a reference; warns instead of underflowing.
    pub(crate) fn put(&self) {
        let dropped = self.extra_refs.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if dropped.is_err() {
            self.services.log(Level::Warning, &format!("{}: module_put underflow", self.name));
        }
    }

    /// What a task running this module's code records (see [`Task::enter`]).
    pub(crate) fn context(&self) -> Context {
        Context { module: self.id, name: Arc::clone(&self.name) }
    }

    /// Runs this module's code on `task` until the guard drops. A work item
    /// of a module that is going away is interrupted once, so that an
    /// interruptible sleep does not hold the unload up; kthreads wait for
    /// `kthread_stop`, and the unload task runs exit.
    pub(crate) fn enter(&self, task: &Arc<Task>) -> ContextGuard {
        if self.state() == ModuleState::Going && !matches!(task.kind(), TaskKind::Caller | TaskKind::KThread) {
            task.interrupt();
        }
        task.enter(self.context())
    }

    /// Records an object the module made.
    pub(crate) fn add_object(&self, object: Weak<dyn AnyObject>) {
        let mut objects = self.objects.lock();
        objects.retain(|o| o.strong_count() > 0);
        objects.push(object);
    }

    /// The module's live objects, oldest first.
    pub(crate) fn objects(&self) -> Vec<Arc<dyn AnyObject>> {
        self.objects.lock().iter().filter_map(Weak::upgrade).collect()
    }

    /// Whether a WARN about `site` is the first (`WARN_ONCE` per call site).
    pub(crate) fn first_warning_at(&self, site: &str) -> bool {
        self.warned_sites.lock().insert(site.to_string())
    }

    /// Marks a refused call from a removed module; `true` the first time.
    pub(crate) fn gone_first_time(&self) -> bool {
        !self.gone_reported.swap(true, Ordering::AcqRel)
    }

    /// Stops, releases and frees what the module left behind (`when`:
    /// "at unload", "after its failed init"); `false` if some of its code
    /// still runs (its library must then stay mapped).
    pub(crate) fn reclaim(&self, when: &str) -> bool {
        self.services.debug_check_no_locks_freed(&self.name);
        let objects: Vec<_> = self.objects().into_iter().rev().collect();
        // A freed object may still run the module's code (a kthread whose
        // `kthread_stop` was killed, a work item its own callback freed):
        // waited for like a left one, but only a left one is reported.
        for object in objects.iter().filter(|o| !o.is_freed() || o.still_running()) {
            let left = !object.is_freed();
            if let Some(what) = object.stop().filter(|_| left) {
                if let Some(line) = object.odebug_free_active() {
                    self.services.log(Level::Err, &line);
                }
                self.services.log(Level::Warning, &format!("{}: {} {what} {when}", self.name, object.describe()));
            }
        }
        if objects.iter().any(|o| o.still_running()) {
            let text = format!(
                "{}: code still running {when}: a thread runs in it{}, and its code cannot be unmapped \
                 while one does; its library stays mapped",
                self.name,
                self.threads_inside()
            );
            self.services.log(Level::Err, &text);
            return false;
        }
        // What exit did not free is a leak, even if releasing the callbacks
        // below frees it (an object its own closure keeps alive).
        let leaked: Vec<_> = objects.iter().filter(|o| !o.is_freed() && !o.is_static()).cloned().collect();
        // The module's callbacks are its code: released while it is mapped.
        objects.iter().for_each(|o| o.release());
        for object in &leaked {
            self.services.log(Level::Notice, &format!("{}: {} was never freed", self.name, object.describe()));
        }
        for object in self.objects().into_iter().rev().filter(|o| !o.is_freed()) {
            object.free_leftover();
        }
        let (leaks, findings) = self.kmem.reclaim();
        let by = super::kmem::Origin { comm: "rmmod".into(), ..Default::default() };
        for finding in &findings {
            self.services.kasan(self, finding, Place::Check(&format!("the memory check {when}")), &by);
        }
        self.services.kmemleak(self, &leaks);
        true
    }

    /// ` (kworker/0:1[7], ...)`: the tasks running this module's code now.
    fn threads_inside(&self) -> String {
        let inside: Vec<String> = super::task::tasks_of(self.services.id)
            .iter()
            .filter(|t| t.context().is_some_and(|c| c.module == self.id))
            .map(|t| format!("{}[{}]", t.name(), t.id()))
            .collect();
        if inside.is_empty() { String::new() } else { format!(" ({})", inside.join(", ")) }
    }

    /// Taints the module (and the kernel) with `flag`.
    pub(crate) fn taint(&self, flag: TaintFlag) {
        self.taints.add(flag);
        self.services.taint.add(flag);
    }
}

impl fmt::Debug for ModuleRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleRecord").field("name", &self.name).field("state", &self.state()).finish_non_exhaustive()
    }
}
