//! `printk`, the `pr_*!` macros, and `WARN`.
//!
//! A module logs only through these: the host prefixes each line with the
//! module instance's name (the kernel's `pr_fmt(KBUILD_MODNAME ": ")`),
//! timestamps it with the kernel clock and keeps it in the dmesg ring buffer.
//! One trailing newline, as kernel format strings carry, is dropped.
//!
//! One message is at most [`PRINTKRB_RECORD_MAX`] bytes, as in the kernel
//! (`vprintk_store` reserves no more, and the rest of the text is cut
//! without a mark). The module formats into a buffer of that size, not into
//! a `String` as long as the text: a huge argument costs no more than a
//! short one. The buffer keeps one byte more than the host stores, so the
//! host sees that the text was cut and counts it.
//!
//! Kernel counterpart: `include/linux/printk.h`, `kernel/printk/printk.c`.

use core::fmt;

/// The kernel's bound on one printk record, in bytes with the terminating
/// NUL (`kernel/printk/internal.h`): a record's text is at most one byte
/// less.
pub const PRINTKRB_RECORD_MAX: usize = 1024;

/// A log level, `KERN_EMERG` (0) to `KERN_DEBUG` (7); lower is more severe.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `KERN_EMERG`: the system is unusable.
    Emerg = 0,
    /// `KERN_ALERT`: action must be taken immediately.
    Alert = 1,
    /// `KERN_CRIT`: critical conditions.
    Crit = 2,
    /// `KERN_ERR`: error conditions.
    Err = 3,
    /// `KERN_WARNING`: warning conditions.
    Warning = 4,
    /// `KERN_NOTICE`: normal but significant.
    Notice = 5,
    /// `KERN_INFO`: informational.
    Info = 6,
    /// `KERN_DEBUG`: debug-level messages.
    Debug = 7,
}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 8] =
        [Level::Emerg, Level::Alert, Level::Crit, Level::Err, Level::Warning, Level::Notice, Level::Info, Level::Debug];

    /// The level with this number; numbers above 7 are `Debug`.
    pub const fn from_u8(n: u8) -> Level {
        match n {
            0 => Level::Emerg,
            1 => Level::Alert,
            2 => Level::Crit,
            3 => Level::Err,
            4 => Level::Warning,
            5 => Level::Notice,
            6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// The name `dmesg -l` takes and `dmesg -x` shows: `emerg` .. `debug`.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Emerg => "emerg",
            Level::Alert => "alert",
            Level::Crit => "crit",
            Level::Err => "err",
            Level::Warning => "warn",
            Level::Notice => "notice",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// The level named `name` (as [`Level::name`]) or numbered `0`..`7`.
    pub fn parse(name: &str) -> Option<Level> {
        if let Ok(n) = name.parse::<u8>() {
            return (n <= 7).then(|| Level::from_u8(n));
        }
        Level::ALL.into_iter().find(|l| l.name() == name || (name == "warning" && *l == Level::Warning))
    }
}

/// `WARN(1, message)`: a warning in dmesg with this call site, the task
/// and the loaded modules; taints `W`.
#[track_caller]
pub fn warn(message: &str) {
    let (services, module) = crate::runtime::kernel();
    (services.module().warn())(module, abi_stable::std_types::RStr::from_str(message), crate::table::Site::caller());
}

/// `WARN_ON(condition)` with a message: warns if `condition` holds, and
/// returns it, so it reads as the kernel's `if (WARN_ON(...))`.
#[track_caller]
pub fn warn_on(condition: bool, message: &str) -> bool {
    if condition {
        warn(message);
    }
    condition
}

/// Logs `args` at `level` as this module; the `pr_*!` macros call this.
pub fn printk(level: Level, args: fmt::Arguments<'_>) {
    crate::runtime::printk(level, args);
}

/// Logs at a level given as an expression: `printk!(Level::Info, "x={}\n", x)`.
#[macro_export]
macro_rules! printk {
    ($level:expr, $($arg:tt)*) => {
        $crate::services::printk::printk($level, ::core::format_args!($($arg)*))
    };
}

/// Logs at `KERN_EMERG`.
#[macro_export]
macro_rules! pr_emerg {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Emerg, $($arg)*) };
}

/// Logs at `KERN_ALERT`.
#[macro_export]
macro_rules! pr_alert {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Alert, $($arg)*) };
}

/// Logs at `KERN_CRIT`.
#[macro_export]
macro_rules! pr_crit {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Crit, $($arg)*) };
}

/// Logs at `KERN_ERR`.
#[macro_export]
macro_rules! pr_err {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Err, $($arg)*) };
}

/// Logs at `KERN_WARNING`.
#[macro_export]
macro_rules! pr_warn {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Warning, $($arg)*) };
}

/// Logs at `KERN_NOTICE`.
#[macro_export]
macro_rules! pr_notice {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Notice, $($arg)*) };
}

/// Logs at `KERN_INFO`.
#[macro_export]
macro_rules! pr_info {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Info, $($arg)*) };
}

/// Logs at `KERN_DEBUG`.
#[macro_export]
macro_rules! pr_debug {
    ($($arg:tt)*) => { $crate::printk!($crate::services::printk::Level::Debug, $($arg)*) };
}

/// Text formatted into at most [`PRINTKRB_RECORD_MAX`] bytes; what does
/// not fit is dropped, and formatting stops there.
#[derive(Debug, Default)]
pub struct RecordBuf {
    text: String,
}

impl RecordBuf {
    /// Formats `args`, cut at [`PRINTKRB_RECORD_MAX`] bytes (on a character
    /// boundary).
    pub fn format(args: fmt::Arguments<'_>) -> RecordBuf {
        let mut buf = RecordBuf { text: String::new() };
        // An error only says that the buffer is full.
        let _ = fmt::write(&mut buf, args);
        buf
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Write for RecordBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = PRINTKRB_RECORD_MAX - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        self.text.push_str(&s[..s.floor_char_boundary(room)]);
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::{Level, PRINTKRB_RECORD_MAX, RecordBuf};

    #[test]
    fn levels_parse_by_name_and_number() {
        assert_eq!(Level::parse("err"), Some(Level::Err));
        assert_eq!(Level::parse("warning"), Some(Level::Warning));
        assert_eq!(Level::parse("7"), Some(Level::Debug));
        assert_eq!(Level::parse("8"), None);
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Err < Level::Info);
    }

    #[test]
    fn a_record_is_formatted_into_a_bounded_buffer() {
        let huge = "é".repeat(PRINTKRB_RECORD_MAX);
        let buf = RecordBuf::format(format_args!("x{huge}"));
        assert!(buf.as_str().len() <= PRINTKRB_RECORD_MAX && buf.as_str().len() >= PRINTKRB_RECORD_MAX - 1);
        assert!(buf.as_str().starts_with("xé"));
        assert_eq!(RecordBuf::format(format_args!("a{}", 1)).as_str(), "a1");
    }
}
