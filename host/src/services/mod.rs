//! The kernel's services for modules: the table handed to `init`, and the
//! mechanisms behind it, one file each.
//!
//! This file is only the adapter: each `extern "C"` entry turns the caller's
//! [`ModuleHandle`] back into its [`Module`] and calls the mechanism. Every
//! entry runs under `catch_unwind`, because a panic unwinding out of an
//! `extern "C"` function would abort the whole host.
//!
//! Kernel counterpart: the core kernel API that modules link against.

pub mod clock;
mod completion;
pub(crate) mod hung_task;
pub mod kthread;
mod mutex;
pub(crate) mod object;
pub mod printk;
pub(crate) mod proc_entry;
mod report;
pub(crate) mod sched;
mod semaphore;
pub mod task;
pub mod timer;
mod waitqueue;
pub mod workqueue;

use abi_stable::{prefix_type::WithMetadata, sabi_types::StaticRef, std_types::RStr};
use modhost_abi::{
    descriptor::ModuleHandle,
    param::{ParamScalar, ParamValue},
    services::{KernelServices, KernelServicesRef},
};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::loader::Module;
use printk::Level;

static TABLE: WithMetadata<KernelServices> = WithMetadata::new(KernelServices {
    printk: sys_printk,
    oops: sys_oops,
    module_name: sys_module_name,
    param_get: sys_param_get,
    module_get: sys_module_get,
    module_put: sys_module_put,
    jiffies: sched::jiffies,
    hz: sched::hz,
    schedule_timeout: sched::sys_schedule_timeout,
    usleep_range: sched::usleep_range,
    signal_pending: sched::signal_pending,
    warn: sched::warn,
    timer_new: timer::timer_new,
    timer_mod: timer::timer_mod,
    timer_add: timer::timer_add,
    timer_delete: timer::timer_delete,
    timer_shutdown: timer::timer_shutdown,
    timer_pending: timer::timer_pending,
    timer_expires: timer::timer_expires,
    timer_free: timer::timer_free,
    wq_alloc: workqueue::wq_alloc,
    wq_system: workqueue::wq_system,
    wq_flush: workqueue::wq_flush,
    wq_destroy: workqueue::wq_destroy,
    work_new: workqueue::work_new,
    work_queue: workqueue::work_queue,
    work_mod_delayed: workqueue::work_mod_delayed,
    work_cancel: workqueue::work_cancel,
    work_flush: workqueue::work_flush,
    work_disable: workqueue::work_disable,
    work_enable: workqueue::work_enable,
    work_pending: workqueue::work_pending,
    work_free: workqueue::work_free,
    work_requeue: workqueue::work_requeue,
    kthread_create: kthread::kthread_create,
    kthread_wake: kthread::kthread_wake,
    kthread_should_stop: kthread::kthread_should_stop,
    kthread_stop: kthread::kthread_stop,
    kthread_free: kthread::kthread_free,
    sema_new: semaphore::sema_new,
    down: semaphore::down,
    down_trylock: semaphore::down_trylock,
    up: semaphore::up,
    sema_free: semaphore::sema_free,
    mutex_new: mutex::mutex_new,
    mutex_lock: mutex::mutex_lock,
    mutex_trylock: mutex::mutex_trylock,
    mutex_unlock: mutex::mutex_unlock,
    mutex_is_locked: mutex::mutex_is_locked,
    mutex_free: mutex::mutex_free,
    waitqueue_new: waitqueue::waitqueue_new,
    wait_event: waitqueue::wait_event,
    wake_up: waitqueue::wake_up,
    waitqueue_free: waitqueue::waitqueue_free,
    completion_new: completion::completion_new,
    complete: completion::complete,
    wait_for_completion: completion::wait_for_completion,
    completion_done: completion::completion_done,
    completion_reinit: completion::completion_reinit,
    completion_free: completion::completion_free,
    proc_create: proc_entry::proc_create,
    proc_remove: proc_entry::proc_remove,
    ktime_get_ns: sched::ktime_get_ns,
});

/// The service table every module's `init` receives.
pub(crate) fn table() -> KernelServicesRef {
    KernelServicesRef(StaticRef::new(&TABLE).as_prefix())
}

/// The module a handle stands for.
pub(crate) fn module_of<'a>(handle: ModuleHandle) -> &'a Module {
    // SAFETY: The loader makes every handle from `Arc::as_ptr` of a live
    // `Module` and keeps that `Arc` until after the module's library is
    // unmapped; a module's code, the only caller of these entries, can only
    // run while its library is mapped, so the `Module` is alive for the call.
    unsafe { &*handle.0.cast::<Module>() }
}

/// Runs a service body, turning a host panic into `fallback` and a dmesg line.
fn service<R>(name: &str, module: &Module, fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        if let Some(kernel) = module.kernel.upgrade() {
            kernel.printk.log(Level::Crit, &format!("modhost: BUG: service {name} failed for module {}", module.name));
        }
        fallback
    })
}

/// A strong reference to the module a handle stands for (for objects it owns).
pub(crate) fn module_arc(handle: ModuleHandle) -> Option<std::sync::Arc<Module>> {
    let module = module_of(handle);
    let kernel = module.kernel.upgrade()?;
    let modules = kernel.modules.lock();
    modules.by_id(module.id).cloned()
}

extern "C" fn sys_printk(handle: ModuleHandle, level: u8, text: RStr<'_>) {
    let module = module_of(handle);
    service("printk", module, (), || {
        if let Some(kernel) = module.kernel.upgrade() {
            let text = text.as_str();
            let text = text.strip_suffix('\n').unwrap_or(text);
            let prefixed: Vec<String> = text.split('\n').map(|line| format!("{}: {line}", module.name)).collect();
            kernel.printk.log(Level::from_u8(level), &prefixed.join("\n"));
        }
    });
}

extern "C" fn sys_oops(handle: ModuleHandle, text: RStr<'_>) {
    let module = module_of(handle);
    service("oops", module, (), || {
        if let Some(kernel) = module.kernel.upgrade() {
            kernel.oops(module, text.as_str());
        }
    });
}

extern "C" fn sys_module_name(handle: ModuleHandle) -> RStr<'static> {
    let module = module_of(handle);
    let name = module.name.as_str();
    // SAFETY: The name lives as long as the `Module`, which outlives every
    // call from the module's code (see `module_of`); the module is told the
    // string is valid only while it is loaded.
    unsafe { RStr::from_raw_parts(name.as_ptr(), name.len()) }
}

extern "C" fn sys_param_get(handle: ModuleHandle, index: u32) -> ParamValue {
    let module = module_of(handle);
    let fallback = ParamValue::Scalar(ParamScalar::Signed(0));
    service("param_get", module, fallback.clone(), || {
        module.params.lock().get(index as usize).cloned().unwrap_or(fallback)
    })
}

extern "C" fn sys_module_get(handle: ModuleHandle) -> bool {
    let module = module_of(handle);
    service("module_get", module, false, || module.try_get())
}

extern "C" fn sys_module_put(handle: ModuleHandle) {
    let module = module_of(handle);
    service("module_put", module, (), || module.put());
}
