//! End-to-end tests of modhost, through the library API and the script runner.
//!
//! One test binary; one file per topic. Every test boots its own kernel with
//! a manual clock and the test binary's directory as its module path, where
//! cargo has built the plugin `.so` files (they are dev-dependencies).

#[cfg(test)]
mod util;

// Loading: the pipeline, bad input, rollback, instances.
#[cfg(test)]
mod insmod;

// Bad input: a clear error, nothing changed, the host goes on.
#[cfg(test)]
mod badinput;

// Symbols: resolution, GPL-only, namespaces, uses, Oopses in exports.
#[cfg(test)]
mod symbols;

// rmmod: unloading, forcing, really unmapping.
#[cfg(test)]
mod rmmod;

// depmod, modprobe, modinfo.
#[cfg(test)]
mod modprobe;

// Module files are inspected, never run.
#[cfg(test)]
mod inspect;

// lsmod, /proc and /sys, parameters at runtime.
#[cfg(test)]
mod views;

// The command language through the script runner.
#[cfg(test)]
mod shell;

// Workqueues and work items.
#[cfg(test)]
mod workqueue;

// Semaphores, mutexes, wait queues, completions.
#[cfg(test)]
mod sync;

// kthreads, and rmmod of modules whose threads or exit misbehave.
#[cfg(test)]
mod kthread;

// Timers: expiry, return values, callbacks that sleep or panic.
#[cfg(test)]
mod timer;

// Character devices and /proc files with file operations, from C.
#[cfg(test)]
mod chardev;

// The lab: fifo, producers and consumers together.
#[cfg(test)]
mod lab;

// Fault injection: panics everywhere, exporters going away under importers.
#[cfg(test)]
mod faults;

// Handles: freed in their own callbacks, stale, forged, foreign; module
// code running on after rmmod.
#[cfg(test)]
mod handles;

// The SDK's kernel idioms: spinlocks, statics, current, BH work.
#[cfg(test)]
mod sdk;

// Module files: private copies, changed files, pipes, loops, relative paths.
#[cfg(test)]
mod files;

// Mutated module files: loaded or refused, never a crash.
#[cfg(test)]
mod mutants;

// Property tests: parameter parsing and the command grammar.
#[cfg(test)]
mod properties;

// Module code that never returns: every command comes back.
#[cfg(test)]
mod stuck;

// kbuild and modpost: C modules built from students' Makefiles.
#[cfg(test)]
mod kbuild;

// Building the C modules under tests/c for the tests that load them.
#[cfg(test)]
mod cbuild;

// The lab in C, built by kbuild from a student's Makefile.
#[cfg(test)]
mod clab;

// Loading C modules: exports by license, modversions, no exit, memory, bad files.
#[cfg(test)]
mod cload;

// The C API of time, timers, deferred work, threads, sleeping and locks:
// headers, kbuild/lib, and the courseware's and the lab's code build.
#[cfg(test)]
mod csnippets;

// The same C API run: the snippets built by kbuild and loaded.
#[cfg(test)]
mod cdeferred;

// The kernel C library of kbuild/: headers and kbuild/lib.
#[cfg(test)]
mod clib;
// Signals to kthreads, a task's context, the wall clock, from C.
#[cfg(test)]
mod csignals;

// User-mode helpers from C.
#[cfg(test)]
mod cumh;

// Native faults in C module code: an Oops kills one task, with the
// kernel's report; soft lockups are reported and routed around.
#[cfg(test)]
mod coops;

// KASAN's and kmemleak's reports of C module memory.
#[cfg(test)]
mod ckasan;

// Lab sanity: zero-jiffy busy loops of `HZ / rate`.
#[cfg(test)]
mod csanity;

// lockdep for the C API's locks, semaphores and completions.
#[cfg(test)]
mod clockdep;

// Every rmmod that waits, explained at once.
#[cfg(test)]
mod cwaitfor;

// `modhost check`: scenarios judged in KTAP; the achieved rates.
#[cfg(test)]
mod check;
