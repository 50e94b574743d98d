//! [`DispatcherBuilder`]: collects handlers and state, validates them once, at startup.

use std::any::{type_name, type_name_of_val};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::dedupe::{DEFAULT_LEASE, IdempotencyStore, MemoryStore};
use crate::dispatch::{Call, Dispatcher, Inner, Registered, Routes};
use crate::events::EventType;
use crate::extract::{StateMap, StateNeed};
use crate::handler::{EventFilter, Handler, HandlerKind, Invocation, Location};
use crate::{BuildError, BuildProblem, Event, HandlerError, HandlerInfo, IntoOutcome};

/// Builds a [`Dispatcher`]: the handlers registered with `#[on_event]`, closures added by
/// hand, and shared state.
///
/// ```
/// use postal_hooks::{Dispatcher, events::{MessageBounced, MessageSent}};
///
/// struct Db;
///
/// let dispatcher = Dispatcher::builder()
///     .state(Db)
///     .on(|bounce: &MessageBounced| println!("bounced: {:?}", bounce.original_message.to))
///     .on_async(|sent: MessageSent| async move { println!("sent: {}", sent.message.id) })
///     .build()?;
/// # Ok::<(), postal_hooks::BuildError>(())
/// ```
#[must_use = "call `.build()` to get a Dispatcher"]
pub struct DispatcherBuilder {
    use_registry: bool,
    allow_empty: bool,
    closures: Vec<Registered>,
    states: StateMap,
    duplicate_states: Vec<&'static str>,
    store: StoreChoice,
    lease: Duration,
    exempt: Vec<String>,
}

/// Which idempotency store the dispatcher will use.
enum StoreChoice {
    /// A fresh [`MemoryStore`]: the embedded default.
    Memory,
    Given(Arc<dyn IdempotencyStore>),
    Off,
}

impl DispatcherBuilder {
    pub(crate) fn new() -> Self {
        DispatcherBuilder {
            use_registry: true,
            allow_empty: false,
            closures: Vec::new(),
            states: StateMap::default(),
            duplicate_states: Vec::new(),
            store: StoreChoice::Memory,
            lease: DEFAULT_LEASE,
            exempt: Vec::new(),
        }
    }

    /// Deduplicates deliveries with `store` instead of the default in-memory one: e.g. a
    /// [`RedisStore`](crate::dedupe::RedisStore) shared by several replicas. See
    /// [`dedupe`](crate::dedupe) for what deduplication guarantees.
    pub fn idempotency_store(self, store: impl IdempotencyStore) -> Self {
        self.idempotency_store_arc(Arc::new(store))
    }

    /// Like [`idempotency_store`](Self::idempotency_store), for a store already shared.
    pub fn idempotency_store_arc(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.store = StoreChoice::Given(store);
        self
    }

    /// Runs every handler on every delivery, retries included: no idempotency store. For
    /// handlers that are all naturally idempotent.
    pub fn without_dedupe(mut self) -> Self {
        self.store = StoreChoice::Off;
        self
    }

    /// How long a delivery's claim on its uuid lasts unless renewed (default 60 s). The
    /// store keeps the claim alive while the handlers run, so this does not bound them: it
    /// bounds how long a crashed worker's claim blocks Postal's retries. Keep it under
    /// Postal's first retry, 2 minutes after the first attempt.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Runs the handler whose [`path`](HandlerInfo::path) is `path` on every delivery, even
    /// when it already succeeded for the uuid: for a naturally idempotent handler. The same
    /// as `#[on_event(.., dedupe = false)]` on the fn.
    pub fn dedupe_exempt(mut self, path: impl Into<String>) -> Self {
        self.exempt.push(path.into());
        self
    }

    /// Makes `value` available to handlers that take `State<T>`. One value per type.
    pub fn state<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.state_arc(Arc::new(value))
    }

    /// Like [`state`](Self::state), for a value you already hold in an `Arc`.
    pub fn state_arc<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        if !self.states.insert(value) {
            self.duplicate_states.push(type_name::<T>());
        }
        self
    }

    /// Leaves out the handlers registered with `#[on_event]`; only closures added to this
    /// builder run. For tests that need isolation from the process-wide registry, and for
    /// targets where link-time registration is unavailable.
    pub fn without_registered_handlers(mut self) -> Self {
        self.use_registry = false;
        self
    }

    /// Accepts a dispatcher with no handler at all (an error otherwise: it usually means a
    /// crate of handlers is not linked).
    pub fn allow_no_handlers(mut self) -> Self {
        self.allow_empty = true;
        self
    }

    /// Adds a synchronous closure for the event `E`, inferred from the argument:
    /// `.on(|bounce: &MessageBounced| ..)`. It returns `()` or `Result<(), E>`.
    #[track_caller]
    pub fn on<E, R>(self, handler: impl Fn(&E) -> R + Send + Sync + 'static) -> Self
    where
        E: EventType,
        R: IntoOutcome,
    {
        let name = type_name_of_val(&handler);
        self.for_event(name, move |event: &E| {
            Invocation::Done(handler(event).into_outcome())
        })
    }

    /// Adds an asynchronous closure for the event `E`; it receives its own copy of the
    /// event: `.on_async(|sent: MessageSent| async move { .. })`.
    #[track_caller]
    pub fn on_async<E, F, Fut>(self, handler: F) -> Self
    where
        E: EventType,
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output: IntoOutcome> + Send + 'static,
    {
        let name = type_name::<F>();
        self.for_event(name, move |event: &E| pending(handler(event.clone())))
    }

    /// Adds a synchronous closure for every event, unknown ones included.
    #[track_caller]
    pub fn on_any<R: IntoOutcome>(
        self,
        handler: impl Fn(&Event) -> R + Send + Sync + 'static,
    ) -> Self {
        let name = type_name_of_val(&handler);
        let call = move |event: &Event| Invocation::Done(handler(event).into_outcome());
        self.closure(name, EventFilter::All, Arc::new(call))
    }

    /// Adds an asynchronous closure for every event; it receives its own copy.
    #[track_caller]
    pub fn on_any_async<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output: IntoOutcome> + Send + 'static,
    {
        let name = type_name::<F>();
        let call = move |event: &Event| pending(handler(event.clone()));
        self.closure(name, EventFilter::All, Arc::new(call))
    }

    /// Registers `call` for the event `E` only.
    #[track_caller]
    fn for_event<E: EventType>(
        self,
        name: &'static str,
        call: impl Fn(&E) -> Invocation<'static> + Send + Sync + 'static,
    ) -> Self {
        let call = move |event: &Event| match E::from_event(event) {
            Some(typed) => call(typed),
            None => Invocation::Done(Err(misrouted(E::NAME, event))),
        };
        self.closure(
            name,
            EventFilter::Only(const { &[E::NAME] }),
            Arc::new(call),
        )
    }

    #[track_caller]
    fn closure(mut self, name: &'static str, events: EventFilter, call: Arc<ClosureFn>) -> Self {
        let caller = std::panic::Location::caller();
        let info = HandlerInfo {
            name,
            location: Location {
                module_path: "",
                file: caller.file(),
                line: caller.line(),
            },
            events,
            kind: HandlerKind::Closure,
            dedupe: true,
        };
        // Stable for a given program: the closure's place among the builder's closures and
        // where it was registered.
        let key = format!(
            "closure#{}@{}:{}",
            self.closures.len(),
            caller.file(),
            caller.line()
        );
        self.closures.push(Registered {
            info,
            key,
            call: Call::Closure(call),
            needs: Vec::new(),
        });
        self
    }

    /// Collects the registered handlers once and checks everything: every handler's state
    /// was given, no fn is registered twice for an event, no state type is given twice, and
    /// there is at least one handler (unless [`allow_no_handlers`](Self::allow_no_handlers)).
    ///
    /// # Errors
    ///
    /// A [`BuildError`] listing every problem, each naming the handler (`path::fn` at
    /// `file:line`) and what is missing.
    pub fn build(self) -> Result<Dispatcher, BuildError> {
        let mut handlers = Vec::new();
        if self.use_registry {
            handlers.extend(inventory::iter::<Handler>.into_iter().map(registered));
        }
        handlers.extend(self.closures);
        handlers.sort_by(|a, b| order_key(&a.info).cmp(&order_key(&b.info)));

        let mut problems: Vec<BuildProblem> = self
            .duplicate_states
            .iter()
            .map(|&type_name| BuildProblem::DuplicateState { type_name })
            .collect();
        for path in self.exempt {
            let mut found = false;
            for handler in handlers
                .iter_mut()
                .filter(|h| h.info.path() == path || h.key == path)
            {
                handler.info.dedupe = false;
                found = true;
            }
            if !found {
                problems.push(BuildProblem::UnknownExempt { path });
            }
        }
        problems.extend(duplicates(&handlers));
        for handler in &handlers {
            for need in &handler.needs {
                if !self.states.contains(need.type_id) {
                    problems.push(BuildProblem::MissingState {
                        handler: handler.info,
                        type_name: need.type_name,
                    });
                }
            }
        }
        let routes = Routes::new(&handlers, &mut problems);
        if handlers.is_empty() && !self.allow_empty {
            problems.push(BuildProblem::NoHandlers);
        }
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }
        let store: Option<Arc<dyn IdempotencyStore>> = match self.store {
            StoreChoice::Memory => Some(Arc::new(MemoryStore::new())),
            StoreChoice::Given(store) => Some(store),
            StoreChoice::Off => None,
        };
        Ok(Dispatcher {
            inner: Arc::new(Inner {
                handlers,
                routes,
                states: self.states,
                store,
                lease: self.lease,
            }),
        })
    }
}

/// A closure handler after type erasure. Closures never borrow the event into their result
/// (an async closure gets its own copy), so the invocation is `'static`.
pub(crate) type ClosureFn = dyn Fn(&Event) -> Invocation<'static> + Send + Sync;

fn registered(handler: &'static Handler) -> Registered {
    let mut needs: Vec<StateNeed> = Vec::new();
    (handler.needs)(&mut needs);
    let kind = if handler.is_async {
        HandlerKind::Async
    } else {
        HandlerKind::Sync
    };
    let info = HandlerInfo {
        name: handler.name,
        location: handler.location,
        events: handler.events,
        kind,
        dedupe: handler.dedupe,
    };
    Registered {
        key: info.path(),
        info,
        call: Call::Static(handler.call),
        needs,
    }
}

/// The documented order: handlers for the specific event first, then catch-all ones; within
/// each group, `#[on_event]` fns by module path, name, file and line, then closures in the
/// order they were added (the sort is stable).
fn order_key(info: &HandlerInfo) -> (bool, bool, &'static str, &'static str, &'static str, u32) {
    let is_closure = info.kind == HandlerKind::Closure;
    if is_closure {
        return (info.is_catch_all(), true, "", "", "", 0);
    }
    let Location {
        module_path,
        file,
        line,
    } = info.location;
    (
        info.is_catch_all(),
        false,
        module_path,
        info.name,
        file,
        line,
    )
}

/// The same fn (module path and name) registered more than once for one event.
fn duplicates(handlers: &[Registered]) -> Vec<BuildProblem> {
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for handler in handlers
        .iter()
        .filter(|h| h.info.kind != HandlerKind::Closure)
    {
        let names: &[&'static str] = match handler.info.events {
            EventFilter::Only(names) => names,
            EventFilter::All => &["*"],
        };
        for &event in names {
            let key = (handler.info.location.module_path, handler.info.name, event);
            if !seen.insert(key) {
                problems.push(BuildProblem::DuplicateHandler {
                    handler: handler.info,
                    event,
                });
            }
        }
    }
    problems
}

/// An async closure's future, boxed, with its output turned into an outcome.
fn pending<Fut>(future: Fut) -> Invocation<'static>
where
    Fut: Future<Output: IntoOutcome> + Send + 'static,
{
    Invocation::Pending(Box::pin(async move { future.await.into_outcome() }))
}

fn misrouted(expected: &str, event: &Event) -> HandlerError {
    HandlerError::from(format!(
        "a `{expected}` handler was given a `{}` event",
        event.name()
    ))
}
