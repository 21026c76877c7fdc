//! Names for the host's own code in a call trace: `Worker::call+0x5c/0x120`,
//! `start_thread+0x9c/0x1a0`.
//!
//! A module's frames are named through kallsyms; the rest of a trace is the
//! host's: its binary's symbol table (read once, on the first report that
//! needs it) and the shared libraries' dynamic symbols (`dladdr`). Rust
//! names are demangled and cut to their last two path segments, as short
//! as the kernel's function names.
//!
//! Kernel counterpart: `kernel/kallsyms.c` for the core kernel's symbols.

use core::ffi::{CStr, c_void};
use object::{Object, ObjectKind, ObjectSymbol, SymbolKind};
use std::fmt;
use std::sync::OnceLock;

/// One function of the host binary, at its runtime address.
struct HostSymbol {
    start: usize,
    size: usize,
    name: String,
}

/// `name+0x5c/0x120` for an address of the host, if it has a name.
pub(crate) fn sprint(address: usize) -> Option<String> {
    binary_symbol(address).or_else(|| library_symbol(address))
}

fn binary_symbol(address: usize) -> Option<String> {
    let symbols = binary_symbols();
    let index = symbols.partition_point(|s| s.start <= address).checked_sub(1)?;
    let symbol = &symbols[index];
    (address < symbol.start + symbol.size.max(1))
        .then(|| format!("{}+{:#x}/{:#x}", symbol.name, address - symbol.start, symbol.size))
}

/// The binary's functions, sorted by address (empty if it cannot be read).
fn binary_symbols() -> &'static [HostSymbol] {
    static SYMBOLS: OnceLock<Vec<HostSymbol>> = OnceLock::new();
    SYMBOLS.get_or_init(|| read_binary_symbols().unwrap_or_default())
}

fn read_binary_symbols() -> Option<Vec<HostSymbol>> {
    let data = std::fs::read("/proc/self/exe").ok()?;
    let file = object::File::parse(&*data).ok()?;
    let bias = if file.kind() == ObjectKind::Dynamic { load_base()? } else { 0 };
    let mut symbols: Vec<HostSymbol> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
        .filter_map(|s| {
            let start = bias + usize::try_from(s.address()).ok()?;
            Some(HostSymbol { start, size: usize::try_from(s.size()).ok()?, name: short_name(s.name().ok()?) })
        })
        .collect();
    symbols.sort_by_key(|s| s.start);
    Some(symbols)
}

/// Where the binary is mapped (its `dladdr` base).
fn load_base() -> Option<usize> {
    dl_info(load_base as *const () as usize).map(|info| info.dli_fbase as usize)
}

/// A shared library's exported function holding `address`.
fn library_symbol(address: usize) -> Option<String> {
    let info = dl_info(address)?;
    if info.dli_sname.is_null() {
        return None;
    }
    // SAFETY: `dladdr` filled a non-null `dli_sname` with a C string of the
    // library's string table, mapped as long as the library is.
    let name = unsafe { CStr::from_ptr(info.dli_sname) }.to_string_lossy();
    Some(format!("{}+{:#x}", short_name(&name), address - info.dli_saddr as usize))
}

fn dl_info(address: usize) -> Option<libc::Dl_info> {
    // SAFETY: A zeroed `Dl_info` is valid for `dladdr` to fill.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: `dladdr` only reads the loader's tables for any address.
    (unsafe { libc::dladdr(address as *const c_void, &raw mut info) } != 0).then_some(info)
}

/// A symbol's readable name: Rust's legacy mangling (`_ZN..17h<hash>E`)
/// decoded to its last two segments; anything else as it is.
pub(crate) fn short_name(symbol: &str) -> String {
    let mut name = String::new();
    let _ = write_short_name(&mut name, symbol);
    name
}

/// [`short_name`] into `out`, allocating nothing (the panic paths call it
/// from a signal handler).
pub(crate) fn write_short_name(out: &mut impl fmt::Write, symbol: &str) -> fmt::Result {
    let Some(mangled) = symbol.strip_prefix("_ZN") else { return out.write_str(symbol) };
    let count = segments(mangled).filter(|s| !is_hash(s)).count();
    let mut first = true;
    for segment in segments(mangled).filter(|s| !is_hash(s)).skip(count.saturating_sub(2)) {
        if !first {
            out.write_str("::")?;
        }
        first = false;
        write_unescaped(out, segment)?;
    }
    Ok(())
}

/// The length-prefixed segments of a legacy-mangled path.
fn segments(mut rest: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        let len_end = rest.find(|c: char| !c.is_ascii_digit())?;
        let len = rest[..len_end].parse::<usize>().ok()?;
        let segment = rest.get(len_end..len_end + len)?;
        rest = &rest[len_end + len..];
        Some(segment)
    })
}

/// The hash segment (`h` and 16 hex digits) that ends a legacy name.
fn is_hash(segment: &str) -> bool {
    segment.len() == 17 && segment.starts_with('h') && segment[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A segment with the legacy mangling's escapes (`$LT$`, `$u7b$`, `..`) undone.
fn write_unescaped(out: &mut impl fmt::Write, segment: &str) -> fmt::Result {
    const ESCAPES: [(&str, &str); 10] = [
        ("LT", "<"),
        ("GT", ">"),
        ("RF", "&"),
        ("BP", "*"),
        ("C", ","),
        ("SP", "@"),
        ("u20", " "),
        ("u27", "'"),
        ("u7b", "{"),
        ("u7d", "}"),
    ];
    let mut rest = segment.strip_prefix('_').filter(|r| r.starts_with('$')).unwrap_or(segment);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("..") {
            out.write_str("::")?;
            rest = after;
        } else if let Some((code, after)) = rest.strip_prefix('$').and_then(|r| r.split_once('$')) {
            match ESCAPES.iter().find(|(from, _)| *from == code) {
                Some((_, to)) => out.write_str(to)?,
                None => write!(out, "${code}$")?,
            }
            rest = after;
        } else {
            let end = rest[1..].find(['$', '.']).map_or(rest.len(), |i| i + 1);
            out.write_str(&rest[..end])?;
            rest = &rest[end..];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_are_cut_to_their_last_two_segments() {
        assert_eq!(short_name("_ZN7modhost8services9workqueue6worker6Worker4call17h0123456789abcdefE"), "Worker::call");
        assert_eq!(
            short_name("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE"),
            "lang_start::{{closure}}"
        );
        assert_eq!(short_name("start_thread"), "start_thread");
        assert_eq!(
            short_name(
                "_ZN66_$LT$panicmod..PanicMod$u20$as$u20$modhost_abi..module..Module$GT$4init17h5fd3e89253e66d35E"
            ),
            "<panicmod::PanicMod as modhost_abi::module::Module>::init"
        );
    }

    #[test]
    fn the_hosts_own_code_has_names() {
        let here = sprint(the_hosts_own_code_has_names as *const () as usize + 1).expect("a name");
        assert!(here.starts_with("tests::the_hosts_own_code_has_names+0x1/"), "{here}");
    }
}
