//! Version checks: the module's vermagic, its descriptor's layout, and the
//! signatures of the symbols it imports.
//!
//! The kernel refuses a `.ko` whose `vermagic` differs from its own and one
//! whose `module_layout` CRC differs (`Invalid module format`), and a symbol
//! whose CRC differs between exporter and importer (`disagrees about version
//! of symbol`). modhost does the same with the version magic string and with
//! abi_stable `TypeLayout`s, which describe a type down to every field.
//!
//! Layout checks use a fresh set of checking globals each time: abi_stable's
//! process-wide cache would keep pointers into libraries that are later
//! unmapped. A full check walks every type reachable from the descriptor,
//! which costs more than `dlopen` itself, so a successful check is
//! remembered by the identity of the files involved (device, inode, size,
//! modification time): loading the same unchanged file again, or another
//! instance of it, skips the walk; a rebuilt file is checked afresh.
//!
//! Kernel counterpart: `kernel/module/version.c`, `check_modinfo` in
//! `kernel/module/main.c`.

use abi_stable::{
    StableAbi,
    abi_stability::abi_checking::{CheckingGlobals, check_layout_compatibility_with_globals},
    type_layout::TypeLayout,
};
use modhost_abi::{
    descriptor::{MAGIC, ModuleHeader, ModuleInfo, VERMAGIC},
    symbol::Signature,
};

use parking_lot::Mutex;
use std::collections::HashSet;

use super::library::{FileId, vermagic_of};

/// A check that passed once and need not be repeated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Verified {
    /// The descriptor layout of this file.
    Descriptor(FileId),
    /// This symbol as imported by one file from another.
    Symbol { importer: FileId, exporter: FileId, symbol: String },
}

static VERIFIED: Mutex<Option<HashSet<Verified>>> = Mutex::new(None);

fn is_verified(key: &Verified) -> bool {
    VERIFIED.lock().as_ref().is_some_and(|set| set.contains(key))
}

fn remember(key: Verified) {
    VERIFIED.lock().get_or_insert_with(HashSet::new).insert(key);
}

/// Why a library is not a module this host can load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// No `__this_module`, or not ours.
    NotAModule,
    /// Built for another ABI or with `panic = "abort"`.
    VersionMagic { found: String },
    /// Same version magic, different descriptor layout.
    Layout { detail: String },
}

/// Checks a library's header in the ABI's fixed order and returns its
/// descriptor.
pub(crate) fn check_header(header: Option<&ModuleHeader>, file: FileId) -> Result<&ModuleInfo, HeaderError> {
    let header = header.ok_or(HeaderError::NotAModule)?;
    if header.magic != MAGIC {
        return Err(HeaderError::NotAModule);
    }
    // SAFETY: The magic matched, so `vermagic` is the ABI's version string.
    let vermagic = unsafe { vermagic_of(header) };
    if vermagic != VERMAGIC {
        return Err(HeaderError::VersionMagic { found: vermagic.to_string_lossy().into_owned() });
    }
    let key = Verified::Descriptor(file);
    if !is_verified(&key) {
        layouts_match(<ModuleInfo as StableAbi>::LAYOUT, header.layout)
            .map_err(|detail| HeaderError::Layout { detail })?;
        remember(key);
    }
    Ok(header.info)
}

/// The host's version magic, for messages.
pub(crate) fn host_vermagic() -> String {
    VERMAGIC.to_string_lossy().into_owned()
}

/// Compares the signature `importer` was built against (expected) with the
/// one `exporter` exports (found).
pub(crate) fn symbol_matches(
    importer: FileId,
    exporter: FileId,
    symbol: &str,
    expected: &Signature,
    found: &Signature,
) -> Result<(), String> {
    let key = Verified::Symbol { importer, exporter, symbol: symbol.to_string() };
    if is_verified(&key) {
        return Ok(());
    }
    signatures_match(expected, found)?;
    remember(key);
    Ok(())
}

fn signatures_match(expected: &Signature, found: &Signature) -> Result<(), String> {
    if expected.params.len() != found.params.len() {
        return Err(format!("{} parameters expected, {} exported", expected.params.len(), found.params.len()));
    }
    for (i, (e, f)) in expected.params.iter().zip(found.params.iter()).enumerate() {
        layouts_match(e, f).map_err(|detail| format!("parameter {}: {detail}", i + 1))?;
    }
    layouts_match(expected.ret, found.ret).map_err(|detail| format!("return type: {detail}"))
}

/// abi_stable's layout comparison, reduced to its first error line.
fn layouts_match(expected: &'static TypeLayout, found: &'static TypeLayout) -> Result<(), String> {
    check_layout_compatibility_with_globals(expected, found, &CheckingGlobals::new()).map_err(|errors| {
        let text = errors.to_string();
        let mismatch =
            text.lines().map(str::trim).skip_while(|l| !l.starts_with("Error:")).take(5).collect::<Vec<_>>().join(" ");
        if mismatch.is_empty() { "incompatible layout".to_string() } else { mismatch }
    })
}
