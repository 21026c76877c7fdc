//! Symbol resolution: binding a new module's imports to other modules' exports.
//!
//! For each import, in the kernel's order (`resolve_symbol`):
//! 1. find the export; a module that is not GPL-compatible does not see
//!    GPL-only exports at all, so for it they are simply unknown;
//! 2. inherit the proprietary taint from a proprietary exporter, or refuse
//!    if the importer also uses GPL-only symbols;
//! 3. compare signatures (our modversions);
//! 4. check that the symbol's namespace is imported;
//! 5. if the exporter is still running its init, wait for it.
//!
//! Every failure is reported (`Unknown symbol X (err N)`), then the load
//! fails with the last error, as `simplify_symbols` does. Nothing is
//! recorded until every import resolved.
//!
//! Kernel counterpart: `simplify_symbols`, `resolve_symbol`,
//! `inherit_taint`, `verify_namespace_is_imported` in `kernel/module/main.c`;
//! `check_version` in `kernel/module/version.c`.

use modhost_abi::errno::Errno;

use super::{
    ModuleState, Modules,
    image::{Image, SymbolVersion},
    library::FileId,
    version,
};
use crate::services::printk::Level;

/// One resolved import: where to write, what, and whose it is.
#[derive(Debug)]
pub(crate) struct Binding {
    pub(crate) import: usize,
    pub(crate) address: usize,
    pub(crate) owner: u64,
}

/// The outcome of resolving a module's imports.
#[derive(Debug)]
pub(crate) enum Resolution {
    /// Every import resolved.
    Resolved { bindings: Vec<Binding>, inherit_proprietary: bool },
    /// An exporter is still in its init: wait for it, then try again.
    Wait { owner: String },
    /// Some imports failed; `errno` is the last failure's.
    Failed { errno: Errno, symbols: Vec<String> },
}

/// A line for dmesg.
pub(crate) type Message = (Level, String);

/// Resolves `info`'s imports for the module `name` against the loaded modules.
pub(crate) fn resolve(
    modules: &Modules,
    name: &str,
    file: FileId,
    info: &Image,
    gpl_ok: bool,
    log: &mut Vec<Message>,
) -> Resolution {
    let uses_gpl_only = info.imports.iter().any(|i| modules.symbols.lookup(&i.name).is_some_and(|e| e.gpl_only));
    let mut bindings = Vec::new();
    let mut failed = Vec::new();
    let mut last_errno = Errno::ENOENT;
    let mut inherit_proprietary = false;
    for (index, import) in info.imports.iter().enumerate() {
        let symbol = import.name.as_str();
        let importer = Importer { name, file, info, gpl_ok, uses_gpl_only };
        let outcome = resolve_one(modules, &importer, symbol, &import.version, log);
        match outcome {
            Ok((export_owner, address, proprietary_owner)) => {
                inherit_proprietary |= proprietary_owner;
                bindings.push(Binding { import: index, address, owner: export_owner });
            }
            Err(Failure::Wait(owner)) => return Resolution::Wait { owner },
            Err(Failure::Errno(errno)) => {
                log.push((Level::Warning, format!("{name}: Unknown symbol {symbol} (err {})", errno.to_kernel())));
                last_errno = errno;
                failed.push(symbol.to_string());
            }
        }
    }
    if failed.is_empty() {
        Resolution::Resolved { bindings, inherit_proprietary }
    } else {
        Resolution::Failed { errno: last_errno, symbols: failed }
    }
}

enum Failure {
    Errno(Errno),
    Wait(String),
}

/// The module whose imports are being resolved.
struct Importer<'a> {
    name: &'a str,
    file: FileId,
    info: &'a Image,
    gpl_ok: bool,
    uses_gpl_only: bool,
}

/// Resolves one symbol: `(owner id, address, owner is proprietary)`.
fn resolve_one(
    modules: &Modules,
    importer: &Importer<'_>,
    symbol: &str,
    expected: &SymbolVersion,
    log: &mut Vec<Message>,
) -> Result<(u64, usize, bool), Failure> {
    let Importer { name, info, gpl_ok, uses_gpl_only, .. } = *importer;
    let export =
        modules.symbols.lookup(symbol).filter(|e| gpl_ok || !e.gpl_only).ok_or(Failure::Errno(Errno::ENOENT))?;
    let owner = modules.by_id(export.owner).ok_or(Failure::Errno(Errno::ENOENT))?;

    let proprietary_owner = !owner.gpl_compatible;
    if proprietary_owner && uses_gpl_only {
        log.push((
            Level::Err,
            format!(
                "{name}: module using GPL-only symbols uses symbols {symbol} from proprietary module {}.",
                owner.name
            ),
        ));
        return Err(Failure::Errno(Errno::ENOENT));
    }
    if proprietary_owner && gpl_ok {
        log.push((
            Level::Warning,
            format!("{name}: module uses symbols {symbol} from proprietary module {}, inheriting taint.", owner.name),
        ));
    }

    match version::symbol_matches(importer.file, owner.file_id, symbol, expected, &export.version) {
        Ok(version::Versions::Match) => {}
        Ok(version::Versions::Unversioned) => {
            log.push((Level::Warning, format!("{name}: no symbol version for {symbol}")));
        }
        Err(detail) => {
            log.push((Level::Warning, format!("{name}: disagrees about version of symbol {symbol}")));
            log.push((
                Level::Debug,
                format!(
                    "{name}: {symbol}: built against {expected:?}, {} exports {:?}: {detail}",
                    owner.name, export.version
                ),
            ));
            return Err(Failure::Errno(Errno::EINVAL));
        }
    }

    if !export.namespace.is_empty() && !info.info.import_ns.iter().any(|ns| ns.as_str() == export.namespace) {
        log.push((
            Level::Err,
            format!(
                "{name}: module uses symbol ({symbol}) from namespace {}, but does not import it.",
                export.namespace
            ),
        ));
        return Err(Failure::Errno(Errno::EINVAL));
    }

    match owner.state() {
        ModuleState::Coming | ModuleState::Unformed => Err(Failure::Wait(owner.name().to_string())),
        ModuleState::Going | ModuleState::Gone => Err(Failure::Errno(Errno::ENOENT)),
        ModuleState::Live => Ok((export.owner, export.address, proprietary_owner)),
    }
}
