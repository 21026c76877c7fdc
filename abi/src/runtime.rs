//! The module side of the boundary: what one loaded library knows about its host.
//!
//! Each plugin links its own copy of this crate, and each module instance is
//! its own copy of the library, so these statics are per instance: the
//! service table and the instance's handle, bound once by `init`.
//!
//! Ground rules, because the library must stay unloadable (`dlclose` really
//! unmaps it only if nothing pins it):
//! - no `thread_local!` with a destructor: touched on a long-lived host
//!   thread it would keep the library mapped forever;
//! - no threads of its own (`std::thread::spawn` pins the library too);
//! - nothing with a heap allocation in a static: statics are never dropped,
//!   so it would leak on every unload.
//!
//! Every entry from the host into module code goes through [`guard`], which
//! catches a panic before it can unwind across `extern "C"` (that would abort
//! the host). The panic hook this file installs reports the panic to the host
//! as an Oops, with its message and location. A task killed by a forced
//! unload unwinds the same way, without an Oops ([`task_killed`]).

use abi_stable::std_types::RStr;
use core::ffi::c_void;
use std::{
    fmt::{self, Write as _},
    panic::{self, AssertUnwindSafe, PanicHookInfo},
    sync::OnceLock,
};

use crate::{
    descriptor::InitArgs,
    errno::Errno,
    services::printk::{Level, RecordBuf},
    table::{Callback, Handle, KernelServicesRef, ModuleHandle},
};

/// The host this library instance belongs to.
#[derive(Clone, Copy)]
struct Binding {
    services: KernelServicesRef,
    module: ModuleHandle,
}

// SAFETY: `KernelServicesRef` points to the host's immutable static table, and
// `ModuleHandle` is a number; both may be used from any thread.
unsafe impl Send for Binding {}
// SAFETY: As for `Send`.
unsafe impl Sync for Binding {}

static BINDING: OnceLock<Binding> = OnceLock::new();

/// Binds this library instance to its host; called first thing in `init`.
pub(crate) fn bind(args: &InitArgs) {
    if BINDING.set(Binding { services: args.services, module: args.module }).is_ok() {
        // A function item is zero-sized, so the boxed hook allocates nothing
        // that the unload would leak.
        panic::set_hook(Box::new(report_panic));
    }
}

fn binding() -> Option<Binding> {
    BINDING.get().copied()
}

/// The service table and this instance's handle.
///
/// # Panics
///
/// Outside a host (a unit test of the module's rlib): kernel services need
/// a kernel.
pub(crate) fn kernel() -> (KernelServicesRef, ModuleHandle) {
    let b = binding().expect("modhost kernel services used outside a modhost host");
    (b.services, b.module)
}

/// The unwind payload of a task killed by a forced unload.
///
/// Raised with `resume_unwind`, which does not run the panic hook: a kill
/// is not an Oops. [`guard`] catches it like any unwind.
#[derive(Debug)]
pub struct TaskKilled;

/// Unwinds the module's code back to the host: the task was killed.
pub fn task_killed() -> ! {
    panic::resume_unwind(Box::new(TaskKilled))
}

/// After a sleep that ended without what it waited for (`failed`): if the
/// task was killed (a forced unload), unwinds the module's code, which must
/// not go on as if it held what it asked for. Killable sleeps do not call
/// this: they report the kill to their caller.
pub(crate) fn unless_killed<T>(ret: T, failed: bool) -> T {
    if failed {
        let (services, module) = kernel();
        if (services.time().fatal_signal_pending())(module) {
            task_killed();
        }
    }
    ret
}

/// Runs module code on behalf of the host, containing any panic.
///
/// Returns `None` if `f` panicked (the panic hook has already reported it)
/// or its task was killed ([`task_killed`]).
pub fn guard<R>(f: impl FnOnce() -> R) -> Option<R> {
    panic::catch_unwind(AssertUnwindSafe(f)).ok()
}

/// A [`Callback`] that calls `f` with the object's handle; the host owns
/// the boxed closure from then on and frees it through `release`.
pub(crate) fn callback<F: Fn(Handle) -> i32 + Send + Sync + 'static>(f: F) -> Callback {
    extern "C" fn call<F: Fn(Handle) -> i32>(context: *const c_void, handle: Handle) -> i32 {
        // SAFETY: `context` is the `F` boxed by `callback`, which the host
        // keeps until it calls `release`, after the last call.
        let f = unsafe { &*context.cast::<F>() };
        guard(|| f(handle)).unwrap_or(Errno::EFAULT.to_kernel())
    }
    extern "C" fn release<F>(context: *const c_void) {
        // SAFETY: `context` came from `Box::into_raw` in `callback`, and the
        // host releases it exactly once.
        let f = unsafe { Box::from_raw(context.cast::<F>().cast_mut()) };
        let _ = guard(|| drop(f));
    }
    let context = Box::into_raw(Box::new(f)).cast::<c_void>().cast_const();
    Callback { function: call::<F>, context, release: release::<F> }
}

/// Frees a callback the host did not take (it refused to make the object).
pub(crate) fn release_refused(callback: Callback) {
    (callback.release)(callback.context);
}

/// The panic hook: formats the panic and hands it to the host as an Oops.
fn report_panic(info: &PanicHookInfo<'_>) {
    let mut text = String::from("panicked");
    if let Some(location) = info.location() {
        let _ = write!(text, " at {location}");
    }
    let payload = info.payload();
    let message =
        payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    if let Some(message) = message {
        let _ = write!(text, ": {message}");
    }
    match binding() {
        Some(b) => (b.services.module().oops())(b.module, RStr::from_str(&text)),
        None => eprintln!("{text}"),
    }
}

/// Sends one message to the host's printk, or to stderr outside a host.
pub(crate) fn printk(level: Level, args: fmt::Arguments<'_>) {
    let formatted;
    let text = match args.as_str() {
        Some(text) => text,
        None => {
            formatted = RecordBuf::format(args);
            formatted.as_str()
        }
    };
    match binding() {
        Some(b) => (b.services.module().printk())(b.module, u32::from(level as u8), RStr::from_str(text)),
        None => eprintln!("<{}>{}", level as u8, text.strip_suffix('\n').unwrap_or(text)),
    }
}

/// The host's current value of parameter `index` as `/sys` shows it, or
/// `None` outside a host.
pub(crate) fn param_text(index: u32) -> Option<String> {
    let b = binding()?;
    read_string(|buf, len| (b.services.module().param_get())(b.module, index, buf, len))
}

/// Reads a string the host writes into a buffer, growing the buffer until
/// it fits; `None` if the host refuses (a negative return).
pub(crate) fn read_string(mut read: impl FnMut(*mut u8, usize) -> i64) -> Option<String> {
    let mut buf = vec![0u8; 64];
    loop {
        let len = usize::try_from(read(buf.as_mut_ptr(), buf.len())).ok()?;
        if len <= buf.len() {
            buf.truncate(len);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        buf.resize(len, 0);
    }
}

/// This instance's name as the host knows it, or `None` outside a host.
pub(crate) fn module_name() -> Option<&'static str> {
    binding().map(|b| (b.services.module().module_name())(b.module).as_str())
}

/// `try_module_get` on this instance; `false` outside a host or once it is going.
pub(crate) fn module_get() -> bool {
    binding().is_some_and(|b| (b.services.module().try_module_get())(b.module))
}

/// `module_put` on this instance.
pub(crate) fn module_put() {
    if let Some(b) = binding() {
        (b.services.module().module_put())(b.module);
    }
}
