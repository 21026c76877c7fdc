//! The reports of module memory gone wrong, in the shapes of KASAN and
//! kmemleak, from what the checks of [`crate::services::kmem`] found:
//!
//! ```text
//! ==================================================================
//! BUG: KASAN: slab-out-of-bounds in kfree at oob.c:14 [oob]
//! Write of size 1 at addr 00005581c0a4e01c by task insmod/2
//!
//! Allocated by task 2:
//!  oob.c:11 [oob]
//!
//! The buggy address belongs to the object at 00005581c0a4e010
//!  which belongs to the cache kmalloc-16 of size 16
//! The buggy address is located 0 bytes to the right of
//!  allocated 12-byte region [00005581c0a4e010, 00005581c0a4e01c)
//! ==================================================================
//! ```
//!
//! Without instrumenting the module, a write is found where it landed (a
//! redzone, a freed block's poison) when the block is next looked at: the
//! first line says where that was. Each report taints `B`.
//!
//! Kernel counterpart: `mm/kasan/report.c`, `mm/kmemleak.c`.

use crate::{
    services::{
        Services,
        kmem::{Finding, Leak, Origin},
        printk::Level,
        record::ModuleRecord,
    },
    taint::TaintFlag,
};

const RULE: &str = "==================================================================";

impl Services {
    /// One KASAN report for `module`; `detected` says where the check ran
    /// (`kfree at oob.c:14`, `the unload`).
    pub(crate) fn kasan(&self, module: &ModuleRecord, finding: &Finding, detected: &str, by: &Origin) {
        module.taint(TaintFlag::BadPage);
        let name = &module.name;
        let mut lines = vec![RULE.to_string()];
        match finding {
            Finding::OutOfBounds { block, size, at, len, alloc } => {
                lines.push(format!("BUG: KASAN: slab-out-of-bounds in {detected} [{name}]"));
                lines.push(format!("Write of size {len} at addr {at:016x} by task {}/{}", by.comm, by.pid));
                lines.extend(origin("Allocated", alloc, name));
                lines.extend(belongs(*block, *size));
                lines.push(format!("The buggy address is located {} bytes to the right of", at - (block + size)));
                lines.push(format!(" allocated {size}-byte region [{block:016x}, {:016x})", block + size));
            }
            Finding::UseAfterFree { block, size, at, len, alloc, free } => {
                lines.push(format!("BUG: KASAN: slab-use-after-free in {detected} [{name}]"));
                lines.push(format!("Write of size {len} at addr {at:016x} after it was freed"));
                lines.extend(origin("Allocated", alloc, name));
                lines.extend(origin("Freed", free, name));
                lines.extend(belongs(*block, *size));
                lines.push(format!("The buggy address is located {} bytes inside of", at - block));
                lines.push(format!(" freed {size}-byte region [{block:016x}, {:016x})", block + size));
            }
            Finding::DoubleFree { block, size, alloc, free } => {
                lines.push(format!("BUG: KASAN: double-free in {detected} [{name}]"));
                lines.push(format!("Free of addr {block:016x} by task {}/{}", by.comm, by.pid));
                lines.extend(origin("Allocated", alloc, name));
                lines.extend(origin("Freed", free, name));
                lines.extend(belongs(*block, *size));
                lines.push("The buggy address is located 0 bytes inside of".to_string());
                lines.push(format!(" {size}-byte region [{block:016x}, {:016x})", block + size));
            }
            Finding::InvalidFree { address, inside } => {
                lines.push(format!("BUG: KASAN: invalid-free in {detected} [{name}]"));
                lines.push(format!("Free of addr {address:016x} by task {}/{}", by.comm, by.pid));
                if let Some((block, size, alloc)) = inside {
                    lines.extend(origin("Allocated", alloc, name));
                    lines.extend(belongs(*block, *size));
                    lines.push(format!("The buggy address is located {} bytes inside of", address - block));
                    lines.push(format!(" {size}-byte region [{block:016x}, {:016x})", block + size));
                } else {
                    lines.push(String::new());
                    lines.push("The buggy address is no block kmalloc returned (a stack or static address?)".into());
                }
            }
        }
        lines.push(RULE.to_string());
        lines.iter().for_each(|line| self.log(Level::Err, line));
    }

    /// kmemleak's report of what `module` never freed, at its unload.
    pub(crate) fn kmemleak(&self, module: &ModuleRecord, leaks: &[Leak]) {
        for leak in leaks {
            let mut lines = vec![
                format!("unreferenced object {:016x} (size {}):", leak.address, leak.size),
                format!("  comm \"{}\", pid {}, jiffies {}", leak.alloc.comm, leak.alloc.pid, leak.alloc.jiffies),
                format!("  hex dump (first {} bytes):", leak.head.len()),
            ];
            lines.extend(leak.head.chunks(16).map(hex_line));
            lines.push("  backtrace:".to_string());
            lines.push(format!("    {} [{}]", leak.alloc.site, module.name));
            lines.iter().for_each(|line| self.log(Level::Err, line));
        }
        if !leaks.is_empty() {
            self.log(Level::Err, &format!("kmemleak: {} new suspected memory leaks", leaks.len()));
            let bytes: usize = leaks.iter().map(|l| l.size).sum();
            self.log(Level::Notice, &format!("{}: {bytes} bytes it never freed are freed with it", module.name));
        }
    }
}

/// `Allocated by task 12:` (or `Freed by`) and the call's site.
fn origin(what: &str, origin: &Origin, module: &str) -> [String; 3] {
    [String::new(), format!("{what} by task {}:", origin.pid), format!(" {} [{module}]", origin.site)]
}

/// Which object and kmalloc cache the address belongs to.
fn belongs(block: usize, size: usize) -> [String; 3] {
    let cache = size.next_power_of_two().max(8);
    [
        String::new(),
        format!("The buggy address belongs to the object at {block:016x}"),
        format!(" which belongs to the cache kmalloc-{cache} of size {cache}"),
    ]
}

/// `    78 00 00 00 ...  x...`: one line of a hex dump.
fn hex_line(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let ascii: String =
        bytes.iter().map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' }).collect();
    format!("    {:<48} {ascii}", hex.join(" "))
}
