//! rmmod: from a live module back to nothing, with the library really unmapped.
//!
//! [`Kernel::rmmod`] follows the kernel's `delete_module`, and then does
//! what the kernel leaves to luck:
//!
//! 1. refuse a module that is not loaded (`ENOENT`) or that other modules
//!    use (`EWOULDBLOCK`, even when forced); refuse one still loading or
//!    already unloading (`EBUSY`) unless forced, which kills the tasks of
//!    an init or exit that outlived its command; refuse one with extra
//!    references unless forced (`rmmod -f` taints `R`);
//! 2. `Going`; interrupt the tasks running the module's work items, so
//!    that the interruptible wait each is in (or enters next) returns
//!    `-EINTR` once; kthreads are left to exit's `kthread_stop`;
//! 3. run exit on a caller task and wait for it at most the exit timeout
//!    (5 s by default): a stuck exit is reported (`INFO: task rmmod blocked
//!    for more than 5 seconds`), rmmod fails with `EBUSY`, and the module
//!    stays in lsmod as Unloading until its exit returns (the unload then
//!    completes by itself) or `rmmod -f` kills its tasks;
//! 4. after exit: stop and report whatever the module left behind (timers
//!    armed, work queued, workqueues allocated, kthreads running, sleepers on
//!    its locks), so that the host never calls into an unloaded module;
//! 5. remove its exports and its uses of other modules;
//! 6. unmap the library and check that it is gone; a library that stays
//!    resident is reported in dmesg and in [`Kernel::pinned_libraries`].
//!
//! Kernel counterpart: `delete_module`, `free_module` in
//! `kernel/module/main.c`.

use modhost_abi::errno::Errno;
use std::sync::{Arc, Weak};

use super::{Module, ModuleState, callers::Job};
use crate::{
    error::{Error, ErrorKind, Result},
    kernel::{Kernel, KernelInner},
    services::{
        printk::Level,
        task::{Task, TaskKind, tasks_of},
    },
    taint::TaintFlag,
};

/// What rmmod found when it tried to stop the module.
enum Stopping {
    /// A live module, now `Going`: its exit is to be run.
    Start(Arc<Module>),
    /// A module whose exit, clean-up or init is stuck, forced.
    Force(Arc<Module>, Option<Arc<Job>>),
}

impl Kernel {
    /// Unloads the module `name`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotLoaded`], [`ErrorKind::InUse`] (with the users in the
    /// message), or [`ErrorKind::Busy`] for a module still loading or
    /// unloading, or whose exit did not finish within the exit timeout (it
    /// then stays Unloading until it does, or until `rmmod_force`).
    pub fn rmmod(&self, name: &str) -> Result<()> {
        self.delete_module(name, false)
    }

    /// Unloads the module `name` even if it holds extra references, or if its
    /// exit is stuck (its tasks are killed: every wait they sleep in returns
    /// and their code unwinds); taints the kernel `R`. A module other
    /// modules use is still refused.
    ///
    /// # Errors
    ///
    /// As [`Kernel::rmmod`].
    pub fn rmmod_force(&self, name: &str) -> Result<()> {
        self.delete_module(name, true)
    }

    /// Unloads every module that can be unloaded, users before the modules
    /// they use, forced while `force()` says so. A module that cannot be
    /// unloaded (its exit or init is stuck, or a forced unload could not
    /// stop it) is skipped and reported, and so, by the order, is every
    /// module it uses; the others still get their exit. Returns the modules
    /// left loaded, newest first.
    pub fn unload_all(&self, force: &dyn Fn() -> bool) -> Vec<String> {
        let mut skipped = Vec::new();
        while let Some(name) = self.next_unused_module(&skipped) {
            let forced = force();
            let result = if forced { self.rmmod_force(&name) } else { self.rmmod(&name) };
            let Err(e) = result else { continue };
            // A forced unload requested while this one waited: retry so.
            if !forced && force() {
                continue;
            }
            self.inner.log(Level::Err, &format!("modhost: shutdown: {e}"));
            skipped.push(name);
        }
        let left: Vec<String> = self.lsmod().into_iter().map(|m| m.name).collect();
        if !left.is_empty() {
            self.inner.log(Level::Err, &format!("modhost: shutdown: left loaded: {}", left.join(" ")));
        }
        left
    }

    /// `rmmod -f` for every module whose init or exit is running now:
    /// kills their tasks, so that the waits they sleep in return and the
    /// unloads waiting for them go on (a second signal at shutdown).
    pub fn kill_stuck_modules(&self) {
        let stuck: Vec<Arc<Module>> = {
            let modules = self.inner.modules.lock();
            modules
                .visible()
                .filter(|m| matches!(m.state(), ModuleState::Coming | ModuleState::Going))
                .cloned()
                .collect()
        };
        for module in stuck {
            self.inner.taint.add(TaintFlag::ForcedRmmod);
            self.inner.log(Level::Warning, &format!("{}: forcing the unload: killing its tasks", module.name()));
            self.inner.kill_tasks_of(&module);
        }
    }

    /// A loaded module that no other module uses and that is not in `skipped`, newest first.
    fn next_unused_module(&self, skipped: &[String]) -> Option<String> {
        let modules = self.inner.modules.lock();
        modules
            .visible()
            .find(|m| modules.holders(m).is_empty() && !skipped.iter().any(|s| s == m.name()))
            .map(|m| m.name().to_string())
    }

    fn delete_module(&self, name: &str, force: bool) -> Result<()> {
        Task::current().adopt(self.inner.id);
        let (module, job) = match self.try_stop_module(name, force)? {
            Stopping::Start(module) => {
                self.inner.interrupt_tasks_of(&module);
                let job = self.inner.start_exit(&module);
                (module, job)
            }
            Stopping::Force(module, job) => {
                self.inner.log(Level::Warning, &format!("{name}: forcing the unload: killing its tasks"));
                self.inner.kill_tasks_of(&module);
                let job = job.unwrap_or_else(|| self.inner.start_cleanup(&module));
                (module, job)
            }
        };
        let finished = job.wait(&self.inner, Some(self.inner.exit_timeout));
        if finished && module.is_unloaded() {
            return Ok(());
        }
        let seconds = self.inner.exit_timeout.as_secs_f64();
        if !finished {
            self.inner.report_blocked_job(&job);
        }
        let what = if finished { "left code running" } else { "exit is blocked" };
        Err(Error::new(
            ErrorKind::Busy,
            Errno::EBUSY,
            name,
            format!("{what} after {seconds} seconds; the module stays unloading"),
        ))
    }

    /// Step 1 up to `Going`, under the module lock.
    fn try_stop_module(&self, name: &str, force: bool) -> Result<Stopping> {
        let modules = self.inner.modules.lock();
        let module = modules
            .find(name)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::NotLoaded, Errno::ENOENT, name, "not currently loaded"))?;
        let holders = modules.holders(&module);
        if !holders.is_empty() {
            let names: Vec<&str> = holders.iter().map(|h| h.name()).collect();
            return Err(Error::new(
                ErrorKind::InUse,
                Errno::EWOULDBLOCK,
                name,
                format!("in use by: {}", names.join(" ")),
            ));
        }
        match module.state() {
            ModuleState::Live if !module.entry.removable && !force => {
                return Err(Error::new(
                    ErrorKind::Busy,
                    Errno::EBUSY,
                    name,
                    "has no exit function (module_exit): only rmmod -f removes it",
                ));
            }
            ModuleState::Live => {}
            ModuleState::Going if force => {
                self.inner.taint.add(TaintFlag::ForcedRmmod);
                let job = module.job.lock().clone().filter(|job| !job.is_done());
                return Ok(Stopping::Force(module, job));
            }
            ModuleState::Going => return Err(Error::new(ErrorKind::Busy, Errno::EBUSY, name, "already unloading")),
            // An init that outlived its insmod: killing its task ends its
            // waits, and its load is undone when init returns.
            ModuleState::Coming if force && module.job.lock().is_some() => {
                self.inner.taint.add(TaintFlag::ForcedRmmod);
                let job = module.job.lock().clone();
                return Ok(Stopping::Force(module, job));
            }
            _ => return Err(Error::new(ErrorKind::Busy, Errno::EBUSY, name, "still loading")),
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
        Ok(Stopping::Start(module))
    }
}

impl KernelInner {
    /// Interrupts the tasks running `module`'s work items: the interruptible
    /// wait each is in returns (see `Task::interrupt`). kthreads are woken by
    /// `kthread_stop`, as in the kernel.
    fn interrupt_tasks_of(&self, module: &Module) {
        for task in self.tasks_in(module) {
            if !matches!(task.kind(), TaskKind::Caller | TaskKind::KThread) {
                task.interrupt();
            }
        }
    }

    /// Kills the tasks running `module`'s code: every wait returns, their code unwinds.
    fn kill_tasks_of(&self, module: &Module) {
        self.tasks_in(module).iter().for_each(|t| t.kill());
    }

    fn tasks_in(&self, module: &Module) -> Vec<Arc<Task>> {
        let mut tasks = tasks_of(self.id);
        tasks.retain(|t| t.context().is_some_and(|c| c.module == module.id));
        tasks
    }

    /// Step 3: runs exit, then steps 4–6, on a caller task.
    fn start_exit(self: &Arc<Self>, module: &Arc<Module>) -> Arc<Job> {
        let (kernel, dying) = (Arc::downgrade(self), Arc::downgrade(self));
        let (target, theirs) = (Arc::clone(module), Arc::clone(module));
        let exit = move || {
            // Wait for `/sys` parameter writes already calling into the
            // module; later ones see it `Going` and stay out.
            drop(target.param_writes.lock());
            let task = Task::current();
            {
                let _context = target.enter(&task);
                (target.entry.exit)();
            }
            task.clear_signals();
            finish(&kernel, &target);
        };
        // An exit killed by an Oops is over: the unload goes on without it.
        let job = self.callers.submit_or_die(self, "rmmod", exit, move || finish(&dying, &theirs));
        *module.job.lock() = Some(Arc::clone(&job));
        job
    }

    /// Steps 4–6 again, for a module whose clean-up left code running.
    fn start_cleanup(self: &Arc<Self>, module: &Arc<Module>) -> Arc<Job> {
        let kernel = Arc::downgrade(self);
        let target = Arc::clone(module);
        let job = self.callers.submit(self, "rmmod", move || finish(&kernel, &target));
        *module.job.lock() = Some(Arc::clone(&job));
        job
    }

    /// Steps 5 and 6, then the module is gone.
    fn free_unloaded_module(&self, module: &Arc<Module>) {
        {
            let mut modules = self.modules.lock();
            modules.remove(module);
            modules.last_unloaded = Some(module.name().to_string());
            self.modules_changed.notify_all();
        }
        if let Some(library) = module.take_library() {
            self.unmap(library, module.name(), Some(module));
        }
        module.mark_unloaded();
        self.retire(module);
    }
}

/// Steps 4–6 on the caller task, once exit has returned.
fn finish(kernel: &Weak<KernelInner>, module: &Arc<Module>) {
    let Some(kernel) = kernel.upgrade() else { return };
    if module.reclaim("at unload") {
        kernel.free_unloaded_module(module);
    }
}
