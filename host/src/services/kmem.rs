//! Module memory: the blocks a module `kmalloc`s, and the kernel objects
//! living in them.
//!
//! Each module has one [`Kmem`]: a map from block address to its size and
//! where it was allocated ([`Origin`]). `kfree` of anything else (a double
//! free, a pointer into a block, a stack address) is a finding, never
//! passed to the allocator.
//!
//! The checks of KASAN and kmemleak, without instrumenting the module:
//! every block has a redzone after it, filled with [`REDZONE`]; a freed
//! block is filled with [`FREE_POISON`] and kept in a quarantine before
//! its memory goes back to the allocator. A redzone found changed (at
//! `kfree`, at unload) is an out-of-bounds write past the block; poison
//! found changed (as the block leaves the quarantine, at unload) is a
//! write after free; a `kfree` of a quarantined block is a double free.
//! Each is a [`Finding`] that `crate::debug::kasan` reports. A C module embeds kernel objects (a `struct timer_list`, a
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
    collections::{BTreeMap, VecDeque},
    ops::Range,
    sync::{Arc, OnceLock},
};

use super::object::AnyObject;

/// What fills the bytes after each block (KASAN's slab redzone).
pub(crate) const REDZONE: u8 = 0xfc;
/// What fills a freed block (`POISON_FREE`).
pub(crate) const FREE_POISON: u8 = 0x6b;
/// The redzone after each block, in bytes.
const REDZONE_BYTES: usize = 16;
/// The most bytes a module's quarantine keeps before the oldest go back.
const QUARANTINE_BYTES: usize = 1 << 20;

/// Where and by whom a block was allocated, or freed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The call's site in the module's source (`leak.c:12`).
    pub(crate) site: String,
    pub(crate) comm: String,
    pub(crate) pid: u64,
    pub(crate) jiffies: u64,
}

/// What the memory checks found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// `len` bytes written at `at`, past the end of the block.
    OutOfBounds { block: usize, size: usize, at: usize, len: usize, alloc: Origin },
    /// `len` bytes written at `at` in the block after it was freed.
    UseAfterFree { block: usize, size: usize, at: usize, len: usize, alloc: Origin, free: Origin },
    /// A block freed again (`free` is the first `kfree`).
    DoubleFree { block: usize, size: usize, alloc: Origin, free: Origin },
    /// A pointer that is no block: inside one (`(start, size, origin)`), or none.
    InvalidFree { address: usize, inside: Option<(usize, usize, Origin)> },
}

/// A block the module did not free by its unload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leak {
    pub(crate) address: usize,
    pub(crate) size: usize,
    pub(crate) alloc: Origin,
    /// Its first bytes, for the hex dump.
    pub(crate) head: Vec<u8>,
}

impl std::fmt::Debug for Kmem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kmem").field("blocks", &self.blocks.lock().len()).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Freed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Freed::Block { objects, findings } => write!(f, "Block({} objects, {findings:?})", objects.len()),
            Freed::Invalid(finding) => write!(f, "Invalid({finding:?})"),
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
    /// Freed blocks not yet given back, oldest first, and their bytes.
    quarantine: Mutex<(VecDeque<Quarantined>, usize)>,
    /// The module's mapped image: objects there are static.
    image: OnceLock<Range<usize>>,
}

/// A freed block's address, what it was, and who freed it.
type Quarantined = (usize, Block, Origin);

struct Block {
    size: usize,
    alloc: Origin,
    objects: Vec<Arc<dyn AnyObject>>,
}

/// What [`Kmem::kfree`] did.
pub(crate) enum Freed {
    /// The block, with the objects that lived in it (to free now), and
    /// what the checks found meanwhile.
    Block { objects: Vec<Arc<dyn AnyObject>>, findings: Vec<Finding> },
    /// Not a live block: nothing was freed.
    Invalid(Finding),
}

impl Kmem {
    /// Records where the module's image is mapped.
    pub(crate) fn set_image(&self, image: Range<usize>) {
        let _ = self.image.set(image);
    }

    /// `kmalloc`: a new block of `size` bytes (zeroed with `zero`), or
    /// `None` when refused.
    pub(crate) fn kmalloc(&self, size: usize, zero: bool, alloc: Origin) -> Option<usize> {
        if size == 0 || size > MAX_BLOCK {
            return None;
        }
        let layout = Layout::from_size_align(size + REDZONE_BYTES, ALIGN).ok()?;
        // SAFETY: `layout` has a non-zero size.
        let block = unsafe { if zero { alloc::alloc_zeroed(layout) } else { alloc::alloc(layout) } };
        if block.is_null() {
            return None;
        }
        // SAFETY: The redzone is the last `REDZONE_BYTES` of the allocation.
        unsafe { block.add(size).write_bytes(REDZONE, REDZONE_BYTES) };
        let address = block as usize;
        self.blocks.lock().insert(address, Block { size, alloc, objects: Vec::new() });
        Some(address)
    }

    /// `kfree`: checks the block at `address`, poisons it and puts it in
    /// the quarantine (giving back the oldest there).
    pub(crate) fn kfree(&self, address: usize, free: Origin) -> Freed {
        let mut blocks = self.blocks.lock();
        let Some(mut block) = blocks.remove(&address) else {
            let inside = containing(&blocks, address).map(|(start, b)| (start, b.size, b.alloc.clone()));
            drop(blocks);
            return Freed::Invalid(self.not_a_block(address, inside));
        };
        drop(blocks);
        let mut findings: Vec<Finding> = out_of_bounds(address, &block).into_iter().collect();
        let objects = std::mem::take(&mut block.objects);
        // SAFETY: The block's own bytes: it was live until now, and removed
        // from the map above, no one else frees or poisons it.
        unsafe { (address as *mut u8).write_bytes(FREE_POISON, block.size) };
        let mut quarantine = self.quarantine.lock();
        quarantine.1 += block.size;
        quarantine.0.push_back((address, block, free));
        while quarantine.1 > QUARANTINE_BYTES {
            let Some((old, block, free)) = quarantine.0.pop_front() else { break };
            quarantine.1 -= block.size;
            findings.extend(used_after_free(old, &block, &free));
            release(old, block.size);
        }
        Freed::Block { objects, findings }
    }

    /// The finding for a `kfree` of what is no live block.
    fn not_a_block(&self, address: usize, inside: Option<(usize, usize, Origin)>) -> Finding {
        let quarantine = self.quarantine.lock();
        match quarantine.0.iter().find(|(a, ..)| *a == address) {
            Some((block, freed, free)) => {
                Finding::DoubleFree { block: *block, size: freed.size, alloc: freed.alloc.clone(), free: free.clone() }
            }
            None => Finding::InvalidFree { address, inside },
        }
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

    /// At unload: checks and frees every block, live or quarantined;
    /// returns what was never freed, and what the checks found.
    pub(crate) fn reclaim(&self) -> (Vec<Leak>, Vec<Finding>) {
        let blocks = std::mem::take(&mut *self.blocks.lock());
        let (quarantined, _) = std::mem::take(&mut *self.quarantine.lock());
        let mut findings = Vec::new();
        for (address, block, free) in quarantined {
            findings.extend(used_after_free(address, &block, &free));
            release(address, block.size);
        }
        let leaks = blocks
            .into_iter()
            .map(|(address, block)| {
                findings.extend(out_of_bounds(address, &block));
                // SAFETY: The block's bytes, live until it is released below.
                let head = unsafe { std::slice::from_raw_parts(address as *const u8, block.size.min(32)) }.to_vec();
                release(address, block.size);
                Leak { address, size: block.size, alloc: block.alloc, head }
            })
            .collect();
        (leaks, findings)
    }
}

/// The redzone after a live block, if written.
fn out_of_bounds(address: usize, block: &Block) -> Option<Finding> {
    let (at, len) = changed(address + block.size, REDZONE_BYTES, REDZONE)?;
    Some(Finding::OutOfBounds { block: address, size: block.size, at, len, alloc: block.alloc.clone() })
}

/// The poison of a quarantined block, if written.
fn used_after_free(address: usize, block: &Block, free: &Origin) -> Option<Finding> {
    let (at, len) = changed(address, block.size, FREE_POISON)?;
    let (alloc, free) = (block.alloc.clone(), free.clone());
    Some(Finding::UseAfterFree { block: address, size: block.size, at, len, alloc, free })
}

/// The first run of bytes in `start..start + len` that are not `fill`:
/// its address and length.
fn changed(start: usize, len: usize, fill: u8) -> Option<(usize, usize)> {
    // SAFETY: Callers pass bytes of an allocation that is still theirs (a
    // block's redzone or a quarantined block).
    let bytes = unsafe { std::slice::from_raw_parts(start as *const u8, len) };
    let first = bytes.iter().position(|b| *b != fill)?;
    let run = bytes[first..].iter().take_while(|b| **b != fill).count();
    Some((start + first, run))
}

/// The block containing `address`, if any.
fn containing(blocks: &BTreeMap<usize, Block>, address: usize) -> Option<(usize, &Block)> {
    let (&start, block) = blocks.range(..=address).next_back()?;
    (address < start + block.size).then_some((start, block))
}

/// Returns a block's memory (and its redzone) to the allocator.
fn release(address: usize, size: usize) {
    let layout = Layout::from_size_align(size + REDZONE_BYTES, ALIGN).expect("the layout kmalloc used");
    // SAFETY: `address` was returned by `alloc` with this layout (the map
    // held it until now, and removing it from the map makes this the only
    // release).
    unsafe { alloc::dealloc(address as *mut u8, layout) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(site: &str) -> Origin {
        Origin { site: site.to_string(), ..Origin::default() }
    }

    #[test]
    fn blocks_are_freed_once_and_bad_frees_say_what_they_are() {
        let kmem = Kmem::default();
        let a = kmem.kmalloc(24, true, at("a.c:1")).unwrap();
        assert_eq!(kmem.ksize(a), Some(24));
        let inside = kmem.kfree(a + 8, at("a.c:2"));
        assert!(matches!(inside, Freed::Invalid(Finding::InvalidFree { inside: Some((s, 24, _)), .. }) if s == a));
        assert!(matches!(kmem.kfree(a, at("a.c:3")), Freed::Block { ref findings, .. } if findings.is_empty()));
        let again = kmem.kfree(a, at("a.c:4"));
        assert!(matches!(again, Freed::Invalid(Finding::DoubleFree { free, .. }) if free.site == "a.c:3"));
        assert_eq!(kmem.ksize(a), None);
    }

    #[test]
    fn a_write_past_the_end_is_found_at_kfree() {
        let kmem = Kmem::default();
        let a = kmem.kmalloc(12, false, at("oob.c:9")).unwrap();
        // SAFETY: The test writes one byte past the block: into its redzone.
        unsafe { ((a + 12) as *mut u8).write(b'!') };
        let Freed::Block { findings, .. } = kmem.kfree(a, at("oob.c:11")) else { panic!("a block") };
        assert_eq!(
            findings,
            vec![Finding::OutOfBounds { block: a, size: 12, at: a + 12, len: 1, alloc: at("oob.c:9") }]
        );
    }

    #[test]
    fn a_write_after_free_is_found_at_unload_and_leaks_are_listed() {
        let kmem = Kmem::default();
        let a = kmem.kmalloc(32, false, at("uaf.c:5")).unwrap();
        let leak = kmem.kmalloc(7, true, at("leak.c:3")).unwrap();
        assert!(matches!(kmem.kfree(a, at("uaf.c:6")), Freed::Block { .. }));
        // SAFETY: The block is quarantined, still mapped: the test plays a
        // module that writes after its kfree.
        unsafe { ((a + 4) as *mut u32).write(7) };
        let (leaks, findings) = kmem.reclaim();
        assert_eq!(leaks, vec![Leak { address: leak, size: 7, alloc: at("leak.c:3"), head: vec![0; 7] }]);
        assert!(
            matches!(&findings[..], [Finding::UseAfterFree { at, len: 4, free, .. }] if *at == a + 4 && free.site == "uaf.c:6"),
            "{findings:?}"
        );
        assert_eq!(kmem.reclaim(), (vec![], vec![]));
    }

    #[test]
    fn zero_and_absurd_sizes_are_refused() {
        let kmem = Kmem::default();
        assert_eq!(kmem.kmalloc(0, false, Origin::default()), None);
        assert_eq!(kmem.kmalloc(MAX_BLOCK + 1, false, Origin::default()), None);
    }
}
