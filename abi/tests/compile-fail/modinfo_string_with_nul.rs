//! A NUL inside a module's string would end its `.modinfo` entry early and
//! leave the rest as a malformed entry: `module!` refuses it at compile
//! time.

use modhost_abi::prelude::*;

module! {
    type: Nul,
    name: "nul",
    description: "half\0the story",
    license: "GPL",
}

struct Nul;

impl Module for Nul {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Nul)
    }
}

fn main() {}
