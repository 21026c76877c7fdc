//! A `WorkRef` is not `Clone`: `clone()` on the callback's `&WorkRef` only
//! copies the borrow, so it cannot yield an owned handle to keep.

use modhost_abi::prelude::*;
use modhost_abi::services::workqueue::{Work, WorkRef, schedule_work};

fn main() {
    let work = Work::new(|me| {
        let kept: WorkRef = me.clone();
        pr_info!("kept {:?}\n", kept);
    })
    .unwrap();
    schedule_work(&work);
}
