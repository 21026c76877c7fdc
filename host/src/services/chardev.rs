//! Character devices, and the files opened on them and on `/proc` files
//! with file operations.
//!
//! Three kinds of objects make a device, as in the kernel: a *region* of
//! device numbers (`register_chrdev_region`, `alloc_chrdev_region`), a
//! *cdev* that binds a range of numbers to the module's file operations
//! (`cdev_add`), and a *device node* `/dev/NAME` naming one number
//! (`device_create`, what udev's mknod makes). kbuild/lib composes
//! `register_chrdev` and `misc_register` from them. Each is an object of
//! the module that made it: what it leaves registered at unload is
//! reported and removed.
//!
//! An *open file* ([`OpenFile`]) is made by opening a node or a `/proc`
//! file: the module's trampoline makes its C `struct file` in module
//! memory at `OPEN` and frees it at `RELEASE`; every call in between
//! passes it back. An open file holds a reference on its module
//! (`fops->owner`), so a module cannot be removed under it (rmmod says it
//! is in use); `rmmod -f` interrupts the calls in progress and the file's
//! later calls fail with `ENODEV`.
//!
//! Every call runs in the module's context on the calling task. A read or
//! write passes a user buffer the host owns; [`copy_to_user`] and
//! [`copy_from_user`] check each address against the buffer of the call
//! in progress on that thread (none outside a call: a work item has no
//! user memory), so a bad pointer is `-EFAULT`, never a fault. A call
//! sleeping in `wait_event_interruptible` ends when the file is
//! interrupted (`interrupt`, a signal to the reading process):
//! it returns `-ERESTARTSYS`.
//!
//! Locking: each list's lock is a leaf; an open file's `calls` lock is
//! never held while module code runs.
//!
//! Kernel counterpart: `fs/char_dev.c` (`__register_chrdev_region`,
//! `cdev_add`, `chrdev_open`), `fs/open.c`, `fs/read_write.c`,
//! `arch/x86/lib/usercopy_64.c`.

use modhost_abi::{
    errno::Errno,
    table::{FileCall, FileOp, FileOps},
};
use parking_lot::Mutex;
use std::{
    cell::Cell,
    ptr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use super::{
    Services,
    object::{AnyObject, Kind, Object},
    record::{ModuleRecord, ModuleState},
    task::{Task, WaitMode},
    wait::{Sleep, enlist, wait_until},
};

/// The bits of a device number that hold the minor (`MINORBITS`).
pub(crate) const MINOR_BITS: u32 = 20;
/// The largest major (`CHRDEV_MAJOR_MAX - 1`).
const MAJOR_MAX: u32 = 511;
/// Where dynamic majors are taken from, downwards (`CHRDEV_MAJOR_DYN_END..=254`).
const DYNAMIC_MAJORS: std::ops::RangeInclusive<u32> = 234..=254;

/// `MAJOR(dev)`.
pub(crate) fn major(dev: u32) -> u32 {
    dev >> MINOR_BITS
}

/// `MINOR(dev)`.
pub(crate) fn minor(dev: u32) -> u32 {
    dev & ((1 << MINOR_BITS) - 1)
}

/// `MKDEV(major, minor)`.
pub(crate) fn mkdev(major: u32, minor: u32) -> u32 {
    major << MINOR_BITS | minor
}

/// One kernel's character devices.
#[derive(Default)]
pub(crate) struct ChrDevs {
    regions: Mutex<Vec<Arc<Object<Region>>>>,
    cdevs: Mutex<Vec<Arc<Object<Cdev>>>>,
    nodes: Mutex<Vec<Arc<Object<DevNode>>>>,
}

/// A registered range of device numbers (`struct char_device_struct`).
pub(crate) struct Region {
    first: u32,
    count: u32,
    name: String,
}

/// A range of device numbers bound to a module's file operations (`struct cdev`).
pub(crate) struct Cdev {
    first: u32,
    count: u32,
    ops: FileOps,
}

/// `/dev/NAME`.
pub(crate) struct DevNode {
    name: String,
    dev: u32,
}

/// Whether `[a, a+n)` and `[b, b+m)` of one major overlap.
fn overlaps(a: u32, n: u32, b: u32, m: u32) -> bool {
    major(a) == major(b) && minor(a) < minor(b).saturating_add(m) && minor(b) < minor(a).saturating_add(n)
}

/// Whether `count` minors from `first` stay inside one major.
fn valid_range(first: u32, count: u32) -> bool {
    count > 0 && u64::from(minor(first)) + u64::from(count) <= 1 << MINOR_BITS
}

/// Removes `object` from `list`; `true` if it was there.
fn unlist<T: Kind>(list: &Mutex<Vec<Arc<Object<T>>>>, object: &Object<T>) -> bool {
    let mut list = list.lock();
    let before = list.len();
    list.retain(|o| !ptr::eq(Arc::as_ptr(o), object));
    list.len() != before
}

/// Registers `object` for `owner` and puts it on `list` (whose lock the caller holds).
fn register_listed<T: Kind>(
    owner: &Arc<ModuleRecord>,
    site: String,
    inner: T,
    list: &mut Vec<Arc<Object<T>>>,
) -> Option<Arc<Object<T>>> {
    let (object, _) = Object::new(Some(owner), owner.services.id, site, inner).register()?;
    list.push(Arc::clone(&object));
    Some(object)
}

/// The report of an object its module left registered.
fn left_registered<T: Kind>(
    object: &Object<T>,
    list: impl Fn(&ChrDevs) -> &Mutex<Vec<Arc<Object<T>>>>,
) -> Option<String> {
    let services = object.services()?;
    unlist(list(&services.chrdevs), object).then(|| "left registered; removed".to_string())
}

impl Kind for Region {
    const NAME: &'static str = "chrdev region";

    fn stop(object: &Object<Region>) -> Option<String> {
        left_registered(object, |c| &c.regions)
    }

    fn detail(&self) -> Option<String> {
        Some(format!("{} {}:{}+{}", self.name, major(self.first), minor(self.first), self.count))
    }
}

impl Kind for Cdev {
    const NAME: &'static str = "cdev";

    fn stop(object: &Object<Cdev>) -> Option<String> {
        left_registered(object, |c| &c.cdevs)
    }

    fn detail(&self) -> Option<String> {
        Some(format!("{}:{}+{}", major(self.first), minor(self.first), self.count))
    }
}

impl Kind for DevNode {
    const NAME: &'static str = "device";

    fn stop(object: &Object<DevNode>) -> Option<String> {
        left_registered(object, |c| &c.nodes)
    }

    fn detail(&self) -> Option<String> {
        Some(format!("/dev/{}", self.name))
    }
}

/// `register_chrdev_region`, or `alloc_chrdev_region` for major 0: the
/// first device number.
pub(crate) fn register_region(
    owner: &Arc<ModuleRecord>,
    dev: u32,
    count: u32,
    name: &str,
    site: String,
) -> Result<u32, Errno> {
    if major(dev) > MAJOR_MAX || !valid_range(dev, count) {
        return Err(Errno::EINVAL);
    }
    let mut regions = owner.services.chrdevs.regions.lock();
    let free = |first: u32| !regions.iter().any(|r| overlaps(r.inner.first, r.inner.count, first, count));
    let first = if major(dev) == 0 {
        let major = DYNAMIC_MAJORS.rev().find(|m| free(mkdev(*m, minor(dev)))).ok_or(Errno::EBUSY)?;
        mkdev(major, minor(dev))
    } else if free(dev) {
        dev
    } else {
        return Err(Errno::EBUSY);
    };
    let region = Region { first, count, name: name.to_string() };
    register_listed(owner, site, region, &mut regions).ok_or(Errno::ENOMEM)?;
    Ok(first)
}

/// The region `owner` registered as `dev`, `count`, taken off the list.
pub(crate) fn unregister_region(owner: &Arc<ModuleRecord>, dev: u32, count: u32) -> Option<Arc<Object<Region>>> {
    let mut regions = owner.services.chrdevs.regions.lock();
    let mine = |r: &Arc<Object<Region>>| {
        r.inner.first == dev && r.inner.count == count && r.owner.as_ref().is_some_and(|o| Arc::ptr_eq(o, owner))
    };
    let index = regions.iter().position(mine)?;
    Some(regions.remove(index))
}

/// `cdev_add`; `EBUSY` if a number of the range has a cdev already.
pub(crate) fn add_cdev(
    owner: &Arc<ModuleRecord>,
    dev: u32,
    count: u32,
    ops: FileOps,
    site: String,
) -> Result<Arc<Object<Cdev>>, Errno> {
    if major(dev) > MAJOR_MAX || !valid_range(dev, count) {
        return Err(Errno::EINVAL);
    }
    let mut cdevs = owner.services.chrdevs.cdevs.lock();
    if cdevs.iter().any(|c| overlaps(c.inner.first, c.inner.count, dev, count)) {
        return Err(Errno::EBUSY);
    }
    register_listed(owner, site, Cdev { first: dev, count, ops }, &mut cdevs).ok_or(Errno::ENOMEM)
}

/// `cdev_del`.
pub(crate) fn del_cdev(services: &Services, cdev: &Object<Cdev>) {
    unlist(&services.chrdevs.cdevs, cdev);
}

/// `device_create`: `/dev/NAME` for `dev`; `EEXIST` if the name is taken,
/// `EINVAL` for a name that is not one path component.
pub(crate) fn create_node(
    owner: &Arc<ModuleRecord>,
    dev: u32,
    name: &str,
    site: String,
) -> Result<Arc<Object<DevNode>>, Errno> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.chars().any(char::is_control) {
        return Err(Errno::EINVAL);
    }
    let mut nodes = owner.services.chrdevs.nodes.lock();
    if nodes.iter().any(|n| n.inner.name == name) {
        return Err(Errno::EEXIST);
    }
    register_listed(owner, site, DevNode { name: name.to_string(), dev }, &mut nodes).ok_or(Errno::ENOMEM)
}

/// `device_destroy`.
pub(crate) fn destroy_node(services: &Services, node: &Object<DevNode>) {
    unlist(&services.chrdevs.nodes, node);
}

/// `/dev`: each node's name and number, by name.
pub(crate) fn nodes(services: &Services) -> Vec<(String, u32)> {
    let mut nodes: Vec<_> = services.chrdevs.nodes.lock().iter().map(|n| (n.inner.name.clone(), n.inner.dev)).collect();
    nodes.sort();
    nodes
}

/// `/proc/devices`' character devices: each major and the name of its first region.
pub(crate) fn majors(services: &Services) -> Vec<(u32, String)> {
    let mut majors: Vec<_> =
        services.chrdevs.regions.lock().iter().map(|r| (major(r.inner.first), r.inner.name.clone())).collect();
    majors.sort();
    majors.dedup_by_key(|(major, _)| *major);
    majors
}

/// What opening `/dev/NAME` calls: the module and file operations of the
/// cdev of its number, and the number; `ENOENT` for no such node,
/// `ENXIO` for a number no cdev serves (the kernel's `chrdev_open`).
pub(crate) fn lookup_node(services: &Services, name: &str) -> Result<(Arc<ModuleRecord>, FileOps, u32), Errno> {
    let dev = services.chrdevs.nodes.lock().iter().find(|n| n.inner.name == name).map(|n| n.inner.dev);
    let dev = dev.ok_or(Errno::ENOENT)?;
    let cdevs = services.chrdevs.cdevs.lock();
    let cdev = cdevs.iter().find(|c| overlaps(c.inner.first, c.inner.count, dev, 1)).ok_or(Errno::ENXIO)?;
    let owner = cdev.owner.clone().ok_or(Errno::ENXIO)?;
    Ok((owner, cdev.inner.ops, dev))
}

/// A file open on a device or a `/proc` file: see the module docs.
pub(crate) struct OpenFile {
    ops: FileOps,
    dev: u32,
    flags: u32,
    path: String,
    /// The module's `struct file`, made by `OPEN`.
    file: AtomicUsize,
    calls: Mutex<Calls>,
}

/// The calls in progress on an open file, and its signals.
#[derive(Default)]
struct Calls {
    /// The tasks in a call now.
    running: Vec<Arc<Task>>,
    /// A signal not yet delivered: the next call gets it.
    signalled: bool,
    /// Released: no call starts any more.
    closed: bool,
    /// Tasks waiting for the calls in progress to end (a forced unload).
    waiters: Vec<Arc<Task>>,
}

impl Calls {
    /// Whether a call is in progress on a live task (one whose task died
    /// of an Oops never returns, and holds nothing up).
    fn live(&self) -> bool {
        self.running.iter().any(|t| !t.is_dead())
    }
}

impl Kind for OpenFile {
    const NAME: &'static str = "file";

    /// At a forced unload: kills the tasks in a call (a sleep in the
    /// module's read ends) and waits for them, at most the exit timeout.
    fn stop(object: &Object<OpenFile>) -> Option<String> {
        {
            let mut calls = object.inner.calls.lock();
            if calls.closed {
                return None;
            }
            calls.closed = true;
            calls.running.iter().for_each(|t| t.kill());
        }
        if let Some(services) = object.services() {
            let me = Task::current();
            let deadline = services.wall.uptime().saturating_add(services.exit_timeout);
            let sleep = Sleep {
                clock: &services.wall,
                mode: WaitMode::Idle,
                deadline: Some(deadline),
                site: &"a file's calls",
            };
            let _ = wait_until(&me, &sleep, || {
                let mut calls = object.inner.calls.lock();
                !calls.live() || {
                    enlist(&mut calls.waiters, &me);
                    false
                }
            });
            object.inner.calls.lock().waiters.retain(|t| !Arc::ptr_eq(t, &me));
        }
        Some("still open; its calls fail from now on".to_string())
    }

    fn still_running(&self) -> bool {
        self.calls.lock().live()
    }

    fn detail(&self) -> Option<String> {
        Some(self.path.clone())
    }
}

/// Opens a file of `owner`'s with `ops` (`chrdev_open`, `proc_reg_open`):
/// takes a reference on the module, then calls its `open`.
pub(crate) fn open(
    owner: &Arc<ModuleRecord>,
    ops: FileOps,
    dev: u32,
    flags: u32,
    path: &str,
) -> Result<Arc<Object<OpenFile>>, Errno> {
    if !owner.try_get() {
        return Err(Errno::ENXIO);
    }
    let file = OpenFile { ops, dev, flags, path: path.to_string(), file: AtomicUsize::new(0), calls: Mutex::default() };
    let Some((object, _)) = Object::new(Some(owner), owner.services.id, String::new(), file).register() else {
        owner.put();
        return Err(Errno::ENOMEM);
    };
    let opened = object.call(FileOp::OPEN, &mut [], Args::None);
    if opened < 0 {
        object.free_leftover();
        owner.put();
        return Err(errno_of(opened));
    }
    Ok(object)
}

/// The errno of a negative return value (`-ERESTARTSYS` and friends included).
pub(crate) fn errno_of(ret: i64) -> Errno {
    i32::try_from(ret).ok().and_then(|r| Errno::from_kernel(r).err()).unwrap_or(Errno::EIO)
}

/// What a call passes besides the user buffer.
#[derive(Clone, Copy)]
enum Args {
    None,
    /// `LLSEEK`'s offset and whence.
    Seek(i64, i32),
    /// `IOCTL`'s command and argument.
    Ioctl(u32, u64),
}

impl Object<OpenFile> {
    /// The module's `read`: the bytes it copied to `buf`, or `-errno`.
    pub(crate) fn read(&self, buf: &mut [u8]) -> i64 {
        self.call(FileOp::READ, buf, Args::None)
    }

    /// The module's `write` of `data`: the bytes it took, or `-errno`.
    pub(crate) fn write(&self, data: &[u8]) -> i64 {
        // The module only reads a write's buffer (copy_from_user): a copy
        // lets the call take the one kind of buffer.
        self.call(FileOp::WRITE, &mut data.to_vec(), Args::None)
    }

    /// The module's `llseek`: the new position, or `-errno`.
    pub(crate) fn llseek(&self, offset: i64, whence: i32) -> i64 {
        self.call(FileOp::LLSEEK, &mut [], Args::Seek(offset, whence))
    }

    /// The module's `unlocked_ioctl`.
    pub(crate) fn ioctl(&self, cmd: u32, arg: u64) -> i64 {
        self.call(FileOp::IOCTL, &mut [], Args::Ioctl(cmd, arg))
    }

    /// The module's `release`, once; drops the file's module reference.
    pub(crate) fn close(&self) -> i64 {
        let ret = if self.owner.as_ref().is_some_and(|o| o.state() != ModuleState::Gone) {
            self.call(FileOp::RELEASE, &mut [], Args::None)
        } else {
            0
        };
        let first = {
            let mut calls = self.inner.calls.lock();
            !std::mem::replace(&mut calls.closed, true)
        };
        if (self.free_leftover() || first)
            && let Some(owner) = &self.owner
        {
            owner.put();
        }
        ret
    }

    /// A signal to the task calling the module now, or to the next call:
    /// an interruptible sleep in it returns `-ERESTARTSYS`.
    pub(crate) fn interrupt(&self) {
        let mut calls = self.inner.calls.lock();
        calls.signalled = true;
        calls.running.iter().for_each(|t| t.signal());
    }

    /// One call of the module's file operations on the calling task, with
    /// `buf` lent as its user memory.
    fn call(&self, op: FileOp, buf: &mut [u8], args: Args) -> i64 {
        let Some(owner) = &self.owner else { return Errno::ENODEV.to_kernel().into() };
        let task = Task::current();
        {
            let mut calls = self.inner.calls.lock();
            if calls.closed || matches!(owner.state(), ModuleState::Gone) {
                return Errno::ENODEV.to_kernel().into();
            }
            if std::mem::take(&mut calls.signalled) {
                task.signal();
            }
            calls.running.push(Arc::clone(&task));
        }
        let mut call = FileCall {
            op,
            flags: self.inner.flags,
            dev: self.inner.dev,
            whence: 0,
            file: self.inner.file.load(Ordering::Acquire) as *mut core::ffi::c_void,
            buf: buf.as_mut_ptr(),
            len: buf.len(),
            offset: 0,
            cmd: 0,
            arg: 0,
        };
        match args {
            Args::None => {}
            Args::Seek(offset, whence) => (call.offset, call.whence) = (offset, whence),
            Args::Ioctl(cmd, arg) => (call.cmd, call.arg) = (cmd, arg),
        }
        let ret = {
            let _user = UserBuffer::lend(buf);
            let _context = owner.enter(&task);
            (self.inner.ops.call)(self.inner.ops.context, &mut call)
        };
        if op == FileOp::OPEN && ret >= 0 {
            self.inner.file.store(call.file as usize, Ordering::Release);
        }
        let waiters = {
            let mut calls = self.inner.calls.lock();
            calls.running.retain(|t| !Arc::ptr_eq(t, &task));
            std::mem::take(&mut calls.waiters)
        };
        waiters.iter().for_each(|t| t.wake_up());
        ret
    }
}

thread_local! {
    /// The user buffer of the file call in progress on this thread: its
    /// address and length (0, 0 outside a call).
    static USER: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Lends a buffer as the thread's user memory while it lives.
struct UserBuffer {
    before: (usize, usize),
}

impl UserBuffer {
    fn lend(buf: &mut [u8]) -> UserBuffer {
        UserBuffer { before: USER.replace((buf.as_mut_ptr() as usize, buf.len())) }
    }
}

impl Drop for UserBuffer {
    fn drop(&mut self) {
        USER.set(self.before);
    }
}

/// How many of the `n` bytes at user address `address` lie in the
/// thread's user buffer (0 when `address` is not in it).
fn user_bytes(address: usize, n: usize) -> usize {
    let (start, len) = USER.get();
    if address < start || address >= start + len {
        return 0;
    }
    n.min(start + len - address)
}

/// `copy_to_user`: the bytes not copied.
pub(crate) fn copy_to_user(to: *mut u8, from: *const u8, n: usize) -> usize {
    let ok = if from.is_null() { 0 } else { user_bytes(to as usize, n) };
    if ok > 0 {
        // SAFETY: `to..to+ok` is inside the user buffer the host lent to
        // the call in progress on this thread (checked above); `from` is
        // the module's own memory, which it vouches for as the kernel's
        // caller does, and it never overlaps the host's buffer.
        unsafe { ptr::copy_nonoverlapping(from, to, ok) };
    }
    n - ok
}

/// `copy_from_user`: the bytes not copied.
pub(crate) fn copy_from_user(to: *mut u8, from: *const u8, n: usize) -> usize {
    let ok = if to.is_null() { 0 } else { user_bytes(from as usize, n) };
    if ok > 0 {
        // SAFETY: As in `copy_to_user`, with the roles swapped: the source
        // is inside the lent buffer, the destination is module memory.
        unsafe { ptr::copy_nonoverlapping(from, to, ok) };
    }
    n - ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_are_the_kernels() {
        let dev = mkdev(254, 3);
        assert_eq!((major(dev), minor(dev)), (254, 3));
        assert!(overlaps(mkdev(10, 0), 4, mkdev(10, 3), 1));
        assert!(!overlaps(mkdev(10, 0), 4, mkdev(10, 4), 1));
        assert!(!overlaps(mkdev(10, 0), 4, mkdev(11, 0), 4));
        assert!(valid_range(mkdev(1, (1 << MINOR_BITS) - 1), 1));
        assert!(!valid_range(mkdev(1, (1 << MINOR_BITS) - 1), 2));
    }

    #[test]
    fn user_copies_stay_inside_the_lent_buffer() {
        let mut user = [0u8; 4];
        let source = *b"abcdef";
        let to = user.as_mut_ptr();
        assert_eq!(copy_to_user(to, source.as_ptr(), 2), 2, "no buffer lent outside a call");
        {
            let _lent = UserBuffer::lend(&mut user);
            assert_eq!(copy_to_user(to.wrapping_add(1), source.as_ptr(), 6), 3, "only what fits");
            assert_eq!(copy_to_user(to.wrapping_add(4), source.as_ptr(), 1), 1, "just past the end");
            let mut back = [0u8; 2];
            assert_eq!(copy_from_user(back.as_mut_ptr(), to.wrapping_add(1), 2), 0);
            assert_eq!(&back, b"ab");
        }
        assert_eq!(&user, b"\0abc");
    }
}
