//! `module!`: one declaration that makes a crate a loadable module.
//!
//! The macro writes what `MODULE_LICENSE`, `module_param`, `EXPORT_SYMBOL`
//! and the build system write for a `.ko`: the modinfo, the parameter table
//! and one accessor per parameter (`params::NAME`), the export table with a
//! panic-catching `extern "C"` shim per exported function, one import slot
//! and one plain Rust wrapper per imported function, the `init`/`exit` entry
//! points, the exported root descriptor `__this_module`, and the `.modinfo`
//! and `.modhost_tables` sections that modinfo and depmod read without
//! loading the file ([`modinfo`](crate::modinfo), encoded at compile time
//! from the descriptor itself, so the two never disagree).
//!
//! The expansion contains three `unsafe` tokens. `#[unsafe(no_mangle)]` on
//! `__this_module`: exporting it vouches that the descriptor is truthful, in
//! particular that each import slot has the function type its signature
//! describes, which holds because the macro derives both from one
//! declaration. `#[unsafe(link_section)]` on the two section statics: they
//! are plain bytes in sections of their own that no code reads. The
//! module's own code needs no `unsafe` at all.
//!
//! Kernel counterpart: `include/linux/module.h`, `include/linux/export.h`,
//! `include/linux/moduleparam.h`; Rust-for-Linux's `module!`.

/// Declares a loadable module.
///
/// ```ignore
/// use modhost_abi::prelude::*;
///
/// module! {
///     type: Hello,
///     name: "hello",
///     author: "A. Student",
///     description: "Greets, and adds numbers for other modules",
///     license: "GPL",
///     version: "1.0",
///     params: {
///         whom: charp { default: "world", perm: 0o644, description: "Whom to greet" },
///         ids: [int; 4] { default: [1, 2], perm: 0o444, description: "Some numbers" },
///     },
///     import_ns: ["MATH"],
///     imports: {
///         fn math_mul(a: i32, b: i32) -> i32;
///     },
///     exports: {
///         fn hello_add(a: i32, b: i32) -> i32;           // EXPORT_SYMBOL
///         gpl fn hello_secret() -> i32;                  // EXPORT_SYMBOL_GPL
///         ns("HELLO") fn hello_ns() -> i32;              // EXPORT_SYMBOL_NS
///         gpl("HELLO") fn hello_gpl_ns() -> i32;         // EXPORT_SYMBOL_NS_GPL
///     },
/// }
///
/// struct Hello;
///
/// impl Module for Hello {
///     fn init(_module: &'static ThisModule) -> Result<Self> {
///         pr_info!("Hello, {}! 6 * 7 = {}\n", params::whom.get(), math_mul(6, 7));
///         Ok(Hello)
///     }
/// }
///
/// impl Drop for Hello {
///     fn drop(&mut self) {
///         pr_info!("Goodbye\n");
///     }
/// }
///
/// fn hello_add(a: i32, b: i32) -> i32 { a + b }
/// # fn hello_secret() -> i32 { 0 }
/// # fn hello_ns() -> i32 { 0 }
/// # fn hello_gpl_ns() -> i32 { 0 }
/// ```
///
/// The keys come in this order; `author`, `description`, `version`, `params`,
/// `import_ns`, `imports` and `exports` may be left out. Parameter types are
/// the kernel's: `byte`, `short`, `ushort`, `int`, `uint`, `long`, `ulong`,
/// `ullong`, `hexint`, `charp`, `bool`, `invbool`, and arrays of them written
/// `[TYPE; CAPACITY]`. Permission bits may not be world-writable.
#[macro_export]
macro_rules! module {
    (
        type: $module:ty,
        name: $name:literal,
        $(author: $author:literal,)?
        $(description: $description:literal,)?
        license: $license:literal,
        $(version: $version:literal,)?
        $(params: { $($params:tt)* },)?
        $(import_ns: [$($import_ns:literal),* $(,)?],)?
        $(imports: { $($imports:tt)* },)?
        $(exports: { $($exports:tt)* },)?
    ) => {
        /// The module's parameters, one accessor each: `params::NAME.get()`.
        #[allow(non_upper_case_globals, non_camel_case_types, dead_code)]
        pub mod params {
            $crate::__module_params!($($($params)*)?);
        }

        $crate::__module_imports!(@norm [] $($($imports)*)?);
        $crate::__module_exports!(@norm [] $($($exports)*)?);

        #[doc(hidden)]
        static __MODHOST_INSTANCE: $crate::module::ModuleCell<$module> = $crate::module::ModuleCell::new();

        /// The live module instance, for exported functions:
        /// `this_module().with(|m| ...)`.
        #[allow(dead_code)]
        fn this_module() -> &'static $crate::module::ModuleCell<$module> {
            &__MODHOST_INSTANCE
        }

        const _: () = {
            extern "C" fn init(args: &$crate::descriptor::InitArgs) -> i32 {
                $crate::module::init::<$module>(&__MODHOST_INSTANCE, args)
            }

            extern "C" fn exit() {
                $crate::module::exit::<$module>(&__MODHOST_INSTANCE)
            }

            extern "C" fn param_changed(index: u32) -> i32 {
                $crate::module::param_changed::<$module>(&__MODHOST_INSTANCE, params::DESCS, index)
            }

            static INFO: $crate::descriptor::ModuleInfo = $crate::descriptor::ModuleInfo {
                name: $crate::__private::RStr::from_str($name),
                license: $crate::__private::RStr::from_str($license),
                author: $crate::__private::RStr::from_str($crate::__opt_str!($($author)?)),
                description: $crate::__private::RStr::from_str($crate::__opt_str!($($description)?)),
                version: $crate::__private::RStr::from_str($crate::__opt_str!($($version)?)),
                import_ns: $crate::__private::RSlice::from_slice(&[
                    $($($crate::__private::RStr::from_str($import_ns)),*)?
                ]),
                params: $crate::__private::RSlice::from_slice(params::DESCS),
                exports: $crate::__private::RSlice::from_slice(__modhost_symbols::EXPORTS),
                imports: $crate::__private::RSlice::from_slice(__modhost_symbols::IMPORTS),
                init,
                exit,
                param_changed,
            };

            const VERMAGIC: &::core::ffi::CStr = $crate::descriptor::vermagic(cfg!(panic = "unwind"));

            /// What modinfo and depmod read without loading the file (see
            /// [`modinfo`]($crate::modinfo)): the kernel's `key=value` strings.
            #[allow(unsafe_code)]
            // SAFETY: The section holds bytes no code reads or runs: the host
            // reads them from the file. Its name is `MODINFO_SECTION`, which
            // no other item of the library uses.
            #[used]
            #[unsafe(link_section = ".modinfo")]
            static MODINFO: [u8; $crate::modinfo::modinfo_len(&INFO, VERMAGIC)] =
                $crate::modinfo::modinfo(&INFO, VERMAGIC);

            /// The export, import and parameter records depmod reads.
            #[allow(unsafe_code)]
            // SAFETY: As for `MODINFO`; the name is `TABLES_SECTION`.
            #[used]
            #[unsafe(link_section = ".modhost_tables")]
            static TABLES: [u8; $crate::modinfo::tables_len(&INFO)] = $crate::modinfo::tables(&INFO);

            /// The root descriptor the host looks up (the kernel's `__this_module`).
            #[allow(unsafe_code, non_upper_case_globals)]
            // SAFETY: `__this_module` is the one symbol the host reads from this
            // library. Its descriptor is built by this macro from the module's
            // own declarations: every import slot's function type and its
            // signature come from the same `fn` line, so the host writes into
            // each slot only an address of the type the slot holds.
            #[unsafe(no_mangle)]
            pub static __this_module: $crate::descriptor::ModuleHeader =
                $crate::descriptor::ModuleHeader::new(VERMAGIC, &INFO);
        };
    };
}

/// An optional string literal, or `""`.
#[doc(hidden)]
#[macro_export]
macro_rules! __opt_str {
    () => {
        ""
    };
    ($s:literal) => {
        $s
    };
}

/// The return type of a `fn` line, `()` when it has none.
#[doc(hidden)]
#[macro_export]
macro_rules! __ret_type {
    () => {
        ()
    };
    ($ret:ty) => {
        $ret
    };
}

/// A symbol's [`Signature`](crate::symbol::Signature) from its parameter and return types.
#[doc(hidden)]
#[macro_export]
macro_rules! __signature {
    (($($argty:ty),*) ($($ret:ty)?)) => {
        $crate::symbol::Signature {
            params: $crate::__private::RSlice::from_slice(&[
                $(<$argty as $crate::__private::StableAbi>::LAYOUT),*
            ]),
            ret: <$crate::__ret_type!($($ret)?) as $crate::__private::StableAbi>::LAYOUT,
        }
    };
}

/// The parameter table and accessors, inside `mod params`.
#[doc(hidden)]
#[macro_export]
macro_rules! __module_params {
    () => {
        /// The parameter declarations: none.
        pub(crate) const DESCS: &[$crate::param::ParamDesc] = &[];
    };
    ($(
        $pname:ident : $ptype:tt {
            default: $default:expr,
            perm: $perm:expr,
            description: $pdesc:literal $(,)?
        }
    ),* $(,)?) => {
        #[repr(u32)]
        enum Index { $($pname),* }

        /// The parameter declarations, in order.
        pub(crate) const DESCS: &[$crate::param::ParamDesc] = &[
            $($crate::__param_desc!($pname, $ptype, $default, $perm, $pdesc)),*
        ];

        $(
            #[doc = $pdesc]
            pub static $pname: $crate::param::Param<$crate::__param_rust_type!($ptype)> =
                $crate::param::Param::new(Index::$pname as u32, &DESCS[Index::$pname as usize]);
        )*
    };
}

/// One [`ParamDesc`](crate::param::ParamDesc).
#[doc(hidden)]
#[macro_export]
macro_rules! __param_desc {
    ($pname:ident, [$t:ident; $cap:literal], $default:expr, $perm:expr, $pdesc:literal) => {
        $crate::param::ParamDesc {
            name: $crate::__private::RStr::from_str(stringify!($pname)),
            ty: $crate::__param_type!($t),
            max_len: {
                const CAP: u32 = $cap;
                assert!(CAP > 0, "an array parameter needs a capacity of at least 1");
                CAP
            },
            perm: $crate::__param_perm!($perm),
            description: $crate::__private::RStr::from_str($pdesc),
            default: {
                const GIVEN: &[$crate::__param_default_type!($t)] = &$default;
                const N: usize = GIVEN.len();
                const DEFAULT: [$crate::param::DefaultScalar; N] = {
                    assert!(N <= $cap, "more defaults than the array's capacity");
                    // Locals get prefixed names: a `let` may not shadow a
                    // parameter's static of the same name.
                    let mut __modhost_out = [$crate::param::DefaultScalar::Bool(false); N];
                    let mut __modhost_i = 0;
                    while __modhost_i < N {
                        __modhost_out[__modhost_i] = $crate::__param_to_default!($t, GIVEN[__modhost_i]);
                        __modhost_i += 1;
                    }
                    __modhost_out
                };
                $crate::__private::RSlice::from_slice(&DEFAULT)
            },
        }
    };
    ($pname:ident, $t:ident, $default:expr, $perm:expr, $pdesc:literal) => {
        $crate::param::ParamDesc {
            name: $crate::__private::RStr::from_str(stringify!($pname)),
            ty: $crate::__param_type!($t),
            max_len: 0,
            perm: $crate::__param_perm!($perm),
            description: $crate::__private::RStr::from_str($pdesc),
            default: {
                const GIVEN: $crate::__param_default_type!($t) = $default;
                const DEFAULT: [$crate::param::DefaultScalar; 1] = [$crate::__param_to_default!($t, GIVEN)];
                $crate::__private::RSlice::from_slice(&DEFAULT)
            },
        }
    };
}

/// Permission bits, checked as the kernel's `__module_param_call` does.
#[doc(hidden)]
#[macro_export]
macro_rules! __param_perm {
    ($perm:expr) => {{
        const PERM: u16 = $perm;
        assert!(PERM <= 0o777, "parameter permissions must be within 0o777");
        assert!(PERM & 0o002 == 0, "parameters may not be world-writable");
        PERM
    }};
}

/// The [`ParamType`](crate::param::ParamType) of a type name.
#[doc(hidden)]
#[macro_export]
macro_rules! __param_type {
    (byte) => {
        $crate::param::ParamType::Byte
    };
    (short) => {
        $crate::param::ParamType::Short
    };
    (ushort) => {
        $crate::param::ParamType::UShort
    };
    (int) => {
        $crate::param::ParamType::Int
    };
    (uint) => {
        $crate::param::ParamType::UInt
    };
    (long) => {
        $crate::param::ParamType::Long
    };
    (ulong) => {
        $crate::param::ParamType::ULong
    };
    (ullong) => {
        $crate::param::ParamType::ULLong
    };
    (hexint) => {
        $crate::param::ParamType::HexInt
    };
    (charp) => {
        $crate::param::ParamType::CharP
    };
    (bool) => {
        $crate::param::ParamType::Bool
    };
    (invbool) => {
        $crate::param::ParamType::InvBool
    };
}

/// The Rust type a module reads a parameter as.
#[doc(hidden)]
#[macro_export]
macro_rules! __param_rust_type {
    ([$t:ident; $cap:literal]) => { ::std::vec::Vec<$crate::__param_rust_type!($t)> };
    (charp) => { ::std::string::String };
    ($t:ident) => { $crate::__param_default_type!($t) };
}

/// The Rust type a default is written in.
#[doc(hidden)]
#[macro_export]
macro_rules! __param_default_type {
    (byte) => { u8 };
    (short) => { i16 };
    (ushort) => { u16 };
    (int) => { i32 };
    (uint) => { u32 };
    (long) => { i64 };
    (ulong) => { u64 };
    (ullong) => { u64 };
    (hexint) => { u32 };
    (charp) => { &'static str };
    (bool) => { bool };
    (invbool) => { bool };
}

/// A default value as a [`DefaultScalar`](crate::param::DefaultScalar).
#[doc(hidden)]
#[macro_export]
macro_rules! __param_to_default {
    (charp, $v:expr) => {
        $crate::param::DefaultScalar::Str($crate::__private::RStr::from_str($v))
    };
    (bool, $v:expr) => {
        $crate::param::DefaultScalar::Bool($v)
    };
    (invbool, $v:expr) => {
        $crate::param::DefaultScalar::Bool($v)
    };
    (short, $v:expr) => {
        $crate::param::DefaultScalar::Signed($v as i64)
    };
    (int, $v:expr) => {
        $crate::param::DefaultScalar::Signed($v as i64)
    };
    (long, $v:expr) => {
        $crate::param::DefaultScalar::Signed($v as i64)
    };
    ($t:ident, $v:expr) => {
        $crate::param::DefaultScalar::Unsigned($v as u64)
    };
}

/// The import table: one slot and one wrapper function per import.
#[doc(hidden)]
#[macro_export]
macro_rules! __module_imports {
    (@norm [$($done:tt)*] fn $name:ident ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?; $($rest:tt)*) => {
        $crate::__module_imports!(@norm [$($done)* { $name ($($arg: $argty),*) ($($ret)?) }] $($rest)*);
    };
    (@norm [$({ $name:ident ($($arg:ident : $argty:ty),*) ($($ret:ty)?) })*]) => {
        $(
            #[doc(hidden)]
            #[allow(non_snake_case, unused_imports)]
            mod $name {
                use super::*;
                pub(crate) static SLOT: $crate::symbol::ImportSlot<extern "C" fn($($argty),*) $(-> $ret)?> =
                    $crate::symbol::ImportSlot::new();
            }

            #[allow(dead_code)]
            fn $name($($arg: $argty),*) $(-> $ret)? {
                ($name::SLOT.get(stringify!($name)))($($arg),*)
            }
        )*

        #[doc(hidden)]
        #[allow(unused_imports)]
        mod __modhost_imports {
            use super::*;
            pub(crate) static IMPORTS: &[$crate::symbol::ImportDesc] = &[$(
                $crate::symbol::ImportDesc::new(
                    stringify!($name),
                    $crate::__signature!(($($argty),*) ($($ret)?)),
                    &$name::SLOT,
                )
            ),*];
        }
    };
}

/// The export table: one panic-catching shim per exported function.
#[doc(hidden)]
#[macro_export]
macro_rules! __module_exports {
    (@norm [$($done:tt)*] gpl($ns:literal) fn $name:ident ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?; $($rest:tt)*) => {
        $crate::__module_exports!(@norm [$($done)* { true, $ns, $name ($($arg: $argty),*) ($($ret)?) }] $($rest)*);
    };
    (@norm [$($done:tt)*] gpl fn $name:ident ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?; $($rest:tt)*) => {
        $crate::__module_exports!(@norm [$($done)* { true, "", $name ($($arg: $argty),*) ($($ret)?) }] $($rest)*);
    };
    (@norm [$($done:tt)*] ns($ns:literal) fn $name:ident ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?; $($rest:tt)*) => {
        $crate::__module_exports!(@norm [$($done)* { false, $ns, $name ($($arg: $argty),*) ($($ret)?) }] $($rest)*);
    };
    (@norm [$($done:tt)*] fn $name:ident ($($arg:ident : $argty:ty),* $(,)?) $(-> $ret:ty)?; $($rest:tt)*) => {
        $crate::__module_exports!(@norm [$($done)* { false, "", $name ($($arg: $argty),*) ($($ret)?) }] $($rest)*);
    };
    (@norm [$({ $gpl:literal, $ns:literal, $name:ident ($($arg:ident : $argty:ty),*) ($($ret:ty)?) })*]) => {
        /// The module's symbol tables.
        #[doc(hidden)]
        #[allow(unused_imports)]
        mod __modhost_symbols {
            use super::*;

            $(
                #[allow(non_snake_case)]
                pub(crate) mod $name {
                    use super::*;

                    pub(crate) extern "C" fn shim($($arg: $argty),*) $(-> $ret)? {
                        match $crate::runtime::guard(|| super::super::$name($($arg),*)) {
                            Some(value) => value,
                            None => <$crate::__ret_type!($($ret)?) as $crate::symbol::OopsValue>::oops(),
                        }
                    }
                }
            )*

            pub(crate) static EXPORTS: &[$crate::symbol::ExportDesc] = &[$(
                $crate::symbol::ExportDesc::new(
                    stringify!($name),
                    $gpl,
                    $ns,
                    $crate::__signature!(($($argty),*) ($($ret)?)),
                    $name::shim as *const ::core::ffi::c_void,
                )
            ),*];

            pub(crate) use super::__modhost_imports::IMPORTS;
        }
    };
}
