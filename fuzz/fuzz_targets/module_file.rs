//! Mutated module files through the loader's whole pipeline short of init
//! (`modhost::loader::check_module_image`): each must load and unload
//! cleanly or be refused with an error, never crash or hang the host. Init
//! is not run: a mutation of code that init runs is a fault in module code,
//! not a loader matter. The seed corpus is the shipped modules
//! (`scripts/fuzz.sh` puts them there).

#![no_main]

use libfuzzer_sys::fuzz_target;
use modhost::ErrorKind;
use std::sync::Once;

unsafe extern "C" {
    fn __sanitizer_set_death_callback(callback: Option<extern "C" fn()>);
    fn pthread_atfork(
        prepare: Option<extern "C" fn()>,
        parent: Option<extern "C" fn()>,
        child: Option<extern "C" fn()>,
    ) -> i32;
}

/// In the loader's layout-check child, a sanitizer report ends the child
/// (which the loader reads as a refused module), not the fuzzing run.
extern "C" fn forget_death_callback() {
    // SAFETY: Clears the sanitizer's death callback in this child only.
    unsafe { __sanitizer_set_death_callback(None) };
}

fuzz_target!(|bytes: &[u8]| {
    // libfuzzer-sys aborts on every panic, even a caught one; the loader's
    // layout check catches abi_stable's panics on a corrupt layout in its
    // child process. The default hook lets it; a panic that escapes still
    // aborts, as it cannot unwind out of the fuzzer's entry point.
    static SETUP: Once = Once::new();
    SETUP.call_once(|| {
        drop(std::panic::take_hook());
        // SAFETY: Registers a child handler that only clears a callback.
        unsafe { pthread_atfork(None, None, Some(forget_death_callback)) };
    });
    if let Err(e) = modhost::loader::check_module_image(bytes) {
        // A library that stays mapped after its unload is a loader bug too.
        assert_ne!(e.kind(), ErrorKind::Busy, "{e}");
    }
});
