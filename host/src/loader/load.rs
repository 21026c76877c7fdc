//! insmod: from a `.so` file to a live module.
//!
//! [`Kernel::insmod`] reads as the kernel's `load_module`, one named step at
//! a time, each where the kernel has it:
//!
//! 1. copy the file, check the copy's ELF, map it and check its header:
//!    magic, vermagic, descriptor layout, every descriptor pointer
//!    (`Invalid module format` otherwise; see the loader's docs);
//! 2. reserve the name (`File exists` if taken);
//! 3. taint for the license;
//! 4. resolve every import (`Unknown symbol in module`), waiting for an
//!    exporter still in its init;
//! 5. refuse duplicate exports, register ours, record the uses: `Coming`;
//! 6. parse the parameters (`Invalid parameters`);
//! 7. run init with the module lock released;
//! 8. `Live`.
//!
//! A failure at any step undoes all earlier ones: the name, exports and uses
//! are gone and the library is unmapped; only taints stay, as in the kernel.
//!
//! Kernel counterpart: `load_module`, `do_init_module` in
//! `kernel/module/main.c`.

use modhost_abi::{
    descriptor::{INIT_BAD_PARAMS, INIT_OOPSED, InitArgs, ModuleInfo},
    errno::Errno,
    table::ModuleHandle,
};
use parking_lot::Mutex;
use std::{
    ffi::c_void,
    path::{Path, PathBuf},
    sync::{Arc, atomic::Ordering},
    time::Instant,
};

use super::{
    Module, ModuleState, NewModule,
    callers::Bounded,
    image::Image,
    kmod,
    library::{Library, Residency},
    modinfo::{self, ModInfo},
    normalize_name, params,
    resolve::{self, Resolution},
    valid_module_name,
    version::{self, Descriptor},
};
use crate::{
    error::{Error, ErrorKind, Result},
    kernel::{INIT_WAIT, Kernel, KernelInner},
    services::{entry, printk::Level, task::Task},
    taint::{TaintFlag, license_is_gpl_compatible},
};

impl Kernel {
    /// Loads the module in `file` with kernel-style arguments
    /// (`"item=A rate=5"`) and returns its name.
    ///
    /// `file` is a path, or a file name looked up in the module search path
    /// (`fifo.so` also finds `libfifo.so`).
    ///
    /// # Errors
    ///
    /// Whatever step failed, with the kernel's errno; see [`ErrorKind`].
    pub fn insmod(&self, file: impl AsRef<Path>, args: &str) -> Result<String> {
        self.insmod_named(file, None, args)
    }

    /// Loads the module in `file` as an instance called `name` (each
    /// instance has its own statics, parameters and symbol uses).
    ///
    /// # Errors
    ///
    /// As [`Kernel::insmod`].
    pub fn insmod_named(&self, file: impl AsRef<Path>, name: Option<&str>, args: &str) -> Result<String> {
        Task::current().adopt(self.inner.id);
        let file = self.find_module_file(file.as_ref())?;
        let library = Library::open(&file).map_err(|e| modinfo::open_error(&file.display().to_string(), &e))?;
        match self.load_module(&library, &file, name, args) {
            Ok(module) => self.do_init_module(module, library),
            Err(Failed { error, module: Some(module) }) => {
                self.inner.discard(&module, library, "after its failed load");
                Err(error)
            }
            Err(Failed { error, module: None }) => {
                self.inner.unmap(library, &file_module_name(&file), None);
                Err(error)
            }
        }
    }

    /// Resolves a module file name: an existing path as given (relative to
    /// the directory at boot), else the module search path, trying `NAME`,
    /// `libNAME`, `NAME.ko`, `NAME.so`, `libNAME.so`. A path that exists but cannot be
    /// looked up (a symbolic link loop, a directory without permission)
    /// fails with its own errno, not as a missing file.
    pub(crate) fn find_module_file(&self, spec: &Path) -> Result<PathBuf> {
        let given = self.inner.boot_dir.join(spec);
        match std::fs::symlink_metadata(&given) {
            Ok(_) => return Ok(given),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(ErrorKind::Open, spec.display().to_string(), &e));
            }
            Err(_) if spec.components().count() > 1 => return Ok(given),
            Err(_) => {}
        }
        let name = spec.to_string_lossy();
        let mut candidates = vec![name.to_string(), format!("lib{name}")];
        if spec.extension().is_none() {
            candidates.extend([format!("{name}.ko"), format!("{name}.so"), format!("lib{name}.so")]);
        }
        self.inner
            .module_path
            .iter()
            .flat_map(|dir| candidates.iter().map(move |c| dir.join(c)))
            .find(|p| p.is_file())
            .ok_or_else(|| Error::new(ErrorKind::Open, Errno::ENOENT, name.to_string(), "no such file or directory"))
    }

    /// Steps 1–6; [`Kernel::do_init_module`] runs init and makes the module live.
    fn load_module(
        &self,
        library: &Library,
        file: &Path,
        name: Option<&str>,
        args: &str,
    ) -> std::result::Result<Arc<Module>, Failed> {
        let image = self.check_header(library, file)?;
        let name = normalize_name(name.unwrap_or(&image.info.name));
        if !valid_module_name(&name) {
            return Err(Error::new(ErrorKind::InvalidName, Errno::EINVAL, name, "invalid module name").into());
        }
        let (module, image) = self.add_unformed_module(name, image, library)?;
        match self.prepare_module(&module, &image, args) {
            Ok(()) => Ok(module),
            Err(error) => {
                self.inner.free_module(&module);
                Err(Failed { error, module: Some(module) })
            }
        }
    }

    /// Step 1: the header, in the ABI's order, then the descriptor.
    fn check_header(&self, library: &Library, file: &Path) -> Result<Image> {
        let name = file_module_name(file);
        let image = match version::check_header(library.header(), library.file_id()) {
            // SAFETY: the library stays mapped as long as the module is
            // loaded, which is as long as the loader keeps the image.
            Ok(Descriptor::Rust(desc)) => Ok(Image::of_descriptor(unsafe { extend(desc) })),
            Ok(Descriptor::Kbuild(address)) => kbuild_image(library, address, &name),
            Err(e) => Err(modinfo::header_error(&name, &e)),
        };
        image.inspect_err(|error| self.inner.log(Level::Err, &error.to_string()))
    }

    /// Step 2: reserves the name (`add_unformed_module`).
    fn add_unformed_module(&self, name: String, image: Image, library: &Library) -> Result<(Arc<Module>, Image)> {
        let mut modules = self.inner.modules.lock();
        if let Some(old) = modules.find_any(&name) {
            let (errno, message) = match old.state() {
                ModuleState::Going => (Errno::EBUSY, "module is being unloaded"),
                _ => (Errno::EEXIST, "module already loaded"),
            };
            return Err(Error::new(ErrorKind::Exists, errno, name, message));
        }
        let Image { info, param_defaults, entry, exports, imports } = image;
        let gpl_compatible = license_is_gpl_compatible(&info.license);
        let full = Error::new(ErrorKind::Exists, Errno::ENOMEM, &name, "no room for another module");
        let new = NewModule {
            name,
            info: info.clone(),
            param_defaults: param_defaults.clone(),
            gpl_compatible,
            entry,
            base: library.base(),
            size: library.size(),
            file: library.file().to_path_buf(),
            file_id: library.file_id(),
        };
        let module = modules.add(new, &self.inner).ok_or(full)?;
        drop(modules);
        module.kmem.set_image(library.mapped());
        self.inner.services.kallsyms.add(&module.name, library.base(), library.mapped(), library.symbols());
        Ok((module, Image { info, param_defaults, entry, exports, imports }))
    }

    /// Steps 3–6.
    fn prepare_module(&self, module: &Arc<Module>, image: &Image, args: &str) -> Result<()> {
        self.taint_for_license(module);
        self.simplify_symbols(module, image)?;
        self.parse_module_args(module, args)
    }

    /// Step 3: a license that is not GPL-compatible taints P.
    fn taint_for_license(&self, module: &Module) {
        if module.gpl_compatible {
            return;
        }
        module.taints.add(TaintFlag::ProprietaryModule);
        if self.inner.taint.add(TaintFlag::ProprietaryModule) {
            let license = if module.info.license.is_empty() { "unspecified" } else { &module.info.license };
            self.inner.log(Level::Warning, &format!("{}: module license '{license}' taints kernel.", module.name));
        }
    }

    /// Steps 4 and 5: resolve imports, then export and become `Coming`.
    fn simplify_symbols(&self, module: &Arc<Module>, image: &Image) -> Result<()> {
        let give_up = Instant::now() + INIT_WAIT;
        let mut modules = self.inner.modules.lock();
        loop {
            let mut log = Vec::new();
            let gpl_ok = !module.taints.has(TaintFlag::ProprietaryModule);
            let resolution = resolve::resolve(&modules, module.name(), module.file_id, image, gpl_ok, &mut log);
            log.iter().for_each(|(level, line)| self.inner.log(*level, line));
            match resolution {
                Resolution::Resolved { bindings, inherit_proprietary } => {
                    if inherit_proprietary {
                        module.taints.add(TaintFlag::ProprietaryModule);
                        self.inner.taint.add(TaintFlag::ProprietaryModule);
                    }
                    let exports = image.exports.iter().map(|e| e.name.as_str());
                    if let Some((symbol, owner)) = modules.symbols.first_duplicate(exports) {
                        let line = format!("{}: exports duplicate symbol {symbol} (owned by {owner})", module.name);
                        self.inner.log(Level::Err, &line);
                        return Err(Error::new(
                            ErrorKind::DuplicateSymbol,
                            Errno::ENOEXEC,
                            module.name(),
                            format!("exports duplicate symbol {symbol} (owned by {owner})"),
                        ));
                    }
                    for binding in &bindings {
                        modules.add_use(module.id, binding.owner);
                        let slot = image.imports[binding.import].slot;
                        slot.store(binding.address as *mut c_void, Ordering::Release);
                    }
                    modules.symbols.export(module.id, module.name(), &image.exports);
                    module.set_state(ModuleState::Coming);
                    return Ok(());
                }
                Resolution::Failed { errno, symbols } => {
                    let plural = if symbols.len() == 1 { "" } else { "s" };
                    let message = format!("unknown symbol{plural} {}", symbols.join(", "));
                    return Err(Error::new(ErrorKind::UnknownSymbol, errno, module.name(), message));
                }
                Resolution::Wait { owner } => {
                    if self.inner.modules_changed.wait_until(&mut modules, give_up).timed_out() {
                        self.inner.log(
                            Level::Warning,
                            &format!("{}: gave up waiting for init of module {owner}.", module.name),
                        );
                        return Err(Error::new(
                            ErrorKind::Busy,
                            Errno::EBUSY,
                            module.name(),
                            format!("gave up waiting for init of module {owner}"),
                        ));
                    }
                }
            }
        }
    }

    /// Step 6: the arguments, by the kernel's `parse_args`.
    fn parse_module_args(&self, module: &Module, args: &str) -> Result<()> {
        let mut log = Vec::new();
        let result = {
            let mut values = module.params.lock();
            params::parse_args(module.name(), args, &module.info.params, &mut values, &mut log)
        };
        log.iter().for_each(|(level, line)| self.inner.log(*level, line));
        result.map_err(|errno| {
            let what = if errno == Errno::ENOSPC { "parameter value too large" } else { "invalid parameters" };
            Error::new(ErrorKind::InvalidParams, errno, module.name(), what)
        })
    }

    /// Steps 7 and 8 on an `insmod` caller task, waited for at most the
    /// exit timeout: an init that does not return by then is reported as a
    /// hung task and the insmod fails; the module stays loading, and its
    /// load completes (or is undone) when init returns.
    fn do_init_module(&self, module: Arc<Module>, library: Library) -> Result<String> {
        // Shared with what undoes the load if init's task dies of an Oops.
        let library = Arc::new(Mutex::new(Some(library)));
        let (kernel, dying) = (Arc::clone(&self.inner), Arc::clone(&self.inner));
        let (target, theirs) = (Arc::clone(&module), Arc::clone(&module));
        let (mapped, left) = (Arc::clone(&library), library);
        let init = move || kernel.init_and_go_live(&target, &mapped);
        let died = move || dying.init_died(&theirs, &left);
        match self.inner.call_bounded("insmod", init, died) {
            Bounded::Done(result) => result,
            // init returned and failed; what it left is being stopped, each
            // thing within its own bound.
            Bounded::Blocked(pending) if module.state() != ModuleState::Coming => pending
                .finish(&self.inner)
                .unwrap_or_else(|| Err(Error::new(ErrorKind::InitFailed, Errno::EFAULT, module.name(), "init failed"))),
            Bounded::Blocked(pending) => {
                self.inner.report_blocked_call(&pending);
                *module.job.lock() = Some(pending.job);
                let seconds = self.inner.exit_timeout.as_secs_f64();
                Err(Error::new(
                    ErrorKind::Busy,
                    Errno::EBUSY,
                    module.name(),
                    format!("init did not return after {seconds} seconds; the module stays loading until it does"),
                ))
            }
        }
    }
}

impl KernelInner {
    /// Steps 7 and 8, on the caller task: init with no kernel lock held,
    /// then live, or undone as rmmod would undo it.
    fn init_and_go_live(self: &Arc<Self>, module: &Arc<Module>, library: &Mutex<Option<Library>>) -> Result<String> {
        let result = self.run_init(module);
        let Some(library) = library.lock().take() else {
            return Err(Error::new(ErrorKind::InitFailed, Errno::EFAULT, module.name(), "init failed"));
        };
        match result {
            Ok(()) => {
                *module.library.lock() = Some(library);
                self.go_live(module);
                crate::debug::hung_task::start(self);
                crate::debug::watchdog::start(self);
                crate::debug::slab_check::start(self);
                Ok(module.name().to_string())
            }
            Err(error) => {
                self.free_module(module);
                self.discard(module, library, "after its failed init");
                Err(error)
            }
        }
    }

    /// init's task died of an Oops (on the dying thread, after the
    /// report): the load is undone as after a failed init, and the insmod
    /// fails. The kernel leaves such a module loading for good.
    fn init_died(&self, module: &Arc<Module>, library: &Mutex<Option<Library>>) -> Result<String> {
        if let Some(library) = library.lock().take() {
            self.free_module(module);
            self.discard(module, library, "after its init was killed");
        }
        Err(Error::new(ErrorKind::InitFailed, Errno::EFAULT, module.name(), "init was killed by an Oops (see dmesg)"))
    }

    /// Step 7: init.
    fn run_init(&self, module: &Module) -> Result<()> {
        let handle = module.handle.get().copied().unwrap_or(ModuleHandle::NULL);
        let args = InitArgs { services: entry::table(), module: handle };
        let ret = {
            let _context = module.enter(&Task::current());
            (module.entry.init)(&args)
        };
        if ret == INIT_OOPSED {
            return Err(Error::new(ErrorKind::InitPanicked, Errno::EFAULT, module.name(), "init panicked"));
        }
        if ret == INIT_BAD_PARAMS {
            return Err(Error::new(ErrorKind::InvalidParams, Errno::EINVAL, module.name(), "invalid parameters"));
        }
        if let Some(errno) = Errno::from_kernel(ret).err() {
            return Err(Error::new(ErrorKind::InitFailed, errno, module.name(), format!("init failed: {errno}")));
        }
        if ret > 0 {
            let name = module.name();
            self.log(
                Level::Warning,
                &format!("{name}: '{name}'->init suspiciously returned {ret}, it should follow 0/-E convention"),
            );
        }
        Ok(())
    }

    /// Step 8: the module is live; wake loads waiting for it.
    fn go_live(&self, module: &Module) {
        let _modules = self.modules.lock();
        module.set_state(ModuleState::Live);
        self.modules_changed.notify_all();
    }

    /// Undoes a failed load: name, exports and uses go; waiters wake.
    pub(crate) fn free_module(&self, module: &Module) {
        let mut modules = self.modules.lock();
        module.set_state(ModuleState::Going);
        modules.remove(module);
        self.modules_changed.notify_all();
    }

    /// After a failed load: reclaims what its init left, as rmmod would
    /// (`when` says when, for the reports), then unmaps the library (unless
    /// something it started still runs in it) and retires the module.
    fn discard(&self, module: &Module, library: Library, when: &str) {
        if module.reclaim(when) {
            self.unmap(library, module.name(), Some(module));
            module.mark_unloaded();
        } else {
            self.keep_mapped(library, module);
        }
        self.retire(module);
    }

    /// Unmaps a library and reports it if it stays resident, with what
    /// pins it; `module` learns why, for the calls its code still makes.
    pub(crate) fn unmap(&self, library: Library, name: &str, module: Option<&Module>) {
        let file = library.file().to_path_buf();
        self.services.kallsyms.remove(library.base());
        if let Residency::StillResident(why) = library.close() {
            self.log(Level::Err, &format!("{name}: library {} still resident after unload: {why}", file.display()));
            if let Some(module) = module {
                *module.pinned_by.lock() = Some(format!("its library stays mapped: {why}"));
            }
            self.pinned.lock().push(file);
        }
    }

    /// Keeps a library mapped whose code still runs after its module went.
    pub(crate) fn keep_mapped(&self, library: Library, module: &Module) {
        *module.pinned_by.lock() = Some("its code still runs; its library stays mapped".to_string());
        self.pinned.lock().push(library.file().to_path_buf());
        library.leak();
    }

    /// The module is gone: calls from its code are refused from now on,
    /// and its record is forgotten unless that code can still run.
    pub(crate) fn retire(&self, module: &Module) {
        module.set_state(ModuleState::Gone);
        if module.pinned_by.lock().is_none() {
            entry::unregister_module(module);
        }
    }
}

/// A load that failed, with the module if it got as far as having one.
struct Failed {
    error: Error,
    module: Option<Arc<Module>>,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed { error, module: None }
    }
}

/// A descriptor reference for as long as the library stays mapped.
///
/// # Safety
///
/// The library `desc` lies in must stay mapped while the result is used.
unsafe fn extend(desc: &ModuleInfo) -> &'static ModuleInfo {
    // SAFETY: By this function's contract.
    unsafe { &*(desc as *const ModuleInfo) }
}

/// A kbuild module's image: its sections from the private copy, then its
/// descriptor.
fn kbuild_image(library: &Library, address: usize, name: &str) -> Result<Image> {
    let sections = library.sections().map_err(|e| modinfo::invalid_format(name, e.reason()))?;
    let info =
        ModInfo::parse(sections.modinfo.as_deref().unwrap_or_default(), sections.tables.as_deref().unwrap_or_default())
            .map_err(|reason| modinfo::invalid_format(name, reason))?;
    kmod::read(library.memory(), address, info)
        .map_err(|detail| modinfo::invalid_format(name, format!("descriptor {detail}")))
}

/// The module name a file would have, for messages before its descriptor is
/// read: `libfifo.so` → `fifo`.
pub(crate) fn file_module_name(file: &Path) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    normalize_name(stem.strip_prefix("lib").unwrap_or(&stem))
}

/// The loader's whole pipeline on a module image, short of init: copy,
/// ELF checks, mapping, header, vermagic, layout and descriptor checks, the
/// host's copy of modinfo, unmapping. For the fuzzer and the mutation
/// tests: a module file is hostile input, and whatever it holds must end in
/// `Ok` or an error, never in a crash. Init is not run: a mutation of code
/// that init would run is a fault in module code, not in the loader.
///
/// # Errors
///
/// `Invalid module format` with the reason, as insmod would report it; an
/// image that loaded but stayed mapped after its unload is a `Busy` error.
#[doc(hidden)]
pub fn check_module_image(bytes: &[u8]) -> Result<()> {
    let subject = "image";
    let library = Library::open_bytes(bytes, Path::new(subject)).map_err(|e| modinfo::open_error(subject, &e))?;
    let checked = match version::check_header(library.header(), library.file_id()) {
        Ok(Descriptor::Rust(desc)) => {
            ModInfo::copy(desc);
            Ok(())
        }
        Ok(Descriptor::Kbuild(address)) => kbuild_image(&library, address, subject).map(drop),
        Err(e) => Err(modinfo::header_error(subject, &e)),
    };
    let residency = library.close();
    checked?;
    match residency {
        Residency::Unmapped => Ok(()),
        Residency::StillResident(why) => {
            Err(Error::new(ErrorKind::Busy, Errno::EBUSY, subject, format!("still resident after unload: {why}")))
        }
    }
}
