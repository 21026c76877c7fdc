//! Mutated module files through the loader's whole pipeline short of init
//! (`modhost::loader::check_module_image`): each must load and unload
//! cleanly or be refused with an error, never crash or hang the host. Init
//! is not run: a mutation of code that init runs is a fault in module code,
//! not a loader matter. The seed corpus is the shipped modules
//! (`scripts/fuzz.sh` puts them there).

#![no_main]

use libfuzzer_sys::fuzz_target;
use modhost::ErrorKind;

fuzz_target!(|bytes: &[u8]| {
    if let Err(e) = modhost::loader::check_module_image(bytes) {
        // A library that stays mapped after its unload is a loader bug too.
        assert_ne!(e.kind(), ErrorKind::Busy, "{e}");
    }
});
