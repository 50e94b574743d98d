//! A handler crate the binary never names is dropped by the linker, with its handlers.
//! `expect_crate` makes that a startup error naming the crate. This test binary never names
//! the package's library crate `postal_hooks_tests` (which holds a `MessageLoaded`
//! handler): it is the unreferenced second crate of the workspace. `dispatch.rs` names it,
//! and there the same check passes.

use postal_hooks::events::MessageBounced;
use postal_hooks::{BuildProblem, Dispatcher, on_event};

/// This binary's own handler.
#[on_event(MessageBounced)]
fn here(_bounce: &MessageBounced) {}

#[test]
fn an_expected_crate_that_is_not_linked_fails_startup_and_is_named() {
    for spelled in ["postal_hooks_tests", "postal-hooks-tests"] {
        let error = Dispatcher::builder()
            .expect_crate(spelled)
            .build()
            .unwrap_err();
        assert!(
            matches!(error.problems(), [BuildProblem::CrateNotLinked { name }] if name == "postal_hooks_tests"),
            "{error}"
        );
        let message = error.to_string();
        assert!(message.contains("`postal_hooks_tests`"), "{message}");
        assert!(
            message.contains("use postal_hooks_tests as _;"),
            "{message}"
        );
    }
    // Without the statement, the build succeeds with the crate's handler silently missing:
    // the failure mode `expect_crate` exists for.
    let silent = Dispatcher::builder().build().unwrap();
    assert!(
        silent
            .handlers()
            .all(|handler| handler.name() != "record_open")
    );
}

#[test]
fn a_linked_crate_passes_the_check() {
    let dispatcher = Dispatcher::builder()
        .expect_crate("linked_crates")
        .build()
        .unwrap();
    assert_eq!(
        dispatcher.handlers().map(|h| h.name()).collect::<Vec<_>>(),
        ["here"]
    );
}
