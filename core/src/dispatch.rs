//! [`Dispatcher`]: runs every matching handler for an event, each isolated from the others.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::block_on::block_on;
use crate::builder::{ClosureFn, DispatcherBuilder};
use crate::catch::{CatchUnwind, Failure, call_catching};
use crate::dedupe::{Claim, IdempotencyStore, StoreError};
use crate::extract::{CallContext, StateMap, StateNeed};
use crate::handler::{BoxFuture, CallFn, EventFilter, Invocation};
use crate::report::{HandlerRun, NotRun, Outcome};
use crate::{BuildError, BuildProblem, Envelope, Event, HandlerInfo, Meta, ParseError, Report};

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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) handlers: Vec<Registered>,
    pub(crate) routes: Routes,
    pub(crate) states: StateMap,
    pub(crate) store: Option<Arc<dyn IdempotencyStore>>,
    pub(crate) lease: Duration,
}

/// A handler ready to call.
pub(crate) struct Registered {
    pub(crate) info: HandlerInfo,
    /// The handler's name in the idempotency store: its path, or for a closure its place.
    pub(crate) key: String,
    pub(crate) call: Call,
    pub(crate) needs: Vec<StateNeed>,
}

pub(crate) enum Call {
    Static(CallFn),
    Closure(Arc<ClosureFn>),
}

/// For each of the ten known events and for unknown ones, the indices of the handlers to
/// run, in order: computed once at build time.
pub(crate) struct Routes {
    by_event: [Vec<usize>; ROUTES],
}

const ROUTES: usize = Event::KNOWN_NAMES.len() + 1;

impl Routes {
    pub(crate) fn new(handlers: &[Registered], problems: &mut Vec<BuildProblem>) -> Self {
        let mut by_event: [Vec<usize>; ROUTES] = Default::default();
        for (index, handler) in handlers.iter().enumerate() {
            match handler.info.events {
                EventFilter::All => by_event.iter_mut().for_each(|route| route.push(index)),
                EventFilter::Only(names) => {
                    for &name in names {
                        let slot = Event::KNOWN_NAMES.iter().position(|&known| known == name);
                        match slot.and_then(|slot| by_event.get_mut(slot)) {
                            Some(route) => route.push(index),
                            None => problems.push(BuildProblem::UnknownEvent {
                                handler: handler.info,
                                event: name,
                            }),
                        }
                    }
                }
            }
        }
        Routes { by_event }
    }

    fn for_event(&self, event: &Event) -> &[usize] {
        self.by_event.get(event.slot()).map_or(&[], Vec::as_slice)
    }
}

/// The handlers to run for one event, in order: borrowed from the dispatcher, so routing
/// allocates nothing.
#[derive(Clone, Copy)]
struct Route<'a> {
    handlers: &'a [Registered],
    indices: &'a [usize],
}

impl<'a> Route<'a> {
    fn iter(self) -> impl Iterator<Item = &'a Registered> {
        self.indices
            .iter()
            .filter_map(move |&index| self.handlers.get(index))
    }
}

impl Dispatcher {
    /// Starts building a dispatcher. It includes every `#[on_event]` handler linked into
    /// the program unless you call
    /// [`without_registered_handlers`](DispatcherBuilder::without_registered_handlers).
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder::new()
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
        Report::new(meta, runs, not_run)
    }

    /// Runs the handlers routed to `event`, deduplicated when a store is configured and
    /// the event has a uuid.
    async fn run_for(&self, event: &Event, meta: &Meta) -> (Vec<HandlerRun>, Option<NotRun>) {
        let route = Route {
            handlers: &self.inner.handlers,
            indices: self.inner.routes.for_event(event),
        };
        let span = tracing::info_span!(
            "postal_hooks.dispatch",
            event = meta.event(),
            uuid = meta.uuid().unwrap_or_default(),
            handlers = route.indices.len(),
        );
        let cx = CallContext {
            event,
            meta,
            states: &self.inner.states,
        };
        let needs_claim = route.iter().any(|handler| handler.info.dedupe);
        match (self.inner.store.as_deref(), meta.uuid()) {
            (Some(store), Some(uuid)) if needs_claim => {
                self.run_deduplicated(store, uuid, route, &cx)
                    .instrument(span)
                    .await
            }
            _ => (run_all(route, &cx).instrument(span).await, None),
        }
    }

    /// Claims the uuid, runs the handlers not yet done for it, records each success, and
    /// releases the claim.
    async fn run_deduplicated(
        &self,
        store: &dyn IdempotencyStore,
        uuid: &str,
        route: Route<'_>,
        cx: &CallContext<'_>,
    ) -> (Vec<HandlerRun>, Option<NotRun>) {
        let (token, done) = match store.claim(uuid, self.inner.lease).await {
            Ok(Claim::Acquired { token, done }) => (token, done),
            Ok(Claim::InProgress) => {
                tracing::info!("another delivery of this uuid is in progress; answering 409");
                return (Vec::new(), Some(NotRun::InProgress));
            }
            Err(error) => {
                tracing::error!(error = %error, "cannot check for duplicates; answering 503");
                return (
                    Vec::new(),
                    Some(NotRun::StoreUnavailable(error.to_string())),
                );
            }
        };
        let alive = store.keep_alive(uuid, &token, self.inner.lease);
        let runs = while_alive(run_claimed(store, uuid, route, cx, &done), alive).await;
        if let Err(error) = store.release(uuid, &token).await {
            tracing::warn!(error = %error, "could not release the claim; it expires with its lease");
        }
        (runs, None)
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
        self.inner.handlers.iter().map(|handler| &handler.info)
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("handlers", &self.handlers().collect::<Vec<_>>())
            .finish()
    }
}

/// Runs the handlers of `route` under a claim: those already `done` for this uuid are
/// skipped, and each success is recorded.
async fn run_claimed(
    store: &dyn IdempotencyStore,
    uuid: &str,
    route: Route<'_>,
    cx: &CallContext<'_>,
    done: &[String],
) -> Vec<HandlerRun> {
    let mut runs = Vec::with_capacity(route.indices.len());
    for handler in route.iter() {
        let deduplicated = handler.info.dedupe;
        if deduplicated && done.contains(&handler.key) {
            runs.push(HandlerRun {
                handler: handler.info,
                outcome: Outcome::Skipped,
                duration: Duration::ZERO,
            });
            continue;
        }
        let ran = run(handler, cx).await;
        if deduplicated
            && ran.outcome == Outcome::Ok
            && let Err(error) = record_done(store, uuid, &handler.key).await
        {
            // The handler did run: answering 2xx loses nothing; a retry may run it again.
            tracing::warn!(handler = handler.info.name, error = %error, "could not record a handler's success");
        }
        runs.push(ran);
    }
    runs
}

/// Drives `work`, polling `alive` (the claim's keep-alive) alongside it until `work` is
/// done; `alive` is dropped with this future.
async fn while_alive<F: Future>(work: F, mut alive: Option<BoxFuture<'_, ()>>) -> F::Output {
    let mut work = pin!(work);
    poll_fn(move |cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if alive
            .as_mut()
            .is_some_and(|keep| keep.as_mut().poll(cx).is_ready())
        {
            alive = None; // It gave up (and said why); the lease still runs.
        }
        Poll::Pending
    })
    .await
}

/// Records a handler's success, trying twice: a lost record means a retry runs it again.
async fn record_done(
    store: &dyn IdempotencyStore,
    uuid: &str,
    key: &str,
) -> Result<(), StoreError> {
    match store.mark_done(uuid, key).await {
        Ok(()) => Ok(()),
        Err(_) => store.mark_done(uuid, key).await,
    }
}

/// Runs every handler of `route` in order.
async fn run_all(route: Route<'_>, cx: &CallContext<'_>) -> Vec<HandlerRun> {
    let mut runs = Vec::with_capacity(route.indices.len());
    for handler in route.iter() {
        runs.push(run(handler, cx).await);
    }
    if route.indices.is_empty() {
        tracing::debug!("no handler registered for this event; acknowledged");
    }
    runs
}

/// Runs one handler, catching its error or panic, and times it.
async fn run(handler: &Registered, cx: &CallContext<'_>) -> HandlerRun {
    let span = tracing::info_span!("postal_hooks.handler", handler = handler.info.name);
    let start = Instant::now();
    // A sync handler runs to completion in this call, so it is entered here; an async one
    // only builds its future here and is entered on every poll below.
    let invocation = span.in_scope(|| {
        call_catching(|| match &handler.call {
            Call::Static(call) => call(cx),
            Call::Closure(call) => call(cx.event),
        })
    });
    let result = match invocation {
        Ok(Invocation::Done(result)) => result.map_err(Failure::Error),
        Ok(Invocation::Pending(future)) => CatchUnwind::new(future).instrument(span.clone()).await,
        Err(panic) => Err(panic),
    };
    let duration = start.elapsed();
    let outcome = match result {
        Ok(()) => Outcome::Ok,
        Err(Failure::Error(error)) => {
            let message = error.chain_message();
            span.in_scope(|| tracing::warn!(error = %message, "handler failed"));
            Outcome::Error(message)
        }
        Err(Failure::Panic(message)) => {
            span.in_scope(|| tracing::error!(panic = %message, "handler panicked"));
            Outcome::Panic(message)
        }
    };
    HandlerRun {
        handler: handler.info,
        outcome,
        duration,
    }
}

/// The dispatcher behind [`dispatch`](crate::dispatch()), built on first use from every
/// `#[on_event]` handler linked into the program (no state, at least one handler).
///
/// ```rust,standalone_crate
/// use postal_hooks::{on_event, events::MessageSent};
///
/// #[on_event(MessageSent)]
/// fn delivered(_sent: &MessageSent) {}
///
/// # fn main() {
/// match postal_hooks::default_dispatcher() {
///     Ok(dispatcher) => assert_eq!(dispatcher.handlers().count(), 1),
///     Err(error) => panic!("handler setup is broken: {error}"),
/// }
/// # }
/// ```
///
/// # Errors
///
/// The [`BuildError`] of that first build, every time.
pub fn default_dispatcher() -> Result<&'static Dispatcher, &'static BuildError> {
    static DEFAULT: OnceLock<Result<Dispatcher, BuildError>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Dispatcher::builder().build())
        .as_ref()
}

/// Parses `body` and runs every `#[on_event]` handler linked into the program: the
/// one-line entry point. Uses [`default_dispatcher`]; build your own [`Dispatcher`] to give
/// handlers state or to add closures.
///
/// ```no_run,standalone_crate
/// use postal_hooks::{on_event, events::MessageBounced};
///
/// #[on_event(MessageBounced)]
/// fn suppress(bounce: &MessageBounced) {
///     println!("suppress {:?}", bounce.original_message.to);
/// }
///
/// # async fn receive(body: &[u8]) {
/// match postal_hooks::dispatch(body).await {
///     Ok(report) => println!("{report}"),
///     Err(error) => eprintln!("{error}"),
/// }
/// # }
/// ```
///
/// # Errors
///
/// [`DispatchError::Parse`] for a body that does not parse, [`DispatchError::Setup`] when
/// the default dispatcher cannot be built (a handler needs state, or none is linked).
pub async fn dispatch(body: &[u8]) -> Result<Report, DispatchError> {
    let dispatcher = default_dispatcher().map_err(DispatchError::Setup)?;
    dispatcher
        .dispatch(body)
        .await
        .map_err(DispatchError::Parse)
}

/// Why [`dispatch`](crate::dispatch()) ran no handler.
///
/// ```
/// use postal_hooks::DispatchError;
///
/// async fn status_for(body: &[u8]) -> u16 {
///     match postal_hooks::dispatch(body).await {
///         Ok(report) => report.http_status(),
///         Err(error @ DispatchError::Parse(_)) => {
///             eprintln!("not a Postal webhook: {error}");
///             error.http_status() // 400
///         }
///         Err(error) => {
///             eprintln!("handler setup is broken: {error}");
///             error.http_status() // 500
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DispatchError {
    /// The body is not a Postal webhook body (answer 400).
    Parse(ParseError),
    /// The default dispatcher could not be built (a setup error: answer 500).
    Setup(&'static BuildError),
}

impl DispatchError {
    /// The HTTP status to answer with: 400 for a bad body, 500 for a setup error.
    pub fn http_status(&self) -> u16 {
        match self {
            DispatchError::Parse(_) => 400,
            DispatchError::Setup(_) => 500,
        }
    }
}

impl std::fmt::Display for DispatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DispatchError::Parse(error) => write!(f, "invalid webhook body: {error}"),
            DispatchError::Setup(error) => std::fmt::Display::fmt(error, f),
        }
    }
}

impl std::error::Error for DispatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DispatchError::Parse(error) => Some(error),
            DispatchError::Setup(error) => Some(*error),
        }
    }
}
