//! The table's `debug` group: symbols and call traces.
//!
//! Kernel counterpart: `kernel/kallsyms.c` (`sprint_symbol`),
//! `lib/dump_stack.c`.

use modhost_abi::table::Site;

use super::entries;
use crate::services::printk::Level;

entries! {
    DebugOps {
        /// `sprint_symbol`: the text's whole length; at most `len` bytes written.
        fn sprint_symbol(c, address: u64, offset: bool, buf: *mut u8, len: usize) -> usize {
            let text = c.services().kallsyms.sprint(usize::try_from(address).unwrap_or(0), offset);
            let n = text.len().min(len);
            if n > 0 && !buf.is_null() {
                // SAFETY: `buf..buf+len` is the module's buffer, as the
                // caller of `sprint_symbol` promised; `n <= len`, and a host
                // string never overlaps module memory.
                unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), buf, n) };
            }
            Ok(text.len())
        }

        /// `dump_stack`.
        fn dump_stack(c, site: Site) -> () {
            let _ = site;
            c.services().dump_stack(Level::Warning);
            Ok(())
        }
    }
}
