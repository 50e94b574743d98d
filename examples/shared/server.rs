//! What every server example does the same way: the receiver from the environment, the
//! inbox workers when `POSTAL_HOOKS_INBOX` is set, and a graceful stop on SIGTERM.

use super::Crm;

/// A server example's receiver, and the inbox workers when `POSTAL_HOOKS_INBOX` is set.
pub struct App {
    /// Where to listen.
    pub addr: std::net::SocketAddr,
    /// The receiver to serve (the deployment's, with the inspector when there is one).
    pub receiver: postal_hooks::Receiver,
    /// What to serve beside the webhook: `GET /metrics`, the inspector (maybe nothing).
    pub extras: axum::Router,
    deployment: postal_hooks::Deployment,
}

/// How long deliveries in flight may still run after SIGTERM before they are given back
/// to the inbox.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl App {
    /// After the server stopped: lets the inbox workers finish or give back what they
    /// hold (within [`SHUTDOWN_GRACE`]).
    pub async fn shutdown(self) {
        if self.receiver.inbox().is_some() {
            println!("stopping: finishing the deliveries in flight");
        }
        self.deployment.shutdown(SHUTDOWN_GRACE).await;
        println!("stopped");
    }
}

/// SIGTERM or Ctrl-C.
#[allow(dead_code)] // actix handles its own signals
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => exit(&error),
            };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The receiver as a deployment configures it, from one public call
/// ([`postal_hooks::Deployment::from_env`]), which honours every `POSTAL_*` setting:
/// `POSTAL_PUBLIC_KEY` (required), `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1`,
/// `POSTAL_HOOKS_REPLAY_WINDOW`, `POSTAL_HOOKS_MAX_BODY_BYTES`, `POSTAL_HOOKS_REDIS_URL`
/// (idempotency records in Redis, shared by replicas; in memory when unset), and the
/// inbox: `POSTAL_HOOKS_INBOX` (a directory, or `redis`), `POSTAL_HOOKS_RETRY_BACKOFF`,
/// `POSTAL_HOOKS_RETRY_MAX_AGE`, `POSTAL_HOOKS_WORKERS`, `POSTAL_HOOKS_INBOX_LEASE`,
/// `POSTAL_HOOKS_INBOX_PREFIX`. Beside it, the examples' own: logs to stdout (`RUST_LOG`),
/// and the metrics (`POSTAL_HOOKS_METRICS=1`) and inspector
/// (`POSTAL_HOOKS_INSPECTOR_TOKEN`) routes in [`App::extras`].
/// Exits with a message saying what to fix (for a missing key: where to get Postal's)
/// when a setting is wrong or cannot be honoured.
pub async fn receiver_from_env() -> App {
    super::extras::init_logging();
    let metrics = super::extras::metrics_from_env();
    let inspector = super::extras::inspector_from_env();
    let extras = super::extras::router(metrics, inspector.as_ref());
    let handlers = postal_hooks::Dispatcher::builder().state(Crm::from_env());
    let deployment = postal_hooks::Deployment::from_env(handlers)
        .await
        .unwrap_or_else(|error| exit(&error));
    println!("{deployment}");
    let mut receiver = deployment.receiver().clone();
    if let Some(inspector) = &inspector {
        receiver = receiver.with_inspector(inspector);
    }
    App {
        addr: deployment.addr(),
        receiver,
        extras,
        deployment,
    }
}

pub fn exit(error: &dyn std::fmt::Display) -> ! {
    eprintln!("error: {error}");
    std::process::exit(2)
}
