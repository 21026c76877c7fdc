//! The threads that run module exits, so that rmmod can give up waiting.
//!
//! In the kernel, `rmmod` calls the module's exit itself and waits for as
//! long as it takes: an exit stuck in an uninterruptible wait hangs rmmod
//! forever. modhost runs each exit on a separate `rmmod` task instead, and
//! rmmod waits for it only up to a bound; a stuck exit keeps its task, and
//! later exits get another one.
//!
//! Handing a job to an idle thread and back costs two wake-ups, some tens
//! of µs. Neither side spins to save them: on the project's 2-vCPU machine
//! a spinning waiter slowed the very insmod and exit it waited for (the
//! `load` benchmark suite's cycle more than doubled with a spin).
//!
//! Locking: the pool's lock guards the idle threads; each job's lock guards
//! its state. Neither is held while module code runs.

use parking_lot::Mutex;
use std::{sync::Arc, time::Duration};

use crate::{
    kernel::KernelInner,
    services::{
        task::{Task, TaskKind, WaitMode},
        wait::{Sleep, enlist, wait_until},
    },
};

/// A unit of work for an unload thread: run it, then publish that it ran.
pub(crate) struct Job {
    work: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    done: Mutex<bool>,
    waiters: Mutex<Vec<Arc<Task>>>,
    /// The task running the job (for the hung report's wait site).
    runner: Mutex<Option<Arc<Task>>>,
}

impl Job {
    /// Whether the job has finished.
    pub(crate) fn is_done(&self) -> bool {
        *self.done.lock()
    }

    /// The task running the job.
    pub(crate) fn runner(&self) -> Option<Arc<Task>> {
        self.runner.lock().clone()
    }

    /// Waits until the job finished or `bound` of real time passed; returns
    /// whether it finished.
    pub(crate) fn wait(&self, kernel: &KernelInner, bound: Duration) -> bool {
        let me = Task::current();
        let sleep = Sleep {
            clock: &kernel.wall,
            mode: WaitMode::Idle,
            deadline: Some(kernel.wall.uptime() + bound),
            site: &"rmmod",
        };
        let waited = wait_until(&me, &sleep, || {
            let done = self.is_done();
            if !done {
                enlist(&mut self.waiters.lock(), &me);
            }
            done
        });
        self.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
        waited.is_ok() || self.is_done()
    }

    /// Runs the job on `task`; `ready` runs after the work and before the job
    /// is seen as done, so the thread is back in the pool before its caller
    /// can submit the next job.
    fn run(&self, task: &Arc<Task>, ready: impl FnOnce()) {
        *self.runner.lock() = Some(Arc::clone(task));
        let work = self.work.lock().take();
        if let Some(work) = work {
            work();
        }
        // A forced unload may have killed this task; the next job starts clean.
        task.clear_signals();
        ready();
        *self.done.lock() = true;
        let waiters = std::mem::take(&mut *self.waiters.lock());
        waiters.iter().for_each(|t| t.wake_up());
    }
}

/// One unload thread and its mailbox.
struct Worker {
    task: Arc<Task>,
    job: Mutex<Option<Arc<Job>>>,
}

/// The pool of unload threads of one kernel.
#[derive(Default)]
pub(crate) struct Unloader {
    idle: Mutex<Vec<Arc<Worker>>>,
    all: Mutex<Vec<Arc<Worker>>>,
    stopping: std::sync::atomic::AtomicBool,
}

impl Unloader {
    /// Runs `work` on an unload thread; the returned job says when it is done.
    pub(crate) fn submit(&self, kernel: &Arc<KernelInner>, work: impl FnOnce() + Send + 'static) -> Arc<Job> {
        let job = Arc::new(Job {
            work: Mutex::new(Some(Box::new(work))),
            done: Mutex::new(false),
            waiters: Mutex::new(Vec::new()),
            runner: Mutex::new(None),
        });
        let worker = self.idle.lock().pop();
        match worker.or_else(|| self.spawn(kernel)) {
            Some(worker) => {
                *worker.job.lock() = Some(Arc::clone(&job));
                worker.task.wake_up();
            }
            // No thread to be had: run it here, unbounded, as the kernel would.
            None => job.run(&Task::current(), || {}),
        }
        job
    }

    fn spawn(&self, kernel: &Arc<KernelInner>) -> Option<Arc<Worker>> {
        let weak = Arc::downgrade(kernel);
        let mailbox: Arc<Mutex<Option<Arc<Worker>>>> = Arc::new(Mutex::new(None));
        let theirs = Arc::clone(&mailbox);
        let (task, _join) = Task::spawn(kernel.id, TaskKind::Unload, "rmmod".to_string(), move |task| {
            let worker = loop {
                if let Some(worker) = theirs.lock().clone() {
                    break worker;
                }
                std::thread::yield_now();
            };
            Unloader::serve(&weak, &worker, &task);
        })
        .ok()?;
        let worker = Arc::new(Worker { task, job: Mutex::new(None) });
        *mailbox.lock() = Some(Arc::clone(&worker));
        self.all.lock().push(Arc::clone(&worker));
        Some(worker)
    }

    /// An unload thread's life: take a job, run it, go back to the pool.
    fn serve(kernel: &std::sync::Weak<KernelInner>, worker: &Arc<Worker>, task: &Arc<Task>) {
        loop {
            let Some(job) = Unloader::next_job(kernel, worker, task) else { return };
            let mut stop = false;
            job.run(task, || match kernel.upgrade() {
                Some(kernel) if !kernel.unloader.stopping.load(std::sync::atomic::Ordering::Acquire) => {
                    kernel.unloader.idle.lock().push(Arc::clone(worker));
                }
                _ => stop = true,
            });
            if stop {
                return;
            }
        }
    }

    fn next_job(kernel: &std::sync::Weak<KernelInner>, worker: &Worker, task: &Arc<Task>) -> Option<Arc<Job>> {
        loop {
            if let Some(job) = worker.job.lock().take() {
                return Some(job);
            }
            let kernel = kernel.upgrade()?;
            if kernel.unloader.stopping.load(std::sync::atomic::Ordering::Acquire) {
                return None;
            }
            task.prepare_to_wait();
            if worker.job.lock().is_some() {
                continue;
            }
            task.schedule(&kernel.wall, WaitMode::Idle, None, &"");
        }
    }

    /// Stops the idle threads (at shutdown; busy ones finish their job first).
    pub(crate) fn shutdown(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::Release);
        for worker in self.all.lock().iter() {
            worker.task.wake_up();
        }
    }
}

impl std::fmt::Debug for Unloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unloader").field("threads", &self.all.lock().len()).finish()
    }
}
