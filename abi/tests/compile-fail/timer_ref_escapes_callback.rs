//! A timer callback cannot keep the `&TimerRef` it is given: the borrow
//! lasts for one call, so storing it where it would outlive the call (here,
//! in a slot the `'static` callback owns) is a lifetime error.

use modhost_abi::prelude::*;
use modhost_abi::services::time::{HZ, jiffies};
use modhost_abi::services::timer::{Timer, TimerRef};

fn main() {
    let kept: std::sync::Mutex<Option<&TimerRef>> = std::sync::Mutex::new(None);
    let timer = Timer::new(move |me| {
        pr_info!("tick\n");
        *kept.lock().unwrap() = Some(me);
    })
    .unwrap();
    timer.mod_timer(jiffies() + HZ());
}
