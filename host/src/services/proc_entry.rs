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
//! Kernel counterpart: `fs/proc/generic.c` (`proc_create_single`,
//! `proc_remove`), `fs/seq_file.c`.

use modhost_abi::table::Callback;
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;

use super::{
    Services,
    callback::ModuleCallback,
    object::{Kind, Object},
    record::ModuleRecord,
    task::Task,
};

/// The names the kernel's own `/proc` files use.
const RESERVED: [&str; 3] = ["modules", "kallsyms", "sys"];

/// The proc files of one kernel, by name.
pub(crate) type ProcEntries = Mutex<Vec<Arc<Object<ProcEntry>>>>;

/// One module's `/proc` file.
pub(crate) struct ProcEntry {
    name: String,
    show: ModuleCallback,
    /// `true` once removed; read-locked while the show function runs.
    removed: RwLock<bool>,
    /// The tasks whose show function runs now (a show function may remove
    /// its own file: it must not wait for itself).
    readers: Mutex<Vec<u64>>,
}

/// The text a show function writes during one read (`struct seq_file`).
#[derive(Debug, Default)]
pub(crate) struct SeqFile {
    pub(crate) text: Mutex<String>,
}

/// Why `proc_create` refused a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcError {
    /// Another file has it.
    Exists,
    /// Empty, or with a `/`.
    Invalid,
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
        Some(&self.show)
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
    let services = &owner.services;
    let mut entries = services.proc_entries.lock();
    if name.is_empty() || name.contains('/') {
        return Err(ProcError::Invalid);
    }
    if RESERVED.contains(&name) || entries.iter().any(|e| e.inner.name == name) {
        return Err(ProcError::Exists);
    }
    let entry = ProcEntry {
        name: name.to_string(),
        show: ModuleCallback::new(show),
        removed: RwLock::new(false),
        readers: Mutex::new(Vec::new()),
    };
    let Some((object, _)) = Object::new(Some(owner), services.id, site, entry).register() else { return Ok(None) };
    entries.push(Arc::clone(&object));
    Ok(Some(object))
}

/// Reads `/proc/NAME` from the module that made it, or `None` if there is no such file.
pub(crate) fn read(services: &Services, name: &str) -> Option<String> {
    let entry = services.proc_entries.lock().iter().find(|e| e.inner.name == name).cloned()?;
    let removed = entry.inner.removed.read();
    if *removed {
        return None;
    }
    let owner = entry.owner.as_ref()?;
    let (seq, handle) = Object::new(Some(owner), services.id, String::new(), SeqFile::default()).register()?;
    let task = Task::current();
    entry.inner.readers.lock().push(task.id());
    {
        let _context = owner.enter(&task);
        entry.inner.show.call(handle);
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
