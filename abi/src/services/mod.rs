//! The kernel's services: one versioned table of functions the host hands to
//! every module, and the safe handles and macros modules use over it.
//!
//! [`KernelServices`] is an abi_stable prefix type: the host may add fields
//! at the end in later versions, and a module built against an older table
//! keeps working. Every call carries the caller's [`ModuleHandle`], so the
//! host knows which module owns what it creates and whom to blame in dmesg.
//!
//! Modules do not touch the table: they use the handles in this folder, one
//! file per mechanism ([`time`], [`timer`], [`workqueue`], [`kthread`],
//! [`sync`], [`wait`]), `pr_info!` and friends ([`printk`]), and the
//! parameter accessors `module!` generates.
//!
//! # Conventions of the table
//!
//! - Objects the host makes for a module (a timer, a semaphore, ...) are
//!   [`ObjectRef`]s; a null one means the host refused (`-ENOMEM`). Each
//!   belongs to the module that made it; whatever the module leaves behind
//!   at unload, the host cancels or frees and reports.
//! - Calls that may sleep take the caller's source location ([`Site`]), for
//!   `ps`, the hung-task report, and `BUG: sleeping function called from
//!   invalid context`.
//! - Sleeping calls return the kernel's values (`0`, `-EINTR`, `-ETIME`,
//!   remaining jiffies ...). [`KILLED`] means the task was killed by a forced
//!   unload: the handles then unwind the module's code back to the host
//!   ([`crate::runtime::task_killed`]).
//! - Callbacks into the module are `extern "C"` trampolines with a context
//!   pointer; the handles build them and contain every panic.
//!
//! Kernel counterpart: the core kernel API that modules link against.

pub mod kthread;
pub mod pacer;
pub mod printk;
pub mod proc;
pub mod sync;
pub mod time;
pub mod timer;
pub mod wait;
pub mod workqueue;

use abi_stable::{StableAbi, std_types::RStr};
use core::{ffi::c_void, fmt, panic::Location};

use crate::{descriptor::ModuleHandle, param::ParamValue};

/// The return value of a sleeping call whose task was killed by a forced unload.
pub const KILLED: i64 = i64::MIN;

/// An object the host made for a module; null means none.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectRef(pub *const c_void);

// SAFETY: An object reference is an opaque token only the host interprets;
// the host's objects are safe to use from any thread.
unsafe impl Send for ObjectRef {}
// SAFETY: As for `Send`.
unsafe impl Sync for ObjectRef {}

impl ObjectRef {
    /// The null reference.
    pub const NULL: ObjectRef = ObjectRef(core::ptr::null());

    /// Whether this is the null reference.
    pub fn is_null(self) -> bool {
        self.0.is_null()
    }
}

/// A place in a module's source: where a task sleeps, or misbehaves.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct Site {
    /// The source file.
    pub file: RStr<'static>,
    /// The line.
    pub line: u32,
    /// The column.
    pub column: u32,
}

impl Site {
    /// The caller's location (through `#[track_caller]` functions).
    #[track_caller]
    pub fn caller() -> Site {
        let location = Location::caller();
        Site { file: RStr::from_str(location.file()), line: location.line(), column: location.column() }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A callback into a module: the host calls `function(context, object)`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct Callback {
    /// The trampoline.
    pub function: extern "C" fn(*const c_void, ObjectRef),
    /// What the trampoline needs (the module's closure).
    pub context: *const c_void,
}

/// A kthread body: the host calls `function(context)` once and keeps the result.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct ThreadFn {
    /// The trampoline.
    pub function: extern "C" fn(*const c_void) -> i32,
    /// What the trampoline needs (the module's closure).
    pub context: *const c_void,
}

/// A `/proc` file's show function: the host calls `function(context)` on
/// every read and shows the text it returns.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct ShowFn {
    /// The trampoline.
    pub function: extern "C" fn(*const c_void) -> abi_stable::std_types::RString,
    /// What the trampoline needs (the module's closure).
    pub context: *const c_void,
}

// SAFETY: The context points to a `Send + Sync` closure; the host only
// hands it back.
unsafe impl Send for ShowFn {}
// SAFETY: As for `Send`.
unsafe impl Sync for ShowFn {}

/// A wait condition: the host calls `function(context)` until it is true.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct Condition {
    /// The trampoline.
    pub function: extern "C" fn(*const c_void) -> bool,
    /// What the trampoline needs (the waiting call's closure).
    pub context: *const c_void,
}

// SAFETY: The contexts point to closures that are `Send + Sync` (callbacks,
// thread bodies) or that the host calls only from the waiting task itself
// (conditions); the host never dereferences them, it only hands them back.
unsafe impl Send for Callback {}
// SAFETY: As for `Send`.
unsafe impl Sync for Callback {}
// SAFETY: As for `Callback`.
unsafe impl Send for ThreadFn {}
// SAFETY: As for `Callback`.
unsafe impl Sync for ThreadFn {}
// SAFETY: As for `Callback`.
unsafe impl Send for Condition {}
// SAFETY: As for `Callback`.
unsafe impl Sync for Condition {}

/// How a sleeping call may be interrupted (the task state it sleeps in).
pub mod mode {
    /// `TASK_UNINTERRUPTIBLE`.
    pub const UNINTERRUPTIBLE: u8 = 0;
    /// `TASK_INTERRUPTIBLE`: returns `-EINTR` when the module goes away.
    pub const INTERRUPTIBLE: u8 = 1;
    /// `TASK_KILLABLE`: returns `-EINTR` on a forced unload (the fatal
    /// signal) only. Every other wait of a killed task returns [`KILLED`]
    /// and the handles unwind the module's code.
    pub const KILLABLE: u8 = 2;
}

/// The table of kernel services; see the module docs.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = KernelServicesRef)))]
#[sabi(missing_field(panic))]
pub struct KernelServices {
    // ----- The module itself.
    /// `printk`: logs one message at a level (0 `KERN_EMERG` .. 7 `KERN_DEBUG`).
    pub printk: extern "C" fn(ModuleHandle, u8, RStr<'_>),
    /// Reports a panic in module code as an Oops: dmesg lines and taint `D`.
    pub oops: extern "C" fn(ModuleHandle, RStr<'_>),
    /// The module instance's name, valid while it is loaded.
    pub module_name: extern "C" fn(ModuleHandle) -> RStr<'static>,
    /// The current value of the parameter at this index.
    pub param_get: extern "C" fn(ModuleHandle, u32) -> ParamValue,
    /// `try_module_get`: takes a reference on the module; `false` once it is going.
    pub module_get: extern "C" fn(ModuleHandle) -> bool,
    /// `module_put`: drops a reference taken with `module_get`.
    pub module_put: extern "C" fn(ModuleHandle),

    // ----- Time.
    /// `jiffies`.
    pub jiffies: extern "C" fn(ModuleHandle) -> u64,
    /// `HZ`.
    pub hz: extern "C" fn(ModuleHandle) -> u32,
    /// `schedule_timeout` in a mode: sleeps for `timeout` jiffies, returns
    /// the jiffies left (0 when it ran out), or [`KILLED`].
    pub schedule_timeout: extern "C" fn(ModuleHandle, u8, u64, Site) -> i64,
    /// `usleep_range`: sleeps at least `min` microseconds (at most `max` is a hint).
    pub usleep_range: extern "C" fn(ModuleHandle, u64, u64, Site) -> i64,
    /// `signal_pending(current)`.
    pub signal_pending: extern "C" fn() -> bool,
    /// `WARN(1, ...)`: logs a warning with the site, taints `W`.
    pub warn: extern "C" fn(ModuleHandle, RStr<'_>, Site),

    // ----- Timers (`timer_list`).
    /// `timer_setup`: a new, inactive timer calling the callback.
    pub timer_new: extern "C" fn(ModuleHandle, Callback, u32, Site) -> ObjectRef,
    /// `mod_timer`: (re)arms at `expires`; `1` if it was pending, else `0`.
    pub timer_mod: extern "C" fn(ObjectRef, u64, Site) -> i32,
    /// `add_timer`: arms an inactive timer at `expires` (a pending one is a bug, reported).
    pub timer_add: extern "C" fn(ObjectRef, u64, Site),
    /// `timer_delete`/`timer_delete_sync`: `1` if it was pending; sync waits for a running callback.
    pub timer_delete: extern "C" fn(ObjectRef, bool, Site) -> i64,
    /// `timer_shutdown`/`timer_shutdown_sync`: as delete, and later arming is ignored.
    pub timer_shutdown: extern "C" fn(ObjectRef, bool, Site) -> i64,
    /// `timer_pending`.
    pub timer_pending: extern "C" fn(ObjectRef) -> bool,
    /// The timer's `expires`.
    pub timer_expires: extern "C" fn(ObjectRef) -> u64,
    /// Frees a timer after `timer_shutdown_sync`; the callback is never called again.
    pub timer_free: extern "C" fn(ObjectRef),

    // ----- Workqueues.
    /// `alloc_workqueue(name, flags, max_active)`; null if refused.
    pub wq_alloc: extern "C" fn(ModuleHandle, RStr<'_>, u32, i32, Site) -> ObjectRef,
    /// A system workqueue by number (see `workqueue::System`).
    pub wq_system: extern "C" fn(ModuleHandle, u32) -> ObjectRef,
    /// `flush_workqueue` (`false`) or `drain_workqueue` (`true`).
    pub wq_flush: extern "C" fn(ObjectRef, bool, Site) -> i64,
    /// `destroy_workqueue`.
    pub wq_destroy: extern "C" fn(ObjectRef, Site) -> i64,
    /// `INIT_WORK` (`false`) or `INIT_DELAYED_WORK` (`true`): a new idle work item.
    pub work_new: extern "C" fn(ModuleHandle, Callback, bool, Site) -> ObjectRef,
    /// `queue_work` (delay `u64::MAX`: not delayed) / `queue_delayed_work`: `true` if queued, `false` if already pending or disabled.
    pub work_queue: extern "C" fn(ObjectRef, ObjectRef, u64) -> bool,
    /// `mod_delayed_work`: `true` if it was pending and got a new delay.
    pub work_mod_delayed: extern "C" fn(ObjectRef, ObjectRef, u64) -> bool,
    /// `cancel_work`/`cancel_delayed_work` (sync: waits for a running instance): `1` if it was pending.
    pub work_cancel: extern "C" fn(ObjectRef, bool, Site) -> i64,
    /// `flush_work`/`flush_delayed_work`: `1` if it waited.
    pub work_flush: extern "C" fn(ObjectRef, Site) -> i64,
    /// `disable_work(_sync)`: as cancel, and queueing fails until enabled; `1` if it was pending.
    pub work_disable: extern "C" fn(ObjectRef, bool, Site) -> i64,
    /// `enable_work`: `true` when the disable count drops to zero.
    pub work_enable: extern "C" fn(ObjectRef) -> bool,
    /// `work_pending`.
    pub work_pending: extern "C" fn(ObjectRef) -> bool,
    /// Frees a work item after a sync cancel; the callback is never called again.
    pub work_free: extern "C" fn(ObjectRef),
    /// Re-queues the running work item on the workqueue it runs on, after `delay` jiffies.
    pub work_requeue: extern "C" fn(ObjectRef, u64) -> bool,

    // ----- kthreads.
    /// `kthread_create` (`run` false) / `kthread_run` (`run` true); null if refused.
    pub kthread_create: extern "C" fn(ModuleHandle, ThreadFn, RStr<'_>, bool, Site) -> ObjectRef,
    /// `wake_up_process` on a kthread.
    pub kthread_wake: extern "C" fn(ObjectRef),
    /// `kthread_should_stop()` for the calling task.
    pub kthread_should_stop: extern "C" fn() -> bool,
    /// `kthread_stop`: stops the thread and returns its result (`-EINTR` if it never ran).
    pub kthread_stop: extern "C" fn(ObjectRef, Site) -> i64,
    /// Frees a stopped kthread.
    pub kthread_free: extern "C" fn(ObjectRef),

    // ----- Semaphores.
    /// `sema_init`.
    pub sema_new: extern "C" fn(ModuleHandle, i32) -> ObjectRef,
    /// `down` in a mode, with a timeout in jiffies (`u64::MAX` for none): `0`, `-EINTR`, `-ETIME` or [`KILLED`].
    pub down: extern "C" fn(ObjectRef, u8, u64, Site) -> i64,
    /// `down_trylock`: `0` if acquired, `1` if not.
    pub down_trylock: extern "C" fn(ObjectRef) -> i32,
    /// `up`.
    pub up: extern "C" fn(ObjectRef),
    /// Frees a semaphore.
    pub sema_free: extern "C" fn(ObjectRef),

    // ----- Mutexes.
    /// `mutex_init`.
    pub mutex_new: extern "C" fn(ModuleHandle) -> ObjectRef,
    /// `mutex_lock` in a mode: `0`, `-EINTR`, `-EDEADLK` (recursive, reported) or [`KILLED`].
    pub mutex_lock: extern "C" fn(ObjectRef, u8, Site) -> i64,
    /// `mutex_trylock`: `true` if acquired.
    pub mutex_trylock: extern "C" fn(ObjectRef) -> bool,
    /// `mutex_unlock`; by a task that is not the owner, reported.
    pub mutex_unlock: extern "C" fn(ObjectRef, Site),
    /// `mutex_is_locked`.
    pub mutex_is_locked: extern "C" fn(ObjectRef) -> bool,
    /// Frees a mutex.
    pub mutex_free: extern "C" fn(ObjectRef),

    // ----- Wait queues and completions.
    /// `init_waitqueue_head`.
    pub waitqueue_new: extern "C" fn(ModuleHandle) -> ObjectRef,
    /// `wait_event*`: waits until `condition(context)`, in a mode, with a
    /// timeout in jiffies (`u64::MAX` for none); returns the kernel's value
    /// for that variant's contract (see `wait::WaitQueue`), or [`KILLED`].
    pub wait_event: extern "C" fn(ObjectRef, Condition, u8, u64, Site) -> i64,
    /// `wake_up` (`false`) / `wake_up_all` (`true`).
    pub wake_up: extern "C" fn(ObjectRef, bool),
    /// Frees a wait queue.
    pub waitqueue_free: extern "C" fn(ObjectRef),
    /// `init_completion`.
    pub completion_new: extern "C" fn(ModuleHandle) -> ObjectRef,
    /// `complete` (`false`) / `complete_all` (`true`).
    pub complete: extern "C" fn(ObjectRef, bool),
    /// `wait_for_completion*` in a mode with a timeout (`u64::MAX` for none):
    /// remaining jiffies (at least 1) or 0 on timeout for timed waits, `0`
    /// for untimed ones, `-ERESTARTSYS`, or [`KILLED`].
    pub wait_for_completion: extern "C" fn(ObjectRef, u8, u64, Site) -> i64,
    /// `completion_done`.
    pub completion_done: extern "C" fn(ObjectRef) -> bool,
    /// `reinit_completion`.
    pub completion_reinit: extern "C" fn(ObjectRef),
    /// Frees a completion.
    pub completion_free: extern "C" fn(ObjectRef),

    // ----- /proc.
    /// `proc_create_single`: a read-only file `/proc/NAME`; null if the name is taken.
    pub proc_create: extern "C" fn(ModuleHandle, RStr<'_>, ShowFn) -> ObjectRef,
    /// `proc_remove`: removes the file, waiting for reads in progress.
    pub proc_remove: extern "C" fn(ObjectRef),

    // ----- Time, again.
    /// `ktime_get_ns`: nanoseconds of kernel uptime (the clock jiffies count).
    ///
    /// This is the last field of the first version of the table: fields added
    /// later go below it, and a module reading one from an older host gets a
    /// clear panic instead of undefined behaviour.
    #[sabi(last_prefix_field)]
    pub ktime_get_ns: extern "C" fn(ModuleHandle) -> u64,
}

impl fmt::Debug for KernelServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KernelServices { .. }")
    }
}
