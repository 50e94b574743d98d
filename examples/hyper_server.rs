//! The webhook receiver on hyper 1, through the tower `Service` adapter:
//! `POST /postal/webhook`, verified, dispatched to the `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example hyper_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (required), `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1=1`,
//! `POSTAL_HOOKS_REDIS_URL` (idempotency records shared by replicas; in memory otherwise),
//! `POSTAL_HOOKS_INBOX` (a directory, or `redis`: answer once stored, run the handlers in
//! background workers) with `POSTAL_HOOKS_RETRY_BACKOFF`, `POSTAL_HOOKS_RETRY_MAX_AGE`,
//! `POSTAL_HOOKS_WORKERS`, `POSTAL_HOOKS_INBOX_LEASE`; `POSTAL_HOOKS_EXAMPLE_CRM_URL` (a
//! `notify_crm` handler that POSTs each event there). SIGTERM stops it gracefully.

mod shared;

use std::convert::Infallible;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
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
    let route = service_fn(move |request: Request<Incoming>| {
        let mut webhook = webhook.clone();
        async move {
            if request.uri().path() == shared::WEBHOOK_PATH {
                webhook.call(request).await
            } else {
                let mut not_found = Response::new("not found".to_owned());
                *not_found.status_mut() = StatusCode::NOT_FOUND;
                Ok::<_, Infallible>(not_found)
            }
        }
    });
    // Bounded heads, a header timeout and a task per connection: `shared/http1.rs`.
    shared::http1::serve(listener, route, shared::server::shutdown_signal()).await?;
    app.shutdown().await;
    Ok(())
}
