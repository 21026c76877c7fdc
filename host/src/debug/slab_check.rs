//! The periodic check of module memory: redzones and poison looked at
//! every few seconds, not only when a block is freed or its module unloads.
//!
//! `kslabcheckd` is one task per kernel, started with the first module
//! like `khungtaskd`. Every [`PERIOD`] of kernel time it scans every
//! module's blocks: a live block's redzone found written is an
//! out-of-bounds write, a quarantined block's poison found written a write
//! after free, reported as `kfree` would report them, in the module's name:
//!
//! ```text
//! BUG: KASAN: slab-out-of-bounds in the periodic memory check [keep]
//! Write of size 1 at addr 000055d0c1a2e02a by task kslabcheckd/3
//! ```
//!
//! So a block a module overruns and keeps is reported while the module
//! runs, within a period. Each corruption is reported once, whichever
//! check finds it first (see `services/kmem.rs`).
//!
//! Kernel counterpart: `mm/slub.c`'s `validate_slab_cache` (`check_object`
//! on every object of a cache, as `/sys/kernel/slab/*/validate` asks).

use std::{sync::Arc, time::Duration};

use crate::{
    debug::kasan::Place,
    kernel::KernelInner,
    services::{kmem::Origin, record::ModuleRecord, task::Task},
};

/// How often the check runs, in kernel time.
pub(crate) const PERIOD: Duration = Duration::from_secs(5);

/// Starts `kslabcheckd` for `kernel` if it is not running yet: its first
/// check is one period after, then one every period.
pub(crate) fn start(kernel: &Arc<KernelInner>) {
    let mut started = false;
    kernel.slab_check.start(
        kernel,
        "kslabcheckd",
        |k| &k.slab_check,
        move |kernel| {
            if std::mem::replace(&mut started, true) {
                check_modules(kernel);
            }
            (kernel.clock.clone(), kernel.clock.uptime() + PERIOD)
        },
    );
}

/// Reports what is newly found wrong in every module's memory.
fn check_modules(kernel: &KernelInner) {
    let records: Vec<Arc<ModuleRecord>> =
        kernel.modules.lock().visible().map(|module| Arc::clone(&module.record)).collect();
    let by = Task::with_current(|me| Origin { comm: me.name(), pid: me.id(), ..Origin::default() });
    for record in records {
        let mut from = 0;
        while let Some((block, finding)) = record.kmem.scan(from) {
            kernel.kasan(&record, &finding, Place::Check("the periodic memory check"), &by);
            from = block;
        }
    }
}
