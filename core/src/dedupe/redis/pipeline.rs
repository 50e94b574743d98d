//! Automatic pipelining: the commands of concurrent deliveries go to Redis together, in
//! one write, and come back in one round trip.
//!
//! Every delivery sends one to three scripts, and renewals while its handlers run (see
//! [`RedisStore`](super::RedisStore)). Sent one by one, each costs a write on the socket,
//! and on a busy receiver those writes, with the loopback or network stack behind them,
//! are the largest part of what Redis costs the receiver. Here the commands queue for one
//! task that owns the sending: it takes what has queued, yields so that the deliveries
//! ready to run can add theirs, and sends them all as one pipeline (the technique ioredis
//! calls auto-pipelining). Each command is still its own request to Redis, answered in
//! order: only the writes and the round trips are shared.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use redis::aio::ConnectionManager;
use redis::{Cmd, ErrorKind, RedisError, RedisResult, Value};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;

/// The most commands sent in one pipeline; more wait for the next.
const MAX_BATCH: usize = 256;

/// A command waiting to be sent, and where its answer goes.
struct Queued {
    command: Cmd,
    answer: oneshot::Sender<RedisResult<Value>>,
}

/// The queue to the task that sends (a handle: cloning it is cheap). The task ends when
/// the last handle is dropped.
#[derive(Clone)]
pub(super) struct Pipeline {
    queue: UnboundedSender<Queued>,
}

impl Pipeline {
    /// Starts the sending task, on the current tokio runtime, over `connection`.
    pub(super) fn spawn(connection: ConnectionManager) -> Pipeline {
        let (queue, commands) = unbounded_channel();
        tokio::spawn(send_all(connection, commands));
        Pipeline { queue }
    }

    /// Whether the sending task has ended: the tokio runtime that started it has shut down.
    pub(super) fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Sends `command` with the others queued now, and gives its answer: Redis's value,
    /// or its error (a server error such as `NOSCRIPT` for this command alone; a
    /// connection error or timeout for every command of its pipeline).
    pub(super) async fn query(&self, command: Cmd) -> RedisResult<Value> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Queued { command, answer })
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// When the sending task is gone: the tokio runtime that started it has shut down.
fn stopped() -> RedisError {
    RedisError::from((
        ErrorKind::Io,
        "the Redis pipeline's task has stopped (its tokio runtime was shut down)",
    ))
}

/// The sending task: gathers a batch, and sends it without waiting for the answers of the
/// batches before (redis-rs's multiplexed connection matches the answers in order), so
/// that Redis's round trip never holds back the next batch.
async fn send_all(connection: ConnectionManager, mut commands: UnboundedReceiver<Queued>) {
    while let Some(first) = commands.recv().await {
        let batch = gather(first, &mut commands).await;
        tokio::spawn(send(connection.clone(), batch));
    }
}

/// `first`, and up to [`MAX_BATCH`] in all of those waiting.
///
/// Before it looks at the queue it yields once, so that the tasks ready to run queue their
/// commands too (on a busy runtime, the deliveries whose requests have just arrived) and
/// share this write. Once measured best under the load harness: yielding again gathers
/// larger pipelines, but each then waits for the next requests to be read and verified,
/// and the receiver idles meanwhile. Commands left over go into the next pipeline; a
/// closed queue still gives up what it holds.
async fn gather<T>(first: T, queue: &mut UnboundedReceiver<T>) -> Vec<T> {
    let mut batch = vec![first];
    tokio::task::yield_now().await;
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    batch
}

/// Sends `batch` as one pipeline and hands each command its own answer.
///
/// Only the commands someone still waits for are sent: a delivery whose store deadline
/// has passed was answered 503, and its claim, sent now, would take a lease nobody holds.
/// For the same reason the pipeline is dropped, and what is not yet written never sent,
/// when every caller stops waiting (while redis-rs is still reconnecting, for instance).
async fn send(mut connection: ConnectionManager, batch: Vec<Queued>) {
    let mut pipeline = redis::pipe();
    // Each command's server error is its own answer, not the whole pipeline's.
    pipeline.ignore_errors();
    let mut answers = Vec::with_capacity(batch.len());
    for queued in batch
        .into_iter()
        .filter(|queued| !queued.answer.is_closed())
    {
        pipeline.add_command(queued.command);
        answers.push(queued.answer);
    }
    if answers.is_empty() {
        return;
    }
    let mut query = pin!(pipeline.query_async::<Vec<Value>>(&mut connection));
    let answered = poll_fn(|cx| {
        if let Poll::Ready(answered) = query.as_mut().poll(cx) {
            return Poll::Ready(Some(answered));
        }
        // Wakes when the first caller still waiting stops; then looks at the next.
        if answers
            .iter_mut()
            .all(|answer| answer.poll_closed(cx).is_ready())
        {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await;
    let values = match answered {
        None => return,
        Some(Ok(values)) if values.len() == answers.len() => Ok(values),
        Some(Ok(values)) => Err(RedisError::from((
            ErrorKind::UnexpectedReturnType,
            "Redis answered a pipeline with another number of replies",
            format!("{} commands, {} replies", answers.len(), values.len()),
        ))),
        Some(Err(error)) => Err(error),
    };
    match values {
        // A caller may have stopped waiting since (its store deadline passed): nothing to do.
        Ok(values) => {
            for (answer, value) in answers.into_iter().zip(values) {
                let _ = answer.send(value.extract_error());
            }
        }
        Err(error) => {
            for answer in answers {
                let _ = answer.send(Err(error.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn takes_everything_queued_up_to_the_bound_and_leaves_the_rest() {
        runtime().block_on(async {
            let (queue, mut queued) = unbounded_channel();
            for n in 1..=MAX_BATCH + 10 {
                queue.send(n).unwrap();
            }
            let batch = gather(0, &mut queued).await;
            assert_eq!(batch.len(), MAX_BATCH);
            assert_eq!(batch[..3], [0, 1, 2]);
            let next = queued.recv().await.unwrap();
            let rest = gather(next, &mut queued).await;
            assert_eq!(rest, (MAX_BATCH..=MAX_BATCH + 10).collect::<Vec<_>>());
        });
    }

    #[test]
    fn a_closed_queue_still_gives_up_what_it_holds() {
        runtime().block_on(async {
            let (queue, mut queued) = unbounded_channel();
            queue.send(1).unwrap();
            queue.send(2).unwrap();
            drop(queue);
            assert_eq!(gather(0, &mut queued).await, [0, 1, 2]);
        });
    }

    #[test]
    fn alone_it_is_sent_alone() {
        runtime().block_on(async {
            let (_queue, mut queued) = unbounded_channel::<u8>();
            assert_eq!(gather(7, &mut queued).await, [7]);
        });
    }

    #[test]
    fn tasks_that_are_ready_add_theirs_while_it_yields() {
        runtime().block_on(async {
            let (queue, mut queued) = unbounded_channel();
            let local = tokio::task::LocalSet::new();
            local
                .run_until(async move {
                    for n in 1..=5 {
                        let queue = queue.clone();
                        tokio::task::spawn_local(async move { queue.send(n).unwrap() });
                    }
                    // Nothing is queued yet: the five tasks run only when this one yields.
                    assert_eq!(gather(0, &mut queued).await, [0, 1, 2, 3, 4, 5]);
                })
                .await;
        });
    }

    /// The test Redis, when `POSTAL_HOOKS_TEST_REDIS_URL` names one (as `tests/` reads it).
    fn test_redis() -> Option<String> {
        match std::env::var("POSTAL_HOOKS_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                assert_ne!(
                    std::env::var("POSTAL_HOOKS_REQUIRE_REDIS").as_deref(),
                    Ok("1"),
                    "POSTAL_HOOKS_TEST_REDIS_URL is not set, and POSTAL_HOOKS_REQUIRE_REDIS=1"
                );
                None
            }
        }
    }

    async fn connect(url: String) -> ConnectionManager {
        let client = redis::Client::open(url).unwrap();
        ConnectionManager::new(client).await.unwrap()
    }

    #[test]
    fn a_command_that_fails_fails_alone_in_its_pipeline() {
        let Some(url) = test_redis() else {
            return;
        };
        runtime().block_on(async {
            let pipeline = Pipeline::spawn(connect(url).await);
            let (first, second) = (pipeline.clone(), pipeline.clone());
            let ping = tokio::spawn(async move { first.query(redis::cmd("PING")).await });
            let wrong =
                tokio::spawn(async move { second.query(redis::cmd("NO-SUCH-COMMAND")).await });
            // Both queued before the sending task's yield: one pipeline.
            assert_eq!(
                ping.await.unwrap().unwrap(),
                Value::SimpleString("PONG".to_owned())
            );
            let error = wrong.await.unwrap().unwrap_err();
            assert!(matches!(error.kind(), ErrorKind::Server(_)), "{error:?}");
        });
    }

    /// (Two guards, either enough here: such commands are left out of the pipeline, and a
    /// pipeline nobody waits for is dropped before it is written.)
    #[test]
    fn commands_nobody_waits_for_are_not_sent() {
        let Some(url) = test_redis() else {
            return;
        };
        runtime().block_on(async {
            let mut connection = connect(url).await;
            let key = format!("postal-hooks:test:abandoned:{}", std::process::id());
            let (answer, answered) = oneshot::channel();
            drop(answered);
            let mut command = redis::cmd("SET");
            command.arg(&key).arg("sent").arg("PX").arg(60_000);
            send(connection.clone(), vec![Queued { command, answer }]).await;
            let value: Option<String> = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .unwrap();
            assert_eq!(value, None, "a command whose caller has gone was sent");
        });
    }
}
