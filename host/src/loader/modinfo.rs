//! Module information: the host's own copy of a module's descriptor.
//!
//! Nothing the host keeps may point into a plugin after it is unloaded, so
//! the loader copies the modinfo strings, parameter declarations and symbol
//! names into [`ModInfo`] at load time. [`inspect`] reads the same from a file
//! without running any of its code, for `modinfo` and depmod.
//!
//! Kernel counterpart: `.modinfo` and `setup_modinfo` in
//! `kernel/module/main.c`; kmod's `libkmod-module.c` for reading files.

use modhost_abi::{
    descriptor::ModuleInfo,
    errno::Errno,
    param::{ParamType, ParamValue},
};
use std::path::Path;

use super::{
    library::{Library, OpenError},
    version::{self, HeaderError},
};
use crate::error::{Error, ErrorKind, Result};

/// A module's modinfo, parameters and symbols, owned by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModInfo {
    /// The module's own name (an instance may be loaded under another).
    pub name: String,
    /// `MODULE_LICENSE`.
    pub license: String,
    /// `MODULE_AUTHOR`.
    pub author: String,
    /// `MODULE_DESCRIPTION`.
    pub description: String,
    /// `MODULE_VERSION`.
    pub version: String,
    /// `MODULE_IMPORT_NS`.
    pub import_ns: Vec<String>,
    /// The version magic it was built with.
    pub vermagic: String,
    /// The parameters, in declaration order.
    pub params: Vec<ParamInfo>,
    /// The exported symbols.
    pub exports: Vec<ExportInfo>,
    /// The names of the imported symbols.
    pub imports: Vec<String>,
}

/// One parameter declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// Its (element) type.
    pub ty: ParamType,
    /// `0` for a scalar, the capacity of an array.
    pub max_len: u32,
    /// The permission bits of its `/sys` file.
    pub perm: u16,
    /// `MODULE_PARM_DESC`.
    pub description: String,
    /// The default value.
    pub default: ParamValue,
}

impl ParamInfo {
    /// The type as modinfo shows it: `uint`, `array of int`.
    pub fn type_name(&self) -> String {
        if self.max_len > 0 { format!("array of {}", self.ty.name()) } else { self.ty.name().to_string() }
    }
}

/// One exported symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportInfo {
    /// Its name.
    pub name: String,
    /// Exported with `EXPORT_SYMBOL_GPL`.
    pub gpl_only: bool,
    /// Its namespace, empty for none.
    pub namespace: String,
}

impl ModInfo {
    /// Copies a descriptor into host memory.
    pub(crate) fn copy(info: &ModuleInfo) -> ModInfo {
        ModInfo {
            name: info.name.to_string(),
            license: info.license.to_string(),
            author: info.author.to_string(),
            description: info.description.to_string(),
            version: info.version.to_string(),
            import_ns: info.import_ns.iter().map(|ns| ns.to_string()).collect(),
            vermagic: version::host_vermagic(),
            params: info
                .params
                .iter()
                .map(|p| ParamInfo {
                    name: p.name.to_string(),
                    ty: p.ty,
                    max_len: p.max_len,
                    perm: p.perm,
                    description: p.description.to_string(),
                    default: p.default_value(),
                })
                .collect(),
            exports: info
                .exports
                .iter()
                .map(|e| ExportInfo {
                    name: e.name.to_string(),
                    gpl_only: e.gpl_only,
                    namespace: e.namespace.to_string(),
                })
                .collect(),
            imports: info.imports.iter().map(|i| i.name.to_string()).collect(),
        }
    }
}

/// Reads a module file's information without running its init.
pub fn inspect(file: &Path) -> Result<ModInfo> {
    let subject = file.display().to_string();
    let read = Library::inspect(file, |header, id| version::check_header(header, id).map(ModInfo::copy));
    match read {
        Ok(Ok(info)) => Ok(info),
        Ok(Err(e)) => Err(header_error(&subject, &e)),
        Err(e) => Err(open_error(&subject, &e)),
    }
}

/// The error for a library that is not a loadable module.
pub(crate) fn header_error(subject: &str, e: &HeaderError) -> Error {
    let message = match e {
        HeaderError::NotAModule => "not a modhost module (no valid __this_module)".to_string(),
        HeaderError::VersionMagic { found } => {
            format!("version magic '{found}' should be '{}'", version::host_vermagic())
        }
        HeaderError::Layout { detail } => format!("disagrees about version of symbol module_layout: {detail}"),
        HeaderError::Malformed { detail } => format!("invalid module format: descriptor {detail}"),
    };
    Error::new(ErrorKind::InvalidFormat, Errno::ENOEXEC, subject, message)
}

/// The error for a file that could not be mapped at all.
pub(crate) fn open_error(subject: &str, e: &OpenError) -> Error {
    match e {
        OpenError::Io(io) => Error::io(ErrorKind::Open, subject, io),
        OpenError::Format(reason) => {
            Error::new(ErrorKind::InvalidFormat, Errno::ENOEXEC, subject, format!("invalid module format: {reason}"))
        }
    }
}
