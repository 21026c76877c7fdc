//! A kbuild `.ko`'s descriptor, checked before the host reads through it.
//!
//! `__this_module` of a C module is a [`KbuildModule`] (modpost writes it,
//! `kbuild/include/modhost/kmod.h` declares it). As for a Rust module's
//! descriptor, every pointer is checked against the library's own segments
//! before it is followed:
//!
//! - the descriptor lies in writable data (its `name` is written by the
//!   module's library), aligned, and says it has this ABI's size;
//! - the export and import tables lie inside the library, aligned; every
//!   name is a NUL-terminated string in read-only data; every export's
//!   address inside the library; every import slot in writable data
//!   outside RELRO; every flag 0 or 1;
//! - the entry points are in code; `init` and `exit` are null or in code;
//! - every parameter record (`struct kernel_param`) lies inside the library
//!   and its variable where its type needs it; the host reads each
//!   parameter's default from there, typed by its `parmtype`.
//!
//! The module's `.modinfo` and `.modhost_tables`, read from its private
//! copy, give what a Rust module's descriptor gives as strings (license,
//! parameters' types and descriptions).
//!
//! Kernel counterpart: `setup_load_info`, `find_module_sections`,
//! `check_modstruct_version` in `kernel/module/main.c`.

use core::{
    ffi::{CStr, c_void},
    mem::{align_of, offset_of, size_of},
    sync::atomic::AtomicPtr,
};
use modhost_abi::{
    kmod::{KbuildExport, KbuildImport, KbuildModule, KbuildParam, KbuildParamArray, KbuildParamString},
    param::{ParamScalar, ParamType, ParamValue},
};

use super::{
    Entry,
    image::{Image, ImageExport, ImageImport, SymbolVersion},
    library::{Access, Memory},
    modinfo::{ModInfo, ParamInfo},
};

/// The longest symbol or parameter name read (`KSYM_NAME_LEN`).
const NAME_MAX: usize = 512;
/// The longest `charp` default read.
const CHARP_MAX: usize = 1024;

/// Reads the descriptor at `address`, with the module's `info` from its
/// sections; `Err` says what is wrong with it.
pub(crate) fn read(memory: Memory<'_>, address: usize, mut info: ModInfo) -> Result<Image, String> {
    let m = Reader { memory, base: address };
    if !address.is_multiple_of(align_of::<KbuildModule>())
        || !memory.contains(address, size_of::<KbuildModule>(), Access::Write)
    {
        return Err("descriptor outside the module's writable data".to_string());
    }
    let size = m.u32(offset_of!(KbuildModule, size))? as usize;
    if size != size_of::<KbuildModule>() {
        return Err(format!("descriptor of {size} bytes, not {}", size_of::<KbuildModule>()));
    }
    let has_init = m.optional_function(offset_of!(KbuildModule, init))?;
    let has_exit = m.optional_function(offset_of!(KbuildModule, exit))?;
    let entry = Entry {
        init: m.entry_point(offset_of!(KbuildModule, start))?,
        exit: m.entry_point(offset_of!(KbuildModule, stop))?,
        param_changed: m.entry_point(offset_of!(KbuildModule, param_changed))?,
        removable: has_exit || !has_init,
    };
    let exports = m.exports()?;
    let imports = m.imports()?;
    let param_defaults = m.params(&mut info)?;
    Ok(Image { info, param_defaults, entry, exports, imports })
}

/// Reads fields of the descriptor, or of a record, at `base`.
#[derive(Clone, Copy)]
struct Reader<'lib> {
    memory: Memory<'lib>,
    base: usize,
}

impl<'lib> Reader<'lib> {
    fn at(&self, base: usize) -> Reader<'lib> {
        Reader { memory: self.memory, base }
    }

    fn bytes(&self, offset: usize, len: usize) -> Result<&'lib [u8], String> {
        self.memory.bytes(self.base + offset, len, Access::Read).ok_or_else(|| "field outside the module".to_string())
    }

    fn word(&self, offset: usize) -> Result<usize, String> {
        Ok(usize::from_ne_bytes(self.bytes(offset, size_of::<usize>())?.try_into().unwrap_or_default()))
    }

    fn u32(&self, offset: usize) -> Result<u32, String> {
        Ok(u32::from_ne_bytes(self.bytes(offset, 4)?.try_into().unwrap_or_default()))
    }

    fn flag(&self, offset: usize, what: &str) -> Result<bool, String> {
        match self.u32(offset)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(format!("{what} is {n}, not 0 or 1")),
        }
    }

    /// A NUL-terminated string in read-only data, the pointer at `offset`.
    fn string(&self, offset: usize, what: &str) -> Result<String, String> {
        let pointer = self.word(offset)?;
        c_string(self.memory, pointer, NAME_MAX, Access::ReadOnly)
            .ok_or_else(|| format!("{what} is not a string in the module's read-only data"))
    }

    /// A function pointer into the module's code, read as `F`.
    fn entry_point<F: Copy>(&self, offset: usize) -> Result<F, String> {
        let target = self.word(offset)?;
        if !self.memory.contains(target, 1, Access::Execute) {
            return Err("entry point outside the module's code".to_string());
        }
        const { assert!(size_of::<F>() == size_of::<usize>()) };
        // SAFETY: `F` is one of the `extern "C" fn` types of `KbuildModule`
        // (same size as a pointer, checked above), and `target` points into
        // the module's executable segment, as a function pointer must.
        Ok(unsafe { core::mem::transmute_copy::<usize, F>(&target) })
    }

    /// Whether the function pointer at `offset` is set; it must be null or code.
    fn optional_function(&self, offset: usize) -> Result<bool, String> {
        match self.word(offset)? {
            0 => Ok(false),
            target if self.memory.contains(target, 1, Access::Execute) => Ok(true),
            _ => Err("init or exit outside the module's code".to_string()),
        }
    }

    /// The element addresses of the table whose pointer is at `pointer_at`
    /// and length at `count_at`.
    fn table<T>(&self, pointer_at: usize, count_at: usize, what: &str) -> Result<Vec<usize>, String> {
        let count = self.u32(count_at)? as usize;
        if count == 0 {
            return Ok(Vec::new());
        }
        let pointer = self.word(pointer_at)?;
        let fits = pointer.is_multiple_of(align_of::<T>())
            && self.memory.contains(pointer, count.saturating_mul(size_of::<T>()), Access::Read);
        if !fits {
            return Err(format!("{what} table outside the module"));
        }
        Ok((0..count).map(|i| pointer + i * size_of::<T>()).collect())
    }

    fn exports(&self) -> Result<Vec<ImageExport>, String> {
        let at =
            self.table::<KbuildExport>(offset_of!(KbuildModule, syms), offset_of!(KbuildModule, num_syms), "export")?;
        at.into_iter()
            .map(|address| {
                let e = self.at(address);
                let value = e.word(offset_of!(KbuildExport, value))?;
                if !self.memory.contains(value, 1, Access::Read) {
                    return Err("export's address outside the module".to_string());
                }
                Ok(ImageExport {
                    name: e.string(offset_of!(KbuildExport, name), "export's name")?,
                    gpl_only: e.flag(offset_of!(KbuildExport, gpl_only), "export's GPL flag")?,
                    namespace: e.string(offset_of!(KbuildExport, namespace), "export's namespace")?,
                    version: SymbolVersion::Crc(Some(e.u32(offset_of!(KbuildExport, crc))?)),
                    address: value,
                })
            })
            .collect()
    }

    fn imports(&self) -> Result<Vec<ImageImport>, String> {
        let at = self.table::<KbuildImport>(
            offset_of!(KbuildModule, imports),
            offset_of!(KbuildModule, num_imports),
            "import",
        )?;
        at.into_iter()
            .map(|address| {
                let i = self.at(address);
                let slot = i.word(offset_of!(KbuildImport, slot))?;
                let writable = slot.is_multiple_of(align_of::<AtomicPtr<c_void>>())
                    && self.memory.contains(slot, size_of::<usize>(), Access::Write);
                if !writable {
                    return Err("import's slot outside the module's writable data".to_string());
                }
                let crc = i.u32(offset_of!(KbuildImport, crc))?;
                let has_crc = i.flag(offset_of!(KbuildImport, has_crc), "import's CRC flag")?;
                Ok(ImageImport {
                    name: i.string(offset_of!(KbuildImport, name), "import's name")?,
                    version: SymbolVersion::Crc(has_crc.then_some(crc)),
                    // SAFETY: `slot` is an aligned pointer-sized word in the
                    // module's writable data (checked above), which stays
                    // mapped while the module is loaded; only the host
                    // writes it before init, as for a Rust module's slots.
                    slot: unsafe { &*(slot as *const AtomicPtr<c_void>) },
                })
            })
            .collect()
    }

    /// Puts `info.params` in the order of the module's records and reads
    /// each default.
    fn params(&self, info: &mut ModInfo) -> Result<Vec<ParamValue>, String> {
        let at = self.table::<usize>(offset_of!(KbuildModule, kp), offset_of!(KbuildModule, num_kp), "parameter")?;
        let mut ordered = Vec::with_capacity(at.len());
        let mut defaults = Vec::with_capacity(at.len());
        for address in at {
            let record = self.at(self.at(address).word(0)?);
            if !self.memory.contains(record.base, size_of::<KbuildParam>(), Access::Read) {
                return Err("parameter record outside the module".to_string());
            }
            let name = record.string(offset_of!(KbuildParam, name), "parameter's name")?;
            let index = info.params.iter().position(|p| p.name == name);
            let param = index
                .map(|i| info.params.remove(i))
                .ok_or_else(|| format!("parameter {name} has no parmtype in .modinfo"))?;
            defaults.push(record.default(&param)?);
            ordered.push(param);
        }
        if let Some(left) = info.params.first() {
            return Err(format!("parameter {} has no record in __param", left.name));
        }
        info.params = ordered;
        Ok(defaults)
    }

    /// The current value of the parameter whose `kernel_param` this is.
    fn default(&self, param: &ParamInfo) -> Result<ParamValue, String> {
        let arg = self.word(offset_of!(KbuildParam, arg))?;
        if param.string_len > 0 {
            let string = self.at(arg);
            if string.u32(offset_of!(KbuildParamString, maxlen))? != param.string_len {
                return Err(format!("parameter {}: its string record disagrees with its size", param.name));
            }
            let buffer = string.word(offset_of!(KbuildParamString, string))?;
            return Ok(ParamValue::Scalar(string_at(self.memory, buffer, &param.name)?));
        }
        if param.max_len == 0 {
            return Ok(ParamValue::Scalar(scalar(self.memory, param.ty, arg, &param.name)?));
        }
        let array = self.at(arg);
        let max = array.u32(offset_of!(KbuildParamArray, max))? as usize;
        let num_at = array.word(offset_of!(KbuildParamArray, num))?;
        let elem = array.word(offset_of!(KbuildParamArray, elem))?;
        let elemsize = array.u32(offset_of!(KbuildParamArray, elemsize))? as usize;
        let count = match num_at {
            0 => max,
            at => self.at(at).u32(0)? as usize,
        };
        if max != param.max_len as usize || count > max || elemsize != element_size(param.ty) {
            return Err(format!("parameter {}: its array record disagrees with its type", param.name));
        }
        (0..count)
            .map(|i| scalar(self.memory, param.ty, elem + i * elemsize, &param.name))
            .collect::<Result<_, _>>()
            .map(ParamValue::Array)
    }
}

/// The size of one C variable of type `ty`.
fn element_size(ty: ParamType) -> usize {
    match ty {
        ParamType::Byte | ParamType::Bool | ParamType::InvBool => 1,
        ParamType::Short | ParamType::UShort => 2,
        ParamType::Int | ParamType::UInt | ParamType::HexInt => 4,
        ParamType::Long | ParamType::ULong | ParamType::ULLong | ParamType::CharP => 8,
    }
}

/// The text of a `module_param_string` buffer at `address`.
fn string_at(memory: Memory<'_>, address: usize, name: &str) -> Result<ParamScalar, String> {
    let text = c_string(memory, address, CHARP_MAX, Access::Read)
        .ok_or_else(|| format!("parameter {name}'s buffer is not a string in the module"))?;
    Ok(ParamScalar::Str(text.as_str().into()))
}

/// The value of the C variable of type `ty` at `address`.
fn scalar(memory: Memory<'_>, ty: ParamType, address: usize, name: &str) -> Result<ParamScalar, String> {
    let size = element_size(ty);
    let bytes = memory
        .bytes(address, size, Access::Read)
        .filter(|_| address.is_multiple_of(size))
        .ok_or_else(|| format!("parameter {name}'s variable outside the module"))?;
    let mut word = [0u8; 8];
    word[..size].copy_from_slice(bytes);
    let raw = u64::from_ne_bytes(word);
    let signed = |bits: u32| ParamScalar::Signed(((raw << (64 - bits)) as i64) >> (64 - bits));
    Ok(match ty {
        ParamType::Byte | ParamType::UShort | ParamType::UInt | ParamType::HexInt => ParamScalar::Unsigned(raw),
        ParamType::ULong | ParamType::ULLong => ParamScalar::Unsigned(raw),
        ParamType::Short => signed(16),
        ParamType::Int => signed(32),
        ParamType::Long => signed(64),
        ParamType::Bool | ParamType::InvBool => ParamScalar::Bool(raw != 0),
        ParamType::CharP => {
            let text = match raw {
                0 => String::new(),
                at => c_string(memory, at as usize, CHARP_MAX, Access::Read)
                    .ok_or_else(|| format!("parameter {name}'s default is not a string in the module"))?,
            };
            ParamScalar::Str(text.as_str().into())
        }
    })
}

/// The NUL-terminated UTF-8 string at `address`, at most `max` bytes.
fn c_string(memory: Memory<'_>, address: usize, max: usize, access: Access) -> Option<String> {
    let longest = (1..=max).rev().find(|len| memory.contains(address, *len, access))?;
    let bytes = memory.bytes(address, longest, access)?;
    let text = CStr::from_bytes_until_nul(bytes).ok()?;
    text.to_str().ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_laid_out_as_the_c_header_declares() {
        assert_eq!(size_of::<KbuildExport>(), 32);
        assert_eq!(size_of::<KbuildImport>(), 24);
        assert_eq!(size_of::<KbuildParam>(), 40);
        assert_eq!(offset_of!(KbuildParam, arg), 32);
        assert_eq!(size_of::<modhost_abi::kmod::KbuildParamString>(), 16);
        assert_eq!(offset_of!(KbuildParamArray, elem), 24);
        assert_eq!(offset_of!(KbuildModule, start), 56);
        assert_eq!(size_of::<KbuildModule>(), 96 + 56);
    }
}
