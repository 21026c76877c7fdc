//! modinfo: a module file's information, as kmod prints it.
//!
//! ```text
//! filename:       /path/to/libproducer.so
//! license:        GPL
//! author:         modhost developers
//! description:    Puts its item into the fifo at a rate
//! version:        1.0
//! depends:        fifo
//! name:           producer
//! vermagic:       modhost-abi/3 panic=unwind
//! parm:           item:The item to produce (charp)
//! parm:           rate:Items per second (uint)
//! ```
//!
//! Each key is padded so the value starts in column 17; parameters come
//! last. The file is inspected, never run: the lines come from its
//! `.modinfo` and `.modhost_tables` sections ([`modinfo::inspect`]), so a
//! file whose constructors would abort the process is shown like any other.
//!
//! Kernel counterpart: kmod's `tools/modinfo.c`.

use modhost_abi::errno::Errno;
use std::path::{Path, PathBuf};

use crate::{
    error::{Error, ErrorKind, Result},
    kernel::Kernel,
    loader::{
        modinfo::{self, ModInfo},
        normalize_name,
    },
};

/// What modinfo shows for one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModInfoReport {
    /// The module file.
    pub filename: PathBuf,
    /// Its information.
    pub info: ModInfo,
    /// The modules it needs, from the module search path (kbuild's `depends`).
    pub depends: Vec<String>,
}

impl ModInfoReport {
    /// The `(key, value)` lines in kmod's order, parameters last.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let info = &self.info;
        let mut fields = vec![("filename", self.filename.display().to_string())];
        let optional = [
            ("license", &info.license),
            ("author", &info.author),
            ("description", &info.description),
            ("version", &info.version),
        ];
        fields.extend(optional.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k, v.clone())));
        fields.extend(info.import_ns.iter().map(|ns| ("import_ns", ns.clone())));
        fields.push(("depends", self.depends.join(",")));
        fields.push(("name", info.name.clone()));
        fields.push(("vermagic", info.vermagic.clone()));
        for p in &info.params {
            let line = match (p.description.is_empty(), p.type_name()) {
                (true, ty) => format!("{}:{ty}", p.name),
                (false, ty) if ty.is_empty() => format!("{}:{}", p.name, p.description),
                (false, ty) => format!("{}:{} ({ty})", p.name, p.description),
            };
            fields.push(("parm", line));
        }
        fields
    }
}

impl Kernel {
    /// modinfo of a module file, a loaded module, or a module in the search path.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] if `spec` names nothing, or the file's own
    /// error if it is not a module.
    pub fn modinfo(&self, spec: &str) -> Result<ModInfoReport> {
        let filename = self.modinfo_file(spec)?;
        let info = modinfo::inspect(&filename)?;
        let depends = self.depmod().get(&normalize_name(&info.name)).map(|e| e.depends.clone()).unwrap_or_default();
        let filename = filename.canonicalize().unwrap_or(filename);
        Ok(ModInfoReport { filename, info, depends })
    }

    /// The file modinfo reads for `spec`.
    fn modinfo_file(&self, spec: &str) -> Result<PathBuf> {
        let path = Path::new(spec);
        let looks_like_file = spec.contains('/') || path.extension().is_some();
        if path.is_file() || (looks_like_file && path.exists()) {
            return Ok(path.to_path_buf());
        }
        if !looks_like_file {
            if let Some(module) = self.inner.modules.lock().find(&normalize_name(spec)) {
                return Ok(module.file.clone());
            }
            if let Some(entry) = self.depmod().get(&normalize_name(spec)) {
                return Ok(entry.path.clone());
            }
        }
        self.find_module_file(path)
            .map_err(|_| Error::new(ErrorKind::NotFound, Errno::ENOENT, spec, "module not found"))
    }
}

/// modinfo's output; with `field`, only that field's values (`-F`).
pub fn format_modinfo(report: &ModInfoReport, field: Option<&str>) -> String {
    let mut out = String::new();
    for (key, value) in report.fields() {
        match field {
            Some(wanted) if wanted == key => out.push_str(&format!("{value}\n")),
            Some(_) => {}
            None => out.push_str(&format!("{key}:{:width$}{value}\n", "", width = 15 - key.len().min(15))),
        }
    }
    out
}
