//! [`DeployError`]: a setting that cannot be honoured at startup, named.

use crate::config::{ConfigError, REDIS_URL_VAR};
use crate::dedupe::StoreError;
use crate::registry::BuildError;

/// Why [`Deployment`](super::Deployment) could not build the receiver. Each says what to
/// fix (the setting, or for the inbox its path); print it and exit. A URL in a message has
/// its password hidden.
///
/// ```
/// use postal_hooks::config::{Config, PUBLIC_KEY_VAR, REDIS_URL_VAR};
/// use postal_hooks::{DeployError, Deployment, Dispatcher};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let config = Config::from_lookup(|name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     REDIS_URL_VAR => Some("redis://redis.internal:6379".into()),
///     _ => None,
/// })?;
/// // Redis would replace the builder's choice of no deduplication: refused, not ignored.
/// let handlers = Dispatcher::builder().without_dedupe().allow_no_handlers();
/// let error = block_on(Deployment::from_config(config, handlers)).unwrap_err();
/// assert!(matches!(error, DeployError::StoreAlreadyChosen { .. }));
/// assert!(error.to_string().starts_with("POSTAL_HOOKS_REDIS_URL is set, but the dispatcher builder already chose"));
/// # Ok(()) }
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// A setting is missing or malformed.
    #[error(transparent)]
    Config(ConfigError),
    /// The dispatcher cannot be built: a handler's state is missing, an expected crate was
    /// not linked, or there is no handler.
    #[error(transparent)]
    Build(BuildError),
    /// `POSTAL_HOOKS_REDIS_URL` is set, but Redis does not answer at startup (feature
    /// `redis`).
    #[error(
        "{REDIS_URL_VAR}: cannot reach Redis: {source}; start it, fix the URL, or unset {REDIS_URL_VAR} to keep the idempotency records in memory",
        REDIS_URL_VAR = REDIS_URL_VAR
    )]
    Redis {
        /// The URL given, its password hidden (the message names it once, through
        /// `source`).
        url: String,
        /// Why it cannot be reached.
        #[source]
        source: StoreError,
    },
    /// `POSTAL_HOOKS_REDIS_URL` is set, but the dispatcher builder already chose its
    /// idempotency store, which Redis would replace.
    #[error(
        "{REDIS_URL_VAR} is set, but the dispatcher builder already chose its idempotency store: {chosen}. Unset {REDIS_URL_VAR}, or leave the store to it",
        REDIS_URL_VAR = REDIS_URL_VAR
    )]
    StoreAlreadyChosen {
        /// What the builder chose.
        chosen: &'static str,
    },
    /// `POSTAL_HOOKS_REDIS_URL` is set, but `POSTAL_HOOKS_INBOX` is a directory: the
    /// embedded inbox keeps the idempotency records in its own file, so Redis would not
    /// be used.
    #[error(
        "{REDIS_URL_VAR} is set, but POSTAL_HOOKS_INBOX={inbox} is the embedded inbox, which keeps the idempotency records in its own file: Redis would not be used. Set POSTAL_HOOKS_INBOX=redis to keep the inbox in Redis (shared by replicas), or unset {REDIS_URL_VAR}",
        REDIS_URL_VAR = REDIS_URL_VAR
    )]
    RedisUnused {
        /// The inbox directory.
        inbox: String,
    },
    /// The inbox (`POSTAL_HOOKS_INBOX`) cannot be opened or started (feature `inbox`).
    #[cfg(feature = "inbox")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
    #[error(transparent)]
    Inbox(crate::inbox::InboxError),
    /// A setting is set whose cargo feature this build of postal-hooks lacks.
    #[error(
        "{setting} is set, but postal-hooks was built without its `{feature}` feature: add it to the postal-hooks dependency (features = [\"{feature}\"]), or unset {setting}"
    )]
    FeatureMissing {
        /// The setting.
        setting: &'static str,
        /// The cargo feature it needs.
        feature: &'static str,
    },
}

crate::error_report::debug_as_report!(DeployError);
