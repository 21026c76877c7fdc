//! A `TimerRef` is neither `Copy` nor `Clone`: a callback cannot copy its
//! timer's handle out of the borrow to keep it past the call.

use modhost_abi::prelude::*;
use modhost_abi::services::timer::{Timer, TimerRef};

fn main() {
    let _timer = Timer::new(|me| {
        let kept: TimerRef = *me;
        pr_info!("kept {:?}\n", kept);
    })
    .unwrap();
}
