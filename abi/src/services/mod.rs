//! The kernel's services as a module uses them: safe handles and macros
//! over the host's service table ([`crate::table`]).
//!
//! One file per mechanism: [`time`] (jiffies, sleeping), [`timer`],
//! [`workqueue`], [`kthread`], [`sync`] (semaphores and mutexes),
//! [`spinlock`], [`wait`] (wait queues and completions), [`proc`],
//! [`current`], [`statics`] (kernel objects in `static`s), `pr_info!` and
//! friends ([`printk`]), [`pacer`] (a steady rate), [`tasklet`], and
//! [`umh`] (programs the kernel runs).
//!
//! Every object a module makes is owned by that module in the host;
//! whatever it leaves behind at unload, the host stops, frees and reports.
//! Handles to an object the module is given in a callback (`&TimerRef`,
//! `&WorkRef`) are borrowed for that call and cannot be kept. No module
//! code needs `unsafe`.
//!
//! Kernel counterpart: the core kernel API that modules link against.

pub mod current;
pub mod kthread;
pub mod pacer;
pub mod printk;
pub mod proc;
pub mod spinlock;
pub mod statics;
pub mod sync;
pub mod tasklet;
pub mod time;
pub mod timer;
pub mod umh;
pub mod wait;
pub mod workqueue;
