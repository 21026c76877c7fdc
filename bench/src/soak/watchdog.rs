//! The soak's watchdog: a hung operation must fail the run, not stall CI.

use super::LockOk;
use std::{
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

/// How long one operation may take before the watchdog calls it a hang and
/// aborts the process.
pub const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Aborts the process if an operation runs longer than [`HANG_LIMIT`]; its
/// thread ends when the watchdog is dropped.
#[derive(Debug)]
pub(crate) struct Watchdog {
    current: Arc<Mutex<Option<(Instant, String)>>>,
}

impl Watchdog {
    pub(crate) fn start() -> Watchdog {
        let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::default();
        let watched = Arc::downgrade(&current);
        thread::Builder::new()
            .name("soak-watchdog".into())
            .spawn(move || {
                while let Some(current) = watched.upgrade() {
                    if let Some((since, op)) = &*current.lock_ok()
                        && since.elapsed() > HANG_LIMIT
                    {
                        eprintln!("soak: {op}: no return after {HANG_LIMIT:?}; the host hangs");
                        std::process::abort();
                    }
                    drop(current);
                    thread::sleep(Duration::from_millis(100));
                }
            })
            .expect("the watchdog thread starts");
        Watchdog { current }
    }

    pub(crate) fn arm(&self, op: String) {
        *self.current.lock_ok() = Some((Instant::now(), op));
    }

    pub(crate) fn disarm(&self) {
        *self.current.lock_ok() = None;
    }
}
