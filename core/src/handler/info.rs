//! [`HandlerInfo`]: a registered handler as the dispatcher lists it and reports name it,
//! with its [`EventFilter`], [`Location`] and [`HandlerKind`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, PoisonError, RwLock};

/// The events a handler receives.
///
/// ```
/// use postal_hooks::EventFilter;
///
/// let delivery = EventFilter::Only(&["MessageSent", "MessageHeld"]);
/// assert!(delivery.matches("MessageHeld"));
/// assert!(!delivery.matches("MessageBounced"));
/// assert_eq!(delivery.to_string(), "MessageSent, MessageHeld");
/// assert!(EventFilter::All.matches("SomeFutureEvent"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFilter {
    /// These events, by Postal name.
    Only(&'static [&'static str]),
    /// Every event, unknown ones included (`#[on_event(*)]`).
    All,
}

impl EventFilter {
    /// Whether the handler receives the event `name`.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            EventFilter::Only(names) => names.contains(&name),
            EventFilter::All => true,
        }
    }
}

impl fmt::Display for EventFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventFilter::Only(names) => f.write_str(&names.join(", ")),
            EventFilter::All => f.write_str("*"),
        }
    }
}

/// Where a handler was declared. Its `Display` is `file:line`.
///
/// ```
/// # use postal_hooks::{Dispatcher, events::MessageSent};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|_: &MessageSent| {})
///     .build()?;
/// for handler in dispatcher.handlers() {
///     let location = handler.location();
///     assert!(location.line > 0);
///     assert_eq!(location.to_string(), format!("{}:{}", location.file, location.line));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// `module_path!()` of an `#[on_event]` fn; empty for a closure, whose
    /// [`name`](HandlerInfo::name) already holds its full type path.
    pub module_path: &'static str,
    /// `file!()` of the fn, or of the code that registered the closure.
    pub file: &'static str,
    /// `line!()`, likewise.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// How a handler was registered.
///
/// ```
/// # use postal_hooks::{Dispatcher, HandlerKind, events::MessageSent};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on_async(|_: &MessageSent| async {})
///     .build()?;
/// assert!(dispatcher.handlers().all(|h| h.kind() == HandlerKind::Closure));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandlerKind {
    /// `#[on_event]` on a `fn`.
    Sync,
    /// `#[on_event]` on an `async fn`.
    Async,
    /// A closure given to the builder (`.on(..)`, `.on_async(..)`, …).
    Closure,
}

/// A registered handler as [`Dispatcher::handlers`](crate::Dispatcher::handlers) lists it.
///
/// Its `Display` is `src/bounces.rs:12 my_app::bounces::suppress [MessageBounced]`.
///
/// ```rust,standalone_crate
/// use postal_hooks::{on_event, Dispatcher, EventFilter, HandlerKind, events::MessageBounced};
///
/// #[on_event(MessageBounced)]
/// fn suppress(_bounce: &MessageBounced) {}
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dispatcher = Dispatcher::builder().build()?;
/// let handler = dispatcher.handlers().find(|h| h.name() == "suppress").unwrap();
/// assert!(handler.path().ends_with("::suppress"));
/// assert_eq!(handler.kind(), HandlerKind::Sync);
/// assert_eq!(handler.events(), EventFilter::Only(&["MessageBounced"]));
/// assert!(handler.is_deduplicated() && !handler.is_catch_all());
/// println!("linked: {handler}"); // src/lib.rs:5 my_app::suppress [MessageBounced]
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerInfo {
    pub(crate) name: &'static str,
    /// `module::fn_name`, made once when the handler is collected (see [`Self::new`]).
    path: &'static str,
    pub(crate) location: Location,
    pub(crate) events: EventFilter,
    pub(crate) kind: HandlerKind,
    pub(crate) dedupe: bool,
}

impl HandlerInfo {
    /// A handler's description; its path is made here, once.
    pub(crate) fn new(
        name: &'static str,
        location: Location,
        events: EventFilter,
        kind: HandlerKind,
        dedupe: bool,
    ) -> Self {
        HandlerInfo {
            name,
            path: intern_path(location.module_path, name),
            location,
            events,
            kind,
            dedupe,
        }
    }

    /// The fn name (`suppress`); for a closure, its type name
    /// (`my_app::main::{{closure}}`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `module::path::fn_name` (for a closure, its type name).
    pub fn path(&self) -> String {
        self.static_path().to_owned()
    }

    /// [`path`](Self::path) as a `'static` string, for span fields and metric labels at no
    /// cost per request.
    pub(crate) fn static_path(&self) -> &'static str {
        self.path
    }

    /// Where it was declared (or, for closures, registered).
    pub fn location(&self) -> Location {
        self.location
    }

    /// The events it receives.
    pub fn events(&self) -> EventFilter {
        self.events
    }

    /// How it was registered.
    pub fn kind(&self) -> HandlerKind {
        self.kind
    }

    /// Whether it runs at most once per uuid when the dispatcher deduplicates (the default;
    /// `#[on_event(.., dedupe = false)]` or
    /// [`dedupe_exempt`](crate::DispatcherBuilder::dedupe_exempt) turn it off).
    pub fn is_deduplicated(&self) -> bool {
        self.dedupe
    }

    /// Whether it receives every event (`#[on_event(*)]`, `.on_any(..)`).
    pub fn is_catch_all(&self) -> bool {
        self.events == EventFilter::All
    }
}

/// `module::name` as a `'static` string: made and kept on its first use (one per distinct
/// handler, a number fixed by the program's code), then looked up, so that collecting the
/// handlers again (each `build()`) leaks nothing more.
fn intern_path(module: &'static str, name: &'static str) -> &'static str {
    type Paths = RwLock<HashMap<(&'static str, &'static str), &'static str>>;
    static PATHS: OnceLock<Paths> = OnceLock::new();
    if module.is_empty() {
        return name;
    }
    let key = (module, name);
    let paths = PATHS.get_or_init(Paths::default);
    if let Some(path) = paths
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return path;
    }
    let mut paths = paths.write().unwrap_or_else(PoisonError::into_inner);
    paths
        .entry(key)
        .or_insert_with(|| Box::leak(format!("{module}::{name}").into_boxed_str()))
}

impl fmt::Display for HandlerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} [{}]", self.location, self.path, self.events)
    }
}
