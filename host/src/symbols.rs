//! The symbol table: every symbol a loaded module exports, and its owner.
//!
//! Names are unique across all modules: a second exporter of a name is
//! refused at load. An entry points into its owner's library (the address
//! and the signature's layouts); entries are removed when the owner is
//! removed, before its library is unmapped, so they never dangle.
//!
//! Protected by `module_mutex` together with the module list.
//!
//! Kernel counterpart: the `__ksymtab` sections and `find_symbol` in
//! `kernel/module/main.c`; `/proc/kallsyms`.

use modhost_abi::symbol::{ExportDesc, Signature};
use std::collections::BTreeMap;

/// One exported symbol.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    pub(crate) name: String,
    pub(crate) owner: u64,
    pub(crate) owner_name: String,
    pub(crate) gpl_only: bool,
    pub(crate) namespace: String,
    pub(crate) signature: Signature,
    pub(crate) address: usize,
}

/// The exported symbols of all modules, by name.
#[derive(Debug, Default)]
pub(crate) struct SymbolTable {
    exports: BTreeMap<String, Export>,
}

impl SymbolTable {
    /// The export of this name, if any module exports it.
    pub(crate) fn lookup(&self, name: &str) -> Option<&Export> {
        self.exports.get(name)
    }

    /// The first of `names` that is already exported, with its owner's name
    /// (`verify_exported_symbols`).
    pub(crate) fn first_duplicate<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Option<(&'a str, &str)> {
        names.into_iter().find_map(|n| self.exports.get(n).map(|e| (n, e.owner_name.as_str())))
    }

    /// Adds a module's exports.
    pub(crate) fn export(&mut self, owner: u64, owner_name: &str, exports: &[ExportDesc]) {
        for e in exports {
            self.exports.insert(
                e.name.to_string(),
                Export {
                    name: e.name.to_string(),
                    owner,
                    owner_name: owner_name.to_string(),
                    gpl_only: e.gpl_only,
                    namespace: e.namespace.to_string(),
                    signature: e.signature,
                    address: e.address as usize,
                },
            );
        }
    }

    /// Removes every export of `owner`.
    pub(crate) fn unexport(&mut self, owner: u64) {
        self.exports.retain(|_, e| e.owner != owner);
    }

    /// Every export, by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Export> {
        self.exports.values()
    }
}
