//! The kernel's checks and reports of things going wrong.
//!
//! - [`report`]: the one printer of Oops, WARN, BUG and INFO reports, in
//!   the kernel's shapes;
//! - [`daemon`]: the kernel's own periodic threads, one place;
//! - [`hung_task`]: `khungtaskd`, which reports tasks stuck in
//!   uninterruptible sleep;
//! - [`stack`]: call traces through module code (`dump_stack`);
//! - [`fault`]: native faults in module code, which kill only their task,
//!   and [`oops`], their reports;
//! - [`watchdog`]: the soft-lockup detector;
//! - [`kasan`]: KASAN's and kmemleak's reports of module memory, and
//!   [`slab_check`], `kslabcheckd`, the periodic check of its redzones and
//!   poison;
//! - [`lockdep`]: the order locks, semaphores and completions are taken
//!   in, and the deadlocks it allows;
//! - [`fault_inject`]: failing a module's `kmalloc` or `down` on purpose;
//! - [`waitfor`]: why an rmmod waits, said the moment it starts waiting;
//! - [`rates`]: the rate a work item or timer that re-arms itself achieves;
//! - [`panic`](mod@panic): the kernel process's death recorded for the supervisor;
//! - [`pstore`]: the log kept in memory shared with the supervisor.
//!
//! Kernel counterpart: `kernel/panic.c`, `kernel/hung_task.c`,
//! `arch/x86/kernel/dumpstack.c`, `fs/pstore/`.

pub(crate) mod daemon;
pub(crate) mod fault;
pub(crate) mod fault_inject;
pub(crate) mod hostsyms;
pub(crate) mod hung_task;
pub(crate) mod kasan;
pub(crate) mod lockdep;
mod oops;
pub(crate) mod panic;
pub(crate) mod pstore;
pub(crate) mod rates;
pub(crate) mod report;
pub(crate) mod slab_check;
pub(crate) mod stack;
pub(crate) mod waitfor;
pub(crate) mod watchdog;
