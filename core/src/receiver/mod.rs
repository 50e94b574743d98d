//! Stage 6 of the data path, and its entry: the [`Receiver`] takes a request's headers and
//! raw body, checks method, size and content type, verifies the signature, parses, runs the
//! dispatcher, and answers with a [`Reply`] whose status, headers and body every adapter
//! sends as they are. A refusal is a [`ReceiveError`] carrying its status.

mod checks;
mod error;
mod endpoint;
mod replay;
mod reply;

pub use endpoint::{DEFAULT_MAX_BODY_BYTES, Receiver};
pub use error::ReceiveError;
pub use replay::DEFAULT_REPLAY_WINDOW;
pub use reply::Reply;
