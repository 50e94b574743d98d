//! HTTP/1.1 serving for the examples, with the pre-authentication bounds a public endpoint
//! needs: hyper's strict parser (one `Content-Length`, no smuggling), at most
//! [`MAX_HEAD_BYTES`] of request head, [`HEADER_TIMEOUT`] to send it, and a task per
//! connection, so a client that stalls holds up nobody else. A client that stalls
//! mid-body holds only its own task; `blocking_server` also gives up on it after
//! [`BODY_TIMEOUT`].

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// How long a client has to send its request line and headers: a connection that sends
/// nothing, or part of its headers, is closed after this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a body once its headers are in (Postal sends a few KiB
/// at once); used by servers that read the body themselves.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most bytes of request head read (hyper's buffer; its minimum is 8 KiB).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long requests in flight may take to finish once `shutdown` fired.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts connections on `listener` until `shutdown` completes, each served by `service`
/// in a task of its own; then lets the requests in flight finish, for up to
/// [`DRAIN_TIMEOUT`], and closes every connection.
///
/// The accept loop itself runs in a runtime task, not in the future `main` blocks on: on
/// tokio's multi-threaded runtime that future runs on the main thread, which would hand
/// every accepted connection to a worker thread, waking it (a `futex` call, seen with
/// `strace`) per connection. Postal opens a connection per delivery (issue 15).
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let accepting = tokio::spawn(async move {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut connections = tokio::task::JoinSet::new();
        // On shutdown, each connection finishes the request it is serving, then closes
        // (an idle keep-alive connection at once).
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                () = &mut shutdown => break,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, a connection reset before accept: keep serving.
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let service = service.clone();
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            connections.spawn(async move {
                if let Err(error) = connection.await {
                    eprintln!("connection closed: {error}");
                }
            });
        }
        drop(listener);
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
        connections.abort_all();
    });
    accepting.await.map_err(std::io::Error::other)
}
