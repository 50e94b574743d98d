//! What every server example does the same way: the receiver from the environment, the
//! inbox workers when `POSTAL_HOOKS_INBOX` is set, and a graceful stop on SIGTERM.

use super::Crm;

/// A server example's receiver, and the inbox workers when `POSTAL_HOOKS_INBOX` is set.
pub struct App {
    /// Where to listen.
    pub addr: std::net::SocketAddr,
    /// The receiver to serve.
    pub receiver: postal_hooks::Receiver,
    /// What to serve beside the webhook: `GET /metrics`, the inspector (maybe nothing).
    pub extras: axum::Router,
    workers: Option<postal_hooks::inbox::Workers>,
}

/// How long deliveries in flight may still run after SIGTERM before they are given back
/// to the inbox.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl App {
    /// After the server stopped: lets the inbox workers finish or give back what they
    /// hold (within [`SHUTDOWN_GRACE`]).
    pub async fn shutdown(self) {
        if let Some(workers) = self.workers {
            println!("stopping: finishing the deliveries in flight");
            workers.shutdown(SHUTDOWN_GRACE).await;
        }
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

/// The receiver as a deployment configures it, with logs to stdout (`RUST_LOG`), and the
/// metrics (`POSTAL_HOOKS_METRICS=1`) and inspector (`POSTAL_HOOKS_INSPECTOR_TOKEN`) routes
/// in [`App::extras`]: `POSTAL_PUBLIC_KEY` (required),
/// `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1`, `POSTAL_HOOKS_REPLAY_WINDOW`, `POSTAL_HOOKS_REDIS_URL` (idempotency
/// records in Redis, shared by replicas; in memory when unset), and the inbox:
/// `POSTAL_HOOKS_INBOX` (a directory, or `redis`), `POSTAL_HOOKS_RETRY_BACKOFF`,
/// `POSTAL_HOOKS_RETRY_MAX_AGE`, `POSTAL_HOOKS_WORKERS`, `POSTAL_HOOKS_INBOX_LEASE`,
/// `POSTAL_HOOKS_INBOX_PREFIX`.
/// Exits with a message saying what to fix (for a missing key: where to get Postal's)
/// when a setting is wrong or the inbox cannot be opened.
pub async fn receiver_from_env() -> App {
    super::extras::init_logging();
    let metrics = super::extras::metrics_from_env();
    let inspector = super::extras::inspector_from_env();
    let extras = super::extras::router(metrics, inspector.as_ref());
    let mut app = app_from_env().await;
    if let Some(inspector) = &inspector {
        app.receiver = app.receiver.with_inspector(inspector);
    }
    app.extras = extras;
    app
}

/// The receiver and workers from the settings.
async fn app_from_env() -> App {
    let config = postal_hooks::config::Config::from_env().unwrap_or_else(|error| exit(&error));
    let mut builder = postal_hooks::Dispatcher::builder().state(Crm::from_env());
    match &config.redis_url {
        Some(url) => {
            let store = postal_hooks::dedupe::RedisStore::connect(url)
                .await
                .unwrap_or_else(|error| exit(&error));
            println!("idempotency records in Redis at {url}");
            builder = builder.idempotency_store(store);
        }
        None => {
            println!("idempotency records in memory (set POSTAL_HOOKS_REDIS_URL to share them)")
        }
    }
    let dispatcher = builder.build().unwrap_or_else(|error| exit(&error));
    for handler in dispatcher.handlers() {
        println!("registered {handler}");
    }
    let receiver = postal_hooks::Receiver::new(dispatcher.clone(), config.verifier.clone())
        .with_replay_window(config.replay_window);
    let Some(location) = &config.inbox else {
        println!(
            "handlers run inline (set POSTAL_HOOKS_INBOX to answer at once and run them in the background)"
        );
        return App {
            addr: config.addr,
            receiver,
            extras: axum::Router::new(),
            workers: None,
        };
    };
    let mut settings = postal_hooks::inbox::InboxSettings::default()
        .retry_backoff(config.retry_backoff)
        .retry_max_age(config.retry_max_age)
        .workers(config.workers)
        .lease(config.inbox_lease);
    if let Some(prefix) = &config.inbox_prefix {
        settings = settings.key_prefix(prefix);
    }
    let inbox = match (location, &config.redis_url) {
        (postal_hooks::config::InboxLocation::Path(path), _) => {
            postal_hooks::inbox::Inbox::open(path, settings)
        }
        (_, Some(url)) => postal_hooks::inbox::Inbox::connect_redis(url, settings).await,
        (_, None) => exit(&"POSTAL_HOOKS_INBOX=redis needs POSTAL_HOOKS_REDIS_URL"),
    }
    .unwrap_or_else(|error| exit(&error));
    let workers = inbox
        .start(&dispatcher)
        .unwrap_or_else(|error| exit(&error));
    println!("inbox: {inbox:?}, {} worker(s)", workers.len());
    App {
        addr: config.addr,
        receiver: receiver.with_inbox(inbox),
        extras: axum::Router::new(),
        workers: Some(workers),
    }
}

pub fn exit(error: &dyn std::fmt::Display) -> ! {
    eprintln!("error: {error}");
    std::process::exit(2)
}
