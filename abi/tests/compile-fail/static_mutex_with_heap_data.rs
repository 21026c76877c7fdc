//! Statics are never dropped, so a static `Mutex` may only hold `Copy`
//! data: a `Vec` inside one would leak its heap memory at unload.

use modhost_abi::services::statics::Static;
use modhost_abi::services::sync::Mutex;

static M: Static<Mutex<Vec<u8>>> = Static::new(|| Mutex::new(Vec::new()));

fn main() {
    M.lock().push(1);
}
