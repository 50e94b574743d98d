//! [`DispatcherBuilder`]: collects handlers and state, validates them once, at startup.

use std::any::{type_name, type_name_of_val};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::deduplicated::StoreLimits;
use super::dispatcher::Dispatcher;
use crate::dedupe::{DEFAULT_LEASE, DEFAULT_STORE_DEADLINE, IdempotencyStore, MemoryStore};
use crate::events::{Event, EventType};
use crate::handler::{EventFilter, IntoHandlerResult, Invocation};
use crate::registry::{self, BuildError, ClosureFn, Collector};

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
///     .on_async(|sent: &MessageSent| {
///         let id = sent.message.id;
///         async move { println!("sent: {id}") }
///     })
///     .build()?;
/// # Ok::<(), postal_hooks::BuildError>(())
/// ```
#[must_use = "call `.build()` to get a Dispatcher"]
pub struct DispatcherBuilder {
    handlers: Collector,
    store: StoreChoice,
    limits: StoreLimits,
}

/// Which idempotency store the dispatcher will use.
enum StoreChoice {
    /// A fresh [`MemoryStore`]: the embedded default.
    Memory,
    Given(Arc<dyn IdempotencyStore>),
    Off,
}

impl Dispatcher {
    /// Starts building a dispatcher. It includes every `#[on_event]` handler linked into
    /// the program unless you call
    /// [`without_registered_handlers`](DispatcherBuilder::without_registered_handlers).
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder {
            handlers: Collector::default(),
            store: StoreChoice::Memory,
            limits: StoreLimits {
                lease: DEFAULT_LEASE,
                deadline: DEFAULT_STORE_DEADLINE,
            },
        }
    }
}

impl DispatcherBuilder {
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

    /// The idempotency store chosen on this builder, said in a few words; `None` for the
    /// default (a fresh [`MemoryStore`]).
    pub(crate) fn chosen_store(&self) -> Option<&'static str> {
        match self.store {
            StoreChoice::Memory => None,
            StoreChoice::Given(_) => Some("the store given to idempotency_store"),
            StoreChoice::Off => Some("none (without_dedupe)"),
        }
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
        self.limits.lease = lease;
        self
    }

    /// How long one delivery may wait on the idempotency store in all its calls (default
    /// 3 s, [`DEFAULT_STORE_DEADLINE`]). A store that stops answering then costs a delivery
    /// this long at most, and its claim fails with 503, inside Postal's 5 s. A record or
    /// release past it is given up (a record's handler may then run again on a retry; an
    /// unreleased claim, or a claim the store took after the deadline, ends with its lease,
    /// so keep the lease under Postal's first retry). A zero deadline fails every call
    /// that has to wait, so a remote store answers 503 to everything.
    pub fn store_deadline(mut self, deadline: Duration) -> Self {
        self.limits.deadline = deadline;
        self
    }

    /// Runs the handler whose [`path`](crate::HandlerInfo::path) is `path` on every delivery, even
    /// when it already succeeded for the uuid: for a naturally idempotent handler. The same
    /// as `#[on_event(.., dedupe = false)]` on the fn.
    pub fn dedupe_exempt(mut self, path: impl Into<String>) -> Self {
        self.handlers.exempt(path.into());
        self
    }

    /// Makes `value` available to handlers that take `State<T>`. One value per type.
    pub fn state<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.state_arc(Arc::new(value))
    }

    /// Like [`state`](Self::state), for a value you already hold in an `Arc`.
    pub fn state_arc<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.handlers.state(value);
        self
    }

    /// States that crate `name` holds `#[on_event]` handlers (call it again for more):
    /// [`build`](Self::build) fails, naming it, when none of its handlers is registered.
    /// That happens when the binary never names the crate, so the linker drops it and its
    /// handlers vanish; the error says to add `use name as _;`. `name` is the crate's name
    /// as in `Cargo.toml` (`-` and `_` alike).
    ///
    /// ```
    /// use postal_hooks::{BuildProblem, Dispatcher};
    ///
    /// // A crate of handlers this program never links:
    /// let err = Dispatcher::builder().expect_crate("billing-hooks").build().unwrap_err();
    /// let not_linked = |problem: &BuildProblem| {
    ///     matches!(problem, BuildProblem::CrateNotLinked { name } if name == "billing_hooks")
    /// };
    /// assert!(err.problems().iter().any(not_linked));
    /// assert!(err.to_string().contains("use billing_hooks as _;"));
    /// ```
    pub fn expect_crate(mut self, name: impl Into<String>) -> Self {
        self.handlers.expect_crate(name.into().replace('-', "_"));
        self
    }

    /// Keeps, of the handlers registered with `#[on_event]`, only the one at `path` (call it
    /// again for more): its [`path`](crate::HandlerInfo::path), or the end of it after a
    /// `::`, such as its fn name. Closures added to the builder stay. For unit tests of one
    /// handler: the others, and the state they need, stay out.
    ///
    /// ```rust,standalone_crate
    /// use postal_hooks::{on_event, Dispatcher, State, events::{MessageBounced, MessageSent}};
    ///
    /// struct Crm;
    ///
    /// #[on_event(MessageBounced)]
    /// fn suppress(_bounce: &MessageBounced) {}
    ///
    /// #[on_event(MessageSent)]
    /// fn notify(_sent: &MessageSent, _crm: State<Crm>) {}
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // No `Crm` needed: `notify` is left out.
    /// let dispatcher = Dispatcher::builder().only("suppress").build()?;
    /// assert_eq!(dispatcher.handlers().map(|h| h.name()).collect::<Vec<_>>(), ["suppress"]);
    /// // A name that matches no handler is refused.
    /// assert!(Dispatcher::builder().only("supress").build().is_err());
    /// # Ok(()) }
    /// ```
    pub fn only(mut self, path: impl Into<String>) -> Self {
        self.handlers.only(path.into());
        self
    }

    /// Leaves out the handlers registered with `#[on_event]`; only closures added to this
    /// builder run. For tests that need isolation from the process-wide registry, and for
    /// targets where link-time registration is unavailable.
    pub fn without_registered_handlers(mut self) -> Self {
        self.handlers.without_registered_handlers();
        self
    }

    /// Accepts a dispatcher with no handler at all (an error otherwise: it usually means a
    /// crate of handlers is not linked).
    pub fn allow_no_handlers(mut self) -> Self {
        self.handlers.allow_no_handlers();
        self
    }

    /// Adds a synchronous closure for the event `E`, inferred from the argument:
    /// `.on(|bounce: &MessageBounced| ..)`. It returns `()` or `Result<(), Err>`, `Err` any
    /// error [`IntoHandlerResult`](crate::IntoHandlerResult) accepts.
    #[track_caller]
    pub fn on<E, R>(self, handler: impl Fn(&E) -> R + Send + Sync + 'static) -> Self
    where
        E: EventType,
        R: IntoHandlerResult,
    {
        let name = type_name_of_val(&handler);
        self.for_event(name, move |event: &E| {
            Invocation::Done(handler(event).into_handler_result())
        })
    }

    /// Adds an asynchronous closure for the event `E`. It takes the event as [`on`](Self::on)
    /// does, `&E`, inferred from the argument, and returns a future whose output is `()` or
    /// `Result<(), Err>`, as [`on`](Self::on)'s result.
    ///
    /// The future must own what it uses (`'static`): in a bound `Fn(&E) -> Fut`, `Fut` is
    /// one type, which cannot borrow from each call's `&E` (stable Rust cannot say "a
    /// future that borrows its argument, and is `Send`" in a bound). Copy the fields you
    /// need, or clone the event, before `async move`. A handler whose future borrows the
    /// event is an `async fn` with [`#[on_event]`](crate::on_event).
    ///
    /// ```
    /// use postal_hooks::{Dispatcher, events::MessageSent};
    ///
    /// # async fn notify(_: String) -> Result<(), std::io::Error> { Ok(()) }
    /// let dispatcher = Dispatcher::builder()
    ///     .on(|sent: &MessageSent| println!("sent to {:?}", sent.message.to))
    ///     .on_async(|sent: &MessageSent| {
    ///         let token = sent.message.token.clone();
    ///         async move { notify(token).await }
    ///     })
    ///     .build()?;
    /// # Ok::<(), postal_hooks::BuildError>(())
    /// ```
    ///
    /// A future that borrows the event does not compile; rustc says "lifetime may not live
    /// long enough … returning this value requires that `'1` must outlive `'2`":
    ///
    /// ```compile_fail
    /// # use postal_hooks::{Dispatcher, events::MessageSent};
    /// Dispatcher::builder().on_async(|sent: &MessageSent| async move {
    ///     println!("{}", sent.message.token) // borrows `sent`: copy it before `async move`
    /// });
    /// ```
    #[track_caller]
    pub fn on_async<E, F, Fut>(self, handler: F) -> Self
    where
        E: EventType,
        F: Fn(&E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output: IntoHandlerResult> + Send + 'static,
    {
        let name = type_name::<F>();
        self.for_event(name, move |event: &E| registry::pending(handler(event)))
    }

    /// Adds a synchronous closure for every event, unknown ones included.
    #[track_caller]
    pub fn on_any<R: IntoHandlerResult>(
        self,
        handler: impl Fn(&Event) -> R + Send + Sync + 'static,
    ) -> Self {
        let name = type_name_of_val(&handler);
        let call = move |event: &Event| Invocation::Done(handler(event).into_handler_result());
        self.closure(name, EventFilter::All, Arc::new(call))
    }

    /// Adds an asynchronous closure for every event. It takes `&Event`, as
    /// [`on_any`](Self::on_any) does; its future must own what it uses, as with
    /// [`on_async`](Self::on_async).
    ///
    /// ```
    /// use postal_hooks::{Dispatcher, Event};
    ///
    /// # async fn archive(_: Event) {}
    /// let dispatcher = Dispatcher::builder()
    ///     .on_any_async(|event: &Event| {
    ///         let event = event.clone(); // the future owns its copy
    ///         async move { archive(event).await }
    ///     })
    ///     .build()?;
    /// # Ok::<(), postal_hooks::BuildError>(())
    /// ```
    #[track_caller]
    pub fn on_any_async<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(&Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output: IntoHandlerResult> + Send + 'static,
    {
        let name = type_name::<F>();
        let call = move |event: &Event| registry::pending(handler(event));
        self.closure(name, EventFilter::All, Arc::new(call))
    }

    /// Registers `call` for the event `E` only.
    #[track_caller]
    fn for_event<E: EventType>(
        self,
        name: &'static str,
        call: impl Fn(&E) -> Invocation<'static> + Send + Sync + 'static,
    ) -> Self {
        let events = EventFilter::Only(const { &[E::NAME] });
        self.closure(name, events, registry::for_event(call))
    }

    #[track_caller]
    fn closure(mut self, name: &'static str, events: EventFilter, call: Arc<ClosureFn>) -> Self {
        let caller = std::panic::Location::caller();
        self.handlers.closure(name, events, call, caller);
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
        let registry = self.handlers.build()?;
        let store: Option<Arc<dyn IdempotencyStore>> = match self.store {
            StoreChoice::Memory => Some(Arc::new(MemoryStore::new())),
            StoreChoice::Given(store) => Some(store),
            StoreChoice::Off => None,
        };
        Ok(Dispatcher::new(registry, store, self.limits))
    }
}
