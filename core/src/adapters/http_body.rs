//! Serving an `http::Request` whose body is any `http_body::Body`: shared by the axum and
//! tower adapters.

use std::error::Error;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::{ReceiveError, Receiver, Reply};

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
    let content_length = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Err(error) = receiver.check_head(parts.method.as_str(), &parts.headers, content_length) {
        return response(Reply::from_error(error));
    }
    match read_limited(body, receiver.max_body_bytes()).await {
        Ok(bytes) => response(receive_detached(receiver, parts.headers, bytes).await),
        Err(error) => response(Reply::from_error(error)),
    }
}

/// Runs [`Receiver::receive`] in a task of its own when on a tokio runtime. Servers drop a
/// request's future when the client hangs up, and Postal hangs up after 5 s: in a task,
/// the handlers still finish, their success is recorded, and Postal's retry finds the work
/// done instead of interrupting it again.
pub(crate) async fn receive_detached(
    receiver: &Receiver,
    headers: http::HeaderMap,
    body: Bytes,
) -> Reply {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return receiver.receive(&headers, &body).await;
    };
    let receiver = receiver.clone();
    let task = runtime.spawn(async move { receiver.receive(&headers, &body).await });
    match task.await {
        Ok(reply) => reply,
        // Handler panics are caught inside; reaching this is a bug, answered with a retry.
        Err(error) => Reply::from_error(ReceiveError::Internal(error.to_string())),
    }
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
        Err(error) => Err(ReceiveError::BodyRead(error.to_string())),
    }
}

/// The reply as a plain-text response (with `Allow: POST` on a 405).
pub(crate) fn response(reply: Reply) -> http::Response<String> {
    let status = StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = http::Response::new(reply.body().to_owned());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(ALLOW, HeaderValue::from_static("POST"));
    }
    response
}
