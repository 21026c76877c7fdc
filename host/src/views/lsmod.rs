//! lsmod and `/proc/modules`: the loaded modules, newest first.
//!
//! lsmod's table (kmod's `tools/lsmod.c`):
//!
//! ```text
//! Module                  Size  Used by
//! fifo                   16384  2 consumer,producer
//! ```
//!
//! `/proc/modules` (the kernel's `m_show`): name, size, refcount, users each
//! followed by a comma (or `-`), state, load address and taint flags:
//!
//! ```text
//! fifo 16384 2 consumer,producer, Live 0x00007f3a2c000000 (P)
//! ```
//!
//! Kernel counterpart: `kernel/module/procfs.c`; kmod's `tools/lsmod.c`.

use crate::{kernel::Kernel, loader::ModuleState};

/// One loaded module as lsmod sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsmodEntry {
    /// The module (instance) name.
    pub name: String,
    /// Bytes mapped for its code and data.
    pub size: u64,
    /// Users plus extra references.
    pub refcnt: u32,
    /// The modules using it, latest first.
    pub holders: Vec<String>,
    /// Its state.
    pub state: ModuleState,
    /// Its taint letters with the loading/unloading mark, for example `P` or `D-`.
    pub flags: String,
    /// Where its library is mapped.
    pub base: usize,
}

impl Kernel {
    /// The loaded modules, newest first.
    pub fn lsmod(&self) -> Vec<LsmodEntry> {
        let modules = self.inner.modules.lock();
        modules
            .visible()
            .map(|m| LsmodEntry {
                name: m.name().to_string(),
                size: m.size,
                refcnt: modules.refcount(m),
                holders: modules.holders(m).iter().map(|h| h.name().to_string()).collect(),
                state: m.state(),
                flags: m.flags(),
                base: m.base,
            })
            .collect()
    }
}

/// lsmod's output.
pub fn format_lsmod(entries: &[LsmodEntry]) -> String {
    let mut out = String::from("Module                  Size  Used by\n");
    for e in entries {
        out.push_str(&format!("{:<19} {:>8}  {}", e.name, e.size, e.refcnt));
        if !e.holders.is_empty() {
            out.push(' ');
            out.push_str(&e.holders.join(","));
        }
        out.push('\n');
    }
    out
}

/// `/proc/modules`.
pub fn format_proc_modules(entries: &[LsmodEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        let users: String =
            if e.holders.is_empty() { "-".to_string() } else { e.holders.iter().map(|h| format!("{h},")).collect() };
        out.push_str(&format!("{} {} {} {} {} {:#018x}", e.name, e.size, e.refcnt, users, e.state.proc_name(), e.base));
        if !e.flags.is_empty() {
            out.push_str(&format!(" ({})", e.flags));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, holders: &[&str], flags: &str) -> LsmodEntry {
        LsmodEntry {
            name: name.to_string(),
            size: 16384,
            refcnt: holders.len() as u32,
            holders: holders.iter().map(|h| h.to_string()).collect(),
            state: ModuleState::Live,
            flags: flags.to_string(),
            base: 0x7f00_0000_0000,
        }
    }

    #[test]
    fn lsmod_matches_kmod_columns() {
        let text = format_lsmod(&[entry("producer", &[], ""), entry("fifo", &["consumer", "producer"], "")]);
        assert_eq!(
            text,
            "Module                  Size  Used by\n\
             producer               16384  0\n\
             fifo                   16384  2 consumer,producer\n"
        );
    }

    #[test]
    fn proc_modules_matches_the_kernel_format() {
        let text = format_proc_modules(&[entry("fifo", &["consumer", "producer"], "P"), entry("hello", &[], "")]);
        assert_eq!(
            text,
            "fifo 16384 2 consumer,producer, Live 0x00007f0000000000 (P)\n\
             hello 16384 0 - Live 0x00007f0000000000\n"
        );
    }
}
