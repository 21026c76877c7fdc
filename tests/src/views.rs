//! The views: lsmod, /proc/modules and /sys/module, parameters at runtime.

use crate::util::*;
use modhost::{Errno, ErrorKind, views::lsmod::format_lsmod};

#[test]
fn lsmod_and_proc_modules_show_users_newest_first() {
    let kernel = boot();
    kernel.modprobe("gpluser", "").unwrap();
    kernel.insmod(plugin("propmod"), "").unwrap();
    let lsmod = format_lsmod(&kernel.lsmod());
    let lines: Vec<&str> = lsmod.lines().collect();
    assert_eq!(lines[0], "Module                  Size  Used by");
    assert!(lines[1].starts_with("propmod "), "{lsmod}");
    let testmod = lines.iter().find(|l| l.starts_with("testmod ")).unwrap();
    assert!(testmod.ends_with("  2 propmod,gpluser"), "{lsmod}");
    let modules = kernel.read("/proc/modules").unwrap();
    let testmod = modules.lines().find(|l| l.starts_with("testmod ")).unwrap();
    let fields: Vec<&str> = testmod.split(' ').collect();
    assert_eq!(fields[2..5], ["2", "propmod,gpluser,", "Live"]);
    assert!(fields[5].starts_with("0x"));
    assert!(fields[1].parse::<u64>().unwrap() > 0, "size is the mapped size");
}

#[test]
fn sys_module_describes_each_module() {
    let kernel = boot();
    kernel.modprobe("gpluser", "").unwrap();
    assert_eq!(kernel.list("/sys/module").unwrap(), ["gpluser/", "testmod/"]);
    assert_eq!(
        kernel.list("/sys/module/testmod").unwrap(),
        ["coresize", "holders/", "initstate", "parameters/", "refcnt", "taint", "version"]
    );
    assert_eq!(kernel.read("/sys/module/testmod/initstate").unwrap(), "live\n");
    assert_eq!(kernel.read("/sys/module/testmod/refcnt").unwrap(), "1\n");
    assert_eq!(kernel.read("/sys/module/testmod/version").unwrap(), "1.2.3\n");
    assert_eq!(kernel.list("/sys/module/testmod/holders").unwrap(), ["gpluser"]);
    let size: u64 = kernel.read("/sys/module/testmod/coresize").unwrap().trim().parse().unwrap();
    assert_eq!(size % 4096, 0);
    assert!(!kernel.list("/sys/module/gpluser").unwrap().contains(&"parameters/".to_string()), "no visible params");
}

#[test]
fn parameter_files_exist_only_for_parameters_with_permissions() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let params = kernel.list("/sys/module/testmod/parameters").unwrap();
    assert_eq!(params, ["b", "s", "us", "i", "ui", "l", "ul", "hex", "name", "flag", "noflag", "ints", "words"]);
    let read = |p: &str| kernel.read(&format!("/sys/module/testmod/parameters/{p}")).unwrap();
    assert_eq!(read("hex"), "0x0000ff\n");
    assert_eq!(read("flag"), "N\n");
    assert_eq!(read("noflag"), "Y\n", "invbool shows the inverse of the variable");
    assert_eq!(read("ints"), "1,2\n");
    assert_eq!(read("words"), "", "an empty array shows nothing");
    assert_eq!(read("name"), "anon\n");
    let err = kernel.read("/sys/module/testmod/parameters/hidden").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoSuchFile);
}

#[test]
fn writing_a_parameter_parses_it_and_tells_the_module() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.write("/sys/module/testmod/parameters/i", "10\n").unwrap();
    assert_eq!(kernel.read("/sys/module/testmod/parameters/i").unwrap(), "10\n");
    assert_dmesg(&kernel, "testmod: param i changed");
    kernel.write("/sys/module/testmod/parameters/name", "B\n").unwrap();
    assert_eq!(kernel.read("/sys/module/testmod/parameters/name").unwrap(), "B\n\n", "charp keeps the newline");
}

#[test]
fn a_value_the_module_refuses_is_rolled_back() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "i=5").unwrap();
    let err = kernel.write("/sys/module/testmod/parameters/i", "-1").unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::Rejected, Errno::EINVAL));
    assert_dmesg(&kernel, "testmod: refusing negative i");
    assert_eq!(kernel.read("/sys/module/testmod/parameters/i").unwrap(), "5\n");
}

#[test]
fn bad_writes_change_nothing() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let err = kernel.write("/sys/module/testmod/parameters/i", "abc").unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::InvalidParams, Errno::EINVAL));
    let err = kernel.write("/sys/module/testmod/parameters/b", "3").unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::PermissionDenied, Errno::EACCES));
    let err = kernel.write("/sys/module/testmod/parameters/nope", "3").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoSuchFile);
    let err = kernel.write("/proc/modules", "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(kernel.read("/sys/module/testmod/parameters/i").unwrap(), "-4\n");
    assert_eq!(kernel.read("/sys/module/testmod/parameters/b").unwrap(), "1\n");
}

#[test]
fn proc_timer_list_shows_armed_timers_and_delayed_work_soonest_first() {
    let kernel = boot();
    kernel.insmod("fifo.so", "").unwrap();
    kernel.insmod("producer.so", "rate=1").unwrap();
    kernel.insmod("timertest.so", "scenario=once").unwrap();
    assert!(kernel.settle());
    let list = kernel.read("/proc/timer_list").unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("now at 0.000000 s, jiffies ") && lines[0].ends_with(" (HZ 250)"), "{list}");
    // expires = jiffies + 10: it runs on the 11th tick, 44 ms away.
    assert!(lines[2].starts_with("    44 ms   timertest         timer (made at "), "{list}");
    assert!(lines[3].contains(" ms   producer          work item (made at "), "{list}");
    assert_eq!(lines.len(), 4, "{list}");

    kernel.clock().advance(std::time::Duration::from_millis(44));
    assert!(kernel.settle());
    let list = kernel.read("/proc/timer_list").unwrap();
    assert!(!list.contains("timertest"), "the timer fired and left the list:\n{list}");
    assert!(kernel.list("/proc").unwrap().contains(&"timer_list".to_string()));
}

#[test]
fn a_module_may_not_take_a_proc_name_of_the_kernel_or_one_with_a_slash() {
    let kernel = boot();
    let kernel_entries = kernel.list("/proc").unwrap();
    for entry in &kernel_entries {
        let name = entry.trim_end_matches('/');
        assert!(kernel.list(&format!("/proc/{name}")).is_ok() || kernel.read(&format!("/proc/{name}")).is_ok());
        let err = kernel.insmod(plugin("evil"), &format!("proc={name}")).unwrap_err();
        assert_eq!(err.errno(), modhost::Errno::EEXIST, "{name}: {err}");
        assert_dmesg_contains(&kernel, &format!("[evil]: proc_dir_entry '/proc/{name}' already registered"));
    }
    for (name, warning) in [("a/b", "name 'a/b'"), ("\"a\nb\"", "name 'a\\nb'"), ("123", "create '/proc/123' by hand")]
    {
        kernel.insmod(plugin("evil"), &format!("proc={name}")).unwrap_err();
        assert_dmesg_contains(&kernel, &format!("[evil]: {warning}"));
    }
    assert_eq!(kernel.list("/proc").unwrap(), kernel_entries, "listed once each, nothing added");
    assert!(kernel.lsmod().is_empty());
    kernel.insmod(plugin("evil"), "proc=evil").unwrap();
    assert_eq!(kernel.read("/proc/evil").unwrap(), "evil\n");
}

#[test]
fn a_huge_printk_is_cut_at_the_record_bound_and_counted() {
    let kernel = boot();
    kernel.insmod(plugin("evil"), "big=10000000").unwrap();
    let record = dmesg(&kernel).into_iter().find(|l| l.starts_with("evil: big: ")).unwrap();
    assert_eq!(record.len(), modhost::services::printk::RECORD_TEXT_MAX);
    assert_eq!(kernel.printk().truncated(), 1);
}
