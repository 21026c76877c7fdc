//! `/sys/module/NAME/`: one directory per loaded module;
//! `/sys/kernel/debug/`, the fault-injection knobs and modhost's rates; and
//! `/sys/fs/pstore/dmesg-ramoops-0`, the log of the boot before, when it
//! panicked ([`crate::debug::pstore`]).
//!
//! `initstate`, `refcnt`, `coresize`, `taint` and (if the module has one)
//! `version`; `holders/` with one entry per module using it;
//! `parameters/` with one file per parameter whose permission bits are not
//! zero. A parameter file reads as its type's format with a newline; a write
//! is parsed by the same rules as insmod's arguments and the module is told,
//! and may refuse it. A module that is unloading refuses writes.
//!
//! Kernel counterpart: `kernel/module/sysfs.c`, `kernel/params.c`.

use modhost_abi::{errno::Errno, param::ParamValue};
use std::sync::Arc;

use super::Node;
use crate::{
    debug::{fault_inject, pstore},
    error::{Error, ErrorKind, Result},
    kernel::Kernel,
    loader::{Module, ModuleState, callers::Bounded, params},
    services::task::Task,
};

/// The node at `/sys/<parts>`.
pub(super) fn node(kernel: &Kernel, parts: &[&str]) -> Option<Node> {
    match parts {
        [] => Some(Node::Dir(vec!["fs/".into(), "kernel/".into(), "module/".into()])),
        ["kernel"] => Some(Node::Dir(vec!["debug/".into()])),
        ["kernel", "debug", rest @ ..] => debug_node(kernel, rest),
        ["fs"] => Some(Node::Dir(vec!["pstore/".into()])),
        ["fs", "pstore", rest @ ..] => pstore_node(rest),
        ["module"] => Some(Node::Dir(kernel.lsmod().into_iter().map(|m| format!("{}/", m.name)).collect())),
        ["module", name, rest @ ..] => module_node(kernel, &*find(kernel, name)?, rest),
        _ => None,
    }
}

/// `/sys/kernel/debug/`: the fault-injection knobs, and modhost's own
/// files (`modhost/rates`: [`super::rates`]).
fn debug_node(kernel: &Kernel, parts: &[&str]) -> Option<Node> {
    let faults = [&kernel.inner.services.failslab, &kernel.inner.services.fail_down];
    match parts {
        [] => Some(Node::Dir(faults.iter().map(|f| format!("{}/", f.name())).chain(["modhost/".into()]).collect())),
        ["modhost"] => Some(Node::Dir(vec!["rates".into()])),
        ["modhost", "rates"] => Some(Node::File(super::rates::rates_file(kernel))),
        [name] => faults
            .iter()
            .find(|f| f.name() == *name)
            .map(|_| Node::Dir(fault_inject::KNOBS.iter().map(|k| k.to_string()).collect())),
        [name, knob] => faults.iter().find(|f| f.name() == *name)?.read(knob).map(|v| Node::File(format!("{v}\n"))),
        _ => None,
    }
}

/// Writes a fault-injection knob, `/sys/kernel/debug/NAME/KNOB`; the
/// other files there are read-only.
pub(super) fn write_debug(kernel: &Kernel, name: &str, knob: &str, value: &str, path: &str) -> Result<()> {
    let services = &kernel.inner.services;
    let fault = [&services.failslab, &services.fail_down].into_iter().find(|f| f.name() == name);
    let fault = fault.ok_or_else(|| match kernel.node(path) {
        // A file that is not a knob (`modhost/rates`) is read-only.
        Ok(_) => Error::new(ErrorKind::PermissionDenied, Errno::EACCES, path, "permission denied"),
        Err(e) => e,
    })?;
    fault.write(knob, value).map_err(|why| Error::new(ErrorKind::Rejected, Errno::EINVAL, path, why))
}

/// `/sys/fs/pstore/`: the previous boot's log, if it panicked.
fn pstore_node(parts: &[&str]) -> Option<Node> {
    let dump = pstore::previous_dump();
    match parts {
        [] => Some(Node::Dir(dump.iter().map(|_| pstore::DUMP_NAME.to_string()).collect())),
        [name] if *name == pstore::DUMP_NAME => dump.map(|text| Node::File(text.to_string())),
        _ => None,
    }
}

fn find(kernel: &Kernel, name: &str) -> Option<Arc<Module>> {
    kernel.inner.modules.lock().find(name).cloned()
}

fn module_node(kernel: &Kernel, module: &Module, parts: &[&str]) -> Option<Node> {
    let modules = kernel.inner.modules.lock();
    match parts {
        [] => {
            let mut entries: Vec<String> =
                ["coresize", "holders/", "initstate", "refcnt", "taint"].into_iter().map(String::from).collect();
            if module.info.params.iter().any(|p| p.perm != 0) {
                entries.push("parameters/".into());
            }
            if !module.info.version.is_empty() {
                entries.push("version".into());
            }
            entries.sort();
            Some(Node::Dir(entries))
        }
        ["coresize"] => Some(Node::File(format!("{}\n", module.size))),
        ["initstate"] => Some(Node::File(format!("{}\n", module.state().initstate()))),
        ["refcnt"] => Some(Node::File(format!("{}\n", modules.refcount(module)))),
        ["taint"] => Some(Node::File(format!("{}\n", module.taints.letters()))),
        ["version"] if !module.info.version.is_empty() => Some(Node::File(format!("{}\n", module.info.version))),
        ["holders"] => Some(Node::Dir(modules.holders(module).iter().map(|h| h.name().to_string()).collect())),
        ["parameters"] if module.info.params.iter().any(|p| p.perm != 0) => {
            Some(Node::Dir(module.info.params.iter().filter(|p| p.perm != 0).map(|p| p.name.clone()).collect()))
        }
        ["parameters", param] => {
            let index = module.info.params.iter().position(|p| p.name == *param && p.perm != 0)?;
            let value = module.params.lock()[index].clone();
            Some(Node::File(params::format_value(&module.info.params[index], &value)))
        }
        _ => None,
    }
}

impl Kernel {
    /// Writes `/sys/module/NAME/parameters/PARAM`.
    pub(super) fn write_param(&self, name: &str, param: &str, data: &str, path: &str) -> Result<()> {
        let no_file = || Error::new(ErrorKind::NoSuchFile, Errno::ENOENT, path, "no such file or directory");
        let module = find(self, name).ok_or_else(no_file)?;
        let index = module.info.params.iter().position(|p| p.name == param && p.perm != 0).ok_or_else(no_file)?;
        let desc = &module.info.params[index];
        if desc.perm & 0o222 == 0 {
            return Err(Error::new(ErrorKind::PermissionDenied, Errno::EACCES, path, "permission denied"));
        }
        if module.state() != ModuleState::Live {
            return Err(Error::new(ErrorKind::Busy, Errno::ENODEV, path, "module is not live"));
        }
        let mut log = Vec::new();
        let parsed = params::parse_value(desc, Some(data), &mut log);
        log.iter().for_each(|(level, line)| self.inner.log(*level, line));
        let value = parsed.map_err(|errno| {
            Error::new(ErrorKind::InvalidParams, errno, path, format!("`{}' invalid: {errno}", data.trim_end()))
        })?;
        let target = Arc::clone(&module);
        let dying = Arc::clone(&module);
        let died = move || {
            // SAFETY: The notification's task died in `set_param` holding
            // this lock; its frames, the guard among them, never run again.
            unsafe { dying.param_writes.force_unlock() };
            Err(NotSet::Oops)
        };
        match self.inner.call_bounded("modhost", move || set_param(&target, index, value), died) {
            Bounded::Done(Ok(())) => Ok(()),
            Bounded::Done(Err(NotSet::NotLive)) => {
                Err(Error::new(ErrorKind::Busy, Errno::ENODEV, path, "module is not live"))
            }
            Bounded::Done(Err(NotSet::Refused(errno))) => {
                Err(Error::new(ErrorKind::Rejected, errno, path, format!("{name} refused the value: {errno}")))
            }
            Bounded::Done(Err(NotSet::Oops)) => Err(Error::new(
                ErrorKind::Rejected,
                Errno::EFAULT,
                path,
                format!("{name}'s notification was killed by an Oops (see dmesg)"),
            )),
            Bounded::Blocked(job) => {
                self.inner.report_blocked_call(&job);
                Err(Error::new(
                    ErrorKind::Busy,
                    Errno::EBUSY,
                    path,
                    format!("{name}'s notification did not return; the write completes when it does"),
                ))
            }
        }
    }
}

/// Why a parameter write did not take.
enum NotSet {
    /// The module started unloading.
    NotLive,
    /// The module's notification refused the value.
    Refused(Errno),
    /// The notification's task died of an Oops.
    Oops,
}

/// Stores the value and tells the module, on a caller task; restores the
/// old value if the module refuses it.
fn set_param(module: &Module, index: usize, value: ParamValue) -> std::result::Result<(), NotSet> {
    // Held across the module's notification, so rmmod waits for it.
    let _writing = module.param_writes.lock();
    if module.state() != ModuleState::Live {
        return Err(NotSet::NotLive);
    }
    let old = std::mem::replace(&mut module.params.lock()[index], value);
    let ret = {
        let _context = module.enter(&Task::current());
        (module.entry.param_changed)(u32::try_from(index).unwrap_or(u32::MAX))
    };
    if let Err(errno) = Errno::from_kernel(ret) {
        module.params.lock()[index] = old;
        return Err(NotSet::Refused(errno));
    }
    Ok(())
}
