//! The inspector's router in process: no token, no inspector; every request needs the
//! token (Bearer, or Basic with it as password); actions are POST only with the page's
//! CSRF token from the same origin; only failed handlers run on a retry; recipients,
//! subjects and payloads stay hidden unless opted in; filters, limits and the bounded ring.

mod common;
mod inspector_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use base64::Engine as _;
use inspector_support::*;
use postal_hooks::events::{MessageBounced, MessageSent};
use postal_hooks::inspect::{Inspector, InspectorError};
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};

/// A receiver whose bounce handler fails while `down` is set, counting its runs; and its
/// inspector's router.
struct Setup {
    receiver: Receiver,
    router: axum::Router,
    down: Arc<AtomicBool>,
    bounce_runs: Arc<AtomicUsize>,
}

fn setup(inspector: Inspector) -> Setup {
    let down = Arc::new(AtomicBool::new(true));
    let bounce_runs = Arc::new(AtomicUsize::new(0));
    let (bounce, is_down) = (bounce_runs.clone(), down.clone());
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageSent| {})
        .on(move |_: &MessageBounced| -> Result<(), String> {
            bounce.fetch_add(1, Ordering::SeqCst);
            if is_down.load(Ordering::SeqCst) {
                return Err("suppression list down".into());
            }
            Ok(())
        })
        .on_any(|_: &postal_hooks::Event| {})
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, Signer::test_key().verifier())
        .with_replay_window(None)
        .with_inspector(&inspector);
    Setup {
        receiver,
        router: inspector.router(),
        down,
        bounce_runs,
    }
}

async fn deliver(receiver: &Receiver, sample: &str, uuid: &str) -> u16 {
    let body = common::payload_with_uuid(sample, uuid);
    let headers = Signer::test_key().sign(&body).headers();
    receiver.receive(&headers, &body).await.status().as_u16()
}

#[test]
fn an_inspector_cannot_be_built_without_a_token() {
    assert_eq!(
        Inspector::builder("").build().unwrap_err(),
        InspectorError::MissingToken
    );
    assert_eq!(
        Inspector::builder("   ").build().unwrap_err(),
        InspectorError::MissingToken
    );
    let weak = Inspector::builder("short").build().unwrap_err();
    assert_eq!(weak, InspectorError::WeakToken { length: 5, min: 16 });
    assert!(weak.to_string().contains("at least 16"), "{weak}");
    let mount = Inspector::builder(TOKEN)
        .mount("inspector/")
        .build()
        .unwrap_err();
    assert!(matches!(mount, InspectorError::Mount(_)), "{mount:?}");
    assert_eq!(
        Inspector::builder(TOKEN).build().unwrap().mount(),
        "/postal/inspector"
    );
}

#[tokio::test]
async fn every_request_needs_the_token_as_bearer_or_basic_password() {
    let setup = setup(Inspector::builder(TOKEN).build().unwrap());
    let basic = |credentials: &str| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        ("authorization", format!("Basic {encoded}"))
    };
    let refused = [
        vec![],
        vec![("authorization", "Bearer wrong-token-0123456789".to_owned())],
        vec![("authorization", format!("Token {TOKEN}"))],
        vec![("authorization", format!("Bearer {TOKEN}x"))],
        vec![basic(&format!("{TOKEN}:"))],
        vec![basic(TOKEN)],
        vec![("authorization", "Basic !!!not-base64".to_owned())],
    ];
    for uri in [
        "/postal/inspector",
        "/postal/inspector/api/deliveries",
        "/postal/inspector/deliveries/1",
    ] {
        for headers in &refused {
            let (status, response, _) = call(&setup.router, "GET", uri, headers, "").await;
            assert_eq!(status, 401, "{uri} {headers:?}");
            assert_eq!(
                response["www-authenticate"],
                r#"Basic realm="postal-hooks inspector", charset="UTF-8""#
            );
            assert!(response.get("set-cookie").is_none());
        }
    }
    for accepted in [
        bearer(),
        basic(&format!("anyone:{TOKEN}")),
        basic(&format!(":{TOKEN}")),
    ] {
        let (status, headers, page) = call(
            &setup.router,
            "GET",
            "/postal/inspector",
            std::slice::from_ref(&accepted),
            "",
        )
        .await;
        assert_eq!(status, 200, "{accepted:?}: {page}");
        assert!(page.contains("Postal deliveries"));
        assert!(headers.get("set-cookie").is_none(), "no cookie is set");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        assert_eq!(headers["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn a_retry_runs_only_the_failed_handlers_and_actions_are_post_with_csrf_from_the_same_origin()
{
    let setup = setup(Inspector::builder(TOKEN).build().unwrap());
    let uuid = format!("inspector-retry-{}", std::process::id());
    assert_eq!(
        deliver(&setup.receiver, "MessageBounced.json", &uuid).await,
        500
    );
    let listed = api(&setup.router, "").await;
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed[0]["state"], "failed");
    let retry = format!("/postal/inspector/deliveries/{id}/retry");

    let (status, _, _) = call(&setup.router, "GET", &retry, &[bearer()], "").await;
    assert_eq!(status, 405, "GET on an action");
    let form = (
        "content-type",
        "application/x-www-form-urlencoded".to_owned(),
    );
    let (status, _, _) = call(
        &setup.router,
        "POST",
        &retry,
        &[bearer(), form.clone()],
        "csrf=guessed",
    )
    .await;
    assert_eq!(status, 403, "a guessed CSRF token");
    let (_, page) = get(&setup.router, &format!("/postal/inspector/deliveries/{id}")).await;
    let csrf = format!("csrf={}", csrf_of(&page));
    let cross_site = [
        vec![
            ("origin", "https://evil.example".to_owned()),
            ("host", "127.0.0.1:3000".to_owned()),
        ],
        vec![("sec-fetch-site", "cross-site".to_owned())],
        vec![
            ("origin", "null".to_owned()),
            ("host", "127.0.0.1:3000".to_owned()),
        ],
    ];
    for headers in cross_site {
        let mut headers = headers;
        headers.extend([bearer(), form.clone()]);
        let (status, _, _) = call(&setup.router, "POST", &retry, &headers, &csrf).await;
        assert_eq!(status, 403, "{headers:?}");
    }
    let (status, _, _) = call(
        &setup.router,
        "POST",
        &retry,
        std::slice::from_ref(&form),
        &csrf,
    )
    .await;
    assert_eq!(status, 401, "an action without the token");
    assert_eq!(
        setup.bounce_runs.load(Ordering::SeqCst),
        1,
        "no refused action ran anything"
    );

    // Still failing: retried, still failed, attempts counted.
    assert_eq!(act(&setup.router, &id, "retry").await, 303);
    assert_eq!(setup.bounce_runs.load(Ordering::SeqCst), 2);
    setup.down.store(false, Ordering::SeqCst);
    assert_eq!(act(&setup.router, &id, "retry").await, 303);
    assert_eq!(setup.bounce_runs.load(Ordering::SeqCst), 3);
    let after = api(&setup.router, "").await;
    assert_eq!(after[0]["state"], "ok");
    assert_eq!(after[0]["status"], 200);
    assert_eq!(after[0]["attempts"], 3);
    let outcomes: Vec<&str> = after[0]["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["outcome"].as_str().unwrap())
        .collect();
    // The bounce handler ran; the catch-all had succeeded the first time, so it is skipped.
    assert_eq!(outcomes, ["ok", "skipped"]);
    // Nothing left to retry: the detail offers no retry, and a retry is refused.
    let (_, page) = get(&setup.router, &format!("/postal/inspector/deliveries/{id}")).await;
    assert!(!page.contains("id=\"retry\""), "{page}");
    let (status, _, _) = call(
        &setup.router,
        "POST",
        &retry,
        &[
            bearer(),
            form,
            ("origin", "http://h".into()),
            ("host", "h".into()),
        ],
        &csrf,
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn recipients_subjects_and_payloads_stay_hidden_unless_opted_in() {
    let secrets = [
        "jane.doe@example.net",
        "Your receipt #1042",
        "Xq8vT2mLp0aZ3kNc",
    ];
    for (recipients, payload) in [(false, false), (true, false), (true, true)] {
        let inspector = Inspector::builder(TOKEN)
            .show_recipients(recipients)
            .show_payload(payload)
            .build()
            .unwrap();
        let setup = setup(inspector);
        deliver(
            &setup.receiver,
            "MessageBounced.json",
            &format!("redact-{recipients}-{payload}"),
        )
        .await;
        let listed = api(&setup.router, "").await;
        let json = serde_json::to_string(&listed).unwrap();
        let id = listed[0]["id"].as_str().unwrap();
        let (_, list) = get(&setup.router, "/postal/inspector").await;
        let (_, detail) = get(&setup.router, &format!("/postal/inspector/deliveries/{id}")).await;
        assert!(
            !list.contains(secrets[0]),
            "the list never shows a recipient"
        );
        for text in [&json, &detail] {
            assert_eq!(
                text.contains(secrets[0]),
                recipients,
                "recipient shown={recipients}: {text}"
            );
            assert_eq!(
                text.contains(secrets[1]),
                recipients,
                "subject shown={recipients}: {text}"
            );
            assert_eq!(
                text.contains(secrets[2]),
                payload,
                "payload shown={payload}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn the_json_api_filters_limits_and_keeps_a_bounded_ring_newest_first() {
    let setup = setup(Inspector::builder(TOKEN).capacity(4).build().unwrap());
    let run = std::process::id();
    assert_eq!(
        deliver(
            &setup.receiver,
            "MessageSent.json",
            &format!("api-{run}-sent-1")
        )
        .await,
        200
    );
    assert_eq!(
        deliver(
            &setup.receiver,
            "MessageBounced.json",
            &format!("api-{run}-bounce")
        )
        .await,
        500
    );
    assert_eq!(
        deliver(
            &setup.receiver,
            "MessageSent.json",
            &format!("api-{run}-sent-2")
        )
        .await,
        200
    );
    let forged = setup
        .receiver
        .receive(&[("content-type", "application/json")], b"{}")
        .await;
    assert_eq!(forged.status(), 401);

    let all = api(&setup.router, "").await;
    assert_eq!(all.len(), 4);
    let uuids: Vec<Option<&str>> = all.iter().map(|d| d["uuid"].as_str()).collect();
    let (sent1, bounce, sent2) = (
        format!("api-{run}-sent-1"),
        format!("api-{run}-bounce"),
        format!("api-{run}-sent-2"),
    );
    assert_eq!(
        uuids,
        [
            None,
            Some(sent2.as_str()),
            Some(bounce.as_str()),
            Some(sent1.as_str())
        ]
    );
    assert_eq!(all[0]["status"], 401);
    assert_eq!(all[0]["state"], "refused");
    assert_eq!(all[0]["refusal"], "unauthorized");
    let failed = &all[2];
    assert_eq!(failed["event"], "MessageBounced");
    assert_eq!(failed["status"], 500);
    let received = failed["received_at"].as_str().unwrap();
    assert!(
        humantime::parse_rfc3339(received).is_ok(),
        "RFC 3339: {received}"
    );
    let handler = &failed["handlers"][0];
    assert!(
        handler["name"].as_str().unwrap().contains("closure"),
        "{handler}"
    );
    assert_eq!(handler["outcome"], "error");
    assert_eq!(handler["error"], "suppression list down");
    assert!(handler["duration_ms"].as_f64().unwrap() >= 0.0);

    assert_eq!(api(&setup.router, "?limit=2").await.len(), 2);
    let only_failed = api(&setup.router, "?status=failed").await;
    assert_eq!(only_failed.len(), 1);
    assert_eq!(only_failed[0]["uuid"], bounce.as_str());
    assert_eq!(api(&setup.router, "?event=MessageSent").await.len(), 2);
    assert_eq!(api(&setup.router, "?q=sent-2").await.len(), 1);
    assert_eq!(
        api(&setup.router, "?q=closure").await.len(),
        3,
        "text matches handler names too"
    );
    assert_eq!(
        api(&setup.router, "?status=500").await.len(),
        1,
        "or the HTTP status"
    );

    // The ring keeps the newest `capacity`.
    assert_eq!(
        deliver(
            &setup.receiver,
            "MessageSent.json",
            &format!("api-{run}-sent-3")
        )
        .await,
        200
    );
    // Four deliveries, the capacity: all kept (the refusal is kept apart).
    assert_eq!(api(&setup.router, "?status=ok").await.len(), 3);
    assert_eq!(
        deliver(
            &setup.receiver,
            "MessageSent.json",
            &format!("api-{run}-sent-4")
        )
        .await,
        200
    );
    let kept = api(&setup.router, "").await;
    assert_eq!(kept.len(), 5, "four deliveries and the refusal: {kept:?}");
    assert!(
        kept.iter().all(|d| d["uuid"] != sent1.as_str()),
        "the oldest went first"
    );

    // Refusals have a ring of their own: a flood of forged requests keeps the deliveries.
    for _ in 0..60 {
        setup
            .receiver
            .receive(&[("content-type", "application/json")], b"{}")
            .await;
    }
    let after_flood = api(&setup.router, "?status=ok").await;
    assert_eq!(after_flood.len(), 3, "{after_flood:?}");
    assert_eq!(
        api(&setup.router, "?status=refused").await.len(),
        4,
        "capped at the capacity"
    );

    // The page's filters give the same rows.
    let (_, page) = get(&setup.router, "/postal/inspector?status=failed&event=&q=").await;
    assert_eq!(page.matches("<tr class=\"delivery").count(), 1, "{page}");
    assert!(page.contains("<svg"), "the chart");
    let (status, _) = get(&setup.router, "/postal/inspector/deliveries/999").await;
    assert_eq!(status, 404);
}
