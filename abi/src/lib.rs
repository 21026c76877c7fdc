//! The modhost module ABI and authoring kit.
//!
//! Every plugin links this crate. It holds the contract between the host (the
//! "kernel") and a module, and the kit a module is written with:
//!
//! - [`descriptor`]: the one symbol a plugin exports, `__this_module`, with its
//!   version magic and layout, modinfo, parameters, symbols and entry points;
//! - [`symbol`]: exported and imported symbols with their signatures;
//! - [`param`] and [`kstrtox`]: module parameters by the kernel's rules;
//! - [`module`](mod@module) and [`module!`]: the module lifecycle, init as a constructor
//!   and exit as `Drop`;
//! - [`modinfo`]: the `.modinfo` and `.modhost_tables` sections `module!`
//!   writes, which modinfo and depmod read without loading the file;
//! - [`table`]: the service table the host hands to `init`, in C types;
//! - [`services`]: the safe handles and macros modules use over it
//!   (`Timer`, `Work`, `Mutex`, `pr_info!`, ...);
//! - [`errno`]: error numbers across the boundary.
//!
//! A module is one `lib.rs`:
//!
//! ```ignore
//! use modhost_abi::prelude::*;
//!
//! module! {
//!     type: Hello,
//!     name: "hello",
//!     license: "GPL",
//! }
//!
//! struct Hello;
//!
//! impl Module for Hello {
//!     fn init(_module: &'static ThisModule) -> Result<Self> {
//!         pr_info!("Hello, world\n");
//!         Ok(Hello)
//!     }
//! }
//! ```
//!
//! The crate keeps the rules that let `rmmod` really unmap a plugin: no
//! thread-locals with destructors, no threads of its own, no heap memory in
//! statics (see [`runtime`]).

#![deny(missing_docs)]

pub mod descriptor;
pub mod errno;
pub mod kmod;
pub mod kstrtox;
mod macros;
pub mod modinfo;
pub mod module;
pub mod param;
pub mod runtime;
pub mod services;
pub mod symbol;
pub mod table;

pub use abi_stable;

/// What a module needs in scope: `use modhost_abi::prelude::*;`.
pub mod prelude {
    pub use crate::{
        errno::{Errno, Result},
        module,
        module::{Module, ThisModule},
        pr_alert, pr_crit, pr_debug, pr_emerg, pr_err, pr_info, pr_notice, pr_warn, printk,
        services::{
            printk::{Level, warn, warn_on},
            time::Jiffies,
        },
    };
}

/// Re-exports the macros' expansions use.
#[doc(hidden)]
pub mod __private {
    pub use abi_stable::{
        StableAbi,
        std_types::{RSlice, RStr},
    };
}
