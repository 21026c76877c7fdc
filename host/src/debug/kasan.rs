//! The reports of module memory gone wrong, in the shapes of KASAN and
//! kmemleak, from what the checks of [`crate::services::kmem`] found:
//!
//! ```text
//! ==================================================================
//! BUG: KASAN: slab-out-of-bounds in oob_init+0x77/0xcb [oob]
//! Write of size 11 at addr 00007f91c4002230 by task insmod/2
//!
//! CPU: 0 PID: 2 Comm: insmod Tainted: B
//! Call Trace:
//!  <TASK>
//!  strcpy+0x5b/0x85 [oob]
//!  oob_init+0x77/0xcb [oob]
//!  __modhost_start+0x64/0x9f [oob]
//!  </TASK>
//!
//! Allocated by task 2:
//!  oob.c:13 [oob]
//!
//! The buggy address belongs to the object at 00007f91c4002230
//!  which belongs to the cache kmalloc-16 of size 16
//! The buggy address is located 0 bytes inside of
//!  allocated 10-byte region [00007f91c4002230, 00007f91c400223a)
//! ==================================================================
//! ```
//!
//! A module built with `KASAN=1` is caught at the access: the first line
//! names the function that made it ([`Place::Code`]), and the calling
//! task's trace follows. Otherwise a write is found where it landed (a
//! redzone, a freed block's poison) when the block is next looked at
//! (`kfree at oob.c:19`, the periodic check, the unload): the first line
//! says where that was ([`Place::Check`]). Each report taints `B`.
//!
//! Kernel counterpart: `mm/kasan/report.c`, `mm/kmemleak.c`.

use crate::{
    services::{
        Services,
        kmem::{Access, Finding, Leak, Origin},
        printk::Level,
        record::ModuleRecord,
    },
    taint::TaintFlag,
};

/// Where a finding was made: the report's `in ...`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place<'a> {
    /// A check of the module's memory: `kfree at oob.c:14`, `the memory
    /// check at unload`.
    Check(&'a str),
    /// The instrumented access (`KASAN=1`) at this address of the
    /// module's code, which is the return address of its check.
    Code(usize),
}

const RULE: &str = "==================================================================";

impl Services {
    /// One KASAN report for `module`, found at `place`; `by` is the task
    /// that made the access or ran the check.
    pub(crate) fn kasan(&self, module: &ModuleRecord, finding: &Finding, place: Place<'_>, by: &Origin) {
        module.taint(TaintFlag::BadPage);
        let name = &module.name;
        let at_access = matches!(place, Place::Code(_));
        let place = match place {
            Place::Check(check) => format!("{check} [{name}]"),
            Place::Code(ip) => {
                self.kallsyms.lookup_return(ip).map_or_else(|| format!("{ip:#x} [{name}]"), |l| l.format(true))
            }
        };
        let mut head = vec![RULE.to_string()];
        let mut lines = Vec::new();
        match finding {
            Finding::OutOfBounds { block, size, at, len, access, alloc } => {
                head.push(format!("BUG: KASAN: slab-out-of-bounds in {place}"));
                head.push(format!("{} of size {len} at addr {at:016x} by task {}/{}", verb(*access), by.comm, by.pid));
                lines.extend(origin("Allocated", alloc, name));
                lines.extend(belongs(*block, *size));
                lines.extend(located(*at, *block, *size, "allocated"));
            }
            Finding::UseAfterFree { block, size, at, len, access, alloc, free } => {
                head.push(format!("BUG: KASAN: slab-use-after-free in {place}"));
                head.push(match access {
                    Access::Written => format!("Write of size {len} at addr {at:016x} after it was freed"),
                    _ => format!("{} of size {len} at addr {at:016x} by task {}/{}", verb(*access), by.comm, by.pid),
                });
                lines.extend(origin("Allocated", alloc, name));
                lines.extend(origin("Freed", free, name));
                lines.extend(belongs(*block, *size));
                lines.extend(located(*at, *block, *size, "freed"));
            }
            Finding::DoubleFree { block, size, alloc, free } => {
                head.push(format!("BUG: KASAN: double-free in {place}"));
                head.push(format!("Free of addr {block:016x} by task {}/{}", by.comm, by.pid));
                lines.extend(origin("Allocated", alloc, name));
                lines.extend(origin("Freed", free, name));
                lines.extend(belongs(*block, *size));
                lines.extend(located(*block, *block, *size, ""));
            }
            Finding::InvalidFree { address, inside } => {
                head.push(format!("BUG: KASAN: invalid-free in {place}"));
                head.push(format!("Free of addr {address:016x} by task {}/{}", by.comm, by.pid));
                if let Some((block, size, alloc)) = inside {
                    lines.extend(origin("Allocated", alloc, name));
                    lines.extend(belongs(*block, *size));
                    lines.extend(located(*address, *block, *size, ""));
                } else {
                    lines.push(String::new());
                    lines.push("The buggy address is no block kmalloc returned (a stack or static address?)".into());
                }
            }
        }
        lines.push(RULE.to_string());
        head.iter().for_each(|line| self.log(Level::Err, line));
        if at_access {
            // Caught at the access: this task is the one that made it.
            self.log(Level::Err, "");
            self.dump_stack(Level::Err);
        }
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

/// Where `at` is from the `state` (`allocated`, `freed`) region of the
/// block: to its left, inside, or to its right.
fn located(at: usize, block: usize, size: usize, state: &str) -> [String; 2] {
    let end = block + size;
    let (bytes, whence) = if at < block {
        (block - at, "to the left of")
    } else if at >= end {
        (at - end, "to the right of")
    } else {
        (at - block, "inside of")
    };
    let region = if state.is_empty() { String::new() } else { format!("{state} ") };
    [
        format!("The buggy address is located {bytes} bytes {whence}"),
        format!(" {region}{size}-byte region [{block:016x}, {end:016x})"),
    ]
}

/// `Read` or `Write`: what the access did (bytes found changed were written).
fn verb(access: Access) -> &'static str {
    match access {
        Access::Read => "Read",
        Access::Write | Access::Written => "Write",
    }
}

/// `    78 00 00 00 ...  x...`: one line of a hex dump.
fn hex_line(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let ascii: String =
        bytes.iter().map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' }).collect();
    format!("    {:<48} {ascii}", hex.join(" "))
}
