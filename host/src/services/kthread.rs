//! kthreads: threads the host runs for a module.
//!
//! `kthread_create` starts an OS thread at once (a task of kind `KThread`,
//! owned by the module) that waits to be woken; `wake_up_process` lets it
//! run its body, in the module's context, until the body returns; the
//! result is kept for `kthread_stop`.
//!
//! `kthread_stop` sets the thread's should-stop flag, signals it (so its
//! interruptible sleeps end, as the kernel's `TIF_NOTIFY_SIGNAL` does),
//! wakes it, and waits for the body to return. A thread stopped before it
//! was ever woken never runs its body, and `kthread_stop` returns `-EINTR`.
//! rmmod interrupts work items, not kthreads, so the classic loop
//! (`while (!kthread_should_stop()) msleep_interruptible(...)`) sleeps
//! quietly until exit stops it; only a signal the thread allows (`kill
//! -INT PID` after `allow_signal(SIGINT)`) ends its sleeps otherwise.
//!
//! Locking: one lock per kthread guards its state; it is never held while
//! the body runs or while anyone sleeps.
//!
//! Kernel counterpart: `kernel/kthread.c`, `include/linux/kthread.h`.

use modhost_abi::{errno::Errno, table::Callback};
use parking_lot::Mutex;
use std::{sync::Arc, thread::JoinHandle, time::Duration};

use super::{
    Services,
    callback::ModuleCallback,
    object::{Kind, Object},
    record::ModuleRecord,
    task::{Task, TaskKind, WaitMode},
    wait::{Sleep, WaitError, enlist, wait_until},
};

/// A module's kthread.
pub(crate) struct KThread {
    pub(crate) name: String,
    body: ModuleCallback,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The thread's task.
    task: Option<Arc<Task>>,
    join: Option<JoinHandle<()>>,
    /// `wake_up_process` was called: the body may start.
    woken: bool,
    /// The body returned (or will never run): its result.
    result: Option<i32>,
    /// `kthread_stop` was called.
    stopped: bool,
    /// Tasks waiting in `kthread_stop` for the result.
    waiters: Vec<Arc<Task>>,
}

impl Kind for KThread {
    const NAME: &'static str = "kthread";
    // Beyond the kernel's debugobjects: a thread still running when its
    // module's memory goes is as active as an armed timer.
    const DEBUG_TYPE: Option<&'static str> = Some("task_struct");

    fn stop(object: &Object<KThread>) -> Option<String> {
        let this = &object.inner;
        let services = object.services()?;
        if this.state.lock().result.is_some() {
            this.join();
            return None;
        }
        let task = this.task()?;
        task.request_stop();
        let bound = Some(services.exit_timeout);
        if this.wait_exit(services, "", bound).is_err() {
            // Still in the module's code: a forced stop makes its waits
            // return and unwinds the body.
            task.kill();
            if this.wait_exit(services, "", bound).is_err() {
                return Some("left running and will not stop".to_string());
            }
        }
        this.join();
        Some("left running; stopped".to_string())
    }

    fn still_running(&self) -> bool {
        let state = self.state.lock();
        state.task.is_some() && state.result.is_none()
    }

    fn detail(&self) -> Option<String> {
        Some(self.name.clone())
    }

    fn callback(&self) -> Option<&ModuleCallback> {
        Some(&self.body)
    }
}

impl KThread {
    /// `kthread_create` for `owner`: a thread named `name` that waits to be
    /// woken, then runs `body`; `None` if no thread could be made.
    pub(crate) fn create(
        owner: &Arc<ModuleRecord>,
        name: &str,
        body: Callback,
        (site, hint): (String, usize),
    ) -> Option<Arc<Object<KThread>>> {
        let services = &owner.services;
        let inner = KThread { name: name.to_string(), body: ModuleCallback::new(body), state: Mutex::default() };
        let (object, _handle) = Object::new(Some(owner), services.id, site, inner).with_hint(hint).register()?;
        let theirs = Arc::clone(&object);
        let spawned = Task::spawn(services.id, TaskKind::KThread, name.to_string(), move |task| {
            task.set_owner(theirs.owner.as_ref().map(|o| Arc::clone(&o.name)));
            theirs.inner.state.lock().task = Some(Arc::clone(&task));
            let dying = Arc::downgrade(&theirs);
            task.on_death(Some(Box::new(move || {
                if let Some(object) = dying.upgrade() {
                    object.inner.died();
                }
            })));
            KThread::run(&theirs, &task);
        });
        match spawned {
            Ok((task, join)) => {
                let mut state = object.inner.state.lock();
                // A thread that died already is never joined (see `died`).
                if !task.is_dead() {
                    state.join = Some(join);
                }
                state.task = Some(task);
                drop(state);
                Some(object)
            }
            Err(e) => {
                let _ = object.free_unstarted();
                services.log(super::printk::Level::Err, &format!("{}: kthread_create {name}: {e}", owner.name));
                None
            }
        }
    }

    /// The thread's life: wait to be woken, run the body, publish the result.
    fn run(object: &Arc<Object<KThread>>, task: &Arc<Task>) {
        let this = &object.inner;
        let Some(owner) = &object.owner else { return };
        let clock = &owner.services.clock;
        let idle = Sleep { clock, mode: WaitMode::Idle, deadline: None, site: &"" };
        let _ = wait_until(task, &idle, || this.state.lock().woken || task.should_stop());
        let result = if this.state.lock().woken {
            let _context = owner.enter(task);
            this.body.call(object.handle()).unwrap_or(Errno::EINTR.to_kernel())
        } else {
            Errno::EINTR.to_kernel()
        };
        let waiters = {
            let mut state = this.state.lock();
            state.result = Some(result);
            std::mem::take(&mut state.waiters)
        };
        waiters.iter().for_each(|t| t.wake_up());
    }

    /// The thread died of an Oops in its body: it has exited, as the
    /// kernel's `make_task_dead` ends a kthread, so `kthread_stop` returns
    /// (`-EINTR`, the result of a thread that never returned); its OS
    /// thread stays parked and is never joined.
    fn died(&self) {
        self.body.abandon();
        let waiters = {
            let mut state = self.state.lock();
            state.result = Some(Errno::EINTR.to_kernel());
            drop(state.join.take());
            std::mem::take(&mut state.waiters)
        };
        waiters.iter().for_each(|t| t.wake_up());
    }

    /// `wake_up_process`: lets the body start, or wakes the sleeping
    /// thread; `true` if it was not running.
    pub(crate) fn wake(&self) -> bool {
        let mut state = self.state.lock();
        let first = !std::mem::replace(&mut state.woken, true);
        if let Some(task) = &state.task {
            let asleep = task.state() != super::task::TaskState::Running;
            task.wake_up();
            return first || asleep;
        }
        first
    }

    /// `kthread_stop` for the task `me`: asks the thread to stop and waits
    /// for its result; `Err` if `me` was killed meanwhile. A second stop,
    /// or a stop of a thread that already returned, is reported by the caller.
    pub(crate) fn stop_and_wait(&self, services: &Services, site: &str) -> Result<i32, WaitError> {
        self.state.lock().stopped = true;
        if let Some(task) = self.task() {
            task.request_stop();
        }
        let result = self.wait_exit(services, site, None)?;
        self.join();
        Ok(result)
    }

    /// Whether the body already returned (its result), and whether
    /// `kthread_stop` was called before.
    pub(crate) fn exited(&self) -> (Option<i32>, bool) {
        let state = self.state.lock();
        (state.result, state.stopped)
    }

    /// Waits until the body returned; `bound` limits the wait in real time.
    fn wait_exit(&self, services: &Services, site: &str, bound: Option<Duration>) -> Result<i32, WaitError> {
        let me = Task::current();
        // A bound is real time, whatever the kernel clock is doing.
        let clock = if bound.is_some() { &services.wall } else { &services.clock };
        let sleep =
            Sleep { clock, mode: WaitMode::Uninterruptible, deadline: bound.map(|b| clock.uptime() + b), site: &site };
        let waited = wait_until(&me, &sleep, || {
            let mut state = self.state.lock();
            if state.result.is_none() {
                enlist(&mut state.waiters, &me);
            }
            state.result.is_some()
        });
        let mut state = self.state.lock();
        state.waiters.retain(|t| !Arc::ptr_eq(t, &me));
        state.result.ok_or(waited.err().unwrap_or(WaitError::Killed))
    }

    /// Joins the OS thread once the body has returned.
    pub(crate) fn join(&self) {
        let join = self.state.lock().join.take();
        if let Some(join) = join {
            let _ = join.join();
        }
    }

    /// The thread's pid (its task's id), once its thread exists.
    pub(crate) fn pid(&self) -> Option<u64> {
        self.state.lock().task.as_ref().map(|t| t.id())
    }

    /// Its thread's task, once started.
    pub(crate) fn task(&self) -> Option<Arc<Task>> {
        self.state.lock().task.clone()
    }

    /// Whether this is the calling task's own thread (its body calling).
    pub(crate) fn is_current(&self) -> bool {
        let me = Task::with_current(|t| t.id());
        self.state.lock().task.as_ref().is_some_and(|t| t.id() == me)
    }

    /// Marks it stopped without waiting (its own body freed it).
    pub(crate) fn stop_from_itself(&self) {
        self.state.lock().stopped = true;
        if let Some(task) = self.task() {
            task.request_stop();
        }
    }
}

impl Object<KThread> {
    /// Unregisters a kthread whose thread could not be started; its body
    /// stays the caller's to release.
    fn free_unstarted(&self) -> bool {
        let guard = super::entry::rcu::read_lock();
        super::entry::handles::OBJECTS
            .unregister(self.handle().to_raw(), |_| "kthread (not started)".to_string(), &guard)
            .is_ok()
    }
}
