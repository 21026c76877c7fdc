//! Compile-fail tests: the SDK's types forbid the patterns that used to
//! crash the host (a callback's handle kept past its call, a handle copied
//! out of its borrow or outliving its owner, heap data in a static, a lock
//! guard sent to another task) or break a module file (a NUL in a modinfo
//! string). Each program in `tests/compile-fail` must fail to compile with
//! the error in its `.stderr` snapshot.
//!
//! Regenerate the snapshots with
//! `TRYBUILD=overwrite cargo test -p modhost-abi --test compile_fail`.

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("tests/compile-fail/*.rs");
}
