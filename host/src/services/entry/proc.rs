//! The table's `proc` group: `/proc` files and their `seq_file`s.
//!
//! Kernel counterpart: `fs/proc/generic.c`, `fs/seq_file.c`.

use abi_stable::std_types::RStr;
use modhost_abi::{
    errno::Errno,
    table::{Callback, Handle, Site},
};

use super::{entries, site_text};
use crate::services::proc_entry::{self, ProcEntry, SeqFile};

entries! {
    ProcOps {
        /// `proc_create_single`: null, and the kernel's WARN, if the name is
        /// taken or invalid.
        fn proc_create(c, name: RStr<'_>, show: Callback, site: Site) -> Handle {
            let name = name.as_str();
            match proc_entry::create(c.module(), name, show, site_text(&site)) {
                Ok(Some(entry)) => Ok(entry.handle()),
                Ok(None) => Err(Errno::ENOMEM),
                Err(error) => {
                    c.warn(&site, &error.warning(name));
                    Err(error.errno())
                }
            }
        }

        /// `proc_remove`: waits for reads in progress.
        fn proc_remove(c, entry: Handle, site: Site) -> () {
            let object = c.object_arc::<ProcEntry>(entry, &site)?;
            let c = c.unpin_on(&object);
            proc_entry::unregister(c.services(), &object);
            c.repin().free::<ProcEntry>(entry, &site).map(drop)
        }

        /// `seq_write` from a show function.
        fn seq_write(c, seq: Handle, text: RStr<'_>, site: Site) -> i32 {
            c.object::<SeqFile>(seq, &site)?.inner.text.lock().push_str(text.as_str());
            Ok(0)
        }
    }
}
