//! The structures and mechanisms our figures are compared with.
//!
//! A peer is what a reasonable engineer would otherwise use, written as well
//! as it reasonably can be (std where std has it; by hand where it does not),
//! so that a ratio against it means something. std's own structures are used
//! directly by the suites; only what std lacks lives here.
//!
//! Kernel counterpart: none.

pub(crate) mod indexed_heap;
