//! Tasks: the host threads that run module code, and how they sleep and wake.
//!
//! Every thread that may run a module's code is a [`Task`] (the kernel's
//! `task_struct`): worker threads, kthreads, the timer thread, and any
//! thread that calls into the kernel (the prompt, a test) gets one lazily.
//! A task records whose code it is running ([`Task::enter`]), so that
//! everything it does is charged to that module, and so that a module that
//! is going away can interrupt its own tasks.
//!
//! # Sleeping and waking
//!
//! Every sleeping primitive (semaphores, mutexes, wait queues, `msleep`,
//! idle workers) follows the kernel's pattern:
//!
//! 1. [`Task::prepare_to_wait`] (clears the wake flag);
//! 2. register the task as a waiter on the object, under the object's lock;
//! 3. release the object's lock and [`Task::schedule`];
//! 4. re-check the condition under the object's lock.
//!
//! A waker calls [`Task::wake_up`], which sets the wake flag, so a wake
//! between steps 2 and 3 is never lost. `schedule` also returns when its
//! deadline passes (on the kernel clock, manual or real) or when a signal
//! the wait mode honours arrives. [`crate::services::wait::wait_until`] is
//! the loop around it that every primitive uses.
//!
//! # Signals
//!
//! Three things end sleeps early, as the kernel's signals do:
//!
//! - `kthread_stop` signals its kthread ([`Task::request_stop`]): every
//!   interruptible sleep returns from then on, as the kernel's
//!   `TIF_NOTIFY_SIGNAL` makes them, and `kthread_should_stop()` is true;
//! - rmmod *interrupts* the tasks running its module's work items
//!   ([`Task::interrupt`]), modhost's stand-in for the signal that lets a
//!   lab module's rmmod return: the interruptible sleep in progress (or the
//!   next one) returns `-EINTR` once, and `signal_pending()` stays true
//!   until the task sleeps again, so `msleep_interruptible` returns too.
//!   Later sleeps sleep: a loop that ignores `-EINTR` waits rather than
//!   spins. kthreads are never interrupted: `kthread_stop` wakes them;
//! - a forced unload kills its module's tasks ([`Task::kill`]): every wait
//!   returns, and the Rust handles unwind the module's code.
//!
//! And signals proper (`kill -INT PID`, [`Task::send_signal`]): a task has
//! a set of pending signals and a set it allows. Like the kernel's threads,
//! module tasks ignore every signal until they `allow_signal` it, and
//! SIGKILL and SIGSTOP always (the courseware's `kill -9` that does
//! nothing); an ignored signal is discarded as it is sent. An allowed one
//! stays pending until `flush_signals`: `signal_pending()` is true and
//! every interruptible sleep returns at once. Only the kernel's own tasks
//! take signals: the threads that call into it (the prompt) refuse them.
//!
//! # Context
//!
//! The preempt count of the calling task ([`preempt_count`]) says, as the
//! kernel's does, whether it serves a softirq (a timer callback, a BH work
//! item: [`softirq_enter`]) and how many atomic sections it is in.
//!
//! # Death
//!
//! A native fault in module code kills its task as the kernel's Oops does
//! ([`crate::debug::fault`]): the thread never returns into the faulting
//! code and parks for good, and the hook its owner set ([`Task::on_death`])
//! replaces it (a new worker or timer thread) or completes what it was
//! doing (a kthread's result, a command's failure). A dead task has exited
//! as far as anyone looks: `ps`, the settling check, the watchdog.
//!
//! # Quiescence
//!
//! [`settle`] waits until no task of a kernel can make progress without
//! the clock moving: every one idle or asleep with nothing pending. Tests
//! that drive a manual clock call it after each step.
//!
//! Kernel counterpart: `include/linux/sched.h`, `kernel/sched/core.c`
//! (`schedule`, `wake_up_process`), `kernel/hung_task.c`.

use parking_lot::{Condvar, Mutex};
use std::{
    cell::{Cell, RefCell},
    fmt::{self, Write as _},
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::clock::Clock;
use crate::debug::{fault, lockdep::Held, waitfor::Blocker};
use modhost_abi::table::{PREEMPT_OFFSET, SOFTIRQ_OFFSET};

/// Every task of the process, for clock wakeups, `ps` and signals.
static TASKS: Mutex<Vec<Weak<Task>>> = Mutex::new(Vec::new());

/// Signalled whenever a task goes to sleep or idle (for [`settle`]).
static SETTLING: Condvar = Condvar::new();
static SETTLING_LOCK: Mutex<()> = Mutex::new(());

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// No interrupt.
const NOT_INTERRUPTED: u8 = 0;
/// An interrupt waits for the next interruptible sleep.
const INTERRUPT_PENDING: u8 = 1;
/// An interrupt ended a sleep; `signal_pending()` until the next sleep.
const INTERRUPT_DELIVERED: u8 = 2;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Task>>> = const { RefCell::new(None) };
    /// The current task's id, once it has a task (0 before): asked on
    /// every lock operation, so kept in a plain cell.
    static CURRENT_ID: Cell<u64> = const { Cell::new(0) };
    /// The preempt count: above zero in atomic context (a timer callback,
    /// a `WQ_BH` work item, a spinlock held). A task's own business, so
    /// thread-local, as the kernel keeps it per CPU.
    static PREEMPT_COUNT: Cell<u32> = const { Cell::new(0) };
    /// What put the thread in atomic context (the outermost), for reports.
    static ATOMIC_WHY: Cell<&'static str> = const { Cell::new("") };
    /// How many of the preempt count's levels are softirqs being served.
    static SOFTIRQ_COUNT: Cell<u32> = const { Cell::new(0) };
}

/// The first signal number.
const SIGNAL_MIN: u32 = 1;
/// The last signal number (`_NSIG`).
const SIGNAL_MAX: u32 = 64;
/// `SIGKILL`.
pub const SIGKILL: u32 = 9;
/// `SIGSTOP`.
pub const SIGSTOP: u32 = 19;

/// The bit of `signal` in a signal set, `None` for no such signal.
fn signal_bit(signal: u32) -> Option<u64> {
    (SIGNAL_MIN..=SIGNAL_MAX).contains(&signal).then(|| 1u64 << (signal - 1))
}

/// `preempt_disable`: the calling task enters atomic context (`why`: "a
/// timer callback", "a section holding a spinlock", ...); sleeping there
/// is a bug.
pub fn preempt_disable(why: &'static str) {
    let count = PREEMPT_COUNT.with(Cell::get);
    if count == 0 {
        ATOMIC_WHY.with(|w| w.set(why));
    }
    PREEMPT_COUNT.with(|c| c.set(count + 1));
}

/// `preempt_enable`: the calling task leaves one level of atomic context.
pub fn preempt_enable() {
    PREEMPT_COUNT.with(|c| c.set(c.get().saturating_sub(1)));
}

/// The calling task starts serving a softirq (`why`: "a timer callback",
/// "a BH work item"): atomic context, and `in_softirq()`.
pub fn softirq_enter(why: &'static str) {
    preempt_disable(why);
    SOFTIRQ_COUNT.with(|c| c.set(c.get() + 1));
}

/// The calling task is done serving a softirq.
pub fn softirq_exit() {
    SOFTIRQ_COUNT.with(|c| c.set(c.get().saturating_sub(1)));
    preempt_enable();
}

/// `preempt_count()` for the calling task, with the kernel's offsets: one
/// per atomic section, `SOFTIRQ_OFFSET` while serving a softirq.
pub fn preempt_count() -> u32 {
    let softirq = SOFTIRQ_COUNT.with(Cell::get);
    let atomic = PREEMPT_COUNT.with(Cell::get).saturating_sub(softirq);
    let softirq_bits = if softirq > 0 { SOFTIRQ_OFFSET } else { 0 };
    softirq_bits + atomic * PREEMPT_OFFSET
}

/// `in_atomic()` for the calling task.
pub fn in_atomic() -> bool {
    PREEMPT_COUNT.with(Cell::get) > 0
}

/// What put the calling task in atomic context, if it is.
pub fn atomic_context() -> Option<&'static str> {
    in_atomic().then(|| ATOMIC_WHY.with(Cell::get))
}

/// The calling task's id, without taking a reference to it.
pub fn current_id() -> u64 {
    match CURRENT_ID.with(Cell::get) {
        0 => Task::current().id(),
        id => id,
    }
}

/// What a task is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A thread that called into the kernel (the prompt, a script, a test).
    User,
    /// A workqueue worker (`kworker/...`).
    Worker,
    /// A module's kthread.
    KThread,
    /// The timer thread: callbacks run here in atomic context.
    Timer,
    /// A thread that calls a module's entry point for a command: insmod's
    /// init, rmmod's exit, a `/sys` write's notification, a `/proc` read.
    Caller,
    /// One of the kernel's own threads (`khungtaskd`).
    Daemon,
}

/// How a sleep may be cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitMode {
    /// `TASK_UNINTERRUPTIBLE`: only a wake-up or the deadline (or a kill).
    Uninterruptible,
    /// `TASK_INTERRUPTIBLE`: also a signal (the module is going away).
    Interruptible,
    /// `TASK_KILLABLE`: also a fatal signal (a forced unload).
    Killable,
    /// Waiting for work: never interrupted, never reported as hung.
    Idle,
}

/// Why [`Task::schedule`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Someone called [`Task::wake_up`].
    Woken,
    /// The deadline passed.
    TimedOut,
    /// A signal the mode honours: interruptible and killable waits (-EINTR).
    Interrupted,
}

/// A task's state, as `ps` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Running (`R`).
    Running,
    /// Asleep in an interruptible or killable wait (`S`).
    Sleeping,
    /// Asleep in an uninterruptible wait (`D`).
    DiskSleep,
    /// Idle, waiting for work (`I`).
    Idle,
}

impl TaskState {
    /// The `ps` letter.
    pub fn letter(self) -> char {
        match self {
            TaskState::Running => 'R',
            TaskState::Sleeping => 'S',
            TaskState::DiskSleep => 'D',
            TaskState::Idle => 'I',
        }
    }
}

/// The module whose code a task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The module's id in its kernel.
    pub module: u64,
    /// The module's name.
    pub name: Arc<str>,
}

/// A host thread that runs module code; see the module docs.
pub struct Task {
    id: u64,
    tid: i32,
    kind: TaskKind,
    /// The kernel the task belongs to (0: none yet, a user thread).
    kernel: AtomicU64,
    name: Mutex<String>,
    /// The module the thread belongs to (a workqueue's or kthread's owner).
    owner: Mutex<Option<Arc<str>>>,
    context: Mutex<Contexts>,
    park: Mutex<Park>,
    wakeup: Condvar,
    /// A signal is pending (`kthread_stop`): interruptible waits return.
    signal: AtomicBool,
    /// rmmod's one-shot interrupt: [`NOT_INTERRUPTED`], [`INTERRUPT_PENDING`]
    /// or [`INTERRUPT_DELIVERED`] (see the module docs).
    interrupt: AtomicU8,
    /// A fatal signal is pending: every wait returns.
    killed: AtomicBool,
    /// The signals sent and not yet flushed (bit `n - 1` for signal `n`).
    pending: AtomicU64,
    /// The signals the task allows (`allow_signal`); the others are ignored.
    allowed: AtomicU64,
    /// `kthread_should_stop()`.
    should_stop: AtomicBool,
    /// The thread has finished: the task is history, kept only by its owners.
    exited: AtomicBool,
    /// Killed by an Oops: its thread is parked for good.
    dead: AtomicBool,
    /// What its owner does when it dies (see [`Task::on_death`]).
    death: Mutex<Option<DeathHook>>,
    /// Entries into and exits from module code, counted at the outermost
    /// level: odd while it runs module code (the watchdog's view).
    module_calls: AtomicU64,
    /// Sleeps so far (the watchdog's view: a task that slept was not stuck).
    switches: AtomicU64,
    /// Its thread's fault slot, once armed (the watchdog samples through it).
    slot: std::sync::OnceLock<Arc<fault::Slot>>,
    /// The locks it holds, in the order taken (lockdep's `held_locks`).
    held: Mutex<Vec<Held>>,
    /// What it sleeps on, while it sleeps in a lock, semaphore or completion.
    blocker: Mutex<Option<Blocker>>,
}

/// What a task's owner does when the task dies of an Oops, on the dying
/// thread after the report: replace it, publish a result, fail a command.
pub type DeathHook = Box<dyn FnOnce() + Send>;

/// The module whose code a task runs now, and the last one it left.
#[derive(Default)]
struct Contexts {
    now: Option<Context>,
    /// Kept for the capture of stdout (`shell::capture`), which reads it
    /// after the fact; moved, not cloned, when a context ends, so that it
    /// costs the entries nothing.
    last: Option<Context>,
}

struct Park {
    state: TaskState,
    woken: bool,
    mode: WaitMode,
    clock: Option<Clock>,
    deadline: Option<Duration>,
    site: String,
    /// When the sleep began, on `clock`.
    since: Duration,
    hung_reported: bool,
}

impl Task {
    fn new(kind: TaskKind, name: String, kernel: u64) -> Arc<Task> {
        let task = Arc::new(Task {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            tid: current_tid(),
            kind,
            kernel: AtomicU64::new(kernel),
            name: Mutex::new(name),
            owner: Mutex::new(None),
            context: Mutex::new(Contexts::default()),
            park: Mutex::new(Park {
                state: TaskState::Running,
                woken: false,
                mode: WaitMode::Idle,
                clock: None,
                deadline: None,
                site: String::new(),
                since: Duration::ZERO,
                hung_reported: false,
            }),
            wakeup: Condvar::new(),
            signal: AtomicBool::new(false),
            interrupt: AtomicU8::new(NOT_INTERRUPTED),
            killed: AtomicBool::new(false),
            pending: AtomicU64::new(0),
            allowed: AtomicU64::new(0),
            should_stop: AtomicBool::new(false),
            exited: AtomicBool::new(false),
            dead: AtomicBool::new(false),
            death: Mutex::new(None),
            module_calls: AtomicU64::new(0),
            switches: AtomicU64::new(0),
            slot: std::sync::OnceLock::new(),
            held: Mutex::new(Vec::new()),
            blocker: Mutex::new(None),
        });
        let mut tasks = TASKS.lock();
        tasks.retain(|t| t.strong_count() > 0);
        tasks.push(Arc::downgrade(&task));
        task
    }

    /// The task of the calling thread, made on first use for a thread the
    /// kernel did not start.
    pub fn current() -> Arc<Task> {
        Task::with_current(Arc::clone)
    }

    /// Runs `f` with the calling thread's task, without taking a reference
    /// (the service calls' fast paths ask only its id or preempt count).
    pub fn with_current<R>(f: impl FnOnce(&Arc<Task>) -> R) -> R {
        CURRENT.with(|current| {
            if let Some(task) = &*current.borrow() {
                return f(task);
            }
            let name = std::thread::current().name().unwrap_or("modhost").to_string();
            let task = Task::new(TaskKind::User, name, 0);
            *current.borrow_mut() = Some(Arc::clone(&task));
            CURRENT_ID.with(|id| id.set(task.id));
            f(&task)
        })
    }

    /// The locks it holds, in the order taken.
    pub(crate) fn held_locks(&self) -> Vec<Held> {
        self.held.lock().clone()
    }

    /// Runs `f` on the list of locks it holds (`f` must not report: a
    /// report reads the list).
    pub(crate) fn with_held<R>(&self, f: impl FnOnce(&mut Vec<Held>) -> R) -> R {
        f(&mut self.held.lock())
    }

    /// How many locks it holds.
    pub(crate) fn held_count(&self) -> usize {
        self.held.lock().len()
    }

    /// Records a lock taken.
    pub(crate) fn hold(&self, held: Held) {
        self.held.lock().push(held);
    }

    /// Forgets the lock at `instance` (the last taken, if twice); `false`
    /// if it did not hold it.
    pub(crate) fn unhold(&self, instance: usize) -> bool {
        let mut held = self.held.lock();
        match held.iter().rposition(|h| h.instance == instance) {
            Some(i) => {
                held.remove(i);
                true
            }
            None => false,
        }
    }

    /// Forgets the locks of `module`'s classes; returns them.
    pub(crate) fn unhold_module(&self, module: &str) -> Vec<Held> {
        let mut held = self.held.lock();
        let (gone, kept) = held.drain(..).partition(|h| &*h.class.module == module);
        *held = kept;
        gone
    }

    /// Records what it is about to sleep on (`None`: it woke).
    pub(crate) fn set_blocker(&self, blocker: Option<Blocker>) {
        *self.blocker.lock() = blocker;
    }

    /// What it sleeps on, if it sleeps in a lock, semaphore or completion.
    pub(crate) fn blocker(&self) -> Option<Blocker> {
        self.blocker.lock().clone()
    }

    /// Forgets every lock taken after the first `n`.
    pub(crate) fn truncate_held(&self, n: usize) {
        self.held.lock().truncate(n);
    }

    /// Starts a thread named `name` that runs `body` as a new task of `kernel`.
    ///
    /// # Errors
    ///
    /// The OS's refusal to create a thread.
    pub fn spawn(
        kernel: u64,
        kind: TaskKind,
        name: String,
        body: impl FnOnce(Arc<Task>) + Send + 'static,
    ) -> std::io::Result<(Arc<Task>, std::thread::JoinHandle<()>)> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let handle = std::thread::Builder::new().name(name.clone()).spawn(move || {
            let task = Task::new(kind, name, kernel);
            CURRENT.with(|current| *current.borrow_mut() = Some(Arc::clone(&task)));
            CURRENT_ID.with(|id| id.set(task.id));
            // Armed, a fault in module code kills this task alone.
            let armour = fault::arm();
            if let Some(armour) = &armour {
                let _ = task.slot.set(armour.slot());
            }
            let _ = tx.send(Arc::clone(&task));
            body(Arc::clone(&task));
            task.on_death(None);
            drop(armour);
            task.exited.store(true, Ordering::Release);
            settling_changed();
            CURRENT.with(|current| current.borrow_mut().take());
        })?;
        let task = rx.recv().map_err(|_| std::io::Error::other("task thread ended at once"))?;
        Ok((task, handle))
    }

    /// The task's id (its "PID" in `ps`).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The OS thread id.
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// What the task is for.
    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// The kernel the task belongs to (0 for a user thread not yet seen by one).
    pub fn kernel(&self) -> u64 {
        self.kernel.load(Ordering::Relaxed)
    }

    /// Claims a user thread for `kernel` (the first kernel it calls wins).
    pub(crate) fn adopt(&self, kernel: u64) {
        let _ = self.kernel.compare_exchange(0, kernel, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The task's name (`comm`).
    pub fn name(&self) -> String {
        self.name.lock().clone()
    }

    /// Renames the task.
    pub fn set_name(&self, name: String) {
        *self.name.lock() = name;
    }

    /// The module the thread belongs to, if any (`ps` shows it).
    pub fn owner(&self) -> Option<Arc<str>> {
        self.owner.lock().clone()
    }

    /// Records the module the thread belongs to.
    pub fn set_owner(&self, owner: Option<Arc<str>>) {
        *self.owner.lock() = owner;
    }

    /// The module whose code the task runs now, if any.
    pub fn context(&self) -> Option<Context> {
        self.context.lock().now.clone()
    }

    /// The module whose code the task ran last, if it is not running any
    /// now.
    pub fn last_context(&self) -> Option<Context> {
        self.context.lock().last.clone()
    }

    /// Runs module code as `context` until the guard drops; the previous
    /// context comes back then (an exported function called from another
    /// module keeps the caller's context, so the guard is not taken there).
    pub fn enter(self: &Arc<Self>, context: Context) -> ContextGuard {
        let previous = self.context.lock().now.replace(context);
        let (code, outermost) = fault::ModuleCode::enter();
        if outermost {
            self.module_calls.fetch_add(1, Ordering::Relaxed);
        }
        ContextGuard { task: Arc::clone(self), previous: Some(previous), code: Some(code), outermost }
    }

    /// Counts module-code entries and exits at the outermost level: odd
    /// while the task runs module code. The same odd count seen twice
    /// means it has not returned in between.
    pub(crate) fn module_calls(&self) -> u64 {
        self.module_calls.load(Ordering::Relaxed)
    }

    /// How many times the task has slept.
    pub(crate) fn switches(&self) -> u64 {
        self.switches.load(Ordering::Relaxed)
    }

    /// Its thread's fault slot, if armed.
    pub(crate) fn fault_slot(&self) -> Option<&Arc<fault::Slot>> {
        self.slot.get()
    }

    /// Sets (or with `None` clears) what the task's owner does if the task
    /// dies of an Oops.
    pub fn on_death(&self, hook: Option<DeathHook>) {
        *self.death.lock() = hook;
    }

    /// The task faulted and is being reported: it is dead, though not yet
    /// exited (the watchdog leaves it alone).
    pub(crate) fn mark_dying(&self) {
        self.dead.store(true, Ordering::Release);
    }

    /// The task died of an Oops (called on its own thread, after the
    /// report): it has exited as far as anyone can see, and its owner's
    /// hook replaces it. The thread never runs module code again.
    pub(crate) fn die(&self) {
        self.dead.store(true, Ordering::Release);
        self.exited.store(true, Ordering::Release);
        let hook = self.death.lock().take();
        if let Some(hook) = hook {
            hook();
        }
        settling_changed();
    }

    /// Whether the task died of an Oops.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// The state `ps` shows.
    pub fn state(&self) -> TaskState {
        self.park.lock().state
    }

    /// Where the task sleeps (a module's source location) and for how long,
    /// by the clock it sleeps on.
    pub fn wait_site(&self) -> Option<(String, Duration)> {
        let park = self.park.lock();
        if park.state == TaskState::Running || park.site.is_empty() {
            return None;
        }
        let slept = park.clock.as_ref().map_or(Duration::ZERO, |c| c.uptime().saturating_sub(park.since));
        Some((park.site.clone(), slept))
    }

    /// Step 1 of a wait: forget earlier wake-ups.
    pub fn prepare_to_wait(&self) {
        self.park.lock().woken = false;
    }

    /// Sleeps until [`Task::wake_up`], the `deadline` (kernel uptime on
    /// `clock`), or a signal `mode` honours; `site` says where, for `ps` and
    /// the hung-task report.
    pub fn schedule(&self, clock: &Clock, mode: WaitMode, deadline: Option<Duration>, site: &dyn fmt::Display) -> Wake {
        let mut park = self.park.lock();
        park.state = match mode {
            WaitMode::Uninterruptible => TaskState::DiskSleep,
            WaitMode::Interruptible | WaitMode::Killable => TaskState::Sleeping,
            WaitMode::Idle => TaskState::Idle,
        };
        park.mode = mode;
        park.clock = Some(clock.clone());
        park.deadline = deadline;
        // Written only now that the task sleeps (a wait that spins or finds
        // its condition true never formats it), into the buffer's capacity.
        park.site.clear();
        let _ = write!(park.site, "{site}");
        park.since = clock.uptime();
        park.hung_reported = false;
        self.switches.fetch_add(1, Ordering::Relaxed);
        // A sleep after the one an interrupt ended sleeps (see the docs).
        let _ =
            self.interrupt.compare_exchange(INTERRUPT_DELIVERED, NOT_INTERRUPTED, Ordering::AcqRel, Ordering::Relaxed);
        settling_changed();
        let wake = loop {
            if park.woken {
                break Wake::Woken;
            }
            if self.interrupted_by(mode) {
                if mode == WaitMode::Interruptible {
                    let _ = self.interrupt.compare_exchange(
                        INTERRUPT_PENDING,
                        INTERRUPT_DELIVERED,
                        Ordering::AcqRel,
                        Ordering::Relaxed,
                    );
                }
                break Wake::Interrupted;
            }
            let now = clock.uptime();
            match deadline {
                Some(d) if now >= d => break Wake::TimedOut,
                Some(d) => match clock.instant_at(d) {
                    Some(instant) => {
                        self.wakeup.wait_until(&mut park, instant);
                    }
                    None => self.wakeup.wait(&mut park),
                },
                None => self.wakeup.wait(&mut park),
            }
        };
        park.state = TaskState::Running;
        park.woken = false;
        park.clock = None;
        park.deadline = None;
        wake
    }

    fn interrupted_by(&self, mode: WaitMode) -> bool {
        match mode {
            WaitMode::Interruptible => {
                self.signal.load(Ordering::Acquire)
                    || self.interrupt.load(Ordering::Acquire) == INTERRUPT_PENDING
                    || self.pending.load(Ordering::Acquire) != 0
                    || self.killed()
            }
            WaitMode::Killable | WaitMode::Uninterruptible => self.killed(),
            WaitMode::Idle => false,
        }
    }

    /// `wake_up_process`: ends the current or next sleep.
    pub fn wake_up(&self) {
        self.park.lock().woken = true;
        self.wakeup.notify_one();
    }

    /// Delivers a signal: interruptible waits return until it is cleared.
    pub fn signal(&self) {
        self.signal.store(true, Ordering::Release);
        self.poke();
    }

    /// rmmod's one-shot interrupt: the interruptible sleep in progress, or
    /// the next one, returns (see the module docs).
    pub fn interrupt(&self) {
        if self
            .interrupt
            .compare_exchange(NOT_INTERRUPTED, INTERRUPT_PENDING, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            self.poke();
        }
    }

    /// Delivers a fatal signal: every wait returns.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.poke();
    }

    /// `signal_pending()`: a signal, an interrupt not yet past, or a kill.
    pub fn signal_pending(&self) -> bool {
        self.signal.load(Ordering::Acquire)
            || self.interrupt.load(Ordering::Acquire) != NOT_INTERRUPTED
            || self.pending.load(Ordering::Acquire) != 0
            || self.killed()
    }

    /// `kill -SIGNAL PID`: a signal the task allows becomes pending and
    /// ends its interruptible sleep; any other is ignored (see the module
    /// docs). Signal 0 only checks that the task may be signalled.
    ///
    /// # Errors
    ///
    /// [`SignalError::Invalid`] for no such signal, [`SignalError::NotPermitted`]
    /// for a task that is not the kernel's (a thread calling into it).
    pub fn send_signal(&self, signal: u32) -> Result<Delivery, SignalError> {
        let bit = match signal {
            0 => None,
            n => Some(signal_bit(n).ok_or(SignalError::Invalid)?),
        };
        if self.kind == TaskKind::User {
            return Err(SignalError::NotPermitted);
        }
        let Some(bit) = bit else { return Ok(Delivery::Ignored) };
        if signal == SIGKILL || signal == SIGSTOP || self.allowed.load(Ordering::Acquire) & bit == 0 {
            return Ok(Delivery::Ignored);
        }
        self.pending.fetch_or(bit, Ordering::AcqRel);
        self.poke();
        Ok(Delivery::Pending)
    }

    /// `allow_signal(signal)`: sent from now on, it is delivered.
    pub fn allow_signal(&self, signal: u32) -> bool {
        signal_bit(signal).map(|bit| self.allowed.fetch_or(bit, Ordering::AcqRel)).is_some()
    }

    /// `disallow_signal(signal)`: ignored again, and discarded if pending.
    pub fn disallow_signal(&self, signal: u32) -> bool {
        signal_bit(signal)
            .map(|bit| {
                self.allowed.fetch_and(!bit, Ordering::AcqRel);
                self.pending.fetch_and(!bit, Ordering::AcqRel);
            })
            .is_some()
    }

    /// `flush_signals(current)`: forgets the pending signals.
    pub fn flush_signals(&self) {
        self.pending.store(0, Ordering::Release);
    }

    /// The pending signals, bit `n - 1` for signal `n`.
    pub fn pending_signals(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }

    /// Whether a fatal signal is pending.
    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Forgets delivered signals, and the signals allowed (a worker
    /// between two work items: the next item starts afresh).
    pub fn clear_signals(&self) {
        self.signal.store(false, Ordering::Release);
        self.interrupt.store(NOT_INTERRUPTED, Ordering::Release);
        self.killed.store(false, Ordering::Release);
        self.pending.store(0, Ordering::Release);
        self.allowed.store(0, Ordering::Release);
    }

    /// Re-checks the sleep without waking it (signals, clock moves).
    fn poke(&self) {
        let _park = self.park.lock();
        self.wakeup.notify_all();
    }

    /// `kthread_should_stop()`.
    pub fn should_stop(&self) -> bool {
        self.should_stop.load(Ordering::Acquire)
    }

    /// Asks a kthread to stop (`kthread_stop`'s first half) and wakes it.
    pub fn request_stop(&self) {
        self.should_stop.store(true, Ordering::Release);
        self.signal();
        self.wake_up();
    }

    /// Whether the task is runnable: running, woken, signalled in a wait
    /// that honours it, or past its deadline.
    fn runnable(&self) -> bool {
        let park = self.park.lock();
        if park.state == TaskState::Running || park.woken || self.interrupted_by(park.mode) {
            return true;
        }
        match (&park.clock, park.deadline) {
            (Some(clock), Some(deadline)) => clock.uptime() >= deadline,
            _ => false,
        }
    }

    /// Marks a report of this sleep as done; `true` the first time.
    pub(crate) fn report_hung_once(&self) -> bool {
        let mut park = self.park.lock();
        !std::mem::replace(&mut park.hung_reported, true)
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("id", &self.id).field("name", &self.name()).field("kind", &self.kind).finish()
    }
}

/// What became of a signal sent to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Pending: the task allows it.
    Pending,
    /// Discarded: the task ignores it (or it was signal 0).
    Ignored,
}

/// Why a signal could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalError {
    /// No such signal.
    Invalid,
    /// Not a task of the kernel's own.
    NotPermitted,
}

/// Restores a task's previous context when dropped.
#[derive(Debug)]
pub struct ContextGuard {
    task: Arc<Task>,
    previous: Option<Option<Context>>,
    code: Option<fault::ModuleCode>,
    outermost: bool,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if self.outermost {
            self.task.module_calls.fetch_add(1, Ordering::Relaxed);
        }
        drop(self.code.take());
        if let Some(previous) = self.previous.take() {
            let mut contexts = self.task.context.lock();
            let left = std::mem::replace(&mut contexts.now, previous);
            if left.is_some() {
                contexts.last = left;
            }
        }
    }
}

/// The live tasks of `kernel`, oldest first.
pub fn tasks_of(kernel: u64) -> Vec<Arc<Task>> {
    TASKS
        .lock()
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|t| t.kernel() == kernel && !t.exited.load(Ordering::Acquire))
        .collect()
}

/// The thread ids of the threads any kernel of the process started
/// (workers, kthreads, timer threads, callers, daemons), exited ones
/// included until their thread ends: where they run module code the
/// kernel knows it, without reading their stacks.
pub(crate) fn kernel_thread_ids() -> Vec<i32> {
    let tasks = TASKS.lock();
    tasks.iter().filter_map(Weak::upgrade).filter(|t| t.kind != TaskKind::User).map(|t| t.tid).collect()
}

/// The live task of `kernel` with this pid, if any.
pub fn task_of(kernel: u64, pid: u64) -> Option<Arc<Task>> {
    tasks_of(kernel).into_iter().find(|t| t.id() == pid)
}

/// Wakes every sleeping task so it re-reads its clock (a manual clock moved).
pub(crate) fn clock_moved() {
    for task in TASKS.lock().iter().filter_map(Weak::upgrade) {
        task.poke();
    }
}

fn settling_changed() {
    let _lock = SETTLING_LOCK.lock();
    SETTLING.notify_all();
}

/// Waits until every task of `kernel` (but the caller) is idle or asleep
/// with nothing pending, or `timeout` of real time passed; returns whether
/// the kernel settled.
pub fn settle(kernel: u64, timeout: Duration) -> bool {
    let me = Task::current().id();
    let give_up = Instant::now() + timeout;
    let mut quiet_rounds = 0;
    loop {
        let busy = tasks_of(kernel).iter().any(|t| t.id() != me && t.runnable());
        quiet_rounds = if busy { 0 } else { quiet_rounds + 1 };
        // Two quiet looks in a row: a task woken between the checks of the
        // first look shows up in the second.
        if quiet_rounds >= 2 {
            return true;
        }
        if Instant::now() >= give_up {
            return false;
        }
        let mut lock = SETTLING_LOCK.lock();
        SETTLING.wait_for(&mut lock, Duration::from_micros(200));
    }
}

/// The earliest deadline on a manual clock that a task of `kernel` sleeps
/// until: where moving the clock next changes something. A settled kernel
/// does nothing between now and then, so a run of kernel time may jump
/// from one deadline to the next instead of stepping every jiffy.
pub(crate) fn next_deadline(kernel: u64) -> Option<Duration> {
    tasks_of(kernel)
        .iter()
        .filter_map(|t| {
            let park = t.park.lock();
            park.deadline.filter(|_| park.clock.as_ref().is_some_and(Clock::is_manual))
        })
        .min()
}

/// The calling thread's OS id.
pub(crate) fn current_tid() -> i32 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A kernel thread that runs `body` and returns what it returns.
    fn in_kthread<R: Send + 'static>(body: impl FnOnce(&Arc<Task>) -> R + Send + 'static) -> R {
        let (tx, rx) = mpsc::channel();
        let (_, join) =
            Task::spawn(0, TaskKind::KThread, "t".into(), move |task| tx.send(body(&task)).expect("the test waits"))
                .expect("a thread");
        join.join().expect("the thread ran");
        rx.recv().expect("its result")
    }

    #[test]
    fn a_kernel_thread_takes_only_the_signals_it_allows() {
        let (pending, ignored, kill9) = in_kthread(|task| {
            let ignored = task.send_signal(2) == Ok(Delivery::Ignored) && !task.signal_pending();
            task.allow_signal(2);
            task.allow_signal(SIGKILL);
            let kill9 = task.send_signal(SIGKILL) == Ok(Delivery::Ignored) && !task.signal_pending();
            let pending = task.send_signal(2) == Ok(Delivery::Pending) && task.signal_pending();
            (pending, ignored, kill9)
        });
        assert!(ignored, "not allowed: discarded");
        assert!(kill9, "SIGKILL never reaches a kernel thread");
        assert!(pending, "allowed: pending");
    }

    #[test]
    fn a_pending_signal_ends_interruptible_sleeps_until_flushed() {
        let clock = Clock::manual(250);
        let wakes = in_kthread(move |task| {
            task.allow_signal(2);
            task.send_signal(2).expect("a signal");
            let first = task.schedule(&clock, WaitMode::Interruptible, None, &"");
            let again = task.schedule(&clock, WaitMode::Interruptible, None, &"");
            let uninterruptible = task.schedule(&clock, WaitMode::Uninterruptible, Some(clock.uptime()), &"");
            task.flush_signals();
            let flushed = task.schedule(&clock, WaitMode::Interruptible, Some(clock.uptime()), &"");
            task.send_signal(2).expect("a signal");
            task.disallow_signal(2);
            let disallowed = task.signal_pending();
            (first, again, uninterruptible, flushed, disallowed)
        });
        assert_eq!(wakes, (Wake::Interrupted, Wake::Interrupted, Wake::TimedOut, Wake::TimedOut, false));
    }

    #[test]
    fn threads_calling_in_take_no_signals_and_numbers_are_checked() {
        let me = Task::current();
        assert_eq!(me.send_signal(2), Err(SignalError::NotPermitted));
        assert_eq!(me.send_signal(65), Err(SignalError::Invalid));
        assert_eq!(in_kthread(|task| task.send_signal(0)), Ok(Delivery::Ignored));
    }

    #[test]
    fn the_preempt_count_says_softirq_and_atomic_apart() {
        assert_eq!(preempt_count(), 0);
        softirq_enter("a timer callback");
        assert_eq!(preempt_count(), SOFTIRQ_OFFSET);
        preempt_disable("a section holding a spinlock");
        assert_eq!(preempt_count(), SOFTIRQ_OFFSET + PREEMPT_OFFSET);
        assert_eq!(atomic_context(), Some("a timer callback"));
        preempt_enable();
        softirq_exit();
        preempt_disable("a section holding a spinlock");
        assert_eq!(preempt_count(), PREEMPT_OFFSET);
        preempt_enable();
        assert_eq!(preempt_count(), 0);
    }
}
