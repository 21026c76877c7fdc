//! Interrupting the running command: Ctrl-C during a command, or the end of
//! the session.
//!
//! A command that runs until told to stop (`dmesg -w`, a real-time `sleep`) polls [`pending`].
//! Two things make it true: [`interrupt`], a one-shot request (Ctrl-C while a
//! command runs at the prompt) that [`reset`] forgets before the next
//! command; and [`terminate`], which is for good: the session is ending, and
//! no command from now on should wait for anything.
//!
//! The flags are process-wide because signals are: the one place that
//! raises them is the `modhost` binary's signal thread.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// Asks the running command to stop (Ctrl-C).
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Asks every command, the running one and any later one, to stop: the
/// session is ending.
pub fn terminate() {
    TERMINATED.store(true, Ordering::SeqCst);
}

/// Forgets an [`interrupt`] meant for an earlier command; a [`terminate`]
/// stays.
pub fn reset() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// Whether the running command should stop.
pub fn pending() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) || TERMINATED.load(Ordering::SeqCst)
}
