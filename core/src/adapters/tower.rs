//! tower (feature `tower`): the endpoint as a `tower::Service`, for hyper and any
//! tower-based server.
//!
//! ```
//! use postal_hooks::{Receiver, tower::WebhookService};
//!
//! # fn service(receiver: Receiver) {
//! let service = WebhookService::new(receiver);
//! // hyper 1: hyper_util::service::TowerToHyperService::new(service)
//! # let _ = service; }
//! ```
//!
//! The service answers every request it is given; route `POST /postal/webhook` to it.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_service::Service;

use super::http_body::serve;
use crate::receiver::Receiver;

/// The whole webhook endpoint as a service: `http::Request<B>` in, a plain-text
/// `http::Response<String>` out. Never fails: every outcome is a status.
#[derive(Debug, Clone)]
pub struct WebhookService {
    receiver: Receiver,
}

impl WebhookService {
    /// Serves `receiver`.
    pub fn new(receiver: Receiver) -> Self {
        WebhookService { receiver }
    }
}

impl<B> Service<http::Request<B>> for WebhookService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let receiver = self.receiver.clone();
        Box::pin(async move { Ok(serve(&receiver, request).await) })
    }
}
