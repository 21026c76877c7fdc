//! The table's `module` group: the module's log, parameters and references.
//!
//! Kernel counterpart: `kernel/printk/printk.c`, `kernel/params.c`
//! (`param_get_*`), `kernel/module/main.c` (`try_module_get`, `module_put`).

use abi_stable::std_types::RStr;
use modhost_abi::{
    errno::Errno,
    param::ParamValue,
    table::{Handle, Site},
};

use super::entries;
use crate::services::printk::Level;

entries! {
    ModuleOps {
        /// `printk`: each line prefixed with the module's name, as
        /// `pr_fmt(KBUILD_MODNAME ": ")` does.
        fn printk(c, level: u32, text: RStr<'_>) -> () {
            let level = Level::from_u8(u8::try_from(level).unwrap_or(u8::MAX));
            c.services().printk.log_module(level, &c.module().name, text.as_str());
            Ok(())
        }

        /// A panic in the module's code.
        fn oops(c, text: RStr<'_>) -> () {
            c.services().oops(c.module(), text.as_str());
            Ok(())
        }

        /// `WARN(1, ...)`.
        fn warn(c, text: RStr<'_>, site: Site) -> () {
            c.warn(&site, text.as_str());
            Ok(())
        }

        /// The instance's name.
        fn module_name(c) -> RStr<'static> {
            let name: &str = &c.module().name;
            // SAFETY: The name lives in the module's record, which the
            // registry keeps until the module's library is unmapped: as long
            // as any of the module's code, the only caller, can run.
            Ok(unsafe { RStr::from_raw_parts(name.as_ptr(), name.len()) })
        }

        /// The parameter's value as `/sys` shows it, into the module's buffer.
        fn param_get(c, index: u32, buf: *mut u8, len: usize) -> i64 {
            let module = c.module();
            let index = usize::try_from(index).map_err(|_| Errno::EINVAL)?;
            let text = {
                let params = module.params.lock();
                let value = params.get(index).ok_or(Errno::EINVAL)?;
                if matches!(value, ParamValue::Array(elements) if elements.is_empty()) {
                    // Nothing to give: the module keeps what its source says.
                    return Err(Errno::ENOENT);
                }
                (module.param_show)(index, value)
            };
            let text = text.strip_suffix('\n').unwrap_or(&text);
            if text.len() <= len && !buf.is_null() {
                // SAFETY: The module passes a buffer of `len` bytes it owns
                // (the kernel's `get` ops trust their buffer the same way).
                unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len()) };
            }
            i64::try_from(text.len()).map_err(|_| Errno::ERANGE)
        }

        /// `try_module_get(THIS_MODULE)`.
        fn try_module_get(c) -> bool {
            Ok(c.module().try_get())
        }

        /// `module_put(THIS_MODULE)`.
        fn module_put(c) -> () {
            c.module().put();
            Ok(())
        }

        /// Declares an object static: freed with the module, not a leak.
        fn object_static(c, object: Handle, site: Site) -> () {
            c.set_static(object, &site)
        }

        /// A C module's `printk` line, as it is.
        fn vprintk(c, level: u32, text: RStr<'_>) -> () {
            let level = Level::from_u8(u8::try_from(level).unwrap_or(u8::MAX));
            c.services().printk.log(level, text.as_str());
            Ok(())
        }

        /// `module_refcount(THIS_MODULE)`.
        fn module_refcount(c) -> u32 {
            Ok(c.module().refcount())
        }
    }
}
