//! [`RedisStore`] (feature `redis`): records shared by every replica behind a load balancer.

mod pipeline;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    Client, Cmd, ErrorKind, FromRedisValue, RedisError, RedisResult, RedisWrite, Script,
    ServerErrorKind,
};

use pipeline::Pipeline;

use super::claim::{Claim, ClaimToken};
use super::error::StoreError;
use super::{DEFAULT_RETENTION, IdempotencyStore};
use crate::handler::BoxFuture;

/// Claims atomically, in one round trip: answers `{2}` and takes nothing when every
/// handler asked about (ARGV 3..) is already done; else takes the lease if it is free
/// (`SET NX PX`) and answers `{1, done}`, or `{0}` when another delivery holds it.
/// KEYS: lease, done. ARGV: token, lease in ms, handler keys. (`SMEMBERS`, whose order
/// is not deterministic, comes after the write: Redis before 5 refuses the other order.)
const CLAIM: &str = r"
if #ARGV > 2 then
  local all = true
  for i = 3, #ARGV do
    if redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then all = false break end
  end
  if all then return {2, {}} end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('SMEMBERS', KEYS[2])}
end
return {0, {}}
";

/// Records handlers as done (ARGV 3..) and keeps the done set for the retention; then,
/// when ARGV[1] is a token that still holds the lease, releases it. One round trip for
/// the end of a delivery, or for a record alone (ARGV[1] empty).
/// KEYS: lease, done. ARGV: token or '', retention in ms, handler keys.
const RECORD_AND_RELEASE: &str = r"
if #ARGV > 2 then
  redis.call('SADD', KEYS[2], unpack(ARGV, 3))
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 1
";

/// Extends the lease if the token still holds it: 1, or 0 when the claim was lost.
/// KEYS: lease (and done, unused). ARGV: token, lease in ms.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// How long one attempt to connect to Redis, or one command, may take. (redis-rs's own
/// default response timeout, 500 ms, is short enough to trip on a busy host.) A delivery
/// waits at most its store deadline in all, 3 s by default, then is answered 503;
/// [`RedisStore::connect`] may take up to [`CONNECT_ATTEMPTS`] attempts, with backoff.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Attempts to connect before a call fails: the first, then 3 retries with backoff (up to
/// 1 s apart), so a Redis that is back after an outage is used again within about a
/// second, and one that is down fails a call in a few seconds (a delivery: at its store
/// deadline).
const CONNECT_ATTEMPTS: usize = 4;

/// Records in Redis, for several replicas of a receiver: atomic claims (`SET NX PX` in a
/// Lua script), done-sets that expire on their own (`PEXPIRE`), and a 503 (so Postal
/// retries) whenever Redis cannot be reached.
///
/// **Round trips** (each one Lua script, `EVALSHA`; `tests/redis_round_trips.rs` counts
/// them with `MONITOR`):
/// - a fresh delivery: two, the claim, which also reads what is already done, then one
///   script that records the successes and releases the claim;
/// - a retry of a fully handled uuid: one, the claim script finds every handler done and
///   takes no claim;
/// - a handler that awaits I/O (a CRM call) after handlers that succeeded: one more, which
///   records those while it waits, so that a crash during the wait does not forget them;
/// - the lease keep-alive: one every third of the lease, for a delivery that runs longer.
///
/// **Connection.** One multiplexed connection per store (redis-rs's `ConnectionManager`):
/// nothing is checked on checkout, and a dropped connection is re-established in the
/// background with backoff. The scripts of concurrent deliveries are pipelined on it
/// (only a `SCRIPT LOAD` is sent alone): a
/// task of the store's gathers those queued at once (it yields once, so the deliveries
/// ready to run add theirs) and sends them in one write, so that on a busy receiver Redis
/// takes several deliveries' requests per read (about 5 under the load harness, against
/// 1.3 sent one by one). Each stays its own request, answered in order; a server error
/// such as `NOSCRIPT` answers its own request alone. It needs a tokio runtime with timers,
/// and its I/O runs on the runtime that made it (the first call; made anew on the
/// runtime of a later call if that one has shut down): on actix-web, whose workers each
/// have a runtime of their own, call [`connect`](Self::connect) from the main one.
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
    client: Client,
    /// Made on first use, inside the tokio runtime it needs; made anew after an error
    /// redis-rs does not recover from by itself (see [`RedisStore::failed`]), and once
    /// the runtime that made it has shut down.
    connection: Mutex<Option<Connection>>,
    prefix: String,
    retention: Duration,
    claim: Script,
    record_and_release: Script,
    renew: Script,
}

impl RedisStore {
    /// A store for the Redis at `url` (`redis://host:port/db`). Connects lazily, on the
    /// first delivery; see [`connect`](Self::connect) to check at startup. Needs a tokio
    /// runtime when used.
    ///
    /// # Errors
    ///
    /// When the URL is invalid.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = Client::open(url).map_err(|error| {
            StoreError::with_source(
                format!("invalid Redis URL {:?}", crate::redact_url::redact_url(url)),
                error,
            )
        })?;
        Ok(RedisStore {
            client,
            connection: Mutex::new(None),
            prefix: "postal-hooks".to_owned(),
            retention: DEFAULT_RETENTION,
            claim: Script::new(CLAIM),
            record_and_release: Script::new(RECORD_AND_RELEASE),
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
        let mut connection = store.connection()?.manager;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(|error| {
                StoreError::with_source(
                    format!("Redis at {}", crate::redact_url::redact_url(url)),
                    error,
                )
            })?;
        Ok(store)
    }

    /// Prefixes every key (default `postal-hooks`), to share a Redis between receivers.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Keeps done records this long (default 12 hours: [`DEFAULT_RETENTION`], the
    /// receiver's replay window).
    #[must_use]
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The shared connection (a handle: cloning it is cheap), made on first use.
    ///
    /// # Errors
    ///
    /// Off a tokio runtime (`RedisStore` needs one, with timers: it is not for
    /// `dispatch_blocking`), or when redis-rs refuses the configuration.
    fn connection(&self) -> Result<Connection, StoreError> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A pipeline whose task has ended (the runtime that made it was shut down) is
        // made anew, with its connection, on the runtime of this call.
        if let Some(connection) = slot.as_ref().filter(|made| !made.pipeline.is_closed()) {
            return Ok(connection.clone());
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::new(
                "RedisStore needs a tokio runtime with timers (it cannot serve dispatch_blocking)",
            ));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(CONNECT_ATTEMPTS - 1)
            .set_max_delay(Duration::from_secs(1));
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|error| StoreError::with_source("Redis connection", error))?;
        let made = Connection {
            pipeline: Pipeline::spawn(manager.clone()),
            manager,
        };
        *slot = Some(made.clone());
        Ok(made)
    }

    /// The error for a failed `operation`. redis-rs reconnects by itself after an I/O
    /// error, but keeps answering a refused authentication (a password changed, a Redis
    /// restarted with one) from its broken connection: that connection is dropped, so the
    /// next call connects anew.
    fn failed(&self, operation: &'static str) -> impl FnOnce(RedisError) -> StoreError + '_ {
        move |error| {
            if error.kind() == ErrorKind::AuthenticationFailed {
                *self
                    .connection
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
            }
            StoreError::with_source(format!("Redis {operation}"), error)
        }
    }

    /// Extends `token`'s claim on `uuid` to `lease` from now; `false` if it lost the claim.
    async fn renew(
        &self,
        uuid: &str,
        token: &ClaimToken,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.invoke::<i64>(&self.renew, "renew", uuid, |command| {
            command.arg(token.as_str()).arg(millis(lease));
        })
        .await
        .map(|renewed| renewed == 1)
    }

    /// Records `handlers` as done for `uuid` and, with a `token`, releases its claim.
    async fn record_and_release(
        &self,
        uuid: &str,
        token: Option<&ClaimToken>,
        handlers: &[&str],
        operation: &'static str,
    ) -> Result<(), StoreError> {
        self.invoke::<i64>(&self.record_and_release, operation, uuid, |command| {
            command
                .arg(token.map_or("", ClaimToken::as_str))
                .arg(millis(self.retention))
                .arg(handlers);
        })
        .await
        .map(|_| ())
    }

    /// Runs `script` on the keys of `uuid` (KEYS: lease, done) with the arguments `args`
    /// adds, as an `EVALSHA` sent through the pipeline shared by concurrent deliveries
    /// (one request each, see [`pipeline`]). When Redis does not have the script
    /// (`NOSCRIPT`: its first use, or after Redis restarted), loads it and asks once more.
    async fn invoke<T: FromRedisValue>(
        &self,
        script: &Script,
        operation: &'static str,
        uuid: &str,
        args: impl Fn(&mut Cmd),
    ) -> Result<T, StoreError> {
        let Connection {
            mut manager,
            pipeline,
        } = self.connection()?;
        let answered = async {
            let value = match pipeline.query(self.evalsha(script, uuid, &args)).await {
                Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                    script.load_async(&mut manager).await?;
                    pipeline.query(self.evalsha(script, uuid, &args)).await?
                }
                answered => answered?,
            };
            RedisResult::Ok(redis::from_redis_value(value)?)
        };
        answered.await.map_err(self.failed(operation))
    }

    /// `EVALSHA <script> 2 <lease key> <done key>`, then the arguments `args` adds.
    fn evalsha(&self, script: &Script, uuid: &str, args: impl Fn(&mut Cmd)) -> Cmd {
        // Sized for the usual command up front, so its buffers do not grow step by step;
        // the keys are written into it directly.
        let mut command = Cmd::with_capacity(8, 256);
        command.arg("EVALSHA").arg(script.get_hash()).arg(2);
        command.write_arg_fmt(self.key(uuid, "lease"));
        command.write_arg_fmt(self.key(uuid, "done"));
        args(&mut command);
        command
    }

    /// `{prefix}:{<uuid>}:<kind>`: the braces keep both keys of a uuid in one cluster slot.
    /// Written straight into the command (no `String` of its own).
    fn key<'a>(&'a self, uuid: &'a str, kind: &'a str) -> impl std::fmt::Display + 'a {
        struct Key<'a>(&'a str, &'a str, &'a str);
        impl std::fmt::Display for Key<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}:{{{}}}:{}", self.0, self.1, self.2)
            }
        }
        Key(&self.prefix, uuid, kind)
    }
}

/// The store's connection: redis-rs's multiplexed connection, and the pipeline that the
/// deliveries' scripts share on it. Cloning either is cheap (both are handles).
#[derive(Clone)]
struct Connection {
    manager: ConnectionManager,
    pipeline: Pipeline,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("retention", &self.retention)
            .finish()
    }
}

/// Milliseconds for `SET PX` and `PEXPIRE`: at least 1, and small enough that Redis can
/// add it to the current time (it refuses larger expiries).
fn millis(duration: Duration) -> u64 {
    const LONGEST: u64 = i64::MAX as u64 / 4;
    u64::try_from(duration.as_millis())
        .unwrap_or(LONGEST)
        .clamp(1, LONGEST)
}

impl IdempotencyStore for RedisStore {
    fn claim<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        self.claim_unless_done(uuid, lease, &[])
    }

    /// One round trip: the done set is read, checked against `handlers` and the lease
    /// taken in one script.
    fn claim_unless_done<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let token = ClaimToken::random();
            let claimed = self
                .invoke::<(i64, Vec<String>)>(&self.claim, "claim", uuid, |command| {
                    command.arg(token.as_str()).arg(millis(lease)).arg(handlers);
                })
                .await;
            match claimed {
                Ok((1, done)) => Ok(Claim::Acquired { token, done }),
                Ok((2, _)) => Ok(Claim::AllDone),
                Ok(_) => Ok(Claim::InProgress),
                Err(error) => {
                    // Redis may have taken the claim before its reply was lost: give it
                    // back (the token is ours), or the uuid stays blocked for the lease.
                    let _ = self.release(uuid, &token).await;
                    Err(error)
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
            self.record_and_release(uuid, None, &[handler], "mark done")
                .await
        })
    }

    /// One round trip for them all.
    fn mark_all_done<'a>(
        &'a self,
        uuid: &'a str,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.record_and_release(uuid, None, handlers, "mark done"))
    }

    fn release<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.record_and_release(uuid, Some(token), &[], "release"))
    }

    /// One round trip: the records and the release in one script.
    fn finish<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        succeeded: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.record_and_release(uuid, Some(token), succeeded, "record and release"))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys are shared with every replica, older versions included: their shape is
    /// fixed.
    #[test]
    fn keys_keep_their_shape() {
        let store = RedisStore::new("redis://127.0.0.1:1").unwrap();
        assert_eq!(
            store.key("u-1", "done").to_string(),
            "postal-hooks:{u-1}:done"
        );
        let store = store.with_prefix("app");
        assert_eq!(store.key("u-2", "lease").to_string(), "app:{u-2}:lease");
    }

    /// The command as Redis receives it: the same bytes as one built argument by argument.
    #[test]
    fn evalsha_sends_the_script_its_keys_and_arguments() {
        let store = RedisStore::new("redis://127.0.0.1:1")
            .unwrap()
            .with_prefix("app");
        let built = store.evalsha(&store.claim, "u-3", |command| {
            command.arg(30_000).arg(&["a::b", "c::d"][..]);
        });
        let expected = redis::cmd("EVALSHA")
            .arg(store.claim.get_hash())
            .arg(2)
            .arg("app:{u-3}:lease")
            .arg("app:{u-3}:done")
            .arg(30_000)
            .arg(&["a::b", "c::d"][..])
            .get_packed_command();
        assert_eq!(
            String::from_utf8_lossy(&built.get_packed_command()),
            String::from_utf8_lossy(&expected)
        );
    }
}
