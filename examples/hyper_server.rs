//! The webhook receiver on hyper 1, through the tower `Service` adapter:
//! `POST /postal/webhook`, verified, dispatched to the `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example hyper_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (required), `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1=1`, `POSTAL_HOOKS_REPLAY_WINDOW`, `POSTAL_HOOKS_MAX_BODY_BYTES`,
//! `POSTAL_HOOKS_REDIS_URL` (idempotency records shared by replicas; in memory otherwise),
//! `POSTAL_HOOKS_INBOX` (a directory, or `redis`: answer once stored, run the handlers in
//! background workers) with `POSTAL_HOOKS_RETRY_BACKOFF`, `POSTAL_HOOKS_RETRY_MAX_AGE`,
//! `POSTAL_HOOKS_WORKERS`, `POSTAL_HOOKS_INBOX_LEASE`; `POSTAL_HOOKS_EXAMPLE_CRM_URL` (a
//! `notify_crm` handler that POSTs each event there); `RUST_LOG` (default `info`: one log line per
//! request, to stdout), `POSTAL_HOOKS_METRICS=1` (Prometheus text at `GET /metrics`),
//! `POSTAL_HOOKS_INSPECTOR_TOKEN` (the inspector at `/postal/inspector`). SIGTERM stops it
//! gracefully.

mod shared;

use std::convert::Infallible;

use hyper::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use postal_hooks::tower::WebhookService;
use tower_service::Service;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = shared::server::receiver_from_env().await;
    let webhook = WebhookService::new(app.receiver.clone());
    let listener = tokio::net::TcpListener::bind(app.addr).await?;
    println!(
        "listening on http://{}{}",
        listener.local_addr()?,
        shared::WEBHOOK_PATH
    );
    let extras = app.extras.clone();
    let route = service_fn(move |request: Request<Incoming>| {
        let mut webhook = webhook.clone();
        let extras = extras.clone();
        async move {
            if request.uri().path() == shared::WEBHOOK_PATH {
                let response = webhook.call(request).await?;
                Ok::<_, Infallible>(response.map(axum::body::Body::from))
            } else {
                // GET /metrics and the inspector, when configured; 404 otherwise.
                shared::extras::serve(extras, request).await
            }
        }
    });
    // Bounded heads, a header timeout and a task per connection: `shared/http1.rs`.
    shared::http1::serve(listener, route, shared::server::shutdown_signal()).await?;
    app.shutdown().await;
    Ok(())
}
