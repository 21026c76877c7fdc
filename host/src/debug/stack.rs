//! Call traces through module code: `dump_stack()`, and a `WARN`'s trace.
//!
//! The calling thread's stack is walked with the unwinder every process
//! has (the `.eh_frame` tables that gcc and rustc emit, found through the
//! dynamic linker), and each return address that lies in a module is
//! named through [`Kallsyms`](crate::services::kallsyms::Kallsyms):
//!
//! ```text
//! CPU: 0 PID: 7 Comm: ktimers Tainted: G           O
//! Call Trace:
//!  <TASK>
//!  whee+0x2d/0x80 [slpy_wq]
//!  </TASK>
//! ```
//!
//! The host's own frames are not listed: they are modhost's, not the
//! kernel's, and would only hide the module's.
//!
//! Kernel counterpart: `lib/dump_stack.c`, `arch/x86/kernel/dumpstack.c`.

use core::ffi::{c_int, c_void};

use crate::services::{Services, printk::Level};

/// `_URC_NO_REASON`: go on unwinding.
const URC_NO_REASON: c_int = 0;
/// The deepest trace walked.
const MAX_FRAMES: usize = 64;

unsafe extern "C" {
    fn _Unwind_Backtrace(trace: extern "C" fn(*mut c_void, *mut c_void) -> c_int, data: *mut c_void) -> c_int;
    fn _Unwind_GetIP(context: *mut c_void) -> usize;
}

/// The calling thread's return addresses, innermost first.
fn return_addresses() -> Vec<usize> {
    let mut frames = vec![0; MAX_FRAMES];
    let depth = walk(&mut frames);
    frames.truncate(depth);
    frames
}

/// Fills `frames` with the calling thread's return addresses, innermost
/// first; how many. It allocates nothing, so a signal handler may walk
/// (through the signal frame, into the interrupted code).
pub(crate) fn walk(frames: &mut [usize]) -> usize {
    struct Walk<'a> {
        frames: &'a mut [usize],
        depth: usize,
    }
    extern "C" fn visit(context: *mut c_void, data: *mut c_void) -> c_int {
        // SAFETY: `data` is the `Walk` passed to `_Unwind_Backtrace` below,
        // borrowed mutably by nothing else during the walk.
        let walk = unsafe { &mut *data.cast::<Walk<'_>>() };
        if walk.depth >= walk.frames.len() {
            return 5 /* _URC_END_OF_STACK */;
        }
        // SAFETY: `context` is the unwinder's context for this frame.
        walk.frames[walk.depth] = unsafe { _Unwind_GetIP(context) };
        walk.depth += 1;
        URC_NO_REASON
    }
    let mut walk = Walk { frames, depth: 0 };
    // SAFETY: `visit` only writes to the `Walk` that `data` points to,
    // which outlives the walk.
    unsafe { _Unwind_Backtrace(visit, (&raw mut walk).cast()) };
    walk.depth
}

impl Services {
    /// `dump_stack()`: the task line and the module frames of the calling
    /// thread's stack.
    pub(crate) fn dump_stack(&self, level: Level) {
        self.report_task(level);
        self.call_trace(level, &self.module_frames());
    }

    /// A WARN's call trace: the module frames of the calling thread's
    /// stack, if it is running module code (a WARN of the host's own has
    /// none to show).
    pub(crate) fn warn_trace(&self, level: Level) {
        let frames = self.module_frames();
        if !frames.is_empty() {
            self.call_trace(level, &frames);
        }
    }

    /// The calling thread's return addresses into modules, innermost first,
    /// as `whee+0x2d/0x80 [slpy_wq]`.
    fn module_frames(&self) -> Vec<String> {
        return_addresses()
            .into_iter()
            .filter_map(|ip| self.kallsyms.lookup_return(ip))
            .map(|location| location.format(true))
            .collect()
    }

    fn call_trace(&self, level: Level, frames: &[String]) {
        self.log(level, "Call Trace:");
        self.log(level, " <TASK>");
        for frame in frames {
            self.log(level, &format!(" {frame}"));
        }
        self.log(level, " </TASK>");
    }
}
