//! A `MutexGuard` is not `Send`: the task that locked the mutex must unlock
//! it, so the guard cannot move to another thread.

use modhost_abi::services::statics::Static;
use modhost_abi::services::sync::{Mutex, MutexGuard};

static COUNT: Static<Mutex<u32>> = Static::new(|| Mutex::new(0));

fn main() {
    let mut guard: MutexGuard<'static, u32> = COUNT.lock();
    std::thread::spawn(move || {
        *guard += 1;
    });
}
