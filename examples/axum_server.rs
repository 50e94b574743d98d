//! The webhook receiver on axum: `POST /postal/webhook`, verified, dispatched to the
//! `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example axum_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (PEM, JWKS document or DNS record value, inline or
//! `@path`; required), `POSTAL_HOOKS_ADDR` (default `127.0.0.1:3000`), `POSTAL_ALLOW_SHA1=1`, `POSTAL_HOOKS_REPLAY_WINDOW`, `POSTAL_HOOKS_MAX_BODY_BYTES`,
//! `POSTAL_HOOKS_REDIS_URL` (idempotency records shared by replicas; in memory otherwise),
//! `POSTAL_HOOKS_INBOX` (a directory, or `redis`: answer once stored, run the handlers in
//! background workers) with `POSTAL_HOOKS_RETRY_BACKOFF`, `POSTAL_HOOKS_RETRY_MAX_AGE`,
//! `POSTAL_HOOKS_WORKERS`, `POSTAL_HOOKS_INBOX_LEASE`; `POSTAL_HOOKS_EXAMPLE_CRM_URL` (a
//! `notify_crm` handler that POSTs each event there); `RUST_LOG` (default `info`: one log line per
//! request, to stdout), `POSTAL_HOOKS_METRICS=1` (Prometheus text at `GET /metrics`),
//! `POSTAL_HOOKS_INSPECTOR_TOKEN` (the inspector at `/postal/inspector`). SIGTERM stops it
//! gracefully.

mod shared;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = shared::server::receiver_from_env().await;
    let router = postal_hooks::axum::router(shared::WEBHOOK_PATH, app.receiver.clone())
        .merge(app.extras.clone());
    let listener = tokio::net::TcpListener::bind(app.addr).await?;
    println!(
        "listening on http://{}{}",
        listener.local_addr()?,
        shared::WEBHOOK_PATH
    );
    // hyper's server with bounded heads and a header timeout (`shared/http1.rs`), rather
    // than `axum::serve`, which waits forever for a client that sends nothing.
    let service = hyper_util::service::TowerToHyperService::new(router);
    shared::http1::serve(listener, service, shared::server::shutdown_signal()).await?;
    app.shutdown().await;
    Ok(())
}
