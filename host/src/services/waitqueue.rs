//! Wait queues (placeholder: being written).

use modhost_abi::{descriptor::ModuleHandle, services::{Condition, ObjectRef, Site}};

pub(super) extern "C" fn waitqueue_new(_module: ModuleHandle) -> ObjectRef {
    todo!("waitqueue_new")
}

pub(super) extern "C" fn wait_event(_wq: ObjectRef, _condition: Condition, _mode: u8, _timeout: u64, _site: Site) -> i64 {
    todo!("wait_event")
}

pub(super) extern "C" fn wake_up(_wq: ObjectRef, _all: bool) {
    todo!("wake_up")
}

pub(super) extern "C" fn waitqueue_free(_wq: ObjectRef) {
    todo!("waitqueue_free")
}
