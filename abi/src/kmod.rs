//! The descriptor of a kbuild-built C module (`.ko`): `__this_module` and
//! its export and import records, as `kbuild/include/modhost/kmod.h`
//! declares them for C.
//!
//! A `.ko` starts its `__this_module` with the two fields every modhost
//! module starts with ([`ModuleHeader`](crate::descriptor::ModuleHeader)'s
//! magic and vermagic); its vermagic is [`KBUILD_VERMAGIC`], and only then
//! does the host read the rest as a [`KbuildModule`]. modpost writes the
//! records; kbuild's C library provides the entry points, which take the
//! same arguments as a Rust module's, so the host calls both alike.
//!
//! A C export carries a CRC of its prototype (modversions) where a Rust
//! export carries the layouts of its signature; a C import carries the CRC
//! it was built against, when a `Module.symvers` knew it.
//!
//! Kernel counterpart: `struct module`, `struct kernel_symbol`,
//! `struct modversion_info` (`include/linux/module.h`, `export.h`).

use core::ffi::{CStr, c_char, c_void};

use crate::descriptor::InitArgs;

/// The version magic of a module built by kbuild against this checkout's
/// headers.
pub const KBUILD_VERMAGIC: &CStr = c"modhost-abi/3 kbuild";

/// `MODULE_NAME_LEN`: the name's room, with its NUL.
pub const MODULE_NAME_LEN: usize = 56;

/// One export (`struct modhost_ksym`).
#[repr(C)]
#[derive(Debug)]
pub struct KbuildExport {
    /// The symbol's name, NUL-terminated.
    pub name: *const c_char,
    /// Its address.
    pub value: *const c_void,
    /// Its namespace, `""` for none.
    pub namespace: *const c_char,
    /// `EXPORT_SYMBOL_GPL`: non-zero.
    pub gpl_only: u32,
    /// The CRC of its prototype.
    pub crc: u32,
}

/// One import (`struct modhost_import`).
#[repr(C)]
#[derive(Debug)]
pub struct KbuildImport {
    /// The symbol's name, NUL-terminated.
    pub name: *const c_char,
    /// Where the host writes the exporter's address.
    pub slot: *mut *const c_void,
    /// The CRC the module was built against.
    pub crc: u32,
    /// Zero when no `Module.symvers` knew the symbol at build time.
    pub has_crc: u32,
}

/// `struct module`: a `.ko`'s `__this_module`.
#[repr(C)]
#[derive(Debug)]
pub struct KbuildModule {
    /// [`MAGIC`](crate::descriptor::MAGIC).
    pub magic: [u8; 8],
    /// [`KBUILD_VERMAGIC`].
    pub vermagic: *const c_char,
    /// `sizeof(struct module)` as the module was built.
    pub size: u32,
    /// The number of exports.
    pub num_syms: u32,
    /// The exports.
    pub syms: *const KbuildExport,
    /// The imports.
    pub imports: *const KbuildImport,
    /// The number of imports.
    pub num_imports: u32,
    /// The number of parameters.
    pub num_kp: u32,
    /// The parameters' runtime records (read by the module's library, not the host).
    pub kp: *const *const c_void,
    /// Sets the library up, loads the parameters, calls `init`.
    pub start: extern "C" fn(&InitArgs) -> i32,
    /// Calls `exit`.
    pub stop: extern "C" fn(),
    /// Reloads parameter `index` after the host changed it.
    pub param_changed: extern "C" fn(u32) -> i32,
    /// `module_init`, or null.
    pub init: *const c_void,
    /// `module_exit`, or null: the module cannot be removed without force.
    pub exit: *const c_void,
    /// `THIS_MODULE->name`.
    pub name: [u8; MODULE_NAME_LEN],
}

/// `struct kernel_param`: a parameter's runtime record, as the kernel lays it out.
#[repr(C)]
#[derive(Debug)]
pub struct KbuildParam {
    /// Its name.
    pub name: *const c_char,
    /// `THIS_MODULE`.
    pub module: *const c_void,
    /// Its `kernel_param_ops` (module code: never called by the host).
    pub ops: *const c_void,
    /// Its `/sys` permissions.
    pub perm: u16,
    /// Its init level (unused).
    pub level: i8,
    /// Its flags (unused).
    pub flags: u8,
    /// The variable; a `KbuildParamString` for `module_param_string`, a
    /// `KbuildParamArray` for an array.
    pub arg: *const c_void,
}

/// `struct kparam_string`.
#[repr(C)]
#[derive(Debug)]
pub struct KbuildParamString {
    /// The buffer's size, with its NUL.
    pub maxlen: u32,
    /// The buffer.
    pub string: *const c_char,
}

/// `struct kparam_array`.
#[repr(C)]
#[derive(Debug)]
pub struct KbuildParamArray {
    /// The capacity.
    pub max: u32,
    /// The size of one element.
    pub elemsize: u32,
    /// Where the number of elements set is stored, or null.
    pub num: *const u32,
    /// The elements' ops.
    pub ops: *const c_void,
    /// The elements.
    pub elem: *const c_void,
}
