//! Module memory: the blocks a module `kmalloc`s, and the kernel objects
//! living in them.
//!
//! Each module has one [`Kmem`]: an index by address of every block it
//! holds, live or quarantined, with its size and where it was allocated
//! and freed ([`Origin`]). `kfree` of anything else (a double free, a
//! pointer into a block, a stack address) is a finding, never passed to
//! the allocator.
//!
//! The checks of KASAN and kmemleak: every block has a redzone after it,
//! filled with [`REDZONE`]; a freed block is filled with [`FREE_POISON`]
//! and kept in a quarantine before its memory goes back to the allocator.
//! Two ways find a bad access:
//!
//! - the bytes: a redzone found changed (at `kfree`, by the periodic
//!   check, at unload) is an out-of-bounds write past the block; poison
//!   found changed (as the block leaves the quarantine, by the periodic
//!   check, at unload) is a write after free ([`Kmem::scan`]);
//! - the access itself, in a module built with `KASAN=1`, whose every load
//!   and store asks [`Kmem::check_access`] first: one into a redzone or a
//!   quarantined block is found before it happens, read or write.
//!
//! Each is a [`Finding`] that `crate::debug::kasan` reports, once per
//! block and kind: a block remembers what of it was reported, so that no
//! later check reports the same corruption again. A `kfree` of a
//! quarantined block is a double free.
//!
//! A C module embeds kernel objects (a `struct timer_list`, a
//! `work_struct`) in its memory; the host learns where each lives
//! ([`Kmem::object_at`]), so that freeing the block frees them too, and an
//! object in the module's own image is static (it dies with the module).
//! At unload, what the module never freed is reported with its size and
//! site, and freed.
//!
//! Locking: the index has one mutex per module, which a `KASAN=1` module
//! takes on every access that may be to its heap; nothing under it
//! allocates but the index's own nodes (origins are counted references
//! made before, the quarantine is linked through the blocks, memory goes
//! back to the allocator after), nothing logs, and nothing else is locked.
//! An access outside every block ever made ([`Span`]) takes no lock at
//! all. The objects living in blocks have a lock of their own, taken
//! before the index's where both are.
//!
//! Kernel counterpart: `mm/slub.c` (`kmalloc`, `kfree`, `ksize`),
//! `mm/kasan/` (`kasan_check_range`, the quarantine), and the check of
//! `debug_check_no_obj_freed` (`lib/debugobjects.c`).

use parking_lot::Mutex;
use std::{
    alloc::{self, Layout},
    collections::BTreeMap,
    ops::Range,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
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

/// How a bad access was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A read, caught as the module's instrumented code made it.
    Read,
    /// A write, caught as the module's instrumented code made it.
    Write,
    /// Bytes found written, by a check after the fact.
    Written,
}

/// What the memory checks found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// `len` bytes accessed at `at`, touching the redzone after the block.
    OutOfBounds { block: usize, size: usize, at: usize, len: usize, access: Access, alloc: Arc<Origin> },
    /// `len` bytes accessed at `at` in the block after it was freed.
    UseAfterFree {
        block: usize,
        size: usize,
        at: usize,
        len: usize,
        access: Access,
        alloc: Arc<Origin>,
        free: Arc<Origin>,
    },
    /// A block freed again (`free` is the first `kfree`).
    DoubleFree { block: usize, size: usize, alloc: Arc<Origin>, free: Arc<Origin> },
    /// A pointer that is no block: inside a live one (`(start, size, origin)`), or none.
    InvalidFree { address: usize, inside: Option<(usize, usize, Arc<Origin>)> },
}

/// A block the module did not free by its unload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leak {
    pub(crate) address: usize,
    pub(crate) size: usize,
    pub(crate) alloc: Arc<Origin>,
    /// Its first bytes, for the hex dump.
    pub(crate) head: Vec<u8>,
}

impl std::fmt::Debug for Kmem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kmem").field("blocks", &self.index.lock().blocks.len()).finish_non_exhaustive()
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
    /// Every block, live or quarantined; see the module docs' locking.
    index: Mutex<Index>,
    /// Where blocks ever were: the access check's test without the lock.
    span: Span,
    /// The kernel objects living in each live block, by its address.
    objects: Mutex<BTreeMap<usize, Vec<Arc<dyn AnyObject>>>>,
    /// The module's mapped image: objects there are static.
    image: OnceLock<Range<usize>>,
}

/// The blocks by address, and the quarantine through them.
#[derive(Default)]
struct Index {
    blocks: BTreeMap<usize, Block>,
    /// The oldest and newest quarantined blocks; each links to the next
    /// newer one ([`Block::next`]).
    oldest: Option<usize>,
    newest: Option<usize>,
    /// The quarantined blocks' bytes.
    quarantined: usize,
}

struct Block {
    size: usize,
    alloc: Arc<Origin>,
    /// Who freed it: set while it is in the quarantine.
    free: Option<Arc<Origin>>,
    /// The next newer block in the quarantine.
    next: Option<usize>,
    /// What of its corruption was reported already.
    reported: Reported,
}

/// What a block's reports covered: each kind is reported once.
#[derive(Clone, Copy, Default)]
struct Reported {
    /// An access to its redzone, or the redzone found written.
    redzone: bool,
    /// An access to it after its free, or its poison found written.
    poison: bool,
}

/// The lowest start and highest end any block (with its redzone) ever
/// had. It only grows, so an access outside it is no block's, whatever
/// happened since; inside, the index says.
struct Span {
    low: AtomicUsize,
    high: AtomicUsize,
}

impl Default for Span {
    fn default() -> Self {
        Span { low: AtomicUsize::new(usize::MAX), high: AtomicUsize::new(0) }
    }
}

impl Span {
    /// Takes in `start..end`. Relaxed: a task accessing a block learned
    /// its address from `kmalloc`'s return, after this, through whatever
    /// ordered that.
    fn widen(&self, start: usize, end: usize) {
        self.low.fetch_min(start, Ordering::Relaxed);
        self.high.fetch_max(end, Ordering::Relaxed);
    }

    /// Whether `start..end` may touch a block.
    fn overlaps(&self, start: usize, end: usize) -> bool {
        start < self.high.load(Ordering::Relaxed) && end > self.low.load(Ordering::Relaxed)
    }
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
        self.span.widen(address, address + size + REDZONE_BYTES);
        let block = Block { size, alloc: Arc::new(alloc), free: None, next: None, reported: Reported::default() };
        self.index.lock().blocks.insert(address, block);
        Some(address)
    }

    /// `kfree`: checks the block at `address`, poisons it and puts it in
    /// the quarantine, giving back the oldest there.
    pub(crate) fn kfree(&self, address: usize, free: Origin) -> Freed {
        let free = Arc::new(free);
        let mut index = self.index.lock();
        let Some(block) = index.blocks.get_mut(&address).filter(|b| b.free.is_none()) else {
            let finding = index.not_a_block(address);
            drop(index);
            return Freed::Invalid(finding);
        };
        let out_of_bounds = check_bytes(address, block);
        // SAFETY: The block's own bytes: it is live, and this kfree, under
        // the index's lock, is the one that ends that.
        unsafe { (address as *mut u8).write_bytes(FREE_POISON, block.size) };
        block.free = Some(free);
        index.quarantine(address);
        drop(index);
        let mut findings: Vec<Finding> = out_of_bounds.into_iter().collect();
        loop {
            // The lock for the taking only: the check and the release after.
            let evicted = self.index.lock().evict();
            let Some((old, mut block)) = evicted else { break };
            findings.extend(std::iter::from_fn(|| check_bytes(old, &mut block)));
            release(old, block.size);
        }
        let objects = self.objects.lock().remove(&address).unwrap_or_default();
        Freed::Block { objects, findings }
    }

    /// `ksize`: the size of the live block at `address`.
    pub(crate) fn ksize(&self, address: usize) -> Option<usize> {
        self.index.lock().blocks.get(&address).filter(|b| b.free.is_none()).map(|b| b.size)
    }

    /// Ties `object` to where it lives: a block (freed with it) or the
    /// module's image (`true`: the object is static).
    pub(crate) fn object_at(&self, object: Arc<dyn AnyObject>, address: usize) -> bool {
        if self.image.get().is_some_and(|image| image.contains(&address)) {
            return true;
        }
        // The objects' lock first: a kfree that ends the block after the
        // look below takes the objects after this adds to them.
        let mut objects = self.objects.lock();
        let start = self.index.lock().live_containing(address).map(|(start, _)| start);
        if let Some(start) = start {
            let living = objects.entry(start).or_default();
            living.retain(|o| !o.is_freed());
            living.push(object);
        }
        false
    }

    /// `KASAN=1`'s check of an access of `len` bytes at `address`: a
    /// finding if it touches a redzone or a quarantined block not reported
    /// yet (the access then proceeds, as the kernel's report-and-continue).
    pub(crate) fn check_access(&self, address: usize, len: usize, access: Access) -> Option<Finding> {
        let end = address.checked_add(len)?;
        if len == 0 || !self.span.overlaps(address, end) {
            return None;
        }
        let mut index = self.index.lock();
        // The blocks the access overlaps, highest first: the report names
        // the lowest bad byte's block, as the kernel's shadow would.
        let mut hit = None;
        for (&start, block) in index.blocks.range(..end).rev() {
            if start + block.size + REDZONE_BYTES <= address {
                break;
            }
            let bad = if block.free.is_some() { start } else { start + block.size };
            let first = address.max(bad);
            if first < end && !block.reported_at(start, first) {
                hit = Some((start, first));
            }
        }
        let (start, first) = hit?;
        let block = index.blocks.get_mut(&start)?;
        let (size, alloc) = (block.size, Arc::clone(&block.alloc));
        match &block.free {
            Some(free) if first < start + size => {
                block.reported.poison = true;
                let free = Arc::clone(free);
                Some(Finding::UseAfterFree { block: start, size, at: address, len, access, alloc, free })
            }
            _ => {
                block.reported.redzone = true;
                Some(Finding::OutOfBounds { block: start, size, at: address, len, access, alloc })
            }
        }
    }

    /// The periodic check: the first corruption not reported yet of a
    /// block at `from` or above (a redzone written, poison written), with
    /// the block's address to go on from.
    pub(crate) fn scan(&self, from: usize) -> Option<(usize, Finding)> {
        let mut index = self.index.lock();
        index.blocks.range_mut(from..).find_map(|(&start, block)| Some((start, check_bytes(start, block)?)))
    }

    /// At unload: checks and frees every block, live or quarantined;
    /// returns what was never freed, and what the checks found.
    pub(crate) fn reclaim(&self) -> (Vec<Leak>, Vec<Finding>) {
        let index = std::mem::take(&mut *self.index.lock());
        let objects = std::mem::take(&mut *self.objects.lock());
        drop(objects);
        let mut findings = Vec::new();
        let mut leaks = Vec::new();
        for (address, mut block) in index.blocks {
            findings.extend(std::iter::from_fn(|| check_bytes(address, &mut block)));
            if block.free.is_none() {
                // SAFETY: The block's bytes, live until it is released below.
                let head = unsafe { std::slice::from_raw_parts(address as *const u8, block.size.min(32)) }.to_vec();
                leaks.push(Leak { address, size: block.size, alloc: Arc::clone(&block.alloc), head });
            }
            release(address, block.size);
        }
        (leaks, findings)
    }
}

impl Index {
    /// The finding for a `kfree` of what is no live block.
    fn not_a_block(&self, address: usize) -> Finding {
        match self.blocks.get(&address) {
            Some(Block { size, alloc, free: Some(free), .. }) => {
                Finding::DoubleFree { block: address, size: *size, alloc: Arc::clone(alloc), free: Arc::clone(free) }
            }
            _ => {
                let inside = self.live_containing(address).map(|(s, b)| (s, b.size, Arc::clone(&b.alloc)));
                Finding::InvalidFree { address, inside }
            }
        }
    }

    /// The live block whose bytes hold `address`, if any.
    fn live_containing(&self, address: usize) -> Option<(usize, &Block)> {
        let (&start, block) = self.blocks.range(..=address).next_back()?;
        (address < start + block.size && block.free.is_none()).then_some((start, block))
    }

    /// Appends the block at `address`, just freed, to the quarantine.
    fn quarantine(&mut self, address: usize) {
        let size = self.blocks.get(&address).map_or(0, |b| b.size);
        match self.newest.and_then(|newest| self.blocks.get_mut(&newest)) {
            Some(newest) => newest.next = Some(address),
            None => self.oldest = Some(address),
        }
        self.newest = Some(address);
        self.quarantined += size;
    }

    /// Takes the oldest block out of the quarantine while it holds too
    /// much, for its memory to go back.
    fn evict(&mut self) -> Option<(usize, Block)> {
        if self.quarantined <= QUARANTINE_BYTES {
            return None;
        }
        let oldest = self.oldest?;
        let block = self.blocks.remove(&oldest)?;
        self.oldest = block.next;
        if self.oldest.is_none() {
            self.newest = None;
        }
        self.quarantined -= block.size;
        Some((oldest, block))
    }
}

impl Block {
    /// Whether a bad access whose first bad byte is `first` is of a kind
    /// already reported for the block at `start`.
    fn reported_at(&self, start: usize, first: usize) -> bool {
        if first < start + self.size { self.reported.poison } else { self.reported.redzone }
    }
}

/// The first corruption of the block at `address` not reported yet: its
/// redzone written, or, quarantined, its poison; marked reported.
fn check_bytes(address: usize, block: &mut Block) -> Option<Finding> {
    let (size, alloc) = (block.size, &block.alloc);
    if !block.reported.redzone
        && let Some((at, len)) = changed(address + size, REDZONE_BYTES, REDZONE)
    {
        block.reported.redzone = true;
        let alloc = Arc::clone(alloc);
        return Some(Finding::OutOfBounds { block: address, size, at, len, access: Access::Written, alloc });
    }
    let free = block.free.as_ref().filter(|_| !block.reported.poison)?;
    let (at, len) = changed(address, size, FREE_POISON)?;
    let (alloc, free) = (Arc::clone(alloc), Arc::clone(free));
    block.reported.poison = true;
    Some(Finding::UseAfterFree { block: address, size, at, len, access: Access::Written, alloc, free })
}

/// The first run of bytes in `start..start + len` that are not `fill`:
/// its address and length.
fn changed(start: usize, len: usize, fill: u8) -> Option<(usize, usize)> {
    // SAFETY: Callers pass bytes of an allocation that is still theirs (a
    // block's redzone or a quarantined block), which only a module's bug
    // writes meanwhile: that write is what this looks for, and any byte
    // read is a valid `u8`.
    let bytes = unsafe { std::slice::from_raw_parts(start as *const u8, len) };
    let first = bytes.iter().position(|b| *b != fill)?;
    let run = bytes[first..].iter().take_while(|b| **b != fill).count();
    Some((start + first, run))
}

/// Returns a block's memory (and its redzone) to the allocator.
fn release(address: usize, size: usize) {
    let layout = Layout::from_size_align(size + REDZONE_BYTES, ALIGN).expect("the layout kmalloc used");
    // SAFETY: `address` was returned by `alloc` with this layout (the index
    // held it until now, and taking it out of the index makes this the only
    // release).
    unsafe { alloc::dealloc(address as *mut u8, layout) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(site: &str) -> Arc<Origin> {
        Arc::new(Origin { site: site.to_string(), ..Origin::default() })
    }

    fn kmalloc(kmem: &Kmem, size: usize, site: &str) -> usize {
        kmem.kmalloc(size, false, Origin { site: site.to_string(), ..Origin::default() }).expect("a block")
    }

    fn kfree(kmem: &Kmem, address: usize, site: &str) -> Freed {
        kmem.kfree(address, Origin { site: site.to_string(), ..Origin::default() })
    }

    #[test]
    fn blocks_are_freed_once_and_bad_frees_say_what_they_are() {
        let kmem = Kmem::default();
        let a = kmem.kmalloc(24, true, Origin::default()).unwrap();
        assert_eq!(kmem.ksize(a), Some(24));
        let inside = kfree(&kmem, a + 8, "a.c:2");
        assert!(matches!(inside, Freed::Invalid(Finding::InvalidFree { inside: Some((s, 24, _)), .. }) if s == a));
        assert!(matches!(kfree(&kmem, a, "a.c:3"), Freed::Block { ref findings, .. } if findings.is_empty()));
        let again = kfree(&kmem, a, "a.c:4");
        assert!(matches!(again, Freed::Invalid(Finding::DoubleFree { free, .. }) if free.site == "a.c:3"));
        assert_eq!(kmem.ksize(a), None);
        let inside_freed = kfree(&kmem, a + 8, "a.c:5");
        assert!(matches!(inside_freed, Freed::Invalid(Finding::InvalidFree { inside: None, .. })));
    }

    #[test]
    fn a_write_past_the_end_is_found_at_kfree() {
        let kmem = Kmem::default();
        let a = kmalloc(&kmem, 12, "oob.c:9");
        // SAFETY: The test writes one byte past the block: into its redzone.
        unsafe { ((a + 12) as *mut u8).write(b'!') };
        let Freed::Block { findings, .. } = kfree(&kmem, a, "oob.c:11") else { panic!("a block") };
        let access = Access::Written;
        assert_eq!(
            findings,
            vec![Finding::OutOfBounds { block: a, size: 12, at: a + 12, len: 1, access, alloc: at("oob.c:9") }]
        );
        assert_eq!(kmem.reclaim(), (vec![], vec![]), "reported once");
    }

    #[test]
    fn a_write_after_free_is_found_at_unload_and_leaks_are_listed() {
        let kmem = Kmem::default();
        let a = kmalloc(&kmem, 32, "uaf.c:5");
        let leak = kmem.kmalloc(7, true, Origin { site: "leak.c:3".into(), ..Origin::default() }).unwrap();
        assert!(matches!(kfree(&kmem, a, "uaf.c:6"), Freed::Block { .. }));
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
    fn an_access_is_checked_against_redzones_and_the_quarantine_once_per_block() {
        let kmem = Kmem::default();
        let a = kmalloc(&kmem, 10, "oob.c:12");
        let b = kmalloc(&kmem, 16, "uaf.c:15");
        assert_eq!(kmem.check_access(a, 10, Access::Write), None, "the block's own bytes");
        let stack = 0u64;
        assert_eq!(kmem.check_access(&raw const stack as usize, 8, Access::Read), None, "no block's");
        let over = kmem.check_access(a + 8, 4, Access::Read);
        assert!(
            matches!(&over, Some(Finding::OutOfBounds { block, at, len: 4, access: Access::Read, .. }) if *block == a && *at == a + 8),
            "{over:?}"
        );
        assert_eq!(kmem.check_access(a + 10, 1, Access::Write), None, "reported once per block");
        assert!(matches!(kfree(&kmem, b, "uaf.c:17"), Freed::Block { ref findings, .. } if findings.is_empty()));
        let after = kmem.check_access(b + 4, 4, Access::Write);
        assert!(
            matches!(&after, Some(Finding::UseAfterFree { at, access: Access::Write, free, .. }) if *at == b + 4 && free.site == "uaf.c:17"),
            "{after:?}"
        );
        // SAFETY: The write the access check above let through, as a module's would go on.
        unsafe { ((b + 4) as *mut u32).write(42) };
        // SAFETY: The one past the end the check above saw coming.
        unsafe { ((a + 10) as *mut u8).write(0) };
        assert!(matches!(kfree(&kmem, a, "oob.c:20"), Freed::Block { ref findings, .. } if findings.is_empty()));
        assert_eq!(kmem.scan(0), None, "what the accesses reported is not found again");
        assert_eq!(kmem.reclaim(), (vec![], vec![]));
    }

    #[test]
    fn the_periodic_scan_finds_each_corruption_once() {
        let kmem = Kmem::default();
        let kept = kmalloc(&kmem, 20, "keep.c:10");
        let freed = kmalloc(&kmem, 64, "keep.c:11");
        assert!(matches!(kfree(&kmem, freed, "keep.c:12"), Freed::Block { .. }));
        assert_eq!(kmem.scan(0), None);
        // SAFETY: One byte into the live block's redzone, one into the
        // quarantined block: what the scan is for.
        unsafe {
            ((kept + 21) as *mut u8).write(1);
            ((freed + 63) as *mut u8).write(1);
        }
        let mut found = Vec::new();
        let mut from = 0;
        while let Some((block, finding)) = kmem.scan(from) {
            found.push(finding);
            from = block;
        }
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|f| matches!(f, Finding::OutOfBounds { at, len: 1, .. } if *at == kept + 21)));
        assert!(found.iter().any(|f| matches!(f, Finding::UseAfterFree { at, len: 1, .. } if *at == freed + 63)));
        assert_eq!(kmem.scan(0), None);
        let Freed::Block { findings, .. } = kfree(&kmem, kept, "keep.c:20") else { panic!("a block") };
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(kmem.reclaim(), (vec![], vec![]));
    }

    #[test]
    fn the_quarantine_gives_back_its_oldest_blocks_checked() {
        let kmem = Kmem::default();
        let first = kmalloc(&kmem, QUARANTINE_BYTES / 2, "big.c:1");
        assert!(matches!(kfree(&kmem, first, "big.c:2"), Freed::Block { .. }));
        // SAFETY: A write after free into the quarantined first block.
        unsafe { (first as *mut u8).write(0) };
        let second = kmalloc(&kmem, QUARANTINE_BYTES / 2, "big.c:3");
        assert!(matches!(kfree(&kmem, second, "big.c:4"), Freed::Block { ref findings, .. } if findings.is_empty()));
        let third = kmalloc(&kmem, 64, "big.c:5");
        let Freed::Block { findings, .. } = kfree(&kmem, third, "big.c:6") else { panic!("a block") };
        assert!(matches!(&findings[..], [Finding::UseAfterFree { block, .. }] if *block == first), "{findings:?}");
        assert!(matches!(kfree(&kmem, first, "big.c:7"), Freed::Invalid(Finding::InvalidFree { inside: None, .. })));
        assert!(matches!(kfree(&kmem, second, "big.c:8"), Freed::Invalid(Finding::DoubleFree { .. })));
        assert_eq!(kmem.reclaim(), (vec![], vec![]));
    }

    #[test]
    fn zero_and_absurd_sizes_are_refused() {
        let kmem = Kmem::default();
        assert_eq!(kmem.kmalloc(0, false, Origin::default()), None);
        assert_eq!(kmem.kmalloc(MAX_BLOCK + 1, false, Origin::default()), None);
    }
}
