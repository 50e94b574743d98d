//! The webhook receiver on a synchronous server (tiny_http), no async framework:
//! `POST /postal/webhook`, verified, dispatched to the `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example blocking_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (required), `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1=1`,
//! `POSTAL_HOOKS_REDIS_URL` (idempotency records shared by replicas; in memory otherwise).
//!
//! The server is synchronous: one request at a time on this thread. A small current-thread
//! tokio runtime drives the receiver's future only because a Redis connection (when
//! `POSTAL_HOOKS_REDIS_URL` is set) needs a reactor; with the in-memory store,
//! `Receiver::receive_blocking` needs no runtime at all.

mod shared;

use std::io::Read;

use postal_hooks::{ReceiveError, Reply, SharedError};
use tiny_http::{Header, Response, Server};

fn main() {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let (addr, receiver) = runtime.block_on(shared::receiver_from_env());
    let server = match Server::http(addr) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: cannot listen on {addr}: {error}");
            std::process::exit(1);
        }
    };
    println!("listening on http://{addr}{}", shared::WEBHOOK_PATH);
    for mut request in server.incoming_requests() {
        let reply = if request.url() != shared::WEBHOOK_PATH {
            None
        } else {
            let method = request.method().as_str().to_owned();
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|header| {
                    (
                        header.field.as_str().as_str().to_owned(),
                        header.value.as_str().to_owned(),
                    )
                })
                .collect();
            let content_length = request.body_length().map(|length| length as u64);
            Some(
                match receiver.check_before_body(&method, &headers, content_length) {
                    Err(error) => Reply::from_error(error),
                    Ok(()) => {
                        // Read one byte past the limit to tell "at the limit" from "over it".
                        let limit = receiver.max_body_bytes();
                        let mut body = Vec::new();
                        let read = request
                            .as_reader()
                            .take(limit as u64 + 1)
                            .read_to_end(&mut body);
                        match read {
                            Err(error) => {
                                Reply::from_error(ReceiveError::BodyRead(SharedError::new(error)))
                            }
                            Ok(_) if body.len() > limit => {
                                Reply::from_error(ReceiveError::PayloadTooLarge {
                                    limit,
                                    length: None,
                                })
                            }
                            Ok(_) => {
                                runtime.block_on(receiver.receive_request(&method, &headers, &body))
                            }
                        }
                    }
                },
            )
        };
        let response = match reply {
            Some(reply) => {
                let mut response =
                    Response::from_string(reply.body()).with_status_code(reply.status().as_u16());
                for &(name, value) in reply.headers() {
                    if let Ok(header) = Header::from_bytes(name, value) {
                        response.add_header(header);
                    }
                }
                response
            }
            None => Response::from_string("not found").with_status_code(404),
        };
        if let Err(error) = request.respond(response) {
            eprintln!("cannot answer: {error}");
        }
    }
}
