//! What `module!` writes into the file: this test binary declares one module
//! like the shipped fifo (with one of everything more), and reads back the
//! `.modinfo` and `.modhost_tables` sections the linker kept in it.

use modhost_abi::{
    modinfo::{MODINFO_SECTION, TABLES_SECTION, entries},
    prelude::*,
};
use object::{Object, ObjectSection};

module! {
    type: Fifo,
    name: "fifo",
    author: "modhost developers",
    description: "A bounded FIFO guarded by a mutex and two counting semaphores",
    license: "GPL",
    version: "1.0",
    params: {
        size: uint { default: 32, perm: 0o444, description: "Slots in the fifo (1 to 4096)" },
        ids: [int; 4] { default: [1], perm: 0o644, description: "Some ids" },
    },
    import_ns: ["CLOCK"],
    imports: {
        fn clock_now() -> u64;
    },
    exports: {
        gpl fn fifo_put(item: u32) -> i32;
        ns("FIFO") fn fifo_fill() -> u32;
    },
}

struct Fifo;

impl Module for Fifo {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Fifo)
    }
}

fn fifo_put(_item: u32) -> i32 {
    0
}

fn fifo_fill() -> u32 {
    0
}

/// The `(key, value)` entries of a section of this test binary.
fn section(name: &str) -> Vec<(String, String)> {
    let exe = std::fs::read("/proc/self/exe").expect("the test binary is readable");
    let file = object::File::parse(&*exe).expect("the test binary is an object file");
    let section = file.section_by_name(name).unwrap_or_else(|| panic!("no {name} section"));
    let bytes = section.data().expect("the section has bytes");
    entries(bytes).expect("the section is well-formed").into_iter().map(|e| (e.key.into(), e.value.into())).collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn modinfo_holds_the_kernel_keys() {
    assert_eq!(
        section(MODINFO_SECTION),
        owned(&[
            ("name", "fifo"),
            ("license", "GPL"),
            ("author", "modhost developers"),
            ("description", "A bounded FIFO guarded by a mutex and two counting semaphores"),
            ("version", "1.0"),
            ("import_ns", "CLOCK"),
            ("parmtype", "size:uint"),
            ("parm", "size:Slots in the fifo (1 to 4096)"),
            ("parmtype", "ids:array of int"),
            ("parm", "ids:Some ids"),
            ("vermagic", "modhost-abi/3 panic=unwind"),
        ])
    );
}

#[test]
fn the_tables_hold_exports_imports_and_parameters() {
    assert_eq!(
        section(TABLES_SECTION),
        owned(&[
            ("export_gpl", "fifo_put"),
            ("export", "fifo_fill:FIFO"),
            ("import", "clock_now"),
            ("kparam", "size:0444:0"),
            ("kparam", "ids:0644:4"),
        ])
    );
}
