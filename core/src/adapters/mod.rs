//! Framework adapters, each behind its cargo feature. Each is a few lines for the user and
//! forwards to the framework-agnostic [`Receiver`](crate::Receiver).

// Shared by the two adapters that serve `http::Request`s (feature `http-body-io` brings its
// dependencies; the code is compiled only for an adapter that uses it).
#[cfg(any(feature = "axum", feature = "tower"))]
pub(crate) mod http_body;

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "actix")]
pub mod actix;
