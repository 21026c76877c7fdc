//! ELF sanity checks before a file is handed to the dynamic linker.
//!
//! `dlopen` trusts the file: a truncated `.so` is mapped as its program
//! headers describe, and the first touch of a page past the end of the file
//! kills the whole process with `SIGBUS`. So, like the kernel's loader, the
//! host reads the ELF header and program headers itself first and refuses a
//! file whose segments are not all inside it, or that is not a shared object
//! for this machine.
//!
//! Kernel counterpart: `elf_validity_cache_copy` in `kernel/module/main.c`.

use std::{fs::File, io, os::unix::fs::FileExt};

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;

/// Why a file is not a loadable shared object.
#[derive(Debug)]
pub(crate) enum ElfError {
    /// The file could not be read.
    Io(io::Error),
    /// The file is not what the dynamic linker could safely map.
    Invalid(&'static str),
}

/// Checks that `file` is a 64-bit little-endian shared object for this
/// machine whose loadable segments all lie within the file.
pub(crate) fn check(file: &File) -> Result<(), ElfError> {
    let len = file.metadata().map_err(ElfError::Io)?.len();
    let mut ehdr = [0u8; EHDR_SIZE];
    let head = usize::try_from(len).unwrap_or(EHDR_SIZE).min(EHDR_SIZE);
    file.read_exact_at(&mut ehdr[..head], 0).map_err(ElfError::Io)?;
    if ehdr[..4] != *b"\x7fELF" {
        return Err(ElfError::Invalid("invalid ELF header"));
    }
    if head < EHDR_SIZE {
        return Err(ElfError::Invalid("file too short"));
    }
    if ehdr[4] != 2 || ehdr[5] != 1 {
        return Err(ElfError::Invalid("wrong ELF class: not 64-bit little-endian"));
    }
    if u16_at(&ehdr, 16) != ET_DYN {
        return Err(ElfError::Invalid("not a shared object"));
    }
    if Some(u16_at(&ehdr, 18)) != host_machine() {
        return Err(ElfError::Invalid("ELF file for another machine"));
    }
    let phoff = u64_at(&ehdr, 32);
    let phentsize = usize::from(u16_at(&ehdr, 54));
    let phnum = usize::from(u16_at(&ehdr, 56));
    if phentsize != PHDR_SIZE || phnum == 0 {
        return Err(ElfError::Invalid("invalid program headers"));
    }
    let table_len = (phentsize * phnum) as u64;
    if phoff.checked_add(table_len).is_none_or(|end| end > len) {
        return Err(ElfError::Invalid("file too short"));
    }
    let mut table = vec![0u8; phentsize * phnum];
    file.read_exact_at(&mut table, phoff).map_err(ElfError::Io)?;
    for phdr in table.chunks_exact(PHDR_SIZE) {
        let p_type = u32_at(phdr, 0);
        let (offset, filesz) = (u64_at(phdr, 8), u64_at(phdr, 32));
        if (p_type == PT_LOAD || p_type == PT_DYNAMIC) && offset.checked_add(filesz).is_none_or(|end| end > len) {
            return Err(ElfError::Invalid("file too short"));
        }
    }
    Ok(())
}

/// `e_machine` of the host (the plugin must match it).
fn host_machine() -> Option<u16> {
    match std::env::consts::ARCH {
        "x86_64" => Some(62),
        "aarch64" => Some(183),
        "riscv64" => Some(243),
        "powerpc64" => Some(21),
        "s390x" => Some(22),
        "loongarch64" => Some(258),
        _ => None,
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn check_bytes(bytes: &[u8]) -> Result<(), ElfError> {
        let path = std::env::temp_dir().join(format!("modhost-elf-{}-{}", std::process::id(), bytes.len()));
        File::create(&path).and_then(|mut f| f.write_all(bytes)).map_err(ElfError::Io)?;
        let result = check(&File::open(&path).map_err(ElfError::Io)?);
        let _ = std::fs::remove_file(&path);
        result
    }

    fn invalid(result: Result<(), ElfError>) -> &'static str {
        match result {
            Err(ElfError::Invalid(reason)) => reason,
            other => panic!("expected an invalid file, got {other:?}"),
        }
    }

    #[test]
    fn a_real_library_passes_and_a_truncated_one_does_not() {
        let exe = std::env::current_exe().unwrap();
        // The test binary is an executable (or PIE, ET_DYN); libc is a shared object.
        let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib64/libc.so.6", "/lib64/libc.so.6"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        if let Some(libc) = libc {
            check(&File::open(libc).unwrap()).unwrap();
        }
        let bytes = std::fs::read(exe).unwrap();
        assert_eq!(invalid(check_bytes(&bytes[..100])), "file too short");
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(invalid(check_bytes(b"hello")), "invalid ELF header");
        assert_eq!(invalid(check_bytes(b"\x7fELF")), "file too short");
        assert_eq!(invalid(check_bytes(&[b'x'; 64])), "invalid ELF header");
    }
}
