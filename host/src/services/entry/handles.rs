//! Handles: the numbers modules hold for their kernel objects, and the one
//! place they are checked.
//!
//! A [`Registry`] is a slab of slots. A handle is a slot's index and the
//! generation of the slot's occupant; freeing an occupant bumps its slot's
//! generation, so a handle that outlived its object (a use after free, a
//! double free) names an older generation and is refused as stale, and a
//! number that never named an object (a forged one) is refused as such.
//! Nothing a module passes is ever dereferenced before it was found here.
//!
//! # Lookups take no lock
//!
//! Every service call looks a handle up, and the lab's hottest path (a
//! fifo hand-off) makes several calls per item from two CPUs on the same
//! objects, so a lookup must not write to anything another CPU reads: no
//! lock, no reference count, no fence. Slots live in chunks that are never
//! moved or freed, and an occupant sits behind a pointer that a lookup
//! reads inside an RCU read section ([`super::rcu`]): it may use what it
//! found until the section ends. Freeing unlinks the occupant and defers
//! dropping it until no read section can still hold it. A caller that is
//! going to sleep takes its own reference and ends its section first, so
//! a sleeping task never holds reclamation up.
//!
//! Registration and freeing take the registry's lock (for the free list);
//! they are rare next to lookups.
//!
//! Kernel counterpart: none. The kernel trusts a module's pointers; an idr
//! (`lib/idr.c`) with generation numbers is the closest thing it has.

use parking_lot::Mutex;
use std::{
    ptr,
    sync::{
        Arc,
        atomic::{AtomicPtr, AtomicU32, Ordering},
    },
};

use super::rcu::{self, ReadGuard};

/// Slots per chunk.
const CHUNK: usize = 1024;
/// Chunks per registry: at most a million live handles of each kind.
const CHUNKS: usize = 1024;

/// Why a handle names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandleError {
    /// The null handle.
    Null,
    /// A number that never named an object here.
    Forged,
    /// It named an object that has been freed since; what it was, if known.
    Stale(Option<String>),
    /// The registry is full.
    Full,
}

/// A slab of `T`s by handle, each with a tag `M` a lookup reads without
/// calling into `T`; see the module docs.
pub(crate) struct Registry<T: ?Sized, M = ()> {
    /// Null until the chunk is first needed; then never moved or freed.
    chunks: [AtomicPtr<Slot<T, M>>; CHUNKS],
    free: Mutex<FreeList>,
}

#[derive(Debug, Default)]
struct FreeList {
    /// Freed slots, reused last freed first.
    indices: Vec<u32>,
    /// Slots ever used: the next new one.
    used: u32,
}

struct Slot<T: ?Sized, M> {
    /// A `Box<Occupant<T, M>>`, or null; dropped through [`rcu::defer`].
    occupant: AtomicPtr<Occupant<T, M>>,
    /// The generation of the current occupant, or of the next one once freed.
    generation: AtomicU32,
    /// What the last occupant was and where it was freed, for messages.
    last: Mutex<Option<String>>,
}

/// What a slot holds. Read by every call that names it: aligned so that no
/// other allocation written by another task shares its cache lines.
#[repr(align(128))]
struct Occupant<T: ?Sized, M> {
    generation: u32,
    tag: M,
    value: Arc<T>,
}

impl<T: ?Sized, M> Slot<T, M> {
    fn new() -> Slot<T, M> {
        Slot { occupant: AtomicPtr::new(ptr::null_mut()), generation: AtomicU32::new(1), last: Mutex::new(None) }
    }
}

/// A slot and the occupant a handle names in it.
type Found<'r, 'g, T, M> = (&'r Slot<T, M>, &'g Occupant<T, M>);

/// A handle's two halves: slot index and generation.
#[inline]
fn split(raw: u64) -> Option<(usize, u32)> {
    let index = usize::try_from(raw & 0xffff_ffff).ok()?.checked_sub(1)?;
    Some((index, (raw >> 32) as u32))
}

fn join(index: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | (index as u64 + 1)
}

impl<T: ?Sized + Send + Sync + 'static, M: Send + 'static> Registry<T, M> {
    /// An empty registry.
    pub(crate) const fn new() -> Registry<T, M> {
        Registry {
            chunks: [const { AtomicPtr::new(ptr::null_mut()) }; CHUNKS],
            free: Mutex::new(FreeList { indices: Vec::new(), used: 0 }),
        }
    }

    #[inline]
    fn slot(&self, index: usize) -> Option<&Slot<T, M>> {
        let chunk = self.chunks.get(index / CHUNK)?.load(Ordering::Acquire);
        // SAFETY: A non-null chunk is `CHUNK` slots leaked by `register`,
        // never freed, and `index % CHUNK` is within it.
        unsafe {
            chunk.as_ref()?;
            Some(&*chunk.add(index % CHUNK))
        }
    }

    /// Registers `value` with `tag`; returns its handle.
    pub(crate) fn register(&self, value: Arc<T>, tag: M) -> Result<u64, HandleError> {
        let index = {
            let mut free = self.free.lock();
            match free.indices.pop() {
                Some(index) => index as usize,
                None => {
                    let index = free.used as usize;
                    if index >= CHUNK * CHUNKS {
                        return Err(HandleError::Full);
                    }
                    let chunk = &self.chunks[index / CHUNK];
                    if chunk.load(Ordering::Acquire).is_null() {
                        // Made under the free list's lock, so once; leaked:
                        // lookups may hold slots of it at any time.
                        let slots: Box<[Slot<T, M>]> = (0..CHUNK).map(|_| Slot::new()).collect();
                        chunk.store(Box::leak(slots).as_mut_ptr(), Ordering::Release);
                    }
                    free.used += 1;
                    index
                }
            }
        };
        let slot = self.slot(index).ok_or(HandleError::Full)?;
        let generation = slot.generation.load(Ordering::Acquire);
        let occupant = Box::into_raw(Box::new(Occupant { generation, tag, value }));
        slot.occupant.store(occupant, Ordering::Release);
        Ok(join(index, generation))
    }

    /// The value `raw` names and its tag, valid while `guard`'s read
    /// section lasts.
    #[inline]
    pub(crate) fn get<'g>(&self, raw: u64, guard: &'g ReadGuard) -> Result<(&'g M, &'g Arc<T>), HandleError> {
        let (_, occupant) = self.find(raw, guard)?;
        Ok((&occupant.tag, &occupant.value))
    }

    /// Unregisters what `raw` names (the module freed it), remembering
    /// `what` for later messages about stale copies of the handle; returns it.
    pub(crate) fn unregister(
        &self,
        raw: u64,
        what: impl FnOnce(&T) -> String,
        guard: &ReadGuard,
    ) -> Result<Arc<T>, HandleError> {
        let (slot, occupant) = self.find(raw, guard)?;
        let unlinked = ptr::from_ref(occupant).cast_mut();
        if slot.occupant.compare_exchange(unlinked, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire).is_err() {
            // Freed by another task in the meantime.
            return Err(HandleError::Stale(slot.last.lock().clone()));
        }
        let value = Arc::clone(&occupant.value);
        *slot.last.lock() = Some(what(&value));
        slot.generation.fetch_add(1, Ordering::AcqRel);
        // SAFETY: `unlinked` came from `Box::into_raw` in `register`, and
        // the exchange above unlinked it: no later lookup finds it, and
        // this is the only owner that frees it.
        let unlinked = unsafe { Box::from_raw(unlinked) };
        // Readers may still hold it: dropped after a grace period.
        rcu::defer(unlinked);
        if let Some((index, _)) = split(raw) {
            self.free.lock().indices.push(u32::try_from(index).unwrap_or(u32::MAX));
        }
        Ok(value)
    }

    /// The slot and occupant `raw` names, or why there is none.
    #[inline]
    fn find<'g>(&self, raw: u64, _guard: &'g ReadGuard) -> Result<Found<'_, 'g, T, M>, HandleError> {
        let index = (raw & 0xffff_ffff).wrapping_sub(1) as usize;
        if let Some(slot) = self.slot(index) {
            let occupant = slot.occupant.load(Ordering::Acquire);
            // SAFETY: A non-null occupant is a live `Box` from `register`:
            // one unlinked after this load is dropped only after the read
            // section `_guard` stands for has ended (`rcu::defer`).
            if let Some(occupant) = unsafe { occupant.as_ref::<'g>() }
                && occupant.generation == (raw >> 32) as u32
            {
                return Ok((slot, occupant));
            }
        }
        Err(self.why_not(raw))
    }

    /// Why `raw` names nothing (the slow path of a lookup).
    #[cold]
    fn why_not(&self, raw: u64) -> HandleError {
        if raw == 0 {
            return HandleError::Null;
        }
        let Some((index, generation)) = split(raw) else { return HandleError::Forged };
        let Some(slot) = self.slot(index) else { return HandleError::Forged };
        if generation != 0 && generation < slot.generation.load(Ordering::Acquire) {
            HandleError::Stale(slot.last.lock().clone())
        } else {
            HandleError::Forged
        }
    }

    /// The tags of every registered value.
    pub(crate) fn tags(&self) -> Vec<M>
    where
        M: Copy,
    {
        let used = self.free.lock().used as usize;
        let _guard = rcu::read_lock();
        (0..used)
            .filter_map(|index| {
                let occupant = self.slot(index)?.occupant.load(Ordering::Acquire);
                // SAFETY: As in `find`: a non-null occupant lives until the
                // read section `guard` stands for has ended.
                unsafe { occupant.as_ref() }.map(|o| o.tag)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_finds_its_value_until_freed_and_never_after() {
        let registry: Registry<str> = Registry::new();
        let a = registry.register(Arc::from("a"), ()).expect("room");
        let guard = rcu::read_lock();
        assert_eq!(&**registry.get(a, &guard).expect("live").1, "a");
        let freed = registry.unregister(a, |v| format!("{v} freed at x"), &guard).expect("live");
        assert_eq!(&*freed, "a");
        assert_eq!(registry.get(a, &guard).err(), Some(HandleError::Stale(Some("a freed at x".into()))));
        assert!(matches!(registry.unregister(a, |_| String::new(), &guard), Err(HandleError::Stale(_))));
        let b = registry.register(Arc::from("b"), ()).expect("room");
        assert_eq!(split(a).map(|s| s.0), split(b).map(|s| s.0), "the slot is reused");
        assert!(registry.get(a, &guard).is_err(), "with a new generation");
        assert_eq!(&**registry.get(b, &guard).expect("live").1, "b");
    }

    #[test]
    fn numbers_that_never_were_handles_are_forged() {
        let registry: Registry<str> = Registry::new();
        let a = registry.register(Arc::from("a"), ()).expect("room");
        let guard = rcu::read_lock();
        assert_eq!(registry.get(0, &guard).err(), Some(HandleError::Null));
        assert_eq!(registry.get(a + (1 << 32), &guard).err(), Some(HandleError::Forged), "a later generation");
        assert_eq!(registry.get(a & 0xffff_ffff, &guard).err(), Some(HandleError::Forged), "generation 0");
        assert_eq!(registry.get(a + 7, &guard).err(), Some(HandleError::Forged), "a slot never used");
        assert_eq!(registry.get(u64::MAX, &guard).err(), Some(HandleError::Forged));
        assert_eq!(registry.tags().len(), 1);
    }
}

/// Every module of the process, by the handle its code calls with.
pub(crate) static MODULES: Registry<super::ModuleRecord> = Registry::new();

/// What a lookup checks of an object before it lends it: its kind and kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ObjectTag {
    /// The object's address (its `Object<T>`), for a lookup that need not
    /// read the `Arc`'s vtable.
    pub(crate) object: *const (),
    /// The `TypeId` of the object's `Object<T>`.
    pub(crate) kind: std::any::TypeId,
    /// The kind's name, for `/proc/slabinfo`.
    pub(crate) name: &'static str,
    /// The kernel it belongs to.
    pub(crate) kernel: u64,
}

// SAFETY: `object` is an address only a lookup dereferences, under the
// registry's rules (the tag is read in a read section, with its object).
unsafe impl Send for ObjectTag {}

/// How many objects of each kind the modules of `kernel` hold, by kind.
pub(crate) fn object_counts(kernel: u64) -> std::collections::BTreeMap<&'static str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for tag in OBJECTS.tags().into_iter().filter(|t| t.kernel == kernel) {
        *counts.entry(tag.name).or_insert(0) += 1;
    }
    counts
}

/// Every kernel object modules hold, by handle.
pub(crate) static OBJECTS: Registry<dyn super::AnyObject, ObjectTag> = Registry::new();

/// The services of the kernel the calling task belongs to, for reports
/// that have no module to go through.
pub(crate) fn all_services() -> Vec<Arc<super::Services>> {
    crate::services::kernel_of_current_task().into_iter().collect()
}
