//! [`RedisStore`] (feature `redis`): records shared by every replica behind a load balancer.

use std::time::Duration;

use deadpool_redis::{Manager, Pool, Runtime};
use redis::{AsyncConnectionConfig, Script};

use super::claim::{Claim, ClaimToken};
use super::error::StoreError;
use super::{DEFAULT_RETENTION, IdempotencyStore};
use crate::handler::BoxFuture;

/// Claims atomically: take the lease if free (`SET NX PX`) and read the done set, in one
/// step. KEYS: lease, done. ARGV: token, lease in ms.
const CLAIM: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('SMEMBERS', KEYS[2])}
end
return {0, {}}
";

/// Releases only our own claim. KEYS: lease. ARGV: token.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Extends the lease if the token still holds it: 1, or 0 when the claim was lost.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// How long connecting to Redis, waiting for a pooled connection, or one command may take
/// before the delivery is refused with 503. (redis-rs's own default response timeout,
/// 500 ms, is short enough to trip on a busy host; Postal waits 5 s for the exchange.)
const TIMEOUT: Duration = Duration::from_secs(2);

/// Connections in the pool, each multiplexing concurrent commands.
const POOL_SIZE: usize = 16;

/// Records in Redis, for several replicas of a receiver: atomic claims (`SET NX PX` in a
/// Lua script), done-sets that expire on their own (`PEXPIRE`), a connection pool, and
/// a 503 (so Postal retries) whenever Redis cannot be reached.
///
/// ```no_run
/// use postal_hooks::{Dispatcher, dedupe::RedisStore};
///
/// # async fn setup() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let dispatcher = Dispatcher::builder().idempotency_store(store).build()?;
/// # Ok(()) }
/// ```
pub struct RedisStore {
    pool: Pool,
    prefix: String,
    retention: Duration,
    claim: Script,
    release: Script,
    renew: Script,
}

impl RedisStore {
    /// A store for the Redis at `url` (`redis://host:port/db`), with a pool of up to 16
    /// connections. Connects lazily; see [`connect`](Self::connect) to check at startup.
    ///
    /// # Errors
    ///
    /// When the URL is invalid.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let context = format!("invalid Redis URL {url:?}");
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        let manager = Manager::new_with_config(url, connection)
            .map_err(|error| StoreError::with_source(context.clone(), error))?;
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(TIMEOUT))
            .create_timeout(Some(TIMEOUT))
            .recycle_timeout(Some(TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| StoreError::with_source(context, error))?;
        Ok(RedisStore {
            pool,
            prefix: "postal-hooks".to_owned(),
            retention: DEFAULT_RETENTION,
            claim: Script::new(CLAIM),
            release: Script::new(RELEASE),
            renew: Script::new(RENEW),
        })
    }

    /// [`new`](Self::new), then a `PING`, so a wrong URL or a down server is a startup error.
    ///
    /// # Errors
    ///
    /// When the URL is invalid or Redis does not answer.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = Self::new(url)?;
        let mut connection = store.connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(|error| StoreError::with_source(format!("Redis at {url}"), error))?;
        Ok(store)
    }

    /// Prefixes every key (default `postal-hooks`), to share a Redis between receivers.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Keeps done records this long (default 1 hour, past Postal's retries).
    #[must_use]
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    async fn connection(&self) -> Result<deadpool_redis::Connection, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|error| StoreError::with_source("Redis connection", error))
    }

    /// Extends `token`'s claim on `uuid` to `lease` from now; `false` if it lost the claim.
    async fn renew(
        &self,
        uuid: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let mut connection = self.connection().await?;
        self.renew
            .key(self.key(uuid, "lease"))
            .arg(token.as_str())
            .arg(millis(lease))
            .invoke_async::<i64>(&mut connection)
            .await
            .map(|renewed| renewed == 1)
            .map_err(redis_error("renew"))
    }

    /// `{prefix}:{<uuid>}:<kind>`: the braces keep both keys of a uuid in one cluster slot.
    fn key(&self, uuid: &str, kind: &str) -> String {
        format!("{}:{{{uuid}}}:{kind}", self.prefix)
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("retention", &self.retention)
            .finish()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn redis_error(operation: &str) -> impl FnOnce(redis::RedisError) -> StoreError + '_ {
    move |error| StoreError::with_source(format!("Redis {operation}"), error)
}

impl IdempotencyStore for RedisStore {
    fn claim<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let token = ClaimToken::random();
            let claimed: Result<(i64, Vec<String>), _> = self
                .claim
                .key(self.key(uuid, "lease"))
                .key(self.key(uuid, "done"))
                .arg(token.as_str())
                .arg(millis(lease))
                .invoke_async(&mut connection)
                .await;
            match claimed {
                Ok((1, done)) => Ok(Claim::Acquired { token, done }),
                Ok(_) => Ok(Claim::InProgress),
                Err(error) => {
                    // Redis may have taken the claim before its reply was lost: give it
                    // back (the token is ours), or the uuid stays blocked for the lease.
                    drop(connection);
                    let _ = self.release(uuid, &token).await;
                    Err(redis_error("claim")(error))
                }
            }
        })
    }

    fn mark_done<'a>(
        &'a self,
        uuid: &'a str,
        handler: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let done = self.key(uuid, "done");
            redis::pipe()
                .atomic()
                .sadd(&done, handler)
                .ignore()
                .pexpire(
                    &done,
                    i64::try_from(millis(self.retention)).unwrap_or(i64::MAX),
                )
                .ignore()
                .query_async::<()>(&mut connection)
                .await
                .map_err(redis_error("mark done"))
        })
    }

    fn release<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            self.release
                .key(self.key(uuid, "lease"))
                .arg(token.as_str())
                .invoke_async::<i64>(&mut connection)
                .await
                .map(|_| ())
                .map_err(redis_error("release"))
        })
    }

    /// Renews the lease every third of its length while the handlers run. A renewal that
    /// fails (Redis unreachable) is retried at the next tick; a claim found lost (it ran
    /// out while Redis was unreachable) is logged and no longer renewed.
    fn keep_alive<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> Option<BoxFuture<'a, ()>> {
        let period = (lease / 3).max(Duration::from_millis(10));
        Some(Box::pin(async move {
            loop {
                tokio::time::sleep(period).await;
                match self.renew(uuid, token, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(
                            "the claim on this uuid ran out while its handlers still run; a retry may run them again"
                        );
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "could not renew the claim; trying again");
                    }
                }
            }
        }))
    }
}
