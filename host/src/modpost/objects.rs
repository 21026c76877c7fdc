//! What modpost reads from a module's object files and from the archives
//! linked after them (libkernel.a, libgcc.a).
//!
//! From a `.o` (see the kbuild contract, "What the headers put into an
//! object"):
//! - `.modinfo`: the `key=value` strings of `MODULE_LICENSE` and friends;
//! - the symbol table: what the object defines and what it leaves undefined;
//! - `.export_symbol`: for each static `__export_symbol_SYM`, the bytes
//!   `LICENSE "\0" NAMESPACE "\0"` at the symbol's offset;
//! - `.modhost_kparam`: `struct modhost_kparam_info { char name[64]; u32
//!   perm; u32 max; }` records, one per parameter;
//! - the DWARF of exported functions, for their CRCs ([`super::crc`]).
//!
//! Kernel counterpart: `scripts/mod/modpost.c` (`read_symbols`,
//! `handle_symbol`, `get_modinfo`).

use super::crc;
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind, read::archive::ArchiveFile};
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// The prefix of the static object `EXPORT_SYMBOL(sym)` emits.
const EXPORT_PREFIX: &str = "__export_symbol_";
/// The section of the export records.
const EXPORT_SECTION: &str = ".export_symbol";
/// The section of the parameter records.
const KPARAM_SECTION: &str = ".modhost_kparam";
/// `sizeof(struct modhost_kparam_info)`.
const KPARAM_SIZE: usize = 72;
/// The length of a parameter record's name field.
const KPARAM_NAME_LEN: usize = 64;

/// One `EXPORT_SYMBOL*` of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExportRecord {
    pub(crate) name: String,
    pub(crate) gpl_only: bool,
    /// `""` for none.
    pub(crate) namespace: String,
}

/// One `module_param*` of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KParam {
    pub(crate) name: String,
    pub(crate) perm: u32,
    pub(crate) max: u32,
}

/// What one relocatable object says about itself.
#[derive(Debug, Default)]
pub(crate) struct ObjectFile {
    pub(crate) modinfo: Vec<String>,
    /// Global symbols it defines.
    pub(crate) defined: BTreeSet<String>,
    /// The defined global symbols that are functions.
    pub(crate) functions: BTreeSet<String>,
    /// Symbols it defines for itself only (`static`).
    pub(crate) locals: BTreeSet<String>,
    /// Symbols it uses without defining (weak references left out).
    pub(crate) undefined: BTreeSet<String>,
    pub(crate) exports: Vec<ExportRecord>,
    pub(crate) kparams: Vec<KParam>,
    /// The canonical prototype text of each exported function its DWARF
    /// describes.
    pub(crate) prototypes: BTreeMap<String, String>,
}

impl ObjectFile {
    /// Reads the object at `path`; the error names the file.
    pub(crate) fn read(path: &Path) -> Result<ObjectFile, String> {
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let data = std::fs::read(path).map_err(|e| fail(&e))?;
        let file = object::File::parse(&*data).map_err(|e| fail(&e))?;
        let mut object = ObjectFile::default();
        object.read_symbols(&file);
        object.modinfo = strings(section(&file, ".modinfo").unwrap_or_default());
        object.exports = export_records(&file).map_err(|e| fail(&e))?;
        object.kparams = kparams(section(&file, KPARAM_SECTION).unwrap_or_default()).map_err(|e| fail(&e))?;
        let names: Vec<&str> = object.exports.iter().map(|e| e.name.as_str()).collect();
        if !names.is_empty() {
            object.prototypes = crc::prototypes(&file, &names).map_err(|e| fail(&e))?;
        }
        Ok(object)
    }

    fn read_symbols(&mut self, file: &object::File<'_>) {
        for symbol in file.symbols() {
            let Ok(name) = symbol.name() else { continue };
            if name.is_empty() || matches!(symbol.kind(), SymbolKind::Section | SymbolKind::File) {
                continue;
            }
            if symbol.is_undefined() {
                if !symbol.is_weak() {
                    self.undefined.insert(name.to_string());
                }
            } else if symbol.is_global() {
                self.defined.insert(name.to_string());
                if symbol.kind() == SymbolKind::Text {
                    self.functions.insert(name.to_string());
                }
            } else {
                self.locals.insert(name.to_string());
            }
        }
    }

    /// The first value of `key` in `.modinfo`.
    pub(crate) fn modinfo_value<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        self.modinfo_values(key).next()
    }

    /// Every value of `key` in `.modinfo`, in order.
    pub(crate) fn modinfo_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.modinfo.iter().filter_map(move |s| s.strip_prefix(key)?.strip_prefix('='))
    }
}

/// The global symbols defined by the members of the archive at `path`.
pub(crate) fn archive_symbols(path: &Path) -> Result<BTreeSet<String>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let data = std::fs::read(path).map_err(|e| fail(&e))?;
    let archive = ArchiveFile::parse(&*data).map_err(|e| fail(&e))?;
    let mut defined = BTreeSet::new();
    for member in archive.members() {
        let member = member.map_err(|e| fail(&e))?;
        let bytes = member.data(&*data).map_err(|e| fail(&e))?;
        // Archives may hold members that are not objects (a symbol index
        // the reader did not recognise, notes): they define nothing.
        let Ok(file) = object::File::parse(bytes) else { continue };
        let globals = file.symbols().filter(|s| !s.is_undefined() && s.is_global());
        defined.extend(globals.filter_map(|s| s.name().ok().map(str::to_string)));
    }
    Ok(defined)
}

fn section<'d>(file: &object::File<'d>, name: &str) -> Option<&'d [u8]> {
    file.section_by_name(name)?.data().ok()
}

/// The non-empty NUL-terminated strings of `bytes`.
fn strings(bytes: &[u8]) -> Vec<String> {
    bytes.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

/// The `__export_symbol_*` records, in the order of their offsets.
fn export_records(file: &object::File<'_>) -> Result<Vec<ExportRecord>, String> {
    let Some(section) = file.section_by_name(EXPORT_SECTION) else { return Ok(Vec::new()) };
    let data = section.data().map_err(|e| e.to_string())?;
    let mut records = Vec::new();
    for symbol in file.symbols() {
        let Some(name) = symbol.name().ok().and_then(|n| n.strip_prefix(EXPORT_PREFIX)) else { continue };
        if symbol.section_index() != Some(section.index()) {
            continue;
        }
        let at = usize::try_from(symbol.address()).map_err(|e| e.to_string())?;
        let mut fields = data.get(at..).unwrap_or_default().splitn(3, |&b| b == 0);
        let (Some(license), Some(namespace), Some(_)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("the export record of {name} is cut short"));
        };
        let record = ExportRecord {
            name: name.to_string(),
            gpl_only: license == b"GPL",
            namespace: String::from_utf8_lossy(namespace).into_owned(),
        };
        records.push((at, record));
    }
    records.sort_by_key(|(at, _)| *at);
    Ok(records.into_iter().map(|(_, r)| r).collect())
}

/// The `struct modhost_kparam_info` records of `bytes`.
fn kparams(bytes: &[u8]) -> Result<Vec<KParam>, String> {
    if !bytes.len().is_multiple_of(KPARAM_SIZE) {
        return Err(format!("{KPARAM_SECTION} is {} bytes, not a whole number of records", bytes.len()));
    }
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let records = bytes.chunks_exact(KPARAM_SIZE).map(|record| {
        let name = &record[..KPARAM_NAME_LEN];
        let len = name.iter().position(|&b| b == 0).unwrap_or(KPARAM_NAME_LEN);
        KParam {
            name: String::from_utf8_lossy(&name[..len]).into_owned(),
            perm: word(&record[KPARAM_NAME_LEN..]),
            max: word(&record[KPARAM_NAME_LEN + 4..]),
        }
    });
    Ok(records.filter(|p| !p.name.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_skip_padding() {
        assert_eq!(strings(b"license=GPL\0\0\0author=A\0"), ["license=GPL", "author=A"]);
    }

    #[test]
    fn kparam_records_are_read_in_order() {
        let mut bytes = Vec::new();
        for (name, perm, max) in [("rate", 0o644, 0), ("items", 0o444, 8)] {
            let mut record = [0u8; KPARAM_SIZE];
            record[..name.len()].copy_from_slice(name.as_bytes());
            record[64..68].copy_from_slice(&u32::to_le_bytes(perm));
            record[68..72].copy_from_slice(&u32::to_le_bytes(max));
            bytes.extend_from_slice(&record);
        }
        let params = kparams(&bytes).unwrap();
        assert_eq!(params[0], KParam { name: "rate".into(), perm: 0o644, max: 0 });
        assert_eq!(params[1], KParam { name: "items".into(), perm: 0o444, max: 8 });
        assert!(kparams(&bytes[..71]).is_err());
    }
}
