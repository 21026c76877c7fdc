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
//! ever"), or joins the line and sleeps until it is handed an event.
//!
//! Return values are the kernel's: untimed waits return 0; timed ones the
//! jiffies left, at least 1 (so an event that came just as the time ran out
//! is still a success), or 0 on timeout; `-ERESTARTSYS` on a signal in an
//! interruptible wait, or once the task was killed. A waiter whose
//! wait ended but who was handed the event meanwhile keeps it (the kernel
//! checks `done` first too); one that was killed passes it on, because its
//! code unwinds.
//!
//! Completions are for events, not hot paths: nobody spins here.
//!
//! Locking: `state` is a leaf lock; tasks are woken after it is dropped.
//!
//! Kernel counterpart: `kernel/sched/completion.c`, `include/linux/completion.h`.

use parking_lot::Mutex;
use std::{collections::VecDeque, sync::Arc};

use super::{
    handoff::{Waiter, kill_all},
    object::{Kind, Object},
    task::Task,
    wait::{Sleep, WaitError, wait_until},
};
use crate::debug::report::n_tasks;

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
    const NAME: &'static str = "completion";

    fn stop(object: &Object<Completion>) -> Option<String> {
        let killed = object.inner.kill_waiters();
        (killed > 0).then(|| format!("freed with {} waiting (killed)", n_tasks(killed)))
    }

    fn wait_state(&self) -> Option<String> {
        Some(if self.done() { "done" } else { "not done" }.to_string())
    }
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

    /// `try_wait_for_completion`: takes an event if there is one, without
    /// sleeping; `true` if it did.
    pub(crate) fn try_wait(&self) -> bool {
        let mut state = self.state.lock();
        match state.done {
            0 => false,
            DONE_FOR_EVER => true,
            _ => {
                state.done -= 1;
                true
            }
        }
    }

    /// `reinit_completion`.
    pub(crate) fn reinit(&self) {
        self.state.lock().done = 0;
    }

    /// `wait_for_completion` for `task`, sleeping as `sleep` says.
    pub(crate) fn wait(&self, task: &Arc<Task>, sleep: &Sleep<'_>) -> Result<(), WaitError> {
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
        if let Err(ended) = wait_until(task, sleep, || me.is_granted()) {
            let mut state = self.state.lock();
            if !me.is_granted() {
                state.queue.retain(|w| !Arc::ptr_eq(w, &me));
                return Err(ended);
            }
        }
        if task.killed() {
            self.complete();
            return Err(WaitError::Killed);
        }
        Ok(())
    }

    fn kill_waiters(&self) -> usize {
        let tasks = self.state.lock().queue.iter().map(|w| Arc::clone(&w.task)).collect();
        kill_all(tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{clock::Clock, task::WaitMode};
    use std::{thread, time::Duration};

    fn wait_for(
        task: &Arc<Task>,
        completion: &Completion,
        clock: &Clock,
        deadline: Option<Duration>,
    ) -> Result<(), WaitError> {
        completion.wait(task, &Sleep { clock, mode: WaitMode::Uninterruptible, deadline, site: &"test" })
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
        assert_eq!(wait_for(&task, &completion, &clock, soon), Err(WaitError::TimedOut));
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
