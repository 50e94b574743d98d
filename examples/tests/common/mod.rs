//! Helpers shared by the example tests.

use std::path::PathBuf;

/// The built binary of example `name`, next to this test's own binary.
///
/// `cargo test` builds every example of this package before it runs the tests.
#[allow(clippy::unwrap_used, clippy::panic)] // test code: a missing binary must fail loudly
pub fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/servers-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the examples)",
        path.display()
    );
    path
}
