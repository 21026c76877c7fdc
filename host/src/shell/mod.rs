//! The shell: modhost's command language, for scripts, `-c` and the prompt.
//!
//! [`command`] is the grammar (clap, multicall: the first word is the
//! command), [`exec`] runs one command against a [`Kernel`](crate::Kernel)
//! with kmod's output and wording, and [`script`] runs lines one after
//! another, the way `modhost --script FILE` and a pipe on stdin do.

pub mod command;
pub mod exec;
pub mod script;

pub use exec::{Flow, Outcome, run_line};
pub use script::{Script, run_script};
