//! Mapping plugin libraries in and out of the process: the loader's only unsafe file.
//!
//! A module instance is one `dlopen` of a `.so` with `RTLD_NOW | RTLD_LOCAL`:
//! every dynamic symbol is bound at load, and nothing of the plugin is
//! visible to other plugins except through the host's symbol table.
//!
//! # Instances
//!
//! glibc returns the already-loaded object when the same file is opened
//! twice, so a second instance of `producer.so` would share the first one's
//! statics. The second and later instances are therefore loaded from a
//! private copy in a `memfd` (`/proc/self/fd/N`), which glibc sees as a
//! different object. The same happens when the file is still resident for
//! any other reason, so a stale copy is never silently reused.
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
//! the first kind by reading every thread's stack for return addresses
//! into the library's code; when none has any, the pin is a thread-local
//! destructor.
//!
//! # Locking
//!
//! One process-wide lock, `LIBRARIES`, covers every open and every
//! close-and-verify, so that two hosts in one process
//! (tests run in parallel) never see each other's libraries mid-flight.

use libloading::os::unix::{Library as RawLibrary, RTLD_LOCAL, RTLD_NOW};
use parking_lot::Mutex;
use std::{
    ffi::{CStr, CString, c_void},
    fs::File,
    io,
    mem::{self, MaybeUninit},
    ops::Range,
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd},
        unix::ffi::OsStrExt,
    },
    path::{Path, PathBuf},
};

use modhost_abi::descriptor::{ModuleHeader, SYMBOL};

use super::elf::{self, ElfError};

/// The original files currently mapped as a module instance in this
/// process, including any that stayed resident after their unload.
static LIBRARIES: Mutex<Vec<FileId>> = Mutex::new(Vec::new());

/// What identifies a file's contents: device, inode, size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

/// `dladdr1` flag asking for the symbol's ELF entry (from `<dlfcn.h>`).
const RTLD_DL_SYMENT: libc::c_int = 1;

/// Why a file could not be mapped.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The file could not be read (missing, a directory, no permission).
    Io(io::Error),
    /// The dynamic linker refused it: not a shared library, truncated, ...
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

/// One mapped plugin library.
#[derive(Debug)]
pub(crate) struct Library {
    raw: RawLibrary,
    /// The file the user named, as an absolute path.
    file: PathBuf,
    /// The file's identity when it was opened.
    id: FileId,
    /// What was passed to `dlopen`: `file`, or `/proc/self/fd/N` for a copy.
    mapped_as: PathBuf,
    /// The private copy, for second and later instances.
    copy: Option<OwnedFd>,
    base: usize,
    size: u64,
    /// Where its code is mapped (its executable segments).
    text: Vec<Range<usize>>,
}

impl Library {
    /// Maps `file` as a new module instance with its own statics.
    pub(crate) fn open(file: &Path) -> Result<Library, OpenError> {
        let file = std::path::absolute(file).map_err(OpenError::Io)?;
        let id = check_readable(&file)?;
        let mut open_files = LIBRARIES.lock();
        let (mapped_as, copy) = if open_files.contains(&id) {
            let copy = private_copy(&file).map_err(OpenError::Io)?;
            (PathBuf::from(format!("/proc/self/fd/{}", copy.as_raw_fd())), Some(copy))
        } else {
            (file.clone(), None)
        };
        let handle = dlopen(&mapped_as)?.into_raw();
        let (base, size) = mapped_extent(handle);
        let text = segments(base).into_iter().filter(|s| s.executable).map(|s| s.range).collect();
        // SAFETY: `handle` came from `into_raw` just above and is given back
        // exactly once.
        let raw = unsafe { RawLibrary::from_raw(handle) };
        if copy.is_none() {
            open_files.push(id);
        }
        Ok(Library { raw, file, id, mapped_as, copy, base, size, text })
    }

    /// The exported root descriptor, if the library has one of plausible size.
    pub(crate) fn header(&self) -> Option<&ModuleHeader> {
        header_of(&self.raw)
    }

    /// The file the user named, as an absolute path.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// The identity of the file's contents, for caches keyed by file.
    pub(crate) fn file_id(&self) -> FileId {
        self.id
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
    pub(crate) fn close(self) -> Residency {
        let mut open_files = LIBRARIES.lock();
        let Library { raw, id, mapped_as, copy, base, text, .. } = self;
        let _ = raw.close();
        if !is_loaded(base, &mapped_as) {
            if copy.is_none() {
                open_files.retain(|f| *f != id);
            }
            return Residency::Unmapped;
        }
        // A pinned copy keeps its descriptor, so that `/proc/self/fd/N` keeps
        // naming that copy and is never reused for another library.
        mem::forget(copy);
        let threads = threads_running_in(&text);
        Residency::StillResident(if threads.is_empty() {
            "pinned by a thread-local destructor of the module, pending on a thread still alive".to_string()
        } else {
            format!("pinned by {}, started by the module and still running its code", threads.join(", "))
        })
    }

    /// Keeps the library mapped for good: code still runs in it.
    pub(crate) fn leak(self) {
        let Library { raw, copy, .. } = self;
        mem::forget(raw);
        mem::forget(copy);
    }
}

/// Fails early, with the file's own I/O error, for what `dlopen` would
/// report less clearly (a missing file, a directory, no permission), and
/// for what it would crash on (a truncated file; see [`elf`]).
fn check_readable(file: &Path) -> Result<FileId, OpenError> {
    let f = File::open(file).map_err(OpenError::Io)?;
    let meta = f.metadata().map_err(OpenError::Io)?;
    if meta.is_dir() {
        return Err(OpenError::Io(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    elf::check(&f).map_err(|e| match e {
        ElfError::Io(e) => OpenError::Io(e),
        ElfError::Invalid(reason) => OpenError::Format(reason.to_string()),
    })?;
    Ok(FileId::of(&meta))
}

fn dlopen(path: &Path) -> Result<RawLibrary, OpenError> {
    // SAFETY: Opening a library runs its initialisers. modhost trusts module
    // files the way the kernel trusts `.ko` files it is asked to load; Rust
    // plugins have no initialisers of their own beyond std's argv capture.
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

/// Copies `file` into an anonymous memory file named after it.
fn private_copy(file: &Path) -> io::Result<OwnedFd> {
    let name = CString::new(file.file_name().map_or(&[][..], |n| n.as_bytes())).unwrap_or_default();
    // SAFETY: `memfd_create` takes a valid C string and flags; it returns a
    // new descriptor or -1.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut copy = File::from(fd);
    io::copy(&mut File::open(file)?, &mut copy)?;
    Ok(copy.into())
}

/// The `__this_module` header, if exported with at least the header's size.
fn header_of(raw: &RawLibrary) -> Option<&ModuleHeader> {
    // SAFETY: Looking a symbol up has no side effect; the address is only
    // used below after its size has been checked.
    let symbol = unsafe { raw.get::<*const ModuleHeader>(SYMBOL) }.ok()?;
    let address = symbol.as_raw_ptr();
    if address.is_null() || symbol_size(address) < mem::size_of::<ModuleHeader>() {
        return None;
    }
    // SAFETY: The symbol is a data object of at least `ModuleHeader`'s size,
    // mapped as long as `raw` is; the caller reads its fields in the fixed
    // order the ABI defines (magic first), so a foreign object of that size
    // is only ever compared, never followed.
    Some(unsafe { &*address.cast::<ModuleHeader>() })
}

/// The ELF size of the symbol at `address`, or 0 if unknown.
fn symbol_size(address: *mut c_void) -> usize {
    let mut info = MaybeUninit::<libc::Dl_info>::uninit();
    let mut entry: *mut libc::Elf64_Sym = core::ptr::null_mut();
    // SAFETY: `dladdr1` fills `info` and stores a pointer to the symbol's ELF
    // entry in `entry`; both are valid out-pointers.
    let found =
        unsafe { libc::dladdr1(address, info.as_mut_ptr(), (&raw mut entry).cast::<*mut c_void>(), RTLD_DL_SYMENT) };
    if found == 0 || entry.is_null() {
        return 0;
    }
    // SAFETY: On success `entry` points into the library's mapped symbol table.
    usize::try_from(unsafe { (*entry).st_size }).unwrap_or(0)
}

/// The first field of glibc's `struct link_map`: the load bias.
#[repr(C)]
struct LinkMap {
    l_addr: usize,
}

/// Where the library is mapped and how many bytes its segments take.
fn mapped_extent(handle: *mut c_void) -> (usize, u64) {
    let mut map: *const LinkMap = core::ptr::null();
    // SAFETY: `RTLD_DI_LINKMAP` stores a pointer to the object's link map,
    // valid while the object is loaded, in `map`.
    let ok = unsafe { libc::dlinfo(handle, libc::RTLD_DI_LINKMAP, (&raw mut map).cast::<c_void>()) };
    if ok != 0 || map.is_null() {
        return (0, 0);
    }
    // SAFETY: `map` is valid while the library is loaded, which it is.
    let base = unsafe { (*map).l_addr };
    (base, segments_size(base))
}

/// One `PT_LOAD` segment of a loaded object, page-rounded.
#[derive(Debug, Clone)]
struct Segment {
    range: Range<usize>,
    executable: bool,
}

/// The loadable segments of the object loaded at `base`.
fn segments(base: usize) -> Vec<Segment> {
    struct Search {
        base: usize,
        found: Vec<Segment>,
    }
    unsafe extern "C" fn visit(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> libc::c_int {
        // SAFETY: `data` is the `Search` passed to `dl_iterate_phdr` below and
        // `info` describes one loaded object, both valid during the callback.
        let (search, info) = unsafe { (&mut *data.cast::<Search>(), &*info) };
        if info.dlpi_addr as usize != search.base {
            return 0;
        }
        // SAFETY: `dlpi_phdr` points to `dlpi_phnum` program headers.
        let headers = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        let page = 4096usize;
        for header in headers.iter().filter(|h| h.p_type == libc::PT_LOAD) {
            let start = (search.base + header.p_vaddr as usize) / page * page;
            let end = (search.base + (header.p_vaddr + header.p_memsz) as usize).div_ceil(page) * page;
            search.found.push(Segment { range: start..end, executable: header.p_flags & libc::PF_X != 0 });
        }
        1
    }
    let mut search = Search { base, found: Vec::new() };
    // SAFETY: `visit` matches the callback type and only touches `search`,
    // which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut search).cast::<c_void>()) };
    search.found
}

/// The bytes the loadable segments of the object at `base` occupy (the
/// kernel's `coresize`).
fn segments_size(base: usize) -> u64 {
    segments(base).iter().map(|s| (s.range.end - s.range.start) as u64).sum()
}

/// The threads (`name (tid N)`) with a return address into `text` on
/// their stacks: threads running a library's code.
///
/// Each thread blocked in a system call shows its stack pointer in
/// `/proc/self/task/TID/syscall`; its live stack runs from there to the end
/// of the mapping that holds it. The stack is read with
/// `process_vm_readv`, which fails rather than faults if the thread exits
/// meanwhile and its stack is unmapped.
pub(crate) fn threads_running_in(text: &[Range<usize>]) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let me = crate::services::task::current_tid();
    let mut found = Vec::new();
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<i32>() else { continue };
        if tid == me {
            continue;
        }
        let dir = task.path();
        let Some(sp) = stack_pointer(&dir) else { continue };
        let Some(stack) = mapping_of(&maps, sp) else { continue };
        if stack_holds(sp..stack.end, text) {
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            found.push(format!("thread {} (tid {tid})", comm.trim()));
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

/// Whether the memory at `stack` holds a word pointing into `text`.
fn stack_holds(stack: Range<usize>, text: &[Range<usize>]) -> bool {
    const LIMIT: usize = 8 << 20;
    let len = (stack.end - stack.start).min(LIMIT);
    let mut buf = vec![0u8; len];
    let local = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: len };
    let remote = libc::iovec { iov_base: stack.start as *mut c_void, iov_len: len };
    // SAFETY: `process_vm_readv` copies from this process's memory into
    // `buf`, whose length `local` gives; an unmapped source makes it fail
    // (`EFAULT`), it never faults.
    let read = unsafe { libc::process_vm_readv(libc::getpid(), &raw const local, 1, &raw const remote, 1, 0) };
    let Ok(read) = usize::try_from(read) else { return false };
    buf[..read]
        .chunks_exact(mem::size_of::<usize>())
        .map(|word| usize::from_ne_bytes(word.try_into().unwrap_or_default()))
        .any(|word| text.iter().any(|range| range.contains(&word)))
}

/// The version magic string a header points to.
///
/// # Safety
///
/// `header.magic` must have matched [`modhost_abi::descriptor::MAGIC`], so
/// that `vermagic` is the NUL-terminated static string the ABI promises.
pub(crate) unsafe fn vermagic_of(header: &ModuleHeader) -> &CStr {
    // SAFETY: The caller checked the magic; by the ABI the pointer is a
    // static NUL-terminated string in the mapped library.
    unsafe { CStr::from_ptr(header.vermagic) }
}
