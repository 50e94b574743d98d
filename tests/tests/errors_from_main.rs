//! `fn main() -> Result<(), Box<dyn Error>>` prints an error it returns with `{:?}`
//! (`Error: {err:?}`). Each error a user is likely to return from `main` prints its
//! sentence there, and its causes, instead of the enum's structure.

use std::error::Error;

use postal_hooks::config::{Config, PUBLIC_KEY_VAR};
use postal_hooks::events::MessageBounced;
use postal_hooks::{Dispatcher, State, Verifier, on_event};

/// What `main` would print after `Error: `.
fn printed_by_main(error: impl Error + 'static) -> String {
    let boxed: Box<dyn Error> = Box::new(error);
    let printed = format!("{boxed:?}");
    println!("Error: {printed}");
    printed
}

struct Pool;

/// Needs a `Pool` that no test gives.
#[on_event(MessageBounced)]
fn needs_pool(_bounce: &MessageBounced, _pool: State<Pool>) {}

#[test]
fn a_missing_key_prints_what_to_set_and_where_to_get_it() {
    let error = Config::from_lookup(|_| None).unwrap_err();
    let printed = printed_by_main(error.clone());
    assert_eq!(printed, error.to_string());
    assert!(
        printed.starts_with("POSTAL_PUBLIC_KEY is not set"),
        "{printed}"
    );
    assert!(!printed.contains("MissingKey"), "{printed}");
}

#[test]
fn an_unreadable_key_prints_its_sentence_not_key_not_recognised() {
    let error = Verifier::from_key_text("not a key").unwrap_err();
    let printed = printed_by_main(error);
    assert!(
        printed.starts_with("not a public key: expected PEM"),
        "{printed}"
    );
    assert!(!printed.contains("NotRecognised"), "{printed}");

    let error = Config::from_lookup(|name| (name == PUBLIC_KEY_VAR).then(|| "not a key".into()))
        .unwrap_err();
    let printed = printed_by_main(error);
    assert!(
        printed.starts_with("POSTAL_PUBLIC_KEY: not a public key"),
        "{printed}"
    );
    assert!(
        !printed.contains("Key(") && !printed.contains("Caused by"),
        "the cause is quoted once: {printed}"
    );
}

#[test]
fn a_build_error_prints_the_missing_state_by_name() {
    let error = Dispatcher::builder().build().unwrap_err();
    let printed = printed_by_main(error.clone());
    assert_eq!(printed, error.to_string());
    assert!(
        printed.starts_with("cannot build the postal-hooks dispatcher"),
        "{printed}"
    );
    assert!(printed.contains("Pool"), "{printed}");
    assert!(
        !printed.contains("BuildError {") && !printed.contains("problems:"),
        "{printed}"
    );
}

#[test]
fn an_inbox_error_says_each_cause_once() {
    let dir = std::env::temp_dir().join(format!("postal-hooks-main-{}", std::process::id()));
    std::fs::write(&dir, b"a file, not a directory").unwrap();
    let error = postal_hooks::inbox::Inbox::open(&dir, Default::default()).unwrap_err();
    let printed = printed_by_main(error.clone());
    assert!(printed.starts_with(&error.to_string()), "{printed}");
    assert!(!printed.contains("Open {"), "{printed}");
    // Every cause is said once, whether quoted by the message or listed after it.
    let mut source = error.source();
    while let Some(cause) = source {
        assert_eq!(
            printed.matches(&cause.to_string()).count(),
            1,
            "{cause} in {printed}"
        );
        source = cause.source();
    }
    let _ = std::fs::remove_file(&dir);
}

/// An error whose message quotes nothing of its own cause.
#[derive(Debug)]
struct Inner;

impl std::fmt::Display for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("permission denied by the secrets mount")
    }
}

impl Error for Inner {}

/// An I/O-like error that says less than its cause.
#[derive(Debug)]
struct Outer(Inner);

impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("read failed")
    }
}

impl Error for Outer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn a_cause_the_message_does_not_quote_is_listed_after_it() {
    let error = postal_hooks::config::ConfigError::KeyFile {
        path: "/run/secrets/postal.pem".into(),
        source: postal_hooks::SharedError::new(Outer(Inner)),
    };
    assert_eq!(
        printed_by_main(error),
        "POSTAL_PUBLIC_KEY: cannot read /run/secrets/postal.pem: read failed\n\nCaused by:\n    permission denied by the secrets mount"
    );
}
