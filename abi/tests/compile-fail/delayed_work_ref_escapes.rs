//! A delayed work callback cannot keep the `&DelayedWorkRef` it is given:
//! the borrow lasts for one call, so storing it where it would outlive the
//! call (here, in a slot the `'static` callback owns) is a lifetime error.

use modhost_abi::prelude::*;
use modhost_abi::services::time::HZ;
use modhost_abi::services::workqueue::{DelayedWork, DelayedWorkRef, schedule_delayed_work};

fn main() {
    let kept: std::sync::Mutex<Option<&DelayedWorkRef>> = std::sync::Mutex::new(None);
    let dwork = DelayedWork::new(move |me| {
        pr_info!("work\n");
        *kept.lock().unwrap() = Some(me);
    })
    .unwrap();
    schedule_delayed_work(&dwork, HZ());
}
