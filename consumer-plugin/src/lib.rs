//! consumer: takes items from the fifo, `rate` times a second.
//!
//! The mirror of the producer: a delayed work item on the module's own
//! unbound workqueue takes every item that is due by now and re-arms itself
//! for the next absolute deadline (a [`Pacer`]). When the fifo is empty the
//! run sleeps in `fifo_get`; when it wakes, the schedule starts afresh.
//! Every item is logged at `KERN_DEBUG` with where it came from, its number
//! and how long it waited in the fifo.
//!
//! `rate` is writable at runtime and takes effect at once; `rate=0` pauses
//! the consumer. `/proc/NAME` shows the rate, the items consumed and how
//! often it slept on an empty fifo. rmmod while it sleeps on an empty fifo returns promptly.
//!
//! ```text
//! modhost# insmod consumer.so rate=2
//! modhost# dmesg -l debug
//! [    3.500000] consumer: got A #4 from producer after 800 ms
//! ```

#![deny(unsafe_code)]

use fifo_api::FifoItem;
use modhost_abi::{
    prelude::*,
    services::{
        pacer::Pacer,
        proc::ProcFile,
        time::{HZ, jiffies, jiffies_to_msecs},
        workqueue::{DelayedWork, DelayedWorkRef, WQ_UNBOUND, Workqueue},
    },
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering::Relaxed},
};

module! {
    type: Consumer,
    name: "consumer",
    author: "modhost developers",
    description: "Takes items from the fifo at a steady rate",
    license: "GPL",
    version: "1.0",
    params: {
        rate: uint { default: 1, perm: 0o644, description: "Items per second; 0 pauses" },
    },
    imports: {
        fn fifo_get(item: &mut FifoItem) -> i32;
        fn fifo_try_get(item: &mut FifoItem) -> i32;
    },
}

struct Consumer {
    _proc: ProcFile,
    /// Dropped first: disabled and waited for, so it never runs again.
    work: DelayedWork,
    /// Then the workqueue is destroyed.
    wq: Workqueue,
    state: Arc<State>,
}

/// What the work item needs.
struct State {
    pacer: Mutex<Pacer>,
    consumed: AtomicU64,
    /// Runs that slept on an empty fifo.
    waited: AtomicU64,
}

/// How one get went.
enum Get {
    /// Straight out.
    Done,
    /// Out, after sleeping on an empty fifo.
    AfterWaiting,
    /// The sleep was interrupted: this module is going away.
    Interrupted,
}

impl Module for Consumer {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let rate = params::rate.get();
        let state = Arc::new(State {
            pacer: Mutex::new(Pacer::new(rate, jiffies(), HZ())),
            consumed: AtomicU64::new(0),
            waited: AtomicU64::new(0),
        });
        let wq = Workqueue::alloc(module.name(), WQ_UNBOUND, 1)?;
        let work_state = Arc::clone(&state);
        let work = DelayedWork::new(move |me| work_state.consume(me))?;
        if rate > 0 {
            wq.queue_delayed_work(&work, 0);
            pr_info!("consuming at {rate} items/s\n");
        } else {
            pr_info!("loaded paused (rate=0); write a rate to start\n");
        }
        let shown = Arc::clone(&state);
        let proc_file = ProcFile::create(module.name(), move || shown.show())?;
        Ok(Consumer { _proc: proc_file, work, wq, state })
    }

    fn param_changed(&self, name: &str) -> Result {
        if name != "rate" {
            return Ok(());
        }
        let rate = params::rate.get();
        // Under the pacer's lock, as the run's re-arming is: a run in
        // progress either re-armed before this cancel, which takes it
        // back, or sees the new rate after it (not `_sync`, which would
        // wait for a run blocked on an empty fifo).
        let mut pacer = self.state.pacer.lock().map_err(|_| Errno::EIO)?;
        let old = pacer.set_rate(rate, jiffies());
        if rate == 0 {
            self.work.cancel();
        } else {
            self.wq.mod_delayed_work(&self.work, 0);
        }
        drop(pacer);
        pr_info!("rate {old} -> {rate} items/s\n");
        Ok(())
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        // Stop the work first, so that the count below is final: a run
        // blocked in the fifo returns -EINTR, and none starts again.
        self.work.disable_sync();
        pr_info!("unloading after {} items\n", self.state.consumed.load(Relaxed));
    }
}

impl State {
    /// One run: take what is due, then re-arm for the next deadline.
    fn consume(&self, me: &DelayedWorkRef) {
        let due = self.with_pacer(|p| p.due(jiffies()));
        for _ in 0..due {
            match self.get_one() {
                Get::Done => self.with_pacer(|p| p.done(1)),
                Get::AfterWaiting => {
                    self.waited.fetch_add(1, Relaxed);
                    self.with_pacer(|p| {
                        p.restart(jiffies());
                        p.done(1);
                    });
                    break;
                }
                Get::Interrupted => return,
            }
        }
        // Re-armed under the pacer's lock: see `param_changed`.
        self.with_pacer(|p| {
            if let Some(delay) = p.delay(jiffies()) {
                me.requeue(delay);
            }
        });
    }

    fn get_one(&self) -> Get {
        let mut item = FifoItem::EMPTY;
        let got = match Errno::from_kernel(fifo_try_get(&mut item)) {
            Ok(_) => Get::Done,
            Err(Errno::EAGAIN) => match Errno::from_kernel(fifo_get(&mut item)) {
                Ok(_) => Get::AfterWaiting,
                Err(_) => return Get::Interrupted,
            },
            Err(_) => return Get::Interrupted,
        };
        self.consumed.fetch_add(1, Relaxed);
        let waited = jiffies_to_msecs(jiffies() - Jiffies::from_raw(item.enqueued));
        pr_debug!("got {} #{} from {} after {waited} ms\n", item.item(), item.seq, item.producer());
        got
    }

    /// `/proc/NAME`.
    fn show(&self) -> String {
        let rate = self.with_pacer(|p| p.rate());
        format!(
            "rate:     {rate}\nconsumed: {}\nwaited:   {}\n",
            self.consumed.load(Relaxed),
            self.waited.load(Relaxed)
        )
    }

    fn with_pacer<R>(&self, f: impl FnOnce(&mut Pacer) -> R) -> R {
        let mut pacer = self.pacer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut pacer)
    }
}
