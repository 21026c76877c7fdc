//! String to integer and bool conversion by the kernel's rules.
//!
//! Module parameters, `/sys` writes and modules themselves parse numbers the
//! way the kernel's `kstrto*` family does: base 0 picks the radix from the
//! prefix (`0x` hex, a leading `0` octal, otherwise decimal), one trailing
//! newline is accepted and anything else trailing is `EINVAL`, and a value
//! that does not fit the type is `ERANGE`.
//!
//! Kernel counterpart: `lib/kstrtox.c`.

use crate::errno::{Errno, Result};

/// Picks the radix for base 0 and skips a `0x` prefix (`_parse_integer_fixup_radix`).
fn fixup_radix(s: &[u8], base: u32) -> (&[u8], u32) {
    let hex_prefix = s.len() > 2 && s[0] == b'0' && s[1].eq_ignore_ascii_case(&b'x') && s[2].is_ascii_hexdigit();
    match base {
        0 if hex_prefix => (&s[2..], 16),
        0 if s.first() == Some(&b'0') => (s, 8),
        0 => (s, 10),
        16 if hex_prefix => (&s[2..], 16),
        _ => (s, base),
    }
}

/// `_kstrtoull`: digits, then at most one `\n`, then the end.
fn parse_ull(s: &[u8], base: u32) -> Result<u64> {
    let (s, base) = fixup_radix(s, base);
    let digits = s.iter().take_while(|c| (**c as char).is_digit(base)).count();
    if digits == 0 {
        return Err(Errno::EINVAL);
    }
    let mut value: u64 = 0;
    for c in &s[..digits] {
        let digit = u64::from((*c as char).to_digit(base).unwrap_or(0));
        value = value.checked_mul(u64::from(base)).and_then(|v| v.checked_add(digit)).ok_or(Errno::ERANGE)?;
    }
    match &s[digits..] {
        [] | [b'\n'] => Ok(value),
        _ => Err(Errno::EINVAL),
    }
}

/// `kstrtoull`: an optional `+`, then an unsigned number.
///
/// # Errors
///
/// `EINVAL` for anything but a number (one trailing newline allowed),
/// `ERANGE` if it does not fit in 64 bits.
pub fn kstrtoull(s: &str, base: u32) -> Result<u64> {
    let s = s.as_bytes();
    parse_ull(s.strip_prefix(b"+").unwrap_or(s), base)
}

/// `kstrtoll`: an optional sign, then a number that fits `i64`.
///
/// # Errors
///
/// As [`kstrtoull`].
pub fn kstrtoll(s: &str, base: u32) -> Result<i64> {
    match s.as_bytes().strip_prefix(b"-") {
        Some(rest) => {
            let magnitude = parse_ull(rest, base)?;
            0i64.checked_sub_unsigned(magnitude).ok_or(Errno::ERANGE)
        }
        None => i64::try_from(kstrtoull(s, base)?).map_err(|_| Errno::ERANGE),
    }
}

macro_rules! narrow {
    ($($(#[$doc:meta])* $name:ident: $wide:ident -> $ty:ty;)*) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        ///
        /// `EINVAL` for anything but a number, `ERANGE` if it does not fit.
        pub fn $name(s: &str, base: u32) -> Result<$ty> {
            <$ty>::try_from($wide(s, base)?).map_err(|_| Errno::ERANGE)
        }
    )*};
}

narrow! {
    /// `kstrtou8`, the parser of `byte` parameters.
    kstrtou8: kstrtoull -> u8;
    /// `kstrtou16`, the parser of `ushort` parameters.
    kstrtou16: kstrtoull -> u16;
    /// `kstrtouint`, the parser of `uint` and `hexint` parameters.
    kstrtouint: kstrtoull -> u32;
    /// `kstrtos16`, the parser of `short` parameters.
    kstrtos16: kstrtoll -> i16;
    /// `kstrtoint`, the parser of `int` parameters.
    kstrtoint: kstrtoll -> i32;
}

/// `kstrtobool`: `y`, `Y`, `1`, `on` are true; `n`, `N`, `0`, `off` are false.
///
/// Only the first one or two characters are looked at, as in the kernel, so
/// `yes` is true and `of` is false.
///
/// # Errors
///
/// `EINVAL` for anything else, including `true`, `false` and the empty string.
pub fn kstrtobool(s: &str) -> Result<bool> {
    match s.as_bytes() {
        [b'y' | b'Y' | b'1', ..] => Ok(true),
        [b'n' | b'N' | b'0', ..] => Ok(false),
        [b'o' | b'O', b'n' | b'N', ..] => Ok(true),
        [b'o' | b'O', b'f' | b'F', ..] => Ok(false),
        _ => Err(Errno::EINVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_zero_picks_the_radix_from_the_prefix() {
        assert_eq!(kstrtoull("42", 0), Ok(42));
        assert_eq!(kstrtoull("0x2a", 0), Ok(42));
        assert_eq!(kstrtoull("0X2A", 0), Ok(42));
        assert_eq!(kstrtoull("052", 0), Ok(42));
        assert_eq!(kstrtoull("0", 0), Ok(0));
        assert_eq!(kstrtoull("08", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoull("0x", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoull("0xg", 0), Err(Errno::EINVAL));
    }

    #[test]
    fn one_trailing_newline_and_nothing_else() {
        assert_eq!(kstrtoint("10\n", 0), Ok(10));
        assert_eq!(kstrtoint("10\n\n", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoint("10 ", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoint(" 10", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoint("", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoint("abc", 0), Err(Errno::EINVAL));
    }

    #[test]
    fn signs() {
        assert_eq!(kstrtoint("+5", 0), Ok(5));
        assert_eq!(kstrtoint("-5", 0), Ok(-5));
        assert_eq!(kstrtoint("-0x10", 0), Ok(-16));
        assert_eq!(kstrtoint("-+5", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtouint("-1", 0), Err(Errno::EINVAL));
        assert_eq!(kstrtoll("-9223372036854775808", 0), Ok(i64::MIN));
        assert_eq!(kstrtoll("-9223372036854775809", 0), Err(Errno::ERANGE));
        assert_eq!(kstrtoll("9223372036854775808", 0), Err(Errno::ERANGE));
    }

    #[test]
    fn overflow_is_erange() {
        assert_eq!(kstrtou8("255", 0), Ok(255));
        assert_eq!(kstrtou8("256", 0), Err(Errno::ERANGE));
        assert_eq!(kstrtos16("-32769", 0), Err(Errno::ERANGE));
        assert_eq!(kstrtoull("18446744073709551616", 0), Err(Errno::ERANGE));
        assert_eq!(kstrtoint("2147483648", 0), Err(Errno::ERANGE));
    }

    proptest::proptest! {
        #[test]
        fn every_u64_reads_back_in_every_base(n: u64) {
            proptest::prop_assert_eq!(kstrtoull(&n.to_string(), 0), Ok(n));
            proptest::prop_assert_eq!(kstrtoull(&format!("{n:#x}"), 0), Ok(n));
            proptest::prop_assert_eq!(kstrtoull(&format!("0{n:o}"), 0), Ok(n));
            proptest::prop_assert_eq!(kstrtoull(&format!("+{n}\n"), 0), Ok(n));
        }

        #[test]
        fn every_i64_reads_back(n: i64) {
            proptest::prop_assert_eq!(kstrtoll(&n.to_string(), 0), Ok(n));
            proptest::prop_assert_eq!(kstrtoll(&format!("{n}\n"), 0), Ok(n));
        }

        #[test]
        fn narrow_types_overflow_to_erange(n in 256u64..) {
            proptest::prop_assert_eq!(kstrtou8(&n.to_string(), 0), Err(Errno::ERANGE));
        }

        #[test]
        fn trailing_garbage_is_einval(n: u32, junk in "[ g-zG-Z.,;]{1,3}") {
            let text = format!("{n}{junk}");
            proptest::prop_assert_eq!(kstrtoull(&text, 0), Err(Errno::EINVAL));
        }

        #[test]
        fn anything_parses_or_fails_without_panicking(text in "\\PC{0,24}") {
            let _ = (kstrtoull(&text, 0), kstrtoll(&text, 0), kstrtoint(&text, 0), kstrtobool(&text));
        }
    }

    #[test]
    fn bools_as_the_kernel_spells_them() {
        for t in ["y", "Y", "1", "on", "ON", "oN", "yes", "1x"] {
            assert_eq!(kstrtobool(t), Ok(true), "{t}");
        }
        for f in ["n", "N", "0", "off", "of", "OFF", "no"] {
            assert_eq!(kstrtobool(f), Ok(false), "{f}");
        }
        for bad in ["", "true", "false", "o", "x"] {
            assert_eq!(kstrtobool(bad), Err(Errno::EINVAL), "{bad}");
        }
    }
}
