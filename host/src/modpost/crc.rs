//! Symbol versions (modversions): the CRC of an exported function's
//! prototype, read from the object's DWARF.
//!
//! The kernel's genksyms hashes the expanded C declaration of an exported
//! symbol, so that a module built against an older prototype is refused at
//! load (`disagrees about version of symbol`). modpost here does the same
//! from the debug information gcc writes with `-g`: a canonical text of the
//! prototype (`int square(int)`), with typedefs by name, pointers and
//! qualifiers spelled out, and structs, unions and enums by tag and, one
//! level deep, their members. The body of the function is not part of it:
//! changing only the body keeps the CRC.
//!
//! The text is modhost's own; only its CRC is written anywhere
//! (Module.symvers, the `.mod.c` tables), and both sides of a check come
//! from this file.
//!
//! Kernel counterpart: `scripts/genksyms/`, `scripts/mod/modpost.c`.

use gimli::{AttributeValue, DwTag, EndianSlice, LittleEndian, UnitOffset, constants};
use object::{Object, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget};
use std::collections::BTreeMap;

type Reader<'a> = EndianSlice<'a, LittleEndian>;
type Unit<'a> = gimli::Unit<Reader<'a>>;
type Dwarf<'a> = gimli::Dwarf<Reader<'a>>;

/// How deep a type may nest before the text stops describing it: DWARF is
/// the student's compiler's, but a damaged object must not loop forever.
const MAX_NESTING: usize = 24;

/// The CRC-32 of `bytes` (IEEE 802.3, the polynomial genksyms uses).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The canonical prototypes of the functions named in `names` that the
/// object's DWARF describes; a name it does not describe is left out.
pub(crate) fn prototypes(file: &object::File<'_>, names: &[&str]) -> Result<BTreeMap<String, String>, String> {
    let sections = DwarfSections::load(file);
    let dwarf = Dwarf::load(|id| Ok::<_, gimli::Error>(EndianSlice::new(sections.get(id.name()), LittleEndian)))
        .map_err(|e| format!("DWARF: {e}"))?;
    let mut found = BTreeMap::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(|e| format!("DWARF: {e}"))? {
        let unit = dwarf.unit(header).map_err(|e| format!("DWARF: {e}"))?;
        let text = Describe { dwarf: &dwarf, unit: &unit };
        for (name, offset) in text.subprograms(names).map_err(|e| format!("DWARF: {e}"))? {
            if let std::collections::btree_map::Entry::Vacant(slot) = found.entry(name) {
                slot.insert(text.prototype(offset).map_err(|e| format!("DWARF: {e}"))?);
            }
        }
    }
    Ok(found)
}

/// The debug sections of a relocatable object, with their absolute
/// relocations applied (in a `.o` every offset into `.debug_str` and the
/// other sections is a relocation, stored as zero).
struct DwarfSections {
    data: BTreeMap<&'static str, Vec<u8>>,
}

impl DwarfSections {
    fn load(file: &object::File<'_>) -> DwarfSections {
        let ids = [
            gimli::SectionId::DebugAbbrev,
            gimli::SectionId::DebugAddr,
            gimli::SectionId::DebugInfo,
            gimli::SectionId::DebugLine,
            gimli::SectionId::DebugLineStr,
            gimli::SectionId::DebugRanges,
            gimli::SectionId::DebugRngLists,
            gimli::SectionId::DebugStr,
            gimli::SectionId::DebugStrOffsets,
            gimli::SectionId::DebugTypes,
        ];
        let data = ids.iter().filter_map(|id| Some((id.name(), relocated(file, id.name())?))).collect();
        DwarfSections { data }
    }

    fn get(&self, name: &str) -> &[u8] {
        self.data.get(name).map_or(&[], Vec::as_slice)
    }
}

/// The bytes of section `name` with its absolute relocations applied.
fn relocated(file: &object::File<'_>, name: &str) -> Option<Vec<u8>> {
    let section = file.section_by_name(name)?;
    let mut data = section.uncompressed_data().ok()?.into_owned();
    for (offset, reloc) in section.relocations() {
        let base = match reloc.target() {
            RelocationTarget::Symbol(index) => file.symbol_by_index(index).map_or(0, |s| s.address()),
            _ => 0,
        };
        let Ok(at) = usize::try_from(offset) else { continue };
        let value = base.wrapping_add_signed(reloc.addend());
        match (reloc.kind(), reloc.size()) {
            (RelocationKind::Absolute, 32) => patch(&mut data, at, &(value as u32).to_le_bytes()),
            (RelocationKind::Absolute, 64) => patch(&mut data, at, &value.to_le_bytes()),
            _ => {}
        }
    }
    Some(data)
}

fn patch(data: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(place) = at.checked_add(bytes.len()).and_then(|end| data.get_mut(at..end)) {
        place.copy_from_slice(bytes);
    }
}

/// Turns the DIEs of one unit into text.
struct Describe<'a, 'd> {
    dwarf: &'a Dwarf<'d>,
    unit: &'a Unit<'d>,
}

impl<'d> Describe<'_, 'd> {
    /// The subprograms named in `names`, a definition preferred over a
    /// declaration.
    fn subprograms(&self, names: &[&str]) -> gimli::Result<BTreeMap<String, UnitOffset>> {
        let mut found: BTreeMap<String, (bool, UnitOffset)> = BTreeMap::new();
        let mut entries = self.unit.entries();
        while let Some(entry) = entries.next_dfs()? {
            if entry.tag() != constants::DW_TAG_subprogram {
                continue;
            }
            let Some(name) = self.name(entry.attr_value(constants::DW_AT_name)) else { continue };
            if !names.contains(&name.as_str()) {
                continue;
            }
            let declaration =
                matches!(entry.attr_value(constants::DW_AT_declaration), Some(AttributeValue::Flag(true)));
            match found.get(&name) {
                Some((false, _)) => {}
                Some((true, _)) if declaration => {}
                _ => {
                    found.insert(name, (declaration, entry.offset()));
                }
            }
        }
        Ok(found.into_iter().map(|(name, (_, offset))| (name, offset)).collect())
    }

    /// `RET NAME(PARAMS)` of the subprogram at `offset`.
    fn prototype(&self, offset: UnitOffset) -> gimli::Result<String> {
        let entry = self.unit.entry(offset)?;
        let name = self.name(entry.attr_value(constants::DW_AT_name)).unwrap_or_default();
        let ret = self.type_of(&entry, 0, 0)?;
        let params = self.parameters(offset, 0, 0)?;
        Ok(format!("{ret} {name}({params})"))
    }

    /// The parameter list of a subprogram or subroutine type.
    fn parameters(&self, offset: UnitOffset, expand: usize, nesting: usize) -> gimli::Result<String> {
        let mut params = Vec::new();
        let mut tree = self.unit.entries_tree(Some(offset))?;
        let mut children = tree.root()?.children();
        while let Some(child) = children.next()? {
            let entry = child.entry();
            match entry.tag() {
                constants::DW_TAG_formal_parameter => params.push(self.type_of(entry, expand, nesting + 1)?),
                constants::DW_TAG_unspecified_parameters => params.push("...".to_string()),
                _ => {}
            }
        }
        Ok(if params.is_empty() { "void".to_string() } else { params.join(", ") })
    }

    /// The text of the type an entry's `DW_AT_type` names (`void` if none).
    fn type_of(
        &self,
        entry: &gimli::DebuggingInformationEntry<Reader<'d>>,
        expand: usize,
        nesting: usize,
    ) -> gimli::Result<String> {
        match entry.attr_value(constants::DW_AT_type) {
            Some(AttributeValue::UnitRef(offset)) => self.type_text(offset, expand, nesting),
            _ => Ok("void".to_string()),
        }
    }

    /// The text of the type at `offset`. Structs, unions and enums list
    /// their members while `expand` is 0 (the prototype's own types), and
    /// are named only by tag below that.
    fn type_text(&self, offset: UnitOffset, expand: usize, nesting: usize) -> gimli::Result<String> {
        if nesting > MAX_NESTING {
            return Ok("?".to_string());
        }
        let entry = self.unit.entry(offset)?;
        let name = self.name(entry.attr_value(constants::DW_AT_name));
        let inner = || self.type_of(&entry, expand, nesting + 1);
        Ok(match entry.tag() {
            constants::DW_TAG_base_type | constants::DW_TAG_typedef | constants::DW_TAG_unspecified_type => {
                name.unwrap_or_else(|| "?".to_string())
            }
            constants::DW_TAG_pointer_type => format!("{} *", inner()?),
            constants::DW_TAG_const_type => format!("const {}", inner()?),
            constants::DW_TAG_volatile_type => format!("volatile {}", inner()?),
            constants::DW_TAG_restrict_type => format!("{} restrict", inner()?),
            constants::DW_TAG_atomic_type => format!("_Atomic {}", inner()?),
            constants::DW_TAG_array_type => format!("{}{}", inner()?, self.bounds(offset)?),
            constants::DW_TAG_subroutine_type => {
                format!("{} (*)({})", inner()?, self.parameters(offset, expand + 1, nesting + 1)?)
            }
            tag @ (constants::DW_TAG_structure_type
            | constants::DW_TAG_union_type
            | constants::DW_TAG_enumeration_type) => {
                let head = format!("{} {}", keyword(tag), name.unwrap_or_else(|| "<anonymous>".to_string()));
                if expand == 0 { format!("{head} {{{}}}", self.members(offset, nesting)?) } else { head }
            }
            other => format!("<{other}>"),
        })
    }

    /// `TYPE NAME; ...` of a struct or union, `NAME=VALUE, ...` of an enum.
    fn members(&self, offset: UnitOffset, nesting: usize) -> gimli::Result<String> {
        let mut members = Vec::new();
        let mut tree = self.unit.entries_tree(Some(offset))?;
        let mut children = tree.root()?.children();
        while let Some(child) = children.next()? {
            let entry = child.entry();
            let name = self.name(entry.attr_value(constants::DW_AT_name)).unwrap_or_default();
            match entry.tag() {
                constants::DW_TAG_member => members.push(format!("{} {name};", self.type_of(entry, 1, nesting + 1)?)),
                constants::DW_TAG_enumerator => {
                    let value = entry.attr_value(constants::DW_AT_const_value).and_then(|v| v.sdata_value());
                    members.push(format!("{name}={},", value.unwrap_or_default()));
                }
                _ => {}
            }
        }
        Ok(members.join(" "))
    }

    /// `[N]` for each dimension of the array at `offset`, `[]` when unknown.
    fn bounds(&self, offset: UnitOffset) -> gimli::Result<String> {
        let mut text = String::new();
        let mut tree = self.unit.entries_tree(Some(offset))?;
        let mut children = tree.root()?.children();
        while let Some(child) = children.next()? {
            let entry = child.entry();
            if entry.tag() != constants::DW_TAG_subrange_type {
                continue;
            }
            let count = entry.attr_value(constants::DW_AT_count).and_then(|v| v.udata_value()).or_else(|| {
                entry.attr_value(constants::DW_AT_upper_bound).and_then(|v| v.udata_value()).map(|u| u + 1)
            });
            match count {
                Some(n) => text.push_str(&format!("[{n}]")),
                None => text.push_str("[]"),
            }
        }
        Ok(text)
    }

    fn name(&self, value: Option<AttributeValue<Reader<'d>>>) -> Option<String> {
        let name = self.dwarf.attr_string(self.unit, value?).ok()?;
        Some(String::from_utf8_lossy(name.slice()).into_owned())
    }
}

fn keyword(tag: DwTag) -> &'static str {
    match tag {
        constants::DW_TAG_union_type => "union",
        constants::DW_TAG_enumeration_type => "enum",
        _ => "struct",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_ieee_crc() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    /// The prototypes gcc's DWARF gives for the functions of `source`.
    fn prototypes_of(source: &str, names: &[&str]) -> BTreeMap<String, String> {
        let dir = std::env::temp_dir().join(format!("modhost-crc-{}-{}", std::process::id(), crc32(source.as_bytes())));
        std::fs::create_dir_all(&dir).unwrap();
        let (c, o) = (dir.join("t.c"), dir.join("t.o"));
        std::fs::write(&c, source).unwrap();
        let status =
            std::process::Command::new("gcc").args(["-g", "-O2", "-fPIC", "-c", "-o"]).arg(&o).arg(&c).status();
        assert!(status.expect("gcc runs").success());
        let data = std::fs::read(&o).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        prototypes(&object::File::parse(&*data).unwrap(), names).unwrap()
    }

    #[test]
    fn prototypes_name_types_and_members_one_level_deep() {
        let source = "typedef unsigned long size_t;\n\
            struct inner { int a; };\n\
            struct pt { int x; struct inner *in; const char name[8]; };\n\
            enum mode { SLOW, FAST = 4 };\n\
            int square(int x) { return x * x; }\n\
            size_t area(const struct pt *p, enum mode m) { return p->x + m; }\n\
            void log_it(const char *fmt, ...) { (void)fmt; }\n\
            void none(void) {}\n\
            int apply(int (*fn)(int), volatile int *v) { return fn(*v); }\n";
        let found = prototypes_of(source, &["square", "area", "log_it", "none", "apply", "missing"]);
        assert_eq!(found["square"], "int square(int)");
        assert_eq!(
            found["area"],
            "size_t area(const struct pt {int x; struct inner * in; const const char[8] name;} *, enum mode {SLOW=0, FAST=4,})"
        );
        assert_eq!(found["log_it"], "void log_it(const char *, ...)");
        assert_eq!(found["none"], "void none(void)");
        assert_eq!(found["apply"], "int apply(int (*)(int) *, volatile int *)");
        assert!(!found.contains_key("missing"));
    }

    #[test]
    fn the_body_does_not_change_the_prototype() {
        let one = prototypes_of("int square(int x) { return x * x; }\n", &["square"]);
        let two = prototypes_of("int square(int x) { return x + x + 1; }\n", &["square"]);
        let three = prototypes_of("long square(int x) { return x * x; }\n", &["square"]);
        assert_eq!(one, two);
        assert_ne!(one, three);
    }
}
