//! [`HandlerEntry`]: one handler in the registry, ready to call, whether `#[on_event]`
//! registered it at link time or a closure was given to the builder.

use std::sync::Arc;

use crate::events::Event;
use crate::handler::{CallContext, CallFn, HandlerInfo, Invocation, Registration, StateNeed};

/// A closure handler after type erasure. Closures never borrow the event into their result
/// (an async closure's future is `'static`: it owns what it uses), so the invocation is
/// `'static`.
pub(crate) type ClosureFn = dyn Fn(&Event) -> Invocation<'static> + Send + Sync;

/// A handler ready to call.
pub(crate) struct HandlerEntry {
    pub(crate) info: HandlerInfo,
    /// The handler's name in the idempotency store: its path, or for a closure its place.
    pub(crate) key: String,
    pub(crate) call: Call,
    /// The `State<T>` types it takes, checked at build time.
    pub(crate) needs: Vec<StateNeed>,
}

/// How to call a handler.
pub(crate) enum Call {
    /// The thunk `#[on_event]` generated.
    Static(CallFn),
    /// A closure given to the builder.
    Closure(Arc<ClosureFn>),
}

impl HandlerEntry {
    /// The entry for a handler `#[on_event]` registered.
    pub(crate) fn from_registration(registration: &'static Registration) -> Self {
        let fields = &registration.fields;
        let mut needs: Vec<StateNeed> = Vec::new();
        (fields.needs)(&mut needs);
        let info = HandlerInfo::new(
            fields.name,
            fields.location,
            fields.events,
            fields.kind,
            fields.dedupe,
        );
        HandlerEntry {
            key: info.path(),
            info,
            call: Call::Static(fields.call),
            needs,
        }
    }

    /// Calls the handler: it runs to completion, or gives its future.
    pub(crate) fn invoke<'a>(&self, cx: &'a CallContext<'a>) -> Invocation<'a> {
        match &self.call {
            Call::Static(call) => call(cx),
            Call::Closure(call) => call(cx.event()),
        }
    }
}
