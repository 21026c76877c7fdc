//! Relocations: what the dynamic linker writes, and where.
//!
//! glibc applies every relocation without asking where its target is: an
//! `r_offset` outside the library writes into the host's memory, one in a
//! read-only segment faults. So every entry of `DT_RELA` and `DT_JMPREL`
//! must have a type of this machine's allowed set, a target inside a
//! writable loaded segment and a symbol inside the symbol table; every
//! address `DT_RELR` relocates must be inside a writable segment too. The
//! allowed types are those a Rust or C shared library needs: absolute,
//! relative, GOT and PLT entries, thread-local ones. Not `IRELATIVE`, whose
//! resolver is module code run at load, nor `COPY`, which copies as many
//! bytes as a symbol's size says.
//!
//! Glibc counterpart: `elf_dynamic_do_Rela`, `elf_dynamic_do_Relr`,
//! `elf_machine_rela` in `sysdeps/*/dl-machine.h`.

use object::{LittleEndian as LE, elf::Rela64};

use super::{ElfError, Image, PF_W, dynamic::Dynamic, invalid};

const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

/// The relocation types a module may use on `machine`, and how many bytes
/// each writes.
fn allowed(machine: u16, r_type: u32) -> Option<u64> {
    match (machine, r_type) {
        // NONE, 64, GLOB_DAT, JUMP_SLOT, RELATIVE, DTPMOD64, DTPOFF64, TPOFF64
        (EM_X86_64, 0 | 1 | 6 | 7 | 8 | 16 | 17 | 18) => Some(8),
        // NONE, ABS64, GLOB_DAT, JUMP_SLOT, RELATIVE, TLS_DTPMOD, TLS_DTPREL, TLS_TPREL
        (EM_AARCH64, 0 | 257 | 1025 | 1026 | 1027 | 1028 | 1029 | 1030) => Some(8),
        // TLSDESC: a two-word descriptor.
        (EM_AARCH64, 1031) => Some(16),
        _ => None,
    }
}

/// The relative relocation type of `machine`.
fn relative(machine: u16) -> u32 {
    if machine == EM_AARCH64 { 1027 } else { 8 }
}

/// Checks every relocation of the module.
pub(super) fn check(image: &Image<'_>, dynamic: &Dynamic, machine: u16) -> Result<(), ElfError> {
    for &(at, size, relative_count) in &dynamic.rela {
        let entries = image.slice::<Rela64<LE>>(at, size / 24, 8, "relocations")?;
        for (i, rela) in entries.iter().enumerate() {
            let (r_type, r_sym) = (rela.r_type(LE, false).0, rela.r_sym(LE, false));
            if (i as u64) < relative_count && r_type != relative(machine) {
                return Err(invalid(format!(
                    "relocation {i}: counted as relative by DT_RELACOUNT, but of type {r_type}"
                )));
            }
            let width = allowed(machine, r_type)
                .ok_or_else(|| invalid(format!("relocation {i}: type {r_type} not allowed")))?;
            if u64::from(r_sym) >= dynamic.symbols {
                return Err(invalid(format!("relocation {i}: symbol {r_sym} outside the symbol table")));
            }
            if !image.in_segment(rela.r_offset.get(LE), width, PF_W) {
                return Err(invalid(format!("relocation {i}: target outside the writable segments")));
            }
        }
    }
    if let Some((at, size)) = dynamic.relr {
        check_relr(image, image.slice::<u64>(at, size / 8, 8, "DT_RELR")?)?;
    }
    Ok(())
}

/// `DT_RELR`: an address entry (even) relocates one word and sets the base
/// for the bitmap entries (odd) after it, whose bits 1 to 63 each relocate
/// one of the 63 words that follow the base.
fn check_relr(image: &Image<'_>, entries: &[u64]) -> Result<(), ElfError> {
    let mut base: Option<u64> = None;
    let writable = |address: u64| image.in_segment(address, 8, PF_W);
    for (i, entry) in entries.iter().map(|e| u64::from_le(*e)).enumerate() {
        let fail = || invalid(format!("DT_RELR entry {i}: target outside the writable segments"));
        if entry & 1 == 0 {
            if !writable(entry) {
                return Err(fail());
            }
            base = Some(entry + 8);
            continue;
        }
        let start = base.ok_or_else(fail)?;
        for bit in (1..64).filter(|bit| entry >> bit & 1 != 0) {
            if !writable(start + (bit - 1) * 8) {
                return Err(fail());
            }
        }
        base = Some(start + 63 * 8);
    }
    Ok(())
}
