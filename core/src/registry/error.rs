//! [`BuildError`]: every reason a dispatcher cannot start, found at startup.

use std::fmt;

use crate::handler::HandlerInfo;

/// Why [`DispatcherBuilder::build`](crate::DispatcherBuilder::build) refused: every problem
/// found, not just the first, so one start-up shows them all.
///
/// ```
/// use postal_hooks::{BuildProblem, Dispatcher};
///
/// let err = Dispatcher::builder().without_registered_handlers().build().unwrap_err();
/// assert!(matches!(err.problems(), [BuildProblem::NoHandlers]));
/// ```
#[derive(Clone, thiserror::Error)]
#[error("cannot build the postal-hooks dispatcher{}", Problems(.problems))]
pub struct BuildError {
    pub(crate) problems: Vec<BuildProblem>,
}

/// One problem found by [`DispatcherBuilder::build`](crate::DispatcherBuilder::build).
///
/// ```rust,standalone_crate
/// use postal_hooks::{on_event, BuildProblem, Dispatcher, State, events::MessageBounced};
///
/// struct Pool;
///
/// #[on_event(MessageBounced)]
/// fn suppress(_bounce: &MessageBounced, State(_pool): State<Pool>) {}
///
/// # fn main() {
/// // Forgot `.state(Pool)`: refused at startup, not when the first bounce arrives.
/// let err = Dispatcher::builder().build().unwrap_err();
/// let [BuildProblem::MissingState { handler, type_name }] = err.problems() else {
///     panic!("expected one missing state: {err}");
/// };
/// assert_eq!(handler.name(), "suppress");
/// assert!(type_name.ends_with("Pool"));
/// # }
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildProblem {
    /// A handler takes `State<T>` but no `T` was given with `.state(..)`.
    #[error(
        "handler `{}` at {} takes `State<{type_name}>`, but no `{type_name}` was given: add `.state(value)` to the builder",
        .handler.path(),
        .handler.location()
    )]
    MissingState {
        /// The handler.
        handler: HandlerInfo,
        /// The type of the missing state, as `std::any::type_name` spells it.
        type_name: &'static str,
    },
    /// The same fn is registered twice for the same event (e.g. the attribute repeated).
    #[error(
        "handler `{}` at {} is registered twice for `{event}`: remove one `#[on_event]`",
        .handler.path(),
        .handler.location()
    )]
    DuplicateHandler {
        /// The handler.
        handler: HandlerInfo,
        /// The event it is registered for twice.
        event: &'static str,
    },
    /// Two `.state(..)` values of the same type: a handler could only ever see one.
    #[error(
        "two `.state(..)` values have the type `{type_name}`: give it once, or wrap one in a newtype"
    )]
    DuplicateState {
        /// The type given twice.
        type_name: &'static str,
    },
    /// A handler names an event Postal does not send (only possible for hand-built
    /// descriptors: `#[on_event]` checks names at compile time).
    #[error(
        "handler `{}` at {} is registered for `{event}`, which is not a Postal event",
        .handler.path(),
        .handler.location()
    )]
    UnknownEvent {
        /// The handler.
        handler: HandlerInfo,
        /// The name it gives.
        event: &'static str,
    },
    /// [`dedupe_exempt`](crate::DispatcherBuilder::dedupe_exempt) names no handler.
    #[error(
        "`dedupe_exempt({path:?})` names no handler; use a path from `Dispatcher::handlers()`, like `my_app::bounces::suppress`"
    )]
    UnknownExempt {
        /// The path given.
        path: String,
    },
    /// A crate named with [`expect_crate`](crate::DispatcherBuilder::expect_crate) has no
    /// registered handler: the binary never names it, so it was not linked.
    #[error(
        "no `#[on_event]` handler of crate `{name}` is registered: the crate is not linked because nothing in this program names it. Add `use {name} as _;` to the binary (or, if it has no handlers, remove `.expect_crate(\"{name}\")`)"
    )]
    CrateNotLinked {
        /// The crate's name, with `_` for `-`.
        name: String,
    },
    /// [`only`](crate::DispatcherBuilder::only) names no registered handler.
    #[error(
        "`only({path:?})` names no registered handler; use a path from `Dispatcher::handlers()`, like `my_app::bounces::suppress`, or its fn name"
    )]
    UnknownOnly {
        /// The path given.
        path: String,
    },
    /// No handler at all: usually a crate of handlers that nothing links. Opt in with
    /// [`allow_no_handlers`](crate::DispatcherBuilder::allow_no_handlers) if intended.
    #[error(
        "no handlers are registered. If your `#[on_event]` fns live in another crate, make sure it is linked by naming it once: `use my_handlers as _;`. Call `.allow_no_handlers()` if an empty dispatcher is intended"
    )]
    NoHandlers,
}

impl BuildError {
    /// Every problem found.
    pub fn problems(&self) -> &[BuildProblem] {
        &self.problems
    }
}

/// `: <the problem>` for one problem, ` (N problems):` and one indented line each for more.
struct Problems<'a>(&'a [BuildProblem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, ": {one}"),
            many => {
                write!(f, " ({} problems):", many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

crate::error_report::debug_as_report!(BuildError, BuildProblem);
