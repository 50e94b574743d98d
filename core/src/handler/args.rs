//! What a handler can take after the event: [`Meta`] and [`State`], drawn from the
//! [`CallContext`] through [`HandlerArg`].

use std::any::{Any, TypeId, type_name};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::result::HandlerError;
use crate::events::{Event, Timestamp};

/// Facts about the request being dispatched: its uuid, timestamp and event name.
///
/// Take `&Meta` as any argument after the event:
///
/// ```rust,standalone_crate
/// use postal_hooks::{Meta, on_event, events::MessageSent};
///
/// #[on_event(MessageSent)]
/// fn log(sent: &MessageSent, meta: &Meta) {
///     println!("{} {} for {:?}", meta.event(), meta.uuid().unwrap_or("-"), sent.message.to);
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    event: Cow<'static, str>,
    uuid: Option<String>,
    timestamp: Option<Timestamp>,
}

impl Meta {
    /// Metadata for an event; `uuid` and `timestamp` are `None` for a payload-only body.
    pub fn new(
        event: impl Into<String>,
        uuid: Option<String>,
        timestamp: Option<Timestamp>,
    ) -> Self {
        Meta {
            event: Cow::Owned(event.into()),
            uuid,
            timestamp,
        }
    }

    /// Metadata for the event type `E`, with no uuid or timestamp: for unit tests of a
    /// handler that takes `&Meta`. Add them with [`with_uuid`](Self::with_uuid) and
    /// [`with_timestamp`](Self::with_timestamp).
    ///
    /// ```
    /// use postal_hooks::{Meta, events::MessageBounced};
    ///
    /// let meta = Meta::of::<MessageBounced>().with_uuid("7c4a2e96");
    /// assert_eq!((meta.event(), meta.uuid()), ("MessageBounced", Some("7c4a2e96")));
    /// ```
    pub fn of<E: crate::events::EventType>() -> Self {
        Meta {
            event: Cow::Borrowed(E::NAME),
            uuid: None,
            timestamp: None,
        }
    }

    /// The same metadata with `uuid`.
    #[must_use]
    pub fn with_uuid(mut self, uuid: impl Into<String>) -> Self {
        self.uuid = Some(uuid.into());
        self
    }

    /// The same metadata with `timestamp`.
    #[must_use]
    pub fn with_timestamp(mut self, timestamp: Timestamp) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Metadata for `event`, without copying a known event's name.
    pub(crate) fn for_event(
        event: &Event,
        uuid: Option<String>,
        timestamp: Option<Timestamp>,
    ) -> Self {
        let event = match event.static_name() {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(event.name().to_owned()),
        };
        Meta {
            event,
            uuid,
            timestamp,
        }
    }

    /// The event name (`"MessageSent"`, or an unknown name as received).
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The event name as kept: borrowed for every event Postal defines.
    pub(crate) fn event_name(&self) -> &Cow<'static, str> {
        &self.event
    }

    /// The envelope's uuid: the same on every retry of this request, so the key to
    /// deduplicate on. `None` when a payload was dispatched without its envelope.
    pub fn uuid(&self) -> Option<&str> {
        self.uuid.as_deref()
    }

    /// When Postal queued the request. `None` without an envelope.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.timestamp
    }
}

/// Shared application state given to the dispatcher with
/// [`DispatcherBuilder::state`](crate::DispatcherBuilder::state): a database pool, a client,
/// a channel. Handlers take `State<T>` as any argument after the event.
///
/// The dispatcher checks at [`build`](crate::DispatcherBuilder::build) time that every
/// handler's state was provided, so a missing one is a startup error, never a failed request.
///
/// ```rust,standalone_crate
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use postal_hooks::{State, on_event, events::MessageLinkClicked};
///
/// #[derive(Default)]
/// struct Clicks(AtomicU64);
///
/// #[on_event(MessageLinkClicked)]
/// fn count(_click: &MessageLinkClicked, State(clicks): State<Clicks>) {
///     clicks.0.fetch_add(1, Ordering::Relaxed);
/// }
/// ```
pub struct State<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(Arc::clone(&self.0))
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&&*self.0).finish()
    }
}

/// The values given to [`DispatcherBuilder::state`](crate::DispatcherBuilder::state), by type.
#[derive(Default, Clone)]
pub(crate) struct StateMap {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl StateMap {
    /// Stores `value`; returns `false` if a value of that type was already there.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: Arc<T>) -> bool {
        self.values.insert(TypeId::of::<T>(), value).is_none()
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.values.contains_key(&type_id)
    }

    fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = Arc::clone(self.values.get(&TypeId::of::<T>())?);
        value.downcast::<T>().ok()
    }
}

/// A state type a handler needs: checked against the provided states at build time.
#[derive(Debug, Clone, Copy)]
pub struct StateNeed {
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
}

impl StateNeed {
    /// The need for a `State<T>`.
    pub fn of<T: 'static>() -> Self {
        StateNeed {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
        }
    }
}

/// Everything a handler call can draw its arguments from.
pub struct CallContext<'a> {
    pub(crate) event: &'a Event,
    pub(crate) meta: &'a Meta,
    pub(crate) states: &'a StateMap,
}

impl<'a> CallContext<'a> {
    /// The event being dispatched.
    pub fn event(&self) -> &'a Event {
        self.event
    }
}

/// An argument a handler can take after the event: `&Meta` or `State<T>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of an `#[on_event]` handler",
    label = "not something the dispatcher can pass",
    note = "after the event, a handler may take, in any order: `&Meta` (uuid, timestamp, event name) and `State<T>` (a value given to `Dispatcher::builder().state(..)`)"
)]
pub trait HandlerArg<'a>: Sized + sealed::Sealed {
    /// Draws the argument from the call. Fails only for state that was not provided, which
    /// [`build`](crate::DispatcherBuilder::build) already rules out.
    fn from_call(cx: &CallContext<'a>) -> Result<Self, HandlerError>;

    /// Records the state this argument needs, for the check at build time.
    fn declare(needs: &mut Vec<StateNeed>) {
        let _ = needs;
    }
}

impl sealed::Sealed for &Meta {}

#[diagnostic::do_not_recommend]
impl<'a> HandlerArg<'a> for &'a Meta {
    fn from_call(cx: &CallContext<'a>) -> Result<Self, HandlerError> {
        Ok(cx.meta)
    }
}

impl<T: Send + Sync + 'static> sealed::Sealed for State<T> {}

#[diagnostic::do_not_recommend]
impl<T: Send + Sync + 'static> HandlerArg<'_> for State<T> {
    fn from_call(cx: &CallContext<'_>) -> Result<Self, HandlerError> {
        cx.states.get::<T>().map(State).ok_or_else(|| {
            HandlerError::from(format!(
                "no state of type `{}` was given to the dispatcher",
                type_name::<T>()
            ))
        })
    }

    fn declare(needs: &mut Vec<StateNeed>) {
        needs.push(StateNeed::of::<T>());
    }
}

pub(crate) mod sealed {
    /// Keeps the set of handler arguments ours: `&Meta` and `State<T>`.
    pub trait Sealed {}
}
