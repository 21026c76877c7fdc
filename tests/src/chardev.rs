//! Character devices and `/proc` files with file operations, as C modules
//! make them: `tests/c/sleepy` (readers sleep on a wait queue until a
//! write wakes them all; the write starts a re-arming timer that dumps
//! its stack), `tests/c/procseq` (seq_file, single_open, proc_ops) and
//! `tests/c/misc` (misc devices, user copies that must fault).
//!
//! The library API opens the files ([`Kernel::open`]); the shell's `cat`,
//! `echo >` and background jobs are driven through the binary.

use crate::{cbuild::build_c, util::*};
use modhost::{Access, Errno, ErrorKind, Kernel};
use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

fn ko(dir: &str, name: &str) -> PathBuf {
    build_c(dir).join(format!("{name}.ko"))
}

/// Waits (real time, bounded) until dmesg has `n` lines containing `part`.
fn wait_for_lines(kernel: &Kernel, part: &str, n: usize) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while dmesg(kernel).iter().filter(|l| l.contains(part)).count() < n {
        assert!(Instant::now() < give_up, "not {n} lines containing {part:?}:\n{}", dmesg(kernel).join("\n"));
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn two_readers_sleep_until_one_write_wakes_both() {
    let kernel = boot();
    kernel.insmod(ko("sleepy", "sleepy"), "").unwrap();
    assert_eq!(kernel.list("/dev").unwrap(), ["sleepy"]);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let file = kernel.open_as("/dev/sleepy", Access::Read, "cat").unwrap();
            thread::spawn(move || {
                let line = file.read(100);
                file.close().unwrap();
                line
            })
        })
        .collect();
    wait_for_lines(&kernel, "(cat) going to sleep", 2);
    let sleeping = kernel.ps().into_iter().filter(|t| t.command == "cat" && t.state == 'S').count();
    assert_eq!(sleeping, 2, "{:?}", kernel.ps());
    assert_eq!(kernel.lsmod()[0].refcnt, 2, "each open file holds the module");

    let writer = kernel.open_as("/dev/sleepy", Access::Write, "echo").unwrap();
    assert_eq!(writer.write(b"1\n").unwrap(), 2);
    writer.close().unwrap();
    for reader in readers {
        assert_eq!(reader.join().unwrap().unwrap(), b"awoken after write 1\n");
    }
    assert_eq!(kernel.lsmod()[0].refcnt, 0);

    // The write scheduled work that arms `whee` a second later.
    for _ in 0..300 {
        kernel.clock().advance(Duration::from_millis(4));
        assert!(kernel.settle());
    }
    assert_dmesg(&kernel, "sleepy: whee 1");
    assert!(dmesg(&kernel).iter().any(|l| l.trim_start().starts_with("whee+0x") && l.ends_with(" [sleepy]")));
    kernel.rmmod("sleepy").unwrap();
    assert_dmesg(&kernel, "sleepy: whee ran 1 times");
    assert!(kernel.list("/dev").unwrap().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_sleeping_read_ends_when_interrupted_and_the_module_is_held_until_close() {
    let kernel = boot();
    kernel.insmod(ko("sleepy", "sleepy"), "").unwrap();
    let file = kernel.open_as("/dev/sleepy", Access::Read, "cat").unwrap();
    let interrupter = file.interrupter();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        tx.send(file.read(100)).unwrap();
        file
    });
    wait_for_line(&kernel, "(cat) going to sleep");
    assert_eq!(kernel.rmmod("sleepy").unwrap_err().kind(), ErrorKind::InUse);
    interrupter.interrupt();
    let err = rx.recv().unwrap().unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::Io, Errno::EINTR));
    let file = reader.join().unwrap();
    assert_eq!(kernel.rmmod("sleepy").unwrap_err().kind(), ErrorKind::InUse, "still open");
    file.close().unwrap();
    kernel.rmmod("sleepy").unwrap();
}

#[test]
fn seq_files_show_their_records_in_any_size_of_read() {
    let kernel = boot();
    kernel.insmod(ko("procseq", "procseq"), "records=40").unwrap();
    assert_eq!(kernel.read("/proc/procseq_single").unwrap(), "opened 1 times\nrecords: 40\n");
    assert_eq!(kernel.read("/proc/procseq_single").unwrap(), "opened 2 times\nrecords: 40\n");
    let whole = kernel.read("/proc/procseq_records").unwrap();
    assert_eq!(whole.lines().count(), 40, "{whole}");
    assert!(whole.len() > 2000, "more than a first small buffer holds");
    assert_eq!(whole.lines().nth(39).unwrap(), "record 39: 0123456789abcdef0123456789abcdef0123456789abcdef");

    let file = kernel.open("/proc/procseq_records").unwrap();
    let mut pieces = Vec::new();
    loop {
        let piece = file.read(7).unwrap();
        if piece.is_empty() {
            break;
        }
        pieces.extend(piece);
    }
    assert_eq!(String::from_utf8(pieces).unwrap(), whole);
    assert_eq!(file.seek(0, 0).unwrap(), 0);
    assert_eq!(file.read(9).unwrap(), b"record 0:");
    file.close().unwrap();
    kernel.rmmod("procseq").unwrap();
    assert!(!kernel.list("/proc").unwrap().iter().any(|e| e.starts_with("procseq")));
}

#[test]
fn misc_devices_keep_data_seek_and_answer_ioctls() {
    let kernel = boot();
    kernel.insmod(ko("misc", "mhmisc"), "").unwrap();
    assert_dmesg(&kernel, "mhmisc: mhbuf is 10:256, mhbad is 10:42");
    assert_eq!(kernel.list("/dev").unwrap(), ["mhbad", "mhbuf", "mhstuck"]);
    assert_eq!(
        kernel.list_devices(),
        [
            "crw------- 1 root root  10,  42 mhbad",
            "crw------- 1 root root  10, 256 mhbuf",
            "crw------- 1 root root  10, 257 mhstuck"
        ]
    );
    assert_eq!(kernel.read("/proc/devices").unwrap(), "Character devices:\n 10 misc\n\nBlock devices:\n");
    kernel.write("/dev/mhbuf", "hello\n").unwrap();
    assert_eq!(kernel.read("/dev/mhbuf").unwrap(), "hello\n");
    let file = kernel.open("/dev/mhbuf").unwrap();
    assert_eq!(file.ioctl(0x4d01, 0).unwrap(), 6);
    assert_eq!(file.ioctl(7, 0).unwrap_err().errno(), Errno::ENOTTY);
    assert_eq!(file.seek(-3, 2).unwrap(), 3);
    assert_eq!(file.read(10).unwrap(), b"lo\n");
    assert_eq!(file.seek(1, 0).unwrap(), 1);
    assert_eq!(file.write(b"E").unwrap(), 1);
    file.close().unwrap();
    assert_eq!(kernel.read("/dev/mhbuf").unwrap(), "hEllo\n");
    kernel.rmmod("mhmisc").unwrap();
}

#[test]
fn copies_outside_the_callers_buffer_fault_and_inside_it_work() {
    let kernel = boot();
    kernel.insmod(ko("misc", "mhmisc"), "").unwrap();
    // The module checks that each bad copy failed with -EFAULT (else -EIO).
    assert_eq!(kernel.read("/dev/mhbad").unwrap(), "bad");
    let file = kernel.open("/dev/mhbad").unwrap();
    assert_eq!(file.read(2).unwrap_err().errno(), Errno::EIO, "too small a buffer for its copy");
    file.close().unwrap();
    kernel.rmmod("mhmisc").unwrap();
}

#[test]
fn a_device_left_registered_is_reported_and_removed_at_unload() {
    let kernel = boot();
    kernel.insmod(ko("misc", "mhmisc"), "forget=1").unwrap();
    kernel.rmmod("mhmisc").unwrap();
    assert!(kernel.list("/dev").unwrap().is_empty());
    assert_eq!(kernel.read("/proc/devices").unwrap(), "Character devices:\n\nBlock devices:\n");
    let lines = dmesg(&kernel);
    for what in ["device /dev/mhbuf", "cdev 10:256+1", "chrdev region misc 10:256+1"] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("mhmisc: {what}")) && l.ends_with("left registered; removed at unload")),
            "{what}:\n{}",
            lines.join("\n")
        );
    }
    assert!(kernel.open("/dev/mhbuf").is_err());
    kernel.insmod(ko("misc", "mhmisc"), "").unwrap();
    assert_dmesg(&kernel, "mhmisc: mhbuf is 10:256, mhbad is 10:42");
}

/// The `modhost` binary at a prompt fed through a pipe, its stdout read line by line.
struct Shell {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: mpsc::Receiver<String>,
    marks: u32,
}

impl Shell {
    fn start() -> Shell {
        let mut child = Command::new(crate::kbuild::modhost())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("modhost runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || stdout.lines().map_while(Result::ok).try_for_each(|l| tx.send(l)));
        Shell { child, stdin, lines, marks: 0 }
    }

    /// Runs `commands` and returns what they printed to stdout.
    fn run(&mut self, commands: &str) -> Vec<String> {
        self.marks += 1;
        let mark = format!("--- {} ---", self.marks);
        writeln!(self.stdin, "{commands}\necho {mark}").unwrap();
        let mut out = Vec::new();
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(20)).expect("the shell answers");
            if line == mark {
                return out;
            }
            out.push(line);
        }
    }

    /// Runs `dmesg` until it has `n` lines containing `part` (real time, bounded).
    fn wait_for_dmesg(&mut self, part: &str, n: usize) -> Vec<String> {
        let give_up = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.run("dmesg");
            if log.iter().filter(|l| l.contains(part)).count() >= n {
                return log;
            }
            assert!(Instant::now() < give_up, "not {n} lines containing {part:?}:\n{}", log.join("\n"));
            thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn background_readers_at_the_prompt_wake_on_one_echo_and_a_job_can_be_killed() {
    let sleepy = ko("sleepy", "sleepy");
    let mut shell = Shell::start();
    assert!(shell.run(&format!("insmod {}", sleepy.display())).is_empty());
    shell.run("cat /dev/sleepy &\ncat /dev/sleepy &");
    shell.wait_for_dmesg("(cat) going to sleep", 2);
    let jobs = shell.run("jobs");
    assert_eq!(
        jobs,
        ["[1]-  Running                 cat /dev/sleepy &", "[2]+  Running                 cat /dev/sleepy &"]
    );

    let out = shell.run("echo 1 > /dev/sleepy\nwait\njobs");
    assert_eq!(out, ["awoken after write 1", "awoken after write 1"], "both readers printed, then no job is left");
    // The timer's dump_stack: its lines come one by one after "whee 1".
    let log = shell.wait_for_dmesg("]  whee+0x", 1);
    assert!(log.iter().any(|l| l.ends_with("sleepy: whee 1")), "{}", log.join("\n"));
    assert!(log.iter().any(|l| l.contains("]  whee+0x") && l.ends_with(" [sleepy]")), "{}", log.join("\n"));

    shell.run("cat /dev/sleepy &");
    shell.wait_for_dmesg("(cat) going to sleep", 3);
    assert_eq!(shell.run("jobs"), ["[1]+  Running                 cat /dev/sleepy &"]);
    assert_eq!(shell.run("kill %1\nwait\njobs\nls -l /dev"), ["crw------- 1 root root 254,   0 sleepy"]);
    assert!(shell.run("rmmod sleepy\nls /dev").is_empty(), "the killed reader closed its file");
    writeln!(shell.stdin, "exit").unwrap();
    assert!(shell.child.wait().unwrap().success());
}

#[test]
fn ctrl_c_ends_a_cat_sleeping_in_a_device_read() {
    let kernel = boot();
    kernel.insmod(ko("sleepy", "sleepy"), "").unwrap();
    let (out, err) = thread::scope(|s| {
        let cat = s.spawn(|| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let outcome = modhost::shell::run_line(&kernel, "cat /dev/sleepy", &mut out, &mut err);
            assert!(!outcome.ok, "an interrupted cat fails");
            (out, err)
        });
        wait_for_line(&kernel, "(cat) going to sleep");
        modhost::shell::interrupt::interrupt();
        cat.join().unwrap()
    });
    assert!(out.is_empty() && err.is_empty(), "quietly: {out:?} {err:?}");
    modhost::shell::interrupt::reset();
    kernel.rmmod("sleepy").unwrap();
}

#[test]
fn a_driver_made_of_region_cdev_class_and_devices_serves_each_minor() {
    let kernel = boot();
    kernel.insmod(ko("misc", "mhcdev"), "").unwrap();
    assert_dmesg(&kernel, "mhcdev: major 254");
    assert_eq!(
        kernel.list_devices(),
        ["crw------- 1 root root 254,   0 mhcdev0", "crw------- 1 root root 254,   1 mhcdev1"]
    );
    assert_eq!(kernel.read("/dev/mhcdev1").unwrap(), "mhcdev minor 1 of major 254, open 1\n");
    let file = kernel.open("/dev/mhcdev0").unwrap();
    assert_eq!(file.read(100).unwrap(), b"mhcdev minor 0 of major 254, open 2\n");
    assert_eq!(file.seek(-7, 2).unwrap_err().errno(), Errno::EINVAL, "i_size is 0: before the start");
    assert_eq!(file.seek(7, 0).unwrap(), 7);
    assert_eq!(file.read(5).unwrap(), b"minor");
    drop(file);
    kernel.rmmod("mhcdev").unwrap();
    assert!(kernel.list("/dev").unwrap().is_empty());
    assert!(
        !dmesg(&kernel).iter().any(|l| l.contains("never freed") || l.contains("left registered")),
        "{:?}",
        dmesg(&kernel)
    );
    assert_nothing_pinned(&kernel);
}

/// A module written for Linux 4.4: `class_create(THIS_MODULE, name)`,
/// `proc_create` with a `struct file_operations`, `PDE_DATA`.
const OLD_GENERATION: &str = r#"
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/device.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
MODULE_LICENSE("GPL");
static struct class *cls;
static int major;
static char greeting[] = "from 4.4";
static int show(struct seq_file *m, void *v) { seq_printf(m, "%s\n", (char *)m->private); return 0; }
static int old_open(struct inode *inode, struct file *file) { return single_open(file, show, PDE_DATA(inode)); }
static const struct file_operations proc_fops = {
	.owner = THIS_MODULE, .open = old_open, .read = seq_read, .llseek = seq_lseek, .release = single_release,
};
static const struct file_operations dev_fops = { .owner = THIS_MODULE };
static int __init old_init(void)
{
	major = register_chrdev(0, "oldgen", &dev_fops);
	cls = class_create(THIS_MODULE, "oldgen");
	if (major < 0 || IS_ERR(cls))
		return -EIO;
	device_create(cls, NULL, MKDEV(major, 1), NULL, "oldgen%d", 1);
	return proc_create_data("oldgen", 0444, NULL, &proc_fops, greeting) ? 0 : -ENOMEM;
}
static void __exit old_exit(void)
{
	remove_proc_entry("oldgen", NULL);
	device_destroy(cls, MKDEV(major, 1));
	class_destroy(cls);
	unregister_chrdev(major, "oldgen");
}
module_init(old_init);
module_exit(old_exit);
"#;

#[test]
fn a_module_of_an_older_generation_builds_against_that_generations_api() {
    let dir = Scratch::new("oldgen");
    dir.file("oldgen.c", OLD_GENERATION.as_bytes());
    dir.file("Makefile", b"obj-m += oldgen.o\n");
    let kbuild = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kbuild");
    let output = Command::new("make")
        .args(["-s", "-C"])
        .arg(kbuild)
        .arg(format!("M={}", dir.join("").display()))
        .arg("MODHOST_KERNEL=4.4")
        .env("MODHOST", crate::kbuild::modhost())
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let kernel = boot();
    kernel.insmod(dir.join("oldgen.ko"), "").unwrap();
    assert_eq!(kernel.read("/proc/oldgen").unwrap(), "from 4.4\n");
    assert_eq!(kernel.list("/dev").unwrap(), ["oldgen", "oldgen1"]);
    let err = kernel.read("/dev/oldgen1").unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::Io, Errno::EINVAL), "no read in its file_operations");
    kernel.rmmod("oldgen").unwrap();
    assert!(kernel.list("/dev").unwrap().is_empty());
}

#[test]
fn a_forced_unload_ends_the_reads_in_progress_and_later_calls_fail() {
    let kernel = boot();
    kernel.insmod(ko("sleepy", "sleepy"), "").unwrap();
    let file = kernel.open_as("/dev/sleepy", Access::Read, "cat").unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        tx.send(file.read(100)).unwrap();
        file
    });
    wait_for_line(&kernel, "(cat) going to sleep");
    kernel.rmmod_force("sleepy").unwrap();
    assert_eq!(rx.recv().unwrap().unwrap_err().errno(), Errno::EINTR);
    let file = reader.join().unwrap();
    assert_eq!(file.read(100).unwrap_err().errno(), Errno::ENODEV);
    file.close().unwrap();
    assert_dmesg_contains(&kernel, "sleepy: file /dev/sleepy still open; its calls fail from now on at unload");
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_read_deaf_to_signals_is_abandoned_and_its_file_left_holding_the_module() {
    let kernel = Kernel::builder().manual_clock().exit_timeout(Duration::from_millis(200)).boot();
    kernel.insmod(ko("misc", "mhmisc"), "").unwrap();
    let file = kernel.open_as("/dev/mhstuck", Access::Read, "cat").unwrap();
    let interrupter = file.interrupter();
    let reader = thread::spawn(move || (file.read(10), file));
    let give_up = Instant::now() + Duration::from_secs(10);
    while !kernel.ps().iter().any(|t| t.command == "cat" && t.state == 'D') {
        assert!(Instant::now() < give_up, "the read never slept: {:?}", kernel.ps());
        thread::sleep(Duration::from_millis(5));
    }
    interrupter.interrupt();
    let (read, file) = reader.join().unwrap();
    assert_eq!(read.unwrap_err().kind(), ErrorKind::Busy, "abandoned after the exit timeout");
    assert_dmesg_contains(&kernel, "INFO: task cat:");
    assert_eq!(file.close().unwrap_err().kind(), ErrorKind::Busy, "left open");
    assert_eq!(kernel.rmmod("mhmisc").unwrap_err().kind(), ErrorKind::InUse);
    kernel.write("/sys/module/mhmisc/parameters/unstuck", "1").unwrap();
    kernel.rmmod_force("mhmisc").unwrap();
    assert_nothing_pinned(&kernel);
}
