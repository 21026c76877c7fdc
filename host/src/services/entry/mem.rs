//! The table's `mem` group: module memory, `KASAN=1`'s access check, and
//! random bytes.
//!
//! Kernel counterpart: `mm/slub.c`, `mm/kasan/generic.c`,
//! `drivers/char/random.c`.

use core::ffi::c_void;
use modhost_abi::{
    errno::Errno,
    table::{Handle, Site},
};

use super::{entries, site_text};
use crate::{
    debug::kasan::Place,
    services::{
        kmem::{Access, Freed, GFP_ZERO, Origin},
        printk::Level,
        task::Task,
    },
};

entries! {
    MemOps {
        /// `kmalloc`: null when refused (a size of 0 is the library's
        /// `ZERO_SIZE_PTR`, never asked for).
        fn kmalloc(c, size: usize, gfp: u32, site: Site) -> *mut c_void {
            let services = c.services();
            if services.failslab.should_fail(services, &c.module().name, size as u64) {
                return Err(Errno::ENOMEM);
            }
            let block = c.module().kmem.kmalloc(size, gfp & GFP_ZERO != 0, origin(c.services(), &site));
            block.map(|address| address as *mut c_void).ok_or(Errno::ENOMEM)
        }

        /// `kfree`: checks the block (KASAN's reports), and frees what lived
        /// in it; a bad pointer is reported, never freed.
        fn kfree(c, block: *const c_void, site: Site) -> () {
            let by = origin(c.services(), &site);
            let detected = format!("kfree at {}", by.site);
            match c.module().kmem.kfree(block as usize, by.clone()) {
                Freed::Block { objects, findings } => {
                    for finding in &findings {
                        c.services().kasan(c.module(), finding, Place::Check(&detected), &by);
                    }
                    for object in objects.iter().filter(|o| !o.is_freed()) {
                        if object.free_embedded() {
                            if let Some(line) = object.odebug_free_active() {
                                c.services().log(Level::Err, &line);
                            }
                            let text = format!("kfree: {} freed while still armed or queued", object.describe());
                            c.warn(&site, &text);
                        }
                    }
                    Ok(())
                }
                Freed::Invalid(finding) => {
                    c.services().kasan(c.module(), &finding, Place::Check(&detected), &by);
                    Err(Errno::EINVAL)
                }
            }
        }

        /// `ksize`.
        fn ksize(c, block: *const c_void, site: Site) -> usize {
            let _ = site;
            Ok(c.module().kmem.ksize(block as usize).unwrap_or(0))
        }

        /// `get_random_bytes`.
        fn get_random_bytes(c, buf: *mut u8, len: usize) -> () {
            if !fill_random(buf, len) {
                c.services().log(Level::Err, "get_random_bytes: no random source");
                return Err(Errno::EIO);
            }
            Ok(())
        }

        /// Ties an object to where it lives in module memory.
        fn object_at(c, object: Handle, address: *const c_void) -> () {
            let site = Site::NONE;
            let found = c.own_object(object, &site)?;
            found.set_address(address as usize);
            if c.module().kmem.object_at(found, address as usize) {
                c.set_static(object, &site)?;
            }
            Ok(())
        }

        /// `KASAN=1`: the check before each load and store of the module's
        /// instrumented code (`ip` is the access's place in it): one that
        /// touches a redzone or a freed block is reported, once per block,
        /// and goes ahead. Cheap for what is no block of the module.
        fn kasan_check(c, address: *const c_void, size: usize, write: bool, ip: u64) -> () {
            let access = if write { Access::Write } else { Access::Read };
            if let Some(finding) = c.module().kmem.check_access(address as usize, size, access) {
                let by = origin(c.services(), &Site::NONE);
                c.services().kasan(c.module(), &finding, Place::Code(ip as usize), &by);
            }
            Ok(())
        }
    }
}

/// Who calls, from where, and when: a block's allocation or its free.
fn origin(services: &crate::services::Services, site: &Site) -> Origin {
    let (comm, pid) = Task::with_current(|t| (t.name(), t.id()));
    Origin { site: site_text(site), comm, pid, jiffies: services.clock.jiffies() }
}

/// Fills `len` bytes at `buf` from the system's random source.
fn fill_random(buf: *mut u8, len: usize) -> bool {
    let mut done = 0;
    while done < len {
        // SAFETY: `buf..buf+len` is the module's buffer, as its caller
        // promised `get_random_bytes`; getrandom writes at most `len - done`
        // bytes after `done`.
        let n = unsafe { libc::getrandom(buf.add(done).cast(), len - done, 0) };
        match usize::try_from(n) {
            Ok(n) => done += n,
            Err(_) if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
            Err(_) => return false,
        }
    }
    true
}
