//! The one entry layer between modules and the kernel.
//!
//! Every function of the service table is generated here by [`entries!`],
//! one file per group of the table ([`module`], [`time`], [`timer`],
//! [`workqueue`], [`kthread`], [`locking`], [`wait`], [`proc`], [`mem`],
//! [`debug`], [`dev`], [`umh`]), and every
//! one enters the host through [`enter`], which:
//!
//! 1. pins the thread for the handle registry and resolves the caller's
//!    `ModuleHandle` (an unknown one is reported and refused);
//! 2. refuses a call from a module that is gone (its code still runs after
//!    rmmod, in a library that stayed mapped), reporting it once;
//! 3. runs the entry's body under `catch_unwind`: a panic in the host (a
//!    bug of ours) becomes a WARN with its backtrace and an error to the
//!    caller, never an unwind into the module or an abort;
//! 4. turns the body's `Result<T, Errno>` into the C return value the
//!    table declares (`-errno`, `false`, a null handle: [`Ret`]).
//!
//! Inside a body, the [`Caller`] resolves object handles (checking the
//! generation, the kind and the kernel: a stale, double-freed, forged,
//! foreign or mistyped handle is a WARN naming the module and the call
//! site, once per site, and `-EINVAL`), checks sleep modes, applies
//! `might_sleep`, and registers and frees the module's objects. A body that
//! sleeps first takes its own references and [unpins](Caller::unpin), so
//! that no sleeping task holds the registry's reclamation up.
//!
//! The table's groups are built from the same macro invocations, field by
//! field, so a table field that is not an entry of this layer does not
//! compile; the unit test here counts them.
//!
//! This module and [`handles`] hold the only `unsafe` of the services.
//!
//! Kernel counterpart: the boundary of `EXPORT_SYMBOL`ed core functions,
//! with the checks `CONFIG_DEBUG_*` would add.

mod debug;
mod dev;
pub(crate) mod handles;
mod kthread;
mod locking;
mod mem;
mod module;
mod proc;
pub(crate) mod rcu;
mod time;
mod timer;
mod umh;
mod wait;
mod workqueue;

use abi_stable::{prefix_type::WithMetadata, std_types::RStr};
use modhost_abi::{
    errno::Errno,
    table::{
        DebugOpsRef, DevOpsRef, Handle, KThreadOpsRef, KernelServices, KernelServicesRef, LockingOpsRef, MemOpsRef,
        ModuleHandle, ModuleOpsRef, ProcOpsRef, Site, SleepMode, TimeOpsRef, TimerOpsRef, UmhOpsRef, WaitOpsRef,
        WorkqueueOpsRef,
    },
};
use rcu::ReadGuard;
use std::{
    any::TypeId,
    backtrace::Backtrace,
    cell::RefCell,
    panic::{self, AssertUnwindSafe},
    sync::{Arc, Once},
};

use super::{
    Services,
    object::{AnyObject, Kind, Object},
    printk::Level,
    record::{ModuleRecord, ModuleState},
    sched,
    task::{self, Task, WaitMode},
};
use handles::{HandleError, MODULES, OBJECTS};

/// Declares one group of the table: an `extern "C"` function per entry,
/// each going through [`enter`], the group's static table, and the names.
///
/// ```ignore
/// entries! {
///     TimerOps {
///         /// `mod_timer`.
///         fn mod_timer(c, timer: Handle, expires: u64, site: Site) -> i32 { ... }
///     }
/// }
/// ```
///
/// `c` is the [`Caller`]; a body returns `Result<R, Errno>`, `R` being the
/// entry's return type.
macro_rules! entries {
    (
        $ops:ident {
            $(
                $(#[$meta:meta])*
                fn $name:ident($c:ident $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty $body:block
            )*
        }
    ) => {
        $(
            $(#[$meta])*
            pub(super) extern "C" fn $name(module: modhost_abi::table::ModuleHandle $(, $arg: $ty)*) -> $ret {
                super::enter(stringify!($name), module, |$c: super::Caller| -> Result<$ret, modhost_abi::errno::Errno> { $body })
            }
        )*

        /// This group of the table.
        pub(super) static OPS: abi_stable::prefix_type::WithMetadata<modhost_abi::table::$ops> =
            abi_stable::prefix_type::WithMetadata::new(modhost_abi::table::$ops { $($name),* });

        /// The names of this group's entries.
        #[cfg(test)]
        pub(super) const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}
use entries;

static TABLE: WithMetadata<KernelServices> = WithMetadata::new(KernelServices {
    module: ModuleOpsRef(module::OPS.static_as_prefix()),
    time: TimeOpsRef(time::OPS.static_as_prefix()),
    timer: TimerOpsRef(timer::OPS.static_as_prefix()),
    workqueue: WorkqueueOpsRef(workqueue::OPS.static_as_prefix()),
    kthread: KThreadOpsRef(kthread::OPS.static_as_prefix()),
    locking: LockingOpsRef(locking::OPS.static_as_prefix()),
    wait: WaitOpsRef(wait::OPS.static_as_prefix()),
    proc: ProcOpsRef(proc::OPS.static_as_prefix()),
    mem: MemOpsRef(mem::OPS.static_as_prefix()),
    debug: DebugOpsRef(debug::OPS.static_as_prefix()),
    dev: DevOpsRef(dev::OPS.static_as_prefix()),
    umh: UmhOpsRef(umh::OPS.static_as_prefix()),
});

/// The service table every module's `init` receives.
pub(crate) fn table() -> KernelServicesRef {
    install_panic_hook();
    KernelServicesRef(TABLE.static_as_prefix())
}

/// Every entry of the table, by group.
#[cfg(test)]
pub(crate) fn names() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("module", module::NAMES),
        ("time", time::NAMES),
        ("timer", timer::NAMES),
        ("workqueue", workqueue::NAMES),
        ("kthread", kthread::NAMES),
        ("locking", locking::NAMES),
        ("wait", wait::NAMES),
        ("proc", proc::NAMES),
        ("mem", mem::NAMES),
        ("debug", debug::NAMES),
        ("dev", dev::NAMES),
        ("umh", umh::NAMES),
    ]
}

/// Registers a module's record; its code calls with the returned handle.
pub(crate) fn register_module(record: &Arc<ModuleRecord>) -> Option<ModuleHandle> {
    let raw = MODULES.register(Arc::clone(record), ()).ok()?;
    let handle = ModuleHandle::from_raw(raw);
    let _ = record.handle.set(handle);
    Some(handle)
}

/// Forgets a module's record: its code is unmapped, nothing can call with
/// its handle any more.
pub(crate) fn unregister_module(record: &ModuleRecord) {
    if let Some(handle) = record.handle.get() {
        let guard = rcu::read_lock();
        let _ = MODULES.unregister(handle.to_raw(), |m| format!("module {} (unloaded)", m.name), &guard);
    }
}

/// What a failed call returns, as the table declares it.
pub(super) trait Ret {
    /// The return value for `errno`.
    fn failed(errno: Errno) -> Self;
}

impl Ret for () {
    fn failed(_: Errno) -> Self {}
}

impl Ret for i32 {
    fn failed(errno: Errno) -> Self {
        errno.to_kernel()
    }
}

impl Ret for i64 {
    fn failed(errno: Errno) -> Self {
        i64::from(errno.to_kernel())
    }
}

impl Ret for bool {
    fn failed(_: Errno) -> Self {
        false
    }
}

impl Ret for Handle {
    fn failed(_: Errno) -> Self {
        Handle::NULL
    }
}

impl Ret for RStr<'static> {
    fn failed(_: Errno) -> Self {
        RStr::from_str("")
    }
}

macro_rules! ret_zero {
    ($($type:ty),*) => {$(
        impl Ret for $type {
            fn failed(_: Errno) -> Self {
                0
            }
        }
    )*};
}

ret_zero!(u32, u64, usize);

impl Ret for *mut core::ffi::c_void {
    fn failed(_: Errno) -> Self {
        core::ptr::null_mut()
    }
}

thread_local! {
    /// The message and backtrace of the thread's last host panic, for the
    /// WARN of an entry that caught it.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Chains a panic hook that keeps the message and backtrace of a host
/// panic for the entry that may catch it (modules' panics go to their own
/// std's hook).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let text = format!("{info}\n{}", Backtrace::force_capture());
            let _ = CAUGHT.try_with(|caught| *caught.borrow_mut() = Some(text));
            previous(info);
        }));
    });
}

/// The one way in; see the module docs.
pub(super) fn enter<R: Ret>(
    call: &'static str,
    module: ModuleHandle,
    body: impl FnOnce(Caller) -> Result<R, Errno>,
) -> R {
    let guard = rcu::read_lock();
    let record = match MODULES.get(module.to_raw(), &guard) {
        Ok((_, record)) => record,
        Err(e) => {
            unknown_module(call, module, &e);
            return R::failed(Errno::EINVAL);
        }
    };
    if record.state() == ModuleState::Gone {
        report_gone(record, call);
        return R::failed(Errno::ENODEV);
    }
    let record: *const Arc<ModuleRecord> = record;
    let caller = Caller { guard, record: Record::Pinned(record), call };
    match panic::catch_unwind(AssertUnwindSafe(|| body(caller))) {
        Ok(Ok(value)) => value,
        Ok(Err(errno)) => R::failed(errno),
        Err(_) => {
            host_bug(call, module);
            R::failed(Errno::EFAULT)
        }
    }
}

/// A call with a module handle that names no module: a forged handle, or a
/// module unloaded whose library was unmapped (its code cannot run).
fn unknown_module(call: &str, module: ModuleHandle, error: &HandleError) {
    // No module, so no kernel to log to: every kernel of the process hears it.
    let text =
        format!("modhost: {call} called with an invalid module handle {:#x} ({error:?}); refused", module.to_raw());
    for services in handles::all_services() {
        services.log(Level::Err, &text);
    }
}

/// The once-only report of a module calling after its removal.
fn report_gone(record: &ModuleRecord, call: &str) {
    if !record.gone_first_time() {
        return;
    }
    let pinned = record.pinned_by.lock().clone().map(|why| format!(" ({why})")).unwrap_or_default();
    let text = format!(
        "{}: {call} called by the module's code after its removal; refused, as is every later call{pinned}",
        record.name
    );
    record.services.log(Level::Err, &text);
}

/// A panic in an entry's body: a bug of the host, reported as a WARN.
fn host_bug(call: &str, module: ModuleHandle) {
    let text = CAUGHT.with(|caught| caught.borrow_mut().take()).unwrap_or_else(|| "a panic".to_string());
    let (message, backtrace) = text.split_once('\n').unwrap_or((&text, ""));
    let guard = rcu::read_lock();
    if let Ok((_, record)) = MODULES.get(module.to_raw(), &guard) {
        record.services.host_bug(Some(record), "", &format!("{call}: {message}"), backtrace);
    }
}

/// The caller of an entry: its module, and the checks a body applies.
///
/// It holds the thread's pin on the handle registry: what it lends out is
/// valid while it lives. A body that is going to sleep calls
/// [`Caller::unpin`] first.
pub(crate) struct Caller {
    guard: ReadGuard,
    record: Record,
    call: &'static str,
}

/// How a [`Caller`] holds its module's record.
enum Record {
    /// As found in the registry, valid while the caller's guard pins the thread.
    Pinned(*const Arc<ModuleRecord>),
    /// By a reference of its own (after a sleep).
    Owned(Arc<ModuleRecord>),
}

/// A [`Caller`] that gave up its pin to sleep; [`Unpinned::repin`] makes
/// it a caller again.
pub(crate) struct Unpinned<'a> {
    module: Held<'a>,
    call: &'static str,
}

/// How an [`Unpinned`] keeps its module's record alive while it sleeps.
enum Held<'a> {
    /// Through the object it sleeps on, which its module owns: no shared
    /// count is touched.
    Borrowed(&'a Arc<ModuleRecord>),
    /// By a reference of its own.
    Owned(Arc<ModuleRecord>),
}

impl Unpinned<'_> {
    /// The calling module.
    pub(crate) fn module(&self) -> &Arc<ModuleRecord> {
        match &self.module {
            Held::Borrowed(record) => record,
            Held::Owned(record) => record,
        }
    }

    /// The calling module's kernel.
    pub(crate) fn services(&self) -> &Arc<Services> {
        &self.module().services
    }

    /// A WARN on behalf of the calling module at `site`.
    pub(crate) fn warn(&self, site: &Site, text: &str) {
        self.services().warn(Some(self.module()), &site_text(site), text);
    }

    /// Pins the thread again.
    pub(crate) fn repin(self) -> Caller {
        let record = match self.module {
            Held::Borrowed(record) => Arc::clone(record),
            Held::Owned(record) => record,
        };
        Caller { guard: rcu::read_lock(), record: Record::Owned(record), call: self.call }
    }
}

impl Caller {
    /// The calling module.
    #[inline]
    pub(crate) fn module(&self) -> &Arc<ModuleRecord> {
        match &self.record {
            // SAFETY: The record was found in the registry under
            // `self.guard`, which still pins this thread, so the registry
            // has not dropped it.
            Record::Pinned(record) => unsafe { &**record },
            Record::Owned(record) => record,
        }
    }

    /// The calling module's kernel.
    pub(crate) fn services(&self) -> &Arc<Services> {
        &self.module().services
    }

    /// The entry's name (`mod_timer`).
    pub(crate) fn call(&self) -> &'static str {
        self.call
    }

    /// The calling task.
    pub(crate) fn task(&self) -> Arc<Task> {
        Task::current()
    }

    /// The object of kind `T` that `handle` names, lent while the caller
    /// lives; a handle that does not name one of this kernel is reported
    /// (see the module docs) and `EINVAL`.
    #[inline]
    pub(crate) fn object<T: Kind>(&self, handle: Handle, site: &Site) -> Result<&Object<T>, Errno> {
        Ok(self.lookup::<T>(handle, site)?.0)
    }

    /// As [`Caller::object`], with a reference of the caller's own (to sleep with).
    pub(crate) fn object_arc<T: Kind>(&self, handle: Handle, site: &Site) -> Result<Arc<Object<T>>, Errno> {
        let (_, found) = self.lookup::<T>(handle, site)?;
        Arc::clone(found).into_any().downcast::<Object<T>>().map_err(|_| Errno::EINVAL)
    }

    /// The object of kind `T` and of this kernel that `handle` names, as
    /// the registry holds it; see [`Caller::object`].
    #[inline]
    fn lookup<T: Kind>(&self, handle: Handle, site: &Site) -> Result<(&Object<T>, &Arc<dyn AnyObject>), Errno> {
        let (tag, found) = OBJECTS.get(handle.to_raw(), &self.guard).map_err(|e| self.bad_handle(handle, site, &e))?;
        if tag.kernel != self.services().id {
            let owner = found.owner().map_or_else(|| "the kernel".to_string(), |o| o.name.to_string());
            let what = format!("a handle of another kernel's {} (of {owner})", found.kind());
            return Err(self.reject(handle, site, &what));
        }
        if tag.kind != TypeId::of::<Object<T>>() {
            let what = format!("a {} handle where a {} is expected: {}", found.kind(), T::NAME, found.describe());
            return Err(self.reject(handle, site, &what));
        }
        // SAFETY: The tag says the value is an `Object<T>` at `tag.object`:
        // `Object::register` made it from that `Arc<Object<T>>`, which the
        // registry holds while the read section lasts.
        let object = unsafe { &*tag.object.cast::<Object<T>>() };
        Ok((object, found))
    }

    /// Registers an object `inner` made for the calling module at `site`.
    pub(crate) fn register<T: Kind>(&self, inner: T, site: &Site) -> Result<(Arc<Object<T>>, Handle), Errno> {
        let object = Object::new(Some(self.module()), self.services().id, site_text(site), inner).with_hint(site.ip);
        object.register().ok_or(Errno::ENOMEM)
    }

    /// Frees the object of kind `T` that `handle` names (the module's free
    /// call): its handle goes stale, and its callback is released once it
    /// is not running. A stale handle here is a double free.
    pub(crate) fn free<T: Kind>(&self, handle: Handle, site: &Site) -> Result<Arc<Object<T>>, Errno> {
        let object = self.object_arc::<T>(handle, site)?;
        let freed_at = if site.is_none() { String::new() } else { format!(" at {site}") };
        let what = |_: &dyn AnyObject| format!("{} freed{freed_at}", object.describe_object());
        OBJECTS.unregister(handle.to_raw(), what, &self.guard).map_err(|e| self.bad_handle(handle, site, &e))?;
        object.mark_freed();
        object.release();
        Ok(object)
    }

    /// As [`Caller::free`], first stopping what the object still does (the
    /// tasks waiting on a lock are killed), reported as a WARN.
    pub(crate) fn free_stopping<T: Kind>(&self, handle: Handle, site: &Site) -> Result<(), Errno> {
        let object = self.free::<T>(handle, site)?;
        if let Some(left) = T::stop(&object) {
            self.warn(site, &format!("{}: {} {left}", self.call, object.describe_object()));
        }
        Ok(())
    }

    /// Declares the object `handle` names static (see `object_static`).
    pub(crate) fn set_static(&self, handle: Handle, site: &Site) -> Result<(), Errno> {
        let (_, found) = OBJECTS.get(handle.to_raw(), &self.guard).map_err(|e| self.bad_handle(handle, site, &e))?;
        found.set_static();
        Ok(())
    }

    /// The caller's own object `handle` names, of whatever kind.
    pub(crate) fn own_object(&self, handle: Handle, site: &Site) -> Result<Arc<dyn AnyObject>, Errno> {
        let (_, found) = OBJECTS.get(handle.to_raw(), &self.guard).map_err(|e| self.bad_handle(handle, site, &e))?;
        if !found.owner().is_some_and(|owner| Arc::ptr_eq(owner, self.module())) {
            return Err(self.reject_value(site, &format!("{} of another module", found.describe())));
        }
        Ok(Arc::clone(found))
    }

    /// The wait mode a table `SleepMode` stands for; an unknown one is
    /// reported and `EINVAL`.
    pub(crate) fn mode(&self, mode: SleepMode, site: &Site) -> Result<WaitMode, Errno> {
        match mode {
            SleepMode::UNINTERRUPTIBLE => Ok(WaitMode::Uninterruptible),
            SleepMode::INTERRUPTIBLE => Ok(WaitMode::Interruptible),
            SleepMode::KILLABLE => Ok(WaitMode::Killable),
            other => Err(self.reject_value(site, &format!("sleep mode {:#x}", other.0))),
        }
    }

    /// The calling task's id (its `ps` PID, a lock owner's mark).
    pub(crate) fn task_id(&self) -> u64 {
        task::current_id()
    }

    /// `might_sleep` for the calling task: sleeping in atomic context is reported.
    pub(crate) fn might_sleep(&self, site: &Site) {
        if task::in_atomic() {
            sched::might_sleep(self.services(), Some(self.module()), &Task::current(), &site_text(site), self.call);
        }
    }

    /// A WARN on behalf of the calling module at `site`.
    pub(crate) fn warn(&self, site: &Site, text: &str) {
        self.services().warn(Some(self.module()), &site_text(site), text);
    }

    /// A value the table does not define: reported once per site; `EINVAL`.
    pub(crate) fn reject_value(&self, site: &Site, what: &str) -> Errno {
        let site_text = site_text(site);
        if self.module().first_warning_at(&site_text) {
            self.warn(site, &format!("{}: invalid {what}", self.call));
        }
        Errno::EINVAL
    }

    /// Gives up the pin, to sleep (see [`Unpinned::repin`]).
    pub(crate) fn unpin(self) -> Unpinned<'static> {
        Unpinned { module: Held::Owned(Arc::clone(self.module())), call: self.call }
    }

    /// [`Caller::unpin`] to sleep on `object`: if the calling module owns
    /// it, the object's reference to the module keeps the record alive, and
    /// two sleepers on one object share no reference count but the object's.
    pub(crate) fn unpin_on<T: Kind>(self, object: &Arc<Object<T>>) -> Unpinned<'_> {
        match &object.owner {
            Some(owner) if Arc::ptr_eq(owner, self.module()) => {
                Unpinned { module: Held::Borrowed(owner), call: self.call }
            }
            _ => self.unpin(),
        }
    }

    /// The report of a handle that names nothing; `EINVAL`.
    fn bad_handle(&self, handle: Handle, site: &Site, error: &HandleError) -> Errno {
        let what = match error {
            HandleError::Null => "a NULL handle".to_string(),
            HandleError::Forged => format!("a handle that names no object ({:#x})", handle.to_raw()),
            HandleError::Stale(was) => {
                let use_ = if self.call.ends_with("_free") || self.call == "proc_remove" {
                    "double free"
                } else {
                    "use after free"
                };
                match was {
                    Some(was) => format!("{use_}: the handle's {was}"),
                    None => format!("{use_} of handle {:#x}", handle.to_raw()),
                }
            }
            HandleError::Full => "no room for another handle".to_string(),
        };
        self.reject(handle, site, &what)
    }

    /// Reports a refused handle, once per call site; `EINVAL`.
    fn reject(&self, _handle: Handle, site: &Site, what: &str) -> Errno {
        if self.module().first_warning_at(&site_text(site)) {
            self.warn(site, &format!("{}: {what}; the call fails", self.call));
        }
        Errno::EINVAL
    }
}

/// A site as messages show it (empty for none).
pub(crate) fn site_text(site: &Site) -> String {
    Shown(site).to_string()
}

/// A site as `ps` and the reports show it (nothing for none), formatted
/// only when shown: a sleep that never blocks never formats its site.
pub(crate) struct Shown<'a>(pub(crate) &'a Site);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_none() { Ok(()) } else { std::fmt::Display::fmt(self.0, f) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modhost_abi::table::*;
    use std::mem::size_of;

    #[test]
    fn every_field_of_the_table_is_an_entry_of_this_layer() {
        // Each group's static is a struct literal naming every field once
        // (`entries!`), so the compiler already refuses a field that is not
        // an entry; here, the count. Every field is a function pointer.
        let sizes = [
            size_of::<ModuleOps>(),
            size_of::<TimeOps>(),
            size_of::<TimerOps>(),
            size_of::<WorkqueueOps>(),
            size_of::<KThreadOps>(),
            size_of::<LockingOps>(),
            size_of::<WaitOps>(),
            size_of::<ProcOps>(),
            size_of::<MemOps>(),
            size_of::<DebugOps>(),
            size_of::<DevOps>(),
            size_of::<UmhOps>(),
        ];
        let names = names();
        assert_eq!(size_of::<KernelServices>(), names.len() * size_of::<usize>(), "one group per field");
        for (size, (group, entries)) in sizes.into_iter().zip(&names) {
            assert_eq!(size, entries.len() * size_of::<fn()>(), "group {group}");
        }
        let total: usize = names.iter().map(|(_, entries)| entries.len()).sum();
        assert_eq!(total, 104, "the table's entries, every one through `enter`");
    }

    /// The groups and functions `kbuild/include/modhost/services.h`
    /// declares, in order: `[("module", ["printk", ...]), ...]`.
    fn c_header_groups() -> Vec<(String, Vec<String>)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../kbuild/include/modhost/services.h");
        let header = std::fs::read_to_string(path).expect("the C view of the table");
        let body = |name: &str| -> String {
            let start = header.find(&format!("struct {name} {{")).unwrap_or_else(|| panic!("struct {name}"));
            let end = start + header[start..].find("\n};").expect("the struct's end");
            header[start..end].to_string()
        };
        let groups: Vec<String> = body("modhost_services")
            .lines()
            .filter_map(|l| l.trim().strip_prefix("const struct modhost_"))
            .map(|l| l.split_once('*').expect("a pointer field").1.trim_end_matches(';').trim().to_string())
            .collect();
        groups
            .into_iter()
            .map(|group| {
                let functions = body(&format!("modhost_{group}_ops"))
                    .split("MH_FN(")
                    .skip(1)
                    .map(|f| {
                        f.split(',')
                            .nth(1)
                            .expect("MH_FN(ret, name, ...)")
                            .split(')')
                            .next()
                            .unwrap_or_default()
                            .trim()
                            .to_string()
                    })
                    .collect();
                (group, functions)
            })
            .collect()
    }

    #[test]
    fn the_c_header_declares_the_same_table() {
        let rust: Vec<(String, Vec<String>)> = names()
            .into_iter()
            .map(|(group, entries)| (group.to_string(), entries.iter().map(|e| e.to_string()).collect()))
            .collect();
        assert_eq!(c_header_groups(), rust);
    }

    #[test]
    fn c_reads_each_field_two_words_after_its_group_pointer() {
        let table = table();
        let word = |address: usize| {
            // SAFETY: the addresses below are inside the host's own static
            // table: a group pointer, or a function pointer in a group.
            unsafe { *(address as *const usize) }
        };
        let services = table.0.to_raw_ptr() as usize;
        let module_group = word(services + 16);
        assert_eq!(word(module_group + 16), module::printk as *const () as usize);
        let debug_group = word(services + 16 + 9 * 8);
        assert_eq!(word(debug_group + 16 + 8), debug::dump_stack as *const () as usize);
    }
}
