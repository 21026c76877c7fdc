//! Interrupting the running command: Ctrl-C during a command, or the end of
//! the session.
//!
//! Two things stop a command that runs until told to (`dmesg -w`, a
//! real-time `sleep`): [`interrupt`], a one-shot request (Ctrl-C while a
//! command runs at the prompt) that [`reset`] forgets before the next
//! command; and [`terminate`], which is for good: the session is ending, and
//! no command from now on should wait for anything.
//!
//! Such a command never polls. It sleeps in [`sleep_until`], on a condition
//! variable that both requests notify, or it waits on a condition of its own
//! and registers a [`Waker`] that both requests call (`dmesg -w` waits for
//! the next printk record that way). A request raises its flag first and
//! notifies under the sleepers' lock after, and a sleeper checks the flag
//! under that lock before it sleeps, so no request falls between the check
//! and the sleep.
//!
//! The flags are process-wide because signals are: the one place that
//! raises them is the `modhost` binary's signal thread.

use parking_lot::{Condvar, Mutex};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Instant,
};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// Held by a sleeper from its check of the flags until it sleeps.
static SLEEPERS: Mutex<()> = Mutex::new(());
/// Notified by every request.
static RAISED: Condvar = Condvar::new();

/// What each request calls besides waking [`sleep_until`]'s sleepers.
static WAKERS: Mutex<Vec<(u64, WakeFn)>> = Mutex::new(Vec::new());
static NEXT_WAKER: AtomicU64 = AtomicU64::new(1);

type WakeFn = Arc<dyn Fn() + Send + Sync>;

/// Asks the running command to stop (Ctrl-C).
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    wake_sleepers();
}

/// Asks every command, the running one and any later one, to stop: the
/// session is ending.
pub fn terminate() {
    TERMINATED.store(true, Ordering::SeqCst);
    wake_sleepers();
}

/// Forgets an [`interrupt`] meant for an earlier command; a [`terminate`]
/// stays.
pub fn reset() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// Whether the running command should stop.
pub fn pending() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) || TERMINATED.load(Ordering::SeqCst)
}

/// Sleeps until `deadline` (`None`: for ever) or a request to stop; returns
/// whether the deadline came first.
pub fn sleep_until(deadline: Option<Instant>) -> bool {
    let mut sleepers = SLEEPERS.lock();
    loop {
        if pending() {
            return false;
        }
        match deadline {
            None => RAISED.wait(&mut sleepers),
            Some(deadline) => {
                if RAISED.wait_until(&mut sleepers, deadline).timed_out() {
                    return !pending();
                }
            }
        }
    }
}

/// Calls a function on every request to stop while it lives.
#[derive(Debug)]
#[must_use = "the waker is unregistered when dropped"]
pub struct Waker {
    id: u64,
}

impl Waker {
    /// Registers `wake`: a waiter's way to look at [`pending`] again. It
    /// runs on the thread that raises the request.
    pub fn register(wake: impl Fn() + Send + Sync + 'static) -> Waker {
        let id = NEXT_WAKER.fetch_add(1, Ordering::Relaxed);
        WAKERS.lock().push((id, Arc::new(wake)));
        Waker { id }
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        WAKERS.lock().retain(|(id, _)| *id != self.id);
    }
}

fn wake_sleepers() {
    {
        let _sleepers = SLEEPERS.lock();
        RAISED.notify_all();
    }
    // Called without the list's lock, so that a waker may take locks of its
    // own that a registering thread holds.
    let wakers: Vec<WakeFn> = WAKERS.lock().iter().map(|(_, wake)| Arc::clone(wake)).collect();
    wakers.iter().for_each(|wake| wake());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    // The flags are process-wide: one test drives them all, in order.
    #[test]
    fn a_sleep_ends_at_its_deadline_or_at_a_request() {
        reset();
        assert!(sleep_until(Some(Instant::now())), "a deadline already past");
        let woken = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&woken);
        let waker = Waker::register(move || seen.store(true, Ordering::SeqCst));
        let sleeper = std::thread::spawn(|| sleep_until(None));
        // The request may come before the sleeper sleeps or after: either
        // way the sleep ends.
        interrupt();
        assert!(!sleeper.join().unwrap(), "interrupted");
        assert!(woken.load(Ordering::SeqCst), "the waker ran");
        drop(waker);
        reset();
        assert!(!pending());
        assert!(sleep_until(Some(Instant::now() + Duration::from_millis(1))));
    }
}
