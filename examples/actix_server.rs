//! The webhook receiver on actix-web: `POST /postal/webhook`, verified, dispatched to the
//! `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example actix_server
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
//! The server is assembled from actix-http rather than `HttpServer`, for one reason: to
//! answer `Expect: 100-continue` itself. `HttpServer` sends `100 Continue` to every such
//! request before any handler runs, inviting a client to upload a body the receiver will
//! refuse (RFC 9110 §10.1.1 lets a server answer the final status at once). Here the
//! receiver's checks that need no body run first: a declared oversize body gets 413, a
//! wrong method 405, a wrong content type 415, before a byte of the body is sent.

mod shared;

use actix_http::body::BoxBody;
use actix_http::{HttpMessage, HttpService, Request, Response};
use actix_server::Server;
use actix_service::{fn_service, map_config};
use actix_web::App;
use actix_web::dev::AppConfig;
use postal_hooks::{Headers, Receiver};

fn main() -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = shared::server::receiver_from_env().await;
        let receiver = app.receiver.clone();
        let extras = app.extras.clone();
        let listener = std::net::TcpListener::bind(app.addr)?;
        println!(
            "listening on http://{}{}",
            listener.local_addr()?,
            shared::WEBHOOK_PATH
        );
        Server::build()
            .workers(2)
            .listen("postal-hooks", listener, move || {
                let extras = extras.clone();
                let app = App::new()
                    .service(postal_hooks::actix::resource(
                        shared::WEBHOOK_PATH,
                        receiver.clone(),
                    ))
                    // GET /metrics and the inspector, when configured; 404 otherwise.
                    .default_service(actix_web::web::to(
                        move |request: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                            shared::extras::serve_actix(extras.clone(), request, body)
                        },
                    ));
                let receiver = receiver.clone();
                HttpService::build()
                    .expect(fn_service(move |request: Request| {
                        let checked = before_continue(&receiver, request);
                        async move { checked }
                    }))
                    .finish(map_config(app, |_| AppConfig::default()))
                    .tcp()
            })?
            // actix stops on SIGTERM itself, finishing the requests in flight.
            .run()
            .await?;
        app.shutdown().await;
        Ok(())
    })
}

/// Runs on a request that carries `Expect: 100-continue`, before `100 Continue` is sent:
/// the request goes on when the checks that need no body pass, and is answered with the
/// refusal otherwise.
fn before_continue(receiver: &Receiver, request: Request) -> Result<Request, Response<BoxBody>> {
    if request.path() != shared::WEBHOOK_PATH {
        return Ok(request); // the app answers 404
    }
    let headers = request.headers();
    let method = request.method().as_str();
    match receiver.check_before_body(method, headers, headers.content_length()) {
        Ok(()) => Ok(request),
        Err(refused) => Err(postal_hooks::actix::response(receiver.refuse(refused)).into()),
    }
}
