//! [`Dispatcher`]: runs every matching handler for an event, each isolated from the others.

use std::sync::Arc;

use tracing::Instrument;

use super::block_on::block_on;
use super::deduplicated::{StoreLimits, run_deduplicated};
use super::report::{HandlerRun, NotRun, Report};
use super::run::run_all;
use crate::dedupe::IdempotencyStore;
use crate::events::Event;
use crate::handler::{CallContext, HandlerInfo, Meta};
use crate::observe::record_runs;
use crate::parse::{Envelope, ParseError};
use crate::registry::Registry;

/// Routes Postal events to handlers.
///
/// Build it once at startup with [`Dispatcher::builder`]; it is cheap to clone (an `Arc`)
/// and can be shared across threads and tasks.
///
/// **Order.** For each event, the handlers registered for that event run first, then the
/// catch-all ones (`#[on_event(*)]`, `.on_any(..)`). Within each group, `#[on_event]` fns
/// run sorted by module path, then name, then `file:line`; closures added to the builder
/// run after them, in the order they were added. Handlers run one after another.
///
/// **Isolation.** Every matching handler runs, whatever the others do: an `Err` or a panic
/// is recorded as that handler's outcome in the [`Report`], and the status becomes 5xx so
/// Postal retries.
///
/// ```
/// use postal_hooks::{Dispatcher, events::MessageSent};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|sent: &MessageSent| println!("{}", sent.message.id))
///     .build()?;
/// // An event nobody handles is acknowledged (200), and the report says so.
/// let body = br#"{"event":"SomethingNew","timestamp":1.5,"payload":{},"uuid":"u"}"#;
/// let report = dispatcher.dispatch_blocking(body)?;
/// assert!(report.is_unhandled());
/// assert_eq!(report.http_status(), 200);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    store: Option<Arc<dyn IdempotencyStore>>,
    limits: StoreLimits,
}

impl Dispatcher {
    /// A dispatcher over checked handlers, deduplicating with `store` when there is one.
    pub(super) fn new(
        registry: Registry,
        store: Option<Arc<dyn IdempotencyStore>>,
        limits: StoreLimits,
    ) -> Self {
        Dispatcher {
            inner: Arc::new(Inner {
                registry: Arc::new(registry),
                store,
                limits,
            }),
        }
    }

    /// The same handlers and state, deduplicated with `store` under `lease` (the inbox's
    /// workers: their store is as durable as the inbox).
    #[cfg(feature = "inbox")]
    pub(crate) fn with_store(
        &self,
        store: Arc<dyn IdempotencyStore>,
        lease: std::time::Duration,
    ) -> Dispatcher {
        Dispatcher {
            inner: Arc::new(Inner {
                registry: self.inner.registry.clone(),
                store: Some(store),
                limits: StoreLimits {
                    lease,
                    deadline: self.inner.limits.deadline,
                },
            }),
        }
    }

    /// Parses a request body (the envelope) once and runs every matching handler.
    ///
    /// Works on any async runtime, tokio's current-thread flavour included: handlers run
    /// in the calling task.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] when the body is not a Postal envelope; no handler runs then.
    pub async fn dispatch(&self, body: &[u8]) -> Result<Report, ParseError> {
        let (event, timestamp, uuid) = Envelope::parse(body)?.into_parts();
        let meta = Meta::for_event(&event, Some(uuid), Some(timestamp));
        // The event stays here and the handlers borrow it: no copy of it per await level.
        Ok(self.report_for(&event, meta).await)
    }

    /// Runs the handlers for an envelope parsed earlier.
    pub async fn dispatch_envelope(&self, envelope: Envelope) -> Report {
        let (event, timestamp, uuid) = envelope.into_parts();
        let meta = Meta::for_event(&event, Some(uuid), Some(timestamp));
        self.report_for(&event, meta).await
    }

    /// Parses a bare payload (no envelope) for the event `name` and runs its handlers.
    /// [`Meta::uuid`] and [`Meta::timestamp`] are `None` for them.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] when the payload does not parse; no handler runs then.
    pub async fn dispatch_payload(&self, name: &str, payload: &[u8]) -> Result<Report, ParseError> {
        let event = Event::from_payload(name, payload)?;
        let meta = Meta::for_event(&event, None, None);
        Ok(self.report_for(&event, meta).await)
    }

    /// Runs the handlers for an event.
    pub async fn dispatch_event(&self, event: Event, meta: Meta) -> Report {
        self.report_for(&event, meta).await
    }

    /// Runs the handlers routed to `event` and reports on them.
    async fn report_for(&self, event: &Event, meta: Meta) -> Report {
        let (runs, not_run) = self.run_for(event, &meta).await;
        record_runs(&runs);
        Report::new(meta, runs, not_run)
    }

    /// Runs the handlers routed to `event`, deduplicated when a store is configured and
    /// the event has a uuid.
    async fn run_for(&self, event: &Event, meta: &Meta) -> (Vec<HandlerRun>, Option<NotRun>) {
        let registry = &self.inner.registry;
        let route = registry.route(event);
        let span = tracing::info_span!(
            "postal_hooks.dispatch",
            event = meta.event(),
            uuid = meta.uuid().unwrap_or_default(),
            handlers = route.len(),
        );
        let cx = CallContext {
            event,
            meta,
            states: registry.states(),
        };
        let needs_claim = route.iter().any(|handler| handler.info.dedupe);
        match (self.inner.store.as_deref(), meta.uuid()) {
            (Some(store), Some(uuid)) if needs_claim => {
                run_deduplicated(store, self.inner.limits, uuid, route, &cx)
                    .instrument(span)
                    .await
            }
            _ => (run_all(route, &cx).instrument(span).await, None),
        }
    }

    /// [`dispatch`](Self::dispatch) for synchronous code: no async runtime needed. The
    /// handlers' futures are polled on the calling thread. (An `async` handler that needs
    /// a runtime's reactor, such as tokio's timers or sockets, needs `dispatch` on that
    /// runtime instead; without it, it fails and the report says why.)
    ///
    /// # Errors
    ///
    /// A [`ParseError`] when the body is not a Postal envelope.
    pub fn dispatch_blocking(&self, body: &[u8]) -> Result<Report, ParseError> {
        block_on(self.dispatch(body))
    }

    /// Every registered handler, in the order they would run for an event they share. Log
    /// it at startup, or test that your handler crate is linked.
    pub fn handlers(&self) -> impl ExactSizeIterator<Item = &HandlerInfo> {
        self.inner.registry.handlers()
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("handlers", &self.handlers().collect::<Vec<_>>())
            .finish()
    }
}
