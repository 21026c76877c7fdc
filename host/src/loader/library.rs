//! Mapping module libraries in and out of the process.
//!
//! A module instance is one `dlopen` of the module's private, sealed copy
//! ([`SealedCopy`]: checked by [`elf`] before the dynamic linker reads it)
//! with `RTLD_NOW | RTLD_LOCAL`: every dynamic symbol is bound at load, and
//! nothing of the module is visible to other modules except through the
//! host's symbol table. Each copy is its own object to the dynamic linker,
//! so every instance has its own statics, and whatever happens to the file
//! afterwards (rebuilt, overwritten, truncated) never touches it.
//!
//! After `dlopen`, [`Memory`] is the loaded library as the checked layout
//! describes it: [`descriptor`] reads the `__this_module` descriptor
//! through it, every pointer inside the library's own segments before the
//! host follows it.
//!
//! # Unloading, verified
//!
//! [`Library::close`] calls `dlclose` and then walks the dynamic linker's
//! list of loaded objects (`dl_iterate_phdr`) for one still mapped at the
//! library's load address under its name: the same list `RTLD_NOLOAD`
//! consults, read without reopening the file. A library that stays
//! resident is reported, never assumed gone, with what pins it: glibc keeps
//! a library mapped while a thread it started runs (std registers a
//! thread-local destructor for it) or while a thread-local destructor it
//! registered on another thread is pending. [`threads_running_in`] finds
//! the first kind by reading the stacks of the threads no kernel started
//! for return addresses into the library's code; when none has any, the
//! pin is a thread-local destructor. A copy unmapped cleanly goes back to
//! [`SealedCopy::release`] for the next load of the same file; a pinned
//! one keeps its descriptor, so that its `/proc/self/fd/N` name is never
//! reused. A library dropped without [`Library::close`] is never unmapped.
//!
//! # Locking
//!
//! One process-wide lock, `LIBRARIES`, covers every open and every
//! close-and-verify, so that two hosts in one process (tests run in
//! parallel) never see each other's libraries mid-flight.
//!
//! [`elf`]: super::elf
//! [`descriptor`]: super::descriptor

use libloading::os::unix::{Library as RawLibrary, RTLD_LOCAL, RTLD_NOW};
use parking_lot::Mutex;
use std::{
    ffi::{CStr, c_void},
    fs::{File, OpenOptions},
    io, mem,
    ops::Range,
    os::unix::{ffi::OsStrExt, fs::OpenOptionsExt},
    path::{Path, PathBuf},
};

use super::{
    copy::{SealedCopy, SourceId},
    descriptor::Header,
    elf::{Layout, PF_W, PF_X},
};

/// Held across every `dlopen` and every `dlclose` with its check.
static LIBRARIES: Mutex<()> = Mutex::new(());

/// The identity of a module image's content, which caches of checks that
/// passed are keyed by: the unchanged file a copy was made from (all its
/// copies have the same bytes), or, for a copy that may differ from any
/// other (made from a file too recently changed to tell, or from bytes),
/// that copy alone. See [`SealedCopy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FileId {
    File(SourceId),
    Image(u64),
}

/// Why a file could not be mapped.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The file could not be read (missing, a directory, no permission).
    Io(io::Error),
    /// Not a loadable module image: the ELF checks or the dynamic linker
    /// refused it, with the reason.
    Format(String),
}

/// Whether `dlclose` really unmapped the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Residency {
    /// Gone from the dynamic linker's list of loaded objects.
    Unmapped,
    /// Still mapped after `dlclose`, and what pins it.
    StillResident(String),
}

/// One mapped module library. Only [`Library::close`] unmaps it: one
/// dropped unclosed (a load abandoned while its init still runs, a module
/// left loaded at shutdown) may still have code running in it, so it stays
/// mapped, its copy's descriptor open. Closing that descriptor would free
/// its `/proc/self/fd/N` name while the dynamic linker still lists the
/// object under it, and a later `dlopen` of another copy given the same
/// descriptor number would get the old object back.
#[derive(Debug)]
pub(crate) struct Library {
    /// `None` once closed or leaked.
    raw: Option<RawLibrary>,
    /// The file the user named.
    file: PathBuf,
    /// The sealed copy that is mapped; `None` once closed or leaked.
    copy: Option<SealedCopy>,
    /// What was passed to `dlopen`: the copy's `/proc/self/fd/N`.
    mapped_as: PathBuf,
    base: usize,
    size: u64,
    /// Where its code is mapped (its executable segments).
    text: Vec<Range<usize>>,
}

impl Library {
    /// Maps a private copy of `file` as a new module instance.
    pub(crate) fn open(file: &Path) -> Result<Library, OpenError> {
        let (source, meta) = open_module_file(file)?;
        let copy = SealedCopy::of_file(&source, &meta, file)?;
        drop(source);
        Library::map(file.to_path_buf(), copy)
    }

    /// Maps a private copy of `bytes`, named `file` in messages.
    pub(crate) fn open_bytes(bytes: &[u8], file: &Path) -> Result<Library, OpenError> {
        Library::map(file.to_path_buf(), SealedCopy::of_bytes(bytes)?)
    }

    fn map(file: PathBuf, copy: SealedCopy) -> Result<Library, OpenError> {
        let mapped_as = copy.path();
        let _libraries = LIBRARIES.lock();
        let raw = match dlopen(&mapped_as) {
            Ok(raw) => raw,
            Err(e) => {
                copy.release();
                return Err(e);
            }
        };
        let handle = raw.into_raw();
        let base = load_bias(handle);
        // SAFETY: `handle` came from `into_raw` just above and is given back
        // exactly once.
        let raw = unsafe { RawLibrary::from_raw(handle) };
        let layout = copy.layout();
        let page = super::copy::page_size() as usize;
        let pages = |s: &super::elf::Segment| {
            (base + s.range.start as usize) / page * page..(base + s.range.end as usize).div_ceil(page) * page
        };
        let size = layout.segments.iter().map(|s| pages(s).len() as u64).sum();
        let text = layout.segments.iter().filter(|s| s.flags & PF_X != 0).map(pages).collect();
        Ok(Library { raw: Some(raw), file, copy: Some(copy), mapped_as, base, size, text })
    }

    /// The exported `__this_module` descriptor, if the library defines one
    /// of at least the header's size inside its own segments.
    pub(crate) fn header(&self) -> Option<Header<'_>> {
        Header::find(self.memory(), self.layout().this_module.clone()?)
    }

    /// The `.modinfo` and `.modhost_tables` sections of the mapped copy.
    pub(crate) fn sections(&self) -> Result<super::sections::ModuleSections, super::sections::ReadError> {
        self.copy().with_bytes(super::sections::read_image).unwrap_or_else(|e| Err(super::sections::ReadError::Io(e)))
    }

    /// The symbols of the mapped copy (offsets from the load bias).
    pub(crate) fn symbols(&self) -> crate::services::kallsyms::Table {
        self.copy().symbols()
    }

    /// From the start of the first loaded segment to the end of the last.
    pub(crate) fn mapped(&self) -> Range<usize> {
        let segments = &self.layout().segments;
        let start = segments.iter().map(|s| s.range.start).min().unwrap_or(0) as usize;
        let end = segments.iter().map(|s| s.range.end).max().unwrap_or(0) as usize;
        self.base + start..self.base + end
    }

    /// The loaded library's memory, as its checked layout describes it.
    pub(crate) fn memory(&self) -> Memory<'_> {
        Memory { base: self.base, layout: self.layout() }
    }

    fn layout(&self) -> &Layout {
        self.copy().layout()
    }

    fn copy(&self) -> &SealedCopy {
        self.copy.as_ref().expect("an open library has its copy")
    }

    /// The file the user named.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// The identity of the mapped content, for caches keyed by content.
    pub(crate) fn file_id(&self) -> FileId {
        self.copy().id()
    }

    /// The address the library was mapped at.
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// The bytes its loadable segments occupy, page-rounded (the kernel's `coresize`).
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Unmaps the library and checks that it is gone.
    pub(crate) fn close(mut self) -> Residency {
        let _libraries = LIBRARIES.lock();
        let (raw, copy) = self.take();
        let _ = raw.close();
        if !is_loaded(self.base, &self.mapped_as) {
            copy.release();
            return Residency::Unmapped;
        }
        // A pinned copy keeps its descriptor, so that `/proc/self/fd/N` keeps
        // naming that copy and is never reused for another library.
        mem::forget(copy);
        let threads = threads_running_in(&self.text);
        Residency::StillResident(if threads.is_empty() {
            "pinned by a thread-local destructor of the module, pending on a thread still alive".to_string()
        } else {
            format!("pinned by {}, started by the module and still running its code", threads.join(", "))
        })
    }

    /// Keeps the library mapped for good: code still runs in it.
    pub(crate) fn leak(self) {
        drop(self);
    }

    fn take(&mut self) -> (RawLibrary, SealedCopy) {
        let raw = self.raw.take().expect("a library is closed once");
        let copy = self.copy.take().expect("a library is closed once");
        (raw, copy)
    }
}

impl Drop for Library {
    /// Leaks what was not closed: see [`Library`].
    fn drop(&mut self) {
        mem::forget(self.raw.take());
        mem::forget(self.copy.take());
    }
}

/// What a pointer into a library may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Data that is read.
    Read,
    /// Data that nothing may change: a read-only segment, or the part of a
    /// writable one protected after relocation (RELRO).
    ReadOnly,
    /// Data the host writes (an import slot): writable, outside RELRO.
    Write,
    /// Code that is called.
    Execute,
}

/// A loaded library's memory, as its checked [`Layout`] describes it:
/// every byte it hands out lies inside one of the library's loadable
/// segments, mapped while the library is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memory<'lib> {
    base: usize,
    layout: &'lib Layout,
}

impl<'lib> Memory<'lib> {
    /// The load bias: where link-time address 0 is mapped.
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// Whether `len` bytes at `address` lie inside one loaded segment that
    /// allows `access`.
    pub(crate) fn contains(&self, address: usize, len: usize, access: Access) -> bool {
        let Some(start) = address.checked_sub(self.base).map(|a| a as u64) else { return false };
        let Some(end) = start.checked_add(len as u64) else { return false };
        let in_relro =
            self.layout.relro.as_ref().map(|r| (r.start < end && start < r.end, r.start <= start && end <= r.end));
        let (touches_relro, inside_relro) = in_relro.unwrap_or((false, false));
        self.layout.segments.iter().any(|s| {
            let writable = s.flags & PF_W != 0;
            s.range.start <= start
                && end <= s.range.end
                && match access {
                    Access::Read => true,
                    Access::ReadOnly => !writable || inside_relro,
                    Access::Write => writable && !touches_relro,
                    Access::Execute => s.flags & PF_X != 0,
                }
        })
    }

    /// The `len` bytes at `address`, if they lie inside one loaded segment
    /// that allows `access` (which must not be `Execute`).
    pub(crate) fn bytes(&self, address: usize, len: usize, access: Access) -> Option<&'lib [u8]> {
        if access == Access::Execute || address == 0 || !self.contains(address, len, access) {
            return None;
        }
        // SAFETY: The range lies inside one readable loaded segment of the
        // library (all of them are readable: see `elf`), mapped for as long
        // as `'lib` borrows the library. Module code has not run, so nothing
        // writes these bytes while the host reads them.
        Some(unsafe { std::slice::from_raw_parts(address as *const u8, len) })
    }

    /// The `T` at `address` as a reference.
    ///
    /// # Safety
    ///
    /// `bytes(address, size_of::<T>(), Access::Read)` must have succeeded,
    /// `address` must be aligned for `T`, and its bytes must be a valid `T`:
    /// every field checked, every reference in it pointing to a valid value.
    /// The reference lives as long as the library stays mapped, which the
    /// caller guarantees past `'lib` where it keeps it (`'static` is the
    /// ABI's word for "as long as the module is loaded").
    pub(crate) unsafe fn cast<T>(&self, address: usize) -> &'static T {
        // SAFETY: By this function's contract.
        unsafe { &*(address as *const T) }
    }
}

/// Opens a module file without blocking, and refuses anything that is not a
/// regular file (a directory, a pipe, a device) before reading a byte.
fn open_module_file(file: &Path) -> Result<(File, std::fs::Metadata), OpenError> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(file)
        .map_err(OpenError::Io)?;
    let meta = opened.metadata().map_err(OpenError::Io)?;
    if meta.is_dir() {
        return Err(OpenError::Io(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    if !meta.is_file() {
        // `kernel_read_file`'s answer for anything but a regular file.
        return Err(OpenError::Io(io::Error::from_raw_os_error(libc::EINVAL)));
    }
    Ok((opened, meta))
}

fn dlopen(path: &Path) -> Result<RawLibrary, OpenError> {
    // SAFETY: Opening a library runs its initialisers; the copy has none
    // left (`elf::neutralise_constructors`), and everything the dynamic
    // linker reads of it was checked by `elf::check`. The libraries it
    // needs are the system's.
    unsafe { RawLibrary::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| OpenError::Format(dlerror_text(&e)))
}

/// glibc's reason, without the file name it starts with.
fn dlerror_text(e: &libloading::Error) -> String {
    let text = std::error::Error::source(e).map_or_else(|| e.to_string(), |source| source.to_string());
    text.rsplit_once(": ").map_or(text.clone(), |(_, reason)| reason.to_string())
}

/// Whether the dynamic linker still has an object loaded at `base` under
/// the name `path`.
fn is_loaded(base: usize, path: &Path) -> bool {
    struct Search<'a> {
        base: usize,
        name: &'a [u8],
        found: bool,
    }
    unsafe extern "C" fn visit(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> libc::c_int {
        // SAFETY: `data` is the `Search` passed to `dl_iterate_phdr` below and
        // `info` describes one loaded object; both are valid during the call.
        let (search, info) = unsafe { (&mut *data.cast::<Search<'_>>(), &*info) };
        if info.dlpi_addr as usize != search.base || info.dlpi_name.is_null() {
            return 0;
        }
        // SAFETY: A non-null `dlpi_name` is the object's NUL-terminated name.
        let name = unsafe { CStr::from_ptr(info.dlpi_name) };
        search.found = name.to_bytes() == search.name;
        libc::c_int::from(search.found)
    }
    let mut search = Search { base, name: path.as_os_str().as_bytes(), found: false };
    // SAFETY: `visit` matches the callback type and only touches `search`,
    // which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut search).cast::<c_void>()) };
    search.found
}

/// The first field of glibc's `struct link_map`: the load bias.
#[repr(C)]
struct LinkMap {
    l_addr: usize,
}

/// The load bias of a loaded library: where address 0 of its file is mapped.
fn load_bias(handle: *mut c_void) -> usize {
    let mut map: *const LinkMap = core::ptr::null();
    // SAFETY: `RTLD_DI_LINKMAP` stores a pointer to the object's link map,
    // valid while the object is loaded, in `map`.
    let ok = unsafe { libc::dlinfo(handle, libc::RTLD_DI_LINKMAP, (&raw mut map).cast::<c_void>()) };
    if ok != 0 || map.is_null() {
        return 0;
    }
    // SAFETY: `map` is valid while the library is loaded, which it is.
    unsafe { (*map).l_addr }
}

/// The threads the module started (`name (tid N)`) with a return
/// address into `text` on their stacks: threads running a library's code.
/// The kernels' own threads are left out: the host knows what they run,
/// and a stale word in one of their frames must not name them.
///
/// Each thread blocked in a system call shows its stack pointer in
/// `/proc/self/task/TID/syscall`; its live stack runs from there to the end
/// of the mapping that holds it. A thread caught running shows none, so it
/// is looked at again, a few times over a few milliseconds: a thread that
/// sleeps now and then (most do) is caught asleep. The stack is read with
/// `process_vm_readv`, which fails rather than faults if the thread exits
/// meanwhile and its stack is unmapped.
pub(crate) fn threads_running_in(text: &[Range<usize>]) -> Vec<String> {
    const LOOKS: usize = 10;
    if text.is_empty() {
        return Vec::new();
    }
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut ours = crate::services::task::kernel_thread_ids();
    ours.push(crate::services::task::current_tid());
    let mut unseen: Vec<(i32, PathBuf)> = tasks
        .flatten()
        .filter_map(|task| Some((task.file_name().to_string_lossy().parse::<i32>().ok()?, task.path())))
        .filter(|(tid, _)| !ours.contains(tid))
        .collect();
    let mut found = Vec::new();
    for look in 0..LOOKS {
        if look > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        unseen.retain(|(tid, dir)| {
            let Some(sp) = stack_pointer(dir) else { return dir.exists() };
            if mapping_of(&maps, sp).is_some_and(|stack| stack_holds(sp..stack.end, text)) {
                let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
                found.push(format!("thread {} (tid {tid})", comm.trim()));
            }
            false
        });
        if unseen.is_empty() {
            break;
        }
    }
    found
}

/// A blocked thread's stack pointer, from its `syscall` file.
fn stack_pointer(task: &Path) -> Option<usize> {
    let syscall = std::fs::read_to_string(task.join("syscall")).ok()?;
    let fields: Vec<&str> = syscall.split_whitespace().collect();
    // "nr arg1 .. arg6 sp pc" for a thread in a system call; "running" or
    // "-1 sp pc" otherwise.
    let sp = fields.get(fields.len().checked_sub(2)?)?;
    usize::from_str_radix(sp.trim_start_matches("0x"), 16).ok()
}

/// The mapping of `/proc/self/maps` that holds `address`.
fn mapping_of(maps: &str, address: usize) -> Option<Range<usize>> {
    maps.lines().find_map(|line| {
        let (start, end) = line.split_whitespace().next()?.split_once('-')?;
        let range = usize::from_str_radix(start, 16).ok()?..usize::from_str_radix(end, 16).ok()?;
        range.contains(&address).then_some(range)
    })
}

/// Whether the innermost frames of a stack hold a return address into
/// `text`: a word pointing just after a call instruction there. A thread
/// blocked in a module's code has one within a few frames of its stack
/// pointer; looking no deeper, and only at return addresses, keeps stale
/// words (a recycled thread stack once ran another module mapped at the
/// same place) from naming a thread that never ran this module.
fn stack_holds(stack: Range<usize>, text: &[Range<usize>]) -> bool {
    const INNERMOST: usize = 16 << 10;
    let words = read_memory(stack.start, (stack.end - stack.start).min(INNERMOST));
    words
        .chunks_exact(mem::size_of::<usize>())
        .map(|word| usize::from_ne_bytes(word.try_into().unwrap_or_default()))
        .filter(|word| text.iter().any(|range| range.contains(word) && range.start + 6 <= *word))
        .any(follows_a_call)
}

/// Whether the code before `address` ends with a call instruction (direct,
/// `call *%reg`, `call *disp(%reg)` or `call *disp(%rip)`).
fn follows_a_call(address: usize) -> bool {
    let before = read_memory(address - 6, 6);
    let [b6, b5, _, b3, b2, b1] = before[..] else { return false };
    b5 == 0xe8
        || (b6 == 0xff && b5 == 0x15)
        || (b2 == 0xff && b1 & 0xf8 == 0xd0)
        || (b3 == 0xff && b2 & 0xf8 == 0x50)
        || (b6 == 0xff && b5 & 0xf8 == 0x90)
}

/// Up to `len` bytes of this process's memory at `address`; fewer (or none)
/// where it is not mapped.
pub(crate) fn read_memory(address: usize, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let local = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: len };
    let remote = libc::iovec { iov_base: address as *mut c_void, iov_len: len };
    // SAFETY: `process_vm_readv` copies from this process's memory into
    // `buf`, whose length `local` gives; an unmapped source makes it fail
    // (`EFAULT`) or stop short, it never faults.
    let read = unsafe { libc::process_vm_readv(libc::getpid(), &raw const local, 1, &raw const remote, 1, 0) };
    buf.truncate(usize::try_from(read).unwrap_or(0));
    buf
}
