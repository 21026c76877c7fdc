//! The service table: every function a module may call in its kernel, and
//! the C types those functions use.
//!
//! The host hands one [`KernelServices`] table to every module's `init`: a
//! group of functions per mechanism ([`TimerOps`], [`LockingOps`], ...).
//! The table and each group are abi_stable prefix types: later versions add
//! fields at their ends, so the fields a module reads stay where it expects
//! them. The host's layout check of a Rust module's descriptor compares the
//! table too, in the direction of the descriptor (module to host), so today
//! a Rust module is rebuilt when the table grows; a C module reads the
//! table through `kbuild/include/modhost/services.h` of its own checkout,
//! at fixed offsets. The functions are `extern "C"` functions over C types
//! only (integers, `bool`, pointers and the `#[repr(C)]` structs below), so
//! that the C header declares the same table (a host test compares them).
//!
//! # Conventions
//!
//! - Every function takes the caller's [`ModuleHandle`] first: the host
//!   checks it, charges what the call does to that module, and names it in
//!   reports. A call from a module that is gone (its code still runs after
//!   rmmod, in a thread of its own) is refused and reported once.
//! - Kernel objects (a timer, a semaphore, ...) are [`Handle`]s: opaque
//!   numbers the host checks on every use. A stale, double-freed, forged or
//!   foreign handle, or one of the wrong kind, gets a WARN naming the module
//!   and the call's [`Site`], and the call fails as the kernel's would
//!   (`-EINVAL`, `false`, a null handle), never a crash.
//! - Every function that takes a handle, or may sleep, takes the caller's
//!   source location last, for `ps`, the reports, and the hung-task detector.
//! - Kinds of sleep and of operation are small integer types with named
//!   values ([`SleepMode`], [`TimerDelete`], ...), the way C enums are, and
//!   a timeout is a [`Timeout`]; a value the host does not know is refused.
//! - Return values are the kernel's: `0` or `-errno`, `1`/`0` for "was
//!   pending", the jiffies left. A sleep cut short because the task was
//!   killed (a forced unload) returns `-EINTR`; [`TimeOps::fatal_signal_pending`]
//!   then says so, and the Rust handles unwind the module's code.
//! - Callbacks into the module ([`Callback`], [`Condition`]) are a function
//!   and a context pointer. A callback's context belongs to the host from
//!   the moment the object is made: the host calls `release(context)` once,
//!   after the object is freed and its callback has returned for the last
//!   time, so an object may be freed from inside its own callback.
//!
//! Kernel counterpart: the core kernel API that modules link against.

use abi_stable::{StableAbi, std_types::RStr};
use core::{ffi::c_void, fmt, panic::Location};

/// Declares a C-style enum: an integer newtype with named values, which a
/// C header can declare and the host can check (an unknown value from a
/// module is refused, never undefined behaviour).
macro_rules! abi_enum {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($repr:ty) {
            $( $(#[$vmeta:meta])* $value:ident = $number:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$vmeta])* pub const $value: $name = $name($number); )*

            /// The value's name, or `None` for a value this ABI does not define.
            pub const fn name(self) -> Option<&'static str> {
                $( if self.0 == $number { return Some(stringify!($value)); } )*
                None
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }
    };
}

/// One loaded module instance, as the host numbers it; 0 is none.
///
/// The host gives it to `init`; the module passes it back with every call.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleHandle(u64);

/// A kernel object the host made for a module; 0 is none.
///
/// Only the host interprets the number: a handle that does not name a live
/// object of the expected kind is refused on use.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle(u64);

macro_rules! raw_number {
    ($type:ident) => {
        impl $type {
            /// None.
            pub const NULL: $type = $type(0);

            /// The handle with this number (the host's side of the ABI).
            pub const fn from_raw(raw: u64) -> $type {
                $type(raw)
            }

            /// The number.
            pub const fn to_raw(self) -> u64 {
                self.0
            }

            /// Whether this is none.
            pub const fn is_null(self) -> bool {
                self.0 == 0
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($type), "({:#x})"), self.0)
            }
        }
    };
}

raw_number!(ModuleHandle);
raw_number!(Handle);

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
    /// An address in the calling function (the kernel's `_THIS_IP_`), so
    /// that reports can name it (`add_item+0x1c/0x80 [fifo]`); 0 when
    /// unknown (Rust gives file, line and column instead).
    pub ip: usize,
}

impl Site {
    /// No known place (a destructor: Rust does not say where a value is dropped).
    pub const NONE: Site = Site { file: RStr::from_str(""), line: 0, column: 0, ip: 0 };

    /// Whether this is [`Site::NONE`].
    pub const fn is_none(&self) -> bool {
        self.file.is_empty()
    }

    /// The caller's location (through `#[track_caller]` functions).
    #[track_caller]
    pub fn caller() -> Site {
        let location = Location::caller();
        Site { file: RStr::from_str(location.file()), line: location.line(), column: location.column(), ip: 0 }
    }
}

impl fmt::Display for Site {
    /// `file:line:column`, or `file:line` when the column is unknown (0,
    /// as C's `__LINE__` gives no column).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            0 => write!(f, "{}:{}", self.file, self.line),
            column => write!(f, "{}:{}:{column}", self.file, self.line),
        }
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

abi_enum! {
    /// The state a task sleeps in, with the kernel's `TASK_*` values.
    pub struct SleepMode(u32) {
        /// `TASK_INTERRUPTIBLE`: a signal ends the sleep (`-EINTR`); rmmod
        /// gives the module's work items one.
        INTERRUPTIBLE = 0x0001,
        /// `TASK_UNINTERRUPTIBLE`: only a wake-up or the timeout.
        UNINTERRUPTIBLE = 0x0002,
        /// `TASK_KILLABLE`: uninterruptible, but a fatal signal (a forced
        /// unload) ends it with `-EINTR`.
        KILLABLE = 0x0102,
    }
}

abi_enum! {
    /// Which deactivation `timer_delete` performs.
    pub struct TimerDelete(u32) {
        /// `timer_delete`: deactivates; a running callback goes on.
        DELETE = 0,
        /// `timer_delete_sync`: deactivates and waits for a running callback.
        DELETE_SYNC = 1,
        /// `timer_shutdown`: as `DELETE`, and later arming is ignored.
        SHUTDOWN = 2,
        /// `timer_shutdown_sync`: as `DELETE_SYNC`, and later arming is ignored.
        SHUTDOWN_SYNC = 3,
    }
}

abi_enum! {
    /// Which cancellation `work_cancel` performs.
    pub struct WorkCancel(u32) {
        /// `cancel_work`: takes it off its queue; a running instance goes on.
        CANCEL = 0,
        /// `cancel_work_sync`: also waits for a running instance.
        CANCEL_SYNC = 1,
        /// `disable_work`: as `CANCEL`, and queueing fails until `enable_work`.
        DISABLE = 2,
        /// `disable_work_sync`: as `CANCEL_SYNC`, and queueing fails until `enable_work`.
        DISABLE_SYNC = 3,
        /// `tasklet_kill`: as `CANCEL_SYNC`, named so in reports.
        KILL_TASKLET = 4,
    }
}

abi_enum! {
    /// The kernel's system workqueues.
    pub struct SystemWq(u32) {
        /// `system_wq` (`schedule_work`): short items.
        NORMAL = 0,
        /// `system_highpri_wq`.
        HIGHPRI = 1,
        /// `system_long_wq`: items that may take long.
        LONG = 2,
        /// `system_unbound_wq`.
        UNBOUND = 3,
        /// `system_freezable_wq`.
        FREEZABLE = 4,
        /// `system_power_efficient_wq`.
        POWER_EFFICIENT = 5,
        /// `system_bh_wq`: items run in softirq context and may not sleep.
        BH = 6,
    }
}

/// How long a sleep may last: some jiffies, or until woken.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeout {
    /// No limit: `jiffies` is ignored (the kernel's `MAX_SCHEDULE_TIMEOUT`).
    pub forever: bool,
    /// The limit, in jiffies.
    pub jiffies: u64,
}

impl Timeout {
    /// Until woken.
    pub const FOREVER: Timeout = Timeout { forever: true, jiffies: 0 };

    /// At most `jiffies`.
    pub const fn jiffies(jiffies: u64) -> Timeout {
        Timeout { forever: false, jiffies }
    }

    /// The limit, or `None` for none.
    pub const fn limit(self) -> Option<u64> {
        if self.forever { None } else { Some(self.jiffies) }
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit() {
            None => f.write_str("Timeout::FOREVER"),
            Some(j) => write!(f, "Timeout({j} jiffies)"),
        }
    }
}

/// A callback into a module: a timer or work function, a kthread body, a
/// `/proc` show function.
///
/// The host calls `function(context, handle)`, where `handle` is the object
/// the callback belongs to (for a show function, the `seq_file` to write
/// to); what it returns is a kthread's result or a show function's `0` or
/// `-errno`, and is ignored for timers and work. It calls
/// `release(context)` once, when the object is gone and the callback will
/// never be called again.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct Callback {
    /// The trampoline.
    pub function: extern "C" fn(*const c_void, Handle) -> i32,
    /// What the trampoline needs (the module's closure).
    pub context: *const c_void,
    /// Frees the context.
    pub release: extern "C" fn(*const c_void),
}

/// A wait condition: the host calls `function(context)` until it is true,
/// only from the waiting task and only during the waiting call.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct Condition {
    /// The trampoline.
    pub function: extern "C" fn(*const c_void) -> bool,
    /// What the trampoline needs (the waiting call's closure).
    pub context: *const c_void,
}

// SAFETY: The contexts point to closures that are `Send + Sync` (callbacks)
// or that the host calls only from the waiting task itself (conditions);
// the host never dereferences them, it only hands them back.
unsafe impl Send for Callback {}
// SAFETY: As for `Send`.
unsafe impl Sync for Callback {}
// SAFETY: As for `Callback`.
unsafe impl Send for Condition {}
// SAFETY: As for `Callback`.
unsafe impl Sync for Condition {}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback").field("context", &self.context).finish_non_exhaustive()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition").field("context", &self.context).finish_non_exhaustive()
    }
}

/// The table of kernel services: one group of functions per mechanism;
/// see the module docs.
///
/// Each group is a prefix type of its own, so each may grow at its end, and
/// new groups may follow the last one.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = KernelServicesRef)))]
#[sabi(missing_field(panic))]
pub struct KernelServices {
    /// The module itself: its log, parameters and references.
    pub module: ModuleOpsRef,
    /// Time, sleeping, and the current task.
    pub time: TimeOpsRef,
    /// Timers (`struct timer_list`).
    pub timer: TimerOpsRef,
    /// Workqueues and work items.
    pub workqueue: WorkqueueOpsRef,
    /// kthreads.
    pub kthread: KThreadOpsRef,
    /// Semaphores, mutexes and spinlocks.
    pub locking: LockingOpsRef,
    /// Wait queues and completions.
    pub wait: WaitOpsRef,
    /// `/proc` files.
    ///
    /// The last group of version 2 of the table: groups added later go
    /// below it, and a module reading one from an older host gets a clear
    /// panic instead of undefined behaviour.
    #[sabi(last_prefix_field)]
    pub proc: ProcOpsRef,
    /// Module memory (`kmalloc`) and random bytes.
    pub mem: MemOpsRef,
    /// Symbols and stack traces, for `%pS` and `dump_stack`.
    pub debug: DebugOpsRef,
    /// Character devices, `/proc` files with file operations, and user memory.
    pub dev: DevOpsRef,
    /// User-mode helpers: programs the kernel runs.
    pub umh: UmhOpsRef,
}

/// The module itself: its log, parameters and references.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ModuleOpsRef)))]
#[sabi(missing_field(panic))]
pub struct ModuleOps {
    /// `printk(m, level, text)`: one message at a level, 0 `KERN_EMERG` to 7
    /// `KERN_DEBUG` (larger is debug).
    pub printk: extern "C" fn(ModuleHandle, u32, RStr<'_>),
    /// `oops(m, text)`: a panic in the module's code, reported as an Oops.
    pub oops: extern "C" fn(ModuleHandle, RStr<'_>),
    /// `WARN(1, text)` at `site`: taints `W`.
    pub warn: extern "C" fn(ModuleHandle, RStr<'_>, Site),
    /// The instance's name; valid as long as the module's code can run.
    pub module_name: extern "C" fn(ModuleHandle) -> RStr<'static>,
    /// `param_get(m, index, buf, len)` (`-ENOENT`: no value to give, the
    /// module keeps its own): writes the current value of the
    /// parameter as `/sys/module/NAME/parameters/` shows it (no newline)
    /// into `buf`, and returns its length; a value longer than `len` is
    /// not written (call again with room); `-EINVAL` for no such parameter.
    pub param_get: extern "C" fn(ModuleHandle, u32, *mut u8, usize) -> i64,
    /// `try_module_get(THIS_MODULE)`: `false` once the module is going.
    pub try_module_get: extern "C" fn(ModuleHandle) -> bool,
    /// `module_put(THIS_MODULE)`.
    pub module_put: extern "C" fn(ModuleHandle),
    /// Declares an object static: it lives as long as the module (the C
    /// idiom `static DEFINE_MUTEX(...)`), and freeing it at unload is not a leak.
    #[sabi(last_prefix_field)]
    pub object_static: extern "C" fn(ModuleHandle, Handle, Site),
    /// `vprintk(level, text)`: one line, logged as it is (a C module's
    /// `printk`, to which the kernel adds no name).
    pub vprintk: extern "C" fn(ModuleHandle, u32, RStr<'_>),
    /// `module_refcount(THIS_MODULE)`: the modules using it plus the
    /// references taken with `try_module_get`.
    pub module_refcount: extern "C" fn(ModuleHandle) -> u32,
}

/// Time, sleeping, and the current task.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = TimeOpsRef)))]
#[sabi(missing_field(panic))]
pub struct TimeOps {
    /// `jiffies`.
    pub jiffies: extern "C" fn(ModuleHandle) -> u64,
    /// `HZ`.
    pub hz: extern "C" fn(ModuleHandle) -> u32,
    /// `ktime_get_ns`: nanoseconds of kernel uptime (the clock jiffies count).
    pub ktime_get_ns: extern "C" fn(ModuleHandle) -> u64,
    /// `schedule_timeout` in a mode: the jiffies left (0 when the time ran
    /// out; `MAX_SCHEDULE_TIMEOUT` after an unbounded sleep).
    pub schedule_timeout: extern "C" fn(ModuleHandle, SleepMode, Timeout, Site) -> u64,
    /// `usleep_range(min, max)` in microseconds: `0`, or `-EINTR` if killed.
    pub usleep_range: extern "C" fn(ModuleHandle, u64, u64, Site) -> i32,
    /// `signal_pending(current)`.
    pub signal_pending: extern "C" fn(ModuleHandle) -> bool,
    /// `fatal_signal_pending(current)`: the task was killed by a forced unload.
    pub fatal_signal_pending: extern "C" fn(ModuleHandle) -> bool,
    /// `current->pid`.
    pub current_pid: extern "C" fn(ModuleHandle) -> i32,
    /// `get_task_comm(buf, current)`: writes the task's name (at most
    /// `len` bytes, no NUL) and returns its length.
    #[sabi(last_prefix_field)]
    pub get_task_comm: extern "C" fn(ModuleHandle, *mut u8, usize) -> usize,
    /// `ktime_get_real_ns`: nanoseconds since the epoch (the wall time at
    /// boot plus the kernel clock's uptime).
    pub ktime_get_real_ns: extern "C" fn(ModuleHandle) -> u64,
    /// The calling task's context as the kernel's preempt count says it:
    /// [`PREEMPT_OFFSET`] per level of atomic context (a spinlock held),
    /// plus [`SOFTIRQ_OFFSET`] while serving a softirq (a timer callback,
    /// a tasklet, a BH work item); 0 in process context.
    pub in_context: extern "C" fn(ModuleHandle) -> u32,
}

/// One level of `preempt_disable` in [`TimeOps::in_context`].
pub const PREEMPT_OFFSET: u32 = 1;

/// Serving a softirq, in [`TimeOps::in_context`] (the kernel's value).
pub const SOFTIRQ_OFFSET: u32 = 0x100;

/// Timers (`struct timer_list`).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = TimerOpsRef)))]
#[sabi(missing_field(panic))]
pub struct TimerOps {
    /// `timer_setup(callback, flags)`: a new, inactive timer.
    pub timer_setup: extern "C" fn(ModuleHandle, Callback, u32, Site) -> Handle,
    /// `mod_timer(timer, expires)`: `1` if it was pending, else `0`.
    pub mod_timer: extern "C" fn(ModuleHandle, Handle, u64, Site) -> i32,
    /// `add_timer(timer)` at `expires`; a pending timer is a bug, reported.
    pub add_timer: extern "C" fn(ModuleHandle, Handle, u64, Site),
    /// `timer_delete*` and `timer_shutdown*`: `1` if it was pending, `0` if
    /// not, `-EINTR` if killed while waiting.
    pub timer_delete: extern "C" fn(ModuleHandle, Handle, TimerDelete, Site) -> i32,
    /// `timer_pending(timer)`.
    pub timer_pending: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// The timer's `expires`.
    pub timer_expires: extern "C" fn(ModuleHandle, Handle, Site) -> u64,
    /// Frees a timer: shuts it down (synchronously, unless from its own
    /// callback) and releases it once its callback has returned.
    #[sabi(last_prefix_field)]
    pub timer_free: extern "C" fn(ModuleHandle, Handle, Site),
}

/// Workqueues and work items.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = WorkqueueOpsRef)))]
#[sabi(missing_field(panic))]
pub struct WorkqueueOps {
    /// `alloc_workqueue(name, flags, max_active)`; null if refused.
    pub alloc_workqueue: extern "C" fn(ModuleHandle, RStr<'_>, u32, i32, Site) -> Handle,
    /// One of the system workqueues; never destroyed by a module.
    pub system_workqueue: extern "C" fn(ModuleHandle, SystemWq) -> Handle,
    /// `flush_workqueue(wq)`: `0`, or `-EINTR` if killed.
    pub flush_workqueue: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// `drain_workqueue(wq)`: `0`, or `-EINTR` if killed.
    pub drain_workqueue: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// `destroy_workqueue(wq)`: `0`, or `-EINTR` if killed.
    pub destroy_workqueue: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// `INIT_WORK(work, callback)`.
    pub init_work: extern "C" fn(ModuleHandle, Callback, Site) -> Handle,
    /// `INIT_DELAYED_WORK(dwork, callback)`.
    pub init_delayed_work: extern "C" fn(ModuleHandle, Callback, Site) -> Handle,
    /// `queue_work(wq, work)`: `true` if queued, `false` if already pending or disabled.
    pub queue_work: extern "C" fn(ModuleHandle, Handle, Handle, Site) -> bool,
    /// `queue_delayed_work(wq, dwork, delay)`: as `queue_work`; a delay of 0 queues now.
    pub queue_delayed_work: extern "C" fn(ModuleHandle, Handle, Handle, u64, Site) -> bool,
    /// `mod_delayed_work(wq, dwork, delay)`: `true` if it was pending.
    pub mod_delayed_work: extern "C" fn(ModuleHandle, Handle, Handle, u64, Site) -> bool,
    /// `cancel_work*` and `disable_work*`: `1` if it was pending, `0` if
    /// not, `-EINTR` if killed while waiting.
    pub work_cancel: extern "C" fn(ModuleHandle, Handle, WorkCancel, Site) -> i32,
    /// `flush_work`/`flush_delayed_work`: `1` if it waited, `0` if idle, `-EINTR` if killed.
    pub flush_work: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// `enable_work`: `true` when the disable count drops to zero.
    pub enable_work: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// `work_pending`.
    pub work_pending: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// Queues the running item again on the workqueue it runs on, after
    /// `delay` jiffies (0: now); `false` if it is not running or may not queue.
    pub work_requeue: extern "C" fn(ModuleHandle, Handle, u64, Site) -> bool,
    /// Frees a work item: disables and waits for it (unless from its own
    /// callback) and releases it once its callback has returned.
    #[sabi(last_prefix_field)]
    pub work_free: extern "C" fn(ModuleHandle, Handle, Site),
}

/// kthreads.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = KThreadOpsRef)))]
#[sabi(missing_field(panic))]
pub struct KThreadOps {
    /// `kthread_create(body, name)`: a thread waiting to be woken; null if refused.
    pub kthread_create: extern "C" fn(ModuleHandle, Callback, RStr<'_>, Site) -> Handle,
    /// `wake_up_process(kthread)`: `true` if it was asleep (or not yet started).
    pub wake_up_process: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// `kthread_should_stop()` for the calling task.
    pub kthread_should_stop: extern "C" fn(ModuleHandle) -> bool,
    /// `kthread_stop(kthread)`: its result, `-EINTR` if it never ran.
    pub kthread_stop: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// Frees a kthread, stopping it first if it runs.
    #[sabi(last_prefix_field)]
    pub kthread_free: extern "C" fn(ModuleHandle, Handle, Site),
    /// The kthread's pid (`ps`'s, `current->pid` in it), known as soon as
    /// it is created; `-EINVAL` for a bad handle.
    pub kthread_pid: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// `allow_signal(sig)` for the calling task: the signal is delivered
    /// from now on (a kernel thread ignores every signal it does not allow).
    pub allow_signal: extern "C" fn(ModuleHandle, i32),
    /// `disallow_signal(sig)`: ignored again, and a pending one discarded.
    pub disallow_signal: extern "C" fn(ModuleHandle, i32),
    /// `flush_signals(current)`: forgets the pending signals.
    pub flush_signals: extern "C" fn(ModuleHandle),
    /// `send_sig(sig, task, 0)` to the task with this pid: `0`, `-ESRCH` for
    /// no such task of this kernel, `-EINVAL` for no such signal.
    pub send_sig: extern "C" fn(ModuleHandle, i32, i32) -> i32,
}

/// Semaphores, mutexes and spinlocks.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = LockingOpsRef)))]
#[sabi(missing_field(panic))]
pub struct LockingOps {
    /// `sema_init(sem, count)`.
    pub sema_init: extern "C" fn(ModuleHandle, i32, Site) -> Handle,
    /// `down*`: `0`, `-EINTR` (a signal, or killed) or `-ETIME`.
    pub down: extern "C" fn(ModuleHandle, Handle, SleepMode, Timeout, Site) -> i32,
    /// `down_trylock`: `0` if acquired, `1` if not.
    pub down_trylock: extern "C" fn(ModuleHandle, Handle, Site) -> i32,
    /// `up`.
    pub up: extern "C" fn(ModuleHandle, Handle, Site),
    /// Frees a semaphore; tasks still waiting are reported and killed.
    pub sema_free: extern "C" fn(ModuleHandle, Handle, Site),
    /// `mutex_init`.
    pub mutex_init: extern "C" fn(ModuleHandle, Site) -> Handle,
    /// `mutex_lock*`: `0`, `-EINTR`, or `-EDEADLK` (recursive, reported).
    pub mutex_lock: extern "C" fn(ModuleHandle, Handle, SleepMode, Site) -> i32,
    /// `mutex_trylock`: `true` if acquired.
    pub mutex_trylock: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// `mutex_unlock`; by a task that is not the owner, reported.
    pub mutex_unlock: extern "C" fn(ModuleHandle, Handle, Site),
    /// `mutex_is_locked`.
    pub mutex_is_locked: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// Frees a mutex (`mutex_destroy`); freeing a held one is reported.
    pub mutex_free: extern "C" fn(ModuleHandle, Handle, Site),
    /// `spin_lock_init`.
    pub spin_lock_init: extern "C" fn(ModuleHandle, Site) -> Handle,
    /// `spin_lock`: atomic context until `spin_unlock`.
    pub spin_lock: extern "C" fn(ModuleHandle, Handle, Site),
    /// `spin_trylock`: `true` if acquired.
    pub spin_trylock: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// `spin_unlock`; by a task that does not hold it, reported.
    pub spin_unlock: extern "C" fn(ModuleHandle, Handle, Site),
    /// Frees a spinlock; freeing a held one is reported.
    #[sabi(last_prefix_field)]
    pub spin_lock_free: extern "C" fn(ModuleHandle, Handle, Site),
}

/// Wait queues and completions.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = WaitOpsRef)))]
#[sabi(missing_field(panic))]
pub struct WaitOps {
    /// `init_waitqueue_head`.
    pub init_waitqueue_head: extern "C" fn(ModuleHandle, Site) -> Handle,
    /// `wait_event*`: waits until `condition`, in a mode, with a timeout;
    /// untimed: `0`; timed: the jiffies left (at least 1) or `0` on
    /// timeout; `-ERESTARTSYS` on a signal or a kill.
    pub wait_event: extern "C" fn(ModuleHandle, Handle, Condition, SleepMode, Timeout, Site) -> i64,
    /// `wake_up`.
    pub wake_up: extern "C" fn(ModuleHandle, Handle, Site),
    /// `wake_up_all`.
    pub wake_up_all: extern "C" fn(ModuleHandle, Handle, Site),
    /// Frees a wait queue; tasks still waiting are reported and killed.
    pub waitqueue_free: extern "C" fn(ModuleHandle, Handle, Site),
    /// `init_completion`.
    pub init_completion: extern "C" fn(ModuleHandle, Site) -> Handle,
    /// `complete`.
    pub complete: extern "C" fn(ModuleHandle, Handle, Site),
    /// `complete_all`.
    pub complete_all: extern "C" fn(ModuleHandle, Handle, Site),
    /// `wait_for_completion*`: untimed `0`; timed, the jiffies left (at
    /// least 1) or `0` on timeout; `-ERESTARTSYS` on a signal or a kill.
    pub wait_for_completion: extern "C" fn(ModuleHandle, Handle, SleepMode, Timeout, Site) -> i64,
    /// `completion_done`.
    pub completion_done: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
    /// `reinit_completion`.
    pub reinit_completion: extern "C" fn(ModuleHandle, Handle, Site),
    /// Frees a completion; tasks still waiting are reported and killed.
    #[sabi(last_prefix_field)]
    pub completion_free: extern "C" fn(ModuleHandle, Handle, Site),
    /// `try_wait_for_completion`: takes one event if there is one, never
    /// sleeps; `true` if it did.
    pub try_wait_for_completion: extern "C" fn(ModuleHandle, Handle, Site) -> bool,
}

/// `/proc` files.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ProcOpsRef)))]
#[sabi(missing_field(panic))]
pub struct ProcOps {
    /// `proc_create_single(name, show)`: `/proc/NAME`; null if the name is
    /// taken. `show` gets a `seq_file` handle to write to.
    pub proc_create: extern "C" fn(ModuleHandle, RStr<'_>, Callback, Site) -> Handle,
    /// `proc_remove`: removes the file, after reads in progress.
    pub proc_remove: extern "C" fn(ModuleHandle, Handle, Site),
    /// `seq_write(seq, text)` from a show function: `0`, or `-EINVAL`
    /// outside one.
    #[sabi(last_prefix_field)]
    pub seq_write: extern "C" fn(ModuleHandle, Handle, RStr<'_>, Site) -> i32,
}

/// Module memory (`kmalloc`) and random bytes.
///
/// A block belongs to the module that allocated it: what is left at rmmod
/// is reported with its size and allocation site, then freed.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = MemOpsRef)))]
#[sabi(missing_field(panic))]
pub struct MemOps {
    /// `kmalloc(size, gfp)`: a block aligned to 16 bytes, zeroed if `gfp`
    /// has `__GFP_ZERO`; null when refused.
    pub kmalloc: extern "C" fn(ModuleHandle, usize, u32, Site) -> *mut c_void,
    /// `kfree(block)`: a pointer that is not a live block of the module
    /// (a double or invalid free) is reported and ignored; kernel objects
    /// embedded in the block ([`MemOps::object_at`]) are freed with it.
    pub kfree: extern "C" fn(ModuleHandle, *const c_void, Site),
    /// `ksize(block)`: the block's usable size, 0 for no block.
    pub ksize: extern "C" fn(ModuleHandle, *const c_void, Site) -> usize,
    /// `get_random_bytes(buf, len)`.
    pub get_random_bytes: extern "C" fn(ModuleHandle, *mut u8, usize),
    /// Says that the object lives at `address` (a C module's
    /// `struct timer_list`, `work_struct`, ...): `kfree` of the block
    /// holding it frees the object too.
    #[sabi(last_prefix_field)]
    pub object_at: extern "C" fn(ModuleHandle, Handle, *const c_void),
    /// `kasan_check(address, size, is_write, ip)`: a module built with
    /// `KASAN=1` calls it before each load and store of `size` bytes at
    /// `address`; `ip` is the access's place in its code. An access to a
    /// redzone or a freed block is reported (once per block) and goes ahead.
    pub kasan_check: extern "C" fn(ModuleHandle, *const c_void, usize, bool, u64),
}

/// Symbols and stack traces, for `%pS` and `dump_stack`.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = DebugOpsRef)))]
#[sabi(missing_field(panic))]
pub struct DebugOps {
    /// `sprint_symbol(buf, address)`: writes `name+0x1c/0x80 [module]`
    /// (without `+off/size` when `offset` is false) or the address in hex,
    /// at most `len` bytes, no NUL; returns the length of the whole text.
    pub sprint_symbol: extern "C" fn(ModuleHandle, u64, bool, *mut u8, usize) -> usize,
    /// `dump_stack()`: logs the calling task and its call trace.
    #[sabi(last_prefix_field)]
    pub dump_stack: extern "C" fn(ModuleHandle, Site),
}

abi_enum! {
    /// Which file operation a [`FileCall`] asks of the module.
    pub struct FileOp(u32) {
        /// `open(inode, file)`: the trampoline makes the module's
        /// `struct file` and returns it in [`FileCall::file`].
        OPEN = 0,
        /// `read(file, buf, len, &pos)`: bytes read, or `-errno`.
        READ = 1,
        /// `write(file, buf, len, &pos)`: bytes written, or `-errno`.
        WRITE = 2,
        /// `llseek(file, offset, whence)`: the new position, or `-errno`.
        LLSEEK = 3,
        /// `unlocked_ioctl(file, cmd, arg)`.
        IOCTL = 4,
        /// `release(inode, file)`: the trampoline frees its `struct file`.
        RELEASE = 5,
    }
}

/// One call of a module's file operations, filled in by the host.
///
/// The user buffer `buf..buf+len` is the host's: the module reaches it only
/// through [`DevOps::copy_to_user`] and [`DevOps::copy_from_user`], which
/// check every address against the buffer of the call in progress.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct FileCall {
    /// The operation.
    pub op: FileOp,
    /// `O_RDONLY`, `O_WRONLY` or `O_RDWR`, with `O_NONBLOCK` (the open flags).
    pub flags: u32,
    /// The device number opened (`MKDEV(major, minor)`, 12 + 20 bits); 0 for a `/proc` file.
    pub dev: u32,
    /// The whence of `LLSEEK`.
    pub whence: i32,
    /// The module's `struct file`: set by `OPEN`, passed back by every later call.
    pub file: *mut c_void,
    /// The user buffer of `READ` and `WRITE`.
    pub buf: *mut u8,
    /// Its length.
    pub len: usize,
    /// The offset of `LLSEEK`.
    pub offset: i64,
    /// The command of `IOCTL`.
    pub cmd: u32,
    /// The argument of `IOCTL`.
    pub arg: u64,
}

/// A module's file operations: the host calls `call(context, &mut call)`,
/// always in the module's context, never after the object that holds
/// them is gone and no file opened through them is open.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct FileOps {
    /// The trampoline (kbuild/lib's, over a C `struct file_operations`).
    pub call: extern "C" fn(*const c_void, *mut FileCall) -> i64,
    /// What the trampoline needs to open a file (a C `struct cdev`, ...).
    pub context: *const c_void,
}

// SAFETY: The context is module memory the host never dereferences; it is
// only handed back to the module's trampoline.
unsafe impl Send for FileOps {}
// SAFETY: As for `Send`.
unsafe impl Sync for FileOps {}

impl fmt::Debug for FileOps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileOps").field("context", &self.context).finish_non_exhaustive()
    }
}

/// Character devices, `/proc` files with file operations, and the user
/// memory their calls pass.
///
/// Device numbers are the kernel's `dev_t`: `MKDEV(major, minor)` =
/// `major << 20 | minor`.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = DevOpsRef)))]
#[sabi(missing_field(panic))]
pub struct DevOps {
    /// `register_chrdev_region(dev, count, name)`; a major of 0 asks for a
    /// free one (`alloc_chrdev_region`): the first device number, or
    /// `-EBUSY` when a minor of the range is taken.
    pub register_chrdev_region: extern "C" fn(ModuleHandle, u32, u32, RStr<'_>, Site) -> i64,
    /// `unregister_chrdev_region(dev, count)`: the range registered with these numbers.
    pub unregister_chrdev_region: extern "C" fn(ModuleHandle, u32, u32, Site),
    /// `cdev_add(dev, count)` with these file operations; null if a minor
    /// of the range has a device already.
    pub cdev_add: extern "C" fn(ModuleHandle, u32, u32, FileOps, Site) -> Handle,
    /// `cdev_del`: files open stay open.
    pub cdev_del: extern "C" fn(ModuleHandle, Handle, Site),
    /// `device_create(dev, name)`: `/dev/NAME`; null if the name is taken.
    pub device_create: extern "C" fn(ModuleHandle, u32, RStr<'_>, Site) -> Handle,
    /// `device_destroy`: takes `/dev/NAME` away.
    pub device_destroy: extern "C" fn(ModuleHandle, Handle, Site),
    /// `proc_create(name, mode, NULL, ops)`: `/proc/NAME` with these file
    /// operations; removed with [`ProcOps::proc_remove`]; null if the
    /// name is taken or invalid.
    pub proc_create_ops: extern "C" fn(ModuleHandle, RStr<'_>, u32, FileOps, Site) -> Handle,
    /// `copy_to_user(to, from, n)`: the bytes *not* copied (all of them
    /// when `to..to+n` is not inside the user buffer of the call in progress).
    pub copy_to_user: extern "C" fn(ModuleHandle, *mut u8, *const u8, usize) -> usize,
    /// `copy_from_user(to, from, n)`: the bytes not copied.
    #[sabi(last_prefix_field)]
    pub copy_from_user: extern "C" fn(ModuleHandle, *mut u8, *const u8, usize) -> usize,
}

/// The wait modes of `call_usermodehelper`: the kernel's `UMH_*` values.
///
/// One of [`UMH_NO_WAIT`], [`UMH_WAIT_EXEC`] or [`UMH_WAIT_PROC`], with
/// [`UMH_KILLABLE`] or not; any other bit is refused.
pub const UMH_NO_WAIT: u32 = 0;
/// Waits until the program was started (exec'd).
pub const UMH_WAIT_EXEC: u32 = 1;
/// Waits until the program ended: the call returns its wait status.
pub const UMH_WAIT_PROC: u32 = 2;
/// The wait ends, with `-EINTR`, when the caller is killed.
pub const UMH_KILLABLE: u32 = 4;

/// User-mode helpers: programs the kernel runs.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = UmhOpsRef)))]
#[sabi(missing_field(panic))]
pub struct UmhOps {
    /// `call_usermodehelper(path, argv, envp, wait)`: runs `path` as the
    /// host's user with `argv` and exactly `envp` (NULL-terminated arrays
    /// of C strings), stdin `/dev/null`, stdout and stderr into the log.
    /// Returns `0` (`UMH_NO_WAIT`, or started under `UMH_WAIT_EXEC`), the
    /// wait status (`UMH_WAIT_PROC`: 256 for exit status 1), `-ENOENT`
    /// (and the like) when it could not start, `-EINTR` when the caller
    /// was killed while waiting (the program is killed too).
    #[sabi(last_prefix_field)]
    pub call_usermodehelper: extern "C" fn(
        ModuleHandle,
        *const core::ffi::c_char,
        *const *const core::ffi::c_char,
        *const *const core::ffi::c_char,
        u32,
        Site,
    ) -> i32,
}

macro_rules! opaque_debug {
    ($($type:ident),*) => {$(
        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($type), " { .. }"))
            }
        }
    )*};
}

opaque_debug!(
    KernelServices,
    ModuleOps,
    TimeOps,
    TimerOps,
    WorkqueueOps,
    KThreadOps,
    LockingOps,
    WaitOps,
    ProcOps,
    MemOps,
    DebugOps,
    DevOps,
    UmhOps
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_name_their_values_and_only_theirs() {
        assert_eq!(SleepMode::KILLABLE.name(), Some("KILLABLE"));
        assert_eq!(SleepMode(7).name(), None);
        assert_eq!(format!("{:?}", WorkCancel::DISABLE_SYNC), "DISABLE_SYNC");
        assert_eq!(format!("{:?}", TimerDelete(9)), "TimerDelete(9)");
    }

    #[test]
    fn a_file_call_is_laid_out_as_services_h_declares_it() {
        use core::mem::{offset_of, size_of};
        assert_eq!(size_of::<FileCall>(), 64);
        assert_eq!(offset_of!(FileCall, file), 16);
        assert_eq!(offset_of!(FileCall, offset), 40);
        assert_eq!(offset_of!(FileCall, arg), 56);
    }

    #[test]
    fn handles_are_numbers_and_zero_is_none() {
        assert!(Handle::NULL.is_null());
        assert_eq!(Handle::from_raw(0x1_0000_0003).to_raw(), 0x1_0000_0003);
        assert!(!ModuleHandle::from_raw(5).is_null());
        assert_eq!(Timeout::jiffies(3).limit(), Some(3));
        assert_eq!(Timeout::FOREVER.limit(), None);
    }
}
