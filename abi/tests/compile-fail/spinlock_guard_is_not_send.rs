//! A `SpinLockGuard` is not `Send`: the task that took the spinlock must
//! release it, so the guard cannot move to another thread.

use modhost_abi::services::spinlock::{SpinLock, SpinLockGuard};
use modhost_abi::services::statics::Static;

static COUNT: Static<SpinLock<u32>> = Static::new(|| SpinLock::new(0));

fn main() {
    let mut guard: SpinLockGuard<'static, u32> = COUNT.lock();
    std::thread::spawn(move || {
        *guard += 1;
    });
}
