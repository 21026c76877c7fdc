//! modhost: the Linux loadable-module system, rebuilt in user space.
//!
//! A [`Kernel`] plays the kernel for plugins (`.so` cdylibs built with
//! [`modhost_abi`]): it loads them the way the kernel loads `.ko` files,
//! resolves the symbols one exports for another, refuses GPL-only exports to
//! modules whose license is not GPL-compatible, parses module parameters by
//! the kernel's rules, counts references, and unloads in dependency order,
//! really unmapping the code. Modules get kernel services from it: jiffies,
//! printk and more.
//!
//! ```no_run
//! use modhost::Kernel;
//!
//! let kernel = Kernel::builder().module_path("target/release").boot();
//! kernel.insmod("fifo.so", "size=16")?;
//! kernel.insmod("producer.so", "item=A rate=5")?;
//! print!("{}", modhost::views::lsmod::format_lsmod(&kernel.lsmod()));
//! kernel.rmmod("producer")?;
//! kernel.rmmod("fifo")?;
//! # Ok::<(), modhost::Error>(())
//! ```
//!
//! A `Kernel` shares its process with the modules it loads, and survives
//! what a process can catch: a module's panic, and a native fault (a NULL
//! dereference, a division by zero, `BUG()`, a stack overflow) in module
//! code on one of its tasks, are an Oops that kills that task alone
//! ([`debug::fault`](crate::debug)); a module that does not return is a
//! hung task, one that spins a soft lockup. What no process survives ends
//! the process that hosts the `Kernel`: `abort()` or `exit()` called by
//! module code, a panic while panicking, a failed allocation, a fault in
//! the host's own code or on a thread that is not the kernel's. The `modhost` binary survives these: its
//! [`supervisor`] runs the kernel in a child process and turns its death
//! into a kernel panic, with the log kept and a `reboot`.
//!
//! The layout follows the kernel's: [`kernel`] owns everything and writes
//! down the lock order; [`loader`] is `kernel/module/` (insmod, rmmod,
//! modprobe, parameters); [`symbols`] is the symbol table; [`services`] is
//! what modules call; [`views`] is lsmod, modinfo, `/proc` and `/sys`;
//! [`shell`] is the command language of the `modhost` binary; [`check`]
//! runs a lab scenario and judges it (`modhost check`); [`modpost`]
//! is kbuild's step that writes what a C module's `.ko` says about itself;
//! [`supervisor`] runs the binary's kernel in a child process, so that the
//! command line survives a kernel panic.

pub mod check;
pub(crate) mod debug;
pub mod error;
pub mod kernel;
pub mod loader;
pub mod modpost;
pub mod services;
pub mod shell;
pub mod supervisor;
pub mod symbols;
pub mod taint;
pub mod views;

pub use error::{Error, ErrorKind, Result};
pub use kernel::{Kernel, KernelBuilder};
pub use modhost_abi::errno::Errno;
pub use views::devfs::{Access, DevFile, Interrupter};
