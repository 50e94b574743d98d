//! The webhook receiver for a synchronous program: plain `fn main`, synchronous handlers,
//! and each delivery handled by blocking code on a thread of its own:
//! `POST /postal/webhook`, verified, dispatched to the `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example blocking_server
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
//!
//! HTTP is hyper's, behind this blocking facade, rather than a hand-written or lenient
//! parser: a request with two `Content-Length`s is refused (RFC 9112 §6.3), header values
//! may carry any byte a proxy sends, heads are bounded in size and in time, and every
//! connection has a task of its own, so a client that stalls mid-body delays nobody else
//! (see `shared/http1.rs`). Only the path is routed on: Postal's webhook URL may carry a
//! query, such as a shared secret.

mod shared;

use std::convert::Infallible;

use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use postal_hooks::{Headers, ReceiveError, Receiver, SharedError};
use shared::http1::{self, BODY_TIMEOUT};

fn main() {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let app = runtime.block_on(shared::server::receiver_from_env());
    let (addr, receiver, extras) = (app.addr, app.receiver.clone(), app.extras.clone());
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!(
            "listening on http://{}{}",
            listener.local_addr()?,
            shared::WEBHOOK_PATH
        );
        let service = service_fn(move |request: Request<Incoming>| {
            let (receiver, extras) = (receiver.clone(), extras.clone());
            async move {
                if request.uri().path() == shared::WEBHOOK_PATH {
                    let response = handle(receiver, request).await?;
                    Ok::<_, Infallible>(response.map(axum::body::Body::from))
                } else {
                    // GET /metrics and the inspector, when configured; 404 otherwise.
                    shared::extras::serve(extras, request).await
                }
            }
        });
        http1::serve(listener, service, shared::server::shutdown_signal()).await
    });
    if let Err(error) = served {
        eprintln!("error: cannot serve on {addr}: {error}");
        std::process::exit(1);
    }
    runtime.block_on(app.shutdown());
}

/// One request: the checks that need no body, the body read within [`BODY_TIMEOUT`] and
/// the size limit, then the delivery handled by blocking code.
async fn handle(
    receiver: Receiver,
    request: Request<Incoming>,
) -> Result<Response<String>, Infallible> {
    let (parts, body) = request.into_parts();
    let content_length = parts.headers.content_length();
    let method = parts.method.as_str();
    if let Err(error) = receiver.check_before_body(method, &parts.headers, content_length) {
        return Ok(receiver.refuse(error).into());
    }
    let limit = receiver.max_body_bytes();
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            let too_large = ReceiveError::PayloadTooLarge {
                limit,
                length: None,
            };
            return Ok(receiver.refuse(too_large).into());
        }
        Ok(Err(error)) => {
            let cause = SharedError::from_boxed(error);
            return Ok(receiver.refuse(ReceiveError::BodyRead(cause)).into());
        }
        Err(elapsed) => {
            let cause = SharedError::new(elapsed);
            return Ok(receiver.refuse(ReceiveError::BodyRead(cause)).into());
        }
    };
    // The synchronous part: a thread of its own, as blocking handlers need. `block_on`
    // there still reaches the runtime's reactor, which a Redis store uses.
    let runtime = tokio::runtime::Handle::current();
    let in_thread = receiver.clone();
    let blocking = tokio::task::spawn_blocking(move || {
        runtime.block_on(in_thread.receive(&parts.headers, &body))
    });
    let reply = match blocking.await {
        Ok(reply) => reply,
        Err(error) => receiver.refuse(ReceiveError::Internal(SharedError::new(error))),
    };
    Ok(reply.into())
}
