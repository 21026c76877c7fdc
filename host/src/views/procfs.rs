//! `/proc`: the module list, the exported symbols, the taint mask, the armed
//! timers, the device majors, and the files modules create (`/proc/fifo`,
//! read through a show function or through the module's file operations).
//!
//! `/proc/kallsyms` lists only what modules export, one line per symbol:
//! address, type (`T`, text), name and owner as the kernel prints them, then
//! modhost's additions: `GPL` for a GPL-only export and `NS:NAME` for a
//! namespaced one.
//!
//! (fields separated by tabs, as in the kernel's file)
//!
//! ```text
//! 00007f3a2c01b2c0 T fifo_put<TAB>[fifo]<TAB>GPL
//! ```
//!
//! `/proc/slabinfo` counts the kernel objects the modules hold, by kind
//! (the kernel's counts its slab caches): what a module frees disappears
//! from it, and after a module's unload nothing of it is left.
//!
//! ```text
//! slabinfo - version: 2.1 (modhost)
//! # name            <active_objs>
//! semaphore                    2
//! ```
//!
//! Kernel counterpart: `kernel/module/procfs.c`, `kernel/kallsyms.c`,
//! `kernel/sysctl.c` (`tainted`), `mm/slab_common.c` (`slabinfo`).

use modhost_abi::errno::Errno;
use std::sync::Arc;

use super::{Node, lsmod::format_proc_modules, timer_list::timer_list};
use crate::{
    error::{Error, ErrorKind, Result},
    kernel::Kernel,
    loader::callers::Bounded,
    services::{entry::handles::object_counts, proc_entry},
};

/// The node at `/proc/<parts>`.
pub(super) fn node(kernel: &Kernel, parts: &[&str]) -> Option<Node> {
    match parts {
        [] => {
            let kernel_entries = proc_entry::KERNEL_ENTRIES.iter().map(|name| match *name {
                "sys" => "sys/".to_string(),
                file => file.to_string(),
            });
            let mut entries: Vec<String> = kernel_entries.chain(proc_entry::names(&kernel.inner)).collect();
            entries.sort();
            Some(Node::Dir(entries))
        }
        ["modules"] => Some(Node::File(format_proc_modules(&kernel.lsmod()))),
        ["devices"] => Some(Node::File(super::devfs::proc_devices(kernel))),
        ["kallsyms"] => Some(Node::File(kallsyms(kernel))),
        ["timer_list"] => Some(Node::File(timer_list(kernel))),
        ["slabinfo"] => Some(Node::File(slabinfo(kernel))),
        ["sys"] => Some(Node::Dir(vec!["kernel/".into()])),
        ["sys", "kernel"] => Some(Node::Dir(vec!["tainted".into()])),
        ["sys", "kernel", "tainted"] => Some(Node::File(format!("{}\n", kernel.taint().mask()))),
        [name] => {
            proc_entry::names(&kernel.inner).contains(&name.to_string()).then(|| Node::ModuleFile(name.to_string()))
        }
        _ => None,
    }
}

/// Reads `/proc/NAME` of a module: its show function runs on a `cat`
/// caller task, waited for at most the exit timeout.
pub(super) fn read_module_file(kernel: &Kernel, name: &str, path: &str) -> Result<String> {
    if proc_entry::file_ops(&kernel.inner, name).is_some() {
        return kernel.read_file(path);
    }
    let inner = Arc::clone(&kernel.inner);
    let entry = name.to_string();
    match kernel.inner.call_bounded("cat", move || Some(proc_entry::read(&inner, &entry)), || None) {
        Bounded::Done(Some(Some(text))) => Ok(text),
        Bounded::Done(Some(None)) => {
            Err(Error::new(ErrorKind::NoSuchFile, Errno::ENOENT, path, "no such file or directory"))
        }
        Bounded::Done(None) => Err(Error::new(
            ErrorKind::Io,
            Errno::EFAULT,
            path,
            "the module's show function was killed by an Oops (see dmesg)",
        )),
        Bounded::Blocked(job) => {
            kernel.inner.report_blocked_call(&job);
            Err(Error::new(
                ErrorKind::Busy,
                Errno::EBUSY,
                path,
                "the module's show function did not return; the read is abandoned",
            ))
        }
    }
}

fn slabinfo(kernel: &Kernel) -> String {
    let mut out = "slabinfo - version: 2.1 (modhost)\n# name            <active_objs>\n".to_string();
    for (kind, count) in object_counts(kernel.inner.id) {
        out.push_str(&format!("{kind:<17} {count:>13}\n"));
    }
    out
}

fn kallsyms(kernel: &Kernel) -> String {
    let modules = kernel.inner.modules.lock();
    let mut symbols: Vec<_> = modules.symbols.iter().collect();
    symbols.sort_by_key(|e| (e.address, e.name.clone()));
    let mut out = String::new();
    for e in symbols {
        out.push_str(&format!("{:016x} T {}\t[{}]", e.address, e.name, e.owner_name));
        if e.gpl_only {
            out.push_str("\tGPL");
        }
        if !e.namespace.is_empty() {
            out.push_str(&format!("\tNS:{}", e.namespace));
        }
        out.push('\n');
    }
    out
}
