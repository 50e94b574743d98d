//! actix-web (feature `actix`): the endpoint as a `Resource`.
//!
//! ```
//! use actix_web::App;
//! use postal_hooks::Receiver;
//!
//! # fn app(receiver: Receiver) {
//! let app = App::new().service(postal_hooks::actix::resource("/postal/webhook", receiver));
//! # let _ = app; }
//! ```

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::headers::Headers;
use crate::receiver::{ReceiveError, Receiver, Reply};
use crate::shared_error::SharedError;

/// A resource at `path` answering every method (non-`POST` gets 405 with `Allow: POST`).
pub fn resource(path: &str, receiver: Receiver) -> Resource {
    web::resource(path)
        .app_data(web::Data::new(receiver))
        .default_service(web::to(handle))
}

async fn handle(
    request: HttpRequest,
    payload: web::Payload,
    receiver: web::Data<Receiver>,
) -> HttpResponse {
    let headers = request.headers();
    let content_length = headers.content_length();
    if let Err(error) =
        receiver.check_before_body(request.method().as_str(), headers, content_length)
    {
        return response(receiver.refuse(error));
    }
    let limit = receiver.max_body_bytes();
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            let cause = SharedError::new(ActixError(error.to_string()));
            return response(receiver.refuse(ReceiveError::BodyRead(cause)));
        }
        Err(_) => {
            return response(receiver.refuse(ReceiveError::PayloadTooLarge {
                limit,
                length: None,
            }));
        }
    };
    // In a task of its own, so handlers finish even when Postal hangs up at 5 s (actix
    // drops the request's future when the client disconnects).
    let owned: Vec<(String, Vec<u8>)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let receiver = receiver.into_inner();
    let in_task = receiver.clone();
    let task = actix_web::rt::spawn(async move { in_task.receive(&owned, &body).await });
    match task.await {
        Ok(reply) => response(reply),
        Err(error) => response(receiver.refuse(ReceiveError::Internal(SharedError::new(error)))),
    }
}

/// The reply as an actix-web response: its status, headers and body as [`Reply`] decides
/// them. For code that answers outside [`resource`], such as an `Expect` check.
pub fn response(reply: Reply) -> HttpResponse {
    // actix-web 4 is built on `http` 0.2, whose `StatusCode` is another type. Every `http`
    // 1 status code is a number in 100..=999, which 0.2 accepts too, so the fallback is
    // never taken.
    let status =
        StatusCode::from_u16(reply.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for &header in reply.headers() {
        response.insert_header(header);
    }
    response.body(reply.body().to_owned())
}

/// actix-web's own header map (from `http` 0.2), looked up case-insensitively: give it to
/// the [`Receiver`] as it is, e.g. in an `Expect: 100-continue` check of your own.
impl Headers for HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        let name = header::HeaderName::from_bytes(name.as_bytes()).ok()?;
        self.get(name).map(header::HeaderValue::as_bytes)
    }
}

/// An `actix_web::Error` as a cause. It is neither `Send` nor `Sync` (it may hold an `Rc`),
/// so it cannot travel inside a [`ReceiveError`]; its message does.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ActixError(String);
