//! `/proc` files: text a module publishes for users to read.
//!
//! A [`ProcFile`] named `fifo` appears as `/proc/fifo`; every read calls the
//! module's show function (in process context) and shows what it returns.
//! Dropping the `ProcFile` removes the file, after any read in progress.
//!
//! Kernel counterpart: `include/linux/proc_fs.h` (`proc_create_single`),
//! `fs/seq_file.c`.

use abi_stable::std_types::RStr;
use std::fmt;

use crate::{
    errno::{Errno, Result},
    runtime::{callback, kernel, release_refused},
    table::{Handle, Site},
};

/// A file under `/proc` and its show function.
pub struct ProcFile {
    handle: Handle,
}

impl ProcFile {
    /// `proc_create_single(name, show)`: `/proc/NAME` shows `show()`.
    ///
    /// # Errors
    ///
    /// `EEXIST` if the name is taken.
    #[track_caller]
    pub fn create(name: &str, show: impl Fn() -> String + Send + Sync + 'static) -> Result<ProcFile> {
        let (services, module) = kernel();
        let callback = callback(move |seq| {
            let text = show();
            let (services, module) = kernel();
            (services.proc().seq_write())(module, seq, RStr::from_str(&text), Site::NONE)
        });
        let handle = (services.proc().proc_create())(module, RStr::from_str(name), callback, Site::caller());
        if handle.is_null() {
            release_refused(callback);
            return Err(Errno::EEXIST);
        }
        Ok(ProcFile { handle })
    }
}

impl Drop for ProcFile {
    fn drop(&mut self) {
        let (services, module) = kernel();
        (services.proc().proc_remove())(module, self.handle, Site::NONE);
    }
}

impl fmt::Debug for ProcFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProcFile").field(&self.handle).finish()
    }
}
