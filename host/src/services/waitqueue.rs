//! Wait queues: `wait_event*` and `wake_up`, and the waiting in line that
//! every sleeping primitive shares.
//!
//! # `wait_event`
//!
//! The host loops as the kernel's `___wait_event` macro does: register the
//! task on the queue; then, each round, [`Task::prepare_to_wait`], call the
//! module's condition (with no lock held: it is module code), and stop if
//! it is true, if a signal the mode honours is pending, or if the timeout
//! ran out; else [`Task::schedule`]. `wake_up` wakes the registered tasks so
//! they check again. A `wake_up` between a task's check and its sleep is
//! not lost: `prepare_to_wait` came before the check, and the wake-up sets
//! the task's wake flag.
//!
//! Return values are the kernel's (see the abi's `wait.rs`): untimed, 0
//! once the condition is true; timed, the jiffies left (at least 1) when it
//! came true, 1 if it was true only at the check after the timeout, 0 if it
//! was still false; `-ERESTARTSYS` on a signal in an interruptible wait, and
//! [`KILLED`] once the task was killed (forced unload), whatever the mode.
//!
//! In the kernel, `wake_up` wakes every non-exclusive waiter and one
//! exclusive one, and `wake_up_all` every waiter. modhost's waiters are all
//! non-exclusive (there is no `wait_event_exclusive`), so both wake every
//! registered task; the table keeps the two calls apart for the day
//! exclusive waits come.
//!
//! # Waiting in line
//!
//! Semaphores, mutexes and completions hand what they guard straight to
//! their first waiter: a [`Waiter`] in a FIFO queue under the object's lock,
//! whose `granted` flag the giver sets under that lock before waking it.
//! [`wait_in_line`] is that sleep: it returns when the waiter is granted (the
//! caller keeps or passes on what it got), or when the timeout, a signal or
//! a kill ends the wait (the caller's `leave` takes it out of line first).
//! [`Spin`] bounds the spinning that comes before it.
//!
//! Locking: each object's lock is a leaf lock; no module code runs under it,
//! and tasks are woken after it is dropped.
//!
//! Kernel counterpart: `include/linux/wait.h`, `kernel/sched/wait.c`.

use modhost_abi::{
    descriptor::ModuleHandle,
    errno::Errno,
    services::{Condition, KILLED, ObjectRef, Site, mode},
};
use parking_lot::{Mutex, MutexGuard};
use std::{
    ops::Deref,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::{
    clock::Clock,
    module_arc,
    object::{Kind, Object, Reclaim},
    sched,
    task::{Task, WaitMode, Wake},
};
use crate::kernel::KernelInner;

/// How long a task spins before it sleeps: about what a sleep and a
/// cross-CPU wake cost (30 µs on this machine type), so spinning never
/// costs much more than sleeping at once would have.
const SPIN_LIMIT: Duration = Duration::from_micros(30);

/// Spins between two looks at the clock (about 1 µs).
const SPINS_PER_LOOK: u32 = 32;

/// Looks at the clock between two `yield_now`s. Yielding every 2 µs or so
/// was measured best with 8 threads on 2 CPUs (the lab's fifo at 4
/// producers and 4 consumers): the task being waited for gets the CPU soon,
/// and a lone spinner pays one cheap `sched_yield` now and then.
const LOOKS_PER_YIELD: u32 = 2;

/// A value on a cache line (pair) of its own: a lock word written by both
/// sides of every hand-off must not drag its neighbours along.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(super) struct CachePadded<T>(pub(super) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Bounded spinning before a sleep.
#[derive(Debug)]
pub(super) struct Spin {
    start: Instant,
    spins: u32,
}

impl Spin {
    pub(super) fn new() -> Spin {
        Spin { start: Instant::now(), spins: 0 }
    }

    /// Waits a moment; `false` once the spinning time is spent.
    pub(super) fn spin(&mut self) -> bool {
        self.spins = self.spins.wrapping_add(1);
        if self.spins.is_multiple_of(SPINS_PER_LOOK) {
            if self.start.elapsed() >= SPIN_LIMIT {
                return false;
            }
            if self.spins.is_multiple_of(SPINS_PER_LOOK * LOOKS_PER_YIELD) {
                // On an oversubscribed machine the task we wait for may
                // need this CPU.
                std::thread::yield_now();
                return true;
            }
        }
        std::hint::spin_loop();
        true
    }
}

/// Why a sleep in line (or a `wait_event`) ended without success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fail {
    /// A signal the wait mode honours: `-EINTR` or `-ERESTARTSYS`.
    Interrupted,
    /// The timeout passed.
    TimedOut,
    /// The task was killed: [`KILLED`].
    Killed,
}

/// A task waiting in line for a hand-off.
#[derive(Debug)]
pub(super) struct Waiter {
    pub(super) task: Arc<Task>,
    /// Set under the object's lock when the giver handed it over.
    granted: AtomicBool,
}

impl Waiter {
    pub(super) fn new(task: &Arc<Task>) -> Arc<Waiter> {
        Arc::new(Waiter { task: Arc::clone(task), granted: AtomicBool::new(false) })
    }

    /// Hands over to this waiter; the caller holds the object's lock, and
    /// wakes the returned task once it dropped it.
    pub(super) fn grant(&self) -> Arc<Task> {
        self.granted.store(true, Ordering::Release);
        Arc::clone(&self.task)
    }

    pub(super) fn is_granted(&self) -> bool {
        self.granted.load(Ordering::Acquire)
    }

    /// Spins until granted or the spinning time is spent.
    pub(super) fn spin_until_granted(&self, spin: &mut Spin) -> bool {
        while !self.is_granted() {
            if !spin.spin() {
                return false;
            }
        }
        true
    }
}

/// Sleeps until `me` is granted (`Ok`), or its wait ends: then `leave`
/// takes it out of line, under `line`'s lock, and the reason comes back.
pub(super) fn wait_in_line<Q>(
    line: &Mutex<Q>,
    me: &Waiter,
    clock: &Clock,
    mode: WaitMode,
    deadline: Option<Duration>,
    site: &str,
    leave: impl FnOnce(&mut Q),
) -> Result<(), Fail> {
    let task = &me.task;
    let mut queue = line.lock();
    let mut woke = None;
    loop {
        if me.is_granted() {
            return Ok(());
        }
        let fail = match woke {
            _ if task.killed() => Some(Fail::Killed),
            Some(Wake::Interrupted) => Some(Fail::Interrupted),
            Some(Wake::TimedOut) => Some(Fail::TimedOut),
            _ => None,
        };
        if let Some(fail) = fail {
            leave(&mut queue);
            return Err(fail);
        }
        task.prepare_to_wait();
        woke = Some(MutexGuard::unlocked(&mut queue, || task.schedule(clock, mode, deadline, site)));
    }
}

/// Kills `tasks` (taken from an object's line, whose lock the caller has
/// dropped) so that their waits end and their code unwinds; returns how
/// many they were.
pub(super) fn kill_all(tasks: Vec<Arc<Task>>) -> usize {
    tasks.iter().for_each(|t| t.kill());
    tasks.len()
}

/// What a timed wait that succeeded returns: the jiffies left of `timeout`
/// since `start`, at least 1 (`MAX_SCHEDULE_TIMEOUT` for a timeout too long
/// to run out).
pub(super) fn remaining(clock: &Clock, start: u64, timeout: u64) -> i64 {
    if timeout >= sched::MAX_SCHEDULE_TIMEOUT {
        return i64::MAX;
    }
    i64::try_from(sched::jiffies_left(clock, start.wrapping_add(timeout)).max(1)).unwrap_or(i64::MAX)
}

/// `"1 task"`, `"2 tasks"`.
pub(super) fn n_tasks(n: usize) -> String {
    if n == 1 { "1 task".to_string() } else { format!("{n} tasks") }
}

/// `might_sleep` for a call on a module's object. Every call pays only the
/// look at the preempt count; the report itself needs the kernel and the
/// module, which a fast path should not have to reach.
pub(super) fn might_sleep<T: Kind>(object: &Object<T>, task: &Task, site: &Site, call: &str) {
    if task.in_atomic()
        && let Some(owner) = object.owner.upgrade()
        && let Some(kernel) = owner.kernel.upgrade()
    {
        sched::might_sleep(&kernel, Some(&owner), site, call);
    }
}

/// `WARN` on behalf of an object's module (`site` may be empty).
pub(super) fn warn<T: Kind>(object: &Object<T>, site: &str, text: &str) {
    if let Some(owner) = object.owner.upgrade()
        && let Some(kernel) = owner.kernel.upgrade()
    {
        kernel.warn(Some(&owner), site, text);
    }
}

/// A wait queue head: the tasks in a `wait_event` on it.
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    sleepers: Mutex<Vec<Arc<Task>>>,
}

impl Kind for WaitQueue {
    const TAG: u64 = 0x7761_6974_7175_6575;
    const NAME: &'static str = "wait queue";
}

impl WaitQueue {
    /// `wait_event` for `task` (see the module docs): `Ok(true)` once
    /// `condition` is true, `Ok(false)` if it is still false when `deadline`
    /// passed.
    pub(crate) fn wait_event(
        &self,
        task: &Arc<Task>,
        clock: &Clock,
        mode: WaitMode,
        deadline: Option<Duration>,
        site: &str,
        mut condition: impl FnMut() -> bool,
    ) -> Result<bool, Fail> {
        if condition() {
            return Ok(true);
        }
        self.sleepers.lock().push(Arc::clone(task));
        let mut woke = None;
        let ended = loop {
            task.prepare_to_wait();
            if condition() {
                break Ok(true);
            }
            match woke {
                _ if task.killed() => break Err(Fail::Killed),
                Some(Wake::Interrupted) => break Err(Fail::Interrupted),
                Some(Wake::TimedOut) => break Ok(false),
                _ => {}
            }
            woke = Some(task.schedule(clock, mode, deadline, site));
        };
        self.sleepers.lock().retain(|t| !Arc::ptr_eq(t, task));
        ended
    }

    /// `wake_up`/`wake_up_all`: every registered task checks again.
    pub(crate) fn wake_up(&self) {
        let sleepers = self.sleepers.lock().clone();
        sleepers.iter().for_each(|t| t.wake_up());
    }

    fn kill_sleepers(&self) -> usize {
        let sleepers = self.sleepers.lock().clone();
        kill_all(sleepers)
    }
}

pub(super) extern "C" fn waitqueue_new(handle: ModuleHandle) -> ObjectRef {
    let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
    Object::new(&module, String::new(), WaitQueue::default()).into_ref()
}

pub(super) extern "C" fn wait_event(
    wq: ObjectRef,
    condition: Condition,
    sleep_mode: u8,
    timeout: u64,
    site: Site,
) -> i64 {
    let check = || (condition.function)(condition.context);
    let Some(object) = Object::<WaitQueue>::get_arc(wq) else { return i64::from(Errno::EINVAL.to_kernel()) };
    let task = Task::current();
    might_sleep(&object, &task, &site, "wait_event");
    let Some(kernel) = object.kernel() else { return KILLED };
    let clock = &kernel.clock;
    // `u64::MAX` is the table's "untimed"; anything else is a timed wait.
    let timed = timeout != u64::MAX;
    let start = clock.jiffies();
    let ended = if timed && timeout == 0 {
        // `___wait_cond_timeout` with no time left: one look, no sleep.
        Ok(check())
    } else {
        let deadline = sched::deadline_after(clock, start, timeout);
        object.inner.wait_event(&task, clock, sched::wait_mode(sleep_mode), deadline, &site.to_string(), check)
    };
    match ended {
        Ok(true) if timed => remaining(clock, start, timeout),
        Ok(_) => 0,
        // A killable wait reports the fatal signal; any other unwinds.
        Err(Fail::Killed) if sleep_mode == mode::KILLABLE => i64::from(Errno::ERESTARTSYS.to_kernel()),
        Err(Fail::Killed) => KILLED,
        Err(_) => i64::from(Errno::ERESTARTSYS.to_kernel()),
    }
}

pub(super) extern "C" fn wake_up(wq: ObjectRef, _all: bool) {
    if let Some(object) = Object::<WaitQueue>::get(wq) {
        object.inner.wake_up();
    }
}

pub(super) extern "C" fn waitqueue_free(wq: ObjectRef) {
    let Some(object) = Object::<WaitQueue>::get(wq) else { return };
    let killed = object.inner.kill_sleepers();
    if killed > 0 {
        warn(object, "", &format!("wait queue freed with {} waiting; they are killed", n_tasks(killed)));
    }
    Object::<WaitQueue>::free(wq);
}

impl Reclaim for Object<WaitQueue> {
    fn reclaim(&self, _kernel: &KernelInner) -> Option<String> {
        let killed = self.inner.kill_sleepers();
        (killed > 0).then(|| format!("{} freed with {} waiting", self.describe_object(), n_tasks(killed)))
    }

    fn describe(&self) -> String {
        self.describe_object()
    }

    fn freed(&self) -> bool {
        self.is_freed()
    }

    fn release_leaked(self: Arc<Self>) {
        self.release_if_leaked();
    }
}
