//! Taint flags: the kernel's record of what has made it less trustworthy.
//!
//! The kernel-wide mask is `/proc/sys/kernel/tainted` (decimal) and is never
//! cleared. Each module also carries the flags it caused, shown as letters in
//! `/proc/modules` and `/sys/module/NAME/taint`.
//!
//! Kernel counterpart: `kernel/panic.c` (`taint_flags`),
//! `Documentation/admin-guide/tainted-kernels.rst`.

use std::{
    fmt,
    sync::atomic::{AtomicU32, Ordering},
};

/// One taint flag, by its bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TaintFlag {
    /// `P`: a module with a license that is not GPL-compatible was loaded.
    ProprietaryModule = 0,
    /// `F`: a module was force-loaded.
    ForcedModule = 1,
    /// `R`: a module was force-unloaded (`rmmod -f`).
    ForcedRmmod = 3,
    /// `B`: bad memory: a module's memory found corrupted (KASAN).
    BadPage = 5,
    /// `D`: the kernel died: a module oopsed (panicked).
    Die = 7,
    /// `W`: a warning was issued (`WARN`).
    Warn = 9,
    /// `L`: a soft lockup: a callback ran on without returning.
    SoftLockup = 14,
}

impl TaintFlag {
    /// Every flag, in bit order.
    pub const ALL: [TaintFlag; 7] = [
        TaintFlag::ProprietaryModule,
        TaintFlag::ForcedModule,
        TaintFlag::ForcedRmmod,
        TaintFlag::BadPage,
        TaintFlag::Die,
        TaintFlag::Warn,
        TaintFlag::SoftLockup,
    ];

    /// The flag's bit in the mask.
    pub const fn mask(self) -> u32 {
        1 << self as u8
    }

    /// The flag's letter.
    pub const fn letter(self) -> char {
        match self {
            TaintFlag::ProprietaryModule => 'P',
            TaintFlag::ForcedModule => 'F',
            TaintFlag::ForcedRmmod => 'R',
            TaintFlag::BadPage => 'B',
            TaintFlag::Die => 'D',
            TaintFlag::Warn => 'W',
            TaintFlag::SoftLockup => 'L',
        }
    }
}

/// A set of taint flags that only grows.
#[derive(Debug, Default)]
pub struct Taint(AtomicU32);

impl Taint {
    /// Adds `flag`; returns whether it was newly set.
    pub fn add(&self, flag: TaintFlag) -> bool {
        self.0.fetch_or(flag.mask(), Ordering::Relaxed) & flag.mask() == 0
    }

    /// Whether `flag` is set.
    pub fn has(&self, flag: TaintFlag) -> bool {
        self.mask() & flag.mask() != 0
    }

    /// The decimal mask of `/proc/sys/kernel/tainted`.
    pub fn mask(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// The set flags' letters in bit order, for example `PD`.
    pub fn letters(&self) -> String {
        TaintFlag::ALL.iter().filter(|f| self.has(**f)).map(|f| f.letter()).collect()
    }
}

impl fmt::Display for Taint {
    /// The `Tainted:` line's value: `G` for a clean kernel, else the letters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.letters() {
            letters if letters.is_empty() => f.write_str("G"),
            letters => f.write_str(&letters),
        }
    }
}

/// The license strings the kernel treats as GPL-compatible, matched exactly.
pub const GPL_COMPATIBLE: [&str; 6] =
    ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"];

/// `license_is_gpl_compatible`.
pub fn license_is_gpl_compatible(license: &str) -> bool {
    GPL_COMPATIBLE.contains(&license)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_and_letters() {
        let taint = Taint::default();
        assert_eq!(taint.to_string(), "G");
        assert!(taint.add(TaintFlag::ProprietaryModule));
        assert!(!taint.add(TaintFlag::ProprietaryModule));
        taint.add(TaintFlag::Die);
        assert_eq!(taint.mask(), 129);
        assert_eq!(taint.letters(), "PD");
    }

    #[test]
    fn only_the_kernels_license_strings_are_gpl_compatible() {
        assert!(license_is_gpl_compatible("GPL"));
        assert!(license_is_gpl_compatible("Dual MIT/GPL"));
        assert!(!license_is_gpl_compatible("gpl"));
        assert!(!license_is_gpl_compatible("GPLv2"));
        assert!(!license_is_gpl_compatible("Proprietary"));
        assert!(!license_is_gpl_compatible(""));
    }
}
