//! The private, sealed copy of a module file: what insmod really maps.
//!
//! The kernel copies a module's image into its own memory before it looks
//! at it; nothing done to the file afterwards reaches the loaded module.
//! modhost does the same: each load copies the file into a `memfd`
//! (`MFD_CLOEXEC | MFD_ALLOW_SEALING`, copied in the kernel with
//! `copy_file_range` or `sendfile`), removes the constructors from the
//! copy's dynamic section ([`elf::neutralised_dynamic`], written with
//! `pwrite`), seals it (`F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK |
//! F_SEAL_GROW | F_SEAL_SEAL`: no one, the host included, can change it any
//! more; see [`seal`]), checks the sealed bytes
//! ([`elf::check`]) and only then hands `/proc/self/fd/N` to `dlopen`. The
//! bytes checked are the bytes mapped. Every copy is a distinct object to
//! the dynamic linker, so each instance has its own statics, and a rebuilt
//! file always loads fresh.
//!
//! # Reuse
//!
//! Copying costs about as much as `dlopen` itself, so a copy that was
//! unmapped cleanly waits, idle, for the next load of the same unchanged
//! file: same device, inode, size, modification and change time
//! ([`SourceId`]). The change time moves on any write, even one that
//! restores the modification time, but only with the coarse clock's
//! granularity; so a file changed within the last [`RACY`] before its copy
//! was made gets a copy that is never reused (the "racily clean" case).
//! Caches keyed by content ([`FileId`]) are keyed the same way: by the
//! unchanged file, whose copies all have the same bytes (so a second
//! instance of a module is not checked again), or by the copy alone when
//! its file was too recently changed.
//!
//! Kernel counterpart: `copy_module_from_user`, `kernel_read_file` in
//! `kernel/module/main.c` and `fs/kernel_read_file.c`.

use parking_lot::Mutex;
use std::{
    ffi::CString,
    fs::{File, Metadata},
    io::{self, Write},
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd},
        unix::{
            ffi::OsStrExt,
            fs::{FileExt, MetadataExt},
        },
    },
    path::{Path, PathBuf},
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use crate::services::kallsyms::Table;

use super::{
    elf::{self, Layout},
    library::{FileId, OpenError},
    version,
};

/// The largest module file (the kernel's limit is `INT_MAX`; no module comes near).
const MAX_FILE: u64 = 1 << 30;
/// How long after a file's last change its copy may not be reused.
const RACY: Duration = Duration::from_secs(2);
/// How many idle copies are kept for reuse.
const IDLE_MAX: usize = 8;

/// What identifies a file's contents without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SourceId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl SourceId {
    fn of(meta: &Metadata) -> SourceId {
        SourceId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the file may still change without its identity changing:
    /// its last change is too close to `now` for the clock to tell.
    fn is_racy(&self, now: SystemTime) -> bool {
        let time = |(secs, nanos): (i64, i64)| {
            let since_epoch = Duration::new(secs.max(0) as u64, nanos.clamp(0, 999_999_999) as u32);
            SystemTime::UNIX_EPOCH + since_epoch
        };
        [self.mtime, self.ctime].into_iter().any(|t| time(t) + RACY > now)
    }
}

/// Idle copies, each of an unchanged file and mapped by no one.
static IDLE: Mutex<Vec<SealedCopy>> = Mutex::new(Vec::new());

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A sealed, checked copy of a module file.
#[derive(Debug)]
pub(crate) struct SealedCopy {
    fd: OwnedFd,
    id: FileId,
    /// The file it was copied from, if the copy may be reused for it.
    source: Option<SourceId>,
    layout: Layout,
    len: usize,
    /// Its symbol table for kallsyms, read at the first load.
    symbols: OnceLock<Table>,
}

impl SealedCopy {
    /// A copy of the open module `file`: an idle one of the same unchanged
    /// file, or a new one.
    pub(crate) fn of_file(file: &File, meta: &Metadata, name: &Path) -> Result<SealedCopy, OpenError> {
        let source = SourceId::of(meta);
        let mut idle = IDLE.lock();
        if let Some(i) = idle.iter().position(|c| c.source == Some(source)) {
            return Ok(idle.swap_remove(i));
        }
        drop(idle);
        if meta.len() > MAX_FILE {
            return Err(OpenError::Io(io::Error::from_raw_os_error(libc::EFBIG)));
        }
        let settled = !source.is_racy(SystemTime::now());
        let fd = memfd(name).map_err(OpenError::Io)?;
        copy_in_kernel(file, &fd, meta.len()).map_err(OpenError::Io)?;
        // A file written while it was copied is not the file `source` names.
        let unchanged = file.metadata().is_ok_and(|after| SourceId::of(&after) == source);
        SealedCopy::seal_and_check(fd, (settled && unchanged).then_some(source))
    }

    /// A copy of `bytes`, never reused.
    pub(crate) fn of_bytes(bytes: &[u8]) -> Result<SealedCopy, OpenError> {
        let fd = memfd(Path::new("image")).map_err(OpenError::Io)?;
        let mut file = File::from(fd);
        file.write_all(bytes).map_err(OpenError::Io)?;
        SealedCopy::seal_and_check(file.into(), None)
    }

    /// Neutralises the constructors, seals, then checks the sealed bytes.
    fn seal_and_check(fd: OwnedFd, source: Option<SourceId>) -> Result<SealedCopy, OpenError> {
        let len = File::from(fd.try_clone().map_err(OpenError::Io)?).metadata().map_err(OpenError::Io)?.len();
        let page = page_size();
        if len > 0 {
            neutralise_constructors(&fd, len as usize, page).map_err(OpenError::Io)?;
        }
        seal(&fd).map_err(OpenError::Io)?;
        let layout = if len > 0 {
            let map = Mapping::new(&fd, len as usize).map_err(OpenError::Io)?;
            elf::check(map.bytes(), page)
        } else {
            elf::check(&[], page)
        }
        .map_err(|elf::ElfError(reason)| OpenError::Format(reason))?;
        let id = source.map_or_else(|| FileId::Image(NEXT_ID.fetch_add(1, Ordering::Relaxed)), FileId::File);
        Ok(SealedCopy { fd, id, source, layout, len: len as usize, symbols: OnceLock::new() })
    }

    /// Its symbol table, for kallsyms: read once per copy, and an idle copy
    /// serves every later load of the same unchanged file.
    pub(crate) fn symbols(&self) -> Table {
        let read = || Table::new(self.with_bytes(super::sections::symbols).unwrap_or_default());
        self.symbols.get_or_init(read).clone()
    }

    /// Runs `read` on the copy's bytes, mapped read-only for the call.
    pub(crate) fn with_bytes<T>(&self, read: impl FnOnce(&[u8]) -> T) -> io::Result<T> {
        if self.len == 0 {
            return Ok(read(&[]));
        }
        let map = Mapping::new(&self.fd, self.len)?;
        Ok(read(map.bytes()))
    }

    /// The name `dlopen` maps it by.
    pub(crate) fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// The identity of its content.
    pub(crate) fn id(&self) -> FileId {
        self.id
    }

    /// What the checks learned.
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Called once no one maps the copy any more: keeps it for the next load
    /// of the same file, or lets it go.
    pub(crate) fn release(self) {
        if self.source.is_none() {
            version::forget(self.id);
            return;
        }
        let mut idle = IDLE.lock();
        idle.push(self);
        if idle.len() > IDLE_MAX {
            idle.remove(0);
        }
    }
}

/// Rewrites the copy's dynamic section without its constructors, through
/// the descriptor: no mapping of the copy is alive while it is written.
fn neutralise_constructors(fd: &OwnedFd, len: usize, page: u64) -> io::Result<()> {
    let neutralised = elf::neutralised_dynamic(Mapping::new(fd, len)?.bytes(), page);
    // A file too broken to find its dynamic section fails the checks later.
    if let Ok((at, section)) = neutralised {
        File::from(fd.try_clone()?).write_all_at(&section, at as u64)?;
    }
    Ok(())
}

/// A new anonymous memory file named after `name`.
fn memfd(name: &Path) -> io::Result<OwnedFd> {
    let name = CString::new(name.file_name().map_or(&b"module"[..], |n| n.as_bytes())).unwrap_or_default();
    // SAFETY: `memfd_create` takes a valid C string and flags; it returns a
    // new descriptor or -1.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Copies `len` bytes of `from` into `to` without passing them through the
/// host: `copy_file_range`, else `sendfile` (between file systems of
/// different kinds), else a plain copy.
fn copy_in_kernel(from: &File, to: &OwnedFd, len: u64) -> io::Result<()> {
    let mut copied = 0u64;
    let mut use_sendfile = false;
    while copied < len {
        let want = usize::try_from(len - copied).unwrap_or(usize::MAX).min(1 << 30);
        let mut offset = copied as libc::off_t;
        let done = if use_sendfile {
            // SAFETY: Both descriptors are open; `offset` is a valid in-out pointer.
            unsafe { libc::sendfile(to.as_raw_fd(), from.as_raw_fd(), &raw mut offset, want) }
        } else {
            // SAFETY: Both descriptors are open; `offset` is a valid in-out
            // pointer and a null output offset means the file position.
            unsafe {
                libc::copy_file_range(from.as_raw_fd(), &raw mut offset, to.as_raw_fd(), std::ptr::null_mut(), want, 0)
            }
        };
        match done {
            0 => break,
            n if n > 0 => copied += n as u64,
            _ => {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => {}
                    Some(libc::EXDEV | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) if !use_sendfile => {
                        use_sendfile = true;
                    }
                    Some(libc::EINVAL | libc::ENOSYS) if copied == 0 => {
                        return io::copy(&mut &*from, &mut File::from(to.try_clone()?)).map(drop);
                    }
                    _ => return Err(e),
                }
            }
        }
    }
    Ok(())
}

/// Seals the copy for good: no write, no resize, no new seals.
///
/// `F_SEAL_FUTURE_WRITE` refuses every `write` and every writable mapping
/// from now on. Only a writable shared mapping made before could still
/// change the copy, and the copy never has one: it is written with `write`
/// and `pwrite` and only ever mapped private and read-only. `F_SEAL_WRITE`
/// would add nothing, and it fails with `EBUSY` both while any process
/// holds a writable shared mapping (a child another thread forked
/// inherits one) and while the kernel holds a page of the file for its own
/// reasons longer than it waits (about 150 ms, seen under load).
fn seal(fd: &OwnedFd) -> io::Result<()> {
    let seals = libc::F_SEAL_FUTURE_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    // SAFETY: `F_ADD_SEALS` on an open memfd takes an integer argument.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The system's page size.
pub(crate) fn page_size() -> u64 {
    // SAFETY: `sysconf` only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(page).unwrap_or(4096)
}

/// A private, read-only mapping of a whole memfd. Never a writable shared
/// one: see the module docs.
struct Mapping {
    address: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(fd: &OwnedFd, len: usize) -> io::Result<Mapping> {
        // SAFETY: Maps `len` bytes of an open descriptor at an address the
        // kernel chooses; nothing else is affected.
        let address =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, fd.as_raw_fd(), 0) };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { address: address.cast(), len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: The mapping covers `len` readable bytes until it is dropped.
        // The file behind it is this host's own memfd, written only by
        // `seal_and_check` while no mapping of it exists, and sealed after.
        unsafe { std::slice::from_raw_parts(self.address, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: Unmaps exactly the mapping `new` made; no slice of it outlives `self`.
        unsafe { libc::munmap(self.address.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_copy_cannot_be_written_resized_resealed_or_mapped_writable() {
        let fd = memfd(Path::new("sealed")).unwrap();
        File::from(fd.try_clone().unwrap()).write_all(&[0x7f; 8192]).unwrap();
        seal(&fd).unwrap();
        let file = File::from(fd.try_clone().unwrap());
        let refused = |r: io::Result<()>| r.unwrap_err().raw_os_error();
        assert_eq!(refused(file.write_all_at(b"x", 0)), Some(libc::EPERM));
        assert_eq!(refused(file.set_len(4096)), Some(libc::EPERM));
        assert_eq!(refused(file.set_len(16384)), Some(libc::EPERM));
        // SAFETY: Asks for a new mapping of the copy; nothing is touched.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                8192,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        assert_eq!(address, libc::MAP_FAILED, "a writable shared mapping of a sealed copy");
        assert_eq!(refused(seal(&fd)), Some(libc::EPERM), "no seal can be added or removed");
        let map = Mapping::new(&fd, 8192).unwrap();
        assert!(map.bytes().iter().all(|b| *b == 0x7f));
    }

    /// A mapping of the copy inherited by a child that another thread
    /// forked meanwhile (a layout check) never keeps the copy from being
    /// sealed.
    #[test]
    fn a_mapping_inherited_by_a_child_does_not_block_sealing() {
        let fd = memfd(Path::new("inherited")).unwrap();
        File::from(fd.try_clone().unwrap()).write_all(&[0x7f; 8192]).unwrap();
        let map = Mapping::new(&fd, 8192).unwrap();
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for the two descriptors.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        // SAFETY: The child makes only async-signal-safe calls: it waits for
        // the parent to close the pipe, then exits.
        let child = unsafe { libc::fork() };
        if child == 0 {
            let mut byte = 0u8;
            // SAFETY: Closing and reading this process's own pipe, then exiting.
            unsafe {
                libc::close(pipe[1]);
                libc::read(pipe[0], (&raw mut byte).cast(), 1);
                libc::_exit(0);
            }
        }
        assert!(child > 0, "fork: {}", io::Error::last_os_error());
        let sealed = seal(&fd);
        // SAFETY: Closing the parent's ends of the pipe ends the child, which
        // is then reaped.
        unsafe {
            libc::close(pipe[1]);
            libc::close(pipe[0]);
            libc::waitpid(child, std::ptr::null_mut(), 0);
        }
        drop(map);
        sealed.expect("sealed while a child holds a mapping of the copy");
    }
}
