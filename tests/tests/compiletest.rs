//! Every compile error `#[on_event]` writes, pinned with its exact message and span.
//!
//! Refresh after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p postal-hooks-tests --test compiletest`, then review the
//! diff of `tests/ui/*.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
