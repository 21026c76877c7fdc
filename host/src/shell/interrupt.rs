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
//!
//! A background job (`cat /dev/sleepy &`, [`super::jobs`]) is not stopped
//! by Ctrl-C, which is for the command at the prompt, but by `kill %N`:
//! its thread runs [`as_job`] with a flag of its own, which [`pending`]
//! reads there instead of the Ctrl-C flag. [`Requests`] carries a
//! command's requests to a [`Waker`], which runs on another thread.

use parking_lot::{Condvar, Mutex};
use std::{
    cell::RefCell,
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

thread_local! {
    /// The stop flag of the background job this thread runs, if it runs one.
    static JOB: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

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

/// Whether the running command should stop (on this thread: a background
/// job's own request, else Ctrl-C's).
pub fn pending() -> bool {
    Requests::current().pending()
}

/// The stop requests of the command running on a thread, to look at from
/// another one (a [`Waker`] runs on the thread that raised a request).
#[derive(Debug, Clone)]
pub struct Requests {
    job: Option<Arc<AtomicBool>>,
}

impl Requests {
    /// The calling thread's.
    pub fn current() -> Requests {
        Requests { job: JOB.with_borrow(Clone::clone) }
    }

    /// Whether the command should stop.
    pub fn pending(&self) -> bool {
        let own = match &self.job {
            Some(flag) => flag.load(Ordering::SeqCst),
            None => INTERRUPTED.load(Ordering::SeqCst),
        };
        own || TERMINATED.load(Ordering::SeqCst)
    }
}

/// Runs `f` on this thread as a background job that `stop` stops
/// ([`interrupt_job`]) instead of Ctrl-C.
pub fn as_job<R>(stop: Arc<AtomicBool>, f: impl FnOnce() -> R) -> R {
    let before = JOB.replace(Some(stop));
    let result = f();
    JOB.set(before);
    result
}

/// Asks the background job whose flag is `stop` to stop (`kill %N`).
pub fn interrupt_job(stop: &AtomicBool) {
    stop.store(true, Ordering::SeqCst);
    wake_sleepers();
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

        // A job's own flag stops it, and Ctrl-C does not.
        let stop = Arc::new(AtomicBool::new(false));
        let theirs = Arc::clone(&stop);
        let job = std::thread::spawn(move || as_job(theirs, || sleep_until(None)));
        interrupt();
        assert!(as_job(Arc::new(AtomicBool::new(false)), || !pending()), "Ctrl-C is not the job's");
        interrupt_job(&stop);
        assert!(!job.join().unwrap(), "interrupted by its own request");
        reset();
    }
}
