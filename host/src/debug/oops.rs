//! The reports of native faults and lockups in module code, in the
//! kernel's shape:
//!
//! ```text
//! BUG: kernel NULL pointer dereference, address: 0000000000000000
//! #PF: supervisor write access in kernel mode
//! #PF: error_code(0x0002) - not-present page
//! Oops: 0002 [#1] SMP
//! CPU: 0 PID: 7 Comm: kworker/0:1 Tainted: D
//! RIP: 0010:boom+0x11/0x20 [null_work]
//! Code: 48 89 e5 ... <c7> 04 25 00 00 00 00 2a 00 00 00
//! RSP: 0018:00007f8b2c1fe9d0 EFLAGS: 00010246
//! RAX: ... (the registers, three per line)
//! Call Trace:
//!  <TASK>
//!  Worker::call+0x5c/0x120
//!  </TASK>
//! Modules linked in: null_work fifo
//! CR2: 0000000000000000
//! ---[ end trace 0000000000000000 ]---
//! ```
//!
//! and `watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [ktimers/0:5]`.
//! Module frames are named through kallsyms, the host's through
//! [`super::hostsyms`].
//!
//! Kernel counterpart: `arch/x86/kernel/dumpstack.c` (`__die`,
//! `show_regs`, `show_opcodes`), `arch/x86/mm/fault.c` (`show_fault_oops`),
//! `kernel/watchdog.c` (`watchdog_timer_fn`).

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use super::fault::{Fault, Sample};
use crate::{
    loader::library::read_memory,
    services::{Services, printk::Level, task::Task},
    taint::TaintFlag,
};

/// The host frames a trace shows after module code: the service or the
/// worker loop that called it, not the thread's whole start-up.
const HOST_FRAMES: usize = 3;

/// Page-fault error code bits (`X86_PF_*`).
const PF_PROT: u64 = 1;
const PF_WRITE: u64 = 2;
const PF_USER: u64 = 4;
const PF_INSTR: u64 = 16;

/// Trap numbers (`X86_TRAP_*`).
const TRAP_DE: u64 = 0;
const TRAP_BP: u64 = 3;
const TRAP_UD: u64 = 6;
const TRAP_GP: u64 = 13;
const TRAP_PF: u64 = 14;

impl Services {
    /// The Oops of `task`, killed by `fault` in module code; taints `D`.
    pub(crate) fn oops_fault(&self, task: &Arc<Task>, fault: &Fault) {
        self.taint.add(TaintFlag::Die);
        if let Some(record) = task.context().and_then(|c| self.module_record(c.module)) {
            record.taints.add(TaintFlag::Die);
        }
        let number = self.oopses.fetch_add(1, Ordering::Relaxed) + 1;
        // Composed first (naming the host's frames may read its symbol
        // table), logged at once, so other lines do not fall in between.
        let mut lines = first_lines(fault, number);
        lines.push(self.task_line(task));
        lines.push(format!("RIP: 0010:{}", self.name_of(fault.ip(), false)));
        lines.push(code_line(fault.ip()));
        lines.extend(register_lines(fault));
        lines.extend(self.trace_lines(fault.callers()));
        lines.extend(self.linked_in().map(|linked| format!("Modules linked in: {linked}")));
        if fault.trap() == TRAP_PF || fault.signal == libc::SIGBUS {
            lines.push(format!("CR2: {:016x}", fault.address));
        }
        lines.push("---[ end trace 0000000000000000 ]---".to_string());
        let whose = self.kallsyms.lookup(fault.ip()).map(|l| format!(" in {}'s code", l.module)).unwrap_or_default();
        lines.iter().for_each(|line| self.log(Level::Alert, line));
        self.log(
            Level::Err,
            &format!("{}[{}]: killed by the Oops{whose}; the locks it holds stay held", task.name(), task.id()),
        );
    }

    /// `watchdog: BUG: soft lockup`: `task` ran module code for `stuck`
    /// without returning; taints `L`.
    pub(crate) fn soft_lockup(&self, task: &Task, stuck: Duration, sample: Option<&Sample>) {
        self.taint.add(TaintFlag::SoftLockup);
        if let Some(record) = task.context().and_then(|c| self.module_record(c.module)) {
            record.taints.add(TaintFlag::SoftLockup);
        }
        let mut lines = vec![format!(
            "watchdog: BUG: soft lockup - CPU#0 stuck for {}! [{}:{}]",
            seconds(stuck),
            task.name(),
            task.id()
        )];
        lines.extend(self.linked_in().map(|linked| format!("Modules linked in: {linked}")));
        lines.push(self.task_line(task));
        if let Some(sample) = sample {
            lines.push(format!("RIP: 0010:{}", self.name_of(sample.ip, false)));
            lines.extend(self.trace_lines(sample.callers()));
        }
        lines.iter().for_each(|line| self.log(Level::Emerg, line));
    }

    /// `CPU: 0 PID: 7 Comm: kworker/0:1 Tainted: D` for `task`.
    fn task_line(&self, task: &Task) -> String {
        format!("CPU: 0 PID: {} Comm: {} Tainted: {}", task.id(), task.name(), self.taint)
    }

    /// `Call Trace:` for return addresses, innermost first: the module
    /// frames, and the host's up to where its thread began running them.
    fn trace_lines(&self, callers: &[usize]) -> Vec<String> {
        let mut lines = vec!["Call Trace:".to_string(), " <TASK>".to_string()];
        let mut host_frames = 0;
        for &address in callers.iter().filter(|a| **a > 1) {
            let name = self.name_of(address, true);
            if name.ends_with(']') {
                host_frames = 0;
            } else if host_frames == HOST_FRAMES || !is_named_host_frame(&name) {
                continue;
            } else {
                host_frames += 1;
            }
            lines.push(format!(" {name}"));
        }
        collapse_repeats(&mut lines);
        lines.push(" </TASK>".to_string());
        lines
    }

    /// `boom+0x11/0x20 [null_work]` for a module's code, the host's name
    /// for its own, else the address. A return address names the call
    /// before it.
    fn name_of(&self, address: usize, return_address: bool) -> String {
        let at = if return_address { address - 1 } else { address };
        let back = usize::from(return_address);
        if let Some(mut location) = self.kallsyms.lookup(at) {
            location.offset += back;
            return location.format(true);
        }
        match super::hostsyms::sprint(at) {
            Some(name) if return_address => adjust_offset(&name),
            Some(name) => name,
            None => format!("{address:#x}"),
        }
    }
}

/// The report's first lines: what the fault was.
fn first_lines(fault: &Fault, number: u32) -> Vec<String> {
    let die = |what: &str, code: u64| format!("{what}: {code:04x} [#{number}] SMP");
    if fault.hit_stack_guard() {
        let (low, high) = fault.stack;
        return vec![
            format!("BUG: stack guard page was hit at {:#018x} (stack is {low:#018x}..{high:#018x})", fault.address),
            die("kernel stack overflow (double-fault)", 0),
        ];
    }
    match (fault.signal, fault.trap()) {
        (libc::SIGFPE, _) | (_, TRAP_DE) => vec![die("divide error", 0)],
        (libc::SIGILL, _) | (_, TRAP_UD) => vec![die("invalid opcode", 0)],
        (libc::SIGTRAP, _) | (_, TRAP_BP) => vec![die("int3", 0)],
        (libc::SIGSEGV, TRAP_GP) => vec![die("general protection fault", 0)],
        _ => page_fault_lines(fault, number),
    }
}

/// `show_fault_oops` and the `Oops:` line of a page fault.
fn page_fault_lines(fault: &Fault, number: u32) -> Vec<String> {
    let error = fault.reg(libc::REG_ERR) & !PF_USER;
    let first = if fault.address < 4096 {
        format!("BUG: kernel NULL pointer dereference, address: {:016x}", fault.address)
    } else {
        format!("BUG: unable to handle page fault for address: {:016x}", fault.address)
    };
    let access = if error & PF_INSTR != 0 {
        "instruction fetch"
    } else if error & PF_WRITE != 0 {
        "write"
    } else {
        "read"
    };
    let page = if error & PF_PROT != 0 { "permissions violation" } else { "not-present page" };
    vec![
        first,
        format!("#PF: supervisor {access} access in kernel mode"),
        format!("#PF: error_code({error:#06x}) - {page}"),
        format!("Oops: {error:04x} [#{number}] SMP"),
    ]
}

/// `Code:` with the bytes around the faulting instruction, its first in `<>`.
fn code_line(ip: usize) -> String {
    const BEFORE: usize = 42;
    const AFTER: usize = 22;
    let bytes = read_memory(ip.saturating_sub(BEFORE), BEFORE + AFTER);
    if bytes.len() <= BEFORE {
        return format!("Code: Unable to access opcode bytes at {ip:#x}.");
    }
    let hex: Vec<String> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| if i == BEFORE { format!("<{b:02x}>") } else { format!("{b:02x}") })
        .collect();
    format!("Code: {}", hex.join(" "))
}

/// `show_regs`: the stack pointer and flags, then the registers three per line.
fn register_lines(fault: &Fault) -> Vec<String> {
    let r = |index: i32| fault.reg(index);
    let mut lines = vec![format!("RSP: 0018:{:016x} EFLAGS: {:08x}", r(libc::REG_RSP), r(libc::REG_EFL) & 0xffff_ffff)];
    let rows = [
        [("RAX", libc::REG_RAX), ("RBX", libc::REG_RBX), ("RCX", libc::REG_RCX)],
        [("RDX", libc::REG_RDX), ("RSI", libc::REG_RSI), ("RDI", libc::REG_RDI)],
        [("RBP", libc::REG_RBP), ("R08", libc::REG_R8), ("R09", libc::REG_R9)],
        [("R10", libc::REG_R10), ("R11", libc::REG_R11), ("R12", libc::REG_R12)],
        [("R13", libc::REG_R13), ("R14", libc::REG_R14), ("R15", libc::REG_R15)],
    ];
    for row in rows {
        let cells: Vec<String> = row.iter().map(|(name, index)| format!("{name}: {:016x}", r(*index))).collect();
        lines.push(cells.join(" "));
    }
    lines
}

/// A host name's offset for a return address (named at `address - 1`).
fn adjust_offset(name: &str) -> String {
    let Some((symbol, rest)) = name.rsplit_once("+0x") else { return name.to_string() };
    let (offset, size) = rest.split_once('/').map_or((rest, None), |(o, s)| (o, Some(s)));
    let Ok(offset) = usize::from_str_radix(offset, 16) else { return name.to_string() };
    match size {
        Some(size) => format!("{symbol}+{:#x}/{size}", offset + 1),
        None => format!("{symbol}+{:#x}", offset + 1),
    }
}

/// Whether a host frame reads as a function of its own (not a closure,
/// the runtime's glue, or an address).
fn is_named_host_frame(name: &str) -> bool {
    !(name.starts_with("0x") || name.contains("{{closure}}") || name.contains("__rust"))
}

/// Cuts a run of identical frames (a recursion that overflowed its stack)
/// to its first few and a count of the rest.
fn collapse_repeats(lines: &mut Vec<String>) {
    const KEEP: usize = 4;
    let mut out = Vec::with_capacity(lines.len());
    let mut at = 0;
    while at < lines.len() {
        let run = lines[at..].iter().take_while(|l| **l == lines[at]).count();
        out.extend(lines[at..at + run.min(KEEP)].iter().cloned());
        if run > KEEP {
            out.push(format!(" ... {} more of{}", run - KEEP, lines[at]));
        }
        at += run;
    }
    *lines = out;
}

/// `22s`, or `0.25s` under a second (a test's short threshold).
fn seconds(stuck: Duration) -> String {
    if stuck >= Duration::from_secs(1) {
        format!("{}s", stuck.as_secs())
    } else {
        format!("{:.2}s", stuck.as_secs_f64())
    }
}
