//! The module-info format: what a module file says about itself without
//! being run.
//!
//! modinfo, depmod, modprobe's lookups and TAB completion never load a
//! module file to learn about it: loading runs the file's ELF constructors,
//! and a file in the module path is not trusted (it may not even be a
//! module). Like kmod, they read sections of the file instead, which
//! [`module!`](crate::module!) writes from the module's descriptor (and, for C
//! modules, a modpost step):
//!
//! - [`MODINFO_SECTION`] (`.modinfo`) holds the kernel's keys;
//! - [`TABLES_SECTION`] (`.modhost_tables`) holds the records the kernel
//!   keeps in `__ksymtab`, `__versions` and `__param`: exports, imports and
//!   parameter declarations, which depmod needs to work out dependencies.
//!
//! A file without a `.modinfo` section is not a module, and is skipped for
//! that reason alone.
//!
//! # The byte format
//!
//! Both sections are a run of NUL-terminated UTF-8 strings, each
//! `key=value`. There is nothing else: no header, no lengths, no alignment.
//! An empty string (a NUL where a string would start, as a linker's padding
//! between two entries leaves) is skipped; the last string ends with a NUL.
//! A key may repeat, and a reader ignores keys it does not know. Values
//! never contain a NUL; the first `=` ends the key.
//!
//! | section | key | value | kernel counterpart |
//! |---|---|---|---|
//! | `.modinfo` | `name` | the module's name | `MODULE_INFO(name, KBUILD_MODNAME)` |
//! | | `license` | `GPL`, ... | `MODULE_LICENSE` |
//! | | `author` | free text | `MODULE_AUTHOR` |
//! | | `description` | free text | `MODULE_DESCRIPTION` |
//! | | `version` | free text | `MODULE_VERSION` |
//! | | `import_ns` | a namespace, one entry each | `MODULE_IMPORT_NS` |
//! | | `parmtype` | `NAME:TYPE`, `TYPE` as `uint` or `array of int` | `module_param`, `module_param_array` |
//! | | `parm` | `NAME:DESCRIPTION` | `MODULE_PARM_DESC` |
//! | | `depends` | module names, comma-separated | modpost's `MODULE_INFO(depends, ...)` |
//! | | `vermagic` | the ABI's version magic | `MODULE_INFO(vermagic, VERMAGIC_STRING)` |
//! | `.modhost_tables` | `export` | `NAME`, or `NAME:NAMESPACE` | `EXPORT_SYMBOL`, `EXPORT_SYMBOL_NS` |
//! | | `export_gpl` | as `export` | `EXPORT_SYMBOL_GPL`, `EXPORT_SYMBOL_NS_GPL` |
//! | | `import` | `NAME` | `__versions` (modpost) |
//! | | `kparam` | `NAME:PERM:MAX`, `PERM` in octal (`0644`), `MAX` the array's capacity or `0` | `struct kernel_param` in `__param` |
//!
//! `module!` writes no `depends`: a Rust module's dependencies are worked
//! out by depmod from its imports, as kmod's depmod does.
//!
//! Kernel counterpart: `include/linux/module.h` (`MODULE_INFO`),
//! `scripts/mod/modpost.c`; kmod's `libkmod-elf.c` for reading.

use abi_stable::std_types::{RSlice, RStr};
use core::{ffi::CStr, fmt};

use crate::descriptor::ModuleInfo;

/// The section of the kernel's `key=value` strings.
pub const MODINFO_SECTION: &str = ".modinfo";

/// The section of the export, import and parameter records.
pub const TABLES_SECTION: &str = ".modhost_tables";

/// The keys, as written in the sections.
pub mod key {
    /// `.modinfo`: the module's name.
    pub const NAME: &str = "name";
    /// `.modinfo`: `MODULE_LICENSE`.
    pub const LICENSE: &str = "license";
    /// `.modinfo`: `MODULE_AUTHOR`.
    pub const AUTHOR: &str = "author";
    /// `.modinfo`: `MODULE_DESCRIPTION`.
    pub const DESCRIPTION: &str = "description";
    /// `.modinfo`: `MODULE_VERSION`.
    pub const VERSION: &str = "version";
    /// `.modinfo`: `MODULE_IMPORT_NS`, one entry per namespace.
    pub const IMPORT_NS: &str = "import_ns";
    /// `.modinfo`: `NAME:TYPE` of a parameter.
    pub const PARMTYPE: &str = "parmtype";
    /// `.modinfo`: `NAME:DESCRIPTION` of a parameter.
    pub const PARM: &str = "parm";
    /// `.modinfo`: the modules this one needs (modpost's; not written by `module!`).
    pub const DEPENDS: &str = "depends";
    /// `.modinfo`: the version magic.
    pub const VERMAGIC: &str = "vermagic";
    /// `.modhost_tables`: an `EXPORT_SYMBOL`.
    pub const EXPORT: &str = "export";
    /// `.modhost_tables`: an `EXPORT_SYMBOL_GPL`.
    pub const EXPORT_GPL: &str = "export_gpl";
    /// `.modhost_tables`: an imported symbol.
    pub const IMPORT: &str = "import";
    /// `.modhost_tables`: a parameter's `NAME:PERM:MAX`.
    pub const KPARAM: &str = "kparam";
}

/// The length of the `.modinfo` section for `info`.
pub const fn modinfo_len(info: &ModuleInfo, vermagic: &CStr) -> usize {
    let mut out = Out::counting();
    write_modinfo(info, vermagic, &mut out);
    out.len
}

/// The `.modinfo` section for `info`; `N` is [`modinfo_len`].
///
/// # Panics
///
/// At compile time, if a string of the module contains a NUL.
pub const fn modinfo<const N: usize>(info: &ModuleInfo, vermagic: &CStr) -> [u8; N] {
    let mut bytes = [0; N];
    let mut out = Out::writing(&mut bytes);
    write_modinfo(info, vermagic, &mut out);
    assert!(out.len == N, "the .modinfo section's length is modinfo_len");
    bytes
}

/// The length of the `.modhost_tables` section for `info`.
pub const fn tables_len(info: &ModuleInfo) -> usize {
    let mut out = Out::counting();
    write_tables(info, &mut out);
    out.len
}

/// The `.modhost_tables` section for `info`; `N` is [`tables_len`].
///
/// # Panics
///
/// At compile time, if a name contains a NUL.
pub const fn tables<const N: usize>(info: &ModuleInfo) -> [u8; N] {
    let mut bytes = [0; N];
    let mut out = Out::writing(&mut bytes);
    write_tables(info, &mut out);
    assert!(out.len == N, "the .modhost_tables section's length is tables_len");
    bytes
}

const fn write_modinfo(info: &ModuleInfo, vermagic: &CStr, out: &mut Out<'_>) {
    out.entry(key::NAME, &[str_of(&info.name)]);
    out.entry(key::LICENSE, &[str_of(&info.license)]);
    out.optional(key::AUTHOR, str_of(&info.author));
    out.optional(key::DESCRIPTION, str_of(&info.description));
    out.optional(key::VERSION, str_of(&info.version));
    let namespaces = slice_of(&info.import_ns);
    let mut i = 0;
    while i < namespaces.len() {
        out.entry(key::IMPORT_NS, &[str_of(&namespaces[i])]);
        i += 1;
    }
    let params = slice_of(&info.params);
    let mut i = 0;
    while i < params.len() {
        let p = &params[i];
        let array = if p.is_array() { "array of " } else { "" };
        out.entry(key::PARMTYPE, &[str_of(&p.name), ":", array, p.ty.name()]);
        out.entry(key::PARM, &[str_of(&p.name), ":", str_of(&p.description)]);
        i += 1;
    }
    let Ok(vermagic) = vermagic.to_str() else { panic!("the version magic is ASCII") };
    out.entry(key::VERMAGIC, &[vermagic]);
}

const fn write_tables(info: &ModuleInfo, out: &mut Out<'_>) {
    let exports = slice_of(&info.exports);
    let mut i = 0;
    while i < exports.len() {
        let e = &exports[i];
        let key = if e.gpl_only { key::EXPORT_GPL } else { key::EXPORT };
        let namespace = str_of(&e.namespace);
        let colon = if namespace.is_empty() { "" } else { ":" };
        out.entry(key, &[str_of(&e.name), colon, namespace]);
        i += 1;
    }
    let imports = slice_of(&info.imports);
    let mut i = 0;
    while i < imports.len() {
        out.entry(key::IMPORT, &[str_of(&imports[i].name)]);
        i += 1;
    }
    let params = slice_of(&info.params);
    let mut i = 0;
    while i < params.len() {
        let p = &params[i];
        out.begin(key::KPARAM);
        out.text(str_of(&p.name));
        out.text(":");
        out.octal_perm(p.perm);
        out.text(":");
        out.decimal(p.max_len);
        out.end();
        i += 1;
    }
}

/// Where a section is written, or only measured.
struct Out<'a> {
    bytes: &'a mut [u8],
    count_only: bool,
    len: usize,
}

impl<'a> Out<'a> {
    const fn counting() -> Out<'static> {
        Out { bytes: &mut [], count_only: true, len: 0 }
    }

    const fn writing(bytes: &'a mut [u8]) -> Out<'a> {
        Out { bytes, count_only: false, len: 0 }
    }

    /// `key=` followed by `parts`, and the NUL.
    const fn entry(&mut self, key: &str, parts: &[&str]) {
        self.begin(key);
        let mut i = 0;
        while i < parts.len() {
            self.text(parts[i]);
            i += 1;
        }
        self.end();
    }

    /// An entry that is left out when its value is empty.
    const fn optional(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.entry(key, &[value]);
        }
    }

    const fn begin(&mut self, key: &str) {
        self.text(key);
        self.byte(b'=');
    }

    const fn end(&mut self) {
        self.byte(0);
    }

    const fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            assert!(bytes[i] != 0, "a module's names and modinfo strings may not contain NUL");
            self.byte(bytes[i]);
            i += 1;
        }
    }

    /// Permission bits as `ls` and the kernel write them: `0644`.
    const fn octal_perm(&mut self, perm: u16) {
        self.byte(b'0');
        let mut shift = 9;
        while shift > 0 {
            shift -= 3;
            self.byte(b'0' + ((perm >> shift) & 7) as u8);
        }
    }

    const fn decimal(&mut self, n: u32) {
        if n >= 10 {
            self.decimal(n / 10);
        }
        self.byte(b'0' + (n % 10) as u8);
    }

    const fn byte(&mut self, byte: u8) {
        if !self.count_only {
            self.bytes[self.len] = byte;
        }
        self.len += 1;
    }
}

const fn str_of<'a>(s: &RStr<'a>) -> &'a str {
    let bytes = slice_of(&s.as_rslice());
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("an RStr is UTF-8"),
    }
}

const fn slice_of<'a, T>(s: &RSlice<'a, T>) -> &'a [T] {
    // SAFETY: An `RSlice<'a, T>` is a pointer and a length that come from a
    // `&'a [T]` (its only constructors take one), so they describe `len`
    // initialised elements valid for `'a`.
    unsafe { core::slice::from_raw_parts(s.as_ptr(), s.len()) }
}

/// One `key=value` string of a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// What comes before the first `=`.
    pub key: &'a str,
    /// What comes after it.
    pub value: &'a str,
}

/// Why a section's bytes are not in the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatError {
    /// The last string has no terminating NUL.
    Unterminated {
        /// Where the string starts.
        offset: usize,
    },
    /// A string is not UTF-8.
    NotUtf8 {
        /// Where the string starts.
        offset: usize,
    },
    /// A string has no `=`, or nothing before it.
    NoKey {
        /// Where the string starts.
        offset: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Unterminated { offset } => write!(f, "unterminated string at byte {offset}"),
            FormatError::NotUtf8 { offset } => write!(f, "string at byte {offset} is not UTF-8"),
            FormatError::NoKey { offset } => write!(f, "string at byte {offset} is not key=value"),
        }
    }
}

impl core::error::Error for FormatError {}

/// The entries of a section, in order; empty strings are skipped.
///
/// # Errors
///
/// The first string that is unterminated, not UTF-8 or not `key=value`.
pub fn entries(section: &[u8]) -> Result<Vec<Entry<'_>>, FormatError> {
    let mut entries = Vec::new();
    let mut offset = 0;
    while offset < section.len() {
        let rest = &section[offset..];
        let Some(len) = rest.iter().position(|&b| b == 0) else {
            return Err(FormatError::Unterminated { offset });
        };
        if len > 0 {
            let text = core::str::from_utf8(&rest[..len]).map_err(|_| FormatError::NotUtf8 { offset })?;
            match text.split_once('=') {
                Some((key, value)) if !key.is_empty() => entries.push(Entry { key, value }),
                _ => return Err(FormatError::NoKey { offset }),
            }
        }
        offset += len + 1;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::VERMAGIC;

    extern "C" fn init(_args: &crate::descriptor::InitArgs) -> i32 {
        0
    }

    extern "C" fn exit() {}

    extern "C" fn param_changed(_index: u32) -> i32 {
        0
    }

    /// A descriptor with only the keys that cannot be left out.
    static BARE: ModuleInfo = ModuleInfo {
        name: RStr::from_str("bare"),
        license: RStr::from_str("GPL"),
        author: RStr::from_str(""),
        description: RStr::from_str(""),
        version: RStr::from_str(""),
        import_ns: RSlice::from_slice(&[]),
        params: RSlice::from_slice(&[]),
        exports: RSlice::from_slice(&[]),
        imports: RSlice::from_slice(&[]),
        init,
        exit,
        param_changed,
    };

    /// Encoded at compile time, as `module!` does.
    static BARE_MODINFO: [u8; modinfo_len(&BARE, VERMAGIC)] = modinfo(&BARE, VERMAGIC);
    static BARE_TABLES: [u8; tables_len(&BARE)] = tables(&BARE);

    #[test]
    fn optional_keys_left_out_are_not_written() {
        assert_eq!(&BARE_MODINFO, b"name=bare\0license=GPL\0vermagic=modhost-abi/3 panic=unwind\0");
        assert_eq!(BARE_TABLES, []);
    }

    #[test]
    fn numbers_are_written_as_the_kernel_writes_them() {
        let text = |write: &dyn Fn(&mut Out<'_>)| {
            let mut bytes = [0; 16];
            let mut out = Out::writing(&mut bytes);
            write(&mut out);
            let len = out.len;
            String::from_utf8(bytes[..len].to_vec()).unwrap()
        };
        assert_eq!(text(&|o| o.octal_perm(0o644)), "0644");
        assert_eq!(text(&|o| o.octal_perm(0)), "0000");
        assert_eq!(text(&|o| o.decimal(0)), "0");
        assert_eq!(text(&|o| o.decimal(u32::MAX)), "4294967295");
    }

    #[test]
    fn empty_strings_are_padding_and_skipped() {
        let found = entries(b"\0\0a=1\0\0\0b==2\0").unwrap();
        assert_eq!(found, [Entry { key: "a", value: "1" }, Entry { key: "b", value: "=2" }]);
        assert_eq!(entries(b"").unwrap(), []);
    }

    #[test]
    fn malformed_sections_say_where() {
        assert_eq!(entries(b"a=1\0b=2"), Err(FormatError::Unterminated { offset: 4 }));
        assert_eq!(entries(b"a=1\0\xff=2\0"), Err(FormatError::NotUtf8 { offset: 4 }));
        assert_eq!(entries(b"license\0"), Err(FormatError::NoKey { offset: 0 }));
        assert_eq!(entries(b"a=1\0=2\0"), Err(FormatError::NoKey { offset: 4 }));
        assert_eq!(FormatError::Unterminated { offset: 4 }.to_string(), "unterminated string at byte 4");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_entries_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok(found) = entries(&bytes) {
                for e in found {
                    proptest::prop_assert!(!e.key.is_empty() && !e.key.contains('=') && !e.value.contains('\0'));
                }
            }
        }

        #[test]
        fn written_entries_read_back(pairs in proptest::collection::vec(("[a-z_]{1,8}", "[^\0]{0,12}"), 0..8)) {
            let mut bytes = Vec::new();
            for (key, value) in &pairs {
                bytes.extend_from_slice(format!("{key}={value}\0").as_bytes());
            }
            let found: Vec<(String, String)> =
                entries(&bytes).unwrap().into_iter().map(|e| (e.key.to_string(), e.value.to_string())).collect();
            proptest::prop_assert_eq!(found, pairs);
        }
    }
}
