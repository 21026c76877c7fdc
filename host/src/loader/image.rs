//! What the loader learns from a module's descriptor, whichever kind of
//! module it is: a Rust `.so` ([`ModuleInfo`]) or a kbuild `.ko`
//! ([`kmod`](super::kmod)).
//!
//! An [`Image`] is read once, after every pointer of the descriptor was
//! checked; from then on the load pipeline, symbol resolution and the
//! symbol table see one shape. Strings are host copies; only export
//! addresses, import slots and entry points point into the library, which
//! stays mapped as long as the module is loaded.
//!
//! Kernel counterpart: `struct load_info` (`kernel/module/internal.h`).

use core::{ffi::c_void, fmt, sync::atomic::AtomicPtr};
use modhost_abi::{descriptor::ModuleInfo, param::ParamValue, symbol::Signature};

use super::{Entry, modinfo::ModInfo};

/// How a symbol's prototype is versioned (modversions).
#[derive(Clone, Copy)]
pub(crate) enum SymbolVersion {
    /// A Rust module's: the layouts of its signature.
    Layout(Signature),
    /// A C module's: the CRC of its prototype; an import built without a
    /// `Module.symvers` that knew the symbol has none.
    Crc(Option<u32>),
}

impl fmt::Debug for SymbolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymbolVersion::Layout(signature) => write!(f, "{signature:?}"),
            SymbolVersion::Crc(Some(crc)) => write!(f, "CRC {crc:#010x}"),
            SymbolVersion::Crc(None) => f.write_str("no CRC"),
        }
    }
}

/// One export.
#[derive(Debug, Clone)]
pub(crate) struct ImageExport {
    pub(crate) name: String,
    pub(crate) gpl_only: bool,
    pub(crate) namespace: String,
    pub(crate) version: SymbolVersion,
    pub(crate) address: usize,
}

/// One import and the slot its address goes to.
#[derive(Debug)]
pub(crate) struct ImageImport {
    pub(crate) name: String,
    pub(crate) version: SymbolVersion,
    pub(crate) slot: &'static AtomicPtr<c_void>,
}

/// A module's descriptor, read.
#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) info: ModInfo,
    pub(crate) param_defaults: Vec<ParamValue>,
    pub(crate) entry: Entry,
    pub(crate) exports: Vec<ImageExport>,
    pub(crate) imports: Vec<ImageImport>,
}

impl Image {
    /// A Rust module's image.
    pub(crate) fn of_descriptor(desc: &'static ModuleInfo) -> Image {
        Image {
            info: ModInfo::copy(desc),
            param_defaults: desc.params.iter().map(|p| p.default_value()).collect(),
            entry: Entry { init: desc.init, exit: desc.exit, param_changed: desc.param_changed, removable: true },
            exports: desc
                .exports
                .iter()
                .map(|e| ImageExport {
                    name: e.name.to_string(),
                    gpl_only: e.gpl_only,
                    namespace: e.namespace.to_string(),
                    version: SymbolVersion::Layout(e.signature),
                    address: e.address as usize,
                })
                .collect(),
            imports: desc
                .imports
                .iter()
                .map(|i| ImageImport {
                    name: i.name.to_string(),
                    version: SymbolVersion::Layout(i.signature),
                    slot: i.slot,
                })
                .collect(),
        }
    }
}
