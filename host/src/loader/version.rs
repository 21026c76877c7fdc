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
//! unmapped.
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

use super::library::vermagic_of;

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
pub(crate) fn check_header(header: Option<&ModuleHeader>) -> Result<&ModuleInfo, HeaderError> {
    let header = header.ok_or(HeaderError::NotAModule)?;
    if header.magic != MAGIC {
        return Err(HeaderError::NotAModule);
    }
    // SAFETY: The magic matched, so `vermagic` is the ABI's version string.
    let vermagic = unsafe { vermagic_of(header) };
    if vermagic != VERMAGIC {
        return Err(HeaderError::VersionMagic { found: vermagic.to_string_lossy().into_owned() });
    }
    layouts_match(<ModuleInfo as StableAbi>::LAYOUT, header.layout).map_err(|detail| HeaderError::Layout { detail })?;
    Ok(header.info)
}

/// The host's version magic, for messages.
pub(crate) fn host_vermagic() -> String {
    VERMAGIC.to_string_lossy().into_owned()
}

/// Compares an importer's signature (expected) with an exporter's (found).
pub(crate) fn signatures_match(expected: &Signature, found: &Signature) -> Result<(), String> {
    if expected.params.len() != found.params.len() {
        return Err(format!(
            "{} parameters expected, {} exported",
            expected.params.len(),
            found.params.len()
        ));
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
        let mismatch = text
            .lines()
            .map(str::trim)
            .skip_while(|l| !l.starts_with("Error:"))
            .take(5)
            .collect::<Vec<_>>()
            .join(" ");
        if mismatch.is_empty() { "incompatible layout".to_string() } else { mismatch }
    })
}
