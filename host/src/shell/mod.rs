//! The shell: modhost's command language, for scripts, `-c` and the prompt.
//!
//! [`command`] is the grammar (clap, multicall: the first word is the
//! command), [`exec`] runs one command against a [`Kernel`](crate::Kernel)
//! with kmod's output and wording, and [`script`] runs lines one after
//! another, the way `modhost --script FILE` and a pipe on stdin do;
//! [`jobs`] runs lines ending in `&` in the background.

mod capture;
pub mod command;
pub mod complete;
pub mod console;
mod dmesg;
pub mod exec;
pub mod interrupt;
pub mod jobs;
pub mod json;
pub mod repl;
pub mod script;
pub mod session;
pub mod stdio;

pub use exec::{Flow, Format, Outcome, run_line, run_line_as};
pub use script::{Script, run_script};
