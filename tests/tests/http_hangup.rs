//! Postal hangs up after 5 s. On every adapter, a handler still finishes after the client
//! is gone, and Postal's retry finds the work done rather than running it again.

mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use postal_hooks::testing::{Signer, sample};
use postal_hooks::{Dispatcher, Event, Receiver};
use servers::{serve_actix, serve_axum, serve_tower};

/// A receiver with one slow handler (400 ms) and deduplication on, as in production.
fn slow_receiver() -> (Receiver, Arc<AtomicUsize>) {
    let finished = Arc::new(AtomicUsize::new(0));
    let counter = finished.clone();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on_any_async(move |_: &Event| {
            let counter = counter.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(400)).await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    (
        Receiver::new(dispatcher, Signer::test_key().verifier()).with_replay_window(None),
        finished,
    )
}

/// Postal hangs up after 5 s: here the client gives up after 100 ms. The handler must still
/// finish, and Postal's retry must find the work done rather than run it again.
async fn check_hangup(url: &str, finished: &AtomicUsize) {
    let body = sample("MessageSent").unwrap().to_vec();
    let headers = Signer::test_key().sign(&body).headers();
    let send = |client: reqwest::Client| {
        let mut request = client.post(url).body(body.clone());
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        request.send()
    };
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    assert!(
        send(impatient).await.is_err(),
        "the client should have timed out"
    );
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the handler was cut off with the connection"
    );
    let retry = send(reqwest::Client::new()).await.unwrap();
    assert_eq!(retry.status().as_u16(), 200);
    assert_eq!(
        retry.text().await.unwrap(),
        "ok: 0 handler(s) ran, 1 already done"
    );
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handlers_finish_after_the_client_hangs_up_on_axum() {
    let (receiver, finished) = slow_receiver();
    let addr = serve_axum(receiver).await;
    check_hangup(&format!("http://{addr}/postal/webhook"), &finished).await;
}

#[tokio::test]
async fn handlers_finish_after_the_client_hangs_up_on_hyper() {
    let (receiver, finished) = slow_receiver();
    let addr = serve_tower(receiver).await;
    check_hangup(&format!("http://{addr}/postal/webhook"), &finished).await;
}

#[tokio::test]
async fn handlers_finish_after_the_client_hangs_up_on_actix() {
    let (receiver, finished) = slow_receiver();
    let addr = serve_actix(receiver);
    check_hangup(&format!("http://{addr}/postal/webhook"), &finished).await;
}
