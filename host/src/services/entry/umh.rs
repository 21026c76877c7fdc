//! The table's `umh` group: user-mode helpers.
//!
//! The C arrays a module passes (`argv`, `envp`: NULL-terminated arrays of
//! C strings) are read here, bounded, into the helper the mechanism runs
//! (`services/umh.rs`).
//!
//! Kernel counterpart: `kernel/umh.c` (`call_usermodehelper`).

use core::ffi::{CStr, c_char};
use modhost_abi::{
    errno::Errno,
    table::{Site, UMH_KILLABLE, UMH_NO_WAIT, UMH_WAIT_EXEC, UMH_WAIT_PROC},
};
use std::{ffi::OsString, os::unix::ffi::OsStringExt, sync::Arc};

use super::{entries, site_text};
use crate::services::umh::{self, Helper, UmhWait};

/// The most strings an `argv` or `envp` may hold.
const MAX_STRINGS: usize = 4096;

entries! {
    UmhOps {
        /// `call_usermodehelper(path, argv, envp, wait)`.
        fn call_usermodehelper(
            c,
            path: *const c_char,
            argv: *const *const c_char,
            envp: *const *const c_char,
            wait: u32,
            site: Site,
        ) -> i32 {
            let how = match wait & !UMH_KILLABLE {
                UMH_NO_WAIT => UmhWait::NoWait,
                UMH_WAIT_EXEC => UmhWait::Exec,
                UMH_WAIT_PROC => UmhWait::Proc,
                _ => return Err(c.reject_value(&site, &format!("wait mode {wait:#x}"))),
            };
            if path.is_null() {
                return Err(Errno::EINVAL);
            }
            // SAFETY: The module passes a NUL-terminated string it owns.
            let path = OsString::from_vec(unsafe { CStr::from_ptr(path) }.to_bytes().to_vec());
            if path.is_empty() {
                // The kernel's: nothing to run is no error.
                return Ok(0);
            }
            let helper = Helper { path, argv: strings(argv)?, envp: strings(envp)? };
            if how != UmhWait::NoWait {
                c.might_sleep(&site);
            }
            let task = c.task();
            let module = Arc::clone(&c.module().name);
            let c = c.unpin();
            let site = site_text(&site);
            let caller = umh::Caller { services: c.services(), module, task: &task, site: &site };
            Ok(umh::call_usermodehelper(&caller, &helper, how, wait & UMH_KILLABLE != 0))
        }
    }
}

/// The strings of a NULL-terminated array (none for a NULL array);
/// `E2BIG` past [`MAX_STRINGS`].
fn strings(array: *const *const c_char) -> Result<Vec<OsString>, Errno> {
    let mut strings = Vec::new();
    if array.is_null() {
        return Ok(strings);
    }
    loop {
        if strings.len() == MAX_STRINGS {
            return Err(Errno::E2BIG);
        }
        // SAFETY: The module passes a NULL-terminated array of pointers it
        // owns; this reads up to its NULL, and no further than the bound.
        let string = unsafe { *array.add(strings.len()) };
        if string.is_null() {
            return Ok(strings);
        }
        // SAFETY: Each entry before the NULL is a NUL-terminated string.
        strings.push(OsString::from_vec(unsafe { CStr::from_ptr(string) }.to_bytes().to_vec()));
    }
}
