//! `/proc` files that modules create.
//!
//! A module's proc file is an object it owns: the kernel keeps a list of
//! them by name, and a read of `/proc/NAME` calls the module's show function
//! in the module's context, under the entry's read lock. Removal takes the
//! write lock, so it waits for reads in progress, and the show function is
//! never called again after it.
//!
//! Kernel counterpart: `fs/proc/generic.c` (`proc_create_single`,
//! `proc_remove`).

use abi_stable::std_types::RStr;
use modhost_abi::{
    descriptor::ModuleHandle,
    services::{ObjectRef, ShowFn},
};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;

use super::{
    module_arc,
    object::{Kind, Object, Reclaim},
    printk::Level,
    task::Task,
};
use crate::kernel::KernelInner;

/// The names the kernel's own `/proc` files use.
const RESERVED: [&str; 3] = ["modules", "kallsyms", "sys"];

/// The proc files of one kernel, by name.
pub(crate) type ProcEntries = Mutex<Vec<Arc<Object<ProcEntry>>>>;

/// One module's `/proc` file.
pub(crate) struct ProcEntry {
    name: String,
    show: ShowFn,
    /// `true` once removed; read-locked while the show function runs.
    removed: RwLock<bool>,
}

impl Kind for ProcEntry {
    const TAG: u64 = 0x7072_6f63_6669_6c65;
    const NAME: &'static str = "proc file";
}

/// The names of the modules' proc files.
pub(crate) fn names(kernel: &KernelInner) -> Vec<String> {
    kernel.proc_entries.lock().iter().map(|e| e.inner.name.clone()).collect()
}

/// Reads `/proc/NAME` from the module that made it, or `None` if there is no such file.
pub(crate) fn read(kernel: &KernelInner, name: &str) -> Option<String> {
    let entry = kernel.proc_entries.lock().iter().find(|e| e.inner.name == name).cloned()?;
    let removed = entry.inner.removed.read();
    if *removed {
        return None;
    }
    let owner = entry.owner.upgrade()?;
    let _context = owner.enter(&Task::current());
    let text = (entry.inner.show.function)(entry.inner.show.context);
    Some(text.into_string())
}

fn unregister(kernel: &KernelInner, entry: &Object<ProcEntry>) {
    *entry.inner.removed.write() = true;
    kernel.proc_entries.lock().retain(|e| !std::ptr::eq(Arc::as_ptr(e), entry));
}

pub(super) extern "C" fn proc_create(handle: ModuleHandle, name: RStr<'_>, show: ShowFn) -> ObjectRef {
    let Some(module) = module_arc(handle) else { return ObjectRef::NULL };
    let Some(kernel) = module.kernel.upgrade() else { return ObjectRef::NULL };
    let name = name.as_str();
    let mut entries = kernel.proc_entries.lock();
    let taken = RESERVED.contains(&name) || entries.iter().any(|e| e.inner.name == name);
    if name.is_empty() || name.contains('/') || taken {
        drop(entries);
        let why = if taken { "already exists" } else { "is not a valid name" };
        kernel.log(Level::Err, &format!("{}: proc_create: /proc/{name} {why}", module.name()));
        return ObjectRef::NULL;
    }
    let entry = ProcEntry { name: name.to_string(), show, removed: RwLock::new(false) };
    let object = Object::new(&module, String::new(), entry);
    entries.push(Arc::clone(&object));
    object.into_ref()
}

pub(super) extern "C" fn proc_remove(file: ObjectRef) {
    let Some(entry) = Object::<ProcEntry>::get(file) else { return };
    if let Some(kernel) = entry.kernel() {
        unregister(&kernel, entry);
    }
    Object::<ProcEntry>::free(file);
}

impl Reclaim for Object<ProcEntry> {
    fn reclaim(&self, kernel: &KernelInner) -> Option<String> {
        if *self.inner.removed.read() {
            return None;
        }
        unregister(kernel, self);
        Some(format!("{} /proc/{} left in place; removed", ProcEntry::NAME, self.inner.name))
    }

    fn describe(&self) -> String {
        format!("{} /proc/{}", ProcEntry::NAME, self.inner.name)
    }

    fn freed(&self) -> bool {
        self.is_freed()
    }

    fn release_leaked(self: Arc<Self>) {
        self.release_if_leaked();
    }
}
