//! The kernel's services for modules, in two layers.
//!
//! [`entry`] is the one way in: every function of the service table the
//! host hands to `init` is generated there, and each checks the caller's
//! module and handles, catches host panics, applies the context rules and
//! maps errors to errno, the same way. Behind it, the mechanisms are plain
//! Rust types that know nothing of the loader or the module list: each
//! works on its own state with a narrow context (a clock, the reports, the
//! owning [`record::ModuleRecord`]), so it can be read and tested alone.
//!
//! - time and tasks: [`clock`], [`task`] (who runs, sleeps and is woken),
//!   [`wait`] (the one wait-until loop), [`handoff`] (waiting in line,
//!   bounded spinning), [`sched`] (`might_sleep`, timeouts);
//! - the log: [`printk`];
//! - what modules make: [`object`] (kernel objects and their owners),
//!   [`callback`] (a module's callback and its release), [`record`] (the
//!   module as the services see it), [`semaphore`], [`mutex`],
//!   [`spinlock`], [`completion`], [`waitqueue`], [`timer`], [`workqueue`],
//!   [`kthread`], [`proc_entry`], [`chardev`] (devices and open files);
//! - what modules run: [`umh`] (user-mode helpers).
//!
//! [`Services`] is what one kernel's modules share: its clock, log, taint
//! and reports, its timers and workqueues.
//!
//! Kernel counterpart: the core kernel API that modules link against.

pub(crate) mod callback;
pub(crate) mod chardev;
pub mod clock;
mod completion;
pub(crate) mod entry;
pub(crate) mod handoff;
pub(crate) mod kallsyms;
pub(crate) mod kmem;
pub mod kthread;
mod mutex;
pub(crate) mod object;
pub mod printk;
pub(crate) mod proc_entry;
pub mod record;
pub(crate) mod sched;
mod semaphore;
mod spinlock;
pub mod task;
pub mod timer;
pub(crate) mod umh;
pub(crate) mod wait;
mod waitqueue;
pub mod workqueue;

use parking_lot::Mutex;
use std::{
    fmt,
    sync::{Arc, OnceLock, Weak},
    time::Duration,
};

use crate::taint::Taint;
use clock::Clock;
use printk::{Level, Printk};
use proc_entry::ProcEntries;
use timer::TimerBase;
use workqueue::Workqueues;

/// What names the loaded modules for a report's `Modules linked in:` line.
pub(crate) type LinkedIn = Box<dyn Fn() -> Option<String> + Send + Sync>;

/// What lists the loaded modules that import a symbol (`None`: no module
/// exports it), for the wait-for chain.
pub(crate) type SymbolCallers = Box<dyn Fn(&str) -> Option<Vec<String>> + Send + Sync>;

/// What finds a loaded module's record by its id, for a report about the
/// task running its code.
pub(crate) type ModuleOf = Box<dyn Fn(u64) -> Option<Arc<record::ModuleRecord>> + Send + Sync>;

/// One kernel's services: what its modules, their objects and its tasks
/// share. The loader's state is not here (see [`crate::kernel`]).
pub(crate) struct Services {
    /// Tells this kernel's tasks and objects from other kernels' in the
    /// same process.
    pub(crate) id: u64,
    pub(crate) clock: Clock,
    /// A real clock, for bounds that protect the user's time whatever the
    /// kernel clock does.
    pub(crate) wall: Clock,
    /// How long an unload waits for what a module left running.
    pub(crate) exit_timeout: Duration,
    pub(crate) printk: Printk,
    pub(crate) taint: Taint,
    /// The `Modules linked in:` line, set by the kernel at boot.
    linked_in: OnceLock<LinkedIn>,
    /// A module's record by id, set by the kernel at boot.
    module_of: OnceLock<ModuleOf>,
    /// The importers of a symbol, set by the kernel at boot.
    symbol_callers: OnceLock<SymbolCallers>,
    pub(crate) timers: TimerBase,
    pub(crate) workqueues: Workqueues,
    pub(crate) proc_entries: ProcEntries,
    /// Character devices (`/dev`).
    pub(crate) chrdevs: chardev::ChrDevs,
    /// The loaded modules' symbols.
    pub(crate) kallsyms: kallsyms::Kallsyms,
    /// Oopses so far (the kernel's `die_counter`: `Oops: 0002 [#1]`).
    pub(crate) oopses: std::sync::atomic::AtomicU32,
    /// Fault injection: `kmalloc` fails (`/sys/kernel/debug/failslab`).
    pub(crate) failslab: crate::debug::fault_inject::FaultAttr,
    /// Fault injection: an interruptible `down` fails with `-EINTR`.
    pub(crate) fail_down: crate::debug::fault_inject::FaultAttr,
    /// The lock dependency checker.
    pub(crate) lockdep: crate::debug::lockdep::Lockdep,
    /// The module exits' waits in progress, for their explanations.
    pub(crate) exit_waits: crate::debug::waitfor::ExitWaits,
}

impl Services {
    /// The services of a new kernel numbered `id`.
    pub(crate) fn new(id: u64, clock: Clock, exit_timeout: Duration, printk: Printk) -> Services {
        Services {
            id,
            wall: Clock::real(clock.hz()),
            exit_timeout,
            printk,
            taint: Taint::default(),
            linked_in: OnceLock::new(),
            module_of: OnceLock::new(),
            symbol_callers: OnceLock::new(),
            timers: TimerBase::new(clock.clone()),
            workqueues: Workqueues::new(),
            proc_entries: ProcEntries::default(),
            chrdevs: chardev::ChrDevs::default(),
            kallsyms: kallsyms::Kallsyms::default(),
            oopses: std::sync::atomic::AtomicU32::new(0),
            failslab: crate::debug::fault_inject::FaultAttr::new("failslab"),
            fail_down: crate::debug::fault_inject::FaultAttr::new("fail_down"),
            lockdep: crate::debug::lockdep::Lockdep::default(),
            exit_waits: crate::debug::waitfor::ExitWaits::default(),
            clock,
        }
    }

    /// Logs `text` at `level`.
    pub(crate) fn log(&self, level: Level, text: &str) {
        self.printk.log(level, text);
    }

    /// Sets how reports name the loaded modules and find one.
    pub(crate) fn set_module_list(&self, linked_in: LinkedIn, module_of: ModuleOf, callers: SymbolCallers) {
        let _ = self.linked_in.set(linked_in);
        let _ = self.module_of.set(module_of);
        let _ = self.symbol_callers.set(callers);
    }

    /// The loaded modules importing `symbol`; `None` if no module exports
    /// it (or the list cannot be read now).
    pub(crate) fn symbol_callers(&self, symbol: &str) -> Option<Vec<String>> {
        self.symbol_callers.get().and_then(|find| find(symbol))
    }

    /// The loaded module numbered `id`, if it is.
    pub(crate) fn module_record(&self, id: u64) -> Option<Arc<record::ModuleRecord>> {
        self.module_of.get().and_then(|find| find(id))
    }

    /// The loaded modules, as a report's `Modules linked in:` line shows
    /// them; `None` if they cannot be listed now.
    pub(crate) fn linked_in(&self) -> Option<String> {
        self.linked_in.get().and_then(|list| list())
    }
}

/// The services of every kernel of the process, for a report that has no
/// module to go through.
static KERNELS: Mutex<Vec<Weak<Services>>> = Mutex::new(Vec::new());

/// Records a booted kernel's services.
pub(crate) fn register_kernel(services: &Arc<Services>) {
    let mut kernels = KERNELS.lock();
    kernels.retain(|k| k.strong_count() > 0);
    kernels.push(Arc::downgrade(services));
}

/// The services of the kernel the calling task belongs to.
pub(crate) fn kernel_of_current_task() -> Option<Arc<Services>> {
    let id = task::Task::current().kernel();
    KERNELS.lock().iter().filter_map(Weak::upgrade).find(|k| k.id == id)
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services").field("id", &self.id).field("clock", &self.clock).finish_non_exhaustive()
    }
}
