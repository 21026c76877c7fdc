//! A module's callback, and when its context may be released.
//!
//! A timer function, a work function, a kthread body, a `/proc` show
//! function: each is a [`Callback`], a trampoline and a context the host
//! owns from the moment the object is made (the module's boxed closure).
//! The host must give the context back (`release`) exactly once, and only
//! when the callback can never run again: after the object is gone *and*
//! the call in progress, if any, has returned. Otherwise a module that
//! frees an object from inside its own callback (a one-shot timer that
//! drops itself) would free the closure that is running.
//!
//! [`ModuleCallback`] is that rule, written once: [`ModuleCallback::call`]
//! counts the calls in progress and refuses to start one once the object
//! is gone; [`ModuleCallback::release`] marks it gone and releases the
//! context now, or the last call in progress does as it returns.
//!
//! Locking: one leaf lock per callback, never held while module code runs.
//!
//! Kernel counterpart: none; in the kernel the module owns the memory and
//! `kfree`s it itself, in or out of the callback.

use modhost_abi::table::{Callback, Handle};
use parking_lot::Mutex;
use std::fmt;

/// A module's callback and its context's lifetime; see the module docs.
pub(crate) struct ModuleCallback {
    raw: Callback,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Calls in progress.
    running: u32,
    /// The object is gone: no new call starts.
    gone: bool,
    /// The context was released.
    released: bool,
}

impl ModuleCallback {
    /// Takes over `raw`'s context.
    pub(crate) fn new(raw: Callback) -> ModuleCallback {
        ModuleCallback { raw, state: Mutex::new(State::default()) }
    }

    /// Calls the callback for the object `handle`; `None` if the object is
    /// gone (it is never called then).
    pub(crate) fn call(&self, handle: Handle) -> Option<i32> {
        {
            let mut state = self.state.lock();
            if state.gone {
                return None;
            }
            state.running += 1;
        }
        let ret = (self.raw.function)(self.raw.context, handle);
        let release = {
            let mut state = self.state.lock();
            state.running -= 1;
            state.gone && state.running == 0 && !std::mem::replace(&mut state.released, true)
        };
        if release {
            (self.raw.release)(self.raw.context);
        }
        Some(ret)
    }

    /// The object is gone: no call starts any more, and the context is
    /// released now, or by the call in progress as it returns.
    pub(crate) fn release(&self) {
        let release = {
            let mut state = self.state.lock();
            state.gone = true;
            state.running == 0 && !std::mem::replace(&mut state.released, true)
        };
        if release {
            (self.raw.release)(self.raw.context);
        }
    }

    /// The call in progress will never return (its task died of an Oops):
    /// it no longer counts as running. Its context is never released, as
    /// the dead call's frames may still point into it.
    pub(crate) fn abandon(&self) {
        let mut state = self.state.lock();
        state.running = state.running.saturating_sub(1);
        state.released |= state.gone && state.running == 0;
    }

    /// Whether a call is in progress.
    pub(crate) fn is_running(&self) -> bool {
        self.state.lock().running > 0
    }
}

impl fmt::Debug for ModuleCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleCallback").field("state", &*self.state.lock()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::c_void;
    use std::sync::atomic::{AtomicU32, Ordering};

    static RELEASED: AtomicU32 = AtomicU32::new(0);

    extern "C" fn frees_itself(context: *const c_void, _: Handle) -> i32 {
        // SAFETY: The test passes a `&ModuleCallback` as the context.
        let this = unsafe { &*context.cast::<ModuleCallback>() };
        this.release();
        assert_eq!(RELEASED.load(Ordering::SeqCst), 0, "not while it runs");
        7
    }

    extern "C" fn count_release(_: *const c_void) {
        RELEASED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_callback_freed_from_inside_is_released_when_it_returns_and_never_called_again() {
        let mut callback = Box::new(ModuleCallback::new(Callback {
            function: frees_itself,
            context: core::ptr::null(),
            release: count_release,
        }));
        callback.raw.context = (&raw const *callback).cast();
        assert_eq!(callback.call(Handle::NULL), Some(7));
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1, "released as it returned");
        assert_eq!(callback.call(Handle::NULL), None, "gone");
        callback.release();
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1, "once");
    }
}
