//! `Module.symvers`: the exports of a build, for the builds that import them.
//!
//! One line per export, tab-separated:
//! `0x%08x\tSYM\tMODULE_PATH_WITHOUT_.ko\tEXPORT_SYMBOL[_GPL]\tNAMESPACE`
//! (the namespace empty for none; older files have no fifth field).
//! A module built in another directory learns another's exports from it
//! through `KBUILD_EXTRA_SYMBOLS`.
//!
//! Kernel counterpart: `scripts/mod/modpost.c` (`read_dump`, `write_dump`).

use std::{fmt::Write as _, path::Path};

/// One export, as a Module.symvers line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Symver {
    pub(crate) crc: u32,
    pub(crate) symbol: String,
    /// The module's path without `.ko`.
    pub(crate) module: String,
    pub(crate) gpl_only: bool,
    pub(crate) namespace: String,
}

impl Symver {
    /// The module's name: the last component of its path.
    pub(crate) fn module_name(&self) -> &str {
        self.module.rsplit('/').next().unwrap_or(&self.module)
    }
}

/// Reads the Module.symvers at `path`; the error names the file and line.
pub(crate) fn read(path: &Path) -> Result<Vec<Symver>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
    lines
        .map(|(n, line)| {
            parse_line(line).ok_or_else(|| format!("{}:{}: not a Module.symvers line", path.display(), n + 1))
        })
        .collect()
}

fn parse_line(line: &str) -> Option<Symver> {
    let mut fields = line.split('\t');
    let crc = u32::from_str_radix(fields.next()?.strip_prefix("0x")?, 16).ok()?;
    let symbol = fields.next()?.to_string();
    let module = fields.next()?.to_string();
    let gpl_only = match fields.next()? {
        "EXPORT_SYMBOL" => false,
        "EXPORT_SYMBOL_GPL" => true,
        _ => return None,
    };
    let namespace = fields.next().unwrap_or_default().to_string();
    (!symbol.is_empty() && fields.next().is_none()).then_some(Symver { crc, symbol, module, gpl_only, namespace })
}

/// The text of a Module.symvers holding `symvers`, in their order.
pub(crate) fn format(symvers: &[Symver]) -> String {
    let mut text = String::new();
    for s in symvers {
        let kind = if s.gpl_only { "EXPORT_SYMBOL_GPL" } else { "EXPORT_SYMBOL" };
        let _ = writeln!(text, "0x{:08x}\t{}\t{}\t{kind}\t{}", s.crc, s.symbol, s.module, s.namespace);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let text = "0xb95134ec\tsquare\t/home/student/lab/square\tEXPORT_SYMBOL_GPL\t\n\
                    0x00000001\tadd_item\t/lab/fifo\tEXPORT_SYMBOL\tFIFO\n";
        let symvers: Vec<Symver> = text.lines().map(|l| parse_line(l).unwrap()).collect();
        assert_eq!(symvers[0].crc, 0xb951_34ec);
        assert!(symvers[0].gpl_only);
        assert_eq!(symvers[0].module_name(), "square");
        assert_eq!(symvers[1].namespace, "FIFO");
        assert_eq!(format(&symvers), text);
    }

    #[test]
    fn old_four_field_lines_and_bad_lines() {
        let old = parse_line("0x00000002\tsquare\t/lab/square\tEXPORT_SYMBOL").unwrap();
        assert_eq!(old.namespace, "");
        assert!(parse_line("square\t/lab/square").is_none());
        assert!(parse_line("0x2\tsquare\t/lab/square\tEXPORT_SOMETHING\t").is_none());
    }
}
