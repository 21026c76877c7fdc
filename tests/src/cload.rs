//! Loading C modules by the kernel's rules: the lab sheet's `square` with
//! `EXPORT_SYMBOL` and `EXPORT_SYMBOL_GPL` and its GPL and proprietary
//! users, modversions across builds, modules without exit, module memory,
//! and `.ko` files that must be refused.

use crate::{
    cbuild::{build_c, make_in},
    util::*,
};
use modhost::{ErrorKind, Kernel};
use std::path::{Path, PathBuf};

fn square_ko() -> PathBuf {
    build_c("square").join("square.ko")
}

fn user_ko(name: &str) -> PathBuf {
    build_c("square_users").join(format!("{name}.ko"))
}

#[test]
fn gpl_and_proprietary_users_of_square_get_what_their_license_allows() {
    let kernel = boot();
    kernel.insmod(square_ko(), "").unwrap();
    kernel.insmod(user_ko("square_user"), "").unwrap();
    assert_dmesg(&kernel, "square_user: square(3) = 9, cube(3) = 27");
    assert_dmesg(&kernel, "square: 1 users and references");
    kernel.insmod(user_ko("square_prop"), "").unwrap();
    assert_dmesg(&kernel, "square_prop: module license 'Proprietary' taints kernel.");
    assert_dmesg(&kernel, "square_prop: square(4) = 16");
    let err = kernel.insmod(user_ko("cube_prop"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSymbol);
    assert_dmesg(&kernel, "cube_prop: Unknown symbol cube (err -2)");
    let square = kernel.lsmod().into_iter().find(|m| m.name == "square").unwrap();
    assert_eq!(square.holders, ["square_prop", "square_user"]);
    for name in ["square_prop", "square_user", "square"] {
        kernel.rmmod(name).unwrap();
    }
    assert_dmesg(&kernel, "square: unloaded with 0 references");
    assert_nothing_pinned(&kernel);
}

/// Builds `files` in a directory of the test's own, with make's `args`.
fn built(dir: &Scratch, files: &[(&str, &str)], args: &[&str]) {
    for (name, text) in files {
        dir.file(name, text.as_bytes());
    }
    let output = make_in(&dir.join(""), args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

const SQUARE_LONG: &str = "#include <linux/module.h>\n\nlong square(long x)\n{\n\treturn x * x;\n}\n\
    EXPORT_SYMBOL(square);\n\nstatic int __init square_init(void) { return 0; }\nmodule_init(square_init);\n\
    static void __exit square_exit(void) { }\nmodule_exit(square_exit);\nMODULE_LICENSE(\"GPL\");\n";

const SQUARE_USER: &str = "#include <linux/module.h>\n\nint square(int x);\n\n\
    static int __init user_init(void) { return square(3) == 9 ? 0 : -EINVAL; }\nmodule_init(user_init);\n\
    static void __exit user_exit(void) { }\nmodule_exit(user_exit);\nMODULE_LICENSE(\"GPL\");\n";

#[test]
fn an_importer_built_against_another_prototype_disagrees_about_its_version() {
    let square = build_c("square");
    let users = Scratch::new("crc");
    let symvers = format!("KBUILD_EXTRA_SYMBOLS={}", square.join("Module.symvers").display());
    built(&users, &[("user.c", SQUARE_USER), ("Makefile", "obj-m += user.o\n")], &[&symvers]);
    let changed = Scratch::new("crc-square");
    built(&changed, &[("square.c", SQUARE_LONG), ("Makefile", "obj-m += square.o\n")], &[]);

    let kernel = boot();
    kernel.insmod(changed.join("square.ko"), "").unwrap();
    let err = kernel.insmod(users.join("user.ko"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSymbol);
    assert_dmesg(&kernel, "user: disagrees about version of symbol square");
    kernel.rmmod("square").unwrap();
    kernel.insmod(square.join("square.ko"), "").unwrap();
    kernel.insmod(users.join("user.ko"), "").unwrap();
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("no symbol version")));
}

#[test]
fn an_importer_built_without_the_exporters_symvers_loads_with_the_warning() {
    let users = Scratch::new("nosymvers");
    built(&users, &[("user.c", SQUARE_USER), ("Makefile", "obj-m += user.o\n")], &[]);
    let kernel = boot();
    kernel.insmod(square_ko(), "").unwrap();
    kernel.insmod(users.join("user.ko"), "").unwrap();
    assert_dmesg(&kernel, "user: no symbol version for square");
}

#[test]
fn a_module_with_init_and_no_exit_is_removed_only_by_force() {
    let dir = Scratch::new("noexit");
    let source = "#include <linux/module.h>\n\nstatic int __init stay_init(void) { return 0; }\n\
        module_init(stay_init);\nMODULE_LICENSE(\"GPL\");\n";
    built(&dir, &[("stay.c", source), ("Makefile", "obj-m += stay.o\n")], &[]);
    let kernel = boot();
    kernel.insmod(dir.join("stay.ko"), "").unwrap();
    let err = kernel.rmmod("stay").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy);
    assert!(err.to_string().contains("module_exit"), "{err}");
    kernel.rmmod_force("stay").unwrap();
    assert!(kernel.lsmod().is_empty());
}

const LEAKY: &str = r#"#include <linux/module.h>
#include <linux/slab.h>

static char *kept;

static int __init leaky_init(void)
{
	char *twice = kmalloc(16, GFP_KERNEL);

	kept = kzalloc(96, GFP_KERNEL);
	if (!kept || !twice)
		return -ENOMEM;
	kfree(twice);
	kfree(twice);
	kfree(kept + 8);
	return 0;
}

static void __exit leaky_exit(void)
{
}

module_init(leaky_init);
module_exit(leaky_exit);
MODULE_LICENSE("GPL");
"#;

#[test]
fn bad_frees_are_reported_and_leaks_are_freed_at_rmmod() {
    let dir = Scratch::new("leaky");
    built(&dir, &[("leaky.c", LEAKY), ("Makefile", "obj-m += leaky.o\n")], &[]);
    let kernel = boot();
    kernel.insmod(dir.join("leaky.ko"), "").unwrap();
    assert_dmesg_contains(&kernel, "BUG: KASAN: double-free in kfree at leaky.c:");
    assert_dmesg_contains(&kernel, "BUG: KASAN: invalid-free in kfree at leaky.c:");
    assert_dmesg(&kernel, "The buggy address is located 8 bytes inside of");
    kernel.rmmod("leaky").unwrap();
    assert_dmesg_contains(&kernel, "(size 96):");
    assert_dmesg(&kernel, "kmemleak: 1 new suspected memory leaks");
}

/// Replaces every `from` in the file with `to` (same length).
fn patched(file: &Path, from: &[u8], to: &[u8], out: &Scratch) -> PathBuf {
    let mut bytes = std::fs::read(file).unwrap();
    let mut found = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + i..at + i + to.len()].copy_from_slice(to);
        at += i + 1;
        found += 1;
    }
    assert!(found > 0, "{} has no {:?}", file.display(), String::from_utf8_lossy(from));
    PathBuf::from(out.file(file.file_name().unwrap().to_str().unwrap(), &bytes))
}

#[test]
fn a_ko_for_another_abi_is_an_invalid_module_format() {
    let other = Scratch::new("otherabi");
    let file = patched(&square_ko(), b"modhost-abi/3 kbuild", b"modhost-abi/9 kbuild", &other);
    let kernel = boot();
    let err = kernel.insmod(&file, "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFormat);
    assert_dmesg_contains(&kernel, "version magic 'modhost-abi/9 kbuild' should be 'modhost-abi/3 kbuild'");
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn an_api_modhost_lacks_or_an_undeclared_parameter_fails_the_build() {
    let dir = Scratch::new("badapi");
    dir.file(
        "old.c",
        b"#include <linux/module.h>\n#include <linux/sched.h>\n\nstatic int run(void *d) { return 0; }\n\
          static int __init old_init(void) { return kernel_thread(run, NULL, 0) < 0; }\n\
          module_init(old_init);\nMODULE_LICENSE(\"GPL\");\n",
    );
    dir.file("Makefile", b"obj-m += old.o\n");
    let output = make_in(&dir.join(""), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("implicit declaration of function 'kernel_thread'"), "{stderr}");

    let params = Scratch::new("badparam");
    params.file("p.c", b"#include <linux/module.h>\n\nmodule_param(rate, int, 0444);\nMODULE_LICENSE(\"GPL\");\n");
    params.file("Makefile", b"obj-m += p.o\n");
    let output = make_in(&params.join(""), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("'rate' undeclared"), "{stderr}");
    assert!(!params.join("p.ko").exists());
}

#[test]
fn c_modules_appear_in_kallsyms_and_depmod_finds_ko_files() {
    let kernel: Kernel = Kernel::builder().manual_clock().module_path(build_c("square")).boot();
    kernel.modprobe("square", "").unwrap();
    let kallsyms = kernel.read("/proc/kallsyms").unwrap();
    assert!(kallsyms.lines().any(|l| l.ends_with(" square\t[square]") || l.contains(" square [square]")), "{kallsyms}");
    kernel.rmmod("square").unwrap();
}

const CALLBACK_PARAMS: &str = r#"#include <linux/module.h>
#include <linux/moduleparam.h>

static int level = 1;
static int set_level(const char *val, const struct kernel_param *kp)
{
	int n, ret = kstrtoint(val, 10, &n);

	if (ret || n < 0 || n > 3)
		return -EINVAL;
	return param_set_int(val, kp);
}
static const struct kernel_param_ops level_ops = {
	.set = set_level,
	.get = param_get_int,
};
module_param_cb(level, &level_ops, &level, 0644);
MODULE_PARM_DESC(level, "Verbosity, 0-3");

static int ids[4];
static int nr_ids;
module_param_array(ids, int, &nr_ids, 0444);

static int __init cb_init(void)
{
	pr_info("cb: level %d, %d ids, first %d\n", level, nr_ids, ids[0]);
	return 0;
}
static void __exit cb_exit(void) { }
module_init(cb_init);
module_exit(cb_exit);
MODULE_LICENSE("GPL");
"#;

#[test]
fn callback_parameters_and_empty_arrays_keep_the_module_s_own_values() {
    let dir = Scratch::new("paramcb");
    built(&dir, &[("cb.c", CALLBACK_PARAMS), ("Makefile", "obj-m += cb.o\n")], &[]);
    let kernel = boot();
    kernel.insmod(dir.join("cb.ko"), "").unwrap();
    assert_dmesg(&kernel, "cb: level 1, 0 ids, first 0");
    let info = kernel.modinfo(&dir.join("cb.ko").to_string_lossy()).unwrap();
    assert!(info.fields().contains(&("parm", "level:Verbosity, 0-3".to_string())), "{:?}", info.fields());
    kernel.rmmod("cb").unwrap();
    kernel.insmod(dir.join("cb.ko"), "level=2 ids=5,6").unwrap();
    assert_dmesg(&kernel, "cb: level 2, 2 ids, first 5");
    kernel.rmmod("cb").unwrap();
    let err = kernel.insmod(dir.join("cb.ko"), "level=9").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParams, "{err}");
    assert_dmesg(&kernel, "cb: `9' invalid for parameter `level'");
    assert!(kernel.lsmod().is_empty());
}

#[test]
fn a_c_module_uses_the_rust_fifo_through_its_published_header() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=4").unwrap();
    kernel.insmod(build_c("rustfifo").join("cproducer.ko"), "item=Z count=6").unwrap();
    assert_dmesg(&kernel, "cproducer: no symbol version for fifo_try_put");
    assert_dmesg(&kernel, "cproducer: put 4 of 6, fifo holds 4 of 4");
    let fifo = kernel.lsmod().into_iter().find(|m| m.name == "fifo").unwrap();
    assert_eq!(fifo.holders, ["cproducer"]);
    kernel.insmod("consumer.so", "rate=250").unwrap();
    for _ in 0..10 {
        kernel.clock().advance(std::time::Duration::from_millis(4));
        assert!(kernel.settle());
    }
    assert_dmesg_contains(&kernel, "consumer: got Z #0 from cproducer");
    for name in ["consumer", "cproducer", "fifo"] {
        kernel.rmmod(name).unwrap();
    }
}

const WARNY: &str = r#"#include <linux/module.h>
#include <linux/bug.h>

static noinline int check_rate(int rate)
{
	WARN_ON(rate <= 0);
	return rate;
}

static int __init warny_init(void)
{
	pr_info("warny: %pS\n", check_rate);
	check_rate(0);
	return 0;
}

static void __exit warny_exit(void) { }
module_init(warny_init);
module_exit(warny_exit);
MODULE_LICENSE("GPL");
"#;

#[test]
fn warn_on_shows_a_call_trace_through_the_module() {
    let dir = Scratch::new("warny");
    built(&dir, &[("warny.c", WARNY), ("Makefile", "obj-m += warny.o\n")], &[]);
    let kernel = boot();
    kernel.insmod(dir.join("warny.ko"), "").unwrap();
    let lines = dmesg(&kernel);
    assert!(lines.iter().any(|l| l.starts_with("warny: check_rate+0x0/0x") && l.ends_with(" [warny]")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("WARNING: at warny.c:6 [warny]")), "{lines:#?}");
    let trace = lines.iter().position(|l| l == "Call Trace:").expect("a call trace");
    let frames: Vec<&String> = lines[trace..].iter().take_while(|l| *l != " </TASK>").collect();
    assert!(frames.iter().any(|f| f.starts_with(" check_rate")), "{frames:#?}");
    assert!(frames.iter().any(|f| f.starts_with(" warny_init+0x") && f.ends_with(" [warny]")), "{frames:#?}");
    kernel.rmmod("warny").unwrap();
}
