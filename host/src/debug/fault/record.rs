//! What a fault handler records: the signal, the registers and the stack,
//! in plain arrays (a handler may not allocate).
//!
//! Kernel counterpart: `struct pt_regs`, `show_regs`.

use crate::debug::stack;

/// The deepest stack a record keeps.
pub(crate) const FRAMES: usize = 48;

/// A fault, as its handler found it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fault {
    pub(crate) signal: i32,
    /// `si_code`: why the signal came (`SEGV_MAPERR`, `FPE_INTDIV`, ...).
    pub(crate) code: i32,
    /// `si_addr`: the address that faulted (the instruction for SIGILL and
    /// SIGFPE).
    pub(crate) address: usize,
    /// The general registers (`gregs`, indexed by `REG_*`).
    pub(crate) regs: [i64; 23],
    /// Return addresses of the stack, innermost first, from the handler.
    pub(crate) frames: [usize; FRAMES],
    pub(crate) depth: usize,
    /// The thread's usable stack, `(lowest, highest)`.
    pub(crate) stack: (usize, usize),
}

impl Default for Fault {
    fn default() -> Fault {
        Fault { signal: 0, code: 0, address: 0, regs: [0; 23], frames: [0; FRAMES], depth: 0, stack: (0, 0) }
    }
}

impl Fault {
    /// Records the fault `info` in `context`, on a thread whose stack is `stack`.
    pub(crate) fn capture(
        &mut self,
        signal: i32,
        info: &libc::siginfo_t,
        context: &libc::ucontext_t,
        stack: (usize, usize),
    ) {
        self.signal = signal;
        self.code = info.si_code;
        // SAFETY: Every fault signal fills `si_addr`.
        self.address = unsafe { info.si_addr() } as usize;
        self.regs = context.uc_mcontext.gregs;
        self.stack = stack;
        self.depth = stack::walk(&mut self.frames);
    }

    /// A register by its `REG_*` index.
    pub(crate) fn reg(&self, index: i32) -> u64 {
        self.regs.get(usize::try_from(index).unwrap_or(usize::MAX)).map_or(0, |r| *r as u64)
    }

    /// The faulting instruction's address.
    pub(crate) fn ip(&self) -> usize {
        self.reg(libc::REG_RIP) as usize
    }

    /// The trap number (14 a page fault, 0 a divide error, 6 an invalid
    /// opcode, 13 a general protection fault, 3 a breakpoint).
    pub(crate) fn trap(&self) -> u64 {
        self.reg(libc::REG_TRAPNO)
    }

    /// Whether the fault hit the page under the thread's stack: a stack
    /// overflow (a frame may skip a little past the guard page).
    pub(crate) fn hit_stack_guard(&self) -> bool {
        const BELOW: usize = 256 << 10;
        let (low, _) = self.stack;
        low != 0 && self.signal == libc::SIGSEGV && (low.saturating_sub(BELOW)..low).contains(&self.address)
    }

    /// The return addresses after the faulting instruction's frame: the
    /// callers, innermost first. The walk began in the handler, so the
    /// frames up to the faulting instruction are skipped.
    pub(crate) fn callers(&self) -> &[usize] {
        let frames = &self.frames[..self.depth];
        let ip = self.ip();
        match frames.iter().position(|f| *f == ip || *f == ip + 1) {
            Some(at) => &frames[at + 1..],
            None => frames,
        }
    }
}

/// Where a running thread was when sampled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) ip: usize,
    pub(crate) frames: [usize; FRAMES],
    pub(crate) depth: usize,
}

impl Default for Sample {
    fn default() -> Sample {
        Sample { ip: 0, frames: [0; FRAMES], depth: 0 }
    }
}

impl Sample {
    /// Records the interrupted context.
    pub(crate) fn capture(&mut self, context: &libc::ucontext_t) {
        self.ip = context.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
        self.depth = stack::walk(&mut self.frames);
    }

    /// The callers of the sampled instruction's frame, innermost first.
    pub(crate) fn callers(&self) -> &[usize] {
        let frames = &self.frames[..self.depth];
        match frames.iter().position(|f| *f == self.ip || *f == self.ip + 1) {
            Some(at) => &frames[at + 1..],
            None => frames,
        }
    }
}
