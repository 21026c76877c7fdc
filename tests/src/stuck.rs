//! Module code that never returns, and an init that fails with code left
//! running: every command comes back within its bound, says what is stuck,
//! and the host never runs or unmaps a module's code under it.

use crate::{cbuild::build_c, util::*};
use modhost::{ErrorKind, Kernel, loader::ModuleState};
use std::time::Duration;

/// A kernel whose commands wait 300 ms for a module's entry point.
fn boot_impatient() -> Kernel {
    Kernel::builder()
        .manual_clock()
        .module_path(module_dir())
        .exit_timeout(Duration::from_millis(300))
        .hung_task_timeout(Duration::from_secs(3600))
        .boot()
}

fn state_of(kernel: &Kernel, name: &str) -> Option<ModuleState> {
    kernel.lsmod().into_iter().find(|m| m.name == name).map(|m| m.state)
}

#[test]
fn an_init_that_never_returns_fails_the_insmod_and_rmmod_f_undoes_the_load() {
    let kernel = boot_impatient();
    let err = kernel.insmod(plugin("stuck"), "hang=init").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(err.message().starts_with("init did not return after 0.3 seconds"), "{err}");
    assert_dmesg_contains(&kernel, "blocked for more than 0.3 seconds.");
    assert!(dmesg(&kernel).iter().any(|l| l.starts_with("INFO: task insmod:")), "{}", dmesg(&kernel).join("\n"));
    assert_dmesg_contains(&kernel, "task:insmod state:D at ");
    assert_eq!(state_of(&kernel, "stuck"), Some(ModuleState::Coming), "the module stays loading");
    assert_eq!(kernel.rmmod("stuck").unwrap_err().kind(), ErrorKind::Busy);
    // Other modules load and unload meanwhile.
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.rmmod("testmod").unwrap();
    kernel.rmmod_force("stuck").unwrap();
    assert!(kernel.lsmod().is_empty());
    assert_dmesg_contains(&kernel, "stuck: forcing the unload: killing its tasks");
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_parameter_notification_that_never_returns_fails_the_write() {
    let kernel = boot_impatient();
    kernel.insmod(plugin("stuck"), "hang=param").unwrap();
    let err = kernel.write("/sys/module/stuck/parameters/poke", "1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(dmesg(&kernel).iter().any(|l| l.starts_with("INFO: task modhost:")), "{}", dmesg(&kernel).join("\n"));
    // exit waits for the write in progress, which never ends: rmmod -f kills it.
    assert_eq!(kernel.rmmod("stuck").unwrap_err().kind(), ErrorKind::Busy);
    kernel.rmmod_force("stuck").unwrap();
    assert_dmesg(&kernel, "stuck: exit");
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_show_function_that_never_returns_fails_the_read() {
    let kernel = boot_impatient();
    kernel.insmod(plugin("stuck"), "hang=proc").unwrap();
    let err = kernel.read("/proc/stuck").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Busy, "{err}");
    assert!(dmesg(&kernel).iter().any(|l| l.starts_with("INFO: task cat:")), "{}", dmesg(&kernel).join("\n"));
    assert_eq!(kernel.read("/sys/module/stuck/initstate").unwrap(), "live\n");
    // exit's proc_remove waits for the read in progress: rmmod -f kills it.
    assert_eq!(kernel.rmmod("stuck").unwrap_err().kind(), ErrorKind::Busy);
    kernel.rmmod_force("stuck").unwrap();
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_failed_init_stops_the_kthread_and_the_work_it_left_running() {
    for leave in ["kthread", "work"] {
        let kernel = boot_impatient();
        let err = kernel.insmod(plugin("stuck"), &format!("leave={leave}")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InitFailed, "{err}");
        assert_dmesg(&kernel, &format!("stuck: init fails, leaving {leave} running"));
        assert!(
            dmesg(&kernel).iter().any(|l| l.starts_with("stuck: ") && l.ends_with("after its failed init")),
            "what was left is reported: {}",
            dmesg(&kernel).join("\n")
        );
        assert!(kernel.lsmod().is_empty());
        assert_nothing_pinned(&kernel);
        // The host goes on: nothing of the module runs any more.
        kernel.clock().advance(Duration::from_secs(1));
        assert!(kernel.settle());
        kernel.insmod(plugin("testmod"), "").unwrap();
        kernel.rmmod("testmod").unwrap();
    }
}

#[test]
fn a_failed_init_whose_kthread_cannot_be_stopped_keeps_the_library_mapped() {
    let kernel = boot_impatient();
    let err = kernel.insmod(plugin("stuck"), "leave=stubborn").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InitFailed, "{err}");
    assert_dmesg_contains(&kernel, "stuck: code still running after its failed init: a thread runs in it");
    assert_dmesg_contains(&kernel, "its code cannot be unmapped while one does; its library stays mapped");
    assert_eq!(kernel.pinned_libraries().len(), 1);
    assert!(kernel.lsmod().is_empty());
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.rmmod("testmod").unwrap();
}

#[test]
fn shutdown_unloads_every_module_but_the_stuck_one_and_says_so() {
    let kernel = boot_impatient();
    kernel.insmod(plugin("fifo"), "").unwrap();
    kernel.insmod(plugin("stuck"), "hang=exit").unwrap();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let left = kernel.shutdown();
    assert_eq!(left, ["stuck"]);
    assert_dmesg(&kernel, "testmod: exit");
    assert_dmesg_contains(&kernel, "fifo: unloaded");
    assert_dmesg(&kernel, "modhost: shutdown: left loaded: stuck");
}

/// A module the kernel never unloads (this one has no exit) outlives its
/// kernel: nothing tells whether its code still runs, so its library
/// stays mapped, and the descriptor of its copy stays open, so that no
/// later copy is opened under the name the dynamic linker lists it by (it
/// would hand this library back for that copy).
#[test]
fn a_module_left_loaded_stays_mapped_under_its_own_name_after_the_kernel_goes() {
    let kernel = boot_impatient();
    kernel.insmod(build_c("snippets").join("semaphore_new.ko"), "").unwrap();
    let modules = kernel.read("/proc/modules").unwrap();
    let base = modules.split_whitespace().last().unwrap().trim_start_matches("0x");
    let base = usize::from_str_radix(base, 16).unwrap();
    assert_eq!(kernel.shutdown(), ["semaphore_new"]);
    drop(kernel);
    let inode = mapped_inode(base).expect("the library is still mapped");
    assert!(open_descriptor_of(inode), "no descriptor open on the library's copy (inode {inode})");
}

/// The inode of the file mapped at `address`, from `/proc/self/maps`.
fn mapped_inode(address: usize) -> Option<u64> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (start, end) = fields[0].split_once('-')?;
        let range = usize::from_str_radix(start, 16).ok()?..usize::from_str_radix(end, 16).ok()?;
        range.contains(&address).then(|| fields[4].parse().ok()).flatten()
    })
}

fn open_descriptor_of(inode: u64) -> bool {
    use std::os::unix::fs::MetadataExt;
    let fds = std::fs::read_dir("/proc/self/fd").unwrap();
    fds.flatten().any(|fd| std::fs::metadata(fd.path()).is_ok_and(|m| m.ino() == inode))
}
