//! The symbol table: every symbol a loaded module exports, and its owner.
//!
//! Names are unique across all modules: a second exporter of a name is
//! refused at load. An entry points into its owner's library (the address
//! and the signature's layouts); entries are removed when the owner is
//! removed, before its library is unmapped, so they never dangle.
//!
//! Protected by `module_mutex` together with the module list.
//!
//! [`Kernel::symbol_get`](crate::Kernel::symbol_get) lets code outside any
//! module (a benchmark, a test) call an export, holding a reference on its
//! module meanwhile.
//!
//! Kernel counterpart: the `__ksymtab` sections and `find_symbol` in
//! `kernel/module/main.c`; `symbol_get`/`symbol_put`; `/proc/kallsyms`.

use crate::loader::image::{ImageExport, SymbolVersion};
use std::collections::BTreeMap;

/// One exported symbol.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    pub(crate) name: String,
    pub(crate) owner: u64,
    pub(crate) owner_name: String,
    pub(crate) gpl_only: bool,
    pub(crate) namespace: String,
    pub(crate) version: SymbolVersion,
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
    pub(crate) fn export(&mut self, owner: u64, owner_name: &str, exports: &[ImageExport]) {
        for e in exports {
            self.exports.insert(
                e.name.clone(),
                Export {
                    name: e.name.clone(),
                    owner,
                    owner_name: owner_name.to_string(),
                    gpl_only: e.gpl_only,
                    namespace: e.namespace.clone(),
                    version: e.version,
                    address: e.address,
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

/// A reference to an exported symbol, held by code outside any module (a
/// benchmark, a test): the exporting module cannot be unloaded while it is
/// held. Dropping it is `symbol_put`.
pub struct SymbolRef {
    name: String,
    address: usize,
    owner: std::sync::Arc<crate::loader::Module>,
}

impl SymbolRef {
    /// The symbol's address: an `extern "C"` function of the exporter's signature.
    pub fn address(&self) -> usize {
        self.address
    }

    /// The exporting module's name.
    pub fn owner(&self) -> &str {
        self.owner.name()
    }

    /// The symbol's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for SymbolRef {
    fn drop(&mut self) {
        self.owner.put();
    }
}

impl std::fmt::Debug for SymbolRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SymbolRef({} at {:#x} in {})", self.name, self.address, self.owner.name())
    }
}

impl crate::kernel::Kernel {
    /// `symbol_get`: looks an exported symbol up and takes a reference on its
    /// module, so that it stays loaded until the reference is dropped.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownSymbol`](crate::ErrorKind::UnknownSymbol) if no
    /// live module exports it.
    pub fn symbol_get(&self, name: &str) -> crate::Result<SymbolRef> {
        let modules = self.inner.modules.lock();
        let unknown = || {
            crate::Error::new(
                crate::ErrorKind::UnknownSymbol,
                modhost_abi::errno::Errno::ENOENT,
                name,
                "no such symbol",
            )
        };
        let export = modules.symbols.lookup(name).ok_or_else(unknown)?;
        let owner = modules.by_id(export.owner).cloned().ok_or_else(unknown)?;
        if owner.state() != crate::loader::ModuleState::Live || !owner.try_get() {
            return Err(unknown());
        }
        Ok(SymbolRef { name: name.to_string(), address: export.address, owner })
    }
}
