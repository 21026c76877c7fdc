//! Completions (placeholder: being written).

use modhost_abi::{descriptor::ModuleHandle, services::{ObjectRef, Site}};

pub(super) extern "C" fn completion_new(_module: ModuleHandle) -> ObjectRef {
    todo!("completion_new")
}

pub(super) extern "C" fn complete(_completion: ObjectRef, _all: bool) {
    todo!("complete")
}

pub(super) extern "C" fn wait_for_completion(_completion: ObjectRef, _mode: u8, _timeout: u64, _site: Site) -> i64 {
    todo!("wait_for_completion")
}

pub(super) extern "C" fn completion_done(_completion: ObjectRef) -> bool {
    todo!("completion_done")
}

pub(super) extern "C" fn completion_reinit(_completion: ObjectRef) {
    todo!("completion_reinit")
}

pub(super) extern "C" fn completion_free(_completion: ObjectRef) {
    todo!("completion_free")
}
