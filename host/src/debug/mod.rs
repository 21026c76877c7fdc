//! The kernel's checks and reports of things going wrong.
//!
//! - [`report`]: the one printer of Oops, WARN, BUG and INFO reports, in
//!   the kernel's shapes;
//! - [`hung_task`]: `khungtaskd`, which reports tasks stuck in
//!   uninterruptible sleep;
//! - [`stack`]: call traces through module code (`dump_stack`).
//!
//! Kernel counterpart: `kernel/panic.c`, `kernel/hung_task.c`,
//! `arch/x86/kernel/dumpstack.c`.

pub(crate) mod hung_task;
pub(crate) mod report;
pub(crate) mod stack;
