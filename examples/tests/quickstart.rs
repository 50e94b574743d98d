//! `cargo run --example quickstart`, run as the program it is: every sample body, the two
//! variants included, reaches exactly one handler, which prints what it saw.

// Test code: a failed step must stop the test, loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;

mod common;
use common::example;

#[test]
fn quickstart_handles_every_sample_once_and_exits_zero() {
    let output = Command::new(example("quickstart")).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "quickstart failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.starts_with("10 handlers registered:"), "{stdout}");
    let samples = stdout
        .lines()
        .filter(|line| line.contains(" bytes)"))
        .count();
    assert_eq!(samples, 12, "{stdout}");
    assert_eq!(stdout.matches("=> HTTP 200").count(), 12, "{stdout}");
    assert_eq!(stdout.matches("): ok in ").count(), 12, "{stdout}");
    // What the handlers saw, from each kind of body (values from core/samples/).
    for seen in [
        "delivered message 48213 to Some(\"jane.doe@example.net\")",
        // variants/MessageSent.incoming_http_endpoint.json: received into an HTTP endpoint
        "delivered message 48401 to Some(\"support@inbound.acme.example\"): OK",
        // variants/MessageDelayed.no_smtp_servers.json
        "delayed message 48420: Some(\"No SMTP servers were available",
        "suppress ",
        "click on ",
        "page someone: ",
        "hit its limit: ",
    ] {
        assert!(stdout.contains(seen), "missing {seen:?} in:\n{stdout}");
    }
    assert!(stdout.ends_with("all 12 samples handled\n"), "{stdout}");
}
