//! ELF checks: everything the dynamic linker will read, bounded before it reads it.
//!
//! `dlopen` trusts the file it maps. A segment past the end of the file is a
//! `SIGBUS` at the first touch; a relocation whose offset points outside the
//! library writes into the host's own memory; a string offset outside the
//! string table, a hash chain that loops, a version chain that runs off the
//! end: each is a crash or a hang of the whole process, and a few are
//! assertions in the dynamic linker that end it. So, like the kernel's
//! `elf_validity_cache_copy`, the host reads every structure the dynamic
//! linker reads from the module's private copy first, with the `object`
//! crate's bounds-checked views, and refuses the file with one line saying
//! what is wrong:
//!
//! - here: the ELF header (64-bit, little-endian, this machine, a shared
//!   object) and the program headers: loadable segments inside the file,
//!   readable, never writable and executable at once, in ascending order
//!   without sharing a page; the dynamic, TLS, RELRO, program-header, note
//!   and unwind-table segments inside loaded bytes; no executable stack; no
//!   more program headers, and no larger notes, than glibc may copy onto
//!   the stack of the thread that calls `dlopen`;
//! - [`dynamic`]: every dynamic entry the dynamic linker reads (an allow
//!   list of tags, and the tables glibc reads together all present), the
//!   string table (inside the file, NUL-terminated) and every offset into
//!   it (library names and search paths shorter than `PATH_MAX`), the symbol table, both hash tables with their
//!   bucket and chain bounds (and no loop), the symbol-version chains; no
//!   `STT_GNU_IFUNC` symbol, whose resolver is module code run at load;
//! - [`relocs`]: every relocation of `DT_RELA`, `DT_JMPREL` and `DT_RELR`:
//!   a type from this machine's allowed set (no `IRELATIVE`), a target
//!   inside a writable loaded segment, a symbol inside the symbol table.
//!
//! [`neutralised_dynamic`] runs before the checks, for the copy only:
//! it removes `DT_INIT`, `DT_INIT_ARRAY`, `DT_PREINIT_ARRAY`, `DT_FINI`,
//! `DT_FINI_ARRAY` and their sizes from the dynamic section, so that no code
//! of a module file runs at `dlopen` or `dlclose`: a module's code starts at
//! its init, as in the kernel. Rust modules need none of them (std's only
//! constructor records `argv`, which a module never reads; the C runtime's
//! `frame_dummy` and `__do_global_dtors_aux` have nothing to register or
//! run in a library that registers no `atexit` handlers).
//!
//! What is left unchecked: the contents of code, read-only data and the
//! unwind tables (`.eh_frame`), which only module code and a panic
//! unwinding through it read; and the libraries named by `DT_NEEDED`,
//! which are the system's, found by the system's search rules.
//!
//! Kernel counterpart: `elf_validity_cache_copy` in `kernel/module/main.c`.

mod dynamic;
mod relocs;

use object::{
    LittleEndian as LE, Pod,
    elf::{FileHeader64, ProgramHeader64},
    pod,
};
use std::ops::Range;

/// Why a file is not a loadable shared object, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ElfError(pub(crate) String);

fn invalid(reason: impl Into<String>) -> ElfError {
    ElfError(reason.into())
}

const PHDR_SIZE: usize = 56;
const DYN_SIZE: u64 = 16;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_NOTE: u32 = 4;
const PT_PHDR: u32 = 6;
const PT_TLS: u32 = 7;
const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
const PT_GNU_STACK: u32 = 0x6474_e551;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const PT_GNU_PROPERTY: u32 = 0x6474_e553;
pub(crate) const PF_X: u32 = 1;
pub(crate) const PF_W: u32 = 2;
pub(crate) const PF_R: u32 = 4;

/// The largest address range a module may span, and the largest segment
/// alignment: far beyond any real module, small enough that no sum
/// overflows and no reservation is absurd.
const MAX_SPAN: u64 = 1 << 32;
const MAX_ALIGN: u64 = 2 << 20;
/// The largest thread-local block.
const MAX_TLS: u64 = 16 << 20;
/// The most program headers, and the largest note: glibc copies both onto
/// the stack of the thread that calls `dlopen` (`alloca`), which may be small.
const MAX_PHNUM: usize = 128;
const MAX_NOTE: u64 = 64 << 10;

/// What the checks learned that the loader needs after `dlopen`: where the
/// segments are and what may be done with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The loadable segments, by address (`p_vaddr .. p_vaddr + p_memsz`).
    pub(crate) segments: Vec<Segment>,
    /// The part made read-only after relocation (`PT_GNU_RELRO`), whole pages.
    pub(crate) relro: Option<Range<u64>>,
    /// The `__this_module` symbol's address range, if defined.
    pub(crate) this_module: Option<Range<u64>>,
}

/// One loadable segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) range: Range<u64>,
    /// `PF_R`, `PF_W`, `PF_X`.
    pub(crate) flags: u32,
}

/// Checks a module image (its private copy) from end to end; see the module docs.
pub(crate) fn check(bytes: &[u8], page: u64) -> Result<Layout, ElfError> {
    let header = file_header(bytes)?;
    let phdrs = program_headers(bytes, header)?;
    let image = Image::new(bytes, phdrs, page)?;
    let specials = check_special_segments(&image, header, phdrs, page)?;
    let dynamic = dynamic::check(&image, &image.dynamic_entries(specials.dynamic.clone())?)?;
    relocs::check(&image, &dynamic, header.e_machine.get(LE).0)?;
    let segments = image.loads.iter().map(|l| Segment { range: l.vaddr..l.vaddr + l.memsz, flags: l.flags }).collect();
    Ok(Layout { segments, relro: specials.relro, this_module: dynamic.this_module })
}

/// A module's dynamic section without its constructor and destructor
/// entries (see the module docs): where the section starts in the file, and
/// its new bytes, to be written into the module's private copy. The full
/// [`check`] follows on the copy.
pub(crate) fn neutralised_dynamic(bytes: &[u8], page: u64) -> Result<(usize, Vec<u8>), ElfError> {
    let header = file_header(bytes)?;
    let phdrs = program_headers(bytes, header)?;
    let image = Image::new(bytes, phdrs, page)?;
    let dynamic = check_special_segments(&image, header, phdrs, page)?.dynamic;
    let range = image.file_range(dynamic.start, dynamic.end - dynamic.start, "the dynamic section")?;
    let mut section = bytes[range.clone()].to_vec();
    dynamic::remove_constructors(&mut section);
    Ok((range.start, section))
}

/// The ELF header, checked.
fn file_header(bytes: &[u8]) -> Result<&FileHeader64<LE>, ElfError> {
    if bytes.len() < 4 || bytes[..4] != *b"\x7fELF" {
        return Err(invalid("invalid ELF header"));
    }
    let (header, _) = pod::from_bytes::<FileHeader64<LE>>(bytes).map_err(|()| invalid("file too short"))?;
    let ident = &header.e_ident;
    if ident.class.0 != 2 || ident.data.0 != 1 {
        return Err(invalid("wrong ELF class: not 64-bit little-endian"));
    }
    if ident.version.0 != 1 || header.e_version.get(LE) != 1 {
        return Err(invalid("unknown ELF version"));
    }
    if ident.os_abi.0 != 0 && ident.os_abi.0 != 3 {
        return Err(invalid(format!("unsupported OS ABI {}", ident.os_abi.0)));
    }
    if header.e_type.get(LE).0 != 3 {
        return Err(invalid("not a shared object"));
    }
    if Some(header.e_machine.get(LE).0) != host_machine() {
        return Err(invalid("ELF file for another machine"));
    }
    Ok(header)
}

/// The program header table, inside the file.
fn program_headers<'a>(bytes: &'a [u8], header: &FileHeader64<LE>) -> Result<&'a [ProgramHeader64<LE>], ElfError> {
    let phnum = usize::from(header.e_phnum.get(LE));
    if usize::from(header.e_phentsize.get(LE)) != PHDR_SIZE || phnum == 0 {
        return Err(invalid("invalid program headers"));
    }
    if phnum > MAX_PHNUM {
        return Err(invalid("too many program headers"));
    }
    let table = usize::try_from(header.e_phoff.get(LE))
        .ok()
        .and_then(|offset| bytes.get(offset..)?.get(..phnum * PHDR_SIZE))
        .ok_or_else(|| invalid("file too short"))?;
    pod::slice_from_bytes::<ProgramHeader64<LE>>(table, phnum)
        .map(|(phdrs, _)| phdrs)
        .map_err(|()| invalid("invalid program headers"))
}

/// `e_machine` of the host, the one machine whose modules it loads (and
/// whose relocation types [`relocs`] knows).
fn host_machine() -> Option<u16> {
    match std::env::consts::ARCH {
        "x86_64" => Some(62),
        "aarch64" => Some(183),
        _ => None,
    }
}

/// One `PT_LOAD`, as numbers.
#[derive(Debug, Clone, Copy)]
struct Load {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
    flags: u32,
}

/// A module file seen as the dynamic linker will map it: addresses are
/// `p_vaddr`s, read from the file bytes the segments map.
struct Image<'a> {
    bytes: &'a [u8],
    loads: Vec<Load>,
}

impl<'a> Image<'a> {
    /// Checks the loadable segments and builds the view.
    fn new(bytes: &'a [u8], phdrs: &[ProgramHeader64<LE>], page: u64) -> Result<Image<'a>, ElfError> {
        let mut loads: Vec<Load> = Vec::new();
        for phdr in phdrs.iter().filter(|p| p.p_type.get(LE).0 == PT_LOAD) {
            let load = Load {
                vaddr: phdr.p_vaddr.get(LE),
                memsz: phdr.p_memsz.get(LE),
                offset: phdr.p_offset.get(LE),
                filesz: phdr.p_filesz.get(LE),
                flags: phdr.p_flags.get(LE).0,
            };
            check_load(&load, phdr.p_align.get(LE), bytes.len() as u64, page)?;
            if let Some(last) = loads.last()
                && load.vaddr / page * page < (last.vaddr + last.memsz).div_ceil(page) * page
            {
                return Err(invalid("loadable segments overlap or are out of order"));
            }
            loads.push(load);
        }
        if loads.is_empty() {
            return Err(invalid("no loadable segment"));
        }
        Ok(Image { bytes, loads })
    }

    /// The file offsets of `len` bytes at `vaddr`, all inside the file part
    /// of one loadable segment.
    fn file_range(&self, vaddr: u64, len: u64, what: &str) -> Result<Range<usize>, ElfError> {
        let end = vaddr.checked_add(len).ok_or_else(|| invalid(format!("{what} outside the loaded segments")))?;
        self.loads
            .iter()
            .find(|l| l.vaddr <= vaddr && end <= l.vaddr + l.filesz)
            .map(|l| {
                let start = (l.offset + (vaddr - l.vaddr)) as usize;
                start..start + len as usize
            })
            .ok_or_else(|| invalid(format!("{what} outside the loaded segments")))
    }

    /// The file bytes behind `len` bytes at `vaddr`; see [`Image::file_range`].
    fn at(&self, vaddr: u64, len: u64, what: &str) -> Result<&'a [u8], ElfError> {
        let range = self.file_range(vaddr, len, what)?;
        Ok(&self.bytes[range])
    }

    /// `count` values of `T` at `vaddr`, aligned for `T`'s natural alignment.
    fn slice<T: Pod>(&self, vaddr: u64, count: u64, align: u64, what: &str) -> Result<&'a [T], ElfError> {
        if !vaddr.is_multiple_of(align) {
            return Err(invalid(format!("{what} misaligned")));
        }
        let size = (std::mem::size_of::<T>() as u64)
            .checked_mul(count)
            .filter(|s| *s <= MAX_SPAN)
            .ok_or_else(|| invalid(format!("{what} too large")))?;
        let bytes = self.at(vaddr, size, what)?;
        pod::slice_from_bytes::<T>(bytes, count as usize)
            .map(|(s, _)| s)
            .map_err(|()| invalid(format!("{what} misaligned")))
    }

    /// Whether `len` bytes at `vaddr` lie inside one segment with all of `flags`.
    fn in_segment(&self, vaddr: u64, len: u64, flags: u32) -> bool {
        vaddr.checked_add(len).is_some_and(|end| {
            self.loads.iter().any(|l| l.vaddr <= vaddr && end <= l.vaddr + l.memsz && l.flags & flags == flags)
        })
    }

    /// The dynamic entries up to `DT_NULL`, as (tag, value).
    fn dynamic_entries(&self, range: Range<u64>) -> Result<Vec<(i64, u64)>, ElfError> {
        let count = (range.end - range.start) / DYN_SIZE;
        let entries = self.slice::<object::elf::Dyn64<LE>>(range.start, count, 8, "the dynamic section")?;
        let entries: Vec<(i64, u64)> = entries.iter().map(|d| (d.d_tag.get(LE).0, d.d_val.get(LE))).collect();
        let end =
            entries.iter().position(|(tag, _)| *tag == 0).ok_or_else(|| invalid("dynamic section not terminated"))?;
        Ok(entries[..end].to_vec())
    }
}

/// One loadable segment: inside the file, mapped as glibc maps it.
fn check_load(load: &Load, align: u64, file_len: u64, page: u64) -> Result<(), ElfError> {
    if load.offset.checked_add(load.filesz).is_none_or(|end| end > file_len) {
        return Err(invalid("file too short"));
    }
    if load.filesz > load.memsz || load.memsz == 0 {
        return Err(invalid("invalid segment size"));
    }
    if load.vaddr.checked_add(load.memsz).is_none_or(|end| end > MAX_SPAN) {
        return Err(invalid("segment address out of range"));
    }
    if load.vaddr % page != load.offset % page || (align > 1 && (!align.is_power_of_two() || align > MAX_ALIGN)) {
        return Err(invalid("segment address and offset misaligned"));
    }
    if load.flags & PF_R == 0 {
        return Err(invalid("segment not readable"));
    }
    if load.flags & (PF_W | PF_X) == PF_W | PF_X {
        return Err(invalid("segment writable and executable"));
    }
    Ok(())
}

/// What the non-loadable segments say: where the dynamic section is, and
/// the part made read-only after relocation.
struct Specials {
    dynamic: Range<u64>,
    relro: Option<Range<u64>>,
}

/// The dynamic, TLS, RELRO, stack, program-header, note and unwind-table segments.
fn check_special_segments(
    image: &Image<'_>,
    header: &FileHeader64<LE>,
    phdrs: &[ProgramHeader64<LE>],
    page: u64,
) -> Result<Specials, ElfError> {
    let (mut dynamic, mut relro, mut tls) = (None, None, false);
    for phdr in phdrs {
        let (vaddr, filesz, memsz) = (phdr.p_vaddr.get(LE), phdr.p_filesz.get(LE), phdr.p_memsz.get(LE));
        let flags = phdr.p_flags.get(LE).0;
        match phdr.p_type.get(LE).0 {
            PT_DYNAMIC => {
                if dynamic.is_some() {
                    return Err(invalid("more than one dynamic section"));
                }
                if filesz == 0 || filesz % DYN_SIZE != 0 {
                    return Err(invalid("invalid dynamic section size"));
                }
                image.at(vaddr, filesz, "the dynamic section")?;
                // glibc writes load addresses into a dynamic section it
                // believes writable: its segment must be.
                if flags & PF_W != 0 && !image.in_segment(vaddr, filesz, PF_W) {
                    return Err(invalid("dynamic section marked writable in a read-only segment"));
                }
                dynamic = Some(vaddr..vaddr + filesz);
            }
            PT_TLS => {
                if std::mem::replace(&mut tls, true) {
                    return Err(invalid("more than one TLS segment"));
                }
                let align = phdr.p_align.get(LE);
                if filesz > memsz || memsz > MAX_TLS || align > page || (align > 1 && !align.is_power_of_two()) {
                    return Err(invalid("invalid TLS segment"));
                }
                image.at(vaddr, filesz, "the TLS segment")?;
            }
            PT_GNU_RELRO => {
                if relro.is_some() {
                    return Err(invalid("more than one RELRO segment"));
                }
                if !image.in_segment(vaddr, memsz, PF_W) {
                    return Err(invalid("RELRO segment outside a writable segment"));
                }
                // glibc protects whole pages from the start's page to the end's.
                relro = Some(vaddr / page * page..(vaddr + memsz) / page * page);
            }
            PT_GNU_STACK if flags & PF_X != 0 => return Err(invalid("executable stack")),
            PT_PHDR => {
                let table = image.at(vaddr, filesz, "the program header segment")?;
                let offset = header.e_phoff.get(LE) as usize;
                if filesz != (phdrs.len() * PHDR_SIZE) as u64
                    || image.bytes.get(offset..offset + table.len()) != Some(table)
                {
                    return Err(invalid("program header segment is not the program headers"));
                }
            }
            PT_NOTE | PT_GNU_PROPERTY if memsz.max(filesz) > MAX_NOTE => return Err(invalid("note segment too large")),
            PT_NOTE | PT_GNU_PROPERTY | PT_GNU_EH_FRAME => {
                image.at(vaddr, memsz.max(filesz), "a note or unwind segment")?;
            }
            _ => {}
        }
    }
    let dynamic = dynamic.ok_or_else(|| invalid("no dynamic section"))?;
    Ok(Specials { dynamic, relro })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u64 = 4096;

    fn reason(result: Result<Layout, ElfError>) -> String {
        match result {
            Err(ElfError(reason)) => reason,
            Ok(_) => panic!("expected an invalid file"),
        }
    }

    /// What the private copy gets: the module without its constructors.
    fn neutralise_constructors(bytes: &mut [u8]) {
        let (at, section) = neutralised_dynamic(bytes, PAGE).unwrap();
        bytes[at..at + section.len()].copy_from_slice(&section);
    }

    fn module_bytes() -> Vec<u8> {
        let dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
        std::fs::read(dir.join("libtestmod.so")).expect("libtestmod.so is built for the host's tests")
    }

    #[test]
    fn a_module_passes_once_its_constructors_are_gone() {
        let mut bytes = module_bytes();
        assert!(reason(check(&bytes, PAGE)).contains("constructor"), "constructors are refused");
        neutralise_constructors(&mut bytes);
        let layout = check(&bytes, PAGE).unwrap();
        assert!(layout.this_module.is_some());
        assert!(layout.segments.iter().any(|s| s.flags & PF_X != 0));
    }

    /// The file offset of the first dynamic entry with `tag` in a module's bytes.
    fn dynamic_entry(bytes: &[u8], tag: i64) -> usize {
        let header = file_header(bytes).unwrap();
        let phdrs = program_headers(bytes, header).unwrap();
        let image = Image::new(bytes, phdrs, PAGE).unwrap();
        let range = check_special_segments(&image, header, phdrs, PAGE).unwrap().dynamic;
        let range = image.file_range(range.start, range.end - range.start, "dynamic").unwrap();
        range.step_by(16).find(|&at| i64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) == tag).unwrap()
    }

    #[test]
    fn a_plt_relocation_kind_without_its_table_is_refused() {
        let mut bytes = module_bytes();
        neutralise_constructors(&mut bytes);
        // DT_JMPREL (23) becomes DT_DEBUG (21): DT_PLTREL stays, alone with DT_PLTRELSZ.
        let at = dynamic_entry(&bytes, 23);
        bytes[at..at + 8].copy_from_slice(&21i64.to_le_bytes());
        assert_eq!(reason(check(&bytes, PAGE)), "invalid DT_JMPREL");
    }

    #[test]
    fn too_many_program_headers_are_refused_before_glibc_copies_them_to_its_stack() {
        let mut bytes = module_bytes();
        bytes[56..58].copy_from_slice(&200u16.to_le_bytes());
        assert_eq!(reason(check(&bytes, PAGE)), "too many program headers");
    }

    #[test]
    fn a_truncated_file_is_refused() {
        let bytes = module_bytes();
        assert_eq!(reason(check(&bytes[..100], PAGE)), "file too short");
        assert_eq!(reason(check(&bytes[..16 * 1024], PAGE)), "file too short");
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(reason(check(b"hello", PAGE)), "invalid ELF header");
        assert_eq!(reason(check(b"\x7fELF", PAGE)), "file too short");
        assert_eq!(reason(check(&[b'x'; 64], PAGE)), "invalid ELF header");
    }
}
