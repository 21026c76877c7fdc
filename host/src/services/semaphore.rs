//! Semaphores (placeholder: being written).

use modhost_abi::{descriptor::ModuleHandle, services::{ObjectRef, Site}};

pub(super) extern "C" fn sema_new(_module: ModuleHandle, _count: i32) -> ObjectRef {
    todo!("sema_new")
}

pub(super) extern "C" fn down(_sem: ObjectRef, _mode: u8, _timeout: u64, _site: Site) -> i64 {
    todo!("down")
}

pub(super) extern "C" fn down_trylock(_sem: ObjectRef) -> i32 {
    todo!("down_trylock")
}

pub(super) extern "C" fn up(_sem: ObjectRef) {
    todo!("up")
}

pub(super) extern "C" fn sema_free(_sem: ObjectRef) {
    todo!("sema_free")
}
