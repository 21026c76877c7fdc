//! `NAME.mod.c`: the part of a `.ko` that modpost writes.
//!
//! It holds (the kbuild contract, "What modpost writes"):
//! - `.modinfo`: `name=`, `vermagic=`, `depends=`;
//! - `.modhost_tables`: the `export=`, `export_gpl=`, `import=` and
//!   `kparam=` records the host reads without loading the file;
//! - per import, a slot the host fills and a stub `SYM: jmp *slot(%rip)`,
//!   so the module's own `call SYM` reaches the exporter;
//! - the import, export and parameter tables and `__this_module`, the one
//!   symbol the `.ko` exports.
//!
//! Every name here is a C identifier from the objects' symbol tables;
//! namespaces and other strings are written as escaped C literals.
//!
//! Kernel counterpart: `scripts/mod/modpost.c` (`add_header`,
//! `add_versions`, `add_depends`), `include/linux/module.h`.

use super::objects::KParam;
use modhost_abi::modinfo::key;
use std::fmt::Write as _;

/// The version magic of a kbuild-built module (`MODHOST_KBUILD_VERMAGIC`).
pub(crate) const VERMAGIC: &str = "modhost-abi/3 kbuild";

/// One export as `.mod.c` lists it.
#[derive(Debug, Clone)]
pub(crate) struct ModCExport {
    pub(crate) name: String,
    pub(crate) gpl_only: bool,
    pub(crate) namespace: String,
    pub(crate) crc: u32,
}

/// One import: its CRC when a Module.symvers knew the symbol.
#[derive(Debug, Clone)]
pub(crate) struct ModCImport {
    pub(crate) name: String,
    pub(crate) crc: Option<u32>,
}

/// Everything `NAME.mod.c` says.
#[derive(Debug, Clone)]
pub(crate) struct ModC {
    pub(crate) name: String,
    pub(crate) depends: Vec<String>,
    pub(crate) exports: Vec<ModCExport>,
    pub(crate) imports: Vec<ModCImport>,
    pub(crate) kparams: Vec<KParam>,
    pub(crate) has_init: bool,
    pub(crate) has_exit: bool,
}

impl ModC {
    /// The C source.
    pub(crate) fn render(&self) -> String {
        let mut c = String::from("/* Written by modpost: do not edit. */\n#include <modhost/kmod.h>\n\n");
        c += &strings_section("__modhost_modinfo", ".modinfo", &self.modinfo());
        c += &strings_section("__modhost_tables", ".modhost_tables", &self.tables());
        self.write_imports(&mut c);
        self.write_exports(&mut c);
        self.write_kparams(&mut c);
        self.write_this_module(&mut c);
        c
    }

    fn modinfo(&self) -> Vec<String> {
        vec![
            format!("{}={}", key::NAME, self.name),
            format!("{}={VERMAGIC}", key::VERMAGIC),
            format!("{}={}", key::DEPENDS, self.depends.join(",")),
        ]
    }

    fn tables(&self) -> Vec<String> {
        let exports = self.exports.iter().map(|e| {
            let key = if e.gpl_only { key::EXPORT_GPL } else { key::EXPORT };
            match e.namespace.as_str() {
                "" => format!("{key}={}", e.name),
                ns => format!("{key}={}:{ns}", e.name),
            }
        });
        let imports = self.imports.iter().map(|i| format!("{}={}", key::IMPORT, i.name));
        let kparams = self.kparams.iter().map(|p| format!("{}={}:{:04o}:{}", key::KPARAM, p.name, p.perm, p.max));
        exports.chain(imports).chain(kparams).collect()
    }

    fn write_imports(&self, c: &mut String) {
        if self.imports.is_empty() {
            return;
        }
        c.push_str("/* Imports: the host writes each slot; the stub jumps through it. */\n");
        for import in &self.imports {
            let name = &import.name;
            let _ = writeln!(c, "void *__modhost_slot_{name} __attribute__((visibility(\"hidden\")));");
            let _ = writeln!(
                c,
                "__asm__(\".pushsection .text\\n\\t.globl {name}\\n\\t.hidden {name}\\n\\t.type {name}, @function\\n\"\n\
                 \t\"{name}:\\n\\tjmp *__modhost_slot_{name}(%rip)\\n\\t.size {name}, .-{name}\\n\\t.popsection\");"
            );
        }
        c.push_str("\nstatic const struct modhost_import __modhost_imports[] = {\n");
        for import in &self.imports {
            let (crc, has_crc) = import.crc.map_or((0, 0), |crc| (crc, 1));
            let _ = writeln!(c, "\t{{ \"{0}\", &__modhost_slot_{0}, 0x{crc:08x}, {has_crc} }},", import.name);
        }
        c.push_str("};\n\n");
    }

    fn write_exports(&self, c: &mut String) {
        if self.exports.is_empty() {
            return;
        }
        for export in &self.exports {
            let _ = writeln!(c, "extern char {}[] __attribute__((visibility(\"hidden\")));", export.name);
        }
        c.push_str("\nstatic const struct modhost_ksym __modhost_syms[] = {\n");
        for e in &self.exports {
            let (ns, gpl) = (c_string(&e.namespace), u8::from(e.gpl_only));
            let _ = writeln!(c, "\t{{ \"{0}\", {0}, {ns}, {gpl}, 0x{1:08x} }},", e.name, e.crc);
        }
        c.push_str("};\n\n");
    }

    fn write_kparams(&self, c: &mut String) {
        if self.kparams.is_empty() {
            return;
        }
        for p in &self.kparams {
            let _ =
                writeln!(c, "extern struct kernel_param __param_{} __attribute__((visibility(\"hidden\")));", p.name);
        }
        c.push_str("\nstatic struct kernel_param *const __modhost_kp[] = {\n");
        for p in &self.kparams {
            let _ = writeln!(c, "\t&__param_{},", p.name);
        }
        c.push_str("};\n\n");
    }

    fn write_this_module(&self, c: &mut String) {
        let hidden = "__attribute__((visibility(\"hidden\")))";
        if self.has_init {
            let _ = writeln!(c, "extern int init_module(void) {hidden};");
        }
        if self.has_exit {
            let _ = writeln!(c, "extern void cleanup_module(void) {hidden};");
        }
        let table = |present: bool, name: &str| if present { name.to_string() } else { "0".to_string() };
        let _ = write!(
            c,
            "\nstruct module __this_module __attribute__((visibility(\"default\"))) = {{\n\
             \t.magic = MODHOST_MAGIC,\n\
             \t.vermagic = MODHOST_KBUILD_VERMAGIC,\n\
             \t.size = sizeof(struct module),\n\
             \t.num_syms = {},\n\t.syms = {},\n\
             \t.imports = {},\n\t.num_imports = {},\n\
             \t.num_kp = {},\n\t.kp = {},\n\
             \t.start = __modhost_start,\n\t.stop = __modhost_stop,\n\
             \t.param_changed = __modhost_param_changed,\n\
             \t.init = {},\n\t.exit = {},\n\
             \t.name = {},\n}};\n",
            self.exports.len(),
            table(!self.exports.is_empty(), "__modhost_syms"),
            table(!self.imports.is_empty(), "__modhost_imports"),
            self.imports.len(),
            self.kparams.len(),
            table(!self.kparams.is_empty(), "__modhost_kp"),
            table(self.has_init, "init_module"),
            table(self.has_exit, "cleanup_module"),
            c_string(&self.name),
        );
    }
}

/// A `static const char NAME[]` in `section`: the strings, each ended by a NUL.
fn strings_section(name: &str, section: &str, strings: &[String]) -> String {
    let mut c = format!("static const char {name}[] __attribute__((section(\"{section}\"), used, aligned(1))) =\n");
    if strings.is_empty() {
        c.push_str("\t\"\";\n\n");
        return c;
    }
    for (i, s) in strings.iter().enumerate() {
        // The last string's NUL is the array's own.
        let end = if i + 1 == strings.len() { ";" } else { " \"\\0\"" };
        let _ = writeln!(c, "\t{}{end}", c_string(s));
    }
    c.push('\n');
    c
}

/// `text` as a C string literal.
fn c_string(text: &str) -> String {
    let mut literal = String::from("\"");
    for byte in text.bytes() {
        match byte {
            b'"' | b'\\' => {
                literal.push('\\');
                literal.push(byte as char);
            }
            0x20..=0x7e => literal.push(byte as char),
            // Octal escapes are at most three digits: nothing after them
            // can extend them.
            _ => literal.push_str(&format!("\\{byte:03o}")),
        }
    }
    literal.push('"');
    literal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ModC {
        ModC {
            name: "producer".into(),
            depends: vec!["fifo".into()],
            exports: vec![ModCExport {
                name: "square".into(),
                gpl_only: true,
                namespace: "MATH".into(),
                crc: 0xb951_34ec,
            }],
            imports: vec![
                ModCImport { name: "add_item".into(), crc: Some(0x1234) },
                ModCImport { name: "other".into(), crc: None },
            ],
            kparams: vec![KParam { name: "rate".into(), perm: 0o644, max: 0 }],
            has_init: true,
            has_exit: false,
        }
    }

    #[test]
    fn tables_list_exports_imports_and_parameters_in_order() {
        assert_eq!(
            sample().tables(),
            ["export_gpl=square:MATH", "import=add_item", "import=other", "kparam=rate:0644:0"]
        );
        assert_eq!(sample().modinfo(), ["name=producer", "vermagic=modhost-abi/3 kbuild", "depends=fifo"]);
    }

    #[test]
    fn the_source_has_stubs_tables_and_the_descriptor() {
        let c = sample().render();
        assert!(c.contains("\"name=producer\" \"\\0\""), "{c}");
        assert!(c.contains("jmp *__modhost_slot_add_item(%rip)"), "{c}");
        assert!(c.contains("{ \"add_item\", &__modhost_slot_add_item, 0x00001234, 1 },"), "{c}");
        assert!(c.contains("{ \"other\", &__modhost_slot_other, 0x00000000, 0 },"), "{c}");
        assert!(c.contains("{ \"square\", square, \"MATH\", 1, 0xb95134ec },"), "{c}");
        assert!(c.contains("\t&__param_rate,"), "{c}");
        assert!(c.contains(".init = init_module,") && c.contains(".exit = 0,"), "{c}");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(c_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\012\"");
    }
}
