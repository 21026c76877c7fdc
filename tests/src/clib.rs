//! The kernel C library of `kbuild/`: its headers and `kbuild/lib`.
//!
//! `kbuild/lib/test` is a C program that links the library with a fake
//! host and checks the kernel's outputs (printf and scanf conversions,
//! kstrto*, the string functions, printk's lines, parameters loaded through
//! their ops, kmalloc's rules); here it is built and run with gcc. The
//! other tests compile module sources with the flags kbuild uses and read
//! what the headers put into the object, which modpost relies on.

use crate::{
    cbuild::build_c,
    util::{Scratch, assert_dmesg, boot},
};
use object::{Object, ObjectSection, ObjectSymbol, SymbolFlags};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The checkout's `kbuild/`.
fn kbuild() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kbuild").canonicalize().unwrap()
}

/// The flags module code is compiled with, from kbuild/lib/test's Makefile.
fn kernel_cflags() -> Vec<String> {
    let out =
        Command::new("make").args(["-s", "-C"]).arg(kbuild().join("lib/test")).arg("print-cflags").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().split_whitespace().map(str::to_owned).collect()
}

/// Compiles `source` as module `name` into `scratch`: the object's bytes,
/// or gcc's diagnostics.
fn compile(scratch: &Scratch, name: &str, source: &str, extra: &[&str]) -> Result<Vec<u8>, String> {
    let src = scratch.file(&format!("{name}.c"), source.as_bytes());
    let obj = scratch.join(&format!("{name}.o"));
    let out = Command::new("gcc")
        .args(kernel_cflags())
        .arg(format!("-DKBUILD_MODNAME=\"{name}\""))
        .arg(format!("-DKBUILD_BASENAME=\"{name}\""))
        .args(extra)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(std::fs::read(obj).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn kbuild_lib_passes_its_unit_tests() {
    let scratch = Scratch::new("clib");
    let out = Command::new("make")
        .args(["-s", "-C"])
        .arg(kbuild().join("lib/test"))
        .arg("check")
        .arg(format!("OUT={}", scratch.join("out").display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kbuild/lib/test failed:\n{stdout}{stderr}");
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[test]
fn every_header_compiles_on_its_own() {
    let scratch = Scratch::new("headers");
    let include = kbuild().join("include");
    let mut headers = Vec::new();
    for dir in ["linux", "asm", "asm-generic", "generated"] {
        for entry in std::fs::read_dir(include.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "h") {
                headers.push(format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    headers.sort();
    assert!(headers.len() > 40, "{headers:?}");
    let failures: Vec<String> = headers
        .iter()
        .filter_map(|h| {
            compile(&scratch, "alone", &format!("#include <{h}>\n"), &["-Werror"]).err().map(|e| format!("{h}:\n{e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn there_is_no_libc() {
    let scratch = Scratch::new("nolibc");
    let err = compile(&scratch, "stdio", "#include <stdio.h>\n", &[]).unwrap_err();
    assert!(err.contains("stdio.h: No such file or directory"), "{err}");
    for call in ["printf(\"x\")", "(int)(long)malloc(4)"] {
        let source = format!("#include <linux/kernel.h>\n#include <linux/slab.h>\nint f(void) {{ return {call}; }}\n");
        let err = compile(&scratch, "call", &source, &[]).unwrap_err();
        assert!(err.contains("error: implicit declaration of function"), "{call}: {err}");
    }
}

const MODULE: &str = r#"
#include <linux/module.h>
#include <linux/kernel.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("A. Student");
MODULE_DESCRIPTION("records");
MODULE_IMPORT_NS(LAB);

static int rate = 5;
module_param(rate, int, 0644);
MODULE_PARM_DESC(rate, "Items per second");
static char *item = "x";
module_param(item, charp, S_IRUGO);
static int arr[4];
static unsigned int narr;
module_param_array(arr, int, &narr, 0444);
static char buf[16];
module_param_string(label, buf, sizeof(buf), 0);
static bool verbose;
module_param_named(debug, verbose, bool, 0600);

int square(int x) { return x * x; }
EXPORT_SYMBOL_GPL(square);
int cube(int x) { return x * x * x; }
EXPORT_SYMBOL_NS(cube, LAB);
int plain(int x) { return x; }
EXPORT_SYMBOL(plain);

static int __init rec_init(void) { pr_info("%d %s %d %s %d\n", rate, item, narr, buf, verbose); return 0; }
static void __exit rec_exit(void) { }
module_init(rec_init);
module_exit(rec_exit);
"#;

/// The NUL-separated strings of a section.
fn strings(file: &object::File<'_>, section: &str) -> Vec<String> {
    let data = file.section_by_name(section).unwrap_or_else(|| panic!("no {section}")).data().unwrap();
    data.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

/// The bytes of `symbol`'s object and its ELF visibility (`st_other & 3`).
fn symbol_bytes<'a>(file: &'a object::File<'a>, name: &str) -> (&'a [u8], bool, u8) {
    let sym = file.symbols().find(|s| s.name() == Ok(name)).unwrap_or_else(|| panic!("no symbol {name}"));
    let visibility = match sym.flags() {
        SymbolFlags::Elf { st_other, .. } => st_other.0 & 3,
        _ => unreachable!(),
    };
    let section = file.section_by_index(sym.section_index().unwrap()).unwrap();
    let data = section.data().unwrap();
    let start = usize::try_from(sym.address()).unwrap();
    let end = start + usize::try_from(sym.size()).unwrap();
    (&data[start..end], sym.is_global(), visibility)
}

#[test]
fn a_module_object_carries_modinfo_exports_and_parameter_records() {
    let scratch = Scratch::new("records");
    let bytes = compile(&scratch, "records", MODULE, &["-Werror"]).unwrap();
    let file = object::File::parse(&*bytes).unwrap();

    let mut modinfo = strings(&file, ".modinfo");
    modinfo.sort();
    assert_eq!(
        modinfo,
        [
            "author=A. Student",
            "description=records",
            "import_ns=LAB",
            "license=GPL",
            "parm=rate:Items per second",
            "parmtype=arr:array of int",
            "parmtype=debug:bool",
            "parmtype=item:charp",
            "parmtype=label:string",
            "parmtype=rate:int",
        ]
    );

    // struct modhost_kparam_info { char name[64]; u32 perm; u32 max; }
    let kparam = file.section_by_name(".modhost_kparam").unwrap().data().unwrap();
    assert_eq!(kparam.len() % 72, 0);
    let mut records: Vec<(String, u32, u32)> = kparam
        .chunks(72)
        .map(|r| {
            let name = String::from_utf8_lossy(r[..64].split(|&b| b == 0).next().unwrap()).into_owned();
            let word = |at: usize| u32::from_le_bytes(r[at..at + 4].try_into().unwrap());
            (name, word(64), word(68))
        })
        .collect();
    records.sort();
    let expected = [("arr", 0o444, 4), ("debug", 0o600, 0), ("item", 0o444, 0), ("label", 0, 16), ("rate", 0o644, 0)];
    assert_eq!(records, expected.map(|(n, p, m)| (n.to_owned(), p, m)));

    // The runtime records modpost points __modhost_kp at: global, hidden.
    for param in ["rate", "item", "arr", "label", "debug"] {
        let (record, global, visibility) = symbol_bytes(&file, &format!("__param_{param}"));
        assert_eq!((record.len(), global, visibility), (40, true, 2), "__param_{param}");
    }

    assert_eq!(symbol_bytes(&file, "__export_symbol_square").0, b"GPL\0\0");
    assert_eq!(symbol_bytes(&file, "__export_symbol_cube").0, b"\0LAB\0");
    assert_eq!(symbol_bytes(&file, "__export_symbol_plain").0, b"\0\0");
    for entry in ["init_module", "cleanup_module", "square"] {
        let sym = file.symbols().find(|s| s.name() == Ok(entry)).unwrap();
        assert!(sym.is_global() && sym.is_definition(), "{entry}");
    }
}

#[test]
fn namespaces_are_string_literals_from_6_13_and_tokens_before() {
    let scratch = Scratch::new("ns");
    let source = |ns: &str| {
        format!(
            "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\nMODULE_IMPORT_NS({ns});\n\
             int f(int x) {{ return x; }}\nEXPORT_SYMBOL_NS_GPL(f, {ns});\n"
        )
    };
    for (ns, version) in [("\"LAB\"", "KERNEL_VERSION(6,13,0)"), ("LAB", "KERNEL_VERSION(4,4,0)")] {
        let define = format!("-DMODHOST_LINUX_VERSION_CODE={version}");
        let bytes = compile(&scratch, "ns", &source(ns), &[&define, "-Werror"]).unwrap();
        let file = object::File::parse(&*bytes).unwrap();
        let mut modinfo = strings(&file, ".modinfo");
        modinfo.sort();
        assert_eq!(modinfo, ["import_ns=LAB", "license=GPL"], "{version}");
        assert_eq!(symbol_bytes(&file, "__export_symbol_f").0, b"GPL\0LAB\0", "{version}");
    }
    let source = "#include <linux/module.h>\nint g(int x) { return x; }\nEXPORT_SYMBOL(g);\n";
    let bytes = compile(&scratch, "dflt", source, &["-DDEFAULT_SYMBOL_NAMESPACE=LAB"]).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    assert_eq!(symbol_bytes(&file, "__export_symbol_g").0, b"\0LAB\0", "DEFAULT_SYMBOL_NAMESPACE");
}

#[test]
fn lab_era_code_compiles_for_its_generation_only() {
    let scratch = Scratch::new("era");
    let source = r#"
#include <linux/module.h>
#include <linux/slab.h>
struct s { int a; };
static int flag;
static int set_flag(const char *val, const struct kernel_param *kp) { return param_set_int(val, kp); }
module_param_call(flag, set_flag, param_get_int, &flag, 0644);
int f(void) { return FIELD_SIZEOF(struct s, a) + ACCESS_ONCE(flag); }
MODULE_SUPPORTED_DEVICE("lab");
void g(void *p) { pr_warning("old\n"); kzfree(p); }
"#;
    compile(&scratch, "era", source, &["-DMODHOST_LINUX_VERSION_CODE=KERNEL_VERSION(4,4,0)", "-Werror"]).unwrap();
    let err = compile(&scratch, "era", source, &[]).unwrap_err();
    let error_at =
        |line: usize, what: &str| err.lines().any(|l| l.contains(&format!("era.c:{line}:")) && l.contains(what));
    assert!(!err.contains("era.c:7:"), "module_param_call is still the kernel's: {err}");
    assert!(error_at(8, "implicit declaration of function") && err.contains("FIELD_SIZEOF"), "{err}");
    assert!(error_at(8, "implicit declaration of function") && err.contains("ACCESS_ONCE"), "{err}");
    assert!(error_at(9, "error:"), "MODULE_SUPPORTED_DEVICE is gone: {err}");
    assert!(error_at(10, "implicit declaration of function") && err.contains("pr_warning"), "{err}");
    assert!(error_at(10, "implicit declaration of function") && err.contains("kzfree"), "{err}");
}

#[test]
fn bad_parameter_permissions_do_not_compile() {
    let scratch = Scratch::new("perm");
    let source = "#include <linux/module.h>\nstatic int x;\nmodule_param(x, int, 0666);\n";
    let err = compile(&scratch, "perm", source, &[]).unwrap_err();
    assert!(err.contains("negative width in bit-field"), "{err}");
}

/// What modpost's NAME.mod.c gives the MODULE above: the descriptor, with
/// the parameters in the order of their records.
const MOD_C: &str = r#"
#include <linux/module.h>
extern struct kernel_param __param_rate, __param_item, __param_arr, __param_label, __param_debug;
static struct kernel_param *const kp[] = {
	&__param_rate, &__param_item, &__param_arr, &__param_label, &__param_debug,
};
extern int init_module(void);
extern void cleanup_module(void);
struct module __this_module __attribute__((visibility("default"))) = {
	.magic = MODHOST_MAGIC,
	.vermagic = MODHOST_KBUILD_VERMAGIC,
	.size = sizeof(struct module),
	.num_kp = 5,
	.kp = kp,
	.start = __modhost_start,
	.stop = __modhost_stop,
	.param_changed = __modhost_param_changed,
	.init = init_module,
	.exit = cleanup_module,
};
"#;

/// Module code that makes the compiler call memcpy/memset itself and
/// needs libgcc, beside the library's functions.
const USES: &str = r#"
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/random.h>
struct big { char bytes[65536]; };
int uses(struct big *a, const struct big *b, const char *text)
{
	char *copy = kasprintf(GFP_KERNEL, "%s %pS", text, uses);
	unsigned __int128 wide = (unsigned __int128)get_random_u64() * 3;
	int n = 0;

	*a = *b;
	memset(a, 0, sizeof(*a) - n);
	if (sscanf(text, "%d", &n) != 1 || kstrtoint(text, 0, &n))
		WARN_ON(1);
	kfree(copy);
	return n + (int)(wide / (unsigned int)(n | 1)) + strlen(text);
}
"#;

#[test]
fn a_module_links_with_the_library_alone() {
    let scratch = Scratch::new("link");
    let objects = scratch.join("out");
    let out = Command::new("make")
        .args(["-s", "-C"])
        .arg(kbuild().join("lib/test"))
        .arg("objects")
        .arg(format!("OUT={}", objects.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    compile(&scratch, "records", MODULE, &[]).unwrap();
    compile(&scratch, "uses", USES, &[]).unwrap();
    compile(&scratch, "records.mod", MOD_C, &[]).unwrap();
    let script = scratch.file("exports.lds", b"{ global: __this_module; local: *; };\n");
    let ko = scratch.join("records.ko");
    let mut lib: Vec<PathBuf> = std::fs::read_dir(objects.join("lib")).unwrap().map(|e| e.unwrap().path()).collect();
    lib.sort();
    let out = Command::new("gcc")
        .args(["-shared", "-nostdlib", "-Wl,-z,now", "-Wl,--no-undefined"])
        .arg(format!("-Wl,--version-script={script}"))
        .arg("-o")
        .arg(&ko)
        .args(["records.o", "uses.o", "records.mod.o"].map(|o| scratch.join(o)))
        .args(lib)
        .arg("-lgcc")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let bytes = std::fs::read(&ko).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let exported: Vec<_> =
        file.dynamic_symbols().filter(|s| s.is_definition()).map(|s| s.name().unwrap().to_owned()).collect();
    assert_eq!(exported, ["__this_module"]);
    assert!(file.dynamic_symbols().all(|s| s.is_definition()), "nothing comes from another library");
}

/// tests/c/cparams, built by kbuild.
fn cparams() -> PathBuf {
    build_c("cparams").join("cparams.ko")
}

#[test]
fn parameters_not_given_keep_the_values_the_source_gave_them() {
    let kernel = boot();
    kernel.insmod(cparams(), "").unwrap();
    assert_dmesg(&kernel, "init: rate=5 item=(null) label=lab ids=0:0,0 tag=t verbose=0 mask=0x10");
    kernel.rmmod("cparams").unwrap();
    assert_dmesg(&kernel, "exit: rate=5 item=(null) label=lab ids=0:0,0 tag=t verbose=0 mask=0x10");
}

#[test]
fn parameters_given_at_insmod_and_written_in_sys_reach_the_c_variables() {
    let kernel = boot();
    kernel.insmod(cparams(), "rate=7 item=x label=new ids=1,-2 tag=abc verbose=Y mask=0x3").unwrap();
    assert_dmesg(&kernel, "init: rate=7 item=x label=new ids=2:1,-2 tag=abc verbose=1 mask=0x3");
    kernel.write("/sys/module/cparams/parameters/rate", "9\n").unwrap();
    // As in the kernel, a string parameter keeps a written newline: echo -n.
    kernel.write("/sys/module/cparams/parameters/label", "relabelled").unwrap();
    kernel.write("/sys/module/cparams/parameters/tag", "zz").unwrap();
    kernel.write("/sys/module/cparams/parameters/verbose", "n\n").unwrap();
    kernel.rmmod("cparams").unwrap();
    assert_dmesg(&kernel, "exit: rate=9 item=x label=relabelled ids=2:1,-2 tag=zz verbose=0 mask=0x3");
}
