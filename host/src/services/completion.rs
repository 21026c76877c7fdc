//! Completions: `init_completion`, `complete`, `complete_all`,
//! `wait_for_completion*`, `completion_done`, `reinit_completion`.
//!
//! A completion is a count of `done` events and a line of waiters, under
//! one lock. `complete` lets one waiter through: it hands the event straight
//! to the first task in line (as `up` does for a semaphore, so a task
//! arriving later cannot take it first), or, with nobody waiting, adds one
//! to `done` (saturating). `complete_all` sets `done` to "for ever"
//! (`UINT_MAX`) and lets every waiter through, now and until
//! `reinit_completion`. A waiter takes one from `done` (unless it is "for
//! ever"), or joins the line and sleeps ([`wait_in_line`]).
//!
//! Return values are the kernel's: untimed waits return 0; timed ones the
//! jiffies left, at least 1 (so an event that came just as the time ran out
//! is still a success), or 0 on timeout; `-ERESTARTSYS` on a signal in an
//! interruptible wait; [`KILLED`] once the task was killed. A waiter whose
//! wait ended but who was handed the event meanwhile keeps it (the kernel
//! checks `done` first too); one that was killed passes it on, because its
//! code unwinds.
//!
//! Completions are for events, not hot paths: nobody spins here.
//!
//! Locking: `state` is a leaf lock; tasks are woken after it is dropped.
//!
//! Kernel counterpart: `kernel/sched/completion.c`, `include/linux/completion.h`.

use modhost_abi::{
    descriptor::ModuleHandle,
    errno::Errno,
    services::{KILLED, ObjectRef, Site},
};
use parking_lot::Mutex;
use std::{collections::VecDeque, sync::Arc, time::Duration};

use super::{
    clock::Clock,
    module_arc,
    object::{Kind, Object, Reclaim},
    sched,
    task::{Task, WaitMode},
    waitqueue::{Fail, Waiter, kill_all, might_sleep, n_tasks, remaining, wait_in_line, warn},
};
use crate::kernel::KernelInner;

/// `done` after `complete_all`: every wait passes until `reinit_completion`.
const DONE_FOR_EVER: u32 = u32::MAX;

#[derive(Debug, Default)]
struct State {
    done: u32,
    queue: VecDeque<Arc<Waiter>>,
}

/// A completion; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Completion {
    state: Mutex<State>,
}

impl Kind for Completion {
    const TAG: u64 = 0x636f_6d70_6c65_7465;
    const NAME: &'static str = "completion";
}

impl Completion {
    /// `complete`: the first waiter goes, or the next wait will.
    pub(crate) fn complete(&self) {
        let woken = {
            let mut state = self.state.lock();
            match state.queue.pop_front() {
                Some(waiter) => Some(waiter.grant()),
                None => {
                    if state.done != DONE_FOR_EVER {
                        state.done += 1;
                    }
                    None
                }
            }
        };
        if let Some(task) = woken {
            task.wake_up();
        }
    }

    /// `complete_all`: every waiter goes, now and until `reinit`.
    pub(crate) fn complete_all(&self) {
        let woken: Vec<Arc<Task>> = {
            let mut state = self.state.lock();
            state.done = DONE_FOR_EVER;
            state.queue.drain(..).map(|w| w.grant()).collect()
        };
        woken.iter().for_each(|t| t.wake_up());
    }

    /// `completion_done`: whether a wait would pass without sleeping.
    pub(crate) fn done(&self) -> bool {
        self.state.lock().done > 0
    }

    /// `reinit_completion`.
    pub(crate) fn reinit(&self) {
        self.state.lock().done = 0;
    }

    /// `wait_for_completion` for `task`, sleeping in `mode` until `deadline`.
    pub(crate) fn wait(
        &self,
        task: &Arc<Task>,
        clock: &Clock,
        mode: WaitMode,
        deadline: Option<Duration>,
        site: &str,
    ) -> Result<(), Fail> {
        let me = Waiter::new(task);
        {
            let mut state = self.state.lock();
            if state.done > 0 {
                if state.done != DONE_FOR_EVER {
                    state.done -= 1;
                }
                return Ok(());
            }
            state.queue.push_back(Arc::clone(&me));
        }
        wait_in_line(&self.state, &me, clock, mode, deadline, site, |state| {
            state.queue.retain(|w| !Arc::ptr_eq(w, &me));
        })?;
        if task.killed() {
            self.complete();
            return Err(Fail::Killed);
        }
        Ok(())
    }

    fn kill_waiters(&self) -> usize {
        let tasks = self.state.lock().queue.iter().map(|w| Arc::clone(&w.task)).collect();
        kill_all(tasks)
    }
}

pub(super) extern "C" fn completion_new(handle: ModuleHandle) -> ObjectRef {
    let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
    Object::new(&module, String::new(), Completion::default()).into_ref()
}

pub(super) extern "C" fn complete(completion: ObjectRef, all: bool) {
    let Some(object) = Object::<Completion>::get(completion) else { return };
    if all {
        object.inner.complete_all();
    } else {
        object.inner.complete();
    }
}

pub(super) extern "C" fn wait_for_completion(completion: ObjectRef, sleep_mode: u8, timeout: u64, site: Site) -> i64 {
    // The wait holds a reference, in case the module frees the completion meanwhile.
    let Some(object) = Object::<Completion>::get_arc(completion) else { return i64::from(Errno::EINVAL.to_kernel()) };
    let task = Task::current();
    might_sleep(&object, &task, &site, "wait_for_completion");
    let Some(kernel) = object.kernel() else { return KILLED };
    let clock = &kernel.clock;
    let start = clock.jiffies();
    let deadline = sched::deadline_after(clock, start, timeout);
    match object.inner.wait(&task, clock, sched::wait_mode(sleep_mode), deadline, &site.to_string()) {
        // `u64::MAX` is the table's "untimed".
        Ok(()) if timeout == u64::MAX => 0,
        Ok(()) => remaining(clock, start, timeout),
        Err(Fail::TimedOut) => 0,
        Err(Fail::Interrupted) => i64::from(Errno::ERESTARTSYS.to_kernel()),
        Err(Fail::Killed) => KILLED,
    }
}

pub(super) extern "C" fn completion_done(completion: ObjectRef) -> bool {
    Object::<Completion>::get(completion).is_some_and(|object| object.inner.done())
}

pub(super) extern "C" fn completion_reinit(completion: ObjectRef) {
    if let Some(object) = Object::<Completion>::get(completion) {
        object.inner.reinit();
    }
}

pub(super) extern "C" fn completion_free(completion: ObjectRef) {
    let Some(object) = Object::<Completion>::get(completion) else { return };
    let killed = object.inner.kill_waiters();
    if killed > 0 {
        warn(object, "", &format!("completion freed with {} waiting; they are killed", n_tasks(killed)));
    }
    Object::<Completion>::free(completion);
}

impl Reclaim for Object<Completion> {
    fn reclaim(&self, _kernel: &KernelInner) -> Option<String> {
        let killed = self.inner.kill_waiters();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    fn wait_for(
        task: &Arc<Task>,
        completion: &Completion,
        clock: &Clock,
        deadline: Option<Duration>,
    ) -> Result<(), Fail> {
        completion.wait(task, clock, WaitMode::Uninterruptible, deadline, "test")
    }

    #[test]
    fn complete_counts_and_complete_all_lets_everyone_through_until_reinit() {
        let (clock, task, completion) = (Clock::manual(250), Task::current(), Completion::default());
        assert!(!completion.done());
        completion.complete();
        completion.complete();
        assert!(completion.done());
        assert_eq!(wait_for(&task, &completion, &clock, None), Ok(()));
        assert_eq!(wait_for(&task, &completion, &clock, None), Ok(()));
        assert!(!completion.done());
        completion.complete_all();
        for _ in 0..3 {
            assert_eq!(wait_for(&task, &completion, &clock, None), Ok(()));
        }
        completion.complete();
        assert!(completion.done(), "complete after complete_all stays for ever");
        completion.reinit();
        assert!(!completion.done());
        let soon = Some(clock.uptime());
        assert_eq!(wait_for(&task, &completion, &clock, soon), Err(Fail::TimedOut));
    }

    #[test]
    fn complete_hands_the_event_to_the_first_waiter_and_complete_all_to_every_one() {
        let clock = Clock::manual(250);
        let completion = Arc::new(Completion::default());
        let waiter = |order: usize| {
            let (clock, completion) = (clock.clone(), Arc::clone(&completion));
            thread::spawn(move || {
                let task = Task::current();
                (order, wait_for(&task, &completion, &clock, None))
            })
        };
        let until_waiting = |n| {
            while completion.state.lock().queue.len() != n {
                thread::yield_now();
            }
        };
        let first = waiter(1);
        until_waiting(1);
        let second = waiter(2);
        until_waiting(2);
        completion.complete();
        assert_eq!(first.join().ok(), Some((1, Ok(()))));
        assert_eq!(completion.state.lock().queue.len(), 1, "the second still waits");
        completion.complete_all();
        assert_eq!(second.join().ok(), Some((2, Ok(()))));
        assert!(completion.done());
    }
}
