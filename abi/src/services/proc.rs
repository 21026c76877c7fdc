//! `/proc` files: text a module publishes for users to read.
//!
//! A [`ProcFile`] named `fifo` appears as `/proc/fifo`; every read calls the
//! module's show function (in process context) and shows what it returns.
//! Dropping the `ProcFile` removes the file, after any read in progress.
//!
//! Kernel counterpart: `include/linux/proc_fs.h` (`proc_create_single`),
//! `fs/seq_file.c`.

use abi_stable::std_types::{RStr, RString};
use core::ffi::c_void;
use std::fmt;

use super::{ObjectRef, ShowFn};
use crate::{
    errno::{Errno, Result},
    runtime::{guard, kernel},
};

/// A file under `/proc` and its show function.
pub struct ProcFile {
    raw: ObjectRef,
    _show: Box<dyn Send + Sync>,
}

extern "C" fn show<F: Fn() -> String + Send + Sync + 'static>(context: *const c_void) -> RString {
    // SAFETY: `context` is the `F` boxed in the `ProcFile`, which outlives
    // every call: dropping it removes the file after reads in progress.
    let show = unsafe { &*context.cast::<F>() };
    guard(show).map(RString::from).unwrap_or_default()
}

impl ProcFile {
    /// `proc_create_single(name, show)`: `/proc/NAME` shows `show()`.
    ///
    /// # Errors
    ///
    /// `EEXIST` if the name is taken.
    pub fn create<F: Fn() -> String + Send + Sync + 'static>(name: &str, show_text: F) -> Result<ProcFile> {
        let (services, module) = kernel();
        let boxed = Box::new(show_text);
        let context = (&raw const *boxed).cast::<c_void>();
        let raw = (services.proc_create())(module, RStr::from_str(name), ShowFn { function: show::<F>, context });
        if raw.is_null() {
            return Err(Errno::EEXIST);
        }
        Ok(ProcFile { raw, _show: boxed })
    }
}

impl Drop for ProcFile {
    fn drop(&mut self) {
        let (services, _) = kernel();
        (services.proc_remove())(self.raw);
    }
}

impl fmt::Debug for ProcFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProcFile").field(&self.raw).finish()
    }
}
