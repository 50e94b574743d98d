//! Stage 2 of the data path: the verified bytes become a typed [`Envelope`] holding an
//! [`Event`](crate::events::Event), in one pass, or a [`ParseError`] that names the field
//! path or the line and column.

mod envelope;
mod error;
mod locate;
mod misdirected;
mod payload;
mod uuid;

pub use envelope::Envelope;
pub use error::{ParseError, ParseErrorKind};
