//! Reading a module file's sections without loading it.
//!
//! modinfo, depmod, modprobe's lookups and completion learn about a module
//! from its `.modinfo` and `.modhost_tables` sections (the format is in
//! [`modhost_abi::modinfo`]); the file is read, never mapped for execution,
//! so none of its code runs, ELF constructors included.
//!
//! Every number in the file is hostile. A file is read piecewise through
//! `object`'s `ReadCache`: the ELF header, the section headers, the section
//! names and then only the sections wanted, each read checked against the
//! file's length, and a wanted section larger than [`MAX_SECTION`] is
//! refused before it is read. A module's sealed copy, already in memory, is
//! read in place ([`read_image`], [`symbols`]) with the same checks: a
//! `ReadCache` costs a system call per symbol name. A malformed file is one
//! line, "invalid module format: ...", never a panic.
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

impl ReadError {
    /// What went wrong, for a message.
    pub(crate) fn reason(&self) -> String {
        match self {
            ReadError::Io(e) => e.to_string(),
            ReadError::Invalid(reason) => reason.clone(),
        }
    }
}

/// Reads `.modinfo` and `.modhost_tables` from `file`.
pub(crate) fn read(file: &Path) -> Result<ModuleSections, ReadError> {
    read_from(&ReadCache::new(open(file)?))
}

/// Reads `.modinfo` and `.modhost_tables` from a module image in memory.
pub(crate) fn read_image(image: &[u8]) -> Result<ModuleSections, ReadError> {
    read_from(image)
}

/// Reads the sections through `data`: a file read on demand, or bytes.
fn read_from<'data>(data: impl ReadRef<'data>) -> Result<ModuleSections, ReadError> {
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

/// The most symbols read from one module.
const MAX_SYMBOLS: usize = 1 << 18;

/// The functions and objects a module image's symbol table defines (`.symtab`, or
/// `.dynsym` in a stripped file), for kallsyms; none if it cannot be read.
pub(crate) fn symbols(image: &[u8]) -> Vec<crate::services::kallsyms::Symbol> {
    symbols_from(image).unwrap_or_default()
}

fn symbols_from(data: &[u8]) -> Option<Vec<crate::services::kallsyms::Symbol>> {
    use object::elf::{SHT_DYNSYM, SHT_SYMTAB, STT_FUNC, STT_OBJECT};
    use object::read::elf::Sym;
    check_ident(data).ok()?;
    let header = FileHeader64::<Endianness>::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let mut table = sections.symbols(endian, data, SHT_SYMTAB).ok()?;
    if table.is_empty() {
        table = sections.symbols(endian, data, SHT_DYNSYM).ok()?;
    }
    let found = table
        .iter()
        .filter(|s| matches!(s.st_type(), STT_FUNC | STT_OBJECT) && !s.is_undefined(endian))
        .take(MAX_SYMBOLS)
        .filter_map(|s| {
            let name = s.name(endian, table.strings()).ok()?;
            let name = std::str::from_utf8(name).ok().filter(|n| !n.is_empty() && n.len() <= 512)?;
            Some(crate::services::kallsyms::Symbol {
                start: usize::try_from(s.st_value(endian)).ok()?,
                size: usize::try_from(s.st_size(endian)).ok()?,
                name: name.to_string(),
            })
        })
        .collect();
    Some(found)
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use modhost_abi::modinfo::entries;
    use proptest::prelude::*;
    use std::io::Cursor;

    /// A minimal 64-bit little-endian ELF file: the header, the sections'
    /// bytes, the section-name table, then the section headers.
    pub(crate) fn elf(sections: &[(&str, &[u8])]) -> Vec<u8> {
        let mut names = vec![0];
        let mut name_offsets = Vec::new();
        for (name, _) in sections.iter().copied().chain([(".shstrtab", &[][..])]) {
            name_offsets.push(names.len() as u32);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let mut out = vec![0; 64];
        let mut placed = Vec::new();
        for (_, bytes) in sections.iter().copied().chain([("", &names[..])]) {
            placed.push((out.len() as u64, bytes.len() as u64));
            out.extend_from_slice(bytes);
        }
        out.resize(out.len().next_multiple_of(8), 0);
        let shoff = out.len() as u64;
        out.extend_from_slice(&[0; 64]);
        for (i, (offset, size)) in placed.iter().enumerate() {
            let sh_type: u32 = if i == sections.len() { 3 } else { 1 };
            let mut header = [0; 64];
            header[0..4].copy_from_slice(&name_offsets[i].to_le_bytes());
            header[4..8].copy_from_slice(&sh_type.to_le_bytes());
            header[24..32].copy_from_slice(&offset.to_le_bytes());
            header[32..40].copy_from_slice(&size.to_le_bytes());
            header[48..56].copy_from_slice(&1u64.to_le_bytes());
            out.extend_from_slice(&header);
        }
        out[0..4].copy_from_slice(&ELFMAG);
        out[4..7].copy_from_slice(&[ELFCLASS64.0, 1, 1]);
        out[16..18].copy_from_slice(&3u16.to_le_bytes());
        out[18..20].copy_from_slice(&62u16.to_le_bytes());
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[40..48].copy_from_slice(&shoff.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes());
        out[58..60].copy_from_slice(&64u16.to_le_bytes());
        out[60..62].copy_from_slice(&(sections.len() as u16 + 2).to_le_bytes());
        out[62..64].copy_from_slice(&(sections.len() as u16 + 1).to_le_bytes());
        out
    }

    pub(crate) const MODINFO: &[u8] =
        b"name=fifo\0license=GPL\0parmtype=size:uint\0parm=size:Slots\0vermagic=modhost-abi/3 panic=unwind\0";
    pub(crate) const TABLES: &[u8] = b"export_gpl=fifo_put\0import=clock_now\0kparam=size:0444:0\0";

    fn read_bytes(bytes: Vec<u8>) -> Result<ModuleSections, ReadError> {
        read_from(&ReadCache::new(Cursor::new(bytes)))
    }

    fn invalid_reason(bytes: Vec<u8>) -> String {
        match read_bytes(bytes) {
            Err(ReadError::Invalid(reason)) => reason,
            other => panic!("not refused as invalid: {other:?}"),
        }
    }

    /// The offset of the `n`th section header's `sh_size` in an [`elf`] file.
    fn sh_size_at(file: &[u8], n: usize) -> usize {
        let shoff = u64::from_le_bytes(file[40..48].try_into().unwrap()) as usize;
        shoff + 64 * n + 32
    }

    #[test]
    fn the_two_sections_are_found_by_name() {
        let found = read_bytes(elf(&[(".text", b"\xc3"), (".modinfo", MODINFO), (".modhost_tables", TABLES)])).unwrap();
        assert_eq!(found.modinfo.as_deref(), Some(MODINFO));
        assert_eq!(found.tables.as_deref(), Some(TABLES));
        let found = read_bytes(elf(&[(".text", b"\xc3")])).unwrap();
        assert!(found.modinfo.is_none() && found.tables.is_none());
    }

    #[test]
    fn files_that_are_not_elf_of_our_class_say_so() {
        assert_eq!(invalid_reason(Vec::new()), "not an ELF file (too short)");
        assert_eq!(invalid_reason(b"#!/bin/sh\n".to_vec()), "not an ELF file");
        let mut class32 = elf(&[(".modinfo", MODINFO)]);
        class32[4] = 1;
        assert_eq!(invalid_reason(class32), "not a 64-bit ELF file");
    }

    #[test]
    fn absurd_and_lying_sizes_are_refused_before_reading() {
        let file = elf(&[(".modinfo", MODINFO)]);
        let mut huge = file.clone();
        let at = sh_size_at(&huge, 1);
        huge[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert_eq!(invalid_reason(huge), ".modinfo is 1099511627776 bytes, more than 1048576");
        let mut past_the_end = file.clone();
        past_the_end[at..at + 8].copy_from_slice(&MAX_SECTION.to_le_bytes());
        assert_eq!(invalid_reason(past_the_end), ".modinfo lies outside the file");
        let mut many_headers = file.clone();
        many_headers[60..62].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(invalid_reason(many_headers), "invalid ELF section header offset/size/alignment");
        let truncated = file[..file.len() - 10].to_vec();
        assert_eq!(invalid_reason(truncated), "invalid ELF section header offset/size/alignment");
    }

    #[test]
    fn directories_and_missing_files_are_io_errors() {
        let dir = std::env::temp_dir();
        assert!(matches!(read(&dir), Err(ReadError::Io(e)) if e.raw_os_error() == Some(libc::EISDIR)));
        let missing = dir.join(format!("modhost-no-such-file-{}", std::process::id()));
        assert!(matches!(read(&missing), Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::NotFound));
        assert_eq!(
            match read(Path::new("/dev/null")) {
                Err(ReadError::Invalid(reason)) => reason,
                other => panic!("{other:?}"),
            },
            "not a regular file"
        );
    }

    /// The shipped fifo, as cargo built it next to this test binary.
    #[test]
    fn the_built_fifo_carries_exactly_the_kernel_keys() {
        let dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
        let found = read(&dir.join("libfifo.so")).unwrap();
        let modinfo = found.modinfo.expect("libfifo.so has a .modinfo section");
        let pairs: Vec<(&str, &str)> = entries(&modinfo).unwrap().into_iter().map(|e| (e.key, e.value)).collect();
        assert_eq!(
            pairs,
            [
                ("name", "fifo"),
                ("license", "GPL"),
                ("author", "modhost developers"),
                ("description", "A bounded FIFO guarded by a mutex and two counting semaphores"),
                ("version", "1.0"),
                ("parmtype", "size:uint"),
                ("parm", "size:Slots in the fifo (1 to 4096)"),
                ("vermagic", "modhost-abi/3 panic=unwind"),
            ]
        );
        let tables = found.tables.expect("libfifo.so has a .modhost_tables section");
        let exports = ["fifo_put", "fifo_get", "fifo_try_put", "fifo_try_get", "fifo_put_timeout", "fifo_get_timeout"];
        let mut expected: Vec<(&str, &str)> = exports.iter().map(|e| ("export_gpl", *e)).collect();
        expected.extend([("export_gpl", "fifo_stats"), ("kparam", "size:0444:0")]);
        let pairs: Vec<(&str, &str)> = entries(&tables).unwrap().into_iter().map(|e| (e.key, e.value)).collect();
        assert_eq!(pairs, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever bytes are changed or cut, reading is a result, never a
        /// panic, and never reads a section past the cap.
        #[test]
        fn mutated_files_are_read_or_refused(
            mutations in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut file = elf(&[(".text", b"\xc3"), (".modinfo", MODINFO), (".modhost_tables", TABLES)]);
            for (at, byte) in mutations {
                let i = at.index(file.len());
                file[i] = byte;
            }
            if truncate {
                file.truncate(cut.index(file.len()));
            }
            if let Ok(found) = read_bytes(file) {
                for section in [found.modinfo, found.tables].into_iter().flatten() {
                    prop_assert!(section.len() as u64 <= MAX_SECTION);
                }
            }
        }
    }
}
