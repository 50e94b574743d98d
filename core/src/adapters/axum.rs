//! axum (feature `axum`): a route for the whole endpoint, or an extractor for your own.
//!
//! ```
//! use postal_hooks::{Dispatcher, Receiver, Verifier};
//!
//! # fn app(receiver: Receiver) -> axum::Router {
//! // The whole endpoint: verify, parse, run the #[on_event] handlers, answer Postal.
//! let app = axum::Router::new().route("/postal/webhook", postal_hooks::axum::webhook(receiver));
//! # app }
//! ```
//!
//! Or take a verified [`Envelope`] in a handler of your own with [`VerifiedWebhook`]; the
//! [`Receiver`] comes from your router's state:
//!
//! ```
//! use axum::{Router, routing::post, http::StatusCode};
//! use postal_hooks::{Receiver, axum::VerifiedWebhook};
//!
//! async fn hook(VerifiedWebhook(envelope): VerifiedWebhook) -> StatusCode {
//!     println!("{} {}", envelope.event().name(), envelope.uuid());
//!     StatusCode::OK
//! }
//!
//! # fn app(receiver: Receiver) -> Router {
//! let app = Router::new().route("/postal/webhook", post(hook)).with_state(receiver);
//! # app }
//! ```

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any};

use super::http_body::{read_limited, response, serve};
use crate::parse::Envelope;
use crate::receiver::{ReceiveError, Receiver, Reply};

/// The endpoint as a route for any method (non-`POST` gets 405 with `Allow: POST`):
/// `Router::new().route("/postal/webhook", webhook(receiver))`.
pub fn webhook<S: Clone + Send + Sync + 'static>(receiver: Receiver) -> MethodRouter<S> {
    any(move |request: Request| {
        let receiver = receiver.clone();
        async move { serve(&receiver, request).await }
    })
}

/// A router serving the endpoint at `path`, to merge into your app or serve as it is.
pub fn router(path: &str, receiver: Receiver) -> axum::Router {
    axum::Router::new().route(path, webhook(receiver))
}

/// An extractor for a webhook whose signature verified, parsed into its [`Envelope`].
/// Needs a [`Receiver`] in the router state (`Receiver: FromRef<S>`); it checks the body
/// limit, content type and signature, and does not dispatch.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(pub Envelope);

/// Why [`VerifiedWebhook`] refused a request; answers with the matching status. The
/// extractor has logged and counted it already ([`Receiver::refuse`]).
#[derive(Debug)]
pub struct WebhookRejection(pub ReceiveError);

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        response(Reply::refused(self.0)).into_response()
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    Receiver: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = Receiver::from_ref(state);
        let refuse = |error: ReceiveError| {
            // Logged and counted here, where the receiver is at hand; the accepted ones
            // are answered (and logged) by the app's own handler.
            let _ = receiver.refuse(error.clone());
            WebhookRejection(error)
        };
        let (parts, body) = request.into_parts();
        receiver
            .check_before_body(parts.method.as_str(), &parts.headers, None)
            .map_err(refuse)?;
        let bytes = read_limited(body, receiver.max_body_bytes())
            .await
            .map_err(refuse)?;
        receiver
            .verify_and_parse_refreshing(&parts.headers, &bytes)
            .await
            .map(VerifiedWebhook)
            .map_err(refuse)
    }
}
