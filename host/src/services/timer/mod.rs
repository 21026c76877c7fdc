//! Kernel timers (placeholder: being written).

pub mod wheel;

use modhost_abi::{descriptor::ModuleHandle, services::{Callback, ObjectRef, Site}};
use std::sync::Arc;

use super::{clock::Clock, task::Task};
use crate::kernel::KernelInner;

/// The timers of one kernel and the thread that runs them.
#[derive(Debug)]
pub(crate) struct TimerBase {}

impl TimerBase {
    /// No timers yet; the timer thread starts with the first one armed.
    pub(crate) fn new(_clock: Clock) -> TimerBase {
        TimerBase {}
    }

    /// Stops the timer thread (every module is gone by then).
    pub(crate) fn shutdown(&self) {}
}

/// Called by `might_sleep` when a timer callback is about to sleep: the
/// calling thread stops being the timer thread, and a new one takes over.
pub(crate) fn leave_softirq(_kernel: &Arc<KernelInner>, _task: &Arc<Task>) {}

pub(crate) extern "C" fn timer_new(_module: ModuleHandle, _callback: Callback, _flags: u32, _site: Site) -> ObjectRef {
    todo!("timer_new")
}

pub(crate) extern "C" fn timer_mod(_timer: ObjectRef, _expires: u64, _site: Site) -> i32 {
    todo!("timer_mod")
}

pub(crate) extern "C" fn timer_add(_timer: ObjectRef, _expires: u64, _site: Site) {
    todo!("timer_add")
}

pub(crate) extern "C" fn timer_delete(_timer: ObjectRef, _sync: bool, _site: Site) -> i64 {
    todo!("timer_delete")
}

pub(crate) extern "C" fn timer_shutdown(_timer: ObjectRef, _sync: bool, _site: Site) -> i64 {
    todo!("timer_shutdown")
}

pub(crate) extern "C" fn timer_pending(_timer: ObjectRef) -> bool {
    todo!("timer_pending")
}

pub(crate) extern "C" fn timer_expires(_timer: ObjectRef) -> u64 {
    todo!("timer_expires")
}

pub(crate) extern "C" fn timer_free(_timer: ObjectRef) {
    todo!("timer_free")
}
