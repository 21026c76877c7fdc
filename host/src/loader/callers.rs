//! The tasks that call a module's entry points for a command, so that the
//! command can give up waiting.
//!
//! In the kernel, the process running `insmod`, `rmmod`, `cat /proc/NAME`
//! or a write to `/sys/module/NAME/parameters/P` calls the module's init,
//! exit, show function or parameter notification itself, and waits for as
//! long as it takes: an entry point that never returns hangs that process
//! for good. modhost runs each such call on a caller task instead, and the
//! command waits for it only up to the exit timeout
//! ([`KernelInner::call_bounded`]): then the hung-task report names the
//! task and where it waits (`INFO: task insmod:7 blocked for more than 5
//! seconds.`), the command fails, and the prompt comes back. What the call
//! was for completes when it returns.
//!
//! Each thread that calls into the kernel (the shell, a test's thread) has
//! a caller task of its own, which runs its calls one after the other and
//! takes the name of the command (`insmod`, `rmmod`, `cat`, `modhost`): the
//! kernel side of that process. So one thread's calls are one task's, as
//! when they ran on the thread itself (a mutex locked in one `/sys` write
//! is owned by the task of the next), and another thread's are another
//! task's. A call that does not return keeps its task; the thread's next
//! call gets a new one, as a new process would.
//!
//! Handing a job to an idle thread and back costs two wake-ups, some tens
//! of µs. Neither side spins to save them: on the project's 2-vCPU machine
//! a spinning waiter slowed the very insmod and exit it waited for (the
//! `load` benchmark suite's cycle more than doubled with a spin).
//!
//! Locking: the pool's lock guards the idle caller tasks; each job's lock
//! guards its state. Neither is held while module code runs.

use parking_lot::Mutex;
use std::{
    collections::HashMap,
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use crate::{
    kernel::KernelInner,
    services::{
        task::{Task, TaskKind, WaitMode},
        wait::{Sleep, enlist, wait_until},
    },
};

/// A unit of work for a caller thread: run it, then publish that it ran.
pub(crate) struct Job {
    /// The name of the task that runs it: the command's (`insmod`).
    comm: String,
    work: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    /// Whether it ran, and who waits for that: one lock, so that a waiter
    /// that saw it not done is on the list before it is marked done.
    state: Mutex<JobState>,
    /// The task running the job (for the hung report's wait site).
    runner: Mutex<Option<Arc<Task>>>,
    /// What completes the job if its task dies of an Oops in the work.
    died: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

/// Whether a job ran, and the tasks waiting for it.
#[derive(Default)]
struct JobState {
    done: bool,
    waiters: Vec<Arc<Task>>,
}

impl Job {
    /// Whether the job has finished.
    pub(crate) fn is_done(&self) -> bool {
        self.state.lock().done
    }

    /// The task running the job.
    pub(crate) fn runner(&self) -> Option<Arc<Task>> {
        self.runner.lock().clone()
    }

    /// Waits until the job finished or `bound` of real time passed (for
    /// ever if `None`); returns whether it finished.
    pub(crate) fn wait(&self, kernel: &KernelInner, bound: Option<Duration>) -> bool {
        let me = Task::current();
        let sleep = Sleep {
            clock: &kernel.wall,
            mode: WaitMode::Idle,
            deadline: bound.map(|bound| kernel.wall.uptime().saturating_add(bound)),
            site: &"a module's entry point",
        };
        let waited = wait_until(&me, &sleep, || {
            let mut state = self.state.lock();
            if !state.done {
                enlist(&mut state.waiters, &me);
            }
            state.done
        });
        self.state.lock().waiters.retain(|t| !Arc::ptr_eq(t, &me));
        waited.is_ok() || self.is_done()
    }

    /// Runs the job on `task`, named after the command; `ready` runs after
    /// the work and before the job is seen as done, so the task is back in
    /// the pool before its caller can submit the next job. If the task dies
    /// of an Oops in the work, the job's `died` continuation completes it.
    fn run(self: &Arc<Self>, task: &Arc<Task>, ready: impl FnOnce()) {
        task.set_name(self.comm.clone());
        *self.runner.lock() = Some(Arc::clone(task));
        let work = self.work.lock().take();
        if let Some(work) = work {
            let job = Arc::clone(self);
            task.on_death(Some(Box::new(move || job.died())));
            work();
            task.on_death(None);
        }
        // Its continuation holds what the work held (the module): dropped
        // now, or the job, which the module may hold, would keep it.
        drop(self.died.lock().take());
        // A forced unload may have killed this task; the next job starts clean.
        task.clear_signals();
        ready();
        self.complete();
    }

    /// The job's task died of an Oops: what the job was for completes
    /// without it.
    fn died(&self) {
        let died = self.died.lock().take();
        if let Some(died) = died {
            died();
        }
        self.complete();
    }

    /// Marks the job done and wakes who waits for it.
    fn complete(&self) {
        let waiters = {
            let mut state = self.state.lock();
            state.done = true;
            std::mem::take(&mut state.waiters)
        };
        waiters.iter().for_each(|t| t.wake_up());
    }
}

/// One caller task and its mailbox.
struct Worker {
    task: Arc<Task>,
    job: Mutex<Option<Arc<Job>>>,
}

/// The caller tasks of one kernel.
#[derive(Default)]
pub(crate) struct Callers {
    /// The idle caller task of each calling thread's task, by its id.
    idle: Mutex<HashMap<u64, Arc<Worker>>>,
    all: Mutex<Vec<Arc<Worker>>>,
    stopping: AtomicBool,
}

impl Callers {
    /// Runs `work` on the calling thread's caller task, named `comm`; the
    /// returned job says when it is done.
    pub(crate) fn submit(
        &self,
        kernel: &Arc<KernelInner>,
        comm: &str,
        work: impl FnOnce() + Send + 'static,
    ) -> Arc<Job> {
        self.submit_or_die(kernel, comm, work, || {})
    }

    /// [`Callers::submit`], with what completes the job if its task dies
    /// of an Oops in `work` (run on the dying thread, after the report).
    pub(crate) fn submit_or_die(
        &self,
        kernel: &Arc<KernelInner>,
        comm: &str,
        work: impl FnOnce() + Send + 'static,
        died: impl FnOnce() + Send + 'static,
    ) -> Arc<Job> {
        let job = Arc::new(Job {
            comm: comm.to_string(),
            work: Mutex::new(Some(Box::new(work))),
            state: Mutex::new(JobState::default()),
            runner: Mutex::new(None),
            died: Mutex::new(Some(Box::new(died))),
        });
        let caller = Task::with_current(|t| t.id());
        let worker = self.idle.lock().remove(&caller);
        match worker.or_else(|| self.spawn(kernel, caller)) {
            Some(worker) => {
                *worker.job.lock() = Some(Arc::clone(&job));
                worker.task.wake_up();
            }
            // No thread to be had: run it here, unbounded, as the kernel would.
            None => job.run(&Task::current(), || {}),
        }
        job
    }

    /// A new caller task for the thread whose task is `caller`.
    fn spawn(&self, kernel: &Arc<KernelInner>, caller: u64) -> Option<Arc<Worker>> {
        let weak = Arc::downgrade(kernel);
        let mailbox: Arc<Mutex<Option<Arc<Worker>>>> = Arc::new(Mutex::new(None));
        let theirs = Arc::clone(&mailbox);
        let (task, _join) = Task::spawn(kernel.id, TaskKind::Caller, "modhost".to_string(), move |task| {
            let worker = loop {
                if let Some(worker) = theirs.lock().clone() {
                    break worker;
                }
                std::thread::yield_now();
            };
            Callers::serve(&weak, &worker, &task, caller);
        })
        .ok()?;
        let worker = Arc::new(Worker { task, job: Mutex::new(None) });
        *mailbox.lock() = Some(Arc::clone(&worker));
        self.all.lock().push(Arc::clone(&worker));
        Some(worker)
    }

    /// A caller task's life: take a job, run it, wait for the next one of
    /// the same caller; end when a newer task has taken its place (this one
    /// was stuck) or at shutdown.
    fn serve(kernel: &Weak<KernelInner>, worker: &Arc<Worker>, task: &Arc<Task>, caller: u64) {
        loop {
            let Some(job) = Callers::next_job(kernel, worker, task) else { return };
            let mut stop = false;
            job.run(task, || match kernel.upgrade() {
                Some(kernel) if !kernel.callers.stopping.load(Ordering::Acquire) => {
                    let mut idle = kernel.callers.idle.lock();
                    stop = idle.contains_key(&caller);
                    if !stop {
                        idle.insert(caller, Arc::clone(worker));
                    }
                }
                _ => stop = true,
            });
            if stop {
                return;
            }
        }
    }

    fn next_job(kernel: &Weak<KernelInner>, worker: &Worker, task: &Arc<Task>) -> Option<Arc<Job>> {
        loop {
            if let Some(job) = worker.job.lock().take() {
                return Some(job);
            }
            let kernel = kernel.upgrade()?;
            if kernel.callers.stopping.load(Ordering::Acquire) {
                return None;
            }
            task.prepare_to_wait();
            if worker.job.lock().is_some() {
                continue;
            }
            task.schedule(&kernel.wall, WaitMode::Idle, None, &"");
        }
    }

    /// Stops the idle caller tasks (at shutdown; busy ones finish their job first).
    pub(crate) fn shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
        for worker in self.all.lock().iter() {
            worker.task.wake_up();
        }
    }
}

/// How a bounded call ended.
pub(crate) enum Bounded<R> {
    /// It returned this.
    Done(R),
    /// It did not return within the bound and still runs.
    Blocked(Pending<R>),
}

/// A call still running on its caller task.
pub(crate) struct Pending<R> {
    pub(crate) job: Arc<Job>,
    result: Arc<Mutex<Option<R>>>,
}

impl<R> Pending<R> {
    /// Waits until the call returns, however long that takes; `None` if
    /// its caller task died on the way.
    pub(crate) fn finish(self, kernel: &KernelInner) -> Option<R> {
        self.job.wait(kernel, None);
        self.result.lock().take()
    }
}

impl KernelInner {
    /// Runs `call` on a caller task named `comm` and waits for it at most
    /// the exit timeout. A call that does not return by then goes on by
    /// itself; the caller reports it ([`KernelInner::report_blocked_call`]).
    /// A call whose task dies of an Oops returns what `died` makes.
    pub(crate) fn call_bounded<R: Send + 'static>(
        self: &Arc<Self>,
        comm: &str,
        call: impl FnOnce() -> R + Send + 'static,
        died: impl FnOnce() -> R + Send + 'static,
    ) -> Bounded<R> {
        let result = Arc::new(Mutex::new(None));
        let (slot, theirs) = (Arc::clone(&result), Arc::clone(&result));
        let job = self.callers.submit_or_die(
            self,
            comm,
            move || *slot.lock() = Some(call()),
            move || *theirs.lock() = Some(died()),
        );
        if job.wait(self, Some(self.exit_timeout))
            && let Some(value) = result.lock().take()
        {
            return Bounded::Done(value);
        }
        Bounded::Blocked(Pending { job, result })
    }

    /// The `INFO: task ... blocked` report for a call that did not return
    /// in time (`INFO: task insmod:12 blocked for more than 5 seconds.`,
    /// with where it waits).
    pub(crate) fn report_blocked_call<R>(&self, pending: &Pending<R>) {
        self.report_blocked_job(&pending.job);
    }

    /// The same report for a job.
    pub(crate) fn report_blocked_job(&self, job: &Job) {
        let Some(task) = job.runner() else { return };
        let site = task.wait_site().map(|(site, _)| site).unwrap_or_else(|| "(running)".to_string());
        self.report_blocked(&task, &format!("{}", self.exit_timeout.as_secs_f64()), &site);
    }
}

impl std::fmt::Debug for Callers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callers").field("threads", &self.all.lock().len()).finish()
    }
}
