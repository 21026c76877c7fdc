//! rmmod: from a live module back to nothing, with the library really unmapped.
//!
//! [`Kernel::rmmod`] follows the kernel's `delete_module`:
//!
//! 1. refuse a module that is not loaded (`ENOENT`) or that other modules
//!    use (`EWOULDBLOCK`, even when forced);
//! 2. refuse one still loading or already unloading (`EBUSY`), and one with
//!    extra references unless forced (`rmmod -f` taints `R`);
//! 3. `Going`; run exit with no lock held;
//! 4. remove the module's exports and its uses of other modules;
//! 5. unmap the library and check that it is gone; a library that stays
//!    resident is reported in dmesg and in [`Kernel::pinned_libraries`].
//!
//! Kernel counterpart: `delete_module`, `free_module` in
//! `kernel/module/main.c`.

use modhost_abi::errno::Errno;
use std::sync::Arc;

use super::{Module, ModuleState};
use crate::{
    error::{Error, ErrorKind, Result},
    kernel::Kernel,
    services::printk::Level,
    taint::TaintFlag,
};

impl Kernel {
    /// Unloads the module `name`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotLoaded`], [`ErrorKind::InUse`] (with the users in the
    /// message) or [`ErrorKind::Busy`]; nothing changes then.
    pub fn rmmod(&self, name: &str) -> Result<()> {
        self.delete_module(name, false)
    }

    /// Unloads the module `name` even if it holds extra references, tainting
    /// the kernel `R` (`rmmod -f`). A module other modules use is still refused.
    ///
    /// # Errors
    ///
    /// As [`Kernel::rmmod`].
    pub fn rmmod_force(&self, name: &str) -> Result<()> {
        self.delete_module(name, true)
    }

    fn delete_module(&self, name: &str, force: bool) -> Result<()> {
        let module = self.try_stop_module(name, force)?;
        // Wait for `/sys` parameter writes already calling into the module;
        // later ones see it `Going` and stay out.
        drop(module.param_writes.lock());
        (module.entry.exit)();
        self.free_unloaded_module(&module);
        Ok(())
    }

    /// Steps 1–3 up to `Going`, under the module lock.
    fn try_stop_module(&self, name: &str, force: bool) -> Result<Arc<Module>> {
        let modules = self.inner.modules.lock();
        let module = modules
            .find(name)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::NotLoaded, Errno::ENOENT, name, "not currently loaded"))?;
        let holders = modules.holders(&module);
        if !holders.is_empty() {
            let names: Vec<&str> = holders.iter().map(|h| h.name.as_str()).collect();
            return Err(Error::new(ErrorKind::InUse, Errno::EWOULDBLOCK, name, format!("in use by: {}", names.join(" "))));
        }
        if module.state() != ModuleState::Live {
            let what = if module.state() == ModuleState::Going { "already unloading" } else { "still loading" };
            return Err(Error::new(ErrorKind::Busy, Errno::EBUSY, name, what));
        }
        if modules.refcount(&module) > 0 {
            if !force {
                return Err(Error::new(ErrorKind::InUse, Errno::EWOULDBLOCK, name, "in use"));
            }
            self.inner.taint.add(TaintFlag::ForcedRmmod);
            self.inner.log(Level::Warning, &format!("{name}: forced unload taints kernel."));
        }
        module.set_state(ModuleState::Going);
        self.inner.modules_changed.notify_all();
        Ok(module)
    }

    /// Steps 4 and 5.
    fn free_unloaded_module(&self, module: &Arc<Module>) {
        {
            let mut modules = self.inner.modules.lock();
            modules.remove(module);
            modules.last_unloaded = Some(module.name.clone());
            self.inner.modules_changed.notify_all();
        }
        if let Some(library) = module.take_library() {
            self.inner.unmap(library, &module.name);
        }
    }
}
