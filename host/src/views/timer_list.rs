//! `/proc/timer_list`: every armed timer and delayed work item, soonest first.
//!
//! ```text
//! now at 0.309988 s, jiffies 18446744073709476693 (HZ 250)
//! fires in    module            object
//!    694 ms   producer          work item (made at producer-plugin/src/lib.rs:110:20)
//! ```
//!
//! Delayed work is listed with the timers because the kernel arms a timer
//! for it (`delayed_work_timer_fn`); here it waits on its workqueue's
//! delayed list, which this view reads.
//!
//! Kernel counterpart: `kernel/time/timer_list.c`.

use crate::{kernel::Kernel, services::object::AnyObject};
use std::{sync::Arc, time::Duration};

/// The text of `/proc/timer_list`.
pub(super) fn timer_list(kernel: &Kernel) -> String {
    let inner = &kernel.inner;
    let now = inner.clock.uptime();
    let mut out = format!(
        "now at {}.{:06} s, jiffies {} (HZ {})\nfires in    module            object\n",
        now.as_secs(),
        now.subsec_micros(),
        inner.clock.jiffies(),
        inner.clock.hz()
    );
    let mut armed: Vec<(Duration, String, String)> = objects(kernel)
        .into_iter()
        .filter_map(|(module, object)| Some((object.fires_at(&inner.services)?, module, object.describe())))
        .collect();
    armed.sort();
    for (at, module, what) in armed {
        let ms = at.saturating_sub(now).as_millis();
        out.push_str(&format!("{:>6} ms   {module:<17} {what}\n", ms));
    }
    out
}

/// Every live object of every module, with its module's name. The module
/// list's lock is dropped before any object's own lock is taken.
fn objects(kernel: &Kernel) -> Vec<(String, Arc<dyn AnyObject>)> {
    let modules: Vec<_> = kernel.inner.modules.lock().visible().cloned().collect();
    let mut all = Vec::new();
    for module in modules {
        all.extend(module.objects().into_iter().map(|o| (module.name().to_string(), o)));
    }
    all
}
