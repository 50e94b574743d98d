//! Serving an `http::Request` whose body is any `http_body::Body`: shared by the axum and
//! tower adapters.

use std::error::Error;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::headers::Headers;
use crate::receiver::{ReceiveError, Receiver, Reply};
use crate::shared_error::SharedError;

type BoxError = Box<dyn Error + Send + Sync>;

/// Answers one request: the checks that need no body, then the body read up to the limit,
/// then [`Receiver::receive`].
pub(crate) async fn serve<B>(
    receiver: &Receiver,
    request: http::Request<B>,
) -> http::Response<String>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let content_length = parts.headers.content_length();
    if let Err(error) =
        receiver.check_before_body(parts.method.as_str(), &parts.headers, content_length)
    {
        return response(receiver.refuse(error));
    }
    match read_limited(body, receiver.max_body_bytes()).await {
        Ok(bytes) => response(receive_detached(receiver, parts.headers, bytes).await),
        Err(error) => response(receiver.refuse(error)),
    }
}

/// Runs [`Receiver::receive`] in a task of its own when on a tokio runtime. Servers drop a
/// request's future when the client hangs up, and Postal hangs up after 5 s: in a task,
/// the handlers still finish, their success is recorded, and Postal's retry finds the work
/// done instead of interrupting it again.
///
/// This future holds no receive future, only the task's handle (or, off tokio, a box):
/// the receive future is several KiB, and a server's stack moves the request's future
/// through each of its layers, copying all of it every time.
pub(crate) async fn receive_detached(
    receiver: &Receiver,
    headers: http::HeaderMap,
    body: Bytes,
) -> Reply {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Box::pin(receiver.receive(&headers, &body)).await;
    };
    match spawn_receive(&runtime, receiver.clone(), headers, body).await {
        Ok(reply) => reply,
        // Handler panics are caught inside; reaching this is a bug, answered with a retry.
        Err(error) => receiver.refuse(ReceiveError::Internal(SharedError::new(error))),
    }
}

/// Spawns the receive. Not `async`: the receive future is made in this frame and moved
/// into its task, so no state of the caller's future keeps room for it.
fn spawn_receive(
    runtime: &tokio::runtime::Handle,
    receiver: Receiver,
    headers: http::HeaderMap,
    body: Bytes,
) -> tokio::task::JoinHandle<Reply> {
    runtime.spawn(async move { receiver.receive(&headers, &body).await })
}

/// Reads the whole body, refusing it once it passes `limit` bytes.
pub(crate) async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, ReceiveError>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ReceiveError::PayloadTooLarge {
                limit,
                length: None,
            })
        }
        Err(error) => Err(ReceiveError::BodyRead(SharedError::from_boxed(error))),
    }
}

/// The reply as a response: its status, headers and body as [`Reply`] decides them.
pub(crate) fn response(reply: Reply) -> http::Response<String> {
    http::Response::from(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dispatcher, Verifier};

    #[test]
    fn a_request_future_holds_no_receive_future() {
        let key = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/keys/test_signing.pub.pem"
        ));
        let dispatcher = Dispatcher::builder()
            .without_registered_handlers()
            .allow_no_handlers()
            .build()
            .unwrap();
        let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key).unwrap());
        let request = http::Request::new(http_body_util::Full::new(Bytes::from_static(b"{}")));
        let serving = size_of_val(&serve(&receiver, request));
        let receiving = size_of_val(&receiver.receive(&http::HeaderMap::new(), b"{}"));
        // The axum adapter's request future, release build (rustc 1.95): 9480 bytes when
        // it held the receive, 5384 with only the off-tokio receive boxed, 1136 with the
        // task's receive also made outside it (in `spawn_receive`).
        assert!(
            serving < receiving,
            "a request's future ({serving} bytes) holds the receive future ({receiving} bytes)"
        );
    }
}
