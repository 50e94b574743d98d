//! The Redis inbox's Lua scripts: each operation is one script, so it is atomic and one
//! round trip. Keys (under the prefix `P`): `P:stream` (a stream whose entries carry a
//! uuid; consumer group `workers`), `P:d:<uuid>` (a hash: event, body, received_at, since,
//! attempts, size, errors, reason, dead_at), `P:retry` (sorted set: uuid by due time),
//! `P:dead` (sorted set: uuid by dead-letter time), `P:counts` (hash: entries, bytes,
//! dead); and the idempotency store's done sets under `P:dedupe`.
//!
//! Scripts build some keys from the prefix (`TAKE`, `DEAD_LETTERS`), so the inbox needs
//! one Redis, not a Cluster.

/// How many entries the history list `P:history` keeps.
pub(super) const HISTORY_LENGTH: usize = 1000;

/// `remember(history, d, uuid, state, runs)`: pushes the delivery's state (and its latest
/// run's handlers, JSON) onto the capped history list that the inspector reads, newest
/// first. Shared by the scripts that change a delivery's state.
fn remember() -> String {
    format!(
        r"
local function remember(history, d, uuid, state, runs)
  local f = redis.call('HMGET', d, 'event', 'received_at', 'attempts')
  redis.call('LPUSH', history, cjson.encode({{uuid = uuid, event = f[1] or '',
    received_at = tonumber(f[2] or '0'), attempts = tonumber(f[3] or '0'), state = state,
    runs = runs}}))
  redis.call('LTRIM', history, 0, {})
end
",
        HISTORY_LENGTH - 1
    )
}

/// KEYS: d, stream, counts, history. ARGV: uuid, event, body, now, max entries, max bytes.
/// `{1}` stored, `{0}` already kept, `{-1, entries, bytes}` full.
pub(super) fn push() -> String {
    format!("{}{}", remember(), PUSH)
}

const PUSH: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local entries = tonumber(redis.call('HGET', KEYS[3], 'entries') or '0')
local bytes = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0')
local size = string.len(ARGV[3])
if entries >= tonumber(ARGV[5]) or bytes + size > tonumber(ARGV[6]) then
  return {-1, entries, bytes}
end
redis.call('HSET', KEYS[1], 'event', ARGV[2], 'body', ARGV[3], 'received_at', ARGV[4],
  'since', ARGV[4], 'attempts', 0, 'size', size)
redis.call('XADD', KEYS[2], '*', 'uuid', ARGV[1])
redis.call('HINCRBY', KEYS[3], 'entries', 1)
redis.call('HINCRBY', KEYS[3], 'bytes', size)
remember(KEYS[4], KEYS[1], ARGV[1], 'queued', '[]')
return {1}
";

/// Moves due retries into the stream, then claims the oldest entry a dead consumer left
/// idle past the lease (`XPENDING … IDLE`, then `XCLAIM`: Redis's own hand-over of a
/// consumer's pending entries), else reads a new one (`XREADGROUP`).
/// KEYS: stream, retry. ARGV: group, consumer, lease ms, now, prefix.
/// `{1, id, uuid, body, attempts, since}`, or `{0, next due or ''}`.
pub(super) const TAKE: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, 100)
for _, uuid in ipairs(due) do
  redis.call('ZREM', KEYS[2], uuid)
  redis.call('XADD', KEYS[1], '*', 'uuid', uuid)
end
local entries = {}
local idle = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], '-', '+', 1)
if #idle == 1 then
  entries = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], idle[1][1])
  if #entries == 0 or entries[1] == false then
    -- Deleted from the stream while pending: nothing to run; off the pending list.
    redis.call('XACK', KEYS[1], ARGV[1], idle[1][1])
    entries = {}
  end
end
if #entries == 0 then
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
  if read then entries = read[1][2] end
end
if #entries == 0 then
  local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #next == 2 then return {0, next[2]} end
  return {0, ''}
end
local id = entries[1][1]
local fields = entries[1][2]
if fields[1] ~= 'uuid' or type(fields[2]) ~= 'string' then
  return {1, id, '', false, false, false}
end
local d = redis.call('HMGET', ARGV[5] .. ':d:' .. fields[2], 'body', 'attempts', 'since')
return {1, id, fields[2], d[1], d[2], d[3]}
";

/// Whether `consumer` (ARGV[2]) still holds entry ARGV[3]: shared by the scripts below.
const OWNS: &str = r"
local function owns(stream, group, consumer, id)
  local pending = redis.call('XPENDING', stream, group, id, id, 1)
  return #pending == 1 and pending[1][2] == consumer
end
";

/// KEYS: stream. ARGV: group, consumer, id. Resets the entry's idle time while held.
pub(super) fn keep_alive() -> String {
    format!(
        "{OWNS}
if owns(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
  return 1
end
return 0"
    )
}

/// KEYS: stream, d, counts, history. ARGV: group, consumer, id, uuid, runs. Done: the
/// entry and the delivery go; nothing happens when another consumer took the entry over
/// (this one's lease ran out): the other settles it.
pub(super) fn ack() -> String {
    format!(
        "{OWNS}{}
if not owns(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[2], 'attempts', 1)
remember(KEYS[4], KEYS[2], ARGV[4], 'done', ARGV[5])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
local size = tonumber(redis.call('HGET', KEYS[2], 'size') or '0')
if redis.call('DEL', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[3], 'entries', -1)
  redis.call('HINCRBY', KEYS[3], 'bytes', -size)
end
return 1",
        remember()
    )
}

/// KEYS: stream, retry, d, history. ARGV: group, consumer, id, due, errors, uuid, runs.
pub(super) fn retry() -> String {
    format!(
        "{OWNS}{}
if not owns(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('HSET', KEYS[3], 'errors', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
remember(KEYS[4], KEYS[3], ARGV[6], 'retrying', ARGV[7])
return 1",
        remember()
    )
}

/// KEYS: stream, dead, d, counts, done, history. ARGV: group, consumer, id, now, errors,
/// uuid, reason, runs. The done set is kept as long as the dead letter (`PERSIST`), so a
/// retry from the dead letters, however late, skips the handlers that had succeeded.
pub(super) fn dead_letter() -> String {
    format!(
        "{OWNS}{}
if not owns(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[3], 'size', 0, 'received_at', ARGV[4])
  redis.call('HINCRBY', KEYS[4], 'entries', 1)
end
redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('HSET', KEYS[3], 'errors', ARGV[5], 'reason', ARGV[7], 'dead_at', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
redis.call('HINCRBY', KEYS[4], 'dead', 1)
redis.call('PERSIST', KEYS[5])
remember(KEYS[6], KEYS[3], ARGV[6], 'dead', ARGV[8])
return 1",
        remember()
    )
}

/// KEYS: stream. ARGV: group, consumer, id, uuid. Gives the entry back at once.
pub(super) fn release() -> String {
    format!(
        "{OWNS}
if not owns(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[1], '*', 'uuid', ARGV[4])
return 1"
    )
}

/// KEYS: dead, d, stream, counts, done, history. ARGV: uuid, now, retention in ms (for the
/// done set again, from now).
pub(super) fn revive() -> String {
    format!("{}{}", remember(), REVIVE)
}

const REVIVE: &str = r"
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[5], ARGV[3])
redis.call('HSET', KEYS[2], 'since', ARGV[2], 'attempts', 0)
redis.call('HDEL', KEYS[2], 'reason', 'dead_at')
redis.call('XADD', KEYS[3], '*', 'uuid', ARGV[1])
redis.call('HINCRBY', KEYS[4], 'dead', -1)
remember(KEYS[6], KEYS[2], ARGV[1], 'queued', '[]')
return 1
";

/// KEYS: dead, d, counts, done, history. ARGV: uuid.
pub(super) fn discard() -> String {
    format!("{}{}", remember(), DISCARD)
}

const DISCARD: &str = r"
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
remember(KEYS[5], KEYS[2], ARGV[1], 'discarded', '[]')
redis.call('DEL', KEYS[4])
local size = tonumber(redis.call('HGET', KEYS[2], 'size') or '0')
redis.call('DEL', KEYS[2])
redis.call('HINCRBY', KEYS[3], 'entries', -1)
redis.call('HINCRBY', KEYS[3], 'bytes', -size)
redis.call('HINCRBY', KEYS[3], 'dead', -1)
return 1
";

/// KEYS: dead. ARGV: limit, prefix. Newest first: per dead letter
/// `{uuid, event, received_at, dead_at, attempts, reason, errors}`.
pub(super) const DEAD_LETTERS: &str = r"
local out = {}
for _, uuid in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
  local d = redis.call('HMGET', ARGV[2] .. ':d:' .. uuid,
    'event', 'received_at', 'dead_at', 'attempts', 'reason', 'errors')
  table.insert(out, {uuid, d[1] or '', d[2] or '0', d[3] or '0', d[4] or '0', d[5] or '', d[6] or '[]'})
end
return out
";

/// KEYS: stream. ARGV: group, consumer. Removes a stopping worker's consumer from the
/// group when it holds nothing (what it holds stays for another to claim).
pub(super) const FORGET_CONSUMER: &str = r"
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
";
