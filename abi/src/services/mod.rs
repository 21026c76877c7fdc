//! The kernel's services: one versioned table of functions the host hands to
//! every module, and the safe handles and macros modules use over it.
//!
//! [`KernelServices`] is an abi_stable prefix type: the host may add fields
//! at the end in later versions, and a module built against an older table
//! keeps working. Every call carries the caller's [`ModuleHandle`], so the
//! host knows which module owns what it creates and whom to blame in dmesg.
//!
//! Modules do not touch the table: they use `pr_info!` and friends, the
//! parameter accessors `module!` generates, and the handles in this folder.
//!
//! Kernel counterpart: the exported core kernel API modules link against.

pub mod printk;

use abi_stable::{
    StableAbi,
    std_types::RStr,
};

use crate::{descriptor::ModuleHandle, param::ParamValue};

/// The table of kernel services; see the module docs.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = KernelServicesRef)))]
#[sabi(missing_field(panic))]
pub struct KernelServices {
    /// `printk`: logs one message at a level (0 `KERN_EMERG` .. 7 `KERN_DEBUG`).
    pub printk: extern "C" fn(ModuleHandle, u8, RStr<'_>),
    /// Reports a panic in module code as an Oops: dmesg lines and taint `D`.
    pub oops: extern "C" fn(ModuleHandle, RStr<'_>),
    /// The module instance's name, valid while it is loaded.
    pub module_name: extern "C" fn(ModuleHandle) -> RStr<'static>,
    /// The current value of the parameter at this index.
    pub param_get: extern "C" fn(ModuleHandle, u32) -> ParamValue,
    /// `try_module_get`: takes a reference on the module; `false` once it is going.
    pub module_get: extern "C" fn(ModuleHandle) -> bool,
    /// `module_put`: drops a reference taken with `module_get`.
    ///
    /// This is the last field of the first version of the table: fields added
    /// later go below it, and a module reading one from an older host gets a
    /// clear panic instead of undefined behaviour.
    #[sabi(last_prefix_field)]
    pub module_put: extern "C" fn(ModuleHandle),
}

impl core::fmt::Debug for KernelServices {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KernelServices { .. }")
    }
}
