//! Framework adapters, each behind its cargo feature. Each is a few lines for the user and
//! forwards to the framework-agnostic [`Receiver`](crate::Receiver).

#[cfg(feature = "http-body-io")]
pub(crate) mod http_body;

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "actix")]
pub mod actix;
