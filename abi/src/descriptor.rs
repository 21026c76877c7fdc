//! The root descriptor: the one symbol a plugin exports.
//!
//! Every plugin exports [`SYMBOL`] (`__this_module`), a [`ModuleHeader`]. The
//! host reads it in a fixed order and stops at the first thing it does not
//! recognise, so a foreign or stale `.so` is "Invalid module format", never a
//! crash:
//!
//! 1. `magic` says this is a modhost module at all;
//! 2. `vermagic` must equal the host's [`VERMAGIC`] (ABI version and panic
//!    strategy), like the kernel's `vermagic` check;
//! 3. `layout`, the `TypeLayout` of [`ModuleInfo`] as the plugin was built, must
//!    be compatible with the host's (the kernel's `module_layout` CRC);
//! 4. only then is `info` read.
//!
//! The first two fields of [`ModuleHeader`] never change in any ABI version;
//! everything after them may, behind a new [`ABI_VERSION`].
//!
//! Kernel counterpart: `struct module` in `include/linux/module.h`,
//! `include/linux/vermagic.h`.

use abi_stable::{
    StableAbi,
    std_types::{RSlice, RStr},
    type_layout::TypeLayout,
};
use core::ffi::{CStr, c_char};

use crate::{
    param::ParamDesc,
    symbol::{ExportDesc, ImportDesc},
    table::{KernelServicesRef, ModuleHandle},
};

/// The name of the exported descriptor symbol.
pub const SYMBOL: &CStr = c"__this_module";

/// The bytes that open every [`ModuleHeader`].
pub const MAGIC: [u8; 8] = *b"modhost\0";

/// The ABI version: bumped on any change to the header or the descriptor
/// that older hosts or plugins cannot read.
pub const ABI_VERSION: u32 = 3;

/// The version magic of this ABI, as a module built with `panic = "unwind"` carries it.
pub const VERMAGIC: &CStr = c"modhost-abi/3 panic=unwind";

/// The version magic of a module built with `panic = "abort"`, which the host refuses:
/// such a module cannot contain its panics.
pub const VERMAGIC_PANIC_ABORT: &CStr = c"modhost-abi/3 panic=abort";

/// The version magic for a module whose panic strategy is `panic_unwind`.
pub const fn vermagic(panic_unwind: bool) -> &'static CStr {
    if panic_unwind { VERMAGIC } else { VERMAGIC_PANIC_ABORT }
}

/// The fixed-layout head of the exported descriptor.
#[repr(C)]
#[derive(Debug)]
pub struct ModuleHeader {
    /// Always [`MAGIC`].
    pub magic: [u8; 8],
    /// A NUL-terminated version magic, compared with the host's [`VERMAGIC`].
    pub vermagic: *const c_char,
    /// The `TypeLayout` of [`ModuleInfo`] as this module was built.
    pub layout: &'static TypeLayout,
    /// The module's description.
    pub info: &'static ModuleInfo,
}

// SAFETY: The header is immutable static data; `vermagic` points to a static
// C string that is only read.
unsafe impl Sync for ModuleHeader {}

impl ModuleHeader {
    /// The header for `info`, built against this ABI.
    pub const fn new(vermagic: &'static CStr, info: &'static ModuleInfo) -> Self {
        ModuleHeader { magic: MAGIC, vermagic: vermagic.as_ptr(), layout: <ModuleInfo as StableAbi>::LAYOUT, info }
    }
}

/// Everything the host needs to know about a module: modinfo, parameters,
/// symbols and entry points.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct ModuleInfo {
    /// The default module name (`insmod --name` gives another instance its own).
    pub name: RStr<'static>,
    /// `MODULE_LICENSE`; decides GPL-only symbol access and the P taint.
    pub license: RStr<'static>,
    /// `MODULE_AUTHOR`.
    pub author: RStr<'static>,
    /// `MODULE_DESCRIPTION`.
    pub description: RStr<'static>,
    /// `MODULE_VERSION`.
    pub version: RStr<'static>,
    /// `MODULE_IMPORT_NS`: the namespaces whose symbols the module may use.
    pub import_ns: RSlice<'static, RStr<'static>>,
    /// The parameters, in declaration order.
    pub params: RSlice<'static, ParamDesc>,
    /// The symbols the module exports.
    pub exports: RSlice<'static, ExportDesc>,
    /// The symbols the module imports.
    pub imports: RSlice<'static, ImportDesc>,
    /// `module_init`: `0`, `-errno`, or [`INIT_OOPSED`] if init panicked.
    pub init: extern "C" fn(&InitArgs) -> i32,
    /// `module_exit`.
    pub exit: extern "C" fn(),
    /// Tells the module a writable parameter changed (by index): `0` keeps the
    /// new value, `-errno` makes the host restore the old one.
    pub param_changed: extern "C" fn(u32) -> i32,
}

/// What `init` returns when it panicked (the Oops is already reported):
/// not an errno, so that a panic is told apart from an init returning `-EFAULT`.
pub const INIT_OOPSED: i32 = i32::MIN;

/// What a C module's `start` returns when a parameter's own `set` op
/// refused its value (the kernel's `parse_args` failing before init): the
/// load fails with "Invalid parameters", not as a failed init.
pub const INIT_BAD_PARAMS: i32 = i32::MIN + 1;

/// What `init` receives: the service table and the module's own handle.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct InitArgs {
    /// The kernel's services.
    pub services: KernelServicesRef,
    /// This module instance, as the host knows it; passed back on every service call.
    pub module: ModuleHandle,
}

impl core::fmt::Debug for InitArgs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InitArgs").field("module", &self.module).finish_non_exhaustive()
    }
}
