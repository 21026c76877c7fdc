//! modhost-bench as a library: the parts the test suite runs too.
//!
//! The soak lives here so that `cargo test` can run a short one beside the
//! other end-to-end tests, while `modhost-bench soak --seconds N` runs a
//! long one on demand.

pub mod rng;
pub mod soak;
