//! One module of a build: its name, its `.ko` path and the objects it is
//! linked from, and what they say together.
//!
//! kbuild writes `NAME.mod` beside the future `NAME.ko`: the paths of the
//! module's objects, whitespace-separated, in link order.
//!
//! Kernel counterpart: `scripts/mod/modpost.c` (`struct module`,
//! `read_symbols`).

use super::crc;
use super::objects::{ExportRecord, KParam, ObjectFile};
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

/// The symbols a module references that its `.mod.c` itself provides.
const PROVIDED_BY_MOD_C: [&str; 2] = ["__this_module", "_GLOBAL_OFFSET_TABLE_"];

/// One export of a module, with its CRC.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    pub(crate) record: ExportRecord,
    pub(crate) crc: u32,
    /// Whether the CRC covers a prototype read from DWARF (else only the name).
    pub(crate) from_dwarf: bool,
}

/// A module of this build.
#[derive(Debug)]
pub(crate) struct Module {
    /// `NAME` of `NAME.ko`, with `-` made `_`.
    pub(crate) name: String,
    pub(crate) ko: PathBuf,
    pub(crate) objects: Vec<ObjectFile>,
}

impl Module {
    /// Reads `NAME.mod` and the objects it lists.
    pub(crate) fn read(mod_file: &Path) -> Result<Module, String> {
        let list = std::fs::read_to_string(mod_file).map_err(|e| format!("{}: {e}", mod_file.display()))?;
        let base = mod_file.parent().unwrap_or(Path::new("."));
        let objects =
            list.split_whitespace().map(|o| ObjectFile::read(&base.join(o))).collect::<Result<Vec<_>, _>>()?;
        // KBUILD_MODNAME: the file's name with `-` made `_`, as the kernel does.
        let name = mod_file.file_stem().map(|s| s.to_string_lossy().replace('-', "_")).unwrap_or_default();
        Ok(Module { name, ko: mod_file.with_extension("ko"), objects })
    }

    /// The module's `NAME.o`, as the kernel names a module in messages.
    pub(crate) fn object_path(&self) -> PathBuf {
        self.ko.with_extension("o")
    }

    /// The path Module.symvers records: the `.ko` without its extension.
    pub(crate) fn symvers_path(&self) -> String {
        self.ko.with_extension("").to_string_lossy().into_owned()
    }

    /// Every value of the `.modinfo` key `key` over the objects, in order.
    pub(crate) fn modinfo_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.objects.iter().flat_map(move |o| o.modinfo_values(key))
    }

    /// `MODULE_LICENSE`, if any object says it.
    pub(crate) fn license(&self) -> Option<&str> {
        self.objects.iter().find_map(|o| o.modinfo_value("license"))
    }

    pub(crate) fn defines(&self, symbol: &str) -> bool {
        self.objects.iter().any(|o| o.defined.contains(symbol))
    }

    /// Some object defines `symbol` for itself only (`static`).
    pub(crate) fn defines_locally(&self, symbol: &str) -> bool {
        self.objects.iter().any(|o| o.locals.contains(symbol))
    }

    pub(crate) fn is_function(&self, symbol: &str) -> bool {
        self.objects.iter().any(|o| o.functions.contains(symbol))
    }

    /// The exports, in the order of the objects and of their records, each
    /// with the CRC of its prototype (of its name when no DWARF has it).
    pub(crate) fn exports(&self) -> Vec<Export> {
        let prototype = |name: &str| self.objects.iter().find_map(|o| o.prototypes.get(name));
        let records = self.objects.iter().flat_map(|o| o.exports.iter());
        records
            .map(|record| match prototype(&record.name) {
                Some(text) => Export { record: record.clone(), crc: crc::crc32(text.as_bytes()), from_dwarf: true },
                None => Export { record: record.clone(), crc: crc::crc32(record.name.as_bytes()), from_dwarf: false },
            })
            .collect()
    }

    /// The symbols the module uses that neither its objects nor the
    /// archives linked after them (`linked`) define: its imports, sorted.
    pub(crate) fn imports(&self, linked: &BTreeSet<String>) -> Vec<String> {
        let used = self.objects.iter().flat_map(|o| o.undefined.iter());
        let wanted =
            used.filter(|s| !self.defines(s) && !linked.contains(*s) && !PROVIDED_BY_MOD_C.contains(&s.as_str()));
        wanted.cloned().collect::<BTreeSet<_>>().into_iter().collect()
    }

    /// The parameters, in the order of the objects and of their records.
    pub(crate) fn kparams(&self) -> Vec<KParam> {
        self.objects.iter().flat_map(|o| o.kparams.iter().cloned()).collect()
    }

    /// `init_module` (what `module_init` defines) is in the module.
    pub(crate) fn has_init(&self) -> bool {
        self.defines("init_module")
    }

    /// `cleanup_module` (what `module_exit` defines) is in the module.
    pub(crate) fn has_exit(&self) -> bool {
        self.defines("cleanup_module")
    }
}
