//! `/proc` files that modules create.
//!
//! A module's proc file is an object it owns: the kernel keeps a list of
//! them by name, and a read of `/proc/NAME` calls the module's show
//! function in the module's context, under the entry's read lock, with a
//! `seq_file` to write to: an object of its own, registered for the length
//! of the read, so that a show function keeping its handle finds it stale
//! afterwards. Removal takes the write lock, so it waits for reads in
//! progress, and the show function is never called again after it.
//!
//! Names are checked as `__proc_create` and `proc_register` check them,
//! with the kernel's WARN text ([`ProcError::warning`]): a name the kernel's
//! own files use ([`KERNEL_ENTRIES`]) or another module's is already
//! registered; a `/` names a directory modules cannot make here; empty,
//! over 255 bytes, `.`, `..` and numbers (`/proc/PID`) are refused. modhost
//! refuses control characters too (the kernel does not), so that every name
//! is one line of `ls /proc`.
//!
//! Kernel counterpart: `fs/proc/generic.c` (`proc_create_single`,
//! `__proc_create`, `xlate_proc_name`, `proc_register`, `proc_remove`),
//! `fs/seq_file.c`.

use modhost_abi::{
    errno::Errno,
    table::{Callback, FileOps},
};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;

use super::{
    Services,
    callback::ModuleCallback,
    object::{Kind, Object},
    record::ModuleRecord,
    task::Task,
};

/// The kernel's own `/proc` entries (`sys` is a directory): the views serve
/// them, and no module may register these names.
pub(crate) const KERNEL_ENTRIES: [&str; 6] = ["devices", "kallsyms", "modules", "slabinfo", "sys", "timer_list"];

/// The longest name `__proc_create` takes (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// The proc files of one kernel, by name.
pub(crate) type ProcEntries = Mutex<Vec<Arc<Object<ProcEntry>>>>;

/// One module's `/proc` file.
pub(crate) struct ProcEntry {
    name: String,
    body: ProcBody,
    /// `true` once removed; read-locked while the show function runs.
    removed: RwLock<bool>,
    /// The tasks whose show function runs now (a show function may remove
    /// its own file: it must not wait for itself).
    readers: Mutex<Vec<u64>>,
}

/// What reading a module's `/proc` file calls.
pub(crate) enum ProcBody {
    /// A show function (`proc_create_single`): one read is one call.
    Show(ModuleCallback),
    /// File operations (`proc_create` with `file_operations` or
    /// `proc_ops`): opened, read and written as a device is ([`super::chardev`]).
    Ops(FileOps),
}

/// The text a show function writes during one read (`struct seq_file`).
#[derive(Debug, Default)]
pub(crate) struct SeqFile {
    pub(crate) text: Mutex<String>,
}

/// Why `proc_create` refused a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcError {
    /// The kernel's file or another module's has it (`proc_register`).
    Exists,
    /// It has a `/`: a directory that is not there (`xlate_proc_name`).
    NoDirectory,
    /// Empty, or longer than `NAME_MAX`.
    Length,
    /// `.` or `..`.
    Dots,
    /// A number: the name of a process's directory.
    Number,
    /// A control character, such as a newline.
    Control,
}

impl ProcError {
    /// Why `name` may not be a module's `/proc` file, if it may not;
    /// `taken` tells whether another file has it.
    fn check(name: &str, taken: bool) -> Result<(), ProcError> {
        if name.contains('/') {
            Err(ProcError::NoDirectory)
        } else if name.is_empty() || name.len() > NAME_MAX {
            Err(ProcError::Length)
        } else if name == "." || name == ".." {
            Err(ProcError::Dots)
        } else if name.parse::<u32>().is_ok_and(|n| n != u32::MAX) {
            Err(ProcError::Number)
        } else if name.chars().any(char::is_control) {
            Err(ProcError::Control)
        } else if taken || KERNEL_ENTRIES.contains(&name) {
            Err(ProcError::Exists)
        } else {
            Ok(())
        }
    }

    /// The kernel's WARN text for `name` (a control character escaped).
    pub(crate) fn warning(self, name: &str) -> String {
        let shown = name.escape_debug();
        match self {
            ProcError::Exists => format!("proc_dir_entry '/proc/{shown}' already registered"),
            ProcError::NoDirectory | ProcError::Control => format!("name '{shown}'"),
            ProcError::Length => format!("name len {}", name.len()),
            ProcError::Dots => format!("name '{shown}'"),
            ProcError::Number => format!("create '/proc/{shown}' by hand"),
        }
    }

    /// What the module's call returns.
    pub(crate) fn errno(self) -> Errno {
        match self {
            ProcError::Exists => Errno::EEXIST,
            ProcError::NoDirectory => Errno::ENOENT,
            _ => Errno::EINVAL,
        }
    }
}

impl Kind for ProcEntry {
    const NAME: &'static str = "proc file";

    fn stop(object: &Object<ProcEntry>) -> Option<String> {
        let services = object.services()?;
        let listed = services.proc_entries.lock().iter().any(|e| std::ptr::eq(Arc::as_ptr(e), object));
        if !listed {
            return None;
        }
        unregister(services, object);
        Some("left in place; removed".to_string())
    }

    fn detail(&self) -> Option<String> {
        Some(format!("/proc/{}", self.name))
    }

    fn callback(&self) -> Option<&ModuleCallback> {
        match &self.body {
            ProcBody::Show(show) => Some(show),
            ProcBody::Ops(_) => None,
        }
    }
}

impl Kind for SeqFile {
    const NAME: &'static str = "seq_file";
}

/// The names of the modules' proc files.
pub(crate) fn names(services: &Services) -> Vec<String> {
    services.proc_entries.lock().iter().map(|e| e.inner.name.clone()).collect()
}

/// `proc_create_single` for `owner`: the entry, or why the name was refused.
pub(crate) fn create(
    owner: &Arc<ModuleRecord>,
    name: &str,
    show: Callback,
    site: String,
) -> Result<Option<Arc<Object<ProcEntry>>>, ProcError> {
    create_with(owner, name, ProcBody::Show(ModuleCallback::new(show)), site)
}

/// `proc_create` with file operations for `owner`.
pub(crate) fn create_with(
    owner: &Arc<ModuleRecord>,
    name: &str,
    body: ProcBody,
    site: String,
) -> Result<Option<Arc<Object<ProcEntry>>>, ProcError> {
    let services = &owner.services;
    let mut entries = services.proc_entries.lock();
    ProcError::check(name, entries.iter().any(|e| e.inner.name == name))?;
    let entry =
        ProcEntry { name: name.to_string(), body, removed: RwLock::new(false), readers: Mutex::new(Vec::new()) };
    let Some((object, _)) = Object::new(Some(owner), services.id, site, entry).register() else { return Ok(None) };
    entries.push(Arc::clone(&object));
    Ok(Some(object))
}

/// The module and file operations of `/proc/NAME`, if it is a file with
/// operations (rather than a show function).
pub(crate) fn file_ops(services: &Services, name: &str) -> Option<(Arc<ModuleRecord>, FileOps)> {
    let entries = services.proc_entries.lock();
    let entry = entries.iter().find(|e| e.inner.name == name)?;
    match &entry.inner.body {
        ProcBody::Ops(ops) => Some((entry.owner.clone()?, *ops)),
        ProcBody::Show(_) => None,
    }
}

/// Reads `/proc/NAME` from the module that made it, or `None` if there is
/// no such file (or it is one with file operations: see [`file_ops`]).
pub(crate) fn read(services: &Services, name: &str) -> Option<String> {
    let entry = services.proc_entries.lock().iter().find(|e| e.inner.name == name).cloned()?;
    let removed = entry.inner.removed.read();
    let ProcBody::Show(show) = &entry.inner.body else { return None };
    if *removed {
        return None;
    }
    let owner = entry.owner.as_ref()?;
    let (seq, handle) = Object::new(Some(owner), services.id, String::new(), SeqFile::default()).register()?;
    let task = Task::current();
    entry.inner.readers.lock().push(task.id());
    {
        let _context = owner.enter(&task);
        show.call(handle);
    }
    entry.inner.readers.lock().retain(|id| *id != task.id());
    seq.free_leftover_quietly();
    let text = std::mem::take(&mut *seq.inner.text.lock());
    Some(text)
}

/// `proc_remove`: waits for reads in progress (but the caller's own, from
/// the show function), then takes the file away.
pub(crate) fn unregister(services: &Services, entry: &Object<ProcEntry>) {
    services.proc_entries.lock().retain(|e| !std::ptr::eq(Arc::as_ptr(e), entry));
    let me = Task::with_current(|t| t.id());
    if !entry.inner.readers.lock().contains(&me) {
        *entry.inner.removed.write() = true;
    }
}

impl Object<SeqFile> {
    /// Ends the read: the show function's handle goes stale.
    fn free_leftover_quietly(&self) {
        use super::object::AnyObject;
        self.free_leftover();
    }
}

#[cfg(test)]
mod tests {
    use super::ProcError;

    #[test]
    fn names_are_checked_as_the_kernel_checks_them() {
        let warning = |name: &str| ProcError::check(name, false).map_err(|e| (e.warning(name), e.errno()));
        assert_eq!(warning("fifo"), Ok(()));
        assert_eq!(
            warning("timer_list"),
            Err(("proc_dir_entry '/proc/timer_list' already registered".into(), modhost_abi::errno::Errno::EEXIST))
        );
        assert_eq!(warning("a/b").unwrap_err().0, "name 'a/b'");
        assert_eq!(warning("a\nb").unwrap_err().0, "name 'a\\nb'");
        assert_eq!(warning("").unwrap_err().0, "name len 0");
        assert_eq!(warning("..").unwrap_err().0, "name '..'");
        assert_eq!(warning("42").unwrap_err().0, "create '/proc/42' by hand");
        assert_eq!(ProcError::check("fifo", true), Err(ProcError::Exists));
    }
}
