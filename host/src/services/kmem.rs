//! Module memory: the blocks a module `kmalloc`s, and the kernel objects
//! living in them.
//!
//! Each module has one [`Kmem`]: a map from block address to its size and
//! allocation site. `kfree` of anything else (a double free, a pointer into
//! a block, a stack address) is reported and ignored, never passed to the
//! allocator. A C module embeds kernel objects (a `struct timer_list`, a
//! `work_struct`) in its memory; the host learns where each lives
//! ([`Kmem::object_at`]), so that freeing the block frees them too, and an
//! object in the module's own image is static (it dies with the module).
//! At unload, what the module never freed is reported with its size and
//! site, and freed.
//!
//! Locking: one mutex per module, never held while calling anything else.
//!
//! Kernel counterpart: `mm/slub.c` (`kmalloc`, `kfree`, `ksize`), and the
//! check of `debug_check_no_obj_freed` (`lib/debugobjects.c`).

use parking_lot::Mutex;
use std::{
    alloc::{self, Layout},
    collections::BTreeMap,
    ops::Range,
    sync::{Arc, OnceLock},
};

use super::object::AnyObject;

impl std::fmt::Debug for Kmem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kmem").field("blocks", &self.blocks.lock().len()).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Freed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Freed::Block { objects } => write!(f, "Block({} objects)", objects.len()),
            Freed::Invalid { inside } => write!(f, "Invalid({inside:?})"),
        }
    }
}

/// Every block is aligned to this (the kernel's `ARCH_KMALLOC_MINALIGN`
/// is 8; 16 suits any C type).
const ALIGN: usize = 16;

/// The largest block (`KMALLOC_MAX_SIZE` is 4 MiB; `vmalloc` allows more).
pub(crate) const MAX_BLOCK: usize = 1 << 30;

/// `__GFP_ZERO`.
pub(crate) const GFP_ZERO: u32 = 0x100;

/// One module's memory.
#[derive(Default)]
pub(crate) struct Kmem {
    blocks: Mutex<BTreeMap<usize, Block>>,
    /// The module's mapped image: objects there are static.
    image: OnceLock<Range<usize>>,
}

struct Block {
    size: usize,
    site: String,
    objects: Vec<Arc<dyn AnyObject>>,
}

/// What [`Kmem::kfree`] found.
pub(crate) enum Freed {
    /// The block, with the objects that lived in it (to free now).
    Block { objects: Vec<Arc<dyn AnyObject>> },
    /// Not a live block: the block it points into (`(start, size, site)`), if any.
    Invalid { inside: Option<(usize, usize, String)> },
}

impl Kmem {
    /// Records where the module's image is mapped.
    pub(crate) fn set_image(&self, image: Range<usize>) {
        let _ = self.image.set(image);
    }

    /// `kmalloc`: a new block of `size` bytes (zeroed with `zero`), or
    /// `None` when refused.
    pub(crate) fn kmalloc(&self, size: usize, zero: bool, site: String) -> Option<usize> {
        if size == 0 || size > MAX_BLOCK {
            return None;
        }
        let layout = Layout::from_size_align(size, ALIGN).ok()?;
        // SAFETY: `layout` has a non-zero size.
        let block = unsafe { if zero { alloc::alloc_zeroed(layout) } else { alloc::alloc(layout) } };
        if block.is_null() {
            return None;
        }
        let address = block as usize;
        self.blocks.lock().insert(address, Block { size, site, objects: Vec::new() });
        Some(address)
    }

    /// `kfree`: forgets the block at `address` and frees its memory.
    pub(crate) fn kfree(&self, address: usize) -> Freed {
        let mut blocks = self.blocks.lock();
        let Some(block) = blocks.remove(&address) else {
            let inside = containing(&blocks, address).map(|(start, b)| (start, b.size, b.site.clone()));
            return Freed::Invalid { inside };
        };
        drop(blocks);
        release(address, block.size);
        Freed::Block { objects: block.objects }
    }

    /// `ksize`: the size of the block at `address`.
    pub(crate) fn ksize(&self, address: usize) -> Option<usize> {
        self.blocks.lock().get(&address).map(|b| b.size)
    }

    /// Ties `object` to where it lives: a block (freed with it) or the
    /// module's image (`true`: the object is static).
    pub(crate) fn object_at(&self, object: Arc<dyn AnyObject>, address: usize) -> bool {
        if self.image.get().is_some_and(|image| image.contains(&address)) {
            return true;
        }
        let mut blocks = self.blocks.lock();
        let start = containing(&blocks, address).map(|(start, _)| start);
        if let Some(block) = start.and_then(|s| blocks.get_mut(&s)) {
            block.objects.retain(|o| !o.is_freed());
            block.objects.push(object);
        }
        false
    }

    /// Frees every block left, returning `(size, site)` of each.
    pub(crate) fn reclaim(&self) -> Vec<(usize, String)> {
        let blocks = std::mem::take(&mut *self.blocks.lock());
        blocks
            .into_iter()
            .map(|(address, block)| {
                release(address, block.size);
                (block.size, block.site)
            })
            .collect()
    }
}

/// The block containing `address`, if any.
fn containing(blocks: &BTreeMap<usize, Block>, address: usize) -> Option<(usize, &Block)> {
    let (&start, block) = blocks.range(..=address).next_back()?;
    (address < start + block.size).then_some((start, block))
}

/// Returns a block's memory to the allocator.
fn release(address: usize, size: usize) {
    let layout = Layout::from_size_align(size, ALIGN).expect("the layout kmalloc used");
    // SAFETY: `address` was returned by `alloc` with this layout (the map
    // held it until now, and removing it from the map makes this the only
    // release).
    unsafe { alloc::dealloc(address as *mut u8, layout) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_freed_once_and_bad_frees_say_where_they_point() {
        let kmem = Kmem::default();
        let a = kmem.kmalloc(24, true, "a.c:1".into()).unwrap();
        assert_eq!(kmem.ksize(a), Some(24));
        assert!(matches!(kmem.kfree(a + 8), Freed::Invalid { inside: Some((s, 24, _)) } if s == a));
        assert!(matches!(kmem.kfree(a), Freed::Block { .. }));
        assert!(matches!(kmem.kfree(a), Freed::Invalid { inside: None }));
        assert_eq!(kmem.ksize(a), None);
    }

    #[test]
    fn zero_and_absurd_sizes_are_refused_and_leftovers_reported() {
        let kmem = Kmem::default();
        assert_eq!(kmem.kmalloc(0, false, String::new()), None);
        assert_eq!(kmem.kmalloc(MAX_BLOCK + 1, false, String::new()), None);
        kmem.kmalloc(7, false, "leak.c:3".into()).unwrap();
        assert_eq!(kmem.reclaim(), vec![(7, "leak.c:3".to_string())]);
        assert!(kmem.reclaim().is_empty());
    }
}
