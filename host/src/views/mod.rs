//! The views: how users look inside a running kernel.
//!
//! lsmod, modinfo and a small virtual filesystem of the kernel's own files:
//!
//! | path | contents |
//! |---|---|
//! | `/proc/modules` | the module list ([`lsmod`]) |
//! | `/proc/kallsyms` | every exported symbol with its address and owner |
//! | `/proc/sys/kernel/tainted` | the taint mask, in decimal |
//! | `/proc/timer_list` | armed timers and delayed work, soonest first |
//! | `/proc/devices` | the character devices' majors |
//! | `/dev/NAME` | a module's character device ([`devfs`]: [`Kernel::open`]) |
//! | `/sys/module/NAME/` | `initstate`, `refcnt`, `coresize`, `taint`, `version`, `holders/`, `parameters/` |
//! | `/sys/kernel/debug/modhost/rates` | the rate each work item or timer that re-arms itself achieves, beside its module's `rate` ([`rates`]) |
//! | `/sys/kernel/debug/failslab/`, `fail_down/` | the fault-injection knobs |
//! | `/sys/fs/pstore/dmesg-ramoops-0` | the log of the boot before, when it panicked (supervised kernels only) |
//!
//! Files are read with [`Kernel::read`], written with [`Kernel::write`] and
//! directories listed with [`Kernel::list`]; the shell's `cat`, `echo >` and
//! `ls` are those calls.
//!
//! Kernel counterpart: `kernel/module/procfs.c`, `kernel/module/sysfs.c`,
//! `kernel/params.c` (the `parameters/` files).

pub mod devfs;
pub mod lsmod;
pub mod modinfo;
mod procfs;
pub mod ps;
pub(crate) mod rates;
mod sysfs;
mod timer_list;

use modhost_abi::errno::Errno;

use crate::{
    error::{Error, ErrorKind, Result},
    kernel::Kernel,
    services::{self, task::Task},
};

/// A node of the virtual filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A file with these contents.
    File(String),
    /// A directory with these entries (a trailing `/` marks a directory).
    Dir(Vec<String>),
    /// A file a module made (`/proc/NAME`): its contents are what the
    /// module's show function (or its `read`) writes when it is read.
    ModuleFile(String),
    /// A character device, `/dev/NAME`: read and written through its
    /// module's file operations ([`Kernel::open`]).
    Device(String),
}

impl Kernel {
    /// Reads a `/proc` or `/sys` file, or a device (`/dev/NAME`) to its
    /// end: a device whose read sleeps until data comes makes this wait as
    /// long; [`Kernel::open`] and an [`crate::Interrupter`] give the
    /// caller a way out.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchFile`] for a path that does not exist or is a directory.
    pub fn read(&self, path: &str) -> Result<String> {
        Task::current().adopt(self.inner.id);
        match self.node(path)? {
            Node::File(contents) => Ok(contents),
            Node::ModuleFile(name) => procfs::read_module_file(self, &name, path),
            Node::Device(_) => self.read_file(path),
            Node::Dir(_) => Err(Error::new(ErrorKind::NoSuchFile, Errno::EISDIR, path, "is a directory")),
        }
    }

    /// Lists a `/proc` or `/sys` directory.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchFile`] for a path that does not exist or is a file.
    pub fn list(&self, path: &str) -> Result<Vec<String>> {
        match self.node(path)? {
            Node::Dir(entries) => Ok(entries),
            Node::File(_) | Node::ModuleFile(_) | Node::Device(_) => {
                Err(Error::new(ErrorKind::NoSuchFile, Errno::ENOTDIR, path, "not a directory"))
            }
        }
    }

    /// Writes a `/sys` file: today, a module parameter.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchFile`], [`ErrorKind::PermissionDenied`] for a file
    /// that is not writable, [`ErrorKind::InvalidParams`] for a bad value, or
    /// [`ErrorKind::Rejected`] when the module refused it.
    pub fn write(&self, path: &str, data: &str) -> Result<()> {
        Task::current().adopt(self.inner.id);
        let parts = components(path);
        match parts.as_slice() {
            ["sys", "module", module, "parameters", param] => self.write_param(module, param, data, path),
            ["sys", "kernel", "debug", name, knob] => sysfs::write_debug(self, name, knob, data, path),
            ["dev", _] => self.write_file(path, data),
            ["proc", name] if services::proc_entry::file_ops(&self.inner, name).is_some() => {
                self.write_file(path, data)
            }
            _ => match self.node(path) {
                Ok(_) => Err(Error::new(ErrorKind::PermissionDenied, Errno::EACCES, path, "permission denied")),
                Err(e) => Err(e),
            },
        }
    }

    /// The node at `path`.
    fn node(&self, path: &str) -> Result<Node> {
        let parts = components(path);
        let node = match parts.first() {
            None => Some(Node::Dir(vec!["dev/".into(), "proc/".into(), "sys/".into()])),
            Some(&"dev") => devfs::node(self, &parts[1..]),
            Some(&"proc") => procfs::node(self, &parts[1..]),
            Some(&"sys") => sysfs::node(self, &parts[1..]),
            Some(_) => None,
        };
        node.ok_or_else(|| Error::new(ErrorKind::NoSuchFile, Errno::ENOENT, path, "no such file or directory"))
    }
}

impl Kernel {
    /// `ls -l /dev`: one line per device node, with its major and minor.
    pub fn list_devices(&self) -> Vec<String> {
        devfs::long_listing(self)
    }
}

/// The components of an absolute path, `.` and empty ones dropped.
fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").collect()
}
