//! [`Deployment`]: the whole receiver built from the settings a deployment gives ([`Config`]),
//! every one of them honoured: the key, the replay window and the body limit on the
//! [`Receiver`]; the idempotency store in Redis when `POSTAL_HOOKS_REDIS_URL` is set
//! (reached at startup); the inbox and its workers when `POSTAL_HOOKS_INBOX` is set.
//!
//! A setting that cannot be honoured stops startup with a [`DeployError`] that names it:
//! an unreachable Redis, an inbox path that cannot be used, or a setting whose cargo feature
//! this build lacks.

mod error;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

pub use error::DeployError;

use crate::config::{Config, INBOX_VAR, REDIS_URL_VAR};
use crate::dedupe::{DEFAULT_RETENTION, MemoryStore};
use crate::dispatch::{Dispatcher, DispatcherBuilder};
use crate::receiver::Receiver;
use crate::redact_url::redact_url;

/// A receiver built from the environment, with its inbox workers when there is an inbox.
///
/// One call reads every `POSTAL_*` setting ([`Config`]) and builds what they say: serve
/// [`receiver`](Self::receiver) on [`addr`](Self::addr), and call
/// [`shutdown`](Self::shutdown) after the server stopped.
///
/// | setting | what it builds |
/// |---|---|
/// | `POSTAL_PUBLIC_KEY`, `POSTAL_ALLOW_SHA1` | the receiver's [`Verifier`](crate::Verifier) |
/// | `POSTAL_HOOKS_ADDR` | [`addr`](Self::addr) |
/// | `POSTAL_HOOKS_REPLAY_WINDOW` | [`Receiver::with_replay_window`] |
/// | `POSTAL_HOOKS_MAX_BODY_BYTES` | [`Receiver::with_max_body_bytes`] |
/// | `POSTAL_HOOKS_REDIS_URL` | a [`RedisStore`](crate::dedupe::RedisStore) as the idempotency store, reached at startup (feature `redis`) |
/// | `POSTAL_HOOKS_INBOX` and its settings | the [`Inbox`](crate::inbox::Inbox), [`Receiver::with_inbox`], and its workers, started (feature `inbox`) |
///
/// The stores it builds keep the idempotency records at least as long as the replay
/// window (a store the builder chose itself keeps its own retention). With an inbox, the
/// inbox keeps them (its workers replace the dispatcher's store), so an embedded inbox
/// together with `POSTAL_HOOKS_REDIS_URL` is refused: Redis would be left unused.
///
/// The settings are read, and a JWKS URL in `POSTAL_PUBLIC_KEY` fetched (blocking, at
/// most 10 s), before anything is served: call it at startup.
///
/// ```
/// use postal_hooks::config::{Config, PUBLIC_KEY_VAR};
/// use postal_hooks::{Deployment, Dispatcher, events::MessageBounced};
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> { block_on(async {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let config = Config::from_lookup(|name| (name == PUBLIC_KEY_VAR).then(|| key.to_owned()))?;
/// let handlers = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|bounce: &MessageBounced| println!("suppress {:?}", bounce.original_message.to));
/// // In a service: `Deployment::from_env(handlers).await?`.
/// let deployment = Deployment::from_config(config, handlers).await?;
/// println!("{deployment}"); // what was built, one line each
/// let receiver = deployment.receiver().clone(); // serve it on deployment.addr()
/// # let _ = receiver;
/// deployment.shutdown(Duration::from_secs(10)).await; // after the server stopped
/// # Ok(()) }) }
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
#[must_use = "serve `receiver()` on `addr()`, then call `shutdown`"]
pub struct Deployment {
    addr: SocketAddr,
    receiver: Receiver,
    store: String,
    #[cfg(feature = "inbox")]
    workers: Option<crate::inbox::Workers>,
}

impl Deployment {
    /// Reads the process environment ([`Config::from_env`]) and builds the receiver, with
    /// `handlers` (your [`Dispatcher::builder`], with its state) as its dispatcher.
    ///
    /// # Errors
    ///
    /// A [`DeployError`] naming the setting that cannot be honoured, or the dispatcher's
    /// [`BuildError`](crate::BuildError).
    pub async fn from_env(handlers: DispatcherBuilder) -> Result<Deployment, DeployError> {
        let config = Config::from_env().map_err(DeployError::Config)?;
        Self::from_config(config, handlers).await
    }

    /// [`from_env`](Self::from_env) with settings read elsewhere
    /// ([`Config::from_lookup`]).
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub async fn from_config(
        config: Config,
        handlers: DispatcherBuilder,
    ) -> Result<Deployment, DeployError> {
        // Every uuid remembered at least as long as a replay of it is inside the window.
        let retention = config
            .replay_window
            .map_or(DEFAULT_RETENTION, |window| window.max(DEFAULT_RETENTION));
        let (handlers, store) = match &config.inbox {
            // The inbox keeps the records itself (in the delivery's row, or in its Redis):
            // its workers replace the dispatcher's store.
            Some(location) => (handlers, inbox_records(&config, location)?),
            None => idempotency_store(&config, handlers, retention).await?,
        };
        let dispatcher = handlers.build().map_err(DeployError::Build)?;
        let receiver = Receiver::new(dispatcher.clone(), config.verifier.clone())
            .with_replay_window(config.replay_window)
            .with_max_body_bytes(config.max_body_bytes);
        let deployment = Deployment {
            addr: config.addr,
            receiver,
            store,
            #[cfg(feature = "inbox")]
            workers: None,
        };
        with_inbox(deployment, &config, &dispatcher, retention).await
    }

    /// Where to listen (`POSTAL_HOOKS_ADDR`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The receiver to serve.
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// The inbox's workers, when there is an inbox (feature `inbox`).
    #[cfg(feature = "inbox")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
    pub fn workers(&self) -> Option<&crate::inbox::Workers> {
        self.workers.as_ref()
    }

    /// After the server stopped: the inbox's workers finish the deliveries they hold,
    /// within `grace`, and give back the rest (see
    /// [`Workers::shutdown`](crate::inbox::Workers::shutdown)). Without an inbox there is
    /// nothing to wait for.
    pub async fn shutdown(self, grace: Duration) {
        #[cfg(feature = "inbox")]
        if let Some(workers) = self.workers {
            workers.shutdown(grace).await;
        }
        #[cfg(not(feature = "inbox"))]
        let _ = grace;
    }
}

/// Where the inbox keeps the idempotency records, as a line; an error when
/// `POSTAL_HOOKS_REDIS_URL` is set but the embedded inbox would leave it unused.
fn inbox_records(
    config: &Config,
    location: &crate::config::InboxLocation,
) -> Result<String, DeployError> {
    use crate::config::InboxLocation;
    use crate::shared_error::prefixed;
    match (location, &config.redis_url) {
        (InboxLocation::Path(path), Some(_)) => Err(DeployError::RedisUnused {
            inbox: path.display().to_string(),
        }),
        (InboxLocation::Path(_), None) => Ok("idempotency records in the inbox's file".to_owned()),
        (_, url) => Ok(format!(
            "idempotency records in the inbox's Redis{}",
            prefixed(" at ", url.as_deref().map(redact_url))
        )),
    }
}

/// The builder with the idempotency store the settings ask for, and a line saying which.
async fn idempotency_store(
    config: &Config,
    handlers: DispatcherBuilder,
    retention: Duration,
) -> Result<(DispatcherBuilder, String), DeployError> {
    match (&config.redis_url, handlers.chosen_store()) {
        (None, None) => Ok((
            handlers.idempotency_store(MemoryStore::new().with_retention(retention)),
            format!(
                "idempotency records in memory for {} (set {REDIS_URL_VAR} to share them)",
                humantime::format_duration(retention)
            ),
        )),
        (None, Some(chosen)) => Ok((handlers, format!("idempotency records: {chosen}"))),
        (Some(_), Some(chosen)) => Err(DeployError::StoreAlreadyChosen { chosen }),
        #[cfg(feature = "redis")]
        (Some(url), None) => {
            let store = crate::dedupe::RedisStore::connect(url)
                .await
                .map_err(|source| DeployError::Redis {
                    url: redact_url(url),
                    source,
                })?
                .with_retention(retention);
            Ok((
                handlers.idempotency_store(store),
                format!(
                    "idempotency records in Redis at {} for {}",
                    redact_url(url),
                    humantime::format_duration(retention)
                ),
            ))
        }
        #[cfg(not(feature = "redis"))]
        (Some(_), None) => Err(DeployError::FeatureMissing {
            setting: REDIS_URL_VAR,
            feature: "redis",
        }),
    }
}

/// The deployment with the inbox the settings ask for, and its workers started.
#[cfg(feature = "inbox")]
async fn with_inbox(
    mut deployment: Deployment,
    config: &Config,
    dispatcher: &Dispatcher,
    retention: Duration,
) -> Result<Deployment, DeployError> {
    use crate::config::InboxLocation;
    use crate::inbox::{Inbox, InboxSettings};

    let Some(location) = &config.inbox else {
        return Ok(deployment);
    };
    let mut settings = InboxSettings::default()
        .retry_backoff(config.retry_backoff)
        .retry_max_age(config.retry_max_age)
        .workers(config.workers)
        .lease(config.inbox_lease)
        .done_retention(retention);
    if let Some(prefix) = &config.inbox_prefix {
        settings = settings.key_prefix(prefix);
    }
    let inbox = match (location, &config.redis_url) {
        (InboxLocation::Path(path), _) => Inbox::open(path, settings),
        #[cfg(feature = "redis")]
        (InboxLocation::Redis, Some(url)) => Inbox::connect_redis(url, settings).await,
        #[cfg(not(feature = "redis"))]
        (InboxLocation::Redis, Some(_)) => {
            return Err(DeployError::FeatureMissing {
                setting: INBOX_VAR,
                feature: "redis",
            });
        }
        // `Config` refuses `redis` without a URL; kept for a `Config` built by hand.
        (InboxLocation::Redis, None) => {
            return Err(DeployError::Config(
                crate::config::ConfigError::InboxWithoutRedis,
            ));
        }
    }
    .map_err(DeployError::Inbox)?;
    let workers = inbox.start(dispatcher).map_err(DeployError::Inbox)?;
    deployment.receiver = deployment.receiver.with_inbox(inbox);
    deployment.workers = Some(workers);
    Ok(deployment)
}

#[cfg(not(feature = "inbox"))]
async fn with_inbox(
    deployment: Deployment,
    config: &Config,
    _: &Dispatcher,
    _: Duration,
) -> Result<Deployment, DeployError> {
    match config.inbox {
        None => Ok(deployment),
        Some(_) => Err(DeployError::FeatureMissing {
            setting: INBOX_VAR,
            feature: "inbox",
        }),
    }
}

/// What was built, one line each: the address, the key(s), the replay window, the body
/// limit, the idempotency store, the inbox and its workers, the handlers.
impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let receiver = &self.receiver;
        writeln!(f, "listen address {}", self.addr)?;
        let verifier = receiver.verifier();
        for key in verifier.keys().iter() {
            writeln!(
                f,
                "Postal key {} ({} bits, checked with {})",
                key.kid(),
                key.bits(),
                crate::crypto::BACKEND
            )?;
        }
        if let (Some(url), Some(every)) = (verifier.jwks_url(), verifier.jwks_min_refresh()) {
            writeln!(
                f,
                "keys from {url}, fetched again on an unknown KID at most every {}",
                humantime::format_duration(every)
            )?;
        }
        match receiver.replay_window() {
            Some(window) => writeln!(f, "replay window {}", humantime::format_duration(window))?,
            None => writeln!(f, "replay window off")?,
        }
        writeln!(f, "body limit {} bytes", receiver.max_body_bytes())?;
        writeln!(f, "{}", self.store)?;
        #[cfg(feature = "inbox")]
        if let (Some(inbox), Some(workers)) = (receiver.inbox(), &self.workers) {
            writeln!(f, "inbox {inbox:?}, {} worker(s)", workers.len())?;
        } else {
            writeln!(
                f,
                "handlers run inline (set {INBOX_VAR} to answer at once and run them in the background)"
            )?;
        }
        #[cfg(not(feature = "inbox"))]
        writeln!(f, "handlers run inline")?;
        let mut first = true;
        for handler in receiver.dispatcher().handlers() {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "registered {handler}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deployment")
            .field("addr", &self.addr)
            .field("receiver", &self.receiver)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
