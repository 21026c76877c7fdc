//! The module loader: loaded modules, their states, and the module list.
//!
//! A module moves through the kernel's states:
//!
//! ```text
//!   insmod ─► Unformed ─► Coming ─► Live ─► Going ─► (gone)
//!             name taken   symbols    init     rmmod: exit runs,
//!             nothing      resolved,  done     then its symbols go
//!             visible      init runs           and the library is unmapped
//! ```
//!
//! [`Modules`] is the module list together with the symbol table and the
//! "uses" links between modules; one mutex (the kernel's `module_mutex`, in
//! [`crate::kernel`]) protects all three. Module code never runs under it:
//! `init` and `exit` are called with the lock released, as in the kernel.
//!
//! Files: [`load`] (insmod), [`unload`] (rmmod), [`params`], [`modprobe`]
//! (depmod and modprobe), [`modinfo`] (what the host copies from a module),
//! [`version`] (vermagic, layout and signature checks), [`library`]
//! (dlopen and dlclose, the only unsafe file).
//!
//! Kernel counterpart: `kernel/module/main.c`, `include/linux/module.h`.

mod elf;
pub(crate) mod library;
mod load;
pub mod modinfo;
pub mod modprobe;
pub mod params;
mod resolve;
mod unload;
pub(crate) mod unloader;
pub(crate) mod version;

use modhost_abi::param::ParamValue;
use parking_lot::Mutex;
use std::{
    fmt,
    path::PathBuf,
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering},
    },
};

use crate::{
    kernel::KernelInner,
    services::{
        object::Objects,
        task::{Context, ContextGuard, Task, TaskKind},
    },
    symbols::SymbolTable,
    taint::Taint,
};
use library::Library;
use modinfo::ModInfo;

/// `MODULE_NAME_LEN` on 64-bit: 56 bytes including the NUL.
pub const MODULE_NAME_LEN: usize = 56;

/// A module's lifecycle state (`enum module_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ModuleState {
    /// Running init.
    Coming = 1,
    /// Initialised and in use.
    Live = 0,
    /// Being removed: exit is running or has run.
    Going = 2,
    /// Name reserved, still being set up; invisible to lookups.
    Unformed = 3,
}

impl ModuleState {
    fn from_u8(n: u8) -> ModuleState {
        match n {
            0 => ModuleState::Live,
            1 => ModuleState::Coming,
            2 => ModuleState::Going,
            _ => ModuleState::Unformed,
        }
    }

    /// The state column of `/proc/modules`.
    pub fn proc_name(self) -> &'static str {
        match self {
            ModuleState::Live => "Live",
            ModuleState::Coming | ModuleState::Unformed => "Loading",
            ModuleState::Going => "Unloading",
        }
    }

    /// The contents of `/sys/module/NAME/initstate`.
    pub fn initstate(self) -> &'static str {
        match self {
            ModuleState::Live => "live",
            ModuleState::Coming | ModuleState::Unformed => "coming",
            ModuleState::Going => "going",
        }
    }
}

/// The module's entry points, copied from its descriptor.
///
/// # Invariants
///
/// Each pointer is valid while the module's library is mapped; the loader
/// calls none of them after it unmaps the library.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) exit: extern "C" fn(),
    pub(crate) param_changed: extern "C" fn(u32) -> i32,
}

/// One loaded module instance, as the host knows it.
pub struct Module {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) info: ModInfo,
    pub(crate) file: PathBuf,
    pub(crate) file_id: library::FileId,
    pub(crate) gpl_compatible: bool,
    state: AtomicU8,
    pub(crate) taints: Taint,
    /// References taken on top of the users' ones (`try_module_get`).
    pub(crate) extra_refs: AtomicU32,
    /// The parameter values, by declaration index (`kernel_param_lock`).
    pub(crate) params: Mutex<Vec<ParamValue>>,
    /// Serialises `/sys` writes, including the module's notification.
    pub(crate) param_writes: Mutex<()>,
    pub(crate) entry: Entry,
    pub(crate) base: usize,
    pub(crate) size: u64,
    /// The mapped library: attached once init succeeded, taken at unload.
    library: Mutex<Option<Library>>,
    pub(crate) kernel: Weak<KernelInner>,
    /// Everything the module made through the services (timers, work, ...).
    pub(crate) objects: Objects,
    /// The name as tasks running this module's code carry it.
    context_name: Arc<str>,
    /// The unload thread's job running exit and the clean-up, once rmmod started.
    pub(crate) exit_job: Mutex<Option<Arc<unloader::Job>>>,
    /// Set when the module is gone: removed and its library unmapped.
    unloaded: AtomicBool,
}

impl Module {
    /// The instance's name.
    pub fn name(&self) -> &str {
        &self.name
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
        if self.state() == ModuleState::Going {
            return false;
        }
        self.extra_refs.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// `module_put`: drops a reference; warns instead of underflowing.
    pub(crate) fn put(&self) {
        let dropped = self.extra_refs.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if dropped.is_err()
            && let Some(kernel) = self.kernel.upgrade()
        {
            kernel.log(crate::services::printk::Level::Warning, &format!("{}: module_put underflow", self.name));
        }
    }

    /// Whether the module is gone: removed, and its library unmapped.
    pub(crate) fn is_unloaded(&self) -> bool {
        self.unloaded.load(Ordering::Acquire)
    }

    pub(crate) fn mark_unloaded(&self) {
        self.unloaded.store(true, Ordering::Release);
    }

    /// Takes the library out for unmapping; `None` if already taken.
    pub(crate) fn take_library(&self) -> Option<Library> {
        self.library.lock().take()
    }

    /// What a task running this module's code records (see [`Task::enter`]).
    pub(crate) fn context(&self) -> Context {
        Context { module: self.id, name: Arc::clone(&self.context_name) }
    }

    /// Runs this module's code on `task` until the guard drops. A task that
    /// starts running a module that is going away is signalled at once, so
    /// its interruptible waits return instead of holding up the unload.
    pub(crate) fn enter(&self, task: &Arc<Task>) -> ContextGuard {
        if self.state() == ModuleState::Going && task.kind() != TaskKind::Unload {
            task.signal();
        }
        task.enter(self.context())
    }

    /// The handle this module passes back with every service call.
    pub(crate) fn handle(self: &Arc<Self>) -> modhost_abi::descriptor::ModuleHandle {
        modhost_abi::descriptor::ModuleHandle(Arc::as_ptr(self).cast())
    }

    /// The taint letters shown after the module in `/proc/modules`, with the
    /// loading (`+`) or unloading (`-`) mark.
    pub(crate) fn flags(&self) -> String {
        let mut flags = self.taints.letters();
        match self.state() {
            ModuleState::Going => flags.push('-'),
            ModuleState::Coming | ModuleState::Unformed => flags.push('+'),
            ModuleState::Live => {}
        }
        flags
    }
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module").field("name", &self.name).field("state", &self.state()).finish_non_exhaustive()
    }
}

/// A new, `Unformed` module to be registered.
pub(crate) struct NewModule {
    pub(crate) name: String,
    pub(crate) info: ModInfo,
    pub(crate) gpl_compatible: bool,
    pub(crate) entry: Entry,
    pub(crate) file: PathBuf,
    pub(crate) file_id: library::FileId,
    pub(crate) base: usize,
    pub(crate) size: u64,
}

/// One "uses" link: `user` imports symbols from `target` (`module_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Use {
    pub(crate) user: u64,
    pub(crate) target: u64,
}

/// The module list, the symbol table and the uses; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Modules {
    /// Newest first, as the kernel's list and `/proc/modules` are.
    list: Vec<Arc<Module>>,
    pub(crate) symbols: SymbolTable,
    /// Newest first, so holders list the latest user first.
    uses: Vec<Use>,
    pub(crate) last_unloaded: Option<String>,
    next_id: u64,
}

impl Modules {
    /// Registers a new module as `Unformed`.
    pub(crate) fn add(&mut self, new: NewModule, kernel: Weak<KernelInner>) -> Arc<Module> {
        self.next_id += 1;
        let params = new.info.params.iter().map(|p| p.default.clone()).collect();
        let name_for_context = new.name.clone();
        let module = Arc::new(Module {
            id: self.next_id,
            file: new.file,
            file_id: new.file_id,
            base: new.base,
            size: new.size,
            name: new.name,
            info: new.info,
            gpl_compatible: new.gpl_compatible,
            state: AtomicU8::new(ModuleState::Unformed as u8),
            taints: Taint::default(),
            extra_refs: AtomicU32::new(0),
            params: Mutex::new(params),
            param_writes: Mutex::new(()),
            entry: new.entry,
            library: Mutex::new(None),
            kernel,
            objects: Mutex::new(Vec::new()),
            context_name: Arc::from(name_for_context.as_str()),
            exit_job: Mutex::new(None),
            unloaded: AtomicBool::new(false),
        });
        self.list.insert(0, Arc::clone(&module));
        module
    }

    /// Removes a module with its exports and its uses of others.
    pub(crate) fn remove(&mut self, module: &Module) {
        self.symbols.unexport(module.id);
        self.uses.retain(|u| u.user != module.id);
        self.list.retain(|m| m.id != module.id);
    }

    /// The module of this name, in any state but `Unformed`.
    pub(crate) fn find(&self, name: &str) -> Option<&Arc<Module>> {
        self.list.iter().find(|m| m.name == name && m.state() != ModuleState::Unformed)
    }

    /// The module of this name in any state, `Unformed` included.
    pub(crate) fn find_any(&self, name: &str) -> Option<&Arc<Module>> {
        self.list.iter().find(|m| m.name == name)
    }

    /// The module with this id.
    pub(crate) fn by_id(&self, id: u64) -> Option<&Arc<Module>> {
        self.list.iter().find(|m| m.id == id)
    }

    /// The visible modules, newest first.
    pub(crate) fn visible(&self) -> impl Iterator<Item = &Arc<Module>> {
        self.list.iter().filter(|m| m.state() != ModuleState::Unformed)
    }

    /// Records that `user` uses `target` (once per pair, `ref_module`).
    pub(crate) fn add_use(&mut self, user: u64, target: u64) {
        let link = Use { user, target };
        if !self.uses.contains(&link) {
            self.uses.insert(0, link);
        }
    }

    /// The modules that use `module`, latest first (`source_list`).
    pub(crate) fn holders(&self, module: &Module) -> Vec<Arc<Module>> {
        self.uses.iter().filter(|u| u.target == module.id).filter_map(|u| self.by_id(u.user)).cloned().collect()
    }

    /// `module_refcount`: users plus extra references.
    pub(crate) fn refcount(&self, module: &Module) -> u32 {
        let users = self.uses.iter().filter(|u| u.target == module.id).count();
        u32::try_from(users).unwrap_or(u32::MAX).saturating_add(module.extra_refs.load(Ordering::Relaxed))
    }
}

/// Whether `name` is a valid module name: non-empty, shorter than
/// [`MODULE_NAME_LEN`], letters, digits, `_` and `-` only.
pub fn valid_module_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < MODULE_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// kmod's name normalisation: `-` becomes `_`, and everything from the first
/// `.` is cut (`fifo.so` → `fifo`).
pub fn normalize_name(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.split('.').next().unwrap_or(base);
    stem.replace('-', "_")
}
