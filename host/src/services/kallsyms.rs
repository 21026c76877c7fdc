//! The symbols of the loaded modules' code, for `%pS`, `dump_stack` and
//! reports: an address becomes `whee+0x2d/0x80 [slpy_wq]`.
//!
//! The loader reads each module's ELF symbol table from its private copy
//! (never from the module's memory) and [adds](Kallsyms::add) the
//! module's functions and objects here, with where they are mapped; it
//! [removes](Kallsyms::remove) them before the code is unmapped.
//!
//! Locking: one read-write lock, taken only to copy a name out.
//!
//! Kernel counterpart: `kernel/kallsyms.c`, `kernel/module/kallsyms.c`
//! (`sprint_symbol`, `lookup_module_symbol_name`).

use parking_lot::RwLock;
use std::{ops::Range, sync::Arc};

/// One symbol: its offset from the module's load bias, its size, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Symbol {
    pub(crate) start: usize,
    pub(crate) size: usize,
    pub(crate) name: String,
}

#[derive(Debug)]
struct ModuleSymbols {
    module: Arc<str>,
    base: usize,
    mapped: Range<usize>,
    symbols: Table,
}

/// A module image's symbols, in lookup order: see [`Table::new`]. Shared
/// by every instance of the same image.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table(Arc<[Symbol]>);

impl Table {
    /// The symbols sorted by `start`. At one address the alias
    /// `module_init`/`module_exit` make sorts first, so that a lookup (the
    /// last symbol at or below) finds the function's own name.
    pub(crate) fn new(mut symbols: Vec<Symbol>) -> Table {
        symbols.sort_by_key(|s| (s.start, !matches!(s.name.as_str(), "init_module" | "cleanup_module")));
        Table(symbols.into())
    }
}

impl std::ops::Deref for Table {
    type Target = [Symbol];

    fn deref(&self) -> &[Symbol] {
        &self.0
    }
}

/// Every loaded module's symbols.
#[derive(Debug, Default)]
pub(crate) struct Kallsyms {
    modules: RwLock<Vec<ModuleSymbols>>,
}

/// Where an address is: a symbol of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) module: Arc<str>,
    pub(crate) name: String,
    pub(crate) offset: usize,
    pub(crate) size: usize,
}

impl Location {
    /// `name+0x1c/0x80 [module]`, or `name [module]` without the offset;
    /// a Rust module's mangled name is shown demangled, cut to its last two
    /// path segments (`oopsmod::write_null`).
    pub(crate) fn format(&self, offset: bool) -> String {
        let name = crate::debug::hostsyms::short_name(&self.name);
        if offset {
            format!("{name}+{:#x}/{:#x} [{}]", self.offset, self.size, self.module)
        } else {
            format!("{name} [{}]", self.module)
        }
    }
}

impl Kallsyms {
    /// Adds `module`'s symbols (offsets from `base`), mapped at `mapped`.
    pub(crate) fn add(&self, module: &Arc<str>, base: usize, mapped: Range<usize>, symbols: Table) {
        self.modules.write().push(ModuleSymbols { module: Arc::clone(module), base, mapped, symbols });
    }

    /// Removes the symbols of the module mapped at `base`.
    pub(crate) fn remove(&self, base: usize) {
        self.modules.write().retain(|m| m.base != base);
    }

    /// The symbol holding `address`, if a module's code or data does.
    pub(crate) fn lookup(&self, address: usize) -> Option<Location> {
        let modules = self.modules.read();
        let (module, symbol, offset, size) = locate(&modules, address)?;
        Some(Location { module: Arc::clone(&module.module), name: symbol.name.clone(), offset, size })
    }

    /// The symbol holding the call that `address`, a return address,
    /// returns from (a call may be a function's last instruction), with
    /// the offset of `address` itself.
    pub(crate) fn lookup_return(&self, address: usize) -> Option<Location> {
        let mut location = self.lookup(address.checked_sub(1)?)?;
        location.offset += 1;
        Some(location)
    }

    /// Calls `found` with the module, symbol name, offset and size of
    /// `address`, without waiting for the lock or allocating: for the panic
    /// paths, which run while any lock may be held. `None` if the lock is
    /// taken or no module holds `address`.
    pub(crate) fn try_lookup_with<R>(
        &self,
        address: usize,
        found: impl FnOnce(&str, &str, usize, usize) -> R,
    ) -> Option<R> {
        let modules = self.modules.try_read()?;
        let (module, symbol, offset, size) = locate(&modules, address)?;
        Some(found(&module.module, &symbol.name, offset, size))
    }

    /// `sprint_symbol`: the symbol, or the address in hex.
    pub(crate) fn sprint(&self, address: usize, offset: bool) -> String {
        match self.lookup(address) {
            Some(location) => location.format(offset),
            None => format!("{address:#x}"),
        }
    }
}

/// The module and symbol holding `address`, with the offset in the symbol
/// and its size.
fn locate(modules: &[ModuleSymbols], address: usize) -> Option<(&ModuleSymbols, &Symbol, usize, usize)> {
    let module = modules.iter().find(|m| m.mapped.contains(&address))?;
    let offset = address - module.base;
    let index = module.symbols.partition_point(|s| s.start <= offset).checked_sub(1)?;
    let symbol = &module.symbols[index];
    // A size-less symbol (an assembler label) reaches up to the next one.
    let size = match symbol.size {
        0 => module.symbols.get(index + 1).map_or(1, |next| next.start - symbol.start),
        size => size,
    };
    (offset < symbol.start + size).then_some((module, symbol, offset - symbol.start, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol(start: usize, size: usize, name: &str) -> Symbol {
        Symbol { start, size, name: name.to_string() }
    }

    #[test]
    fn addresses_name_their_symbol_module_and_offset() {
        let kallsyms = Kallsyms::default();
        let name: Arc<str> = Arc::from("slpy_wq");
        let symbols =
            vec![symbol(0x200, 0x80, "whee"), symbol(0x100, 0x40, "hello_init"), symbol(0x100, 0x40, "init_module")];
        kallsyms.add(&name, 0x1000, 0x1000..0x9000, Table::new(symbols));
        assert_eq!(kallsyms.sprint(0x1000 + 0x104, true), "hello_init+0x4/0x40 [slpy_wq]");
        assert_eq!(kallsyms.sprint(0x1000 + 0x22d, true), "whee+0x2d/0x80 [slpy_wq]");
        assert_eq!(kallsyms.sprint(0x1000 + 0x200, false), "whee [slpy_wq]");
        assert_eq!(kallsyms.sprint(0x1000 + 0x150, true), "0x1150");
        assert_eq!(kallsyms.sprint(0x42, true), "0x42");
        let found = kallsyms.try_lookup_with(0x1000 + 0x22d, |m, n, o, s| format!("{n}+{o:#x}/{s:#x} [{m}]"));
        assert_eq!(found.as_deref(), Some("whee+0x2d/0x80 [slpy_wq]"));
        kallsyms.remove(0x1000);
        assert_eq!(kallsyms.lookup(0x1000 + 0x22d), None);
    }
}
