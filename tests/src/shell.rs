//! The command language through the script runner: kmod's output and wording.

use crate::util::*;
use modhost::{Kernel, shell::run_script};

/// Runs `script` and returns (stdout, stderr, status).
fn run(kernel: &Kernel, script: &str) -> (String, String, i32) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let result = run_script(kernel, script.as_bytes(), &mut out, &mut err, false);
    (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap(), result.status())
}

#[test]
fn a_session_loads_lists_and_unloads() {
    let kernel = boot();
    let (out, err, status) =
        run(&kernel, "insmod testmod.so i=3\ninsmod gpluser.so\nlsmod\nrmmod gpluser testmod\nlsmod\n");
    assert_eq!(err, "");
    assert_eq!(status, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Module                  Size  Used by");
    assert!(lines[1].starts_with("gpluser "));
    assert!(lines[2].starts_with("testmod ") && lines[2].ends_with(" 1 gpluser"), "{out}");
    assert_eq!(lines[3], "Module                  Size  Used by");
    assert_eq!(lines.len(), 4);
}

#[test]
fn errors_use_kmods_words_and_the_run_goes_on() {
    let kernel = boot();
    let script = "\
        insmod\n\
        insmod /no/such.so\n\
        insmod propgpl.so\n\
        insmod testmod.so i=abc\n\
        insmod testmod.so\n\
        insmod testmod.so\n\
        insmod gpluser.so\n\
        rmmod testmod\n\
        rmmod nosuch\n\
        rmmod -f testmod\n\
        modprobe nosuch\n\
        modinfo nosuch\n\
        lsmdo\n\
        cat /proc/nope\n\
        echo 5 > /sys/module/testmod/parameters/b\n\
        echo abc > /sys/module/testmod/parameters/i\n\
        lsmod\n";
    let (out, err, status) = run(&kernel, script);
    assert_eq!(status, 1);
    let dir = module_dir().canonicalize().unwrap();
    let expected = format!(
        "insmod: ERROR: missing filename.\n\
         insmod: ERROR: could not load module /no/such.so: No such file or directory\n\
         insmod: ERROR: could not insert module propgpl.so: Unknown symbol in module\n\
         insmod: ERROR: could not insert module testmod.so: Invalid parameters\n\
         insmod: ERROR: could not insert module testmod.so: File exists\n\
         rmmod: ERROR: Module testmod is in use by: gpluser\n\
         rmmod: ERROR: Module nosuch is not currently loaded\n\
         rmmod: ERROR: could not remove 'testmod': Resource temporarily unavailable\n\
         rmmod: ERROR: could not remove module testmod: Resource temporarily unavailable\n\
         modprobe: FATAL: Module nosuch not found in directory {}\n\
         modinfo: ERROR: Module nosuch not found.\n\
         modhost: unknown command 'lsmdo'; did you mean 'lsmod'?\n\
         cat: /proc/nope: No such file or directory\n\
         /sys/module/testmod/parameters/b: Permission denied\n\
         echo: write error: Invalid argument\n",
        dir.display()
    );
    assert_eq!(err, expected);
    assert!(out.contains("\ngpluser "), "the last lsmod still ran: {out}");
}

#[test]
fn rmmod_takes_file_names_and_normalises_them() {
    let kernel = boot();
    let (_, err, status) = run(&kernel, "insmod testmod.so\nrmmod testmod.so\n");
    assert_eq!((err.as_str(), status), ("", 0));
    let path = plugin("testmod");
    let (_, err, status) = run(&kernel, &format!("insmod {0}\nrmmod {0}\n", path.display()));
    assert_eq!((err.as_str(), status), ("", 0));
}

#[test]
fn parameters_read_and_write_through_sys() {
    let kernel = boot();
    let script = "insmod testmod.so name=\"a b\"\n\
                  cat /sys/module/testmod/parameters/name\n\
                  echo 42 > /sys/module/testmod/parameters/i\n\
                  cat /sys/module/testmod/parameters/i\n\
                  echo -n x > /sys/module/testmod/parameters/name\n\
                  cat /sys/module/testmod/parameters/name\n\
                  ls /sys/module/testmod/holders\n";
    let (out, err, _) = run(&kernel, script);
    assert_eq!(err, "");
    assert_eq!(out, "a b\n42\nx\n");
}

#[test]
fn modprobe_show_depends_prints_insmod_lines() {
    let kernel = boot();
    let (out, _, status) = run(&kernel, "modprobe --show-depends chainmod x=2\n");
    assert_eq!(status, 0);
    let dir = module_dir().canonicalize().unwrap();
    let expected =
        format!("insmod {0}/libtestmod.so \ninsmod {0}/libgpluser.so \ninsmod {0}/libchainmod.so x=2\n", dir.display());
    assert_eq!(out, expected);
}

#[test]
fn modprobe_failures_name_the_module() {
    let kernel = boot();
    let (_, err, _) = run(&kernel, "modprobe testmod i=abc\nmodprobe chainmod\nmodprobe -r testmod\n");
    assert_eq!(
        err,
        "modprobe: ERROR: could not insert 'testmod': Invalid argument\n\
         modprobe: FATAL: Module testmod is in use.\n"
    );
}

#[test]
fn dmesg_prints_filters_and_clears() {
    let kernel = boot();
    kernel.clock().advance(std::time::Duration::from_millis(1500));
    let (out, _, _) = run(&kernel, "insmod testmod.so bogus=1\ndmesg -l warn\ndmesg -C\ndmesg\n");
    assert_eq!(out, "[    1.500000] testmod: unknown parameter 'bogus' ignored\n");
    let (out, _, _) = run(&kernel, "rmmod testmod\ndmesg -x -t\n");
    assert_eq!(out, "kern  :info  : testmod: exit\n");
    let (out, _, _) = run(&kernel, "dmesg -c\ndmesg\n");
    assert_eq!(out, "[    1.500000] testmod: exit\n");
}

#[test]
fn dmesg_n_sets_the_console_level() {
    let kernel = boot();
    run(&kernel, "dmesg -n 1\n");
    assert_eq!(kernel.printk().console_level(), 1);
    run(&kernel, "dmesg -n err\n");
    assert_eq!(kernel.printk().console_level(), 4);
    let (_, err, status) = run(&kernel, "dmesg -n loud\n");
    assert_eq!((err.as_str(), status), ("dmesg: unknown level 'loud'\n", 1));
}

#[test]
fn sleep_moves_a_manual_clock() {
    let kernel = boot();
    run(&kernel, "sleep 2.5\n");
    assert_eq!(kernel.clock().uptime(), std::time::Duration::from_millis(2500));
}

#[test]
fn exit_stops_the_script_with_its_status() {
    let kernel = boot();
    let (out, _, status) = run(&kernel, "echo one\nexit 3\necho two\n");
    assert_eq!((out.as_str(), status), ("one\n", 3));
}

#[test]
fn help_lists_every_command() {
    let kernel = boot();
    let (out, _, status) = run(&kernel, "help\n");
    assert_eq!(status, 0);
    for command in modhost::shell::command::COMMANDS {
        assert!(out.contains(&format!("  {command} ")), "{command} in {out}");
    }
    let (out, _, _) = run(&kernel, "help insmod\n");
    assert!(out.contains("--name"), "{out}");
    let (_, err, _) = run(&kernel, "insmod --bogus x.so\n");
    assert_eq!(err, "insmod: unexpected argument '--bogus' found\n");
}

#[test]
fn sleep_refuses_negative_and_nan_intervals() {
    let kernel = boot();
    let (_, err, status) = run(&kernel, "sleep -1\nsleep nan\nsleep 0\n");
    assert_eq!((err.as_str(), status), ("sleep: invalid time interval '-1'\nsleep: invalid time interval 'NaN'\n", 1));
}

#[test]
fn a_line_over_the_bound_is_refused_with_its_number_and_length() {
    let kernel = boot();
    let long = "x".repeat(1 << 20);
    let (out, err, status) = run(&kernel, &format!("echo one\n{long}\necho two\n"));
    assert_eq!(err, "modhost: line 2: line too long (1048576 bytes; the limit is 65536)\n");
    assert_eq!((out.as_str(), status), ("one\ntwo\n", 1));
}

#[test]
fn a_line_that_is_not_utf8_is_refused_and_the_run_goes_on() {
    let kernel = boot();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let script: &[u8] = b"echo one\necho two\necho \xff\necho four\n";
    let result = run_script(&kernel, script, &mut out, &mut err, false);
    assert_eq!(String::from_utf8(err).unwrap(), "modhost: line 3: input is not valid UTF-8\n");
    assert_eq!((String::from_utf8(out).unwrap().as_str(), result.status()), ("one\ntwo\nfour\n", 1));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let result = run_script(&kernel, script, &mut out, &mut err, true);
    assert_eq!((String::from_utf8(out).unwrap().as_str(), result.status()), ("one\ntwo\n", 1), "errexit stops");
}

#[test]
fn echo_redirections_behave_as_in_a_shell() {
    let kernel = boot();
    let script = "insmod testmod.so\n\
                  echo -n 3 > /sys/module/testmod/parameters/name extra\n\
                  cat /sys/module/testmod/parameters/name\n\
                  echo 4 >> /sys/module/testmod/parameters/i\n\
                  cat /sys/module/testmod/parameters/i\n\
                  echo 5 >\n";
    let (out, err, status) = run(&kernel, script);
    assert_eq!(out, "3 extra\n4\n");
    assert_eq!((err.as_str(), status), ("modhost: syntax error near unexpected token `newline'\n", 1));
}

#[test]
fn an_instance_name_must_be_a_module_name_as_given() {
    let kernel = boot();
    let (_, err, status) = run(&kernel, "insmod --name a/b testmod.so\ninsmod --name é testmod.so\nlsmod\n");
    let rule = "a module name is 1 to 55 ASCII letters, digits, '_' or '-'";
    assert_eq!(
        err,
        format!(
            "insmod: invalid value 'a/b' for '--name <NAME>': {rule}\n\
             insmod: invalid value 'é' for '--name <NAME>': {rule}\n"
        )
    );
    assert_eq!(status, 1);
    assert!(kernel.lsmod().is_empty());
    let e = kernel.insmod_named(plugin("testmod"), Some("a/b"), "").unwrap_err();
    assert_eq!(e.kind(), modhost::ErrorKind::InvalidName, "{e}");
    assert!(kernel.lsmod().is_empty());
}
