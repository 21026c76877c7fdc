//! Reading a module file's sections without loading it.
//!
//! modinfo, depmod, modprobe's lookups and completion learn about a module
//! from its `.modinfo` and `.modhost_tables` sections (the format is in
//! [`modhost_abi::modinfo`]); the file is read, never mapped for execution,
//! so none of its code runs, ELF constructors included.
//!
//! Every number in the file is hostile. The file is read piecewise through
//! `object`'s `ReadCache`: the ELF header, the section headers, the section
//! names and then only the sections wanted, each read checked against the
//! file's length, and a wanted section larger than [`MAX_SECTION`] is
//! refused before it is read. A malformed file is one line, "invalid module
//! format: ...", never a panic.
//!
//! Kernel counterpart: kmod's `libkmod-elf.c` (`kmod_elf_get_modinfo_strings`).

use modhost_abi::modinfo::{MODINFO_SECTION, TABLES_SECTION};
use object::{
    Endianness, ReadCache, ReadRef,
    elf::{ELFCLASS64, ELFMAG, FileHeader64},
    read::elf::{FileHeader, SectionHeader},
};
use std::{
    fs::{File, OpenOptions},
    io,
    os::unix::fs::OpenOptionsExt,
    path::Path,
};

/// The largest section read: far more than any module's modinfo or symbol
/// records need, little enough to allocate for a hostile file.
pub(crate) const MAX_SECTION: u64 = 1 << 20;

/// The sections of a module file that describe it; `None` for one the file
/// does not have.
#[derive(Debug, Default)]
pub(crate) struct ModuleSections {
    /// `.modinfo`.
    pub(crate) modinfo: Option<Vec<u8>>,
    /// `.modhost_tables`.
    pub(crate) tables: Option<Vec<u8>>,
}

/// Why a file's sections could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The file could not be read (missing, a directory, no permission).
    Io(io::Error),
    /// It is not an ELF file of the host's kind, or its headers lie.
    Invalid(String),
}

/// Reads `.modinfo` and `.modhost_tables` from `file`.
pub(crate) fn read(file: &Path) -> Result<ModuleSections, ReadError> {
    let cache = ReadCache::new(open(file)?);
    let data = &cache;
    check_ident(data)?;
    let header = FileHeader64::<Endianness>::parse(data).map_err(invalid)?;
    let endian = header.endian().map_err(invalid)?;
    let sections = header.sections(endian, data).map_err(invalid)?;
    let mut found = ModuleSections::default();
    for section in sections.iter() {
        let (name, slot) = match sections.section_name(endian, section).map_err(invalid)? {
            name if name == MODINFO_SECTION.as_bytes() => (MODINFO_SECTION, &mut found.modinfo),
            name if name == TABLES_SECTION.as_bytes() => (TABLES_SECTION, &mut found.tables),
            _ => continue,
        };
        if slot.is_some() {
            continue;
        }
        let size = section.sh_size(endian);
        if size > MAX_SECTION {
            return Err(ReadError::Invalid(format!("{name} is {size} bytes, more than {MAX_SECTION}")));
        }
        let bytes =
            section.data(endian, data).map_err(|_| ReadError::Invalid(format!("{name} lies outside the file")))?;
        *slot = Some(bytes.to_vec());
    }
    Ok(found)
}

/// Opens `file` for reading only if it is a regular file, without blocking
/// on a FIFO put in its place.
fn open(file: &Path) -> Result<File, ReadError> {
    let f = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(file).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Io(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    if !meta.is_file() {
        return Err(ReadError::Invalid("not a regular file".to_string()));
    }
    Ok(f)
}

/// The ELF identification, checked first for a clear reason.
fn check_ident<'data>(data: impl ReadRef<'data>) -> Result<(), ReadError> {
    let ident = data.read_bytes_at(0, 5).map_err(|()| ReadError::Invalid("not an ELF file (too short)".into()))?;
    if ident[..4] != ELFMAG {
        return Err(ReadError::Invalid("not an ELF file".to_string()));
    }
    if ident[4] != ELFCLASS64.0 {
        return Err(ReadError::Invalid("not a 64-bit ELF file".to_string()));
    }
    Ok(())
}

/// `object`'s reason, as the tail of a sentence.
fn invalid(e: object::Error) -> ReadError {
    let reason = e.to_string();
    let mut chars = reason.chars();
    let reason = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => reason,
    };
    ReadError::Invalid(reason)
}
