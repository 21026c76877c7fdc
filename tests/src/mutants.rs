//! Mutated module files: every one loads or is `Invalid module format`, none crashes the host.
//!
//! A few hundred mutants of the shipped modules and of the lab's `fifo.ko`
//! built by kbuild, from a fixed seed: random
//! byte flips anywhere, and targeted ones in the parts the loader and the
//! dynamic linker read — ELF header, program headers, dynamic section,
//! relocations, symbol and string tables, and the `__this_module`
//! descriptor with the relocations that fill its pointers. Each goes through
//! the loader's whole pipeline short of init
//! ([`modhost::loader::check_module_image`]): copy, validation, mapping,
//! header, vermagic, layout and descriptor checks, unmapping. A mutant that
//! changes code which init would run is a native fault in module code, not
//! a loader matter: init is never run here.
//!
//! `crash_count_in_child_processes` (ignored: it spawns a process per
//! mutant) runs each mutant in a child and counts the ones that killed it;
//! it is how the loader's hardening was measured.

use modhost_bench::rng::Rng;
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, read::elf::ElfFile64};
use std::{ops::Range, process::Command};

/// How many mutants the in-process test tries per module file.
const MUTANTS_PER_MODULE: u64 = 100;

/// Where in a module file a mutation lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Anywhere,
    ElfHeader,
    ProgramHeaders,
    Dynamic,
    Relocations,
    Symbols,
    Strings,
    Descriptor,
}

const TARGETS: [Target; 8] = [
    Target::Anywhere,
    Target::ElfHeader,
    Target::ProgramHeaders,
    Target::Dynamic,
    Target::Relocations,
    Target::Symbols,
    Target::Strings,
    Target::Descriptor,
];

/// The file ranges of each target in one module file.
#[derive(Debug)]
struct Map {
    len: usize,
    program_headers: Range<usize>,
    dynamic: Range<usize>,
    relocations: Vec<Range<usize>>,
    symbols: Range<usize>,
    strings: Range<usize>,
    /// The descriptor's bytes and the addends of the relocations that fill its pointers.
    descriptor: Vec<Range<usize>>,
}

impl Map {
    fn of(bytes: &[u8]) -> Map {
        let elf = ElfFile64::<object::Endianness>::parse(bytes).expect("a shipped module parses");
        let section = |name: &str| {
            let (start, size) = elf.section_by_name(name).and_then(|s| s.file_range()).unwrap_or((0, 0));
            start as usize..(start + size) as usize
        };
        let phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap()) as usize;
        let phnum = usize::from(u16::from_le_bytes([bytes[56], bytes[57]]));
        let relocations = vec![section(".rela.dyn"), section(".rela.plt")];
        let descriptor = descriptor_ranges(&elf, bytes, &relocations);
        Map {
            len: bytes.len(),
            program_headers: phoff..phoff + 56 * phnum,
            dynamic: section(".dynamic"),
            relocations,
            symbols: section(".dynsym"),
            strings: section(".dynstr"),
            descriptor,
        }
    }

    fn ranges(&self, target: Target) -> Vec<Range<usize>> {
        match target {
            Target::Anywhere => vec![Range { start: 0, end: self.len }],
            Target::ElfHeader => vec![Range { start: 0, end: 64 }],
            Target::ProgramHeaders => vec![self.program_headers.clone()],
            Target::Dynamic => vec![self.dynamic.clone()],
            Target::Relocations => self.relocations.clone(),
            Target::Symbols => vec![self.symbols.clone()],
            Target::Strings => vec![self.strings.clone()],
            Target::Descriptor => self.descriptor.clone(),
        }
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect()
    }
}

/// The file offset of a virtual address.
fn file_offset(elf: &ElfFile64<'_, object::Endianness>, address: u64) -> Option<usize> {
    elf.segments().find_map(|segment| {
        let (offset, size) = segment.file_range();
        let start = segment.address();
        (start..start + size).contains(&address).then(|| (offset + address - start) as usize)
    })
}

/// `__this_module`, the `ModuleInfo` it points to, and the addends of the
/// relocations that fill either.
fn descriptor_ranges(
    elf: &ElfFile64<'_, object::Endianness>,
    bytes: &[u8],
    rela: &[Range<usize>],
) -> Vec<Range<usize>> {
    let Some(header) = elf.dynamic_symbols().find(|s| s.name() == Ok("__this_module")) else { return Vec::new() };
    let header = header.address()..header.address() + header.size();
    let info_size = std::mem::size_of::<modhost_abi::descriptor::ModuleInfo>() as u64;
    let entries: Vec<(u64, usize)> = rela
        .iter()
        .flat_map(|r| r.clone().step_by(24))
        .map(|at| (u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()), at))
        .collect();
    let addend = |at: usize| u64::from_le_bytes(bytes[at + 16..at + 24].try_into().unwrap());
    let info = entries.iter().find(|(offset, _)| *offset == header.start + 24).map(|&(_, at)| addend(at));
    let mut areas = vec![header];
    areas.extend(info.map(|start| start..start + info_size));
    let mut ranges: Vec<Range<usize>> = areas
        .iter()
        .filter_map(|area| {
            let start = file_offset(elf, area.start)?;
            Some(start..start + (area.end - area.start) as usize)
        })
        .collect();
    ranges.extend(
        entries.iter().filter(|(offset, _)| areas.iter().any(|a| a.contains(offset))).map(|&(_, at)| at + 16..at + 24),
    );
    ranges
}

/// The file offset of the addend of the relocation that fills the word at
/// `address`, if one does.
pub(crate) fn addend_of(bytes: &[u8], address: u64) -> Option<usize> {
    let map = Map::of(bytes);
    map.relocations
        .iter()
        .flat_map(|r| r.clone().step_by(24))
        .find(|&at| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) == address)
        .map(|at| at + 16)
}

/// The address of `__this_module`.
pub(crate) fn this_module(bytes: &[u8]) -> u64 {
    let elf = ElfFile64::<object::Endianness>::parse(bytes).expect("a module parses");
    let symbol = elf.dynamic_symbols().find(|s| s.name() == Ok("__this_module")).expect("a module has __this_module");
    symbol.address()
}

/// The file offset of the first dynamic entry with `tag`.
pub(crate) fn dynamic_entry(bytes: &[u8], tag: u64) -> Option<usize> {
    let dynamic = Map::of(bytes).dynamic;
    dynamic.step_by(16).find(|&at| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) == tag)
}

/// One mutant of `bytes`: a few bytes of `target` overwritten (or, for the
/// whole file, flipped), a number field sometimes set to an edge value.
fn mutate(bytes: &[u8], map: &Map, target: Target, rng: &mut Rng) -> Vec<u8> {
    let mut mutant = bytes.to_vec();
    let ranges = map.ranges(target);
    if ranges.is_empty() {
        return mutant;
    }
    for _ in 0..1 + rng.below(4) {
        let range = rng.pick(&ranges.iter().map(|r| (r.start, r.end)).collect::<Vec<_>>());
        let at = range.0 + rng.below((range.1 - range.0) as u64) as usize;
        match rng.below(4) {
            0 if at + 8 <= mutant.len() => {
                let edge = rng.pick(&[0u64, 1, 7, 0x7f, 0xff, 0xffff_ffff, u64::MAX, 1 << 40, 0x1000]);
                mutant[at..at + 8].copy_from_slice(&edge.to_le_bytes());
            }
            1 => mutant[at] ^= 1 << rng.below(8),
            _ => mutant[at] = rng.next_u64() as u8,
        }
    }
    mutant
}

/// The shipped modules the mutants start from, and the lab's fifo in C.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = ["fifo", "producer", "consumer"]
        .iter()
        .map(|name| (name.to_string(), std::fs::read(crate::util::plugin(name)).expect("the module is readable")))
        .collect();
    let ko = crate::cbuild::build_c("lab").join("fifo.ko");
    seeds.push(("fifo.ko".to_string(), std::fs::read(ko).expect("the C fifo is readable")));
    seeds
}

/// Mutant `index` of the sequence every test here walks.
fn mutant(seeds: &[(String, Vec<u8>)], maps: &[Map], index: u64) -> (String, Target, Vec<u8>) {
    let mut rng = Rng::new(0x6d75_7461_6e74 ^ index);
    let which = (index % seeds.len() as u64) as usize;
    let target = TARGETS[(index / seeds.len() as u64 % TARGETS.len() as u64) as usize];
    let bytes = mutate(&seeds[which].1, &maps[which], target, &mut rng);
    (seeds[which].0.clone(), target, bytes)
}

/// Runs the loader on one mutant; `Err` with the message of an error that
/// is not `Invalid module format`.
fn load(bytes: &[u8]) -> Result<(), String> {
    match modhost::loader::check_module_image(bytes) {
        Ok(()) => Ok(()),
        Err(e) if e.insmod_strerror() == "Invalid module format" => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn every_mutant_loads_or_is_an_invalid_module_format() {
    let seeds = seeds();
    let maps: Vec<Map> = seeds.iter().map(|(_, bytes)| Map::of(bytes)).collect();
    for (_, target) in TARGETS.iter().enumerate().filter(|(_, t)| **t != Target::Anywhere) {
        assert!(maps.iter().all(|m| !m.ranges(*target).is_empty()), "no {target:?} found in a module");
    }
    for index in 0..MUTANTS_PER_MODULE * seeds.len() as u64 {
        let (name, target, bytes) = mutant(&seeds, &maps, index);
        if let Err(e) = load(&bytes) {
            panic!("mutant {index} of {name} ({target:?}): {e}");
        }
    }
}

/// The exit status of a child that ran one mutant: how a mutant that
/// crashes is told apart from one that fails.
#[test]
#[ignore = "spawns a process per mutant; run with --ignored"]
fn crash_count_in_child_processes() {
    const MUTANTS: u64 = 300;
    let exe = std::env::current_exe().unwrap();
    let mut crashed = Vec::new();
    for index in 0..MUTANTS {
        let status = Command::new(&exe)
            .args(["mutants::one_mutant", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("MODHOST_MUTANT", index.to_string())
            .output()
            .expect("the test binary runs");
        if !status.status.success() && status.status.code() != Some(101) {
            crashed.push((
                index,
                status.status,
                String::from_utf8_lossy(&status.stderr).lines().last().map(str::to_string),
            ));
        }
    }
    for (index, status, last) in &crashed {
        eprintln!("mutant {index}: {status}: {}", last.as_deref().unwrap_or(""));
    }
    assert!(crashed.is_empty(), "{} of {MUTANTS} mutants crashed the host", crashed.len());
}

/// One mutant, named by `MODHOST_MUTANT`; the child of the test above.
#[test]
#[ignore = "the child process of crash_count_in_child_processes"]
fn one_mutant() {
    let Some(index) = std::env::var("MODHOST_MUTANT").ok().and_then(|i| i.parse().ok()) else { return };
    let seeds = seeds();
    let maps: Vec<Map> = seeds.iter().map(|(_, bytes)| Map::of(bytes)).collect();
    let (name, target, bytes) = mutant(&seeds, &maps, index);
    if let Err(e) = load(&bytes) {
        panic!("mutant {index} of {name} ({target:?}): {e}");
    }
}
