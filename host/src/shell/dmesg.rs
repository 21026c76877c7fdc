//! `dmesg`: print, clear, filter and follow the kernel log; set the console level.
//!
//! util-linux's options: `-c` (read and clear), `-C` (clear), `-l LEVELS`,
//! `-n LEVEL`, `-x` (decode the level), `-t` (no timestamps) and `-w`
//! (follow: print records as they are logged until interrupted).

use std::{io::Write, sync::Arc};

use super::{command::Dmesg, interrupt};
use crate::{
    Kernel,
    services::printk::{Level, Record},
};

pub(super) fn dmesg(kernel: &Kernel, c: &Dmesg, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let printk = kernel.printk();
    if let Some(level) = &c.console_level {
        // As util-linux: a number is the console level itself, a name is one
        // above that level, so `-n 1` and `-n emerg` both let only emerg through.
        let console_level = match level.parse::<u8>() {
            Ok(n) if (1..=8).contains(&n) => Some(n),
            Ok(_) => None,
            Err(_) => Level::parse(level).map(|l| l as u8 + 1),
        };
        let Some(console_level) = console_level else {
            let _ = writeln!(err, "dmesg: unknown level '{level}'");
            return false;
        };
        printk.set_console_level(console_level);
        return true;
    }
    let mut levels = Vec::new();
    for name in &c.level {
        match Level::parse(name) {
            Some(level) => levels.push(level),
            None => {
                let _ = writeln!(err, "dmesg: unknown level '{name}'");
                return false;
            }
        }
    }
    if c.clear {
        printk.clear();
        return true;
    }
    // Taken first, so that a record logged while the log is printed is
    // either printed now or followed, never both or neither.
    let next = printk.next_seq();
    let records = if c.read_clear { printk.read_clear() } else { printk.records() };
    if printk.dropped() > 0 {
        let _ = writeln!(out, "** {} printk messages dropped **", printk.dropped());
    }
    let shown = |r: &&Record| levels.is_empty() || levels.contains(&r.level);
    for record in records.iter().filter(|r| r.seq < next || !c.follow).filter(shown) {
        let _ = writeln!(out, "{}", format_record(record, c.decode, c.notime));
    }
    if c.follow {
        follow(kernel, next, &shown, c, out);
    }
    true
}

/// `dmesg -w`: prints records from `seq` on as they are logged, until the
/// command is interrupted (Ctrl-C, a signal, the end of the session). It
/// sleeps until a record comes or an interrupt wakes it: no polling.
fn follow(kernel: &Kernel, mut seq: u64, shown: &dyn Fn(&&Record) -> bool, c: &Dmesg, out: &mut dyn Write) {
    let _ = out.flush();
    let services = Arc::clone(&kernel.inner.services);
    let _waker = interrupt::Waker::register(move || services.printk.wake_waiters());
    while !interrupt::pending() && kernel.printk().wait_for(seq, &interrupt::pending) {
        for record in kernel.printk().records_since(seq) {
            seq = record.seq + 1;
            if shown(&&record) {
                let _ = writeln!(out, "{}", format_record(&record, c.decode, c.notime));
            }
        }
        let _ = out.flush();
    }
}

/// One dmesg line: `[    1.234567] text`, with `-x` and `-t` variations.
pub(super) fn format_record(record: &Record, decode: bool, notime: bool) -> String {
    let mut line = String::new();
    if decode {
        line.push_str(&format!("kern  :{:<6}: ", record.level.name()));
    }
    if notime {
        line.push_str(&record.text);
    } else {
        line.push_str(&record.to_string());
    }
    line
}
