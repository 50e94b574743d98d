//! **Receive, verify and route Postal webhooks.**
//!
//! `postal-hooks` turns the bytes [Postal](https://postalserver.io) sends to a webhook URL
//! into typed Rust values: an [`Envelope`] holding one [`Event`], with one type per Postal
//! event in [`events`].
//!
//! ```
//! use postal_hooks::{Envelope, Event};
//!
//! // The exact body Postal 3.3.6 sends for a bounce (compact, no trailing newline).
//! let body = br#"{"event":"MessageBounced","timestamp":1714057204.220918,"payload":{"original_message":{"id":48213,"token":"Xq8vT2mLp0aZ3kNc","direction":"outgoing","message_id":"7f3c2a10@acme.example","to":"jane.doe@example.net","from":"notifications@acme.example","subject":"Your receipt #1042","timestamp":1714053600.482913,"spam_status":"NotChecked","tag":"receipt"},"bounce":{"id":48390,"token":"Pz7Gm4Vt1Rk9Cy2L","direction":"incoming","message_id":"20240425144003.5A1B2C3D4E@mx1.example.net","to":"kxwqzt@psrp.acme.example","from":"","subject":"Undelivered Mail Returned to Sender","timestamp":1714057203.905127,"spam_status":"NotSpam","tag":null}},"uuid":"7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73"}"#;
//!
//! let envelope = Envelope::parse(body)?;
//! if let Event::MessageBounced(bounce) = envelope.event() {
//!     println!("suppress {:?}", bounce.original_message.to);
//! }
//! # Ok::<(), postal_hooks::ParseError>(())
//! ```
//!
//! ## Parsing
//!
//! [`Envelope::parse`] reads a request body in one pass. [`Event::from_payload`] parses a bare
//! payload, the shape Postal's docs show. Nullable fields are `Option`, closed value sets are
//! enums with an `Other(String)` arm, an unknown event becomes [`Event::Unknown`], and every
//! failure is a [`ParseError`] that names the field path or the line and column.

#![deny(missing_docs)]

mod envelope;
mod error;
mod event;
pub mod events;
mod timestamp;

pub use envelope::Envelope;
pub use error::{ParseError, ParseErrorKind};
pub use event::{Event, RawPayload};
pub use timestamp::Timestamp;
