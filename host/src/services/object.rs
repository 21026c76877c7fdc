//! Objects the kernel makes for modules: timers, work items, semaphores...
//!
//! Every object a module makes is an [`Object<T>`]: the mechanism's state
//! `T` with its owner (the module's [`ModuleRecord`]), where it was made,
//! and the [`Handle`] the module holds it by. The handle registry keeps
//! the module's reference; the owner's record keeps a weak one, so that at
//! unload the host finds whatever the module left behind.
//!
//! What differs between kinds is in [`Kind`]: what is left to stop when
//! the module goes (a timer armed, tasks waiting, a thread running), and
//! the module's callback to release. Everything else (freeing, describing,
//! reclaiming) is written once, here, for all kinds.
//!
//! Kernel counterpart: none; the kernel trusts modules to clean up. This is
//! what lets modhost survive a module that does not.

use modhost_abi::table::Handle;
use std::{
    any::{Any, TypeId},
    fmt,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use super::{
    Services,
    callback::ModuleCallback,
    entry::handles::{OBJECTS, ObjectTag},
    record::ModuleRecord,
};
use crate::debug::rates::RunMeter;

/// A kind of object: its name, and what its owner's going away asks of it.
pub(crate) trait Kind: Sized + Send + Sync + 'static {
    /// The kernel's word for it (`timer`, `work item`, ...).
    const NAME: &'static str;

    /// The kernel struct debugobjects tracks it as (`timer_list`,
    /// `work_struct`), if it does.
    const DEBUG_TYPE: Option<&'static str> = None;

    /// Stops what the object still does for its module: shuts a timer
    /// down, cancels work, stops a thread, kills the tasks waiting on a
    /// lock. Called when the module frees the object and when it goes
    /// away. Returns what was left, for the report (`left armed; shut
    /// down`, `freed with 1 task waiting; they are killed`), or `None` if
    /// the object was idle.
    fn stop(_object: &Object<Self>) -> Option<String> {
        None
    }

    /// Whether it may still be running the module's code after
    /// [`Kind::stop`] (a kthread that would not stop).
    fn still_running(&self) -> bool {
        false
    }

    /// When it is armed to fire (kernel uptime), for `/proc/timer_list`.
    fn fires_at(&self, _services: &Services) -> Option<Duration> {
        None
    }

    /// What follows the kind in messages: a workqueue's name.
    fn detail(&self) -> Option<String> {
        None
    }

    /// The module's callback, released once the object is gone.
    fn callback(&self) -> Option<&ModuleCallback> {
        None
    }

    /// What a task sleeping on it waits for, for the wait-for chain: a
    /// semaphore's `0 of 8`.
    fn wait_state(&self) -> Option<String> {
        None
    }

    /// The task holding it, for a lock that has an owner.
    fn holder(&self) -> Option<u64> {
        None
    }

    /// The meter of its callback's runs, for a kind that can re-arm itself
    /// (a timer, a work item).
    fn meter(&self) -> Option<&RunMeter> {
        None
    }
}

/// An object of kind `T`, owned by a module (or by the kernel itself).
///
/// A task that sleeps on it takes a reference to it: aligned so that its
/// `Arc`'s counts sit on a cache line of their own, away from its state.
#[repr(align(128))]
pub(crate) struct Object<T: Kind> {
    /// The module that made it; `None` for the kernel's own (a system workqueue).
    pub(crate) owner: Option<Arc<ModuleRecord>>,
    /// The kernel it belongs to.
    pub(crate) kernel: u64,
    /// Where it was made (a module source location), if known.
    pub(crate) site: String,
    /// The address reports name it by (debugobjects' hint): a C timer's,
    /// work item's or kthread's function, else where it was made; 0 if
    /// unknown.
    pub(crate) hint: usize,
    /// The module's handle for it; 0 until registered.
    handle: AtomicU64,
    /// Where it lives in its module's memory (a C struct), 0 if unknown.
    address: std::sync::atomic::AtomicUsize,
    freed: AtomicBool,
    /// Declared static by its module: freed with it, not a leak.
    statik: AtomicBool,
    /// Its lockdep class, once it has been taken (a lock's).
    pub(crate) lock_class: std::sync::OnceLock<Arc<crate::debug::lockdep::Class>>,
    /// The mechanism's state.
    pub(crate) inner: T,
}

/// An object of any kind, as the registry and the owner's list hold it.
pub(crate) trait AnyObject: Send + Sync + 'static {
    /// For an owned downcast.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    /// The kind's name.
    fn kind(&self) -> &'static str;
    /// Its owner, if a module.
    fn owner(&self) -> Option<&Arc<ModuleRecord>>;
    /// `"timer (made at src/lib.rs:10:5)"`.
    fn describe(&self) -> String;
    /// [`Kind::stop`].
    fn stop(&self) -> Option<String>;
    /// [`Kind::still_running`].
    fn still_running(&self) -> bool;
    /// [`Kind::fires_at`].
    fn fires_at(&self, services: &Services) -> Option<Duration>;
    /// Releases the module's callback (now, or when it returns).
    fn release(&self);
    /// Frees it for a module that never did; `true` if it had not been freed.
    fn free_leftover(&self) -> bool;
    /// Frees it with the memory it lives in (`kfree` of its block): it
    /// never calls the module again, and tasks waiting on it are killed;
    /// `true` if it was still armed or queued.
    fn free_embedded(&self) -> bool;
    /// Whether its module freed it (or the unload did).
    fn is_freed(&self) -> bool;
    /// Marks it static (see [`Object`]'s `statik`).
    fn set_static(&self);
    /// Records where it lives in its module's memory.
    fn set_address(&self, address: usize);
    /// debugobjects' report of freeing it while active, if it is a kind
    /// debugobjects tracks: `ODEBUG: free active (active state 0) object:
    /// ... object type: timer_list hint: ...`.
    fn odebug_free_active(&self) -> Option<String>;
    /// Whether it was declared static.
    fn is_static(&self) -> bool;
    /// Its lockdep class, if it has been taken as a lock.
    fn lock_class(&self) -> Option<Arc<crate::debug::lockdep::Class>>;
    /// [`Kind::wait_state`].
    fn wait_state(&self) -> Option<String>;
    /// [`Kind::holder`].
    fn holder(&self) -> Option<u64>;
    /// [`Kind::meter`].
    fn meter(&self) -> Option<&RunMeter>;
}

impl<T: Kind> Object<T> {
    /// A new object for `owner` (or the kernel `kernel`'s own), not yet registered.
    pub(crate) fn new(owner: Option<&Arc<ModuleRecord>>, kernel: u64, site: String, inner: T) -> Object<T> {
        Object {
            owner: owner.cloned(),
            kernel,
            site,
            hint: 0,
            handle: AtomicU64::new(0),
            address: std::sync::atomic::AtomicUsize::new(0),
            freed: AtomicBool::new(false),
            statik: AtomicBool::new(false),
            lock_class: std::sync::OnceLock::new(),
            inner,
        }
    }

    /// The same, named in reports by the address `hint` (see [`Object::hint`]).
    pub(crate) fn with_hint(mut self, hint: usize) -> Object<T> {
        self.hint = hint;
        self
    }

    /// Registers the object and records it in its owner's list; returns its handle.
    pub(crate) fn register(self) -> Option<(Arc<Object<T>>, Handle)> {
        let object = Arc::new(self);
        let tag = ObjectTag {
            object: Arc::as_ptr(&object).cast(),
            kind: TypeId::of::<Object<T>>(),
            name: T::NAME,
            kernel: object.kernel,
        };
        let raw = OBJECTS.register(Arc::clone(&object) as Arc<dyn AnyObject>, tag).ok()?;
        object.handle.store(raw, Ordering::Release);
        if let Some(owner) = &object.owner {
            owner.add_object(Arc::downgrade(&(Arc::clone(&object) as Arc<dyn AnyObject>)));
        }
        Some((object, Handle::from_raw(raw)))
    }

    /// Where it lives: in its module's memory for a C object, else the
    /// host's object.
    pub(crate) fn address(&self) -> usize {
        match self.address.load(Ordering::Relaxed) {
            0 => std::ptr::from_ref(self).addr(),
            address => address,
        }
    }

    /// The module's handle for it.
    pub(crate) fn handle(&self) -> Handle {
        Handle::from_raw(self.handle.load(Ordering::Acquire))
    }

    /// The services of its kernel, through its owner.
    pub(crate) fn services(&self) -> Option<&Arc<Services>> {
        self.owner.as_ref().map(|o| &o.services)
    }

    /// Marks it freed; `false` if it already was.
    pub(crate) fn mark_freed(&self) -> bool {
        !self.freed.swap(true, Ordering::AcqRel)
    }

    /// What reports name it by: its function (`fire+0x0/0x20
    /// [timer_nosync]`) when known, else where it was made (`made at
    /// timer_left.c:16 [timer_left]`).
    pub(crate) fn name(&self) -> String {
        let owner = self.owner.as_ref().map(|o| format!(" [{}]", o.name)).unwrap_or_default();
        match self.services().and_then(|s| s.kallsyms.lookup(self.hint)) {
            Some(at) => at.format(true),
            None => format!("made at {}{owner}", self.site),
        }
    }

    /// Its function as the kernel's `%ps` prints it (`refresh
    /// [work_leak]`), when known.
    pub(crate) fn function(&self) -> Option<String> {
        self.services()?.kallsyms.lookup(self.hint).map(|at| at.format(false))
    }

    /// `"timer (made at src/lib.rs:10:5)"`, `"workqueue producer"`.
    pub(crate) fn describe_object(&self) -> String {
        let mut text = T::NAME.to_string();
        if let Some(detail) = self.inner.detail() {
            text.push(' ');
            text.push_str(&detail);
        }
        if !self.site.is_empty() {
            text.push_str(&format!(" (made at {})", self.site));
        }
        text
    }
}

impl<T: Kind> AnyObject for Object<T> {
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn kind(&self) -> &'static str {
        T::NAME
    }

    fn owner(&self) -> Option<&Arc<ModuleRecord>> {
        self.owner.as_ref()
    }

    fn describe(&self) -> String {
        self.describe_object()
    }

    fn stop(&self) -> Option<String> {
        T::stop(self)
    }

    fn still_running(&self) -> bool {
        self.inner.still_running()
    }

    fn fires_at(&self, services: &Services) -> Option<Duration> {
        self.inner.fires_at(services)
    }

    fn release(&self) {
        if let Some(callback) = self.inner.callback() {
            callback.release();
        }
    }

    fn free_leftover(&self) -> bool {
        let guard = super::entry::rcu::read_lock();
        let _ = OBJECTS.unregister(
            self.handle().to_raw(),
            |_| format!("{} freed at unload", self.describe_object()),
            &guard,
        );
        self.mark_freed()
    }

    fn is_freed(&self) -> bool {
        self.freed.load(Ordering::Acquire)
    }

    fn free_embedded(&self) -> bool {
        let armed = self.services().and_then(|s| self.inner.fires_at(s)).is_some();
        // An object with a callback is made harmless by releasing it: a
        // call already running (this may be it) finishes, none starts.
        // Stopping it could wait for the running call, which may be the
        // caller itself. One without (a lock, a wait queue) kills its waiters.
        if self.inner.callback().is_none() {
            T::stop(self);
        }
        if self.free_leftover() {
            self.release();
        }
        armed
    }

    fn set_static(&self) {
        self.statik.store(true, Ordering::Release);
    }

    fn set_address(&self, address: usize) {
        self.address.store(address, Ordering::Relaxed);
    }

    fn odebug_free_active(&self) -> Option<String> {
        let kind = T::DEBUG_TYPE?;
        Some(format!(
            "ODEBUG: free active (active state 0) object: {:016x} object type: {kind} hint: {}",
            self.address(),
            self.name()
        ))
    }

    fn is_static(&self) -> bool {
        self.statik.load(Ordering::Acquire)
    }

    fn lock_class(&self) -> Option<Arc<crate::debug::lockdep::Class>> {
        self.lock_class.get().cloned()
    }

    fn wait_state(&self) -> Option<String> {
        self.inner.wait_state()
    }

    fn holder(&self) -> Option<u64> {
        self.inner.holder()
    }

    fn meter(&self) -> Option<&RunMeter> {
        self.inner.meter()
    }
}

impl<T: Kind> fmt::Debug for Object<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe_object())
    }
}
