//! kbuild and modpost: C modules built with `make -C <checkout>/kbuild M=DIR`
//! from the Makefiles students write, the lines make prints, what modpost
//! writes (Module.symvers, CRCs, NAME.mod.c) and its diagnostics.
//!
//! Each test writes its sources into a Scratch directory and runs make
//! with `MODHOST` set to the modhost binary cargo built (built here once
//! per test process if need be).

use crate::util::Scratch;
use object::{Object, ObjectSection, ObjectSymbol};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

/// The checkout's kbuild/.
fn kbuild() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kbuild")
}

/// The modhost binary, built by cargo if need be (it is not a dependency
/// of this crate's tests: binaries cannot be).
pub(crate) fn modhost() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "modhost", "--bin", "modhost"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p modhost failed");
        let profile_dir =
            crate::util::module_dir().parent().expect("deps/ is in the profile's directory").to_path_buf();
        profile_dir.join("modhost")
    })
}

/// What one make run printed and how it ended.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        Run {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    fn assert_ok(&self) -> &Run {
        assert!(self.ok, "make failed:\n{}\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    fn assert_failed(&self) -> &Run {
        assert!(!self.ok, "make succeeded:\n{}\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    fn assert_stderr_has(&self, line: &str) -> &Run {
        assert!(self.stderr.lines().any(|l| l == line), "stderr has no line {line:?}:\n{}", self.stderr);
        self
    }
}

/// `make -C <checkout>/kbuild M=dir args...`
fn make(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new("make")
        .arg("-C")
        .arg(kbuild())
        .arg(format!("M={}", dir.display()))
        .args(args)
        .env("MODHOST", modhost())
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .expect("make runs");
    Run::of(output)
}

/// A directory with these files in it.
fn lab(test: &str, files: &[(&str, &str)]) -> Scratch {
    let dir = Scratch::new(test);
    for (name, text) in files {
        if let Some(parent) = dir.join(name).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        dir.file(name, text.as_bytes());
    }
    dir
}

fn path(dir: &Scratch, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// The NUL-separated strings of a section of a file.
fn section_strings(file: &Path, name: &str) -> Vec<String> {
    let data = std::fs::read(file).unwrap();
    let object = object::File::parse(&*data).unwrap();
    let bytes = object.section_by_name(name).unwrap_or_else(|| panic!("{}: no {name}", file.display())).data().unwrap();
    bytes.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

const HELLO: &str = r#"#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>

static int __init hello_init(void)
{
	pr_info("Hello, world\n");
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("Goodbye\n");
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("A student");
"#;

/// The lab-sheet Makefile: its own targets call the real kernel's build.
const ONE_LINE_MAKEFILE: &str = "obj-m += hello.o\n\n\
    all:\n\tmake -C /lib/modules/$(shell uname -r)/build M=$(PWD) modules\n\n\
    clean:\n\tmake -C /lib/modules/$(shell uname -r)/build M=$(PWD) clean\n";

const TWO_PART_MAKEFILE: &str = "ifneq ($(KERNELRELEASE),)\nobj-m := hello.o\nelse\n\
    KDIR ?= /lib/modules/$(shell uname -r)/build\n\
    default:\n\t$(MAKE) -C $(KDIR) M=$(PWD) modules\nendif\n";

fn square(license: &str, prototype: &str, body: &str) -> String {
    format!(
        "#include <linux/module.h>\n#include <linux/init.h>\n\n\
         {prototype}\n{{\n\t{body}\n}}\nEXPORT_SYMBOL_GPL(square);\n\n\
         static int __init square_init(void) {{ return 0; }}\nmodule_init(square_init);\n\
         MODULE_LICENSE(\"{license}\");\n"
    )
}

const SQUARE_USER: &str = "#include <linux/module.h>\n#include <linux/init.h>\n\n\
    int square(int x);\n\n\
    static int __init user_init(void) { return square(3) == 9 ? 0 : -22; }\nmodule_init(user_init);\n";

#[test]
fn a_one_line_makefile_builds_hello_ko_with_the_kernels_lines() {
    let dir = lab("hello", &[("hello.c", HELLO), ("Makefile", ONE_LINE_MAKEFILE)]);
    let run = make(&dir.join(""), &[]);
    run.assert_ok();
    // Lines of this directory's files (a first build of lib/ prints its own too).
    let here = path(&dir, "");
    let lines: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("  ") && l.contains(&here)).collect();
    let expected = [
        format!("  CC [M]  {}", path(&dir, "hello.o")),
        format!("  MODPOST {}", path(&dir, "Module.symvers")),
        format!("  CC [M]  {}", path(&dir, "hello.mod.o")),
        format!("  LD [M]  {}", path(&dir, "hello.ko")),
    ];
    assert_eq!(lines, expected, "make printed:\n{}", run.stdout);
    let modinfo = section_strings(&dir.join("hello.ko"), ".modinfo");
    for entry in ["license=GPL", "author=A student", "name=hello", "vermagic=modhost-abi/3 kbuild", "depends="] {
        assert!(modinfo.iter().any(|s| s == entry), "no {entry} in {modinfo:?}");
    }
}

#[test]
fn a_ko_exports_only_its_descriptor() {
    let dir = lab("dynsym", &[("hello.c", HELLO), ("Makefile", TWO_PART_MAKEFILE)]);
    make(&dir.join(""), &[]).assert_ok();
    let data = std::fs::read(dir.join("hello.ko")).unwrap();
    let ko = object::File::parse(&*data).unwrap();
    let exported: Vec<&str> =
        ko.dynamic_symbols().filter(|s| !s.is_undefined()).filter_map(|s| s.name().ok()).collect();
    assert_eq!(exported, ["__this_module"]);
    let undefined: Vec<&str> =
        ko.dynamic_symbols().filter(|s| s.is_undefined()).filter_map(|s| s.name().ok()).collect();
    assert!(undefined.iter().all(|s| s.is_empty()), "the .ko needs {undefined:?}");
}

#[test]
fn a_kbuild_file_wins_over_the_makefile_and_subdirs_means_m() {
    let makefile = "obj-m := nothing_here.o\n";
    let dir = lab("kbuildfile", &[("hello.c", HELLO), ("Makefile", makefile), ("Kbuild", "obj-m := hello.o\n")]);
    let output = Command::new("make")
        .arg("-C")
        .arg(kbuild())
        .arg(format!("SUBDIRS={}", dir.join("").display()))
        .env("MODHOST", modhost())
        .env_remove("MAKEFLAGS")
        .output()
        .unwrap();
    Run::of(output).assert_ok();
    assert!(dir.join("hello.ko").is_file());
}

#[test]
fn a_multi_object_module_links_its_objects_under_one_name() {
    let core = "#include <linux/module.h>\n#include <linux/init.h>\n\nint fifo_proc_init(void);\n\n\
        static int __init fifo_init(void) { return fifo_proc_init(); }\nmodule_init(fifo_init);\nMODULE_LICENSE(\"GPL\");\n";
    let proc = "#include <linux/module.h>\n\nint fifo_proc_init(void) { return sizeof(KBUILD_MODNAME) == 5 ? 0 : -1; }\n\
        int fifo_size(void) { return 16; }\nEXPORT_SYMBOL(fifo_size);\n";
    let pair = "#include <linux/module.h>\n#include <linux/init.h>\n\nint pair_value(void);\n\n\
        static int __init pair_init(void) { return pair_value(); }\nmodule_init(pair_init);\nMODULE_LICENSE(\"GPL\");\n";
    let makefile = "obj-m += fifo.o pair.o\nfifo-objs := fifo_core.o fifo_proc.o\npair-y := pair_a.o pair_b.o\n";
    let dir = lab(
        "multi",
        &[
            ("fifo_core.c", core),
            ("fifo_proc.c", proc),
            ("pair_a.c", pair),
            ("pair_b.c", "int pair_value(void) { return 0; }\n"),
            ("Makefile", makefile),
        ],
    );
    let run = make(&dir.join(""), &[]);
    run.assert_ok();
    for object in ["fifo_core.o", "fifo_proc.o", "fifo.mod.o", "fifo.ko", "pair_a.o", "pair_b.o", "pair.ko"] {
        assert!(run.stdout.contains(&path(&dir, object)), "{object} not built:\n{}", run.stdout);
    }
    let tables = section_strings(&dir.join("fifo.ko"), ".modhost_tables");
    assert!(tables.contains(&"export=fifo_size".to_string()), "{tables:?}");
    assert!(!tables.iter().any(|t| t == "import=fifo_proc_init"), "{tables:?}");
    assert!(section_strings(&dir.join("fifo.ko"), ".modinfo").contains(&"name=fifo".to_string()));
    assert!(!section_strings(&dir.join("pair.ko"), ".modhost_tables").iter().any(|t| t.starts_with("import=")));
}

#[test]
fn makefile_flags_and_relative_object_paths_are_honoured() {
    let source = "#include <linux/module.h>\n#include <linux/init.h>\n\
        #ifndef FROM_CCFLAGS\n#error ccflags-y not applied\n#endif\n\
        #ifndef FROM_EXTRA\n#error EXTRA_CFLAGS not applied\n#endif\n\
        #ifndef FROM_FILE\n#error CFLAGS_fifo.o not applied\n#endif\n\
        static int __init fifo_init(void) { return 0; }\nmodule_init(fifo_init);\nMODULE_LICENSE(\"GPL\");\n";
    let makefile = "obj-m += ../fifo/fifo.o\nccflags-y := -DFROM_CCFLAGS\nEXTRA_CFLAGS += -DFROM_EXTRA\n\
        CFLAGS_fifo.o := -DFROM_FILE\n";
    let dir = lab("flags", &[("fifo/fifo.c", source), ("lab/Makefile", makefile)]);
    make(&dir.join("lab"), &[]).assert_ok();
    assert!(dir.join("fifo/fifo.ko").is_file());
}

#[test]
fn module_symvers_has_the_exports_and_the_crc_follows_the_prototype() {
    let dir = lab(
        "symvers",
        &[("square.c", &square("GPL", "int square(int x)", "return x * x;")), ("Makefile", "obj-m := square.o\n")],
    );
    let symvers = |dir: &Scratch| {
        make(&dir.join(""), &[]).assert_ok();
        std::fs::read_to_string(dir.join("Module.symvers")).unwrap()
    };
    let first = symvers(&dir);
    let fields: Vec<&str> = first.trim_end_matches('\n').split('\t').collect();
    assert_eq!(fields.len(), 5, "{first:?}");
    assert!(fields[0].starts_with("0x") && fields[0].len() == 10, "{first:?}");
    assert_eq!(fields[1..], ["square", &path(&dir, "square"), "EXPORT_SYMBOL_GPL", ""]);

    dir.file("square.c", square("GPL", "int square(int x)", "return x * x + 0 * x;").as_bytes());
    assert_eq!(symvers(&dir), first, "only the body changed");

    dir.file("square.c", square("GPL", "long square(long x)", "return x * x;").as_bytes());
    let changed = symvers(&dir);
    assert_ne!(changed.split('\t').next(), first.split('\t').next(), "the prototype changed");
}

#[test]
fn an_import_nobody_is_known_to_export_warns_and_the_build_goes_on() {
    let producer = "#include <linux/module.h>\n#include <linux/init.h>\n\nint add_item(char c);\n\n\
        static int __init producer_init(void) { return add_item('A'); }\nmodule_init(producer_init);\n\
        MODULE_LICENSE(\"GPL\");\n";
    let dir = lab("undefined", &[("producer.c", producer), ("Makefile", "obj-m += producer.o\n")]);
    let run = make(&dir.join(""), &[]);
    run.assert_ok()
        .assert_stderr_has(&format!("WARNING: modpost: \"add_item\" [{}] undefined!", path(&dir, "producer.ko")));
    let tables = section_strings(&dir.join("producer.ko"), ".modhost_tables");
    assert!(tables.contains(&"import=add_item".to_string()), "{tables:?}");
}

#[test]
fn exports_of_another_build_resolve_through_kbuild_extra_symbols() {
    let dir = lab(
        "extra",
        &[
            ("square/square.c", &square("GPL", "int square(int x)", "return x * x;")),
            ("square/Makefile", "obj-m := square.o\n"),
            ("user/user.c", &format!("{SQUARE_USER}MODULE_LICENSE(\"GPL\");\n")),
            ("user/Makefile", "obj-m := user.o\nKBUILD_EXTRA_SYMBOLS := $(src)/../square/Module.symvers\n"),
        ],
    );
    make(&dir.join("square"), &[]).assert_ok();
    let run = make(&dir.join("user"), &[]);
    run.assert_ok();
    assert!(!run.stderr.contains("\"square\""), "square is known:\n{}", run.stderr);
    let crc =
        std::fs::read_to_string(dir.join("square/Module.symvers")).unwrap().split('\t').next().unwrap().to_string();
    let mod_c = std::fs::read_to_string(dir.join("user/user.mod.c")).unwrap();
    assert!(mod_c.contains(&format!("{{ \"square\", &__modhost_slot_square, {crc}, 1 }}")), "{mod_c}");
    let modinfo = section_strings(&dir.join("user/user.ko"), ".modinfo");
    assert!(modinfo.contains(&"depends=square".to_string()), "{modinfo:?}");
}

#[test]
fn a_proprietary_module_using_a_gpl_only_export_of_the_same_build_fails() {
    let dir = lab(
        "gplonly",
        &[
            ("square.c", &square("GPL", "int square(int x)", "return x * x;")),
            ("square_prop.c", &format!("{SQUARE_USER}MODULE_LICENSE(\"Proprietary\");\n")),
            ("Makefile", "obj-m := square.o square_prop.o\n"),
        ],
    );
    make(&dir.join(""), &[])
        .assert_failed()
        .assert_stderr_has("ERROR: modpost: GPL-incompatible module square_prop.ko uses GPL-only symbol 'square'");
    assert!(!dir.join("square_prop.ko").exists());
}

#[test]
fn a_missing_module_license_is_an_error() {
    let source = HELLO.replace("MODULE_LICENSE(\"GPL\");\n", "");
    let dir = lab("nolicense", &[("hello.c", &source), ("Makefile", "obj-m := hello.o\n")]);
    make(&dir.join(""), &[])
        .assert_failed()
        .assert_stderr_has(&format!("ERROR: modpost: missing MODULE_LICENSE() in {}", path(&dir, "hello.o")));
}

#[test]
fn a_module_that_can_never_run_anything_is_an_error() {
    let source = "#include <linux/module.h>\n\nint unused(void) { return 0; }\nMODULE_LICENSE(\"GPL\");\n";
    let dir = lab("noinit", &[("hello.c", source), ("Makefile", "obj-m := hello.o\n")]);
    make(&dir.join(""), &[]).assert_failed().assert_stderr_has(&format!(
        "ERROR: modpost: hello: no module_init() and no exports in {}",
        path(&dir, "hello.o")
    ));
}

#[test]
fn libc_headers_do_not_exist_and_gcc_says_so() {
    let source = format!("#include <stdio.h>\n{HELLO}");
    let dir = lab("stdio", &[("hello.c", &source), ("Makefile", "obj-m := hello.o\n")]);
    let run = make(&dir.join(""), &[]);
    run.assert_failed();
    assert!(run.stderr.contains("fatal error: stdio.h: No such file or directory"), "{}", run.stderr);
    assert!(!dir.join("hello.ko").exists());
}

#[test]
fn clean_removes_what_the_build_wrote() {
    let dir = lab("clean", &[("hello.c", HELLO), ("Makefile", ONE_LINE_MAKEFILE)]);
    make(&dir.join(""), &[]).assert_ok();
    assert!(dir.join("hello.ko").is_file());
    make(&dir.join(""), &["clean"]).assert_ok();
    let mut left: Vec<String> = std::fs::read_dir(dir.join(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["Makefile", "hello.c"]);
}

#[test]
fn v1_prints_the_commands() {
    let dir = lab("verbose", &[("hello.c", HELLO), ("Makefile", "obj-m := hello.o\n")]);
    let run = make(&dir.join(""), &["V=1"]);
    run.assert_ok();
    assert!(run.stdout.contains("-nostdinc") && run.stdout.contains(" modpost -o "), "{}", run.stdout);
    assert!(!run.stdout.contains("  CC [M]  "), "{}", run.stdout);
}

#[test]
fn modhost_build_runs_kbuild_for_a_directory() {
    let dir = lab("build", &[("hello.c", HELLO), ("Makefile", TWO_PART_MAKEFILE)]);
    let output = Command::new(modhost()).arg("build").arg(dir.join("")).env_remove("MAKEFLAGS").output().unwrap();
    Run::of(output).assert_ok();
    assert!(dir.join("hello.ko").is_file());
    let output = Command::new(modhost()).arg("build").arg(dir.join("")).arg("clean").output().unwrap();
    Run::of(output).assert_ok();
    assert!(!dir.join("hello.ko").exists());
}

#[test]
fn kasan_1_instruments_every_object_but_those_the_makefile_exempts() {
    let checked = "#include <linux/module.h>\n#ifndef CONFIG_KASAN\n#error not instrumented\n#endif\n\
        static int __init pair_init(void) { return 0; }\nmodule_init(pair_init);\nMODULE_LICENSE(\"GPL\");\n";
    let exempt = "#include <linux/module.h>\n#ifdef CONFIG_KASAN\n#error instrumented\n#endif\n\
        int exempt(void) { return 0; }\n";
    let makefile = "obj-m := pair.o\npair-y := checked.o exempt.o\nKASAN_SANITIZE_exempt.o := n\n";
    let dir = lab("kasan", &[("checked.c", checked), ("exempt.c", exempt), ("Makefile", makefile)]);
    make(&dir.join(""), &["KASAN=1"]).assert_ok();
    let data = std::fs::read(dir.join("checked.o")).unwrap();
    let object = object::File::parse(&*data).unwrap();
    assert!(object.symbols().any(|s| s.name() == Ok("__modhost_kasan_check_range")), "lib/kasan.c is asked for");
    let data = std::fs::read(dir.join("pair.ko")).unwrap();
    let ko = object::File::parse(&*data).unwrap();
    let dynamic: Vec<&str> = ko.dynamic_symbols().filter_map(|s| s.name().ok()).filter(|n| !n.is_empty()).collect();
    assert_eq!(dynamic, ["__this_module"], "the checks are the module's own");
    let run = make(&dir.join(""), &[]);
    run.assert_failed();
    assert!(run.stderr.contains("#error not instrumented"), "{}", run.stderr);
    let run = make(&dir.join(""), &["KASAN=y"]);
    run.assert_failed();
    assert!(run.stderr.contains("KASAN=y: say KASAN=1"), "{}", run.stderr);
}

#[test]
fn modhost_kernel_picks_the_api_generation() {
    let source = format!(
        "#include <linux/version.h>\n#if LINUX_VERSION_CODE != KERNEL_VERSION(4, 4, 0)\n#error not 4.4\n#endif\n{HELLO}"
    );
    let dir = lab("generation", &[("hello.c", &source), ("Makefile", "obj-m := hello.o\n")]);
    make(&dir.join(""), &["MODHOST_KERNEL=4.4"]).assert_ok();
    let run = make(&dir.join(""), &[]);
    run.assert_failed();
    assert!(run.stderr.contains("#error not 4.4"), "{}", run.stderr);
}

#[test]
fn a_namespaced_export_needs_its_namespace_imported() {
    let exporter = square("GPL", "int square(int x)", "return x * x;")
        .replace("EXPORT_SYMBOL_GPL(square);", "EXPORT_SYMBOL_NS_GPL(square, MATH);");
    let user = format!("{SQUARE_USER}MODULE_LICENSE(\"GPL\");\n");
    let dir =
        lab("namespace", &[("square.c", &exporter), ("user.c", &user), ("Makefile", "obj-m := square.o user.o\n")]);
    make(&dir.join(""), &[]).assert_failed().assert_stderr_has(
        "ERROR: modpost: module user uses symbol square from namespace MATH, but does not import it.",
    );

    dir.file("user.c", format!("{user}MODULE_IMPORT_NS(MATH);\n").as_bytes());
    make(&dir.join(""), &[]).assert_ok();
    let symvers = std::fs::read_to_string(dir.join("Module.symvers")).unwrap();
    assert!(symvers.ends_with("\tEXPORT_SYMBOL_GPL\tMATH\n"), "{symvers:?}");
    let tables = section_strings(&dir.join("square.ko"), ".modhost_tables");
    assert!(tables.contains(&"export_gpl=square:MATH".to_string()), "{tables:?}");
}

#[test]
fn a_symbol_exported_by_two_modules_is_an_error() {
    let one = square("GPL", "int square(int x)", "return x * x;");
    let dir = lab("twice", &[("one.c", &one), ("two.c", &one), ("Makefile", "obj-m := one.o two.o\n")]);
    make(&dir.join(""), &[]).assert_failed().assert_stderr_has(&format!(
        "ERROR: modpost: \"square\" [{}] is exported twice. Previous export was in {}",
        path(&dir, "two.ko"),
        path(&dir, "one.ko")
    ));
}

#[test]
fn exporting_a_static_function_is_an_error() {
    let source = "#include <linux/module.h>\n#include <linux/init.h>\n\n\
        static int helper(int x) { return x; }\nEXPORT_SYMBOL(helper);\n\n\
        static int __init hello_init(void) { return helper(0); }\nmodule_init(hello_init);\nMODULE_LICENSE(\"GPL\");\n";
    let dir = lab("static", &[("hello.c", source), ("Makefile", "obj-m := hello.o\n")]);
    make(&dir.join(""), &[])
        .assert_failed()
        .assert_stderr_has("ERROR: modpost: hello: local symbol 'helper' was exported");
}
