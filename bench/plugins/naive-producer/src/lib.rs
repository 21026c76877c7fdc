//! naive_producer: the producer as the lab's public solutions write it, the `rate` suite's peer.
//!
//! One item per run of a delayed work item, which then re-arms itself for
//! `jiffies + HZ/rate`: every period starts when the previous run did, so
//! the wake-up latency adds up (the rate drifts low), `HZ/rate` truncates to
//! whole jiffies (the rate comes out high: 100/s at HZ=250 waits 2 jiffies,
//! not 2.5), and above `HZ` the delay is 0, so the work requeues at once and
//! produces as fast as the fifo lets it. `rate=0`, a division by zero there,
//! is refused at load. The shipped producer does none of this (its
//! `//!` says how); this module exists to be measured beside it.
//!
//! `/proc/NAME` has the producer's keys (`produced`, `first_ns`, `last_ns`),
//! so the benchmark reads both alike.
//!
//! ```text
//! modhost# insmod fifo.so
//! modhost# insmod naive_producer.so item=N rate=100
//! modhost# cat /proc/naive_producer
//! ```

#![deny(unsafe_code)]

use fifo_api::FifoItem;
use modhost_abi::{
    prelude::*,
    services::{
        proc::ProcFile,
        time::{HZ, ktime_get_ns},
        workqueue::{DelayedWork, DelayedWorkRef, WQ_UNBOUND, Workqueue},
    },
};
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering::Relaxed},
};

module! {
    type: NaiveProducer,
    name: "naive_producer",
    author: "modhost developers",
    description: "Puts its item into the fifo, re-arming at jiffies + HZ/rate (a benchmark peer)",
    license: "GPL",
    version: "1.0",
    params: {
        item: charp { default: "N", perm: 0o444, description: "The item to produce (1 to 63 bytes)" },
        rate: uint { default: 1, perm: 0o444, description: "Items per second (1 or more)" },
    },
    imports: {
        fn fifo_put(item: &FifoItem) -> i32;
    },
}

struct NaiveProducer {
    _proc: ProcFile,
    /// Dropped first: disabled and waited for, so it never runs again.
    work: DelayedWork,
    _wq: Workqueue,
    state: Arc<State>,
}

/// What the work item needs.
struct State {
    name: &'static str,
    item: String,
    /// `HZ / rate`, truncated: the naive period in jiffies.
    period: u64,
    produced: AtomicU64,
    /// When the first and the latest item went in (ns of uptime; the first
    /// is `u64::MAX` before any).
    first_ns: AtomicU64,
    last_ns: AtomicU64,
}

impl Module for NaiveProducer {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let item = params::item.get();
        if FifoItem::new(&item, module.name(), 0).is_none() {
            pr_err!("item must be 1 to {} bytes, not {}\n", fifo_api::ITEM_MAX, item.len());
            return Err(Errno::EINVAL);
        }
        let rate = params::rate.get();
        if rate == 0 {
            pr_err!("rate must be 1 or more\n");
            return Err(Errno::EINVAL);
        }
        let state = Arc::new(State {
            name: module.name(),
            item,
            period: HZ() / u64::from(rate),
            produced: AtomicU64::new(0),
            first_ns: AtomicU64::new(u64::MAX),
            last_ns: AtomicU64::new(0),
        });
        let wq = Workqueue::alloc(module.name(), WQ_UNBOUND, 1)?;
        let work_state = Arc::clone(&state);
        let work = DelayedWork::new(move |me| work_state.produce(me))?;
        wq.queue_delayed_work(&work, 0);
        pr_info!("producing {} every {} jiffies (HZ/{rate})\n", state.item, state.period);
        let shown = Arc::clone(&state);
        let proc_file = ProcFile::create(module.name(), move || shown.show())?;
        Ok(NaiveProducer { _proc: proc_file, work, _wq: wq, state })
    }
}

impl Drop for NaiveProducer {
    fn drop(&mut self) {
        self.work.disable_sync();
        pr_info!("unloading after {} items\n", self.state.produced.load(Relaxed));
    }
}

impl State {
    /// One run: put one item, then re-arm `HZ/rate` jiffies from now.
    fn produce(&self, me: &DelayedWorkRef) {
        let seq = self.produced.load(Relaxed);
        let Some(item) = FifoItem::new(&self.item, self.name, seq) else { return };
        if fifo_put(&item) != 0 {
            return; // -EINTR: this module is going away.
        }
        self.produced.store(seq + 1, Relaxed);
        let now = ktime_get_ns();
        let _ = self.first_ns.compare_exchange(u64::MAX, now, Relaxed, Relaxed);
        self.last_ns.store(now, Relaxed);
        me.requeue(self.period);
    }

    /// `/proc/NAME`, in the producer's format.
    fn show(&self) -> String {
        let first = match self.first_ns.load(Relaxed) {
            u64::MAX => 0,
            ns => ns,
        };
        format!(
            "item:     {}\nperiod:   {}\nproduced: {}\nfirst_ns: {first}\nlast_ns:  {}\n",
            self.item,
            self.period,
            self.produced.load(Relaxed),
            self.last_ns.load(Relaxed)
        )
    }
}
