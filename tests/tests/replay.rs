//! The replay window (`Receiver::with_replay_window`, `POSTAL_HOOKS_REPLAY_WINDOW`): a
//! verified delivery whose signed envelope `timestamp` is older than the window is refused
//! with 400, and no handler runs; a delayed but genuine one inside it is accepted; the
//! parser and the dispatcher make no clock checks.

// Test code: a failed step must stop the test, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postal_hooks::config::{Config, PUBLIC_KEY_VAR, REPLAY_WINDOW_VAR};
use postal_hooks::events::MessageSent;
use postal_hooks::inbox::{Inbox, InboxSettings};
use postal_hooks::testing::{self, Signer};
use postal_hooks::{DEFAULT_REPLAY_WINDOW, Envelope, ReceiveError, Receiver};

/// A receiver (default window) whose one handler counts its runs.
fn counting() -> (Receiver, Arc<AtomicUsize>) {
    let (handlers, runs) = common::counting_handlers();
    (
        Receiver::new(handlers.build().unwrap(), Signer::test_key().verifier()),
        runs,
    )
}

/// A fresh MessageSent whose envelope `timestamp` is `ago` before now.
fn queued_ago(ago: Duration) -> Vec<u8> {
    let (body, _) = testing::fresh_sample::<MessageSent>();
    let text = String::from_utf8(body).unwrap();
    let then = SystemTime::now() - ago;
    let secs = then.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let fresh = Envelope::parse(text.as_bytes())
        .unwrap()
        .timestamp()
        .as_secs_f64();
    let aged = text.replacen(
        &format!("\"timestamp\":{fresh:.6}"),
        &format!("\"timestamp\":{secs:.6}"),
        1,
    );
    assert_ne!(aged, text, "the envelope timestamp was replaced");
    aged.into_bytes()
}

fn send(receiver: &Receiver, body: &[u8]) -> postal_hooks::Reply {
    receiver.receive_blocking(&Signer::test_key().sign(body).headers(), body)
}

#[test]
fn a_captured_delivery_past_the_window_is_refused_with_400_and_runs_nothing() {
    let (receiver, runs) = counting();
    assert_eq!(receiver.replay_window(), Some(DEFAULT_REPLAY_WINDOW));
    let captured = testing::sample("MessageSent").unwrap();
    for _attempt in 0..2 {
        // Postal's retries carry the same timestamp: refused each time.
        let reply = send(&receiver, captured);
        assert_eq!(reply.status(), 400);
        let Some(error @ ReceiveError::Stale { age, window, .. }) = reply.error() else {
            panic!("not stale: {reply:?}");
        };
        assert_eq!(error.reason(), "stale");
        assert_eq!(*window, DEFAULT_REPLAY_WINDOW);
        assert!(
            age.unwrap() > Duration::from_secs(365 * 24 * 3600),
            "{age:?}"
        );
        assert!(
            reply
                .body()
                .starts_with("stale delivery 0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20 (MessageSent): its signed timestamp 1714053601.940215 is "),
            "{}",
            reply.body()
        );
        assert!(
            reply.body().ends_with(
                "past the replay window of 12h (POSTAL_HOOKS_REPLAY_WINDOW; `off` disables it)"
            ),
            "{}",
            reply.body()
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[test]
fn delayed_but_genuine_deliveries_inside_the_window_are_accepted() {
    let (receiver, runs) = counting();
    // Postal's last retry (about 36 minutes after the first attempt), and a Postal whose
    // queue was backlogged for 11 hours on top.
    for ago in [
        Duration::ZERO,
        Duration::from_secs(40 * 60),
        Duration::from_secs(11 * 3600 + 40 * 60),
    ] {
        let reply = send(&receiver, &queued_ago(ago));
        assert_eq!(reply.status(), 200, "{ago:?} ago: {}", reply.body());
    }
    // A Postal clock a few minutes ahead of ours.
    let ahead = queued_ago(Duration::ZERO);
    let text = String::from_utf8(ahead).unwrap();
    let now = Envelope::parse(text.as_bytes())
        .unwrap()
        .timestamp()
        .as_secs_f64();
    let ahead = text.replacen(&format!("{now:.6}"), &format!("{:.6}", now + 300.0), 1);
    assert_eq!(send(&receiver, ahead.as_bytes()).status(), 200);
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    // Just past the window: refused.
    let late = queued_ago(DEFAULT_REPLAY_WINDOW + Duration::from_secs(60));
    assert_eq!(send(&receiver, &late).status(), 400);
    assert_eq!(runs.load(Ordering::SeqCst), 4);
}

#[test]
fn a_shorter_window_and_no_window() {
    let (receiver, runs) = counting();
    let receiver = receiver.with_replay_window(Some(Duration::from_secs(3600)));
    assert_eq!(
        send(&receiver, &queued_ago(Duration::from_secs(50 * 60))).status(),
        200
    );
    assert_eq!(
        send(&receiver, &queued_ago(Duration::from_secs(70 * 60))).status(),
        400
    );
    let off = receiver.with_replay_window(None);
    assert_eq!(off.replay_window(), None);
    assert_eq!(
        send(&off, testing::sample("MessageSent").unwrap()).status(),
        200
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[test]
fn the_signature_is_checked_first() {
    let (receiver, _) = counting();
    let captured = testing::sample("MessageSent").unwrap();
    let forged = String::from_utf8_lossy(captured).replace("MessageSent\"", "MessageSent\" ");
    let reply = receiver.receive_blocking(
        &Signer::test_key().sign(captured).headers(),
        forged.as_bytes(),
    );
    assert_eq!(
        reply.status(),
        401,
        "a forger learns nothing about the window"
    );
}

#[test]
fn the_parser_and_the_dispatcher_make_no_clock_checks() {
    let captured = testing::sample("MessageSent").unwrap();
    let envelope = Envelope::parse(captured).unwrap();
    let (receiver, runs) = counting();
    let report = receiver.dispatcher().dispatch_blocking(captured).unwrap();
    assert!(report.is_success());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(envelope.timestamp().as_secs_f64(), 1714053601.940215);
}

#[tokio::test]
async fn with_the_inbox_a_stale_delivery_is_not_stored() {
    let dir = std::env::temp_dir().join(format!("postal-hooks-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let inbox = Inbox::open(&dir, InboxSettings::default()).unwrap();
    let (receiver, _) = counting();
    let receiver = receiver.with_inbox(inbox.clone());
    let captured = testing::sample("MessageSent").unwrap();
    let reply = receiver
        .receive(&Signer::test_key().sign(captured).headers(), captured)
        .await;
    assert_eq!(reply.status(), 400);
    let (fresh, _) = testing::fresh_sample::<MessageSent>();
    let reply = receiver
        .receive(&Signer::test_key().sign(&fresh).headers(), &fresh)
        .await;
    assert_eq!(reply.status(), 200);
    assert_eq!(
        inbox.stats().await.unwrap().pending,
        1,
        "only the fresh one"
    );
    drop(receiver);
    drop(inbox);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_setting_takes_humantime_or_off_and_names_itself_when_wrong() {
    let key = testing::TEST_PUBLIC_KEY_PEM;
    let with = |window: Option<&'static str>| {
        Config::from_lookup(move |name| match name {
            PUBLIC_KEY_VAR => Some(key.into()),
            REPLAY_WINDOW_VAR => window.map(str::to_owned),
            _ => None,
        })
    };
    assert_eq!(
        with(None).unwrap().replay_window,
        Some(DEFAULT_REPLAY_WINDOW)
    );
    assert_eq!(
        with(Some("")).unwrap().replay_window,
        Some(DEFAULT_REPLAY_WINDOW)
    );
    assert_eq!(
        with(Some("90m")).unwrap().replay_window,
        Some(Duration::from_secs(5400))
    );
    assert_eq!(with(Some("off")).unwrap().replay_window, None);
    assert_eq!(with(Some(" OFF ")).unwrap().replay_window, None);
    // 0 would refuse everything, and under 40 minutes Postal's own retries.
    let error = with(Some("0")).unwrap_err().to_string();
    assert_eq!(
        error,
        r#"POSTAL_HOOKS_REPLAY_WINDOW="0" is shorter than the minimum of 40m (Postal retries for about 36 minutes; write off for no window)"#
    );
    assert!(with(Some("30m")).is_err());
    assert_eq!(
        with(Some("40m")).unwrap().replay_window,
        Some(Duration::from_secs(2400))
    );
    let error = with(Some("12 hours-ish")).unwrap_err().to_string();
    assert!(
        error.starts_with(
            "POSTAL_HOOKS_REPLAY_WINDOW=\"12 hours-ish\" is neither a duration such as 12h or 90m nor off: "
        ),
        "{error}"
    );
}

#[test]
fn dedupe_retention_is_at_least_the_window() {
    assert!(postal_hooks::dedupe::DEFAULT_RETENTION >= DEFAULT_REPLAY_WINDOW);
    assert!(
        DEFAULT_REPLAY_WINDOW > Duration::from_secs(6 * 3600),
        "several hours"
    );
}
