//! A `&TimerRef` lent by a `Timer` borrows it: the `Timer` cannot be
//! dropped (shut down and freed) while the reference is still used.

use modhost_abi::prelude::*;
use modhost_abi::services::time::{HZ, jiffies};
use modhost_abi::services::timer::{Timer, TimerRef};

fn main() {
    let timer = Timer::new(|_me| pr_info!("tick\n")).unwrap();
    let r: &TimerRef = &timer;
    drop(timer);
    r.mod_timer(jiffies() + HZ());
}
