//! Stage 3 of the data path, the handler contract: what a handler takes and returns, and
//! what `#[on_event]` registers for it.
//!
//! - `event_param`: the event argument, `&MessageSent`, `&Event` or a shared payload
//!   such as `&Delivery` ([`EventParam`], [`ParamFor`]);
//! - `args`: the arguments after it, [`Meta`] and [`State`] ([`HandlerArg`]);
//! - `result`: what it returns ([`IntoHandlerResult`], [`HandlerError`]);
//! - `registration`: the `'static` descriptor `#[on_event]` submits, with its call thunk;
//! - `info`: how a registered handler is described to users ([`HandlerInfo`]).

pub(crate) mod args;
pub(crate) mod event_param;
pub(crate) mod info;
pub(crate) mod registration;
pub(crate) mod result;

pub(crate) use args::StateMap;
pub use args::{CallContext, HandlerArg, Meta, State, StateNeed};
pub use event_param::{CatchAllParam, EventParam, ParamFor};
pub use info::{EventFilter, HandlerInfo, HandlerKind, Location};
pub use registration::{BoxFuture, CallFn, Invocation, Registration, RegistrationFields};
pub use result::{HandlerError, HandlerErrorType, IntoHandlerResult};
