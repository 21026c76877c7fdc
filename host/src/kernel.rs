//! The kernel: the one object that owns every subsystem of a modhost instance.
//!
//! A [`Kernel`] is booted with a [`KernelBuilder`], and everything a user
//! does goes through its methods: insmod, rmmod, lsmod, modinfo, modprobe,
//! dmesg and the `/proc` and `/sys` files. Those methods live beside the
//! mechanism they drive (`loader/load.rs` has `insmod`, `views/` has the
//! files); this file holds the state they share.
//!
//! Dropping the kernel unloads every module, users before the modules they
//! use, as `modhost` does when it exits.
//!
//! # Lock order
//!
//! Take locks in this order, never the reverse:
//!
//! 1. `modules` (the kernel's `module_mutex`): the module list, the symbol
//!    table and the uses between modules;
//! 2. a module's `param_writes`, then its `params`;
//! 3. the timer base, then a timer's state; a workqueue's pool, then its
//!    work items' states (never two pools at once); a lock primitive's own
//!    state (semaphores, mutexes, wait queues, completions); the handle
//!    registry's free list (only to register and free; lookups take no lock);
//!    a module's memory (the objects in its blocks, then its index of
//!    blocks: `services/kmem.rs`);
//! 4. a task's park lock (`Task::wake_up`, `Task::schedule`);
//! 5. `printk`'s ring, then its console sink (a sink must not printk);
//! 6. the process-wide library registry in `loader/library.rs`.
//!
//! Module code (`init`, `exit`, a parameter notification) is never called
//! with `modules` or `params` held: it may call back into services that
//! take them.
//!
//! [`KernelInner`] is the loader's state around the kernel's
//! [`Services`], which it derefs to: the services know nothing of the
//! module list, and the loader reaches them as its own fields.

use modhost_abi::table::{KernelServicesRef, ModuleHandle};
use parking_lot::{Condvar, Mutex};
use std::{
    fmt,
    ops::Deref,
    path::PathBuf,
    sync::{
        Arc, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use crate::{
    debug::daemon::Daemon,
    loader::{Modules, callers::Callers},
    services::{
        self, Services,
        clock::{Clock, DEFAULT_HZ},
        printk::{DEFAULT_RING_BYTES, Level, Printk, Record},
        record::ModuleRecord,
    },
    taint::Taint,
};

/// The environment variable that adds directories to the module search path.
pub const MODULE_PATH_ENV: &str = "MODHOST_MODULE_PATH";

/// How long a load waits for a module it needs that is still in its init
/// (the kernel's 30 s in `resolve_symbol_wait`).
pub(crate) const INIT_WAIT: Duration = Duration::from_secs(30);

/// A running modhost instance; see the module docs.
pub struct Kernel {
    pub(crate) inner: Arc<KernelInner>,
    /// Whether dropping this value shuts the kernel down: `false` for the
    /// shell's background jobs' [`Kernel::alias`]es.
    owner: bool,
}

/// The state every part of the kernel shares: its services, and the loader's.
pub(crate) struct KernelInner {
    /// What modules get: the clock, printk, taint, reports, timers,
    /// workqueues (the exit timeout, how long rmmod waits for a module's
    /// exit and what it left running, is there too).
    pub(crate) services: Arc<Services>,
    /// How long a task may sleep uninterruptibly before the hung-task
    /// detector reports it.
    pub(crate) hung_task_timeout: Duration,
    /// The working directory at boot (or [`KernelBuilder::base_dir`]),
    /// which relative module paths are resolved against: a module that
    /// changes the process's directory changes nothing for the host.
    pub(crate) boot_dir: PathBuf,
    /// The module search path, absolute.
    pub(crate) module_path: Vec<PathBuf>,
    /// `module_mutex`; see the lock order.
    pub(crate) modules: Mutex<Modules>,
    /// Signalled whenever a module changes state or goes away.
    pub(crate) modules_changed: Condvar,
    /// Libraries that stayed mapped after their module was removed.
    pub(crate) pinned: Mutex<Vec<PathBuf>>,
    /// The threads that run module exits.
    pub(crate) callers: Callers,
    /// `khungtaskd`.
    pub(crate) hung_task: Daemon,
    /// How long a callback may run without returning or sleeping before
    /// the soft-lockup watchdog reports it (twice `watchdog_thresh`).
    pub(crate) softlockup_thresh: Duration,
    /// `watchdog/0`, the soft-lockup detector.
    pub(crate) watchdog: Daemon,
    /// `kslabcheckd`, the periodic check of module memory.
    pub(crate) slab_check: Daemon,
}

impl Deref for KernelInner {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

static NEXT_KERNEL_ID: AtomicU64 = AtomicU64::new(1);

/// Configures and boots a [`Kernel`].
#[derive(Debug, Clone)]
pub struct KernelBuilder {
    hz: u32,
    manual_clock: bool,
    module_path: Vec<PathBuf>,
    base_dir: Option<PathBuf>,
    ring_bytes: usize,
    console_level: Option<u8>,
    exit_timeout: Duration,
    hung_task_timeout: Duration,
    watchdog_thresh: Duration,
    debug: bool,
}

/// How long rmmod waits for a module's exit by default.
pub const DEFAULT_EXIT_TIMEOUT: Duration = Duration::from_secs(5);

/// The hung-task detector's threshold by default (the kernel's
/// `hung_task_timeout_secs`).
pub const DEFAULT_HUNG_TASK_TIMEOUT: Duration = Duration::from_secs(120);

/// The kernel's `watchdog_thresh` by default: a soft lockup is reported
/// after twice this.
pub const DEFAULT_WATCHDOG_THRESH: Duration = Duration::from_secs(10);

impl Default for KernelBuilder {
    fn default() -> Self {
        KernelBuilder {
            hz: DEFAULT_HZ,
            manual_clock: false,
            module_path: Vec::new(),
            base_dir: None,
            ring_bytes: DEFAULT_RING_BYTES,
            console_level: None,
            exit_timeout: DEFAULT_EXIT_TIMEOUT,
            hung_task_timeout: DEFAULT_HUNG_TASK_TIMEOUT,
            watchdog_thresh: DEFAULT_WATCHDOG_THRESH,
            debug: true,
        }
    }
}

impl KernelBuilder {
    /// Sets `HZ`, the jiffies per second (default 250).
    pub fn hz(mut self, hz: u32) -> Self {
        self.hz = hz;
        self
    }

    /// Uses a clock that moves only when told to ([`Clock::advance`]), for
    /// deterministic tests.
    pub fn manual_clock(mut self) -> Self {
        self.manual_clock = true;
        self
    }

    /// Adds a directory to the module search path (searched in order).
    pub fn module_path(mut self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.module_path.push(dir.canonicalize().unwrap_or(dir));
        self
    }

    /// Resolves relative module file paths (`insmod lab/fifo.ko`) from
    /// `dir` instead of the working directory at boot: `modhost check`
    /// resolves them from the scenario's directory.
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// Sets the size of the printk ring in bytes.
    pub fn ring_bytes(mut self, bytes: usize) -> Self {
        self.ring_bytes = bytes;
        self
    }

    /// Sets the console level (messages below it reach the console sink).
    pub fn console_level(mut self, level: u8) -> Self {
        self.console_level = Some(level);
        self
    }

    /// Sets how long rmmod waits for a module's exit (real time, default 5 s)
    /// before it reports the module as blocked and returns.
    pub fn exit_timeout(mut self, timeout: Duration) -> Self {
        self.exit_timeout = timeout;
        self
    }

    /// Sets how long a module task may sleep uninterruptibly (kernel clock,
    /// default 120 s) before the hung-task detector reports it.
    pub fn hung_task_timeout(mut self, timeout: Duration) -> Self {
        self.hung_task_timeout = timeout;
        self
    }

    /// Sets `watchdog_thresh` (real time, default 10 s): a callback on the
    /// timer thread or a worker that runs for twice this without returning
    /// or sleeping is reported as a soft lockup, and the other timers move
    /// to a fresh thread.
    pub fn watchdog_thresh(mut self, thresh: Duration) -> Self {
        self.watchdog_thresh = thresh;
        self
    }

    /// Whether the teaching diagnostics check every call (on by default):
    /// lockdep and the explanation of rmmod's waits. Off, the checks cost
    /// nothing and report nothing (`--no-debug`).
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }

    /// Boots the kernel.
    pub fn boot(self) -> Kernel {
        let clock = if self.manual_clock { Clock::manual(self.hz) } else { Clock::real(self.hz) };
        let printk = Printk::new(clock.clone(), self.ring_bytes);
        if let Some(level) = self.console_level {
            printk.set_console_level(level);
        }
        let id = NEXT_KERNEL_ID.fetch_add(1, Ordering::Relaxed);
        let services = Arc::new(Services::new(id, clock, self.exit_timeout, printk));
        services.lockdep.set_enabled(self.debug);
        services::register_kernel(&services);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let boot_dir = self.base_dir.as_ref().map_or_else(|| cwd.clone(), |dir| cwd.join(dir));
        let module_path = self.module_path.iter().map(|dir| cwd.join(dir)).collect();
        let inner = Arc::new(KernelInner {
            services,
            hung_task_timeout: self.hung_task_timeout,
            boot_dir,
            callers: Callers::default(),
            hung_task: Daemon::default(),
            softlockup_thresh: self.watchdog_thresh * 2,
            watchdog: Daemon::default(),
            slab_check: Daemon::default(),
            module_path,
            modules: Mutex::new(Modules::default()),
            modules_changed: Condvar::new(),
            pinned: Mutex::new(Vec::new()),
        });
        let (weak, theirs, callers) = (Arc::downgrade(&inner), Arc::downgrade(&inner), Arc::downgrade(&inner));
        inner.services.set_module_list(
            Box::new(move || linked_in(&weak)),
            Box::new(move |id| module_of(&theirs, id)),
            Box::new(move |symbol| symbol_callers(&callers, symbol)),
        );
        inner
            .printk
            .log(Level::Notice, &format!("modhost version {} (HZ={})", env!("CARGO_PKG_VERSION"), inner.clock.hz()));
        Kernel { inner, owner: true }
    }
}

impl Kernel {
    /// A builder with the defaults: real clock, HZ=250, no module path.
    pub fn builder() -> KernelBuilder {
        KernelBuilder::default()
    }

    /// The kernel clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The kernel log.
    pub fn printk(&self) -> &Printk {
        &self.inner.printk
    }

    /// The records in the kernel log since it was last cleared.
    pub fn dmesg(&self) -> Vec<Record> {
        self.inner.printk.records()
    }

    /// The kernel-wide taint flags (`/proc/sys/kernel/tainted`).
    pub fn taint(&self) -> &Taint {
        &self.inner.taint
    }

    /// The module search path.
    pub fn module_path(&self) -> &[PathBuf] {
        &self.inner.module_path
    }

    /// Libraries that stayed mapped after their module was removed; always
    /// empty unless a module pinned itself (a bug in the module).
    pub fn pinned_libraries(&self) -> Vec<PathBuf> {
        self.inner.pinned.lock().clone()
    }

    /// Waits until nothing in the kernel can make progress without the clock
    /// moving: every worker, kthread and timer is idle or asleep with nothing
    /// pending. Tests call it after advancing a manual clock. Returns `false`
    /// if that did not happen within ten seconds of real time.
    pub fn settle(&self) -> bool {
        crate::services::task::settle(self.inner.id, Duration::from_secs(10))
    }

    /// The service table and the handle of the loaded module `name`, to call
    /// the table as that module's code would: for tests of the entry layer
    /// (stale, forged and foreign handles), not for users.
    #[doc(hidden)]
    pub fn service_table_of(&self, name: &str) -> Option<(KernelServicesRef, ModuleHandle)> {
        let modules = self.inner.modules.lock();
        let handle = modules.find(name)?.handle.get().copied()?;
        Some((services::entry::table(), handle))
    }

    /// Unloads every module that can be unloaded, users before the modules
    /// they use, then stops the kernel's own threads; returns the modules
    /// left loaded (a module whose init or exit is stuck, and what it uses).
    #[must_use = "modules left loaded are worth reporting"]
    pub fn shutdown(&self) -> Vec<String> {
        let left = self.unload_all(&|| false);
        self.stop_threads();
        left
    }

    /// Stops the kernel's own threads: workers, the timer thread, idle
    /// caller tasks, khungtaskd, the watchdog, kslabcheckd.
    pub(crate) fn stop_threads(&self) {
        self.inner.workqueues.shutdown();
        self.inner.timers.shutdown();
        self.inner.callers.shutdown();
        self.inner.hung_task.shutdown();
        self.inner.watchdog.shutdown();
        self.inner.slab_check.shutdown();
    }
}

impl Kernel {
    /// Another handle to the same kernel, for a thread that may outlive
    /// the caller's borrow (a background job); dropping it shuts nothing down.
    pub(crate) fn alias(&self) -> Kernel {
        Kernel { inner: Arc::clone(&self.inner), owner: false }
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        // Whatever stays loaded has been reported in dmesg by `unload_all`.
        let _left = self.shutdown();
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel").field("clock", &self.inner.clock).finish_non_exhaustive()
    }
}

/// A report's `Modules linked in:` line: the visible modules with their
/// flags, and the last one unloaded.
/// The record of the loaded module numbered `id`.
fn module_of(kernel: &Weak<KernelInner>, id: u64) -> Option<Arc<ModuleRecord>> {
    let kernel = kernel.upgrade()?;
    let modules = kernel.modules.try_lock_for(Duration::from_millis(100))?;
    modules.visible().find(|m| m.record.id == id).map(|m| Arc::clone(&m.record))
}

fn symbol_callers(kernel: &Weak<KernelInner>, symbol: &str) -> Option<Vec<String>> {
    let kernel = kernel.upgrade()?;
    let modules = kernel.modules.try_lock_for(Duration::from_millis(100))?;
    modules.symbols.lookup(symbol)?;
    let users = modules.visible().filter(|m| m.info.imports.iter().any(|i| i == symbol));
    Some(users.map(|m| m.name().to_string()).collect())
}

fn linked_in(kernel: &Weak<KernelInner>) -> Option<String> {
    let kernel = kernel.upgrade()?;
    // Never wait long for the module list only to print it.
    let modules = kernel.modules.try_lock_for(Duration::from_millis(100))?;
    let linked: Vec<String> = modules
        .visible()
        .map(|m| match m.flags() {
            flags if flags.is_empty() => m.name().to_string(),
            flags => format!("{}({flags})", m.name()),
        })
        .collect();
    let last = modules.last_unloaded.as_ref().map(|l| format!(" [last unloaded: {l}]")).unwrap_or_default();
    Some(format!("{}{last}", linked.join(" ")))
}
