//! Static kernel objects: a module's timer, work item, lock or wait queue
//! declared as a `static`, as C modules declare theirs.
//!
//! ```ignore
//! use modhost_abi::prelude::*;
//! use modhost_abi::{declare_wait_queue_head, define_spinlock, define_timer};
//! use modhost_abi::services::{spinlock::{spin_lock, spin_unlock}, timer::TimerRef, time::*};
//!
//! define_spinlock!(LOCK);               // static DEFINE_SPINLOCK(lock);
//! declare_wait_queue_head!(WQ);         // static DECLARE_WAIT_QUEUE_HEAD(wq);
//! define_timer!(TICK, tick);            // static DEFINE_TIMER(tick, tick_fn);
//!
//! fn tick(me: &TimerRef) {
//!     spin_lock(&LOCK);                 // a timer callback may not sleep:
//!     WQ.wake_up();                     // a spinlock, not a mutex
//!     spin_unlock(&LOCK);
//!     me.mod_timer(jiffies() + HZ());
//! }
//!
//! // in init:
//! TICK.mod_timer(jiffies() + HZ());
//! ```
//!
//! A [`Static`] makes its object on first use (from `init`, a callback,
//! anywhere in the module) and tells the host it is static: it lives as
//! long as the module, and the host frees it at unload without calling it a
//! leak. What the host checks still holds: a static timer left armed, or a
//! mutex left locked, is reported at unload like any other.
//!
//! Statics are never dropped, so a static's data must not own heap memory:
//! `Static` takes only the kernel objects, and a [`Mutex`] or [`SpinLock`]
//! only with `Copy` data.
//!
//! Kernel counterpart: `DEFINE_MUTEX`, `DEFINE_SPINLOCK`,
//! `DEFINE_SEMAPHORE`, `DECLARE_WAIT_QUEUE_HEAD`, `DECLARE_COMPLETION`,
//! `DECLARE_WORK`, `DECLARE_DELAYED_WORK`, `DEFINE_TIMER`.

use core::{fmt, ops::Deref};
use std::sync::OnceLock;

use super::{
    spinlock::SpinLock,
    sync::{Mutex, Semaphore},
    timer::Timer,
    wait::{Completion, WaitQueue},
    workqueue::{DelayedWork, Work},
};
use crate::{
    runtime::kernel,
    table::{Handle, Site},
};

/// A kernel object that may live in a [`Static`].
pub trait KernelObject: Send + Sync + 'static {
    /// The host's handle of the object.
    #[doc(hidden)]
    fn handle(&self) -> Handle;
}

macro_rules! kernel_objects {
    ($($type:ty),*) => {$(
        impl KernelObject for $type {
            fn handle(&self) -> Handle {
                <$type>::handle(self)
            }
        }
    )*};
}

kernel_objects!(Semaphore, WaitQueue, Completion, Work, DelayedWork);

impl KernelObject for Timer {
    fn handle(&self) -> Handle {
        (**self).handle()
    }
}

impl<T: Copy + Send + 'static> KernelObject for Mutex<T> {
    fn handle(&self) -> Handle {
        Mutex::handle(self)
    }
}

impl<T: Copy + Send + 'static> KernelObject for SpinLock<T> {
    fn handle(&self) -> Handle {
        SpinLock::handle(self)
    }
}

/// A kernel object in a `static`, made on first use; see the module docs.
pub struct Static<T: KernelObject> {
    object: OnceLock<T>,
    init: fn() -> T,
}

impl<T: KernelObject> Static<T> {
    /// A static that `init` makes on first use.
    pub const fn new(init: fn() -> T) -> Static<T> {
        Static { object: OnceLock::new(), init }
    }
}

impl<T: KernelObject> Deref for Static<T> {
    type Target = T;

    #[track_caller]
    fn deref(&self) -> &T {
        let site = Site::caller();
        self.object.get_or_init(|| {
            let object = (self.init)();
            let (services, module) = kernel();
            (services.module().object_static())(module, object.handle(), site);
            object
        })
    }
}

impl<T: KernelObject + fmt::Debug> fmt::Debug for Static<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.object.get() {
            Some(object) => f.debug_tuple("Static").field(object).finish(),
            None => f.write_str("Static(<not yet made>)"),
        }
    }
}

/// `static DEFINE_MUTEX(name);`: a static `Mutex<()>`, for
/// [`mutex_lock`](super::sync::mutex_lock) and [`mutex_unlock`](super::sync::mutex_unlock).
#[macro_export]
macro_rules! define_mutex {
    ($name:ident) => {
        static $name: $crate::services::statics::Static<$crate::services::sync::Mutex<()>> =
            $crate::services::statics::Static::new(|| $crate::services::sync::Mutex::new(()));
    };
}

/// `static DEFINE_SPINLOCK(name);`: a static `SpinLock<()>`.
#[macro_export]
macro_rules! define_spinlock {
    ($name:ident) => {
        static $name: $crate::services::statics::Static<$crate::services::spinlock::SpinLock<()>> =
            $crate::services::statics::Static::new(|| $crate::services::spinlock::SpinLock::new(()));
    };
}

/// `static DEFINE_SEMAPHORE(name, count);`: a static `Semaphore`.
#[macro_export]
macro_rules! define_semaphore {
    ($name:ident, $count:expr) => {
        static $name: $crate::services::statics::Static<$crate::services::sync::Semaphore> =
            $crate::services::statics::Static::new(|| $crate::services::sync::Semaphore::new($count));
    };
}

/// `static DECLARE_WAIT_QUEUE_HEAD(name);`: a static `WaitQueue`.
#[macro_export]
macro_rules! declare_wait_queue_head {
    ($name:ident) => {
        static $name: $crate::services::statics::Static<$crate::services::wait::WaitQueue> =
            $crate::services::statics::Static::new($crate::services::wait::WaitQueue::new);
    };
}

/// `static DECLARE_COMPLETION(name);`: a static `Completion`.
#[macro_export]
macro_rules! declare_completion {
    ($name:ident) => {
        static $name: $crate::services::statics::Static<$crate::services::wait::Completion> =
            $crate::services::statics::Static::new($crate::services::wait::Completion::new);
    };
}

/// `static DECLARE_WORK(name, function);`: a static `Work` calling
/// `function(&WorkRef)`.
#[macro_export]
macro_rules! declare_work {
    ($name:ident, $function:path) => {
        static $name: $crate::services::statics::Static<$crate::services::workqueue::Work> =
            $crate::services::statics::Static::new(|| {
                $crate::services::workqueue::Work::new($function).expect("DECLARE_WORK: out of memory")
            });
    };
}

/// `static DECLARE_DELAYED_WORK(name, function);`: a static `DelayedWork`
/// calling `function(&DelayedWorkRef)`.
#[macro_export]
macro_rules! declare_delayed_work {
    ($name:ident, $function:path) => {
        static $name: $crate::services::statics::Static<$crate::services::workqueue::DelayedWork> =
            $crate::services::statics::Static::new(|| {
                $crate::services::workqueue::DelayedWork::new($function).expect("DECLARE_DELAYED_WORK: out of memory")
            });
    };
}

/// `static DEFINE_TIMER(name, function);`: a static `Timer` calling
/// `function(&TimerRef)`.
#[macro_export]
macro_rules! define_timer {
    ($name:ident, $function:path) => {
        static $name: $crate::services::statics::Static<$crate::services::timer::Timer> =
            $crate::services::statics::Static::new(|| {
                $crate::services::timer::Timer::new($function).expect("DEFINE_TIMER: out of memory")
            });
    };
}
