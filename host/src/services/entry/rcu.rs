//! Read-copy-update for the handle registry: lookups that write nothing
//! shared and fence nothing, frees that wait for a grace period.
//!
//! A reader (every service call) marks its thread active with the current
//! grace-period number for the length of its lookups ([`read_lock`]); the
//! mark is a store to the thread's own cache line and a compiler barrier,
//! nothing more. A writer that unlinks something readers may still hold
//! hands it to [`defer`], which tags it with the grace period it ends and
//! drops it once no thread is active in that period or an earlier one.
//!
//! The barrier readers skip is the writer's: before looking at the
//! readers' marks, a collection runs `membarrier(PRIVATE_EXPEDITED)`, which
//! makes every thread of the process execute a full memory barrier, so a
//! reader's mark, stored before its lookup, is visible by then (the
//! `urcu-memb` flavour of userspace RCU). Where the kernel lacks
//! `membarrier`, readers fence their own mark instead.
//!
//! Why it is correct: a writer stores null into a slot, then increments the
//! grace period (a full barrier), getting `t`; the garbage is tagged `t`. A
//! reader loads the grace period, then the slot. If it loaded `t + 1` or
//! later, the null store precedes that in every thread's view, so it did
//! not find the unlinked occupant; if it found it, its mark is `t` or
//! less, and the collection sees the mark (after `membarrier`) and keeps
//! the garbage.
//!
//! A reader never sleeps while marked: service calls that sleep take
//! their own references and unmark first.
//!
//! Kernel counterpart: `kernel/rcu/` (`rcu_read_lock`, `call_rcu`), and
//! `kernel/sched/membarrier.c`, made for this use.

use parking_lot::{Mutex, MutexGuard};
use std::{
    cell::Cell,
    marker::PhantomData,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering, compiler_fence, fence},
    },
};

use crate::services::handoff::CachePadded;

/// Garbage collected once this much is waiting.
const BATCH: usize = 64;

/// The current grace period; starts at 1 (0 marks a thread inactive).
static GRACE_PERIOD: AtomicU64 = AtomicU64::new(1);

/// Every thread that ever read, by its mark.
static READERS: Mutex<Vec<Arc<CachePadded<AtomicU64>>>> = Mutex::new(Vec::new());

/// What waits to be dropped, tagged with the grace period it ended.
type Garbage = Vec<(u64, Box<dyn Send>)>;
static GARBAGE: Mutex<Garbage> = Mutex::new(Vec::new());

/// A thread's registration as a reader: its mark, unregistered when the
/// thread exits.
struct Registration(Arc<CachePadded<AtomicU64>>);

impl Drop for Registration {
    fn drop(&mut self) {
        READER.with(|reader| reader.mark.set(std::ptr::null()));
        READERS.lock().retain(|m| !Arc::ptr_eq(m, &self.0));
    }
}

/// What a read section needs of its thread, in one plain cell each: read
/// on every lookup, so without lazy initialisation.
struct Reader {
    /// How deep the thread's read sections nest.
    depth: Cell<u32>,
    /// The thread's mark, once registered.
    mark: Cell<*const AtomicU64>,
    /// Readers fence their own marks (no `membarrier` here).
    fence: Cell<bool>,
}

thread_local! {
    static READER: Reader = const {
        Reader { depth: Cell::new(0), mark: Cell::new(std::ptr::null()), fence: Cell::new(false) }
    };
    /// Keeps the mark alive, and unregisters it, for the thread's life.
    static REGISTRATION: Registration = {
        let mark = Arc::new(CachePadded(AtomicU64::new(0)));
        READERS.lock().push(Arc::clone(&mark));
        READER.with(|reader| {
            reader.mark.set(&raw const mark.0);
            reader.fence.set(!membarrier());
        });
        Registration(mark)
    };
}

/// A reader on a thread too far in its exit to register (a module's
/// thread-local destructor calling in): collections wait for it instead.
static UNREGISTERED: Mutex<()> = Mutex::new(());

/// Whether `membarrier` is there; registered on first use.
fn membarrier() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        // SAFETY: `membarrier` takes two integer arguments (and a cpu id for
        // some commands, ignored here) and touches no memory of ours.
        unsafe { libc::syscall(libc::SYS_membarrier, libc::MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 }
    })
}

/// Makes every thread of the process execute a full memory barrier.
fn barrier_everywhere() {
    if membarrier() {
        // SAFETY: As in `membarrier`; registered there.
        unsafe { libc::syscall(libc::SYS_membarrier, libc::MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) };
    } else {
        fence(Ordering::SeqCst);
    }
}

/// A read section: what the registry lends is valid while it lives.
#[derive(Debug)]
pub(crate) struct ReadGuard {
    /// The outermost section of an exiting thread holds off collections.
    unregistered: Option<MutexGuard<'static, ()>>,
    _not_send: PhantomData<*const ()>,
}

/// Marks the calling thread active (see the module docs).
#[inline]
pub(crate) fn read_lock() -> ReadGuard {
    let mut unregistered = None;
    READER.with(|reader| {
        let depth = reader.depth.get();
        if depth == 0 {
            if reader.mark.get().is_null() {
                let _ = REGISTRATION.try_with(|_| ());
            }
            // SAFETY: A non-null mark is the registration's, which lives
            // until the thread exits, and its destructor clears it first.
            match unsafe { reader.mark.get().as_ref() } {
                Some(mark) => mark.store(GRACE_PERIOD.load(Ordering::Acquire), Ordering::Relaxed),
                None => unregistered = Some(UNREGISTERED.lock()),
            }
            if reader.fence.get() {
                fence(Ordering::SeqCst);
            } else {
                compiler_fence(Ordering::SeqCst);
            }
        }
        reader.depth.set(depth + 1);
    });
    ReadGuard { unregistered, _not_send: PhantomData }
}

/// Ends every read section of the calling thread, whose guards will never
/// drop: its task died of an Oops in a service call, and its frames are
/// abandoned. Collections stop waiting for it.
pub(crate) fn abandon_reader() {
    READER.with(|reader| {
        if reader.depth.replace(0) > 0 {
            // SAFETY: As in `read_lock`.
            if let Some(mark) = unsafe { reader.mark.get().as_ref() } {
                mark.store(0, Ordering::Release);
            }
        }
    });
}

impl Drop for ReadGuard {
    #[inline]
    fn drop(&mut self) {
        READER.with(|reader| {
            let depth = reader.depth.get() - 1;
            reader.depth.set(depth);
            if depth == 0 && self.unregistered.is_none() {
                compiler_fence(Ordering::SeqCst);
                // SAFETY: As in `read_lock`.
                if let Some(mark) = unsafe { reader.mark.get().as_ref() } {
                    mark.store(0, Ordering::Release);
                }
            }
        });
    }
}

/// Drops `garbage` once no reader can hold it any more.
pub(crate) fn defer(garbage: impl Send + 'static) {
    let period = GRACE_PERIOD.fetch_add(1, Ordering::SeqCst);
    let full = {
        let mut waiting = GARBAGE.lock();
        waiting.push((period, Box::new(garbage)));
        waiting.len() >= BATCH
    };
    if full {
        collect();
    }
}

/// Drops the garbage no active reader can hold.
pub(crate) fn collect() {
    let _unregistered = UNREGISTERED.lock();
    barrier_everywhere();
    let oldest = READERS.lock().iter().map(|m| m.load(Ordering::Acquire)).filter(|&m| m != 0).min();
    let ready: Garbage = {
        let mut waiting = GARBAGE.lock();
        let (ready, keep) =
            std::mem::take(&mut *waiting).into_iter().partition(|(period, _)| oldest.is_none_or(|o| *period < o));
        *waiting = keep;
        ready
    };
    // Dropped with no lock held: a drop may free more.
    drop(ready);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    struct Flag(Arc<AtomicBool>);

    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn garbage_waits_for_the_readers_of_its_period_and_not_for_later_ones() {
        let dropped = Arc::new(AtomicBool::new(false));
        let (started, release) = (Arc::new(std::sync::Barrier::new(2)), Arc::new(std::sync::Barrier::new(2)));
        let (s, r) = (Arc::clone(&started), Arc::clone(&release));
        let reader = std::thread::spawn(move || {
            let _guard = read_lock();
            s.wait();
            r.wait();
        });
        started.wait();
        defer(Flag(Arc::clone(&dropped)));
        collect();
        assert!(!dropped.load(Ordering::SeqCst), "a reader of its period is active");
        let _later = read_lock();
        release.wait();
        reader.join().expect("the reader returns");
        // Other tests' lookups may be in flight: each ends in microseconds.
        for _ in 0..1000 {
            collect();
            if dropped.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(dropped.load(Ordering::SeqCst), "only a later reader is left");
    }
}
