//! Workqueues (placeholder: being written).

use abi_stable::std_types::RStr;
use modhost_abi::{descriptor::ModuleHandle, services::{Callback, ObjectRef, Site}};

/// The system workqueues of one kernel.
#[derive(Debug)]
pub(crate) struct Workqueues {}

impl Workqueues {
    /// No workqueues yet; system ones start on first use.
    pub(crate) fn new() -> Workqueues {
        Workqueues {}
    }

    /// Stops the system workqueues' workers (every module is gone by then).
    pub(crate) fn shutdown(&self) {}
}

pub(crate) extern "C" fn wq_alloc(_module: ModuleHandle, _name: RStr<'_>, _flags: u32, _max_active: i32, _site: Site) -> ObjectRef {
    todo!("wq_alloc")
}

pub(crate) extern "C" fn wq_system(_module: ModuleHandle, _which: u32) -> ObjectRef {
    todo!("wq_system")
}

pub(crate) extern "C" fn wq_flush(_wq: ObjectRef, _drain: bool, _site: Site) -> i64 {
    todo!("wq_flush")
}

pub(crate) extern "C" fn wq_destroy(_wq: ObjectRef, _site: Site) -> i64 {
    todo!("wq_destroy")
}

pub(crate) extern "C" fn work_new(_module: ModuleHandle, _callback: Callback, _delayed: bool, _site: Site) -> ObjectRef {
    todo!("work_new")
}

pub(crate) extern "C" fn work_queue(_wq: ObjectRef, _work: ObjectRef, _delay: u64) -> bool {
    todo!("work_queue")
}

pub(crate) extern "C" fn work_mod_delayed(_wq: ObjectRef, _work: ObjectRef, _delay: u64) -> bool {
    todo!("work_mod_delayed")
}

pub(crate) extern "C" fn work_cancel(_work: ObjectRef, _sync: bool, _site: Site) -> i64 {
    todo!("work_cancel")
}

pub(crate) extern "C" fn work_flush(_work: ObjectRef, _site: Site) -> i64 {
    todo!("work_flush")
}

pub(crate) extern "C" fn work_disable(_work: ObjectRef, _sync: bool, _site: Site) -> i64 {
    todo!("work_disable")
}

pub(crate) extern "C" fn work_enable(_work: ObjectRef) -> bool {
    todo!("work_enable")
}

pub(crate) extern "C" fn work_pending(_work: ObjectRef) -> bool {
    todo!("work_pending")
}

pub(crate) extern "C" fn work_free(_work: ObjectRef) {
    todo!("work_free")
}

pub(crate) extern "C" fn work_requeue(_work: ObjectRef, _delay: u64) -> bool {
    todo!("work_requeue")
}
