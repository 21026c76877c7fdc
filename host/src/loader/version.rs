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
//! remembered by the identity of the content involved ([`FileId`]: the
//! unchanged file, device, inode, size, modification and change time, or a
//! copy of its own for a file changed too recently to tell): loading the
//! same unchanged file again, or another instance of it, skips the walk; a
//! rebuilt file is checked afresh. A copy of its own is forgotten here when
//! it goes away.
//!
//! Every pointer of the header is bounded ([`Header`]) before it is
//! followed: the version magic before it is compared, the layout before
//! abi_stable walks it, the whole descriptor before it is returned. The
//! walk itself, which follows the module's layout graph below what can be
//! bounded, runs in a child process ([`isolate`]): a corrupted graph is a
//! refused module, not a crashed host.
//!
//! Kernel counterpart: `kernel/module/version.c`, `check_modinfo` in
//! `kernel/module/main.c`.

use abi_stable::{
    StableAbi,
    abi_stability::abi_checking::{CheckingGlobals, check_layout_compatibility_with_globals},
    type_layout::TypeLayout,
};
use modhost_abi::{
    descriptor::{MAGIC, ModuleInfo, VERMAGIC},
    kmod::KBUILD_VERMAGIC,
    symbol::Signature,
};

use parking_lot::Mutex;
use std::collections::HashSet;

use super::{descriptor::Header, image::SymbolVersion, isolate, library::FileId};

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

/// Forgets every check that involved `file`, a copy of its own that went away.
pub(crate) fn forget(file: FileId) {
    if let Some(set) = VERIFIED.lock().as_mut() {
        set.retain(|key| match key {
            Verified::Descriptor(id) => *id != file,
            Verified::Symbol { importer, exporter, .. } => *importer != file && *exporter != file,
        });
    }
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
    /// A pointer of the descriptor outside the module, or a field of an
    /// invalid value: what was wrong.
    Malformed { detail: String },
}

/// A checked header: which kind of module it describes.
#[derive(Debug)]
pub(crate) enum Descriptor<'lib> {
    /// A Rust module's, every pointer inside the library.
    Rust(&'lib ModuleInfo),
    /// A kbuild C module's `__this_module`, at this address; its fields
    /// are checked as they are read (`kmod`).
    Kbuild(usize),
}

/// Checks a library's header in the ABI's fixed order and returns its
/// descriptor.
pub(crate) fn check_header(header: Option<Header<'_>>, file: FileId) -> Result<Descriptor<'_>, HeaderError> {
    let header = header.ok_or(HeaderError::NotAModule)?;
    if header.magic() != MAGIC {
        return Err(HeaderError::NotAModule);
    }
    let malformed = |detail| HeaderError::Malformed { detail };
    let vermagic = header.vermagic().map_err(malformed)?;
    if vermagic == KBUILD_VERMAGIC {
        return Ok(Descriptor::Kbuild(header.address()));
    }
    if vermagic != VERMAGIC {
        return Err(HeaderError::VersionMagic { found: vermagic.to_string_lossy().into_owned() });
    }
    let key = Verified::Descriptor(file);
    if !is_verified(&key) {
        let layout = header.layout().map_err(malformed)?;
        isolate::in_child(|| layouts_match(<ModuleInfo as StableAbi>::LAYOUT, layout))
            .map_err(|detail| HeaderError::Layout { detail })?;
        remember(key);
    }
    header.info().map(Descriptor::Rust).map_err(malformed)
}

/// The host's version magic, for messages.
pub(crate) fn host_vermagic() -> String {
    VERMAGIC.to_string_lossy().into_owned()
}

/// The host's version magic for the kind of module whose magic is
/// `found`: a kbuild `.ko`'s, or a Rust module's.
pub(crate) fn host_vermagic_for(found: &str) -> String {
    let kbuild = KBUILD_VERMAGIC.to_string_lossy();
    if found.ends_with(" kbuild") { kbuild.into_owned() } else { host_vermagic() }
}

/// How an import's version compares with its export's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Versions {
    /// The same prototype.
    Match,
    /// The importer was built without the exporter's CRC (no
    /// `Module.symvers` knew it): accepted with the kernel's warning.
    Unversioned,
}

/// Whether the export `found` of `exporter` has the version `expected`
/// that `importer` was built against: the layouts of a Rust signature
/// (compared in a child process, then remembered per file pair), the CRC of
/// a C prototype. A Rust signature and a C prototype cannot be compared:
/// a C import without a CRC is taken on trust, with the kernel's warning.
pub(crate) fn symbol_matches(
    importer: FileId,
    exporter: FileId,
    symbol: &str,
    expected: &SymbolVersion,
    found: &SymbolVersion,
) -> Result<Versions, String> {
    match (expected, found) {
        (SymbolVersion::Layout(expected), SymbolVersion::Layout(found)) => {
            let key = Verified::Symbol { importer, exporter, symbol: symbol.to_string() };
            if !is_verified(&key) {
                isolate::in_child(|| signatures_match(expected, found))?;
                remember(key);
            }
            Ok(Versions::Match)
        }
        // A C module built without its exporter's Module.symvers, whatever
        // the exporter (a Rust module has none to give).
        (SymbolVersion::Crc(None), _) => Ok(Versions::Unversioned),
        (SymbolVersion::Crc(Some(expected)), SymbolVersion::Crc(Some(found))) if expected == found => {
            Ok(Versions::Match)
        }
        (SymbolVersion::Crc(Some(expected)), SymbolVersion::Crc(found)) => Err(format!(
            "CRC {expected:#010x} expected, {} exported",
            found.map_or("none".to_string(), |c| format!("{c:#010x}"))
        )),
        _ => Err("a C prototype and a Rust signature cannot be compared".to_string()),
    }
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
