//! modpost: the step of a kbuild build between compiling a module's objects
//! and linking its `.ko` (`modhost modpost`, run by `kbuild/Makefile`).
//!
//! For each module of the build (a `NAME.mod` file listing its objects) it
//! reads the objects ([`objects`]), works out the exports with their CRCs
//! ([`crc`]) and the imports (what the objects use and neither they nor the
//! archives linked after them define), checks them against the exports it
//! knows (this build's and those of `KBUILD_EXTRA_SYMBOLS`, [`symvers`]),
//! and writes `NAME.mod.c` ([`modc`]) and the build's `Module.symvers`.
//!
//! Diagnostics go to stderr in the kernel's words. Warnings let the build go
//! on (an import nobody is known to export: the loader explains at insmod);
//! errors fail it, and then nothing is written.
//!
//! Kernel counterpart: `scripts/mod/modpost.c`.

pub mod build;
mod crc;
mod modc;
mod module;
mod objects;
mod symvers;

use crate::taint::license_is_gpl_compatible;
use modc::{ModC, ModCExport, ModCImport};
use module::Module;
use std::{
    collections::{BTreeMap, BTreeSet},
    ffi::OsString,
    fmt::Display,
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};
use symvers::Symver;

/// `modhost modpost`: write each module's `NAME.mod.c` and the build's
/// `Module.symvers`.
#[derive(Debug, clap::Parser)]
#[command(
    name = "modhost modpost",
    bin_name = "modhost modpost",
    about = "Write NAME.mod.c and Module.symvers for a kbuild build"
)]
pub struct Options {
    /// Where to write the exports of this build
    #[arg(short = 'o', long = "output", value_name = "Module.symvers")]
    pub output: PathBuf,
    /// The Module.symvers of modules built elsewhere (repeatable; KBUILD_EXTRA_SYMBOLS)
    #[arg(short = 'e', long = "extra-symbols", value_name = "FILE")]
    pub extra_symbols: Vec<PathBuf>,
    /// An archive linked into every module after its objects (repeatable)
    #[arg(short = 'l', long = "lib", value_name = "ARCHIVE")]
    pub libs: Vec<PathBuf>,
    /// The modules: NAME.mod files listing the objects of NAME.ko
    #[arg(value_name = "NAME.mod")]
    pub modules: Vec<PathBuf>,
}

/// Runs `modhost modpost` or `modhost build` when `args` names one, and
/// returns its exit status; `None` for any other command line.
pub fn run_tool(args: &[OsString]) -> Option<ExitCode> {
    use clap::Parser;
    match args.get(1)?.to_str()? {
        "modpost" => {
            let options = Options::parse_from(&args[1..]);
            let ok = modpost(&options, &mut std::io::stderr().lock());
            Some(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        "build" => Some(build::build(&build::BuildOptions::parse_from(&args[1..]))),
        _ => None,
    }
}

/// The diagnostics of one run, in the kernel's words.
struct Report<'a> {
    out: &'a mut dyn Write,
    errors: usize,
}

impl Report<'_> {
    fn error(&mut self, message: impl Display) {
        let _ = writeln!(self.out, "ERROR: modpost: {message}");
        self.errors += 1;
    }

    fn warning(&mut self, message: impl Display) {
        let _ = writeln!(self.out, "WARNING: modpost: {message}");
    }
}

/// Runs modpost; diagnostics go to `err`. Returns whether it succeeded
/// (no errors, every file written).
pub fn modpost(options: &Options, err: &mut dyn Write) -> bool {
    let mut report = Report { out: err, errors: 0 };
    let Some((linked, modules, mut known)) = read_inputs(options, &mut report) else { return false };
    let exports = collect_exports(&modules, &mut known, &mut report);
    let mod_cs: Vec<ModC> =
        modules.iter().zip(exports).map(|(m, e)| check_module(m, e, &known, &linked, &mut report)).collect();
    if report.errors > 0 {
        return false;
    }
    write_outputs(options, &modules, &mod_cs, &known, &mut report);
    report.errors == 0
}

/// The symbols of the archives, the modules and the known exports (from
/// `KBUILD_EXTRA_SYMBOLS`); `None` after reporting what could not be read.
fn read_inputs(options: &Options, report: &mut Report<'_>) -> Option<(BTreeSet<String>, Vec<Module>, Known)> {
    let mut linked = BTreeSet::new();
    let mut modules = Vec::new();
    let mut known = Known::default();
    for lib in &options.libs {
        match objects::archive_symbols(lib) {
            Ok(symbols) => linked.extend(symbols),
            Err(e) => report.error(e),
        }
    }
    for path in &options.modules {
        match Module::read(path) {
            Ok(module) => modules.push(module),
            Err(e) => report.error(e),
        }
    }
    for path in &options.extra_symbols {
        match symvers::read(path) {
            Ok(symvers) => symvers.into_iter().for_each(|s| known.add_extra(s)),
            Err(e) => report.error(e),
        }
    }
    (report.errors == 0).then_some((linked, modules, known))
}

/// The exports modpost knows, by symbol.
#[derive(Debug, Default)]
struct Known {
    by_symbol: BTreeMap<String, Symver>,
    /// This build's exports, in module and record order.
    built: Vec<String>,
}

impl Known {
    fn add_extra(&mut self, symver: Symver) {
        self.by_symbol.insert(symver.symbol.clone(), symver);
    }

    /// Adds an export of this build; the module already exporting it under
    /// another name if there is one (the same module built before is not).
    fn add_built(&mut self, symver: Symver) -> Result<(), String> {
        if let Some(previous) = self.by_symbol.get(&symver.symbol) {
            let rebuilt = previous.module_name() == symver.module_name() && !self.built.contains(&symver.symbol);
            if !rebuilt {
                return Err(format!("{}.ko", previous.module));
            }
        }
        self.built.push(symver.symbol.clone());
        self.by_symbol.insert(symver.symbol.clone(), symver);
        Ok(())
    }
}

/// Each module's exports, checked and added to `known`.
fn collect_exports(modules: &[Module], known: &mut Known, report: &mut Report<'_>) -> Vec<Vec<ModCExport>> {
    let mut all = Vec::new();
    for module in modules {
        let ko = module.ko.display();
        let mut exports = Vec::new();
        for export in module.exports() {
            let name = &export.record.name;
            if !module.defines(name) {
                if module.defines_locally(name) {
                    report.error(format_args!("{}: local symbol '{name}' was exported", module.name));
                } else {
                    report.error(format_args!("\"{name}\" [{ko}] is exported but not defined"));
                }
                continue;
            }
            if !module.is_function(name) {
                report.error(format_args!("\"{name}\" [{ko}] is not a function: only functions can be exported"));
                continue;
            }
            if !export.from_dwarf {
                report
                    .warning(format_args!("\"{name}\" [{ko}] has no debug information: its CRC covers its name only"));
            }
            let symver = Symver {
                crc: export.crc,
                symbol: name.clone(),
                module: module.symvers_path(),
                gpl_only: export.record.gpl_only,
                namespace: export.record.namespace.clone(),
            };
            if let Err(previous) = known.add_built(symver) {
                report.error(format_args!("\"{name}\" [{ko}] is exported twice. Previous export was in {previous}"));
                continue;
            }
            let record = export.record;
            exports.push(ModCExport {
                name: record.name,
                gpl_only: record.gpl_only,
                namespace: record.namespace,
                crc: export.crc,
            });
        }
        all.push(exports);
    }
    all
}

/// Checks a module's license, entry points and imports, and says what its
/// `.mod.c` holds.
fn check_module(
    module: &Module,
    exports: Vec<ModCExport>,
    known: &Known,
    linked: &BTreeSet<String>,
    report: &mut Report<'_>,
) -> ModC {
    let license = module.license();
    if license.is_none() {
        report.error(format_args!("missing MODULE_LICENSE() in {}", module.object_path().display()));
    }
    if !module.has_init() && exports.is_empty() {
        report.error(format_args!(
            "{}: no module_init() and no exports in {}",
            module.name,
            module.object_path().display()
        ));
    }
    let import_ns: BTreeSet<&str> = module.modinfo_values("import_ns").collect();
    let mut depends: Vec<String> = Vec::new();
    let mut imports = Vec::new();
    for name in module.imports(linked) {
        let Some(symver) = known.by_symbol.get(&name) else {
            report.warning(format_args!("\"{name}\" [{}] undefined!", module.ko.display()));
            imports.push(ModCImport { name, crc: None });
            continue;
        };
        if symver.gpl_only && license.is_some_and(|l| !license_is_gpl_compatible(l)) {
            report.error(format_args!("GPL-incompatible module {}.ko uses GPL-only symbol '{name}'", module.name));
        }
        if !symver.namespace.is_empty() && !import_ns.contains(symver.namespace.as_str()) {
            report.error(format_args!(
                "module {} uses symbol {name} from namespace {}, but does not import it.",
                module.name, symver.namespace
            ));
        }
        let exporter = symver.module_name().to_string();
        if exporter != module.name && !depends.contains(&exporter) {
            depends.push(exporter);
        }
        imports.push(ModCImport { name, crc: Some(symver.crc) });
    }
    ModC {
        name: module.name.clone(),
        depends,
        exports,
        imports,
        kparams: module.kparams(),
        has_init: module.has_init(),
        has_exit: module.has_exit(),
    }
}

/// Writes each `NAME.mod.c` and the build's `Module.symvers`.
fn write_outputs(options: &Options, modules: &[Module], mod_cs: &[ModC], known: &Known, report: &mut Report<'_>) {
    for (module, mod_c) in modules.iter().zip(mod_cs) {
        let path = module.ko.with_extension("mod.c");
        if let Err(e) = write_if_changed(&path, &mod_c.render()) {
            report.error(format_args!("{}: {e}", path.display()));
        }
    }
    let built: Vec<Symver> = known.built.iter().filter_map(|s| known.by_symbol.get(s).cloned()).collect();
    if let Err(e) = write_if_changed(&options.output, &symvers::format(&built)) {
        report.error(format_args!("{}: {e}", options.output.display()));
    }
}

/// Writes `text` to `path` unless it already holds it, so that make sees
/// an unchanged `.mod.c` as up to date and does not relink.
fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symver(symbol: &str, module: &str) -> Symver {
        Symver { crc: 1, symbol: symbol.into(), module: module.into(), gpl_only: false, namespace: String::new() }
    }

    #[test]
    fn an_export_is_twice_only_from_another_module_or_twice_in_this_build() {
        let mut known = Known::default();
        // The module's own Module.symvers of an earlier build, read back.
        known.add_extra(symver("square", "/lab/square"));
        assert_eq!(known.add_built(symver("square", "/lab/square")), Ok(()));
        assert_eq!(known.add_built(symver("square", "/lab/square")), Err("/lab/square.ko".to_string()));
        known.add_extra(symver("cube", "/other/cube"));
        assert_eq!(known.add_built(symver("cube", "/lab/square")), Err("/other/cube.ko".to_string()));
        assert_eq!(known.built, ["square"]);
    }
}
