//! The module lifecycle: a type whose constructor is init and whose `Drop` is exit.
//!
//! A module is a type implementing [`Module`]. `init` builds it, and the host
//! keeps it in the library's [`ModuleCell`] until rmmod, when dropping it is
//! the module's exit. Timers, work items and threads are fields of that type,
//! so dropping the module tears them down in field order.
//!
//! The `extern "C"` entry points `module!` generates call the generic
//! functions at the bottom of this file, each under [`guard`].
//!
//! Kernel counterpart: `module_init`/`module_exit`, Rust-for-Linux's
//! `kernel::Module`.

use core::fmt;
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::{
    descriptor::{INIT_OOPSED, InitArgs},
    errno::{Errno, Result, to_kernel},
    param::ParamDesc,
    runtime::{self, guard},
};

/// A kernel module: `init` runs at insmod, `Drop` at rmmod.
pub trait Module: Sized + Send + Sync + 'static {
    /// Initialises the module; an error fails the insmod and nothing of the
    /// module remains.
    fn init(module: &'static ThisModule) -> Result<Self>;

    /// Tells the module that the writable parameter `name` changed through
    /// `/sys`; the new value is already visible to `get()`. Returning an error
    /// rejects the write and restores the old value.
    fn param_changed(&self, name: &str) -> Result {
        let _ = name;
        Ok(())
    }
}

/// The running module instance (`THIS_MODULE`).
#[derive(Debug)]
pub struct ThisModule(());

/// The one `THIS_MODULE` of this library instance.
pub static THIS_MODULE: ThisModule = ThisModule(());

impl ThisModule {
    /// The instance's name: the module's name, or the one `insmod --name` gave it.
    pub fn name(&self) -> &'static str {
        runtime::module_name().unwrap_or("(unbound)")
    }

    /// `try_module_get(THIS_MODULE)`: a reference that keeps the module from
    /// being unloaded (rmmod says it is in use) until it is dropped; `None`
    /// once the module is going away.
    pub fn try_get(&'static self) -> Option<ModuleRef> {
        runtime::module_get().then_some(ModuleRef(()))
    }
}

/// A reference on this module, from [`ThisModule::try_get`]; dropping it is
/// `module_put`.
#[derive(Debug)]
pub struct ModuleRef(());

impl Drop for ModuleRef {
    fn drop(&mut self) {
        runtime::module_put();
    }
}

/// Holds the live module instance between init and exit.
///
/// Exported functions reach their module's state through it
/// (`this_module().with(|m| ...)`, which `module!` generates). It takes no
/// lock, so the hot path of an export costs one atomic load: the host
/// guarantees that a module's exit runs only once no other module uses its
/// symbols and no task runs its code, so an export never sees the instance
/// go away under it. A module's own callbacks (timers, work) should capture
/// the state they need (an `Arc`) rather than go through the cell: exit
/// stops them while the instance is being dropped.
pub struct ModuleCell<T> {
    instance: AtomicPtr<T>,
}

impl<T> ModuleCell<T> {
    /// An empty cell, before init.
    pub const fn new() -> Self {
        ModuleCell { instance: AtomicPtr::new(core::ptr::null_mut()) }
    }

    fn set(&self, module: T) {
        let old = self.instance.swap(Box::into_raw(Box::new(module)), Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: A non-null pointer in the cell came from `Box::into_raw`
            // and is owned by the cell; init runs once, so this is not reached.
            drop(unsafe { Box::from_raw(old) });
        }
    }

    fn take(&self) -> Option<T> {
        let instance = self.instance.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: As in `set`: the cell owned the box, and swapping in null
        // gives that ownership to this call alone.
        (!instance.is_null()).then(|| *unsafe { Box::from_raw(instance) })
    }

    /// Runs `f` with the live instance, or returns `None` before init and after exit.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let instance = self.instance.load(Ordering::Acquire);
        // SAFETY: A non-null pointer is the boxed instance, which stays alive
        // until exit takes it; by the host's unload order (see the type's
        // docs) no caller of `with` runs then.
        (!instance.is_null()).then(|| f(unsafe { &*instance }))
    }
}

impl<T> Default for ModuleCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for ModuleCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ModuleCell")
    }
}

// SAFETY: The cell hands out `&T` to any thread (so `T: Sync`) and moves the
// instance in and out across threads (so `T: Send`); `Module` requires both.
unsafe impl<T: Send + Sync> Sync for ModuleCell<T> {}

/// `module_init`: binds the library to its host, then builds the module.
///
/// Returns `0`, or `-errno` from init, or [`INIT_OOPSED`] if init panicked.
pub fn init<T: Module>(cell: &'static ModuleCell<T>, args: &InitArgs) -> i32 {
    runtime::bind(args);
    match guard(|| T::init(&THIS_MODULE)) {
        Some(Ok(module)) => {
            cell.set(module);
            0
        }
        Some(Err(e)) => e.to_kernel(),
        None => INIT_OOPSED,
    }
}

/// `module_exit`: drops the module.
pub fn exit<T: Module>(cell: &'static ModuleCell<T>) {
    let _ = guard(|| drop(cell.take()));
}

/// Tells the module that parameter `index` of `params` changed.
pub fn param_changed<T: Module>(cell: &'static ModuleCell<T>, params: &'static [ParamDesc], index: u32) -> i32 {
    let Some(desc) = params.get(index as usize) else {
        return Errno::EINVAL.to_kernel();
    };
    let result = guard(|| cell.with(|m| m.param_changed(desc.name.as_str())));
    match result {
        Some(Some(result)) => to_kernel(result),
        Some(None) => Errno::ENODEV.to_kernel(),
        None => Errno::EFAULT.to_kernel(),
    }
}
