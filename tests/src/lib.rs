//! Support crate for the integration tests in `tests/tests/`. Not published.
//!
//! Its doctests compile and run every Rust code block of the repository's `README.md`, so the
//! README cannot drift from the API.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
