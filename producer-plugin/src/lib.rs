//! producer: puts its item into the fifo, `rate` times a second.
//!
//! A delayed work item on the module's own unbound workqueue does the work.
//! Each run puts every item that is due by now and re-arms itself for the
//! next deadline; the deadlines are absolute (a [`Pacer`]), so the rate does
//! not drift, and above `HZ` several items go out per run. When the fifo is
//! full the run sleeps in `fifo_put` (the point of the lab); when it wakes,
//! the schedule starts afresh rather than bursting what fell due meanwhile.
//!
//! `rate` is writable at runtime and takes effect at once; `rate=0` pauses
//! the producer (at load too). `/proc/NAME` (the instance's name) shows the
//! item, the rate, the items produced, how often it slept on a full fifo,
//! and when the first and the latest item went in (ns of uptime), from which
//! the achieved rate follows. rmmod while it sleeps on a full fifo returns
//! promptly: the sleep is interruptible and ends with `-EINTR`.
//!
//! ```text
//! modhost# insmod producer.so item=A rate=5
//! modhost# insmod producer.so --name producer2 item=B rate=2
//! modhost# echo 10 > /sys/module/producer/parameters/rate
//! ```

#![deny(unsafe_code)]

use fifo_api::FifoItem;
use modhost_abi::{
    prelude::*,
    services::{
        pacer::Pacer,
        proc::ProcFile,
        time::{HZ, jiffies, ktime_get_ns},
        workqueue::{DelayedWork, DelayedWorkRef, WQ_UNBOUND, Workqueue},
    },
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering::Relaxed},
};

module! {
    type: Producer,
    name: "producer",
    author: "modhost developers",
    description: "Puts its item into the fifo at a steady rate",
    license: "GPL",
    version: "1.0",
    params: {
        item: charp { default: "A", perm: 0o444, description: "The item to produce (1 to 63 bytes)" },
        rate: uint { default: 1, perm: 0o644, description: "Items per second; 0 pauses" },
    },
    imports: {
        fn fifo_put(item: &FifoItem) -> i32;
        fn fifo_try_put(item: &FifoItem) -> i32;
    },
}

struct Producer {
    _proc: ProcFile,
    /// Dropped first: disabled and waited for, so it never runs again.
    work: DelayedWork,
    /// Then the workqueue is destroyed.
    wq: Workqueue,
    state: Arc<State>,
}

/// What the work item needs.
struct State {
    name: &'static str,
    item: String,
    pacer: Mutex<Pacer>,
    produced: AtomicU64,
    /// Runs that slept on a full fifo.
    waited: AtomicU64,
    /// When the first and the latest item went in (ns of uptime; the first
    /// is `u64::MAX` before any): the achieved rate, measured.
    first_ns: AtomicU64,
    last_ns: AtomicU64,
}

/// How one put went.
enum Put {
    /// Straight in.
    Done,
    /// In, after sleeping on a full fifo.
    AfterWaiting,
    /// The sleep was interrupted: this module is going away.
    Interrupted,
}

impl Module for Producer {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let item = params::item.get();
        if FifoItem::new(&item, module.name(), 0).is_none() {
            pr_err!("item must be 1 to {} bytes, not {}\n", fifo_api::ITEM_MAX, item.len());
            return Err(Errno::EINVAL);
        }
        let rate = params::rate.get();
        let pacer = Mutex::new(Pacer::new(rate, jiffies(), HZ()));
        let state = Arc::new(State {
            name: module.name(),
            item,
            pacer,
            produced: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            first_ns: AtomicU64::new(u64::MAX),
            last_ns: AtomicU64::new(0),
        });
        let wq = Workqueue::alloc(module.name(), WQ_UNBOUND, 1)?;
        let work_state = Arc::clone(&state);
        let work = DelayedWork::new(move |me| work_state.produce(me))?;
        if rate > 0 {
            wq.queue_delayed_work(&work, 0);
            pr_info!("producing {} at {rate} items/s\n", state.item);
        } else {
            pr_info!("loaded paused (rate=0); write a rate to start\n");
        }
        let shown = Arc::clone(&state);
        let proc_file = ProcFile::create(module.name(), move || shown.show())?;
        Ok(Producer { _proc: proc_file, work, wq, state })
    }

    fn param_changed(&self, name: &str) -> Result {
        if name != "rate" {
            return Ok(());
        }
        let rate = params::rate.get();
        // Under the pacer's lock, as the run's re-arming is: a run in
        // progress either re-armed before this cancel, which takes it
        // back, or sees the new rate after it (not `_sync`, which would
        // wait for a run blocked on a full fifo).
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

impl Drop for Producer {
    fn drop(&mut self) {
        // Stop the work first, so that the count below is final: a run
        // blocked in the fifo returns -EINTR, and none starts again.
        self.work.disable_sync();
        pr_info!("unloading after {} items\n", self.state.produced.load(Relaxed));
    }
}

impl State {
    /// One run: put what is due, then re-arm for the next deadline.
    fn produce(&self, me: &DelayedWorkRef) {
        let due = self.with_pacer(|p| p.due(jiffies()));
        for _ in 0..due {
            match self.put_one() {
                Put::Done => self.with_pacer(|p| p.done(1)),
                Put::AfterWaiting => {
                    self.waited.fetch_add(1, Relaxed);
                    self.with_pacer(|p| {
                        p.restart(jiffies());
                        p.done(1);
                    });
                    break;
                }
                Put::Interrupted => return,
            }
        }
        // Re-armed under the pacer's lock: see `param_changed`.
        self.with_pacer(|p| {
            if let Some(delay) = p.delay(jiffies()) {
                me.requeue(delay);
            }
        });
    }

    fn put_one(&self) -> Put {
        let seq = self.produced.load(Relaxed);
        let Some(item) = FifoItem::new(&self.item, self.name, seq) else { return Put::Interrupted };
        let put = match Errno::from_kernel(fifo_try_put(&item)) {
            Ok(_) => Put::Done,
            Err(Errno::EAGAIN) => match Errno::from_kernel(fifo_put(&item)) {
                Ok(_) => Put::AfterWaiting,
                Err(_) => return Put::Interrupted,
            },
            Err(_) => return Put::Interrupted,
        };
        self.produced.store(seq + 1, Relaxed);
        let now = ktime_get_ns();
        let _ = self.first_ns.compare_exchange(u64::MAX, now, Relaxed, Relaxed);
        self.last_ns.store(now, Relaxed);
        pr_debug!("put {} #{seq}\n", self.item);
        put
    }

    /// `/proc/NAME`.
    fn show(&self) -> String {
        let rate = self.with_pacer(|p| p.rate());
        let first = match self.first_ns.load(Relaxed) {
            u64::MAX => 0,
            ns => ns,
        };
        format!(
            "item:     {}\nrate:     {rate}\nproduced: {}\nwaited:   {}\nfirst_ns: {first}\nlast_ns:  {}\n",
            self.item,
            self.produced.load(Relaxed),
            self.waited.load(Relaxed),
            self.last_ns.load(Relaxed)
        )
    }

    fn with_pacer<R>(&self, f: impl FnOnce(&mut Pacer) -> R) -> R {
        let mut pacer = self.pacer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut pacer)
    }
}
