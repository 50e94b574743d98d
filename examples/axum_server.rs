//! The webhook receiver on axum: `POST /postal/webhook`, verified, dispatched to the
//! `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example axum_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (PEM, JWKS document or DNS record value, inline or
//! `@path`; required), `POSTAL_HOOKS_ADDR` (default `127.0.0.1:3000`), `POSTAL_ALLOW_SHA1=1`,
//! `POSTAL_HOOKS_REDIS_URL` (idempotency records shared by replicas; in memory otherwise).

mod shared;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (addr, receiver) = shared::receiver_from_env().await;
    let app = postal_hooks::axum::router(shared::WEBHOOK_PATH, receiver);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "listening on http://{}{}",
        listener.local_addr()?,
        shared::WEBHOOK_PATH
    );
    // hyper's server with bounded heads and a header timeout (`shared/http1.rs`), rather
    // than `axum::serve`, which waits forever for a client that sends nothing.
    let service = hyper_util::service::TowerToHyperService::new(app);
    shared::http1::serve(listener, service).await
}
