//! Stage 5 of the data path: the [`Dispatcher`] runs the handlers routed to an event, each
//! isolated from the others, deduplicated per uuid through the idempotency store, and
//! sums up what happened in a [`Report`] whose status tells Postal whether to retry.
//!
//! - `builder`: [`DispatcherBuilder`], the handlers, state and store, checked at startup;
//! - `dispatcher`: [`Dispatcher`], the entry points (`dispatch`, `dispatch_blocking`, …);
//! - `deduplicated`: claim the uuid, skip what is done, record successes, release;
//! - `store_deadline`: one deadline across a delivery's store calls;
//! - `run`, `catch`: one handler run, timed, in its span, its panic caught;
//! - `report`: [`Report`], [`HandlerRun`], [`Outcome`], [`NotRun`];
//! - `default`: [`dispatch()`] over the [`default_dispatcher`];
//! - `block_on`: the executor behind `dispatch_blocking`.

mod block_on;
mod builder;
mod catch;
mod deduplicated;
mod default;
mod dispatcher;
mod report;
mod run;
mod store_deadline;

pub(crate) use block_on::block_on;
pub use builder::DispatcherBuilder;
pub use default::{DispatchError, default_dispatcher, dispatch};
pub use dispatcher::Dispatcher;
pub use report::{HandlerRun, NotRun, Outcome, Report};
