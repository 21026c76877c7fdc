//! Exported and imported symbols: the ksymtab and the import slots.
//!
//! A module exports functions by name (`EXPORT_SYMBOL`, `EXPORT_SYMBOL_GPL`,
//! optionally in a namespace) and imports functions other modules export.
//! The host resolves every import before `init` runs and writes the
//! exporter's address into the importer's [`ImportSlot`]; from then on a call
//! is a plain indirect call, with no host in the way.
//!
//! Every symbol carries its [`Signature`]: the `TypeLayout` of each parameter
//! and of the return type. The host compares importer and exporter layouts at
//! resolution (our modversions); a mismatch is the kernel's
//! `disagrees about version of symbol`.
//!
//! Kernel counterpart: `include/linux/export.h`, `kernel/module/version.c`.

use abi_stable::{
    StableAbi,
    std_types::{RSlice, RStr},
    type_layout::TypeLayout,
};
use core::{
    ffi::c_void,
    fmt,
    marker::PhantomData,
    mem,
    sync::atomic::{AtomicPtr, Ordering},
};

use crate::errno::Errno;

/// The layouts of a function's parameters and return type.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct Signature {
    /// One layout per parameter, in order.
    pub params: RSlice<'static, &'static TypeLayout>,
    /// The layout of the return type (`()` when there is none).
    pub ret: &'static TypeLayout,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self.params.iter().map(|l| l.full_type().to_string()).collect();
        write!(f, "fn({}) -> {}", params.join(", "), self.ret.full_type())
    }
}

/// One entry of a module's export table (a `kernel_symbol`).
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct ExportDesc {
    /// The symbol name, unique among all loaded modules.
    pub name: RStr<'static>,
    /// `EXPORT_SYMBOL_GPL`: only modules with a GPL-compatible license see it.
    pub gpl_only: bool,
    /// The namespace (`EXPORT_SYMBOL_NS`), empty for none.
    pub namespace: RStr<'static>,
    /// The function's signature.
    pub signature: Signature,
    /// The `extern "C"` entry point.
    pub address: *const c_void,
}

// SAFETY: An export descriptor is immutable static data; the address is only
// ever read, never dereferenced as data.
unsafe impl Sync for ExportDesc {}
// SAFETY: As for `Sync`: nothing in it is tied to a thread.
unsafe impl Send for ExportDesc {}

impl ExportDesc {
    /// Describes an export; `module!` builds these.
    pub const fn new(
        name: &'static str,
        gpl_only: bool,
        namespace: &'static str,
        signature: Signature,
        address: *const c_void,
    ) -> Self {
        ExportDesc { name: RStr::from_str(name), gpl_only, namespace: RStr::from_str(namespace), signature, address }
    }
}

/// Where the host writes the address of an imported function.
///
/// # Invariants
///
/// The slot is null until the host resolves it. The host writes only the
/// address of an exported function whose [`Signature`] matched the one the
/// module declared with this slot in its [`ImportDesc`], so a non-null value is
/// a valid `F`. The module's exported descriptor vouches that `F` is the
/// function pointer type that signature describes (see `module!`).
#[repr(transparent)]
pub struct ImportSlot<F> {
    address: AtomicPtr<c_void>,
    _fn: PhantomData<F>,
}

impl<F: Copy> ImportSlot<F> {
    /// An unresolved slot.
    pub const fn new() -> Self {
        assert!(mem::size_of::<F>() == mem::size_of::<*const c_void>(), "an import is a function pointer");
        ImportSlot { address: AtomicPtr::new(core::ptr::null_mut()), _fn: PhantomData }
    }

    /// The resolved function.
    ///
    /// # Panics
    ///
    /// If the host has not resolved the slot, which it always does before
    /// `init`; only code running outside the host (a unit test of the
    /// module's rlib) can see this.
    pub fn get(&self, name: &str) -> F {
        let address = self.address.load(Ordering::Acquire);
        assert!(!address.is_null(), "{name}: unresolved import");
        // SAFETY: By the type's invariant a non-null address is a valid `F`,
        // and `new` checked that `F` is pointer-sized.
        unsafe { mem::transmute_copy::<*mut c_void, F>(&address) }
    }
}

impl<F: Copy> Default for ImportSlot<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> fmt::Debug for ImportSlot<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportSlot({:p})", self.address.load(Ordering::Relaxed))
    }
}

/// One entry of a module's import table (an undefined symbol in a `.ko`).
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct ImportDesc {
    /// The symbol to resolve.
    pub name: RStr<'static>,
    /// The signature the importer was built against.
    pub signature: Signature,
    /// The importer's slot for the address.
    pub slot: &'static AtomicPtr<c_void>,
}

impl ImportDesc {
    /// Describes an import; `module!` builds these.
    pub const fn new<F>(name: &'static str, signature: Signature, slot: &'static ImportSlot<F>) -> Self {
        ImportDesc { name: RStr::from_str(name), signature, slot: &slot.address }
    }
}

/// What an exported function returns to its caller when its body panicked.
///
/// The panic itself is reported as an Oops in dmesg; the caller, which
/// cannot be killed the way the kernel kills the task, gets this value.
pub trait OopsValue {
    /// The value for a call that oopsed.
    fn oops() -> Self;
}

impl OopsValue for () {
    fn oops() -> Self {}
}

impl OopsValue for bool {
    /// `false`: the operation did not happen.
    fn oops() -> Self {
        false
    }
}

impl OopsValue for Errno {
    /// `EFAULT`, the kernel's word for a call that hit a bad address.
    fn oops() -> Self {
        Errno::EFAULT
    }
}

macro_rules! oops_values {
    (signed: $($s:ty),*; unsigned: $($u:ty),*) => {
        $(impl OopsValue for $s {
            /// `-EFAULT`, in the kernel's `0`/`-errno` convention.
            fn oops() -> Self {
                Errno::EFAULT.to_kernel() as $s
            }
        })*
        $(impl OopsValue for $u {
            /// Zero: an unsigned result has no room for an error.
            fn oops() -> Self {
                0
            }
        })*
    };
}

oops_values!(signed: i8, i16, i32, i64, isize; unsigned: u8, u16, u32, u64, usize);

impl<T> OopsValue for abi_stable::std_types::ROption<T> {
    fn oops() -> Self {
        abi_stable::std_types::RNone
    }
}

impl<T, E: OopsValue> OopsValue for abi_stable::std_types::RResult<T, E> {
    fn oops() -> Self {
        abi_stable::std_types::RErr(E::oops())
    }
}
