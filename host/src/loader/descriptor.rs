//! The `__this_module` descriptor, checked before the host reads through it.
//!
//! A descriptor is the module's own data: a file with the right magic can
//! still hold a wild vermagic pointer, a string without its NUL, a slice
//! whose length runs past the library, a function pointer into data, a
//! `bool` that is 7. So every pointer is checked against the library's own
//! loadable segments ([`Memory`]) before the host follows it, in the ABI's
//! order (`descriptor.rs` of the abi crate):
//!
//! - the header lies inside the library, aligned; its magic is read first;
//! - `vermagic` is a NUL-terminated string inside a read-only segment;
//! - `layout` points to a `TypeLayout` inside a read-only segment (RELRO
//!   included), and so does every layout of a symbol's signature;
//! - `info` points to a `ModuleInfo` inside the library, aligned, whose
//!   every string (`RStr`) is inside the library and UTF-8, every slice
//!   (`RSlice`) inside the library and aligned, every enum and `bool` a
//!   valid value, every function pointer (`init`, `exit`, `param_changed`,
//!   export addresses) inside an executable segment and every import slot
//!   inside a writable one (outside RELRO, where a write would fault).
//!
//! Only then is the descriptor turned into a `&ModuleInfo`.
//!
//! What is left: abi_stable's layout comparison follows the module's
//! `TypeLayout` graph (names, fields, nested layouts, which it reaches by
//! calling function pointers the module provides); the top of each graph is
//! bounded here, the graph below it is not. A module file whose layout
//! graph is corrupted below its first level can still crash the layout
//! check; it is module data that abi_stable, not the host, interprets.
//!
//! Kernel counterpart: `check_modstruct_version`, `setup_load_info` in
//! `kernel/module/main.c`.

use abi_stable::{
    std_types::{RSlice, RStr},
    type_layout::{MonoTypeLayout, SharedVars, TypeLayout},
};
use core::mem::{align_of, offset_of, size_of};
use modhost_abi::{
    descriptor::{ModuleHeader, ModuleInfo},
    param::{DefaultScalar, ParamDesc, ParamType},
    symbol::{ExportDesc, ImportDesc, Signature},
};
use std::{ffi::CStr, ops::Range};

use super::library::{Access, Memory};

/// A descriptor found in a loaded library; its fields are checked as they are read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header<'lib> {
    memory: Memory<'lib>,
    address: usize,
}

/// `RStr` and `RSlice` are a pointer and a length, in this order (checked by a test).
const SLICE_SIZE: usize = 2 * size_of::<usize>();

/// The longest vermagic read before giving up on its NUL.
const VERMAGIC_MAX: usize = 256;

impl<'lib> Header<'lib> {
    /// The header at the symbol's `range` (link-time addresses), if it is one.
    pub(crate) fn find(memory: Memory<'lib>, range: Range<u64>) -> Option<Header<'lib>> {
        let size = usize::try_from(range.end - range.start).ok()?;
        let address = memory.base().checked_add(usize::try_from(range.start).ok()?)?;
        let fits = size >= size_of::<ModuleHeader>()
            && address % align_of::<ModuleHeader>() == 0
            && memory.contains(address, size_of::<ModuleHeader>(), Access::Read);
        fits.then_some(Header { memory, address })
    }

    /// Where the descriptor is.
    pub(crate) fn address(&self) -> usize {
        self.address
    }

    /// The magic, always readable.
    pub(crate) fn magic(&self) -> [u8; 8] {
        let bytes = self.memory.bytes(self.address, 8, Access::Read).unwrap_or(&[0; 8]);
        bytes.try_into().unwrap_or_default()
    }

    /// The version magic string.
    pub(crate) fn vermagic(&self) -> Result<&'lib CStr, String> {
        let pointer = self.word(offset_of!(ModuleHeader, vermagic))?;
        c_string(self.memory, pointer).map_err(str::to_string)
    }

    /// The descriptor's layout, bounded at its top level.
    pub(crate) fn layout(&self) -> Result<&'static TypeLayout, String> {
        let pointer = self.word(offset_of!(ModuleHeader, layout))?;
        type_layout(self.memory, pointer).ok_or_else(|| "layout outside the module's read-only data".into())
    }

    /// The module's description, every pointer checked; call only once the
    /// layout matched the host's, so that the fields are where the host
    /// expects them.
    pub(crate) fn info(&self) -> Result<&'lib ModuleInfo, String> {
        let address = self.word(offset_of!(ModuleHeader, info))?;
        check_info(self.memory, address)?;
        // SAFETY: `check_info` read every field of the `ModuleInfo` at
        // `address` (inside the library, aligned) and checked that each is a
        // valid value pointing where its type says; the library stays mapped
        // as long as `'lib` borrows it.
        Ok(unsafe { self.memory.cast::<ModuleInfo>(address) })
    }

    fn word(&self, offset: usize) -> Result<usize, String> {
        word(self.memory, self.address + offset).ok_or_else(|| "descriptor outside the module".to_string())
    }
}

/// The pointer-sized word at `address`.
fn word(memory: Memory<'_>, address: usize) -> Option<usize> {
    let bytes = memory.bytes(address, size_of::<usize>(), Access::Read)?;
    Some(usize::from_ne_bytes(bytes.try_into().ok()?))
}

/// A NUL-terminated string in read-only data.
/// A NUL-terminated string in read-only data, at most [`VERMAGIC_MAX`] bytes long.
fn c_string<'lib>(memory: Memory<'lib>, address: usize) -> Result<&'lib CStr, &'static str> {
    let outside = "vermagic outside the module's read-only data";
    let longest =
        (1..=VERMAGIC_MAX).rev().find(|len| memory.contains(address, *len, Access::ReadOnly)).ok_or(outside)?;
    let bytes = memory.bytes(address, longest, Access::ReadOnly).ok_or(outside)?;
    CStr::from_bytes_until_nul(bytes).map_err(|_| "vermagic not NUL-terminated")
}

/// A `TypeLayout` in read-only data, and its first level: the shared and
/// generic-independent parts it points to in read-only data, its two
/// small fields valid, its `type_id` function in code. (abi_stable's
/// `TypeLayout` is `repr(C)`; the offsets are checked by a test.)
fn type_layout(memory: Memory<'_>, address: usize) -> Option<&'static TypeLayout> {
    let read_only = |at: usize, size: usize| at.is_multiple_of(8) && memory.contains(at, size, Access::ReadOnly);
    let fits = read_only(address, size_of::<TypeLayout>())
        && read_only(word(memory, address)?, size_of::<SharedVars>())
        && read_only(word(memory, address + size_of::<usize>())?, size_of::<MonoTypeLayout>())
        && memory.bytes(address + 2 * size_of::<usize>(), 2, Access::Read).is_some_and(|b| b[0] <= 1 && b[1] < 64)
        && memory.contains(word(memory, address + size_of::<TypeLayout>() - size_of::<usize>())?, 1, Access::Execute);
    // SAFETY: The layout and the parts it points to lie inside the module's
    // read-only data, aligned; what lies below them is abi_stable's to
    // interpret (see the module docs).
    fits.then(|| unsafe { memory.cast::<TypeLayout>(address) })
}

/// A field's failure, named.
fn field(name: &str) -> impl Fn(&str) -> String + '_ {
    move |what| format!("{name}: {what}")
}

/// Every field of the `ModuleInfo` at `address`.
fn check_info(memory: Memory<'_>, address: usize) -> Result<(), String> {
    if !address.is_multiple_of(align_of::<ModuleInfo>())
        || !memory.contains(address, size_of::<ModuleInfo>(), Access::Read)
    {
        return Err("module info outside the module".to_string());
    }
    for (name, offset) in [
        ("name", offset_of!(ModuleInfo, name)),
        ("license", offset_of!(ModuleInfo, license)),
        ("author", offset_of!(ModuleInfo, author)),
        ("description", offset_of!(ModuleInfo, description)),
        ("version", offset_of!(ModuleInfo, version)),
    ] {
        r_str(memory, address + offset).map_err(|e| field(name)(&e))?;
    }
    let import_ns =
        r_slice::<RStr<'_>>(memory, address + offset_of!(ModuleInfo, import_ns)).map_err(|e| field("import_ns")(&e))?;
    for element in import_ns {
        r_str(memory, element).map_err(|e| field("import_ns")(&e))?;
    }
    for param in
        r_slice::<ParamDesc>(memory, address + offset_of!(ModuleInfo, params)).map_err(|e| field("params")(&e))?
    {
        check_param(memory, param).map_err(|e| field("params")(&e))?;
    }
    for export in
        r_slice::<ExportDesc>(memory, address + offset_of!(ModuleInfo, exports)).map_err(|e| field("exports")(&e))?
    {
        check_export(memory, export).map_err(|e| field("exports")(&e))?;
    }
    for import in
        r_slice::<ImportDesc>(memory, address + offset_of!(ModuleInfo, imports)).map_err(|e| field("imports")(&e))?
    {
        check_import(memory, import).map_err(|e| field("imports")(&e))?;
    }
    for (name, offset) in [
        ("init", offset_of!(ModuleInfo, init)),
        ("exit", offset_of!(ModuleInfo, exit)),
        ("param_changed", offset_of!(ModuleInfo, param_changed)),
    ] {
        function(memory, address + offset).map_err(|e| field(name)(&e))?;
    }
    Ok(())
}

/// One parameter: strings, a known type, defaults of valid values.
fn check_param(memory: Memory<'_>, address: usize) -> Result<(), String> {
    r_str(memory, address + offset_of!(ParamDesc, name))?;
    r_str(memory, address + offset_of!(ParamDesc, description))?;
    if byte(memory, address + offset_of!(ParamDesc, ty))? > ParamType::InvBool as u8 {
        return Err("unknown parameter type".to_string());
    }
    for default in r_slice::<DefaultScalar>(memory, address + offset_of!(ParamDesc, default))? {
        // A `repr(u8)` enum: the tag, then each variant's fields laid out
        // as a `repr(C)` struct after it.
        match byte(memory, default)? {
            0 | 1 => {}
            2 if byte(memory, default + 1)? <= 1 => {}
            3 => r_str(memory, default + size_of::<usize>())?,
            _ => return Err("invalid default value".to_string()),
        }
    }
    Ok(())
}

/// One export: strings, a `bool`, a signature, an address in code.
fn check_export(memory: Memory<'_>, address: usize) -> Result<(), String> {
    r_str(memory, address + offset_of!(ExportDesc, name))?;
    r_str(memory, address + offset_of!(ExportDesc, namespace))?;
    if byte(memory, address + offset_of!(ExportDesc, gpl_only))? > 1 {
        return Err("invalid gpl_only".to_string());
    }
    signature(memory, address + offset_of!(ExportDesc, signature))?;
    function(memory, address + offset_of!(ExportDesc, address))
}

/// One import: a string, a signature, a slot the host can write.
fn check_import(memory: Memory<'_>, address: usize) -> Result<(), String> {
    r_str(memory, address + offset_of!(ImportDesc, name))?;
    signature(memory, address + offset_of!(ImportDesc, signature))?;
    let slot = word(memory, address + offset_of!(ImportDesc, slot)).ok_or("import outside the module")?;
    if slot % align_of::<usize>() != 0 || !memory.contains(slot, size_of::<usize>(), Access::Write) {
        return Err("import slot outside the module's writable data".to_string());
    }
    Ok(())
}

/// A signature: every layout bounded at its top level.
fn signature(memory: Memory<'_>, address: usize) -> Result<(), String> {
    let layouts = r_slice::<&TypeLayout>(memory, address + offset_of!(Signature, params))?;
    let ret = word(memory, address + offset_of!(Signature, ret)).ok_or("signature outside the module")?;
    for layout in layouts.map(|at| word(memory, at)).chain([Some(ret)]) {
        layout.and_then(|at| type_layout(memory, at)).ok_or("signature layout outside the module's read-only data")?;
    }
    Ok(())
}

/// A function pointer into the module's code.
fn function(memory: Memory<'_>, address: usize) -> Result<(), String> {
    let target = word(memory, address).ok_or("function pointer outside the module")?;
    if !memory.contains(target, 1, Access::Execute) {
        return Err("function pointer outside the module's code".to_string());
    }
    Ok(())
}

fn byte(memory: Memory<'_>, address: usize) -> Result<u8, String> {
    memory.bytes(address, 1, Access::Read).map(|b| b[0]).ok_or_else(|| "field outside the module".to_string())
}

/// The (pointer, length) pair of an `RStr` or `RSlice` at `address`.
fn pointer_and_length(memory: Memory<'_>, address: usize) -> Result<(usize, usize), String> {
    let pointer = word(memory, address).ok_or("slice outside the module")?;
    let length = word(memory, address + size_of::<usize>()).ok_or("slice outside the module")?;
    if pointer == 0 {
        return Err("null slice".to_string());
    }
    Ok((pointer, length))
}

/// An `RStr` at `address`: inside the module and UTF-8.
fn r_str(memory: Memory<'_>, address: usize) -> Result<(), String> {
    let (pointer, length) = pointer_and_length(memory, address)?;
    if length == 0 {
        return Ok(());
    }
    let bytes = memory.bytes(pointer, length, Access::Read).ok_or("string outside the module")?;
    std::str::from_utf8(bytes).map(drop).map_err(|_| "string not UTF-8".to_string())
}

/// The element addresses of an `RSlice<T>` at `address`: inside the
/// module and aligned for `T`.
fn r_slice<T>(memory: Memory<'_>, address: usize) -> Result<impl Iterator<Item = usize>, String> {
    let (pointer, length) = pointer_and_length(memory, address)?;
    if pointer % align_of::<T>() != 0 {
        return Err("misaligned slice".to_string());
    }
    let bytes = length.checked_mul(size_of::<T>()).ok_or("slice too long")?;
    if length > 0 && !memory.contains(pointer, bytes, Access::Read) {
        return Err("slice outside the module".to_string());
    }
    Ok((0..length).map(move |i| pointer + i * size_of::<T>()))
}

const _: () = assert!(size_of::<RStr<'static>>() == SLICE_SIZE && size_of::<RSlice<'static, u8>>() == SLICE_SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    /// The layouts the checks above rely on, as the compiler lays them out.
    #[test]
    fn slices_and_defaults_are_laid_out_as_the_checks_read_them() {
        let text = "ab";
        let s = RStr::from_str(text);
        // SAFETY: `RStr` is two words (asserted above); reading them as such
        // is reading its bytes.
        let words: [usize; 2] = unsafe { core::mem::transmute_copy(&s) };
        assert_eq!(words, [text.as_ptr() as usize, 2]);
        let (flag, string) = (DefaultScalar::Bool(true), DefaultScalar::Str(RStr::from_str(text)));
        let (flag, string) = ((&raw const flag).cast::<u8>(), (&raw const string).cast::<u8>());
        // SAFETY: Each read is of a byte a `repr(u8)` enum defines: its tag,
        // a `bool` right after it, an `RStr` at the next aligned offset.
        let read = unsafe { [*flag, *flag.add(1), *string] };
        assert_eq!(read, [2, 1, 3]);
        // SAFETY: As above.
        let pointer = unsafe { string.add(size_of::<usize>()).cast::<usize>().read_unaligned() };
        assert_eq!(pointer, text.as_ptr() as usize);
        assert_eq!(ParamType::InvBool as u8, 11);
        let layout = <ModuleInfo as abi_stable::StableAbi>::LAYOUT;
        let at = (layout as *const TypeLayout).cast::<usize>();
        // SAFETY: Reading the pointer fields and the two bytes after them of
        // a `repr(C)` `TypeLayout`, all initialised.
        let (shared, mono, small) = unsafe { (*at, *at.add(1), *at.add(2).cast::<[u8; 2]>()) };
        assert_eq!(shared, layout.shared_vars() as *const SharedVars as usize);
        assert_eq!(mono, layout.mono_type_layout() as *const MonoTypeLayout as usize);
        assert_eq!((small[0] != 0, 1usize << small[1]), (layout.is_nonzero(), layout.alignment()));
    }
}
