//! Objects the kernel makes for modules: timers, work items, semaphores...
//!
//! Every object a module creates is an [`Object<T>`] owned by that module.
//! The module holds it through an [`ObjectRef`] (a strong reference handed
//! out with `Arc::into_raw`) until it frees it; the module also keeps a weak
//! reference in its [`Objects`] list, so that at unload the host can find
//! whatever the module left behind, stop it, report it, and give back the
//! references the module never returned.
//!
//! An object starts with a tag naming its kind: a reference of the wrong
//! kind (only a module bypassing the safe handles could make one) is
//! refused with a warning instead of being used.
//!
//! Kernel counterpart: none; the kernel trusts modules to clean up. This is
//! what lets modhost survive a module that does not.

use modhost_abi::services::ObjectRef;
use parking_lot::Mutex;
use std::{
    fmt,
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use crate::{kernel::KernelInner, loader::Module};

/// A kind of object, with its tag and its name in messages.
pub(crate) trait Kind: Send + Sync + 'static {
    /// A value no other kind uses.
    const TAG: u64;
    /// The kernel's word for it (`timer`, `work item`, ...).
    const NAME: &'static str;
}

/// What an object left behind at unload needs done.
pub(crate) trait Reclaim: Send + Sync {
    /// Stops what the object is still doing (a timer armed, a thread
    /// running); returns what was left, for the warning, or `None` if it was
    /// idle.
    fn reclaim(&self, kernel: &KernelInner) -> Option<String>;

    /// The object's kind and where it was made, for messages.
    fn describe(&self) -> String;

    /// Whether the module freed it.
    fn freed(&self) -> bool;

    /// Whether it may still be running the module's code after
    /// [`Reclaim::reclaim`] (a kthread that would not stop): the module's
    /// library must then stay mapped.
    fn still_running(&self) -> bool {
        false
    }

    /// Gives back the reference the module never returned.
    fn release_leaked(self: Arc<Self>);

    /// When it is armed to fire (kernel uptime), for `/proc/timer_list`;
    /// `None` for objects that are not timers or delayed work, or are idle.
    fn fires_at(&self, _kernel: &KernelInner) -> Option<Duration> {
        None
    }
}

/// An object of kind `T`, owned by a module.
#[repr(C)]
pub(crate) struct Object<T: Kind> {
    tag: u64,
    freed: AtomicBool,
    /// The module that made it.
    pub(crate) owner: Weak<Module>,
    /// Where it was made (a module source location), if known.
    pub(crate) site: String,
    /// The object itself.
    pub(crate) inner: T,
}

impl<T: Kind> Object<T> {
    /// Makes an object for `owner` and records it in the owner's list.
    pub(crate) fn new(owner: &Arc<Module>, site: String, inner: T) -> Arc<Object<T>>
    where
        Object<T>: Reclaim,
    {
        let object =
            Arc::new(Object { tag: T::TAG, freed: AtomicBool::new(false), owner: Arc::downgrade(owner), site, inner });
        let weak: Weak<dyn Reclaim> = Arc::downgrade(&(Arc::clone(&object) as Arc<dyn Reclaim>));
        owner.objects.lock().push(weak);
        object
    }

    /// An object that belongs to no module (a system workqueue).
    pub(crate) fn unowned(inner: T) -> Arc<Object<T>> {
        Arc::new(Object { tag: T::TAG, freed: AtomicBool::new(false), owner: Weak::new(), site: String::new(), inner })
    }

    /// Hands a strong reference to the module.
    pub(crate) fn into_ref(self: Arc<Self>) -> ObjectRef {
        ObjectRef(Arc::into_raw(self).cast())
    }

    /// The object behind a module's reference, if it is of this kind.
    pub(crate) fn get<'a>(handle: ObjectRef) -> Option<&'a Object<T>> {
        if handle.is_null() {
            return None;
        }
        // SAFETY: A non-null reference was made by `into_ref` and the module
        // holds it until it calls the kind's free, after which it never uses
        // it again (the safe handles guarantee it); so the object is alive.
        // Every kind is `repr(C)` with the tag first, so reading the tag is
        // valid for an object of any kind.
        let tag = unsafe { *handle.0.cast::<u64>() };
        if tag != T::TAG {
            return None;
        }
        // SAFETY: As above; the tag says the object is an `Object<T>`.
        Some(unsafe { &*handle.0.cast::<Object<T>>() })
    }

    /// A new strong reference to the object behind a module's reference.
    pub(crate) fn get_arc(handle: ObjectRef) -> Option<Arc<Object<T>>> {
        let object = Object::<T>::get(handle)?;
        // SAFETY: The pointer came from `Arc::into_raw` and its reference is
        // still held by the module (see `get`), so adding one is sound.
        unsafe { Arc::increment_strong_count(object) };
        // SAFETY: The count was just incremented for this new `Arc`.
        Some(unsafe { Arc::from_raw(object) })
    }

    /// The module gives its reference back (the kind's free call).
    pub(crate) fn free(handle: ObjectRef) {
        let Some(object) = Object::<T>::get(handle) else { return };
        if object.freed.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: The module's reference, made by `into_ref`, is given back
        // exactly once (the `freed` flag guards against a second free).
        drop(unsafe { Arc::from_raw(object) });
    }

    /// Whether the module freed it.
    pub(crate) fn is_freed(&self) -> bool {
        self.freed.load(Ordering::Acquire)
    }

    /// The kernel this object's module belongs to.
    pub(crate) fn kernel(&self) -> Option<Arc<KernelInner>> {
        self.owner.upgrade().and_then(|m| m.kernel.upgrade())
    }

    /// Gives back the module's reference if it never freed the object.
    pub(crate) fn release_if_leaked(self: Arc<Self>) {
        if !self.freed.swap(true, Ordering::AcqRel) {
            let raw = Arc::as_ptr(&self);
            // SAFETY: The module's reference from `into_ref` was never given
            // back, and the module can no longer run (it is being unloaded),
            // so that reference is dropped here, once.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }

    /// `"timer (made at src/lib.rs:10:5)"`.
    pub(crate) fn describe_object(&self) -> String {
        if self.site.is_empty() { T::NAME.to_string() } else { format!("{} (made at {})", T::NAME, self.site) }
    }
}

impl<T: Kind> fmt::Debug for Object<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe_object())
    }
}

/// The objects a module made, weakly, newest last.
pub(crate) type Objects = Mutex<Vec<Weak<dyn Reclaim>>>;
