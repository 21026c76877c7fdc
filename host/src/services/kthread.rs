//! kthreads (placeholder: being written).

use abi_stable::std_types::RStr;
use modhost_abi::{descriptor::ModuleHandle, services::{ObjectRef, Site, ThreadFn}};

pub(super) extern "C" fn kthread_create(_module: ModuleHandle, _body: ThreadFn, _name: RStr<'_>, _run: bool, _site: Site) -> ObjectRef {
    todo!("kthread_create")
}

pub(super) extern "C" fn kthread_wake(_thread: ObjectRef) {
    todo!("kthread_wake")
}

pub(super) extern "C" fn kthread_should_stop() -> bool {
    todo!("kthread_should_stop")
}

pub(super) extern "C" fn kthread_stop(_thread: ObjectRef, _site: Site) -> i64 {
    todo!("kthread_stop")
}

pub(super) extern "C" fn kthread_free(_thread: ObjectRef) {
    todo!("kthread_free")
}
