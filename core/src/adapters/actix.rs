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

use crate::{Headers, ReceiveError, Receiver, Reply};

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
    let headers = ActixHeaders(request.headers());
    let content_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Err(error) = receiver.check_head(request.method().as_str(), &headers, content_length) {
        return into_response(Reply::from_error(error));
    }
    let limit = receiver.max_body_bytes();
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            return into_response(Reply::from_error(ReceiveError::BodyRead(error.to_string())));
        }
        Err(_) => {
            return into_response(Reply::from_error(ReceiveError::PayloadTooLarge {
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
    let task = actix_web::rt::spawn(async move { receiver.receive(&owned, &body).await });
    match task.await {
        Ok(reply) => into_response(reply),
        Err(error) => into_response(Reply::from_error(ReceiveError::Internal(error.to_string()))),
    }
}

fn into_response(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.content_type("text/plain; charset=utf-8");
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response.insert_header((header::ALLOW, "POST"));
    }
    response.body(reply.body().to_owned())
}

/// actix-web's own header map, looked up case-insensitively.
struct ActixHeaders<'a>(&'a HeaderMap);

impl Headers for ActixHeaders<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        let name = header::HeaderName::from_bytes(name.as_bytes()).ok()?;
        self.0.get(name).map(header::HeaderValue::as_bytes)
    }
}
