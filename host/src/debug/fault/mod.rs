//! Native faults in module code: an Oops that kills one task, not the host.
//!
//! A module's NULL write, `BUG()` (`ud2`), division by zero or runaway
//! recursion raises SIGSEGV, SIGILL, SIGFPE or SIGBUS on the thread that
//! runs it. The kernel answers such a fault with an Oops and `do_exit`:
//! the faulting task never runs again, the locks it holds stay held, and
//! the machine goes on. modhost does the same for its tasks:
//!
//! 1. every task thread is *armed* when it starts ([`arm`]): an alternate
//!    signal stack, so that even a stack overflow can be handled, and a
//!    separate *death stack* for what follows;
//! 2. the handler ([`on_fault`]) runs on the alternate stack. A fault on an
//!    armed thread while it runs module code (a module context entered,
//!    [`ModuleCode`]) is recorded there (signal, address, registers, the
//!    return addresses of the stack) and the thread is sent, as it returns
//!    from the handler, to [`die`] on its death stack: it never returns into
//!    the faulting code;
//! 3. `die` reports the Oops ([`crate::debug::oops`]), lets the task's
//!    owner replace it ([`Task::die`]: a new timer thread, a worker counted
//!    out, a kthread's result published, a command failed), and parks the
//!    thread for good. Its stack, with the locks its frames hold, stays.
//!
//! Any other fault is left to the disposition there was before, which
//! ends the process (the command line's supervisor reports it as a kernel
//! panic): a thread that is no task, a fault while dying, and a fault in
//! the host binary's own code even on behalf of a module (a bad pointer
//! handed to a service), since that code may hold any of the host's locks.
//! Module code includes what it links (the C library of `kbuild/`, a Rust
//! module's std) and the shared libraries it calls (libc's `memcpy`).
//!
//! The soft-lockup watchdog samples a spinning task the same way: a signal
//! whose handler ([`on_sample`]) records where the task is and returns.
//!
//! Kernel counterpart: `arch/x86/kernel/traps.c` (`do_trap`,
//! `handle_stack_overflow`), `arch/x86/mm/fault.c`, `kernel/exit.c`
//! (`make_task_dead`).

mod record;

use core::ffi::{c_int, c_void};
use std::{
    cell::{Cell, UnsafeCell},
    ptr,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

pub(crate) use record::{Fault, Sample};

use crate::services::task::Task;

/// The alternate signal stack's size: the handler walks the stack there.
const ALT_STACK: usize = 64 << 10;
/// The death stack's size: `die` reports the Oops there.
const DEATH_STACK: usize = 512 << 10;
/// The signals a module's fault raises.
const FAULT_SIGNALS: [c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGTRAP];

thread_local! {
    /// The calling thread's slot, once armed (null before and after).
    static SLOT: Cell<*const Slot> = const { Cell::new(ptr::null()) };
    /// How deep the calling thread is in module contexts.
    static MODULE_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// What the handlers of one armed thread write, and its owners read.
pub(crate) struct Slot {
    /// The fault that killed the thread, written once by [`on_fault`].
    fault: UnsafeCell<Fault>,
    /// Set by the first fault: a second one is fatal.
    dying: Cell<bool>,
    /// The last sample [`on_sample`] took, published by `samples`.
    sample: UnsafeCell<Sample>,
    samples: AtomicU64,
    /// The thread's usable stack, for telling a guard-page hit.
    stack: (usize, usize),
    /// Where [`die`] runs: the top of the death stack.
    death_top: usize,
    tid: i32,
}

// SAFETY: `fault` and `dying` are written only by the thread itself (its
// handler) and read by it in `die`; `sample` is written by the thread's
// handler and read by the watchdog only after `samples` (release/acquire)
// says a new one is there, one sampler at a time.
unsafe impl Sync for Slot {}
// SAFETY: As above: the cells are only touched as described there.
unsafe impl Send for Slot {}

/// An armed thread's alternate and death stacks; disarms on drop (a
/// thread that dies never drops it: its stacks stay with its frames).
pub(crate) struct Armour {
    slot: Arc<Slot>,
    mapping: *mut c_void,
    len: usize,
}

/// Arms the calling thread (see the module docs); `None` if the stacks
/// cannot be had, and the thread then runs unarmed.
pub(crate) fn arm() -> Option<Armour> {
    install_handlers();
    let page = page_size();
    let len = page + DEATH_STACK + ALT_STACK;
    // SAFETY: A fresh private anonymous mapping; nothing else refers to it.
    let mapping = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if mapping == libc::MAP_FAILED {
        return None;
    }
    let base = mapping as usize;
    // SAFETY: The first page of the mapping just made: a guard under the
    // death stack.
    unsafe { libc::mprotect(mapping, page, libc::PROT_NONE) };
    let alt = libc::stack_t { ss_sp: (base + page + DEATH_STACK) as *mut c_void, ss_flags: 0, ss_size: ALT_STACK };
    // SAFETY: `alt` lies in the mapping, which outlives the registration
    // (undone in `Armour::drop` before the unmap).
    if unsafe { libc::sigaltstack(&raw const alt, ptr::null_mut()) } != 0 {
        // SAFETY: The mapping made above, used by nothing.
        unsafe { libc::munmap(mapping, len) };
        return None;
    }
    let slot = Arc::new(Slot {
        fault: UnsafeCell::new(Fault::default()),
        dying: Cell::new(false),
        sample: UnsafeCell::new(Sample::default()),
        samples: AtomicU64::new(0),
        stack: thread_stack(),
        death_top: base + page + DEATH_STACK,
        tid: crate::services::task::current_tid(),
    });
    SLOT.with(|s| s.set(Arc::as_ptr(&slot)));
    Some(Armour { slot, mapping, len })
}

impl Armour {
    /// The slot, for the task (the watchdog samples through it).
    pub(crate) fn slot(&self) -> Arc<Slot> {
        Arc::clone(&self.slot)
    }
}

impl Drop for Armour {
    fn drop(&mut self) {
        SLOT.with(|s| s.set(ptr::null()));
        let off = libc::stack_t { ss_sp: ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
        // SAFETY: Disables this thread's alternate stack (it is not on it:
        // this is ordinary code), then unmaps the stacks nothing uses now.
        unsafe {
            libc::sigaltstack(&raw const off, ptr::null_mut());
            libc::munmap(self.mapping, self.len);
        }
    }
}

/// The calling thread runs module code while this lives (see
/// [`crate::services::task::Task::enter`]).
#[derive(Debug)]
pub(crate) struct ModuleCode(());

impl ModuleCode {
    /// Enters module code; `true` if the thread was not in it before.
    pub(crate) fn enter() -> (ModuleCode, bool) {
        let depth = MODULE_DEPTH.with(|d| {
            let depth = d.get();
            d.set(depth + 1);
            depth
        });
        (ModuleCode(()), depth == 0)
    }
}

impl Drop for ModuleCode {
    fn drop(&mut self) {
        MODULE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Whether the calling thread runs module code now.
pub(crate) fn in_module_code() -> bool {
    MODULE_DEPTH.with(Cell::get) > 0
}

impl Slot {
    /// Where the thread is now: signals it and waits up to `bound` for its
    /// handler's record; `None` if it does not answer (or has exited).
    pub(crate) fn sample(&self, bound: Duration) -> Option<Sample> {
        let before = self.samples.load(Ordering::Acquire);
        // SAFETY: `tgkill` sends a signal to a thread of this process; a
        // thread that exited meanwhile makes it fail with ESRCH (thread ids
        // are not reused while its task, which holds this slot, lives).
        let sent = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), self.tid, sample_signal()) };
        if sent != 0 {
            return None;
        }
        let give_up = Instant::now() + bound;
        while Instant::now() < give_up {
            if self.samples.load(Ordering::Acquire) != before {
                // SAFETY: Published by the release above; the handler does
                // not write again until the next signal, which only this
                // sampler sends.
                return Some(unsafe { *self.sample.get() });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }
}

/// The signal the watchdog samples a task with.
fn sample_signal() -> c_int {
    libc::SIGRTMIN() + 2
}

/// Installs the handlers once per process, keeping the dispositions they
/// replace for the faults they do not handle.
fn install_handlers() {
    static PREVIOUS: OnceLock<Vec<(c_int, libc::sigaction)>> = OnceLock::new();
    PREVIOUS.get_or_init(|| {
        let _ = HOST_TEXT.set(host_text());
        let mut previous = Vec::new();
        for signal in FAULT_SIGNALS {
            if let Some(old) = set_handler(signal, on_fault as *const () as usize, libc::SA_ONSTACK | libc::SA_SIGINFO)
            {
                previous.push((signal, old));
            }
        }
        set_handler(
            sample_signal(),
            on_sample as *const () as usize,
            libc::SA_ONSTACK | libc::SA_SIGINFO | libc::SA_RESTART,
        );
        let _ = PREVIOUS_ACTIONS.set(previous.clone());
        previous
    });
}

/// The host binary's code, `(start, end)`: a fault there may hold any of
/// the host's locks, so no task can die for it (read once, at install).
static HOST_TEXT: OnceLock<Vec<(usize, usize)>> = OnceLock::new();

/// The executable mappings of the host binary, from `/proc/self/maps`.
fn host_text() -> Vec<(usize, usize)> {
    let exe = std::fs::read_link("/proc/self/exe").unwrap_or_default();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (range, perms) = (fields.next()?, fields.next()?);
            let path = fields.nth(3)?;
            (perms.contains('x') && std::path::Path::new(path) == exe).then_some(range)?.split_once('-')
        })
        .filter_map(|(start, end)| Some((usize::from_str_radix(start, 16).ok()?, usize::from_str_radix(end, 16).ok()?)))
        .collect()
}

/// Whether `ip` is in the host binary's own code.
fn in_host_code(ip: usize) -> bool {
    HOST_TEXT.get().is_some_and(|text| text.iter().any(|(start, end)| (*start..*end).contains(&ip)))
}

/// The dispositions before [`install_handlers`], read by [`fatal`].
static PREVIOUS_ACTIONS: OnceLock<Vec<(c_int, libc::sigaction)>> = OnceLock::new();

/// Sets `handler` for `signal`; the disposition it replaces.
fn set_handler(signal: c_int, handler: usize, flags: c_int) -> Option<libc::sigaction> {
    // SAFETY: A zeroed `sigaction` is a valid empty one; it is filled in
    // before use.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = flags;
    // SAFETY: `sa_mask` is this action's own set.
    unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
    // SAFETY: As above: an empty set to be filled by `sigaction`.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `handler` is an `extern "C" fn(c_int, *mut siginfo_t, *mut
    // c_void)`, as `SA_SIGINFO` requires, and it is async-signal-safe for
    // the faults it takes (see `on_fault`).
    (unsafe { libc::sigaction(signal, &raw const action, &raw mut old) } == 0).then_some(old)
}

/// The fault handler; see the module docs.
extern "C" fn on_fault(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let slot = SLOT.with(Cell::get);
    // SAFETY: A non-null slot is the calling thread's, alive while it is
    // armed (its `Armour` holds it); only this thread touches `dying`.
    let Some(slot) = (unsafe { slot.as_ref() }) else { return fatal(signal, info, context) };
    let context = context.cast::<libc::ucontext_t>();
    // SAFETY: The kernel's `ucontext_t` for this handler.
    let ip = unsafe { (*context).uc_mcontext.gregs[libc::REG_RIP as usize] } as usize;
    if !in_module_code() || in_host_code(ip) || slot.dying.replace(true) {
        return fatal(signal, info, context.cast());
    }
    // SAFETY: The kernel passes a valid `siginfo_t` and `ucontext_t` to an
    // `SA_SIGINFO` handler; `fault` is this thread's, written only here.
    unsafe {
        let fault = &mut *slot.fault.get();
        fault.capture(signal, &*info, &*context, slot.stack);
        resume_in_die(&mut *context, slot);
    }
}

/// Makes the interrupted context continue in [`die`], on the death stack.
///
/// # Safety
///
/// `context` is the interrupted context of the calling thread's handler.
unsafe fn resume_in_die(context: &mut libc::ucontext_t, slot: &Slot) {
    // As after a `call`: the stack pointer is 8 off a 16-byte boundary
    // (the top is page-aligned), pointing at the return address.
    let top = slot.death_top - 24;
    // SAFETY: A word near the top of the death stack, mapped and unused: a
    // null return address, where unwinders stop.
    unsafe { (top as *mut usize).write(0) };
    let regs = &mut context.uc_mcontext.gregs;
    regs[libc::REG_RSP as usize] = top as i64;
    regs[libc::REG_RIP as usize] = die as *const () as usize as i64;
    regs[libc::REG_RDI as usize] = ptr::from_ref(slot) as i64;
}

/// The end of a task that faulted: report, let its owner replace it, and
/// park its thread for good.
extern "C" fn die(slot: *const Slot) -> ! {
    // SAFETY: `slot` is the calling thread's (set by its handler), alive
    // for ever now: the `Armour` holding it is in the abandoned frames.
    let fault = unsafe { *(*slot).fault.get() };
    let _ = std::panic::catch_unwind(|| {
        let task = Task::current();
        task.mark_dying();
        if let Some(services) = crate::services::kernel_of_current_task() {
            services.oops_fault(&task, &fault);
        }
        crate::services::entry::rcu::abandon_reader();
        task.die();
    });
    loop {
        // SAFETY: `pause` only waits for a signal.
        unsafe { libc::pause() };
    }
}

/// The sampling handler: records where the thread is.
extern "C" fn on_sample(_: c_int, _: *mut libc::siginfo_t, context: *mut c_void) {
    let slot = SLOT.with(Cell::get);
    // SAFETY: As in `on_fault`; `sample` is written only by this handler,
    // while the one sampler waits for `samples` to move.
    let Some(slot) = (unsafe { slot.as_ref() }) else { return };
    // SAFETY: As in `on_fault`: the kernel's `ucontext_t`.
    unsafe { (*slot.sample.get()).capture(&*context.cast::<libc::ucontext_t>()) };
    slot.samples.fetch_add(1, Ordering::Release);
}

/// A fault the host cannot contain: the previous disposition takes it
/// (the process ends; the supervisor reports the panic).
fn fatal(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    crate::debug::panic::fatal_signal(signal);
    let previous = PREVIOUS_ACTIONS.get().and_then(|all| all.iter().find(|(s, _)| *s == signal)).map(|(_, a)| *a);
    match previous {
        Some(action) if action.sa_sigaction > libc::SIG_IGN && action.sa_flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: The handler that was there, called as `SA_SIGINFO`
            // says it expects.
            let handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                unsafe { std::mem::transmute(action.sa_sigaction) };
            handler(signal, info, context);
        }
        _ => {
            // Back to the default: the faulting instruction runs again as
            // this handler returns, and the default action ends the process.
            // SAFETY: Resets one signal's disposition to the default.
            unsafe { libc::signal(signal, libc::SIG_DFL) };
        }
    }
}

/// The calling thread's usable stack, `(lowest, highest)` address.
fn thread_stack() -> (usize, usize) {
    // SAFETY: `attr` is initialised by `pthread_getattr_np` before use and
    // destroyed after; the out-parameters are ours.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &raw mut attr) != 0 {
            return (0, 0);
        }
        let (mut addr, mut size) = (ptr::null_mut(), 0);
        let got = libc::pthread_attr_getstack(&raw const attr, &raw mut addr, &raw mut size);
        libc::pthread_attr_destroy(&raw mut attr);
        if got != 0 { (0, 0) } else { (addr as usize, addr as usize + size) }
    }
}

fn page_size() -> usize {
    // SAFETY: `sysconf` has no preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}
