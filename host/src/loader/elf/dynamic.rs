//! The dynamic section and what it points to: strings, symbols, hash
//! tables, symbol versions, and where the relocation tables are.
//!
//! Each check matches a read of glibc's dynamic linker: `elf_get_dynamic_info`
//! (the tags, and its assertions on `DT_RELAENT`, `DT_PLTREL`, `DT_RELRENT`),
//! `_dl_setup_hash` and `do_lookup_x` (hash tables, symbols, `DT_VERSYM`),
//! `_dl_check_map_versions` (the `Verneed` and `Verdef` chains, followed
//! until a zero `next`, and an assertion that each needed file is a
//! `DT_NEEDED` one), `_dl_map_object_deps` (`DT_NEEDED`), `decompose_rpath`
//! (`DT_RPATH`, `DT_RUNPATH`). A tag the list below does not know is refused
//! rather than guessed about.

use object::{
    LittleEndian as LE,
    elf::{Sym64, Verdaux, Verdef, Vernaux, Verneed},
};
use std::ops::Range;

use super::{ElfError, Image, PF_W, invalid};

const DT_NEEDED: i64 = 1;
const DT_PLTRELSZ: i64 = 2;
const DT_PLTGOT: i64 = 3;
const DT_HASH: i64 = 4;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_RELAENT: i64 = 9;
const DT_STRSZ: i64 = 10;
const DT_SYMENT: i64 = 11;
const DT_INIT: i64 = 12;
const DT_FINI: i64 = 13;
const DT_SONAME: i64 = 14;
const DT_RPATH: i64 = 15;
const DT_SYMBOLIC: i64 = 16;
const DT_PLTREL: i64 = 20;
const DT_DEBUG: i64 = 21;
const DT_JMPREL: i64 = 23;
const DT_BIND_NOW: i64 = 24;
const DT_INIT_ARRAY: i64 = 25;
const DT_FINI_ARRAY: i64 = 26;
const DT_INIT_ARRAYSZ: i64 = 27;
const DT_FINI_ARRAYSZ: i64 = 28;
const DT_RUNPATH: i64 = 29;
const DT_FLAGS: i64 = 30;
const DT_PREINIT_ARRAY: i64 = 32;
const DT_PREINIT_ARRAYSZ: i64 = 33;
const DT_RELRSZ: i64 = 35;
const DT_RELR: i64 = 36;
const DT_RELRENT: i64 = 37;
const DT_GNU_HASH: i64 = 0x6fff_fef5;
const DT_VERSYM: i64 = 0x6fff_fff0;
const DT_RELACOUNT: i64 = 0x6fff_fff9;
const DT_FLAGS_1: i64 = 0x6fff_fffb;
const DT_VERDEF: i64 = 0x6fff_fffc;
const DT_VERDEFNUM: i64 = 0x6fff_fffd;
const DT_VERNEED: i64 = 0x6fff_fffe;
const DT_VERNEEDNUM: i64 = 0x6fff_ffff;

/// The entries that run module code at `dlopen` and `dlclose`.
const CONSTRUCTORS: [i64; 8] = [
    DT_INIT,
    DT_FINI,
    DT_INIT_ARRAY,
    DT_FINI_ARRAY,
    DT_INIT_ARRAYSZ,
    DT_FINI_ARRAYSZ,
    DT_PREINIT_ARRAY,
    DT_PREINIT_ARRAYSZ,
];

/// The tags a module may have, with their names for messages.
const KNOWN: [(i64, &str); 31] = [
    (DT_NEEDED, "DT_NEEDED"),
    (DT_PLTRELSZ, "DT_PLTRELSZ"),
    (DT_PLTGOT, "DT_PLTGOT"),
    (DT_HASH, "DT_HASH"),
    (DT_STRTAB, "DT_STRTAB"),
    (DT_SYMTAB, "DT_SYMTAB"),
    (DT_RELA, "DT_RELA"),
    (DT_RELASZ, "DT_RELASZ"),
    (DT_RELAENT, "DT_RELAENT"),
    (DT_STRSZ, "DT_STRSZ"),
    (DT_SYMENT, "DT_SYMENT"),
    (DT_SONAME, "DT_SONAME"),
    (DT_RPATH, "DT_RPATH"),
    (DT_SYMBOLIC, "DT_SYMBOLIC"),
    (DT_PLTREL, "DT_PLTREL"),
    (DT_DEBUG, "DT_DEBUG"),
    (DT_JMPREL, "DT_JMPREL"),
    (DT_BIND_NOW, "DT_BIND_NOW"),
    (DT_RUNPATH, "DT_RUNPATH"),
    (DT_FLAGS, "DT_FLAGS"),
    (DT_RELRSZ, "DT_RELRSZ"),
    (DT_RELR, "DT_RELR"),
    (DT_RELRENT, "DT_RELRENT"),
    (DT_GNU_HASH, "DT_GNU_HASH"),
    (DT_VERSYM, "DT_VERSYM"),
    (DT_RELACOUNT, "DT_RELACOUNT"),
    (DT_FLAGS_1, "DT_FLAGS_1"),
    (DT_VERDEF, "DT_VERDEF"),
    (DT_VERDEFNUM, "DT_VERDEFNUM"),
    (DT_VERNEED, "DT_VERNEED"),
    (DT_VERNEEDNUM, "DT_VERNEEDNUM"),
];

/// `DF_ORIGIN | DF_SYMBOLIC | DF_BIND_NOW | DF_STATIC_TLS`: not `DF_TEXTREL`.
const FLAGS_ALLOWED: u64 = 0x1 | 0x2 | 0x8 | 0x10;
/// `DF_1_NOW | DF_1_ORIGIN | DF_1_NODEFLIB`: not `DF_1_GLOBAL` (which would
/// show its symbols to every library) nor `DF_1_NODELETE` (never unloaded).
const FLAGS_1_ALLOWED: u64 = 0x1 | 0x80 | 0x800;

const SYM_SIZE: u64 = 24;
const RELA_SIZE: u64 = 24;
const RELR_SIZE: u64 = 8;
const STT_GNU_IFUNC: u8 = 10;
/// The most entries a version chain may have: far more than any library.
const MAX_VERSIONS: usize = 1 << 16;
/// The longest library name or search path (`PATH_MAX`): glibc expands
/// `$ORIGIN` in them into buffers on the stack.
const MAX_PATH: usize = 4096;

/// What the relocation checks and the loader need from the dynamic section.
#[derive(Debug)]
pub(super) struct Dynamic {
    /// The number of symbols in the symbol table.
    pub(super) symbols: u64,
    /// `DT_RELA` and `DT_JMPREL`: address, size, and how many entries at
    /// the start glibc applies as relative relocations, asserting that they
    /// are (`DT_RELACOUNT`, for `DT_RELA` only).
    pub(super) rela: Vec<(u64, u64, u64)>,
    /// `DT_RELR`: address and size.
    pub(super) relr: Option<(u64, u64)>,
    /// The address range of `__this_module`.
    pub(super) this_module: Option<Range<u64>>,
}

/// Removes the constructor and destructor entries from a dynamic section
/// (its bytes): the entries after them move up, `DT_NULL`s fill the end.
pub(super) fn remove_constructors(section: &mut [u8]) {
    let entries: Vec<[u8; 16]> = section.chunks_exact(16).map(|e| e.try_into().unwrap_or([0; 16])).collect();
    let tag = |e: &[u8; 16]| i64::from_le_bytes(e[..8].try_into().unwrap_or_default());
    let end = entries.iter().position(|e| tag(e) == 0).unwrap_or(entries.len());
    let kept: Vec<&[u8; 16]> = entries[..end].iter().filter(|e| !CONSTRUCTORS.contains(&tag(e))).collect();
    for (i, slot) in section.chunks_exact_mut(16).take(end).enumerate() {
        slot.copy_from_slice(kept.get(i).map_or(&[0; 16], |e| *e));
    }
}

/// The dynamic entries, looked up by tag.
struct Entries<'a>(&'a [(i64, u64)]);

impl Entries<'_> {
    fn get(&self, tag: i64) -> Option<u64> {
        self.0.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v)
    }

    fn all(&self, tag: i64) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().filter(move |(t, _)| *t == tag).map(|(_, v)| *v)
    }
}

/// Checks the dynamic section's entries and what they point to.
pub(super) fn check(image: &Image<'_>, entries: &[(i64, u64)]) -> Result<Dynamic, ElfError> {
    check_tags(entries)?;
    let entries = Entries(entries);
    let strings = Strings::of(image, &entries)?;
    let needed: Vec<&[u8]> =
        entries.all(DT_NEEDED).map(|offset| strings.path(offset, "DT_NEEDED")).collect::<Result<_, _>>()?;
    for (tag, name) in [(DT_SONAME, "DT_SONAME"), (DT_RPATH, "DT_RPATH"), (DT_RUNPATH, "DT_RUNPATH")] {
        if let Some(offset) = entries.get(tag) {
            strings.path(offset, name)?;
        }
    }
    let symbols = symbol_count(image, &entries)?;
    let this_module = check_symbols(image, &entries, &strings, symbols)?;
    check_versions(image, &entries, &strings, symbols, &needed)?;
    if let Some(got) = entries.get(DT_PLTGOT)
        && !image.in_segment(got, 3 * 8, PF_W)
    {
        return Err(invalid("DT_PLTGOT outside a writable segment"));
    }
    let rela = relocation_tables(image, &entries)?;
    let relr = table(image, &entries, (DT_RELR, DT_RELRSZ, DT_RELRENT), RELR_SIZE, "DT_RELR")?;
    Ok(Dynamic { symbols, rela, relr, this_module })
}

/// Known tags only, each single-valued one once, flags from the allowed sets.
fn check_tags(entries: &[(i64, u64)]) -> Result<(), ElfError> {
    for (i, (tag, value)) in entries.iter().enumerate() {
        if CONSTRUCTORS.contains(tag) {
            return Err(invalid(format!("constructor entry {tag:#x} left in the dynamic section")));
        }
        let Some((_, name)) = KNOWN.iter().find(|(t, _)| t == tag) else {
            return Err(invalid(format!("unsupported dynamic entry {tag:#x}")));
        };
        if *tag != DT_NEEDED && entries[..i].iter().any(|(t, _)| t == tag) {
            return Err(invalid(format!("{name} given twice")));
        }
        let allowed = match *tag {
            DT_FLAGS => FLAGS_ALLOWED,
            DT_FLAGS_1 => FLAGS_1_ALLOWED,
            _ => u64::MAX,
        };
        if value & !allowed != 0 {
            return Err(invalid(format!("{name} {value:#x}: unsupported flags")));
        }
    }
    Ok(())
}

/// The string table: inside the file, ending with a NUL.
struct Strings<'a>(&'a [u8]);

impl<'a> Strings<'a> {
    fn of(image: &Image<'a>, entries: &Entries<'_>) -> Result<Strings<'a>, ElfError> {
        let (Some(strtab), Some(strsz)) = (entries.get(DT_STRTAB), entries.get(DT_STRSZ)) else {
            return Err(invalid("no string table"));
        };
        let table = image.at(strtab, strsz, "DT_STRTAB")?;
        if table.last() != Some(&0) {
            return Err(invalid("string table not NUL-terminated"));
        }
        Ok(Strings(table))
    }

    /// The NUL-terminated string at `offset`, without its NUL.
    fn get(&self, offset: u64, what: &str) -> Result<&'a [u8], ElfError> {
        let rest = usize::try_from(offset)
            .ok()
            .and_then(|o| self.0.get(o..))
            .filter(|rest| !rest.is_empty())
            .ok_or_else(|| invalid(format!("{what} name outside the string table")))?;
        Ok(&rest[..rest.iter().position(|b| *b == 0).unwrap_or(rest.len())])
    }

    /// A file name or search path at `offset`, at most [`MAX_PATH`] long.
    fn path(&self, offset: u64, what: &str) -> Result<&'a [u8], ElfError> {
        let path = self.get(offset, what)?;
        if path.len() >= MAX_PATH {
            return Err(invalid(format!("{what} name too long")));
        }
        Ok(path)
    }
}

/// The number of symbols, from the hash tables (the dynamic linker has no
/// other count): both are checked when both are present.
fn symbol_count(image: &Image<'_>, entries: &Entries<'_>) -> Result<u64, ElfError> {
    if entries.get(DT_SYMENT).is_some_and(|size| size != SYM_SIZE) {
        return Err(invalid("invalid DT_SYMENT"));
    }
    if entries.get(DT_SYMTAB).is_none() {
        return Err(invalid("no symbol table"));
    }
    let sysv = entries.get(DT_HASH).map(|at| sysv_hash_count(image, at)).transpose()?;
    let gnu = entries.get(DT_GNU_HASH).map(|at| gnu_hash_count(image, at)).transpose()?;
    match (sysv, gnu) {
        (None, None) => Err(invalid("no hash table")),
        (a, b) => Ok(a.unwrap_or(0).max(b.unwrap_or(0))),
    }
}

/// `DT_HASH`: buckets and chains inside the table, chains without a loop.
fn sysv_hash_count(image: &Image<'_>, at: u64) -> Result<u64, ElfError> {
    let head = image.slice::<u32>(at, 2, 4, "DT_HASH")?;
    let (nbucket, nchain) = (u64::from(u32::from_le(head[0])), u64::from(u32::from_le(head[1])));
    if nbucket == 0 {
        return Err(invalid("DT_HASH has no buckets"));
    }
    let words = image.slice::<u32>(at + 8, nbucket + nchain, 4, "DT_HASH")?;
    let (buckets, chains) = words.split_at(nbucket as usize);
    let next: Vec<usize> = chains.iter().map(|c| u32::from_le(*c) as usize).collect();
    if buckets
        .iter()
        .map(|b| u64::from(u32::from_le(*b)))
        .chain(next.iter().map(|c| *c as u64))
        .any(|i| i >= nchain.max(1))
    {
        return Err(invalid("DT_HASH chain outside the symbol table"));
    }
    // Symbol 0 ends every chain; any other cycle would loop forever.
    let mut state = vec![0u8; next.len()];
    for start in 1..next.len() {
        let mut path = Vec::new();
        let mut i = start;
        while i != 0 && state[i] == 0 {
            state[i] = 1;
            path.push(i);
            i = next[i];
        }
        if i != 0 && state[i] == 1 {
            return Err(invalid("DT_HASH chain loops"));
        }
        path.iter().for_each(|&p| state[p] = 2);
    }
    Ok(nchain)
}

/// `DT_GNU_HASH`: header, Bloom filter and buckets inside the table, every
/// chain ending (its last entry has bit 0 set) inside the file.
fn gnu_hash_count(image: &Image<'_>, at: u64) -> Result<u64, ElfError> {
    let head = image.slice::<u32>(at, 4, 8, "DT_GNU_HASH")?;
    let [nbuckets, symoffset, bloom_size, bloom_shift] = [0, 1, 2, 3].map(|i| u64::from(u32::from_le(head[i])));
    if nbuckets == 0 || !bloom_size.is_power_of_two() || bloom_shift >= 64 {
        return Err(invalid("invalid DT_GNU_HASH header"));
    }
    image.slice::<u64>(at + 16, bloom_size, 8, "DT_GNU_HASH")?;
    let buckets_at = at + 16 + 8 * bloom_size;
    let buckets = image.slice::<u32>(buckets_at, nbuckets, 4, "DT_GNU_HASH")?;
    let chains_at = buckets_at + 4 * nbuckets;
    let mut count = symoffset;
    for bucket in buckets.iter().map(|b| u64::from(u32::from_le(*b))).filter(|b| *b != 0) {
        if bucket < symoffset {
            return Err(invalid("DT_GNU_HASH bucket before its first symbol"));
        }
        let mut i = bucket;
        while u32::from_le(image.slice::<u32>(chains_at + 4 * (i - symoffset), 1, 4, "DT_GNU_HASH chain")?[0]) & 1 == 0
        {
            i += 1;
        }
        count = count.max(i + 1);
    }
    Ok(count)
}

/// Every symbol's name inside the string table; no `STT_GNU_IFUNC`
/// definition. Returns the range of `__this_module`.
fn check_symbols(
    image: &Image<'_>,
    entries: &Entries<'_>,
    strings: &Strings<'_>,
    count: u64,
) -> Result<Option<Range<u64>>, ElfError> {
    let at = entries.get(DT_SYMTAB).unwrap_or_default();
    let symbols = image.slice::<Sym64<LE>>(at, count, 8, "DT_SYMTAB")?;
    let mut this_module = None;
    for symbol in symbols {
        let name = strings.get(u64::from(symbol.st_name.get(LE)), "symbol")?;
        let defined = symbol.st_shndx.get(LE).0 != 0;
        if defined && symbol.st_type().0 == STT_GNU_IFUNC {
            return Err(invalid(format!(
                "IFUNC symbol {}: its resolver would run at load",
                String::from_utf8_lossy(name)
            )));
        }
        if defined && this_module.is_none() && name == b"__this_module" {
            let (value, size) = (symbol.st_value.get(LE), symbol.st_size.get(LE));
            this_module = Some(value..value.saturating_add(size));
        }
    }
    Ok(this_module)
}

/// `DT_VERSYM`, `DT_VERNEED` and `DT_VERDEF`: every chain ends inside the
/// file, names inside the string table, every needed file a `DT_NEEDED`
/// one, every symbol's version index one the chains define.
fn check_versions(
    image: &Image<'_>,
    entries: &Entries<'_>,
    strings: &Strings<'_>,
    symbols: u64,
    needed: &[&[u8]],
) -> Result<(), ElfError> {
    let mut highest = 1u16;
    if let Some(mut at) = entries.get(DT_VERNEED) {
        for step in 0.. {
            let need = first::<Verneed<LE>>(image, at, "DT_VERNEED")?;
            let file = strings.get(u64::from(need.vn_file.get(LE)), "DT_VERNEED")?;
            if need.vn_version.get(LE) != 1 || !needed.contains(&file) || step > MAX_VERSIONS {
                return Err(invalid("invalid DT_VERNEED entry"));
            }
            let mut aux = at + u64::from(need.vn_aux.get(LE));
            for step in 0.. {
                let entry = first::<Vernaux<LE>>(image, aux, "DT_VERNEED")?;
                strings.get(u64::from(entry.vna_name.get(LE)), "DT_VERNEED")?;
                highest = highest.max(entry.vna_other.get(LE).0 & 0x7fff);
                match entry.vna_next.get(LE) {
                    0 => break,
                    _ if step > MAX_VERSIONS => return Err(invalid("invalid DT_VERNEED entry")),
                    next => aux += u64::from(next),
                }
            }
            match need.vn_next.get(LE) {
                0 => break,
                next => at += u64::from(next),
            }
        }
    }
    if let Some(mut at) = entries.get(DT_VERDEF) {
        for step in 0.. {
            let def = first::<Verdef<LE>>(image, at, "DT_VERDEF")?;
            if def.vd_version.get(LE) != 1 || step > MAX_VERSIONS {
                return Err(invalid("invalid DT_VERDEF entry"));
            }
            highest = highest.max(def.vd_ndx.get(LE).0 & 0x7fff);
            // glibc reads the first name of each definition, its own.
            let aux = first::<Verdaux<LE>>(image, at + u64::from(def.vd_aux.get(LE)), "DT_VERDEF")?;
            strings.get(u64::from(aux.vda_name.get(LE)), "DT_VERDEF")?;
            match def.vd_next.get(LE) {
                0 => break,
                next => at += u64::from(next),
            }
        }
    }
    if let Some(at) = entries.get(DT_VERSYM) {
        if entries.get(DT_VERNEED).is_none() && entries.get(DT_VERDEF).is_none() {
            return Err(invalid("DT_VERSYM without version definitions or needs"));
        }
        let versions = image.slice::<u16>(at, symbols, 2, "DT_VERSYM")?;
        if versions.iter().any(|v| u16::from_le(*v) & 0x7fff > highest) {
            return Err(invalid("DT_VERSYM index without a version"));
        }
    }
    Ok(())
}

/// The one `T` at `at`, 4-byte aligned as the version structures are.
fn first<'a, T: object::Pod>(image: &Image<'a>, at: u64, what: &str) -> Result<&'a T, ElfError> {
    Ok(&image.slice::<T>(at, 1, 4, what)?[0])
}

/// `DT_RELA` and `DT_JMPREL`, each complete (glibc reads the size and
/// entry size of a table it finds without checking they are there).
fn relocation_tables(image: &Image<'_>, entries: &Entries<'_>) -> Result<Vec<(u64, u64, u64)>, ElfError> {
    let mut tables = Vec::new();
    let relative = entries.get(DT_RELACOUNT).unwrap_or(0);
    let rela = table(image, entries, (DT_RELA, DT_RELASZ, DT_RELAENT), RELA_SIZE, "DT_RELA")?;
    tables.extend(rela.map(|(at, size)| (at, size, relative)));
    // glibc applies `DT_JMPREL` whenever `DT_PLTREL` is there, reading the
    // other two without looking: all three or none.
    match (entries.get(DT_JMPREL), entries.get(DT_PLTRELSZ), entries.get(DT_PLTREL)) {
        (None, None, None) => {}
        (Some(at), Some(size), Some(kind)) if kind == DT_RELA as u64 && size % RELA_SIZE == 0 => {
            image.slice::<u64>(at, size / 8, 8, "DT_JMPREL")?;
            tables.push((at, size, 0));
        }
        _ => return Err(invalid("invalid DT_JMPREL")),
    }
    Ok(tables)
}

/// A relocation table given by address, size and entry size.
fn table(
    image: &Image<'_>,
    entries: &Entries<'_>,
    (address, size, entry): (i64, i64, i64),
    entry_size: u64,
    what: &str,
) -> Result<Option<(u64, u64)>, ElfError> {
    match (entries.get(address), entries.get(size), entries.get(entry)) {
        (None, None, None) => Ok(None),
        (Some(at), Some(size), Some(entry)) if entry == entry_size && size % entry_size == 0 => {
            image.slice::<u64>(at, size / 8, 8, what)?;
            Ok(Some((at, size)))
        }
        _ => Err(invalid(format!("invalid {what}"))),
    }
}
