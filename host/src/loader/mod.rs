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
//! (depmod and modprobe), [`modinfo`] (what the host copies from a module,
//! or reads from a file's [`sections`] without running it), [`version`] (vermagic, layout and signature checks), [`library`]
//! (dlopen and dlclose).
//!
//! # A module file is never trusted
//!
//! insmod never maps the file it is given. [`copy`] copies it into a
//! private, sealed memory file (the kernel copies a module's image into its
//! own memory too), so that nothing done to the file afterwards reaches a
//! loaded module and a rebuilt file always loads fresh; [`elf`] removes the
//! copy's ELF constructors and destructors, so that a module's code starts
//! at its init, and bounds every structure the dynamic linker will read of
//! it before `dlopen` sees it; [`descriptor`] bounds every pointer of the
//! `__this_module` descriptor before the host follows it; [`isolate`] runs
//! abi_stable's layout comparison, which follows the module's layout graph
//! further than the host can bound, in a child process. Each refusal is
//! `Invalid module format` with what was wrong. Left unchecked: the module's
//! code and read-only data, its unwind tables, which only its own code and
//! panics read, and the system libraries it names.
//!
//! The loader's unsafe code is in `library` (mapping, reading a mapped
//! library's bounded memory), `copy` (the memory file), `isolate` (the
//! child process) and the two casts of checked memory in `descriptor`.
//!
//! Kernel counterpart: `kernel/module/main.c`, `include/linux/module.h`.

pub(crate) mod callers;
mod copy;
mod descriptor;
mod elf;
pub(crate) mod image;
mod isolate;
mod kmod;
pub(crate) mod library;
mod load;
pub mod modinfo;
pub mod modprobe;
pub mod params;
mod resolve;
mod sections;
mod unload;
pub(crate) mod version;

use modhost_abi::descriptor::InitArgs;
use parking_lot::Mutex;
use std::{
    fmt,
    ops::Deref,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

pub use crate::services::record::ModuleState;
use crate::{
    kernel::KernelInner,
    services::{entry, record::ModuleRecord},
    symbols::SymbolTable,
};
use library::Library;
#[doc(hidden)]
pub use load::check_module_image;
use modinfo::ModInfo;

/// `MODULE_NAME_LEN` on 64-bit: 56 bytes including the NUL.
pub const MODULE_NAME_LEN: usize = 56;

/// The module's entry points, copied from its descriptor.
///
/// # Invariants
///
/// Each pointer is valid while the module's library is mapped; the loader
/// calls none of them after it unmaps the library.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) init: extern "C" fn(&InitArgs) -> i32,
    pub(crate) exit: extern "C" fn(),
    pub(crate) param_changed: extern "C" fn(u32) -> i32,
    /// Whether rmmod may remove it: a module with an init (`module_init`)
    /// and no exit (`module_exit`) can only be removed by force, as in the
    /// kernel.
    pub(crate) removable: bool,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("removable", &self.removable).finish_non_exhaustive()
    }
}

/// One loaded module instance, as the host knows it.
///
/// What the services share of it (name, state, taints, parameters,
/// references, the objects it made) is its [`ModuleRecord`], which a
/// `Module` derefs to; that record outlives the module's code.
pub struct Module {
    pub(crate) record: Arc<ModuleRecord>,
    pub(crate) info: ModInfo,
    pub(crate) file: PathBuf,
    pub(crate) file_id: library::FileId,
    pub(crate) gpl_compatible: bool,
    /// Serialises `/sys` writes, including the module's notification.
    pub(crate) param_writes: Mutex<()>,
    pub(crate) entry: Entry,
    pub(crate) base: usize,
    pub(crate) size: u64,
    /// The mapped library: attached once init succeeded, taken at unload.
    library: Mutex<Option<Library>>,
    /// The caller task's job running init, then exit and the clean-up
    /// once rmmod started.
    pub(crate) job: Mutex<Option<Arc<callers::Job>>>,
    /// Set when the module is gone: removed and its library unmapped.
    unloaded: AtomicBool,
}

impl Deref for Module {
    type Target = ModuleRecord;

    fn deref(&self) -> &ModuleRecord {
        &self.record
    }
}

impl Module {
    /// The instance's name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// The current state.
    pub fn state(&self) -> ModuleState {
        self.record.state()
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

    /// The taint letters shown after the module in `/proc/modules`, with the
    /// loading (`+`) or unloading (`-`) mark.
    pub(crate) fn flags(&self) -> String {
        let mut flags = self.taints.letters();
        match self.state() {
            ModuleState::Going | ModuleState::Gone => flags.push('-'),
            ModuleState::Coming | ModuleState::Unformed => flags.push('+'),
            ModuleState::Live => {}
        }
        flags
    }
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module").field("name", &self.name()).field("state", &self.state()).finish_non_exhaustive()
    }
}

/// A new, `Unformed` module to be registered.
pub(crate) struct NewModule {
    pub(crate) name: String,
    pub(crate) info: ModInfo,
    /// The parameters' initial values, in declaration order.
    pub(crate) param_defaults: Vec<modhost_abi::param::ParamValue>,
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
    /// Registers a new module as `Unformed`, its record in the handle
    /// registry; `None` if the registry is full.
    pub(crate) fn add(&mut self, new: NewModule, kernel: &KernelInner) -> Option<Arc<Module>> {
        self.next_id += 1;
        let params = new.param_defaults;
        let shown = new.info.params.clone();
        let show = Box::new(move |index: usize, value: &modhost_abi::param::ParamValue| {
            shown.get(index).map(|p| params::format_value(p, value)).unwrap_or_default()
        });
        let record = Arc::new(ModuleRecord::new(self.next_id, &new.name, Arc::clone(&kernel.services), params, show));
        entry::register_module(&record)?;
        let module = Arc::new(Module {
            record,
            file: new.file,
            file_id: new.file_id,
            base: new.base,
            size: new.size,
            info: new.info,
            gpl_compatible: new.gpl_compatible,
            param_writes: Mutex::new(()),
            entry: new.entry,
            library: Mutex::new(None),
            job: Mutex::new(None),
            unloaded: AtomicBool::new(false),
        });
        self.list.insert(0, Arc::clone(&module));
        Some(module)
    }

    /// Removes a module with its exports and its uses of others.
    pub(crate) fn remove(&mut self, module: &Module) {
        self.symbols.unexport(module.id);
        for used in self.uses.iter().filter(|u| u.user == module.id) {
            if let Some(target) = self.by_id(used.target) {
                target.users.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.uses.retain(|u| u.user != module.id);
        self.list.retain(|m| m.id != module.id);
    }

    /// The module of this name, in any state but `Unformed`.
    pub(crate) fn find(&self, name: &str) -> Option<&Arc<Module>> {
        self.list.iter().find(|m| m.name() == name && m.state() != ModuleState::Unformed)
    }

    /// The module of this name in any state, `Unformed` included.
    pub(crate) fn find_any(&self, name: &str) -> Option<&Arc<Module>> {
        self.list.iter().find(|m| m.name() == name)
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
            if let Some(target) = self.by_id(target) {
                target.users.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// The modules that use `module`, latest first (`source_list`).
    pub(crate) fn holders(&self, module: &Module) -> Vec<Arc<Module>> {
        self.uses.iter().filter(|u| u.target == module.id).filter_map(|u| self.by_id(u.user)).cloned().collect()
    }

    /// `module_refcount`: users plus extra references.
    pub(crate) fn refcount(&self, module: &Module) -> u32 {
        module.refcount()
    }
}

/// The rule [`valid_module_name`] checks, in words, for error messages.
pub const MODULE_NAME_RULE: &str = "a module name is 1 to 55 ASCII letters, digits, '_' or '-'";

/// Whether `name` is a valid module name: non-empty, shorter than
/// [`MODULE_NAME_LEN`], ASCII letters, digits, `_` and `-` only (so that it
/// is a `/sys/module` directory, a `/proc/modules` word and a C identifier).
pub fn valid_module_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < MODULE_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// kmod's name normalisation (`modname_normalize`): `-` becomes `_`, and
/// everything from the first `.` is cut (`fifo.so` → `fifo`). A `/` stays,
/// so that a path given as a name (`--name a/b`) is refused as invalid
/// rather than read as its last component.
pub fn normalize_name(name: &str) -> String {
    let stem = name.split('.').next().unwrap_or(name);
    stem.replace('-', "_")
}
