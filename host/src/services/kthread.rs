//! kthreads: threads the host runs for a module.
//!
//! `kthread_create` starts an OS thread at once (a task of kind `KThread`,
//! owned by the module) that waits to be woken; `kthread_run` wakes it
//! immediately. The body runs in the module's context until it returns; its
//! result is kept for `kthread_stop`.
//!
//! `kthread_stop` sets the thread's should-stop flag, signals it (so its
//! interruptible sleeps end, as the kernel's `TIF_NOTIFY_SIGNAL` does),
//! wakes it, and waits for the body to return. A thread stopped before it
//! was ever woken never runs its body, and `kthread_stop` returns `-EINTR`.
//!
//! Locking: one lock per kthread guards its state; it is never held while
//! the body runs or while anyone sleeps.
//!
//! Kernel counterpart: `kernel/kthread.c`, `include/linux/kthread.h`.

use abi_stable::std_types::RStr;
use modhost_abi::{
    descriptor::ModuleHandle,
    errno::Errno,
    services::{KILLED, ObjectRef, Site, ThreadFn},
};
use parking_lot::Mutex;
use std::{sync::Arc, thread::JoinHandle, time::Duration};

use super::{
    module_arc,
    object::{Kind, Object, Reclaim},
    printk::Level,
    sched::might_sleep,
    task::{Task, TaskKind, WaitMode, Wake},
};
use crate::{kernel::KernelInner, loader::Module};

/// A module's kthread.
pub(crate) struct KThread {
    name: String,
    body: ThreadFn,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The thread's task, once it runs.
    task: Option<Arc<Task>>,
    join: Option<JoinHandle<()>>,
    /// `wake_up_process` was called: the body may start.
    woken: bool,
    /// The body returned (or will never run): its result.
    result: Option<i32>,
    /// Tasks waiting in `kthread_stop` for the result.
    waiters: Vec<Arc<Task>>,
}

impl Kind for KThread {
    const TAG: u64 = 0x6b74_6872_6561_6401;
    const NAME: &'static str = "kthread";
}

impl KThread {
    /// Lets the body start (first call) or wakes the sleeping thread.
    fn wake(&self) {
        let mut state = self.state.lock();
        state.woken = true;
        if let Some(task) = &state.task {
            task.wake_up();
        }
    }

    /// The thread's life: wait to be woken, run the body, publish the result.
    fn run(object: &Arc<Object<KThread>>, task: &Arc<Task>, module: &Arc<Module>, kernel: &KernelInner) {
        let this = &object.inner;
        let _context = module.enter(task);
        loop {
            task.prepare_to_wait();
            let state = this.state.lock();
            if state.woken || task.should_stop() {
                break;
            }
            drop(state);
            task.schedule(&kernel.clock, WaitMode::Idle, None, "");
        }
        let result = if task.should_stop() && !this.state.lock().woken {
            Errno::EINTR.to_kernel()
        } else {
            (this.body.function)(this.body.context)
        };
        let waiters = {
            let mut state = this.state.lock();
            state.result = Some(result);
            std::mem::take(&mut state.waiters)
        };
        waiters.iter().for_each(|t| t.wake_up());
    }

    /// `kthread_stop`'s wait: until the body returned; `None` if killed or
    /// `bound` (real time) passed first.
    fn wait_exit(&self, kernel: &KernelInner, site: &str, bound: Option<Duration>) -> Option<i32> {
        let me = Task::current();
        // A bound is real time, whatever the kernel clock is doing.
        let clock = if bound.is_some() { &kernel.wall } else { &kernel.clock };
        let give_up = bound.map(|b| clock.uptime() + b);
        loop {
            me.prepare_to_wait();
            {
                let mut state = self.state.lock();
                if let Some(result) = state.result {
                    return Some(result);
                }
                state.waiters.push(Arc::clone(&me));
            }
            let woke = me.schedule(clock, WaitMode::Uninterruptible, give_up, site);
            self.state.lock().waiters.retain(|t| !Arc::ptr_eq(t, &me));
            if woke == Wake::Interrupted || woke == Wake::TimedOut {
                return self.state.lock().result;
            }
        }
    }

    /// Joins the OS thread once the body has returned.
    fn join(&self) {
        let join = self.state.lock().join.take();
        if let Some(join) = join {
            let _ = join.join();
        }
    }

    fn task(&self) -> Option<Arc<Task>> {
        self.state.lock().task.clone()
    }
}

pub(super) extern "C" fn kthread_create(
    handle: ModuleHandle,
    body: ThreadFn,
    name: RStr<'_>,
    run: bool,
    site: Site,
) -> ObjectRef {
    let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
    let Some(kernel) = module.kernel.upgrade() else { return ObjectRef::NULL };
    let inner = KThread { name: name.to_string(), body, state: Mutex::new(State { woken: run, ..State::default() }) };
    let object = Object::new(&module, site.to_string(), inner);
    let thread_object = Arc::clone(&object);
    let thread_module = Arc::clone(&module);
    let thread_kernel = Arc::clone(&kernel);
    let spawned = Task::spawn(kernel.id, TaskKind::KThread, name.to_string(), move |task| {
        task.set_owner(Some(thread_module.context().name));
        thread_object.inner.state.lock().task = Some(Arc::clone(&task));
        KThread::run(&thread_object, &task, &thread_module, &thread_kernel);
    });
    match spawned {
        Ok((task, join)) => {
            let mut state = object.inner.state.lock();
            state.task = Some(task);
            state.join = Some(join);
        }
        Err(e) => {
            kernel.log(Level::Err, &format!("{}: kthread_create {}: {e}", module.name(), name.as_str()));
            return ObjectRef::NULL;
        }
    }
    object.into_ref()
}

pub(super) extern "C" fn kthread_wake(thread: ObjectRef) {
    if let Some(object) = Object::<KThread>::get(thread) {
        object.inner.wake();
    }
}

pub(super) extern "C" fn kthread_should_stop() -> bool {
    Task::current().should_stop()
}

pub(super) extern "C" fn kthread_stop(thread: ObjectRef, site: Site) -> i64 {
    let Some(object) = Object::<KThread>::get(thread) else { return i64::from(Errno::EINVAL.to_kernel()) };
    let Some(owner) = object.owner.upgrade() else { return 0 };
    let Some(kernel) = owner.kernel.upgrade() else { return 0 };
    might_sleep(&kernel, Some(&owner), &site, "kthread_stop");
    let this = &object.inner;
    let exited = this.state.lock().result;
    if let Some(result) = exited {
        kernel.log(
            Level::Warning,
            &format!("{}: kthread_stop: {} already exited (returned {result}) at {site}", owner.name(), this.name),
        );
        this.join();
        return i64::from(result);
    }
    if let Some(task) = this.task() {
        task.request_stop();
    }
    match this.wait_exit(&kernel, &site.to_string(), None) {
        Some(result) => {
            this.join();
            i64::from(result)
        }
        None => KILLED,
    }
}

pub(super) extern "C" fn kthread_free(thread: ObjectRef) {
    Object::<KThread>::free(thread);
}

impl Reclaim for Object<KThread> {
    fn reclaim(&self, kernel: &KernelInner) -> Option<String> {
        let this = &self.inner;
        if this.state.lock().result.is_some() {
            this.join();
            return None;
        }
        let task = this.task()?;
        task.request_stop();
        if this.wait_exit(kernel, "", Some(kernel.exit_timeout)).is_none() {
            // Still in the module's code: a forced stop makes its waits
            // return and unwinds the body.
            task.kill();
            if this.wait_exit(kernel, "", Some(kernel.exit_timeout)).is_none() {
                return Some(format!("{} {} left running and will not stop", self.describe_object(), this.name));
            }
        }
        this.join();
        Some(format!("{} {} left running; stopped", self.describe_object(), this.name))
    }

    fn describe(&self) -> String {
        format!("{} {}", self.describe_object(), self.inner.name)
    }

    fn freed(&self) -> bool {
        self.is_freed()
    }

    fn still_running(&self) -> bool {
        let state = self.inner.state.lock();
        state.task.is_some() && state.result.is_none()
    }

    fn release_leaked(self: Arc<Self>) {
        self.release_if_leaked();
    }
}
