//! The Redis inbox, shared by replicas: a stream with a consumer group, claims of a dead
//! consumer's pending entries after the lease, retries in a sorted set, each operation one
//! Lua script ([`scripts`]).

mod scripts;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, FromRedisValue, RedisError, Script, ScriptInvocation, Value};

use super::backend::Backend;
use super::error::InboxError;
use super::record::{
    DeadLetter, HandlerFailure, HistoryRow, HistoryState, InboxStats, Job, NewDelivery, Pushed,
    Taken, from_ms, now_ms, to_ms,
};
use super::settings::InboxSettings;
use crate::dedupe::{IdempotencyStore, RedisStore};
use crate::handler::BoxFuture;
use crate::shared_error::SharedError;

/// The consumer group every replica's workers read through.
const GROUP: &str = "workers";
/// How long an idle worker waits before looking again, at most: other replicas' new
/// deliveries are seen this late at worst (this replica's wake its workers at once).
const IDLE_POLL: Duration = Duration::from_millis(200);
/// How long one command may take.
const TIMEOUT: Duration = Duration::from_secs(2);

struct Scripts {
    push: Script,
    take: Script,
    keep_alive: Script,
    ack: Script,
    retry: Script,
    dead_letter: Script,
    release: Script,
    revive: Script,
    discard: Script,
    dead_letters: Script,
    forget_consumer: Script,
}

/// The Redis inbox.
pub(crate) struct RedisBackend {
    connection: ConnectionManager,
    scripts: Scripts,
    store: Arc<RedisStore>,
    url: String,
    prefix: String,
    /// How long done sets are kept, in ms (set again when a dead letter is revived).
    retention_ms: u64,
    max_entries: u64,
    max_bytes: u64,
}

fn unavailable(error: RedisError) -> InboxError {
    InboxError::Unavailable(SharedError::new(error))
}

impl RedisBackend {
    pub(crate) async fn connect(url: &str, settings: &InboxSettings) -> Result<Self, InboxError> {
        let client = Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(3)
            .set_max_delay(Duration::from_secs(1));
        let mut connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        check_version(&mut connection).await?;
        let created: Result<Value, RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(format!("{}:stream", settings.key_prefix))
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut connection)
            .await;
        if let Err(error) = created
            && error.code() != Some("BUSYGROUP")
        {
            return Err(unavailable(error));
        }
        // Done records live as long as a delivery may still be retried, and the dedupe
        // retention more for Postal's own retries of a delivery already finished; a dead letter's, as long
        // as the dead letter (the scripts `PERSIST` them).
        let retention = settings
            .retry_max_age
            .saturating_add(settings.done_retention);
        let store = RedisStore::new(url)
            .map_err(|error| InboxError::Unavailable(SharedError::new(error)))?
            .with_prefix(format!("{}:dedupe", settings.key_prefix))
            .with_retention(retention);
        Ok(RedisBackend {
            connection,
            scripts: Scripts {
                push: Script::new(&scripts::push()),
                take: Script::new(scripts::TAKE),
                keep_alive: Script::new(&scripts::keep_alive()),
                ack: Script::new(&scripts::ack()),
                retry: Script::new(&scripts::retry()),
                dead_letter: Script::new(&scripts::dead_letter()),
                release: Script::new(&scripts::release()),
                revive: Script::new(&scripts::revive()),
                discard: Script::new(&scripts::discard()),
                dead_letters: Script::new(scripts::DEAD_LETTERS),
                forget_consumer: Script::new(scripts::FORGET_CONSUMER),
            },
            store: Arc::new(store),
            url: url.to_owned(),
            prefix: settings.key_prefix.clone(),
            retention_ms: to_ms(retention),
            max_entries: settings.max_entries,
            max_bytes: settings.max_bytes,
        })
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Runs a script on the shared connection; a failure is [`InboxError::Unavailable`].
    async fn invoke<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, InboxError> {
        invocation
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    fn delivery_key(&self, uuid: &str) -> String {
        format!("{}:d:{uuid}", self.prefix)
    }

    /// The idempotency store's done set for `uuid` (`RedisStore`'s key under its prefix).
    fn done_key(&self, uuid: &str) -> String {
        format!("{}:dedupe:{{{uuid}}}:done", self.prefix)
    }
}

/// The oldest Redis the inbox runs on: 6.2, for `XPENDING … IDLE` and `XCLAIM` as the
/// scripts use them.
const MIN_REDIS: (u32, u32) = (6, 2);

/// Refuses a Redis older than [`MIN_REDIS`], whose scripts would fail on every take while
/// pushes still succeeded.
async fn check_version(connection: &mut ConnectionManager) -> Result<(), InboxError> {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(connection)
        .await
        .map_err(unavailable)?;
    let version = info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .unwrap_or("0")
        .trim()
        .to_owned();
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found < MIN_REDIS {
        return Err(InboxError::Unavailable(SharedError::new(
            std::io::Error::other(format!(
                "Redis {version} is too old for the inbox, which needs {}.{} or newer",
                MIN_REDIS.0, MIN_REDIS.1
            )),
        )));
    }
    Ok(())
}

fn errors_json(errors: &[HandlerFailure]) -> String {
    serde_json::to_string(errors).unwrap_or_else(|_| "[]".to_owned())
}

/// A text or integer reply as a number.
fn number(value: Option<&Value>) -> u64 {
    match value {
        Some(Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Value::BulkString(bytes)) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::BulkString(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Some(Value::SimpleString(text)) => Some(text.clone()),
        _ => None,
    }
}

fn bad_reply(what: &str) -> InboxError {
    InboxError::Unavailable(SharedError::new(std::io::Error::other(format!(
        "unexpected reply from Redis to {what}"
    ))))
}

impl Backend for RedisBackend {
    fn push<'a>(&'a self, delivery: NewDelivery<'a>) -> BoxFuture<'a, Result<Pushed, InboxError>> {
        Box::pin(async move {
            let (uuid, event) = (delivery.envelope.uuid(), delivery.envelope.event().name());
            let reply: Vec<u64> = self
                .invoke::<Vec<i64>>(
                    self.scripts
                        .push
                        .key(self.delivery_key(uuid))
                        .key(self.key("stream"))
                        .key(self.key("counts"))
                        .key(self.key("history"))
                        .arg(uuid)
                        .arg(event)
                        .arg(delivery.body)
                        .arg(now_ms())
                        .arg(self.max_entries)
                        .arg(self.max_bytes),
                )
                .await?
                .into_iter()
                .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
                .collect();
            match reply.as_slice() {
                [1] => Ok(Pushed::Queued),
                [0] => Ok(Pushed::AlreadyQueued),
                [_, entries, bytes] => Err(InboxError::Full {
                    entries: *entries,
                    bytes: *bytes,
                    max_entries: self.max_entries,
                    max_bytes: self.max_bytes,
                }),
                _ => Err(bad_reply("push")),
            }
        })
    }

    fn take<'a>(
        &'a self,
        worker: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Taken, InboxError>> {
        Box::pin(async move {
            let now = now_ms();
            let reply: Vec<Value> = self
                .invoke(
                    self.scripts
                        .take
                        .key(self.key("stream"))
                        .key(self.key("retry"))
                        .arg(GROUP)
                        .arg(worker)
                        .arg(to_ms(lease))
                        .arg(now)
                        .arg(&self.prefix),
                )
                .await?;
            if number(reply.first()) == 0 {
                let wait = match text(reply.get(1)).and_then(|due| due.parse::<f64>().ok()) {
                    Some(due) => Duration::from_millis((due as u64).saturating_sub(now)),
                    None => IDLE_POLL,
                };
                return Ok(Taken::Idle(wait.clamp(Duration::from_millis(1), IDLE_POLL)));
            }
            let id = text(reply.get(1)).ok_or_else(|| bad_reply("take"))?;
            let uuid = text(reply.get(2)).unwrap_or_default();
            let body = match reply.get(3) {
                Some(Value::BulkString(bytes)) => Some(bytes.clone()),
                _ => None,
            };
            let damaged = match (&uuid, &body) {
                (uuid, _) if uuid.is_empty() => Some(format!(
                    "unreadable record: stream entry {id} names no uuid"
                )),
                (uuid, None) => Some(format!(
                    "unreadable record: no stored body for {uuid} (stream entry {id})"
                )),
                _ => None,
            };
            Ok(Taken::Job(Box::new(Job {
                uuid: if uuid.is_empty() {
                    format!("entry {id}")
                } else {
                    uuid
                },
                id,
                body: body.unwrap_or_default(),
                attempts: u32::try_from(number(reply.get(4))).unwrap_or(u32::MAX),
                since_ms: number(reply.get(5)),
                damaged,
                envelope: None,
            })))
        })
    }

    fn keep_alive<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        _lease: Duration,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move {
            let held: i64 = self
                .invoke(
                    self.scripts
                        .keep_alive
                        .key(self.key("stream"))
                        .arg(GROUP)
                        .arg(worker)
                        .arg(&job.id),
                )
                .await?;
            if held == 0 {
                return Err(InboxError::Unavailable(SharedError::new(
                    std::io::Error::other(
                        "the lease ran out and another worker took the delivery over; its idempotency claim keeps the two from running a handler twice",
                    ),
                )));
            }
            Ok(())
        })
    }

    fn ack<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move {
            let _: i64 = self
                .invoke(
                    self.scripts
                        .ack
                        .key(self.key("stream"))
                        .key(self.delivery_key(&job.uuid))
                        .key(self.key("counts"))
                        .key(self.key("history"))
                        .arg(GROUP)
                        .arg(worker)
                        .arg(&job.id)
                        .arg(&job.uuid)
                        .arg(runs),
                )
                .await?;
            Ok(())
        })
    }

    fn retry<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        due_ms: u64,
        errors: &'a [HandlerFailure],
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move {
            let _: i64 = self
                .invoke(
                    self.scripts
                        .retry
                        .key(self.key("stream"))
                        .key(self.key("retry"))
                        .key(self.delivery_key(&job.uuid))
                        .key(self.key("history"))
                        .arg(GROUP)
                        .arg(worker)
                        .arg(&job.id)
                        .arg(due_ms)
                        .arg(errors_json(errors))
                        .arg(&job.uuid)
                        .arg(runs),
                )
                .await?;
            Ok(())
        })
    }

    fn dead_letter<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        reason: &'a str,
        errors: &'a [HandlerFailure],
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move {
            let _: i64 = self
                .invoke(
                    self.scripts
                        .dead_letter
                        .key(self.key("stream"))
                        .key(self.key("dead"))
                        .key(self.delivery_key(&job.uuid))
                        .key(self.key("counts"))
                        .key(self.done_key(&job.uuid))
                        .key(self.key("history"))
                        .arg(GROUP)
                        .arg(worker)
                        .arg(&job.id)
                        .arg(now_ms())
                        .arg(errors_json(errors))
                        .arg(&job.uuid)
                        .arg(reason)
                        .arg(runs),
                )
                .await?;
            Ok(())
        })
    }

    fn release<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move {
            let _: i64 = self
                .invoke(
                    self.scripts
                        .release
                        .key(self.key("stream"))
                        .arg(GROUP)
                        .arg(worker)
                        .arg(&job.id)
                        .arg(&job.uuid),
                )
                .await?;
            Ok(())
        })
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, InboxError>> {
        Box::pin(async move {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let rows: Vec<Vec<Value>> = self
                .invoke(
                    self.scripts
                        .dead_letters
                        .key(self.key("dead"))
                        .arg(limit)
                        .arg(&self.prefix),
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| DeadLetter {
                    uuid: text(row.first()).unwrap_or_default(),
                    event: text(row.get(1)).unwrap_or_default(),
                    received_at: from_ms(number(row.get(2))),
                    dead_at: from_ms(number(row.get(3))),
                    attempts: u32::try_from(number(row.get(4))).unwrap_or(u32::MAX),
                    reason: text(row.get(5)).unwrap_or_default(),
                    errors: text(row.get(6))
                        .and_then(|json| serde_json::from_str(&json).ok())
                        .unwrap_or_default(),
                })
                .collect())
        })
    }

    fn history(&self, limit: usize) -> BoxFuture<'_, Result<Vec<HistoryRow>, InboxError>> {
        Box::pin(async move {
            let entries: Vec<String> = redis::cmd("LRANGE")
                .arg(self.key("history"))
                .arg(0)
                .arg(scripts::HISTORY_LENGTH)
                .query_async(&mut self.connection())
                .await
                .map_err(unavailable)?;
            let mut seen = std::collections::HashSet::new();
            let mut rows = Vec::new();
            // Newest first: the first entry of a uuid is its latest state. The list holds
            // the last HISTORY_LENGTH state changes, so a delivery stays listed until that
            // many changes of others followed it.
            for entry in entries {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(&entry) else {
                    continue;
                };
                let Some(uuid) = entry.get("uuid").and_then(|v| v.as_str()) else {
                    continue;
                };
                if !seen.insert(uuid.to_owned()) {
                    continue;
                }
                let state = match entry.get("state").and_then(|v| v.as_str()) {
                    Some("queued") => HistoryState::Queued,
                    Some("done") => HistoryState::Done,
                    Some("retrying") => HistoryState::Retrying,
                    Some("dead") => HistoryState::Dead,
                    _ => continue, // discarded
                };
                let number = |name: &str| {
                    entry
                        .get(name)
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0)
                };
                rows.push(HistoryRow {
                    uuid: uuid.to_owned(),
                    event: entry
                        .get("event")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    received_ms: number("received_at"),
                    attempts: u32::try_from(number("attempts")).unwrap_or(u32::MAX),
                    state,
                    runs: entry
                        .get("runs")
                        .and_then(|v| v.as_str())
                        .unwrap_or("[]")
                        .to_owned(),
                });
            }
            // Newest received first, as the embedded inbox lists them.
            rows.sort_by_key(|row| std::cmp::Reverse(row.received_ms));
            rows.truncate(limit);
            Ok(rows)
        })
    }

    fn body<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, InboxError>> {
        Box::pin(async move {
            let body: Option<Vec<u8>> = redis::cmd("HGET")
                .arg(self.delivery_key(uuid))
                .arg("body")
                .query_async(&mut self.connection())
                .await
                .map_err(unavailable)?;
            Ok(body.filter(|body| !body.is_empty()))
        })
    }

    fn revive<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(async move {
            let revived: i64 = self
                .invoke(
                    self.scripts
                        .revive
                        .key(self.key("dead"))
                        .key(self.delivery_key(uuid))
                        .key(self.key("stream"))
                        .key(self.key("counts"))
                        .key(self.done_key(uuid))
                        .key(self.key("history"))
                        .arg(uuid)
                        .arg(now_ms())
                        .arg(self.retention_ms),
                )
                .await?;
            Ok(revived == 1)
        })
    }

    fn discard<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(async move {
            let discarded: i64 = self
                .invoke(
                    self.scripts
                        .discard
                        .key(self.key("dead"))
                        .key(self.delivery_key(uuid))
                        .key(self.key("counts"))
                        .key(self.done_key(uuid))
                        .key(self.key("history"))
                        .arg(uuid),
                )
                .await?;
            Ok(discarded == 1)
        })
    }

    fn stats(&self) -> BoxFuture<'_, Result<InboxStats, InboxError>> {
        Box::pin(async move {
            let counts: Vec<Option<i64>> = redis::cmd("HMGET")
                .arg(self.key("counts"))
                .arg("entries")
                .arg("bytes")
                .arg("dead")
                .query_async(&mut self.connection())
                .await
                .map_err(unavailable)?;
            let count = |index: usize| {
                counts
                    .get(index)
                    .copied()
                    .flatten()
                    .map_or(0, |n| u64::try_from(n).unwrap_or(0))
            };
            let (entries, bytes, dead) = (count(0), count(1), count(2));
            Ok(InboxStats {
                pending: entries.saturating_sub(dead),
                dead_letters: dead,
                bytes,
            })
        })
    }

    fn idempotency_store(&self) -> Arc<dyn IdempotencyStore> {
        self.store.clone()
    }

    fn worker_stopped<'a>(&'a self, worker: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let forgot: Result<i64, RedisError> = self
                .scripts
                .forget_consumer
                .key(self.key("stream"))
                .arg(GROUP)
                .arg(worker)
                .invoke_async(&mut self.connection())
                .await;
            if let Err(error) = forgot {
                tracing::warn!(%error, worker, "cannot remove a stopped worker from the consumer group");
            }
        })
    }

    fn describe(&self) -> String {
        format!("redis:{}", crate::redact_url::redact_url(&self.url))
    }
}
