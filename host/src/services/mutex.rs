//! Mutexes (placeholder: being written).

use modhost_abi::{descriptor::ModuleHandle, services::{ObjectRef, Site}};

pub(super) extern "C" fn mutex_new(_module: ModuleHandle) -> ObjectRef {
    todo!("mutex_new")
}

pub(super) extern "C" fn mutex_lock(_mutex: ObjectRef, _mode: u8, _site: Site) -> i64 {
    todo!("mutex_lock")
}

pub(super) extern "C" fn mutex_trylock(_mutex: ObjectRef) -> bool {
    todo!("mutex_trylock")
}

pub(super) extern "C" fn mutex_unlock(_mutex: ObjectRef, _site: Site) {
    todo!("mutex_unlock")
}

pub(super) extern "C" fn mutex_is_locked(_mutex: ObjectRef) -> bool {
    todo!("mutex_is_locked")
}

pub(super) extern "C" fn mutex_free(_mutex: ObjectRef) {
    todo!("mutex_free")
}
