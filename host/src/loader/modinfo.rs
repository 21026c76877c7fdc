//! Module information: what a module says about itself, owned by the host.
//!
//! Nothing the host keeps may point into a plugin after it is unloaded, so
//! the loader copies the modinfo strings, parameter declarations and symbol
//! names into [`ModInfo`] at load time ([`ModInfo::copy`]).
//!
//! [`inspect`] reads the same from a file for modinfo, depmod, modprobe's
//! lookups and completion: from its `.modinfo` and `.modhost_tables`
//! sections (format in [`modhost_abi::modinfo`]), read as bytes by
//! [`sections`]. The file is inspected, never run: no `dlopen`, so an ELF
//! constructor that aborts, or a system library that takes over the process
//! when loaded, cannot touch the host. A file without a `.modinfo` section
//! is not a module. The sections carry no parameter
//! defaults (kmod's modinfo shows none either): those are the loaded
//! module's initial values, read from its descriptor (a Rust module's
//! declared defaults, a C module's variables) into its image.
//!
//! Kernel counterpart: `.modinfo` and `setup_modinfo` in
//! `kernel/module/main.c`; kmod's `libkmod-module.c` for reading files.

use modhost_abi::{
    descriptor::ModuleInfo,
    errno::Errno,
    modinfo::{self as format, Entry, MODINFO_SECTION, TABLES_SECTION, key},
    param::ParamType,
};
use std::{collections::BTreeMap, path::Path};

use super::{
    library::OpenError,
    sections::{self, ReadError},
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
    /// The buffer's size of a C module's `module_param_string` (a `charp`
    /// the module copies into its own buffer), else `0`.
    pub string_len: u32,
    /// A C module's `module_param_cb` without a type: its text goes to the
    /// module's own `set` op; kept as an array of one `charp` that is
    /// empty until a value is given, so the module keeps its own until then.
    pub custom: bool,
    /// The permission bits of its `/sys` file.
    pub perm: u16,
    /// `MODULE_PARM_DESC`.
    pub description: String,
}

impl ParamInfo {
    /// The type as modinfo shows it: `uint`, `array of int`.
    pub fn type_name(&self) -> String {
        match (self.max_len, self.string_len) {
            _ if self.custom => String::new(),
            (0, 0) => self.ty.name().to_string(),
            (0, _) => "string".to_string(),
            _ => format!("array of {}", self.ty.name()),
        }
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
                    string_len: 0,
                    custom: false,
                    perm: p.perm,
                    description: p.description.to_string(),
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

/// Reads a module file's information from its sections, without loading it.
///
/// # Errors
///
/// [`ErrorKind::Open`] if the file cannot be read; [`ErrorKind::InvalidFormat`]
/// if it is not an ELF file, has no `.modinfo` section, or its sections are
/// malformed.
pub fn inspect(file: &Path) -> Result<ModInfo> {
    let subject = file.display().to_string();
    let sections = sections::read(file).map_err(|e| match e {
        ReadError::Io(io) => Error::io(ErrorKind::Open, &subject, &io),
        ReadError::Invalid(reason) => invalid_format(&subject, reason),
    })?;
    let Some(modinfo) = sections.modinfo else {
        return Err(invalid_format(&subject, format!("no {MODINFO_SECTION} section: not a module")));
    };
    ModInfo::parse(&modinfo, sections.tables.as_deref().unwrap_or_default())
        .map_err(|reason| invalid_format(&subject, reason))
}

impl ModInfo {
    /// The information in a `.modinfo` and a `.modhost_tables` section.
    pub(crate) fn parse(modinfo: &[u8], tables: &[u8]) -> Result<ModInfo, String> {
        let mut info = ModInfo {
            name: String::new(),
            license: String::new(),
            author: String::new(),
            description: String::new(),
            version: String::new(),
            import_ns: Vec::new(),
            vermagic: String::new(),
            params: Vec::new(),
            exports: Vec::new(),
            imports: Vec::new(),
        };
        let (mut declared, mut descriptions) = (Vec::new(), BTreeMap::new());
        for Entry { key, value } in entries(MODINFO_SECTION, modinfo)? {
            match key {
                key::NAME => first(&mut info.name, value),
                key::LICENSE => first(&mut info.license, value),
                key::AUTHOR => first(&mut info.author, value),
                key::DESCRIPTION => first(&mut info.description, value),
                key::VERSION => first(&mut info.version, value),
                key::VERMAGIC => first(&mut info.vermagic, value),
                key::IMPORT_NS => info.import_ns.push(value.to_string()),
                key::PARMTYPE => declared.push(parmtype(value)?),
                key::PARM => {
                    let (name, text) = name_and_rest(key, value)?;
                    descriptions.entry(name).or_insert(text);
                }
                _ => {}
            }
        }
        if info.name.is_empty() {
            return Err(format!("{MODINFO_SECTION} has no name"));
        }
        let mut kparams = BTreeMap::new();
        for Entry { key, value } in entries(TABLES_SECTION, tables)? {
            match key {
                key::EXPORT | key::EXPORT_GPL => info.exports.push(export(key, value)?),
                key::IMPORT => info.imports.push(symbol_name(key, value)?.to_string()),
                key::KPARAM => {
                    let (name, perm, max_len) = kparam(value)?;
                    kparams.entry(name).or_insert((perm, max_len));
                }
                _ => {}
            }
        }
        for (name, ty, shape) in declared {
            let Some(&(perm, max)) = kparams.get(name) else {
                return Err(format!("parameter {} has no {} record", shown(name), key::KPARAM));
            };
            let (max_len, string_len) = match shape {
                Shape::Scalar if max == 0 => (0, 0),
                Shape::Array if max > 0 => (max, 0),
                Shape::String if max > 1 => (0, max),
                _ => {
                    let record = key::KPARAM;
                    return Err(format!("parameter {}: its {record} record disagrees with its type", shown(name)));
                }
            };
            let description = descriptions.get(name).copied().unwrap_or_default().to_string();
            let custom = false;
            info.params.push(ParamInfo { name: name.to_string(), ty, max_len, string_len, custom, perm, description });
        }
        let typed: Vec<String> = info.params.iter().map(|p| p.name.clone()).collect();
        for (name, &(perm, max)) in kparams.iter().filter(|(name, _)| !typed.iter().any(|t| t == **name)) {
            if max != 0 {
                return Err(format!("parameter {}: its {} record has no parmtype", shown(name), key::KPARAM));
            }
            let description = descriptions.get(name).copied().unwrap_or_default().to_string();
            let (ty, max_len, string_len, custom) = (ParamType::CharP, 1, 0, true);
            info.params.push(ParamInfo { name: name.to_string(), ty, max_len, string_len, custom, perm, description });
        }
        Ok(info)
    }
}

/// A section's entries, or why they cannot be read.
fn entries<'a>(section: &str, bytes: &'a [u8]) -> Result<Vec<Entry<'a>>, String> {
    format::entries(bytes).map_err(|e| format!("{section}: {e}"))
}

/// Keeps the first value of a key that should appear once, as the kernel's
/// `get_modinfo` does.
fn first(field: &mut String, value: &str) {
    if field.is_empty() {
        field.push_str(value);
    }
}

/// `NAME:REST`, with a name that is not empty.
fn name_and_rest<'a>(key: &str, value: &'a str) -> Result<(&'a str, &'a str), String> {
    match value.split_once(':') {
        Some((name, rest)) if !name.is_empty() => Ok((name, rest)),
        _ => Err(format!("{key}={} is not {key}=NAME:...", shown(value))),
    }
}

/// A symbol's name: not empty, no `:`.
fn symbol_name<'a>(key: &str, value: &'a str) -> Result<&'a str, String> {
    if value.is_empty() || value.contains(':') {
        return Err(format!("{key}={} is not {key}=NAME", shown(value)));
    }
    Ok(value)
}

/// What a `parmtype` declares besides its element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Scalar,
    /// `array of TYPE`.
    Array,
    /// `string`: a C module's `module_param_string`, a `charp` copied into
    /// the module's buffer.
    String,
}

/// `parmtype=NAME:TYPE`: the name, the (element) type, and its shape.
fn parmtype(value: &str) -> Result<(&str, ParamType, Shape), String> {
    let (name, type_name) = name_and_rest(key::PARMTYPE, value)?;
    let (element, shape) = match type_name.strip_prefix("array of ") {
        Some(element) => (element, Shape::Array),
        None if type_name == "string" => ("charp", Shape::String),
        None => (type_name, Shape::Scalar),
    };
    let ty = PARAM_TYPES
        .into_iter()
        .find(|t| t.name() == element)
        .ok_or_else(|| format!("parameter {} has unknown type '{}'", shown(name), shown(type_name)))?;
    Ok((name, ty, shape))
}

/// `export=NAME` or `export=NAME:NAMESPACE`, and the same for `export_gpl`.
fn export(key: &str, value: &str) -> Result<ExportInfo, String> {
    let (name, namespace) = value.split_once(':').unwrap_or((value, ""));
    Ok(ExportInfo {
        name: symbol_name(key, name)?.to_string(),
        gpl_only: key == key::EXPORT_GPL,
        namespace: namespace.to_string(),
    })
}

/// `kparam=NAME:PERM:MAX`: the name, permission bits (octal) and capacity.
fn kparam(value: &str) -> Result<(&str, u16, u32), String> {
    let malformed = || format!("{}={} is not {}=NAME:PERM:MAX", key::KPARAM, shown(value), key::KPARAM);
    let (name, rest) = name_and_rest(key::KPARAM, value)?;
    let (perm, max_len) = rest.split_once(':').ok_or_else(malformed)?;
    let digits = |s: &str, radix| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if !digits(perm, 8) || !digits(max_len, 10) {
        return Err(malformed());
    }
    let perm = u16::from_str_radix(perm, 8).ok().filter(|p| *p <= 0o777).ok_or_else(malformed)?;
    let max_len = max_len.parse().map_err(|_| malformed())?;
    Ok((name, perm, max_len))
}

/// Text from the file as an error message shows it: on one line, control
/// characters escaped.
fn shown(text: &str) -> String {
    text.escape_debug().to_string()
}

/// Every parameter type, to find one by its `parmtype` name.
const PARAM_TYPES: [ParamType; 12] = [
    ParamType::Byte,
    ParamType::Short,
    ParamType::UShort,
    ParamType::Int,
    ParamType::UInt,
    ParamType::Long,
    ParamType::ULong,
    ParamType::ULLong,
    ParamType::HexInt,
    ParamType::CharP,
    ParamType::Bool,
    ParamType::InvBool,
];

/// "invalid module format: REASON" about `subject`.
pub(crate) fn invalid_format(subject: &str, reason: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidFormat, Errno::ENOEXEC, subject, format!("invalid module format: {reason}"))
}

/// The error for a library that is not a loadable module.
pub(crate) fn header_error(subject: &str, e: &HeaderError) -> Error {
    let message = match e {
        HeaderError::NotAModule => "not a modhost module (no valid __this_module)".to_string(),
        HeaderError::VersionMagic { found } => {
            format!("version magic '{found}' should be '{}'", version::host_vermagic_for(found))
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
        OpenError::Format(reason) => invalid_format(subject, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::sections::tests::{MODINFO, TABLES};
    use proptest::prelude::*;

    pub(crate) fn parse(modinfo: &[u8], tables: &[u8]) -> Result<ModInfo, String> {
        ModInfo::parse(modinfo, tables)
    }

    #[test]
    fn sections_become_the_modinfo() {
        let info = parse(MODINFO, TABLES).unwrap();
        assert_eq!(
            info,
            ModInfo {
                name: "fifo".into(),
                license: "GPL".into(),
                author: String::new(),
                description: String::new(),
                version: String::new(),
                import_ns: Vec::new(),
                vermagic: "modhost-abi/3 panic=unwind".into(),
                params: vec![ParamInfo {
                    name: "size".into(),
                    ty: ParamType::UInt,
                    max_len: 0,
                    string_len: 0,
                    custom: false,
                    perm: 0o444,
                    description: "Slots".into(),
                }],
                exports: vec![ExportInfo { name: "fifo_put".into(), gpl_only: true, namespace: String::new() }],
                imports: vec!["clock_now".into()],
            }
        );
    }

    #[test]
    fn namespaces_arrays_and_unknown_keys() {
        let modinfo =
            b"name=m\0alias=x\0depends=a,b\0import_ns=NS\0import_ns=OTHER\0parmtype=ids:array of int\0name=later\0";
        let tables = b"export=m_f:NS\0kparam=ids:0644:4\0srcversion=1\0";
        let info = parse(modinfo, tables).unwrap();
        assert_eq!(info.name, "m", "the first value of a key wins");
        assert_eq!(info.import_ns, ["NS", "OTHER"]);
        assert_eq!(info.params[0].type_name(), "array of int");
        assert_eq!((info.params[0].max_len, info.params[0].perm), (4, 0o644));
        assert_eq!(info.exports[0], ExportInfo { name: "m_f".into(), gpl_only: false, namespace: "NS".into() });
    }

    #[test]
    fn a_c_string_parameter_keeps_its_buffer_size() {
        let tables = b"kparam=dev:0444:16\0";
        let info = parse(b"name=m\0parmtype=dev:string\0", tables).unwrap();
        assert_eq!((info.params[0].ty, info.params[0].string_len, info.params[0].max_len), (ParamType::CharP, 16, 0));
        assert_eq!(info.params[0].type_name(), "string");
        let no_room = parse(b"name=m\0parmtype=dev:string\0", b"kparam=dev:0444:0\0");
        assert!(no_room.unwrap_err().contains("disagrees with its type"));
    }

    #[test]
    fn malformed_entries_name_what_is_wrong() {
        let cases: [(&[u8], &[u8], &str); 11] = [
            (b"license=GPL\0", b"", ".modinfo has no name"),
            (b"name=m\0license=GPL", b"", ".modinfo: unterminated string at byte 7"),
            (b"name=m\0", b"import\0", ".modhost_tables: string at byte 0 is not key=value"),
            (b"name=m\0parmtype=x\0", b"", "parmtype=x is not parmtype=NAME:..."),
            (b"name=m\0parmtype=x:str\0", b"", "parameter x has unknown type 'str'"),
            (b"name=m\0parmtype=x:int\0", b"", "parameter x has no kparam record"),
            (
                b"name=m\0parmtype=x:int\0",
                b"kparam=x:0444:3\0",
                "parameter x: its kparam record disagrees with its type",
            ),
            (b"name=m\0parmtype=x:int\0", b"kparam=x:0999:0\0", "kparam=x:0999:0 is not kparam=NAME:PERM:MAX"),
            (b"name=m\0parmtype=x:int\0", b"kparam=x:1777:0\0", "kparam=x:1777:0 is not kparam=NAME:PERM:MAX"),
            (b"name=m\0", b"export_gpl=:NS\0", "export_gpl= is not export_gpl=NAME"),
            (b"name=m\0parmtype=x\n\0", b"", "parmtype=x\\n is not parmtype=NAME:..."),
        ];
        for (modinfo, tables, reason) in cases {
            assert_eq!(parse(modinfo, tables).unwrap_err(), reason);
        }
    }

    proptest! {
        /// Changed bytes in either section give a ModInfo or a one-line
        /// reason, never a panic.
        #[test]
        fn mutated_sections_parse_or_give_a_reason(
            mutations in proptest::collection::vec((any::<bool>(), any::<prop::sample::Index>(), any::<u8>()), 1..6),
        ) {
            let (mut modinfo, mut tables) = (MODINFO.to_vec(), TABLES.to_vec());
            for (in_modinfo, at, byte) in mutations {
                let section = if in_modinfo { &mut modinfo } else { &mut tables };
                let i = at.index(section.len());
                section[i] = byte;
            }
            if let Err(reason) = parse(&modinfo, &tables) {
                prop_assert!(!reason.is_empty() && !reason.contains('\n'));
            }
        }
    }
}
