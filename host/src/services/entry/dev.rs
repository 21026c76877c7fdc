//! The table's `dev` group: character devices, `/proc` files with file
//! operations, and the user memory of their calls.
//!
//! Kernel counterpart: `fs/char_dev.c`, `drivers/base/core.c`
//! (`device_create`), `fs/proc/generic.c` (`proc_create`),
//! `include/linux/uaccess.h`.

use abi_stable::std_types::RStr;
use modhost_abi::table::{FileOps, Handle, Site};

use super::{entries, site_text};
use crate::services::{
    chardev::{self, Cdev, DevNode, major, minor},
    proc_entry::{self, ProcBody},
};

entries! {
    DevOps {
        /// `register_chrdev_region`, or `alloc_chrdev_region` for major 0.
        fn register_chrdev_region(c, dev: u32, count: u32, name: RStr<'_>, site: Site) -> i64 {
            let first = chardev::register_region(c.module(), dev, count, name.as_str(), site_text(&site))?;
            Ok(i64::from(first))
        }

        /// `unregister_chrdev_region`: a range the module did not register
        /// is reported.
        fn unregister_chrdev_region(c, dev: u32, count: u32, site: Site) -> () {
            let Some(region) = chardev::unregister_region(c.module(), dev, count) else {
                let what = format!("region {}:{}+{count}: not registered by this module", major(dev), minor(dev));
                return Err(c.reject_value(&site, &what));
            };
            c.free::<chardev::Region>(region.handle(), &site).map(drop)
        }

        /// `cdev_add`: null if a number of the range has a cdev already.
        fn cdev_add(c, dev: u32, count: u32, ops: FileOps, site: Site) -> Handle {
            Ok(chardev::add_cdev(c.module(), dev, count, ops, site_text(&site))?.handle())
        }

        /// `cdev_del`.
        fn cdev_del(c, cdev: Handle, site: Site) -> () {
            chardev::del_cdev(c.services(), c.object::<Cdev>(cdev, &site)?);
            c.free::<Cdev>(cdev, &site).map(drop)
        }

        /// `device_create`: null if the name is taken (with the kernel's
        /// complaint) or is not one path component.
        fn device_create(c, dev: u32, name: RStr<'_>, site: Site) -> Handle {
            let name = name.as_str();
            match chardev::create_node(c.module(), dev, name, site_text(&site)) {
                Ok(node) => Ok(node.handle()),
                Err(errno) => {
                    if errno == modhost_abi::errno::Errno::EEXIST {
                        c.warn(&site, &format!("sysfs: cannot create duplicate filename '/dev/{}'", name.escape_debug()));
                    }
                    Err(errno)
                }
            }
        }

        /// `device_destroy`.
        fn device_destroy(c, device: Handle, site: Site) -> () {
            chardev::destroy_node(c.services(), c.object::<DevNode>(device, &site)?);
            c.free::<DevNode>(device, &site).map(drop)
        }

        /// `proc_create` with file operations: null, and the kernel's WARN,
        /// if the name is taken or invalid.
        fn proc_create_ops(c, name: RStr<'_>, mode: u32, ops: FileOps, site: Site) -> Handle {
            let _ = mode;
            let name = name.as_str();
            match proc_entry::create_with(c.module(), name, ProcBody::Ops(ops), site_text(&site)) {
                Ok(Some(entry)) => Ok(entry.handle()),
                Ok(None) => Err(modhost_abi::errno::Errno::ENOMEM),
                Err(error) => {
                    c.warn(&site, &error.warning(name));
                    Err(error.errno())
                }
            }
        }

        /// `copy_to_user`: the bytes not copied.
        fn copy_to_user(c, to: *mut u8, from: *const u8, n: usize) -> usize {
            let _ = c;
            Ok(chardev::copy_to_user(to, from, n))
        }

        /// `copy_from_user`: the bytes not copied.
        fn copy_from_user(c, to: *mut u8, from: *const u8, n: usize) -> usize {
            let _ = c;
            Ok(chardev::copy_from_user(to, from, n))
        }
    }
}
