//! Module parameters: their declarations, values, parsing and display.
//!
//! A module declares parameters in `module!` with a type, a default, the
//! permission bits of its `/sys/module/NAME/parameters/` file and a
//! description. The host owns the values: it parses `name=value` arguments at
//! insmod and `/sys` writes at runtime with [`ParamType::parse`], shows them
//! with [`ParamType::format`], and answers the module's reads through the
//! service table. A module reads a parameter with the accessor `module!`
//! generates, for example `params::rate.get()`.
//!
//! Kernel counterpart: `kernel/params.c`, `include/linux/moduleparam.h`.

use abi_stable::{
    StableAbi,
    std_types::{RSlice, RStr, RString, RVec},
};
use core::{fmt, marker::PhantomData};

use crate::{
    errno::{Errno, Result},
    kstrtox::{kstrtobool, kstrtoint, kstrtoll, kstrtos16, kstrtou8, kstrtou16, kstrtouint, kstrtoull},
};

/// The longest `charp` value, in bytes (the kernel's `1024`).
pub const CHARP_MAX: usize = 1024;

/// A parameter type: the kernel's `param_ops_*` names.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `u8`, shown with `%hhu`.
    Byte,
    /// `i16`, shown with `%hi`.
    Short,
    /// `u16`, shown with `%hu`.
    UShort,
    /// `i32`, shown with `%i`.
    Int,
    /// `u32`, shown with `%u`.
    UInt,
    /// `i64`, shown with `%li`.
    Long,
    /// `u64`, shown with `%lu`.
    ULong,
    /// `u64`, shown with `%llu`.
    ULLong,
    /// `u32`, shown with `%#08x`.
    HexInt,
    /// A string of at most [`CHARP_MAX`] bytes.
    CharP,
    /// `bool`: `y`/`n`/`1`/`0`/`on`/`off`, a bare name sets it; shown `Y`/`N`.
    Bool,
    /// A `bool` that stores the negation of what was written.
    InvBool,
}

impl ParamType {
    /// The type's name as `modinfo` shows it (`parmtype`), for example `uint`.
    pub const fn name(self) -> &'static str {
        match self {
            ParamType::Byte => "byte",
            ParamType::Short => "short",
            ParamType::UShort => "ushort",
            ParamType::Int => "int",
            ParamType::UInt => "uint",
            ParamType::Long => "long",
            ParamType::ULong => "ulong",
            ParamType::ULLong => "ullong",
            ParamType::HexInt => "hexint",
            ParamType::CharP => "charp",
            ParamType::Bool => "bool",
            ParamType::InvBool => "invbool",
        }
    }

    /// Whether a bare `name` without `=value` is allowed (`KERNEL_PARAM_OPS_FL_NOARG`).
    pub const fn takes_no_argument(self) -> bool {
        matches!(self, ParamType::Bool)
    }

    /// Parses one value by the type's `set` op: `None` is a bare `name`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a malformed value or a missing one, `ERANGE` for a number
    /// out of the type's range, `ENOSPC` for a `charp` longer than
    /// [`CHARP_MAX`].
    pub fn parse(self, value: Option<&str>) -> Result<ParamScalar> {
        let Some(v) = value else {
            return match self {
                ParamType::Bool => Ok(ParamScalar::Bool(true)),
                _ => Err(Errno::EINVAL),
            };
        };
        Ok(match self {
            ParamType::Byte => ParamScalar::Unsigned(kstrtou8(v, 0)?.into()),
            ParamType::Short => ParamScalar::Signed(kstrtos16(v, 0)?.into()),
            ParamType::UShort => ParamScalar::Unsigned(kstrtou16(v, 0)?.into()),
            ParamType::Int => ParamScalar::Signed(kstrtoint(v, 0)?.into()),
            ParamType::UInt | ParamType::HexInt => ParamScalar::Unsigned(kstrtouint(v, 0)?.into()),
            ParamType::Long => ParamScalar::Signed(kstrtoll(v, 0)?),
            ParamType::ULong | ParamType::ULLong => ParamScalar::Unsigned(kstrtoull(v, 0)?),
            ParamType::CharP if v.len() > CHARP_MAX => return Err(Errno::ENOSPC),
            ParamType::CharP => ParamScalar::Str(RString::from(v)),
            ParamType::Bool => ParamScalar::Bool(kstrtobool(v)?),
            ParamType::InvBool => ParamScalar::Bool(!kstrtobool(v)?),
        })
    }

    /// Shows one value by the type's `get` op, without the trailing newline.
    pub fn format(self, value: &ParamScalar) -> String {
        match (self, value) {
            (ParamType::HexInt, ParamScalar::Unsigned(0)) => "00000000".to_string(),
            (ParamType::HexInt, ParamScalar::Unsigned(n)) => format!("{n:#08x}"),
            (ParamType::InvBool, ParamScalar::Bool(b)) => if *b { "N" } else { "Y" }.to_string(),
            (_, ParamScalar::Bool(b)) => if *b { "Y" } else { "N" }.to_string(),
            (_, ParamScalar::Signed(n)) => n.to_string(),
            (_, ParamScalar::Unsigned(n)) => n.to_string(),
            (_, ParamScalar::Str(s)) => s.to_string(),
        }
    }
}

/// One parameter value, owned by the host.
#[repr(u8)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub enum ParamScalar {
    /// `short`, `int`, `long`.
    Signed(i64),
    /// `byte`, `ushort`, `uint`, `ulong`, `ullong`, `hexint`.
    Unsigned(u64),
    /// `bool`, `invbool` (the variable's value, not the written text).
    Bool(bool),
    /// `charp`.
    Str(RString),
}

/// A parameter's value: a scalar or the elements of an array.
#[repr(u8)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// A scalar parameter.
    Scalar(ParamScalar),
    /// An array parameter (`module_param_array`).
    Array(RVec<ParamScalar>),
}

/// A compile-time default, as `module!` writes it into the descriptor.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug)]
pub enum DefaultScalar {
    /// A signed number.
    Signed(i64),
    /// An unsigned number.
    Unsigned(u64),
    /// A `bool` (the variable's value).
    Bool(bool),
    /// A string.
    Str(RStr<'static>),
}

impl DefaultScalar {
    /// The host-owned copy of this default.
    pub fn to_value(self) -> ParamScalar {
        match self {
            DefaultScalar::Signed(n) => ParamScalar::Signed(n),
            DefaultScalar::Unsigned(n) => ParamScalar::Unsigned(n),
            DefaultScalar::Bool(b) => ParamScalar::Bool(b),
            DefaultScalar::Str(s) => ParamScalar::Str(RString::from(s.as_str())),
        }
    }
}

/// A parameter declaration (`module_param` + `MODULE_PARM_DESC`).
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct ParamDesc {
    /// The name, as written in `name=value`.
    pub name: RStr<'static>,
    /// The element type.
    pub ty: ParamType,
    /// `0` for a scalar; the array's capacity for `module_param_array`.
    pub max_len: u32,
    /// The permission bits of `/sys/module/NAME/parameters/PARAM`; `0` for no file.
    pub perm: u16,
    /// The description `modinfo` shows.
    pub description: RStr<'static>,
    /// The default: one element for a scalar, the initial elements of an array.
    pub default: RSlice<'static, DefaultScalar>,
}

impl ParamDesc {
    /// Whether this is an array parameter.
    pub const fn is_array(&self) -> bool {
        self.max_len > 0
    }

    /// The type as `modinfo` shows it: `uint`, or `array of int`.
    pub fn type_name(&self) -> String {
        if self.is_array() { format!("array of {}", self.ty.name()) } else { self.ty.name().to_string() }
    }

    /// Reads back a value as `/sys` shows it (the host's `get` op): the
    /// elements of an array are separated by commas.
    ///
    /// # Errors
    ///
    /// As [`ParamType::parse`].
    pub fn parse_shown(&self, text: &str) -> Result<ParamValue> {
        if !self.is_array() {
            return Ok(ParamValue::Scalar(self.ty.parse(Some(text))?));
        }
        if text.is_empty() {
            return Ok(ParamValue::Array(RVec::new()));
        }
        text.split(',').map(|element| self.ty.parse(Some(element))).collect::<Result<RVec<_>>>().map(ParamValue::Array)
    }

    /// The host-owned copy of the default value.
    pub fn default_value(&self) -> ParamValue {
        if self.is_array() {
            ParamValue::Array(self.default.iter().map(|d| d.to_value()).collect())
        } else {
            let first = self.default.first().copied().unwrap_or(DefaultScalar::Signed(0));
            ParamValue::Scalar(first.to_value())
        }
    }
}

/// Converts a host-owned value into the Rust type a module reads.
pub trait FromParam: Sized {
    /// The conversion; the host guarantees the value fits the declared type.
    fn from_param(value: ParamValue) -> Self;
}

fn scalar(value: ParamValue) -> ParamScalar {
    match value {
        ParamValue::Scalar(s) => s,
        ParamValue::Array(a) => a.into_iter().next().unwrap_or(ParamScalar::Signed(0)),
    }
}

macro_rules! from_param_numbers {
    ($($ty:ty),*) => {$(
        impl FromParam for $ty {
            fn from_param(value: ParamValue) -> Self {
                match scalar(value) {
                    ParamScalar::Signed(n) => <$ty>::try_from(n).unwrap_or_default(),
                    ParamScalar::Unsigned(n) => <$ty>::try_from(n).unwrap_or_default(),
                    ParamScalar::Bool(b) => b.into(),
                    ParamScalar::Str(_) => 0,
                }
            }
        }
    )*};
}

from_param_numbers!(u8, i16, u16, i32, u32, i64, u64);

impl FromParam for bool {
    fn from_param(value: ParamValue) -> Self {
        matches!(scalar(value), ParamScalar::Bool(true))
    }
}

impl FromParam for String {
    fn from_param(value: ParamValue) -> Self {
        match scalar(value) {
            ParamScalar::Str(s) => s.into_string(),
            other => ParamType::Long.format(&other),
        }
    }
}

impl<T: FromParam> FromParam for Vec<T> {
    fn from_param(value: ParamValue) -> Self {
        match value {
            ParamValue::Array(a) => a.into_iter().map(|s| T::from_param(ParamValue::Scalar(s))).collect(),
            scalar @ ParamValue::Scalar(_) => vec![T::from_param(scalar)],
        }
    }
}

/// A module's handle on one of its parameters; `module!` makes one per parameter.
pub struct Param<T> {
    index: u32,
    desc: &'static ParamDesc,
    _type: PhantomData<fn() -> T>,
}

impl<T: FromParam> Param<T> {
    #[doc(hidden)]
    pub const fn new(index: u32, desc: &'static ParamDesc) -> Self {
        Param { index, desc, _type: PhantomData }
    }

    /// The current value: what insmod or the last `/sys` write set, else the default.
    pub fn get(&self) -> T {
        let value = crate::runtime::param_text(self.index)
            .and_then(|text| self.desc.parse_shown(&text).ok())
            .unwrap_or_else(|| self.desc.default_value());
        T::from_param(value)
    }

    /// The parameter's name.
    pub fn name(&self) -> &'static str {
        self.desc.name.as_str()
    }
}

impl<T> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param({})", self.desc.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_by_type() {
        assert_eq!(ParamType::Byte.parse(Some("0x10")), Ok(ParamScalar::Unsigned(16)));
        assert_eq!(ParamType::Byte.parse(Some("256")), Err(Errno::ERANGE));
        assert_eq!(ParamType::Short.parse(Some("-5")), Ok(ParamScalar::Signed(-5)));
        assert_eq!(ParamType::UInt.parse(Some("-1")), Err(Errno::EINVAL));
        assert_eq!(ParamType::Int.parse(Some("abc")), Err(Errno::EINVAL));
        assert_eq!(ParamType::Int.parse(None), Err(Errno::EINVAL));
        assert_eq!(ParamType::Bool.parse(None), Ok(ParamScalar::Bool(true)));
        assert_eq!(ParamType::InvBool.parse(None), Err(Errno::EINVAL));
        assert_eq!(ParamType::InvBool.parse(Some("y")), Ok(ParamScalar::Bool(false)));
        assert_eq!(ParamType::CharP.parse(Some("a b")), Ok(ParamScalar::Str("a b".into())));
        assert_eq!(ParamType::CharP.parse(Some(&"x".repeat(1025))), Err(Errno::ENOSPC));
    }

    #[test]
    fn format_as_sysfs_shows() {
        assert_eq!(ParamType::HexInt.format(&ParamScalar::Unsigned(255)), "0x0000ff");
        assert_eq!(ParamType::HexInt.format(&ParamScalar::Unsigned(0)), "00000000");
        assert_eq!(ParamType::Bool.format(&ParamScalar::Bool(true)), "Y");
        assert_eq!(ParamType::InvBool.format(&ParamScalar::Bool(true)), "N");
        assert_eq!(ParamType::Int.format(&ParamScalar::Signed(-3)), "-3");
    }

    #[test]
    fn values_convert_to_rust_types() {
        assert_eq!(u32::from_param(ParamValue::Scalar(ParamScalar::Unsigned(7))), 7);
        assert_eq!(String::from_param(ParamValue::Scalar(ParamScalar::Str("A".into()))), "A");
        let array = ParamValue::Array(vec![ParamScalar::Signed(1), ParamScalar::Signed(-2)].into());
        assert_eq!(Vec::<i32>::from_param(array), vec![1, -2]);
    }
}
