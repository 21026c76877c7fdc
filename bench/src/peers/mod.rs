//! The structures and mechanisms our figures are compared with.
//!
//! A peer is what a reasonable engineer would otherwise use, written as well
//! as it reasonably can be (std or a well-known crate where one has it; by
//! hand where none does), so that a ratio against it means something. std's
//! and crossbeam's structures are used directly by the suites; only what
//! they lack lives here. The `rate` suite's peer is a module of its own,
//! `bench/plugins/naive-producer`.
//!
//! Kernel counterpart: none.

pub(crate) mod indexed_heap;
pub(crate) mod semaphore_ring;
