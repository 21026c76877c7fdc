//! Running one command against a kernel, with kmod's output and messages.
//!
//! Results go to `out`, errors to `err`, one line each, naming the subject
//! first as the tools do (`insmod: ERROR: could not insert module
//! producer.so: Unknown symbol in module`). The details the kernel logs are
//! in dmesg, as on Linux.
//!
//! With [`Format::Json`] (`modhost --json`), lsmod, modinfo and the
//! statistics files print JSON instead; [`super::json`] has the keys.

use clap::{CommandFactory, Parser, error::ErrorKind as ClapKind};
use std::{
    io::Write,
    path::Path,
    time::{Duration, Instant},
};

use super::{
    command::{self, Cat, Command, Echo, Insmod, Kill, Line, Ls, Modinfo, Modprobe, Redirect, Rmmod, Words},
    dmesg::dmesg,
    interrupt, jobs, json,
};
use crate::{
    Access, DevFile, Errno, Error, ErrorKind, Kernel,
    loader::{MODULE_NAME_RULE, modinfo::inspect, normalize_name, params::join_args},
    views::{
        lsmod::format_lsmod,
        modinfo::format_modinfo,
        ps::{format_ps, signal_number},
    },
};

/// What a line asks of the loop that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next line.
    Continue,
    /// Stop, with this exit status.
    Exit(i32),
}

/// The result of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the command succeeded.
    pub ok: bool,
    /// Whether to go on.
    pub flow: Flow,
}

impl Outcome {
    fn done(ok: bool) -> Outcome {
        Outcome { ok, flow: Flow::Continue }
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// As kmod and the kernel print them.
    #[default]
    Text,
    /// lsmod, modinfo and statistics as JSON (see [`super::json`]).
    Json,
}

/// Runs one line: a comment or blank line does nothing.
pub fn run_line(kernel: &Kernel, line: &str, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    run_line_as(kernel, line, Format::Text, out, err)
}

/// Runs one line, printing results in `format`.
pub fn run_line_as(kernel: &Kernel, line: &str, format: Format, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    let Words { words, redirect, background } = match command::split(line) {
        Ok(words) => words,
        Err(e) => {
            let _ = writeln!(err, "modhost: {e}");
            return Outcome::done(false);
        }
    };
    if words.is_empty() {
        return Outcome::done(true);
    }
    if background {
        return Outcome::done(jobs::spawn(kernel, command::strip_background(line).0, format, err));
    }
    let parsed = match Line::try_parse_from(&words) {
        Ok(parsed) => parsed,
        Err(e) => return Outcome::done(clap_error(&words[0], &e, out, err)),
    };
    if redirect.is_some() && !matches!(parsed.command, Command::Echo(_)) {
        let _ = writeln!(err, "{}: output redirection is only for echo", words[0]);
        return Outcome::done(false);
    }
    match parsed.command {
        Command::Insmod(c) => Outcome::done(insmod(kernel, &c, err)),
        Command::Rmmod(c) => Outcome::done(rmmod(kernel, &c, err)),
        Command::Lsmod => Outcome::done(lsmod(kernel, format, out)),
        Command::Modinfo(c) => Outcome::done(modinfo(kernel, &c, format, out, err)),
        Command::Modprobe(c) => Outcome::done(modprobe(kernel, &c, out, err)),
        Command::Depmod => Outcome::done(depmod(kernel, out, err)),
        Command::Dmesg(c) => Outcome::done(dmesg(kernel, &c, out, err)),
        Command::Cat(c) => Outcome::done(cat(kernel, &c, format, out, err)),
        Command::Echo(c) => Outcome::done(echo(kernel, &c, redirect.as_ref(), out, err)),
        Command::Ls(c) => Outcome::done(ls(kernel, &c, out, err)),
        Command::Ps => Outcome::done(write_out(out, &format_ps(&kernel.ps()))),
        Command::Kill(c) => Outcome::done(kill(kernel, &c, err)),
        Command::Sleep(c) => Outcome::done(sleep(kernel, c.seconds, err)),
        Command::Jobs => Outcome::done(jobs::list(out)),
        Command::Wait(c) => Outcome::done(jobs::wait(c.job.as_deref(), err)),
        Command::Help(c) => Outcome::done(help(c.command.as_deref(), out, err)),
        Command::Exit(c) => Outcome { ok: true, flow: Flow::Exit(c.status.unwrap_or(0)) },
    }
}

/// Prints clap's help, or its error as one line; returns whether that is success.
fn clap_error(command: &str, e: &clap::Error, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    match e.kind() {
        ClapKind::DisplayHelp | ClapKind::DisplayVersion => write_out(out, &e.to_string()),
        ClapKind::InvalidSubcommand => {
            let hint = command::suggest(command).map(|s| format!("; did you mean '{s}'?")).unwrap_or_default();
            let _ = writeln!(err, "modhost: unknown command '{command}'{hint}");
            false
        }
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let _ = writeln!(err, "{command}: {}", first.trim_start_matches("error: "));
            false
        }
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> bool {
    let _ = out.write_all(text.as_bytes());
    true
}

fn insmod(kernel: &Kernel, c: &Insmod, err: &mut dyn Write) -> bool {
    let Some(file) = &c.file else {
        let _ = writeln!(err, "insmod: ERROR: missing filename.");
        return false;
    };
    match kernel.insmod_named(file, c.name.as_deref(), &join_args(&c.params)) {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::InvalidName => {
            let (file, name) = (file.display(), e.subject());
            let _ = writeln!(
                err,
                "insmod: ERROR: could not insert module {file}: invalid name '{name}': {MODULE_NAME_RULE}"
            );
            false
        }
        Err(e) if e.kind() == ErrorKind::Open => {
            let _ = writeln!(err, "insmod: ERROR: could not load module {}: {}", file.display(), e.insmod_strerror());
            false
        }
        Err(e) => {
            let _ = writeln!(err, "insmod: ERROR: could not insert module {}: {}", file.display(), e.insmod_strerror());
            false
        }
    }
}

fn rmmod(kernel: &Kernel, c: &Rmmod, err: &mut dyn Write) -> bool {
    let mut ok = true;
    for arg in &c.names {
        let name = module_name_of(arg);
        let result = if c.force { kernel.rmmod_force(&name) } else { kernel.rmmod(&name) };
        let Err(e) = result else { continue };
        ok = false;
        if c.force || matches!(e.kind(), ErrorKind::Busy) {
            let _ = writeln!(err, "rmmod: ERROR: could not remove '{name}': {}", e.errno());
            let _ = writeln!(err, "rmmod: ERROR: could not remove module {name}: {}", e.errno());
        } else {
            let _ = writeln!(err, "rmmod: ERROR: Module {name} is {}", e.message());
        }
    }
    ok
}

/// kmod's rule: an argument that is an existing file names its module;
/// anything else is a name, normalised (`fifo.so` → `fifo`).
fn module_name_of(arg: &str) -> String {
    let path = Path::new(arg);
    if arg.contains('/')
        && path.is_file()
        && let Ok(info) = inspect(path)
    {
        return normalize_name(&info.name);
    }
    normalize_name(arg.rsplit('/').next().unwrap_or(arg))
}

fn lsmod(kernel: &Kernel, format: Format, out: &mut dyn Write) -> bool {
    let entries = kernel.lsmod();
    match format {
        Format::Text => write_out(out, &format_lsmod(&entries)),
        Format::Json => write_out(out, &format!("{}\n", json::lsmod(&entries))),
    }
}

fn modinfo(kernel: &Kernel, c: &Modinfo, format: Format, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut ok = true;
    for module in &c.modules {
        match kernel.modinfo(module) {
            Ok(report) => {
                let text = match (format, c.field.as_deref()) {
                    (Format::Text, field) => format_modinfo(&report, field),
                    (Format::Json, Some(field)) => format!("{}\n", json::modinfo_field(&report, field)),
                    (Format::Json, None) => format!("{}\n", json::modinfo(&report)),
                };
                write_out(out, &text);
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let _ = writeln!(err, "modinfo: ERROR: Module {module} not found.");
                ok = false;
            }
            Err(e) => {
                let _ = writeln!(err, "modinfo: ERROR: {e}");
                ok = false;
            }
        }
    }
    ok
}

fn modprobe(kernel: &Kernel, c: &Modprobe, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let args = join_args(&c.params);
    let result = if c.remove {
        kernel.modprobe_remove(&c.module).map(|_| ())
    } else if c.show_depends {
        kernel.show_depends(&c.module, &args).map(|steps| {
            for (path, args) in steps {
                let _ = writeln!(out, "insmod {} {args}", path.display());
            }
        })
    } else {
        kernel.modprobe(&c.module, &args).map(|_| ())
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            let line = match e.kind() {
                ErrorKind::NotFound => format!("modprobe: FATAL: Module {} {}", e.subject(), e.message()),
                ErrorKind::InUse => format!("modprobe: FATAL: Module {} is in use.", e.subject()),
                _ => modprobe_insert_error(&e),
            };
            let _ = writeln!(err, "{line}");
            false
        }
    }
}

/// modprobe's insert error: its own text for ENOENT, `strerror` otherwise.
fn modprobe_insert_error(e: &Error) -> String {
    let reason = if e.errno() == modhost_abi::errno::Errno::ENOENT {
        "Unknown symbol in module, or unknown parameter (see dmesg)".to_string()
    } else {
        e.errno().to_string()
    };
    format!("modprobe: ERROR: could not insert '{}': {reason}", e.subject())
}

/// `depmod`: `modules.dep`; or, as kmod's depmod, no map at all when
/// modules depend on each other in a cycle.
fn depmod(kernel: &Kernel, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let map = kernel.depmod();
    let cycles = map.cycles();
    if cycles.is_empty() {
        return write_out(out, &map.to_modules_dep());
    }
    for cycle in &cycles {
        let _ = writeln!(err, "depmod: ERROR: Cycle detected: {}", cycle.join(" -> "));
    }
    let modules: std::collections::BTreeSet<&String> = cycles.iter().flatten().collect();
    let _ = writeln!(err, "depmod: ERROR: Found {} modules in dependency cycles!", modules.len());
    false
}

fn cat(kernel: &Kernel, c: &Cat, format: Format, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut ok = true;
    for path in &c.paths {
        match kernel.open_as(path, Access::Read, "cat") {
            Ok(file) => {
                ok &= cat_file(file, out, err);
                continue;
            }
            // Not a device or a file with operations: a file of the views.
            Err(e) if e.kind() == ErrorKind::NoSuchFile && e.errno() == Errno::ENOENT => {}
            Err(e) => {
                let _ = writeln!(err, "cat: {path}: {}", e.errno());
                ok = false;
                continue;
            }
        }
        match kernel.read(path) {
            Ok(contents) => {
                let stats = if format == Format::Json { json::stats(&contents) } else { None };
                match stats {
                    Some(value) => write_out(out, &format!("{value}\n")),
                    None => write_out(out, &contents),
                };
            }
            Err(e) => {
                let _ = writeln!(err, "cat: {path}: {}", e.errno());
                ok = false;
            }
        }
    }
    ok
}

/// `cat` of a device or a `/proc` file with file operations: prints what
/// each read returns as it comes, until the end of the file or a request
/// to stop (Ctrl-C, `kill %N`), which signals the module's read; a read cut
/// short that way ends the command quietly, as a killed `cat` does.
fn cat_file(file: DevFile, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let requests = interrupt::Requests::current();
    let interrupter = file.interrupter();
    let _waker = interrupt::Waker::register(move || {
        if requests.pending() {
            interrupter.interrupt();
        }
    });
    if interrupt::pending() {
        file.interrupter().interrupt();
    }
    let path = file.path().to_string();
    loop {
        match file.read(4096) {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(chunk) => {
                let _ = out.write_all(&chunk);
                let _ = out.flush();
            }
            Err(e) => {
                if e.errno() != Errno::EINTR {
                    let _ = writeln!(err, "cat: {path}: {}", e.errno());
                }
                return false;
            }
        }
    }
    match file.close() {
        Ok(()) => true,
        Err(e) => {
            let _ = writeln!(err, "cat: {path}: {}", e.errno());
            false
        }
    }
}

/// `echo`, to the output or to a file. `>>` writes as `>` does: a `/proc`
/// or `/sys` file has no end to append to, and the kernel ignores
/// `O_APPEND` there (a parameter's store replaces its value either way).
fn echo(kernel: &Kernel, c: &Echo, redirect: Option<&Redirect>, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut text = c.words.join(" ");
    if !c.no_newline {
        text.push('\n');
    }
    let Some(Redirect { path, .. }) = redirect else {
        return write_out(out, &text);
    };
    match kernel.write(path, &text) {
        Ok(()) => true,
        Err(e) => {
            let line = match e.kind() {
                ErrorKind::NoSuchFile | ErrorKind::PermissionDenied => format!("{path}: {}", e.errno()),
                _ => format!("echo: write error: {}", e.errno()),
            };
            let _ = writeln!(err, "{line}");
            false
        }
    }
}

fn ls(kernel: &Kernel, c: &Ls, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let paths = if c.paths.is_empty() { vec!["/".to_string()] } else { c.paths.clone() };
    let mut ok = true;
    for path in &paths {
        match kernel.list(path) {
            Ok(entries) => {
                if paths.len() > 1 {
                    let _ = writeln!(out, "{path}:");
                }
                let entries =
                    if c.long && path.trim_end_matches('/') == "/dev" { kernel.list_devices() } else { entries };
                for entry in entries {
                    let _ = writeln!(out, "{entry}");
                }
            }
            Err(e) => {
                let _ = writeln!(err, "ls: cannot access '{path}': {}", e.errno());
                ok = false;
            }
        }
    }
    ok
}

/// `kill [-SIGNAL|-N|-s SIGNAL] PID|%N...`, in bash's words; SIGTERM by
/// default. A job (`%N`) is interrupted, as Ctrl-C would.
fn kill(kernel: &Kernel, c: &Kill, err: &mut dyn Write) -> bool {
    let (spec, pids) = match c.args.as_slice() {
        [s, spec, pids @ ..] if s == "-s" => (Some(spec.as_str()), pids),
        [first, pids @ ..] if first.starts_with('-') => (Some(&first[1..]), pids),
        pids => (None, pids),
    };
    let signal = match spec.map(|spec| (spec, signal_number(spec))) {
        None => 15,
        Some((_, Some(signal))) => signal,
        Some((spec, None)) => {
            let _ = writeln!(err, "kill: {spec}: invalid signal specification");
            return false;
        }
    };
    if pids.is_empty() {
        let _ = writeln!(err, "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ...");
        return false;
    }
    let (jobs, pids): (Vec<String>, Vec<String>) = pids.iter().cloned().partition(|a| a.starts_with('%'));
    let mut ok = jobs::kill(&jobs, err);
    for arg in &pids {
        let result = match arg.parse::<u64>() {
            Ok(pid) => kernel.kill(pid, signal),
            Err(_) => {
                let _ = writeln!(err, "kill: {arg}: arguments must be process or job IDs");
                ok = false;
                continue;
            }
        };
        if let Err(e) = result {
            let _ = writeln!(err, "kill: ({arg}) - {}", e.errno());
            ok = false;
        }
    }
    ok
}

/// `sleep`: moves a manual clock, or waits in real time until the deadline
/// or until Ctrl-C or the end of the session cuts it short (a failure, as
/// an interrupted `sleep` is in a shell). A duration too long for the clock
/// (`sleep inf`, `sleep 1e30`) sleeps for ever, on either clock, until
/// interrupted.
fn sleep(kernel: &Kernel, seconds: f64, err: &mut dyn Write) -> bool {
    if seconds.is_nan() || seconds < 0.0 {
        let _ = writeln!(err, "sleep: invalid time interval '{seconds}'");
        return false;
    }
    // `abs` turns -0 into 0; other negatives were refused above.
    let duration = Duration::try_from_secs_f64(seconds.abs()).ok();
    let clock = kernel.clock();
    if clock.is_manual() {
        match duration.filter(|d| clock.uptime().checked_add(*d).is_some()) {
            Some(duration) => return clock.advance(duration),
            None => return interrupt::sleep_until(None),
        }
    }
    interrupt::sleep_until(duration.and_then(|d| Instant::now().checked_add(d)))
}

fn help(command: Option<&str>, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut cli = Line::command();
    match command {
        None => {
            let _ = writeln!(out, "Commands:");
            for sub in cli.get_subcommands() {
                let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
                let _ = writeln!(out, "  {:<10} {about}", sub.get_name());
            }
            let _ = writeln!(out, "Type 'help COMMAND' or 'COMMAND --help' for its options.");
            true
        }
        Some(name) => match cli.find_subcommand_mut(name) {
            Some(sub) => write_out(out, &sub.render_help().to_string()),
            None => {
                let hint = command::suggest(name).map(|s| format!("; did you mean '{s}'?")).unwrap_or_default();
                let _ = writeln!(err, "help: unknown command '{name}'{hint}");
                false
            }
        },
    }
}
