//! The one thread that owns the SQLite connection, and group commit: every request waiting
//! when a transaction starts goes into it, so a burst of deliveries shares one fsync.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::super::error::InboxError;
use super::super::record::{now_ms, to_ms};
use crate::shared_error::SharedError;

/// The most requests in one transaction.
const MAX_BATCH: usize = 512;

/// How many times the thread lets others run while requests keep arriving, before it
/// starts a transaction.
const YIELDS: usize = 3;

/// How often done records past their retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// What a request sees while it runs: the open transaction, and the running counts. A
/// request makes at most one write statement.
pub(super) struct Ctx<'c> {
    pub(super) db: &'c Connection,
    pub(super) counts: &'c mut Counts,
}

/// Deliveries (pending and dead-lettered) and their body bytes, for the bounds: read at open, kept up to date by each
/// request, read again after a failed commit.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) entries: u64,
    pub(super) bytes: u64,
    pub(super) dead: u64,
}

/// Answers a request once its transaction has ended: with its own result, or with the
/// commit's error.
type Finish = Box<dyn FnOnce(Option<&InboxError>) + Send>;
/// A request's work: run inside the transaction (`None` when none could be opened), it
/// gives its answer-to-be and whether it succeeded (a failure restores the counts).
type Work = Box<dyn FnOnce(Option<&mut Ctx<'_>>) -> (Finish, bool) + Send>;

/// One request: its work, and whether its commit must reach the disk (fsync) before it
/// is answered. Requests that only need to survive a crash of this process (a `write`
/// to the WAL is enough for that) skip the fsync; the next durable commit covers them.
struct Request {
    work: Work,
    durable: bool,
}

/// The handle through which every task talks to the connection's thread.
#[derive(Clone)]
pub(super) struct Writer {
    requests: Sender<Request>,
}

impl Writer {
    /// Starts the thread that owns `connection`.
    pub(super) fn start(connection: Connection, retention: Duration) -> std::io::Result<Writer> {
        let counts = read_counts(&connection).map_err(std::io::Error::other)?;
        let (requests, receive) = channel();
        std::thread::Builder::new()
            .name("postal-hooks-inbox".into())
            .spawn(move || run(connection, &receive, counts, retention))?;
        Ok(Writer { requests })
    }

    /// Runs `work` in the next transaction and answers once it is committed (and, when
    /// `durable`, on disk).
    pub(super) async fn call<T: Send + 'static>(
        &self,
        durable: bool,
        work: impl FnOnce(&mut Ctx<'_>) -> Result<T, InboxError> + Send + 'static,
    ) -> Result<T, InboxError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let work: Work = Box::new(move |ctx| {
            let result = ctx.map(work);
            let ok = matches!(result, Some(Ok(_)));
            let finish: Finish = Box::new(move |ended: Option<&InboxError>| {
                let result = match (ended, result) {
                    (Some(error), _) => Err(error.clone()),
                    (None, Some(result)) => result,
                    (None, None) => Err(InboxError::Closed),
                };
                let _ = answer.send(result);
            });
            (finish, ok)
        });
        self.requests
            .send(Request { work, durable })
            .map_err(|_| InboxError::Closed)?;
        answered.await.map_err(|_| InboxError::Closed)?
    }
}

/// The thread: waits for a request, gathers the others (see [`gather`]), runs them in one
/// transaction (one failing does not undo the others), commits, then answers them all.
fn run(
    mut connection: Connection,
    requests: &Receiver<Request>,
    counts: Counts,
    retention: Duration,
) {
    let mut counts = counts;
    let mut synchronous_full = true;
    let mut last_prune = Instant::now();
    while let Ok(first) = requests.recv() {
        let batch = gather(first, requests);
        let durable = batch.iter().any(|request| request.durable);
        if durable != synchronous_full {
            let level = if durable {
                "PRAGMA synchronous = FULL"
            } else {
                "PRAGMA synchronous = NORMAL"
            };
            if run_fixed(&connection, level).is_ok() {
                synchronous_full = durable;
            }
        }
        let prune = last_prune.elapsed() >= PRUNE_EVERY;
        if prune {
            last_prune = Instant::now();
        }
        let (finishers, ended) = run_batch(&mut connection, batch, &mut counts, prune, retention);
        if ended.is_some() {
            counts = read_counts(&connection).unwrap_or(counts);
        }
        for finish in finishers {
            finish(ended.as_ref());
        }
    }
}

/// One transaction's requests: `first`, and up to [`MAX_BATCH`] in all of those waiting.
///
/// Before each look at the queue it yields, so that the tasks ready to run (on this core,
/// when the process has few) queue their requests too and share this transaction and its
/// fsync rather than each waiting for one of their own; again, up to [`YIELDS`] times,
/// while more keep coming. With a core to spare, a yield returns at once. Requests left
/// over go into the next transaction; a closed channel still gives up what it holds.
fn gather<T>(first: T, requests: &Receiver<T>) -> Vec<T> {
    let mut batch = vec![first];
    for _ in 0..YIELDS {
        if batch.len() >= MAX_BATCH {
            break;
        }
        std::thread::yield_now();
        let before = batch.len();
        batch.extend(requests.try_iter().take(MAX_BATCH - before));
        if batch.len() == before {
            break;
        }
    }
    batch
}

/// Runs one of the few fixed statements of the batch's frame (prepared once).
fn run_fixed(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection.prepare_cached(sql)?.execute([]).map(drop)
}

/// One transaction: every request, then the commit.
fn run_batch(
    connection: &mut Connection,
    batch: Vec<Request>,
    counts: &mut Counts,
    prune: bool,
    retention: Duration,
) -> (Vec<Finish>, Option<InboxError>) {
    let unavailable = |error: rusqlite::Error| InboxError::Unavailable(SharedError::new(error));
    let connection = &*connection;
    if let Err(error) = run_fixed(connection, "BEGIN") {
        let finishers = batch
            .into_iter()
            .map(|request| (request.work)(None).0)
            .collect();
        return (finishers, Some(unavailable(error)));
    }
    // No savepoint per request: each makes at most one write, and a statement that fails
    // leaves nothing behind (SQLite undoes it), so one failing request cannot leave half
    // its work in the others' commit.
    // Some errors (a full disk, an I/O error) roll back the whole transaction, not just
    // the statement: the requests after it then fail with it, unrun.
    let mut finishers = Vec::with_capacity(batch.len());
    let mut rolled_back = false;
    for request in batch {
        if rolled_back {
            finishers.push((request.work)(None).0);
            continue;
        }
        let saved = *counts;
        let (finish, ok) = (request.work)(Some(&mut Ctx {
            db: connection,
            counts,
        }));
        if !ok {
            *counts = saved;
            rolled_back = connection.is_autocommit();
        }
        finishers.push(finish);
    }
    if rolled_back {
        let error = InboxError::Unavailable(SharedError::new(std::io::Error::other(
            "the transaction was rolled back by SQLite after a failed statement",
        )));
        return (finishers, Some(error));
    }
    if prune {
        let cutoff = now_ms().saturating_sub(to_ms(retention));
        if let Err(error) = connection.execute(
            "DELETE FROM deliveries WHERE done_at IS NOT NULL AND done_at < ?1",
            [sql_int(cutoff)],
        ) {
            tracing::warn!(%error, "cannot prune the inbox's handled deliveries");
        }
    }
    match run_fixed(connection, "COMMIT") {
        Ok(()) => (finishers, None),
        Err(error) => {
            let _ = run_fixed(connection, "ROLLBACK");
            (finishers, Some(unavailable(error)))
        }
    }
}

/// Deliveries, bytes and dead letters, counted.
fn read_counts(connection: &Connection) -> rusqlite::Result<Counts> {
    connection.query_row(
        "SELECT count(*), coalesce(sum(length(body)), 0), count(dead_at) FROM deliveries WHERE done_at IS NULL",
        [],
        |row| {
            Ok(Counts {
                entries: row.get::<_, i64>(0)?.try_into().unwrap_or(0),
                bytes: row.get::<_, i64>(1)?.try_into().unwrap_or(0),
                dead: row.get::<_, i64>(2)?.try_into().unwrap_or(0),
            })
        },
    )
}

/// A `u64` as SQLite's integer (times in ms, sizes), saturating.
pub(super) fn sql_int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_takes_what_waits_up_to_its_bound_and_leaves_the_rest() {
        let (send, receive) = channel();
        for number in 0..MAX_BATCH + 10 {
            send.send(number).unwrap_or_default();
        }
        let first = receive.recv().unwrap_or_default();
        let batch = gather(first, &receive);
        assert_eq!(batch, (0..MAX_BATCH).collect::<Vec<_>>());
        let rest: Vec<_> = receive.try_iter().collect();
        assert_eq!(rest, (MAX_BATCH..MAX_BATCH + 10).collect::<Vec<_>>());
    }

    #[test]
    fn a_closed_channel_still_gives_up_what_it_holds() {
        let (send, receive) = channel();
        for number in 1..=3 {
            send.send(number).unwrap_or_default();
        }
        drop(send);
        assert_eq!(gather(0, &receive), [0, 1, 2, 3]);
        assert!(receive.recv().is_err());
    }

    #[test]
    fn alone_it_is_a_batch_of_one() {
        let (_send, receive) = channel::<u32>();
        assert_eq!(gather(7, &receive), [7]);
    }
}
