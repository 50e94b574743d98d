//! An app that uses `log` (no `tracing` subscriber) sees the per-request line: tracing's
//! `log` feature turns each event into a `log` record. A process of its own, because a
//! logger is process-wide.

mod common;

use std::sync::Mutex;

use postal_hooks::events::MessageSent;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};

/// Keeps every record as `LEVEL target: message`.
struct Kept(Mutex<Vec<String>>);

impl log::Log for Kept {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

#[test]
fn a_log_only_app_sees_one_line_per_request() {
    let kept: &'static Kept = Box::leak(Box::new(Kept(Mutex::new(Vec::new()))));
    log::set_logger(kept).unwrap();
    log::set_max_level(log::LevelFilter::Info);

    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageSent| -> Result<(), String> { Err("crm down".into()) })
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier()).with_replay_window(None);
    let body = common::payload("MessageSent.json");
    let reply = receiver.receive_blocking(&signer.sign(&body).headers(), &body);
    assert_eq!(reply.status(), 500);
    let forged = receiver.receive_blocking(&signer.sign(b"{}").headers(), &body);
    assert_eq!(forged.status(), 401);

    let lines = kept.0.lock().unwrap().clone();
    let requests: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("INFO postal_hooks::request: postal webhook"))
        .collect();
    assert_eq!(requests.len(), 2, "{lines:#?}");
    assert!(requests[0].contains("event=\"MessageSent\""), "{lines:#?}");
    assert!(requests[0].contains("status=500"), "{lines:#?}");
    assert!(requests[1].contains("status=401"), "{lines:#?}");
    assert!(
        requests[1].contains("refusal=\"unauthorized\""),
        "{lines:#?}"
    );
    // The failing handler's warning reaches `log` users too.
    assert!(
        lines.iter().any(|line| line.starts_with("WARN")
            && line.contains("handler failed")
            && line.contains("crm down")),
        "{lines:#?}"
    );
}
