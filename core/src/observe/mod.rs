//! Seeing what happened to every request: one log line per request, and metrics.
//!
//! Cross-cutting the data path: once a [`Reply`](crate::Reply) is decided, the receiver
//! reports it here, and every dispatch (inline or in an inbox worker) counts its handler
//! runs. Nothing here changes what Postal is answered.
//!
//! # The log line
//!
//! Every request a [`Receiver`](crate::Receiver) answers (through `receive`,
//! `receive_request`, `receive_blocking` or `refuse`, which every adapter uses) produces
//! one `tracing` event at
//! `INFO`, target `postal_hooks::request`, message `postal webhook`, inside the request's
//! span `postal_hooks.request`:
//!
//! ```text
//! INFO postal_hooks.request: postal_hooks::request: postal webhook event="MessageBounced" uuid="7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73" status=500 duration_ms=0.412 ran=[app::suppress] skipped=[] failed=[app::notify_crm] refusal="-" stored="-" detail=-
//! INFO postal_hooks.request: postal_hooks::request: postal webhook event="-" uuid="-" status=401 duration_ms=0.021 ran=[] skipped=[] failed=[] refusal="unauthorized" stored="-" detail=signature verification failed: signature does not match the body
//! ```
//!
//! | field | what |
//! |---|---|
//! | `event`, `uuid` | the envelope's, or `-` when refused before parsing |
//! | `status` | the HTTP status answered |
//! | `duration_ms` | milliseconds from the call of [`Receiver::receive`](crate::Receiver::receive) to the answer (0 for a refusal an adapter made before reading the body, [`Receiver::refuse`](crate::Receiver::refuse)) |
//! | `ran`, `skipped`, `failed` | handler paths: ran (succeeded), skipped (already done for this uuid), failed (error or panic) |
//! | `refusal` | why nothing ran ([`ReceiveError::reason`](crate::ReceiveError::reason), or `in_progress` / `store_unavailable`), else `-` |
//! | `stored` | with an inbox: `queued` or `already_queued`, else `-` |
//! | `detail` | for a refusal, what was wrong: the error's message, or for a body that is not a Postal webhook only its error kind, field path, line and column; else `-` |
//!
//! The axum `VerifiedWebhook` extractor logs the requests it refuses; those it accepts are
//! answered by the app's own handler, which logs them as it sees fit.
//!
//! **No payload value is ever logged**: a refused body is described by its error kind and
//! field path only (`detail`), never by the value serde quoted.
//!
//! Each handler also runs in a span `postal_hooks.handler` whose `handler` field is its
//! full path (`my_app::bounces::suppress`), and a failure is logged at `WARN` (error) or
//! `ERROR` (panic) inside it.
//!
//! ## Seeing the output
//!
//! The library only emits events; the application decides where they go.
//!
//! - **`tracing` apps**: install a subscriber, for example `tracing-subscriber` with its
//!   `env-filter` feature:
//!
//!   ```ignore
//!   tracing_subscriber::fmt()
//!       .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
//!       .init();
//!   ```
//!
//! - **`log` apps** (`env_logger`, `simple_logger`, …): nothing to do. `postal-hooks`
//!   enables `tracing`'s `log` feature, so while no `tracing` subscriber is installed,
//!   every event is also a `log` record (target `postal_hooks::request` for the line
//!   above), with its fields as `key=value` after the message. Turn it on with
//!   `RUST_LOG=postal_hooks=info` under `env_logger`.
//! - Neither installed: nothing is printed. Each request still builds its span and checks
//!   its events' interest (a few atomic loads; the receive benchmark includes them).
//!
//! # Metrics
//!
//! Recorded through the [`metrics`](https://docs.rs/metrics) facade, so the application
//! chooses the exporter (`metrics-exporter-prometheus`, StatsD, …); without one installed,
//! recording is a no-op. The names are fixed, and dashboards rely on them:
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | [`DELIVERIES_TOTAL`] | counter | `event`, `status` | requests answered, by event (`unknown` when refused before parsing) and HTTP status |
//! | [`HANDLER_RUNS_TOTAL`] | counter | `handler`, `outcome` | handler runs; `outcome` is `ok`, `error`, `panic` or `skipped` |
//! | [`HANDLER_DURATION_SECONDS`] | histogram | `handler` | how long each run took, in seconds (skips are not timed) |
//! | [`REFUSALS_TOTAL`] | counter | `reason` | requests on which no handler ran, by [`ReceiveError::reason`](crate::ReceiveError::reason), or `in_progress` (409) / `store_unavailable` (503) |
//! | [`INBOX_PENDING`] | gauge | | deliveries waiting in the inbox, retries included (feature `inbox`, while workers run) |
//! | [`INBOX_DEAD_LETTERS`] | gauge | | dead-lettered deliveries (feature `inbox`, while workers run) |
//!
//! `handler` is the handler's full path, as in the spans. With an inbox, handler runs are
//! counted when the workers run them, and `postal_hooks_deliveries_total` counts the
//! `200` that acknowledged the stored delivery.
//!
//! ```
//! use postal_hooks::{Dispatcher, Receiver, Verifier, observe};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
//! // In an app: `metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?`,
//! // then serve `handle.render()` at GET /metrics.
//! let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
//! let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
//! receiver.receive_blocking(&[("Content-Type", "application/json")], b"{}");
//! // Counted as postal_hooks_deliveries_total{event="unknown",status="401"}
//! // and postal_hooks_refusals_total{reason="unauthorized"}.
//! assert_eq!(observe::DELIVERIES_TOTAL, "postal_hooks_deliveries_total");
//! # Ok(()) }
//! ```

mod labels;
mod line;
mod record;
mod run_record;

pub(crate) use record::{observe_reply, record_runs};
pub use run_record::{HandlerRecord, RunOutcome};

/// Counter: requests answered, labelled `event` and `status` (the HTTP status).
pub const DELIVERIES_TOTAL: &str = "postal_hooks_deliveries_total";
/// Counter: handler runs, labelled `handler` (full path) and `outcome`
/// (`ok|error|panic|skipped`).
pub const HANDLER_RUNS_TOTAL: &str = "postal_hooks_handler_runs_total";
/// Histogram: handler run time in seconds, labelled `handler`.
pub const HANDLER_DURATION_SECONDS: &str = "postal_hooks_handler_duration_seconds";
/// Counter: requests on which no handler ran, labelled `reason`.
pub const REFUSALS_TOTAL: &str = "postal_hooks_refusals_total";
/// Gauge: deliveries waiting in the inbox (pending and retrying).
pub const INBOX_PENDING: &str = "postal_hooks_inbox_pending";
/// Gauge: dead-lettered deliveries in the inbox.
pub const INBOX_DEAD_LETTERS: &str = "postal_hooks_inbox_dead_letters";

/// The `tracing` target of the per-request line.
pub const REQUEST_TARGET: &str = "postal_hooks::request";
