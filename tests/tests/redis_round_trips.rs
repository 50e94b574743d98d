//! Issue 15: how many requests each delivery sends to Redis, read from Redis's own
//! `MONITOR` on a private server, so that a later change cannot add one silently.
//!
//! - a fresh delivery: 2 (the claim, which reads what is done; then the records and the
//!   release in one script);
//! - a retry of a fully handled uuid: 1 (the claim script finds every handler done);
//! - a delivery whose async handler awaits after others succeeded: 3 (those successes are
//!   recorded, in one request, while it waits);
//! - no `PING` or other check per delivery;
//! - concurrent deliveries share their writes: their requests reach Redis pipelined, many
//!   in one read (`total_reads_processed` in `INFO stats`);
//! - a script Redis no longer has (`NOSCRIPT`) costs one refusal and one `SCRIPT LOAD`.
//!
//! `MONITOR` shows the commands a script runs as coming from `lua`; only the requests
//! from clients are counted.

mod dedupe_support;
mod redis_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use dedupe_support::{body, fresh, runs};
use postal_hooks::Dispatcher;
use postal_hooks::dedupe::RedisStore;

/// A `MONITOR` connection to the Redis on `port`, and a connection of its own that marks
/// where a step ends. (Made before `MONITOR` starts, so its own setup commands, such as
/// redis-rs's `CLIENT SETINFO` on Redis 7.2 and later, are not seen.)
struct Monitor {
    marker: redis::Connection,
    lines: BufReader<TcpStream>,
}

impl Monitor {
    fn start(redis: &redis_support::PrivateRedis) -> Monitor {
        let marker = connection(redis);
        let mut stream = TcpStream::connect(("127.0.0.1", redis.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(b"MONITOR\r\n").unwrap();
        let mut lines = BufReader::new(stream);
        let mut ok = String::new();
        lines.read_line(&mut ok).unwrap();
        assert_eq!(ok.trim_end(), "+OK");
        Monitor { marker, lines }
    }

    /// The commands clients sent since the last call (names only, scripts' own left out),
    /// up to an `ECHO` of a marker sent now.
    fn requests(&mut self) -> Vec<String> {
        let marker = fresh("marker-");
        let _: String = redis::cmd("ECHO")
            .arg(&marker)
            .query(&mut self.marker)
            .unwrap();
        let mut requests = Vec::new();
        loop {
            let mut line = String::new();
            self.lines.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "MONITOR ended");
            if line.contains(&marker) {
                return requests;
            }
            // `+1700000000.123456 [0 127.0.0.1:51234] "EVALSHA" "..."`, or `[0 lua]`.
            let Some((source, command)) = line.split_once("] ") else {
                continue;
            };
            if source.ends_with(" lua") {
                continue;
            }
            let name = command.split('"').nth(1).unwrap_or_default();
            requests.push(name.to_uppercase());
        }
    }
}

/// A connection of the test's own to `redis`.
fn connection(redis: &redis_support::PrivateRedis) -> redis::Connection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

/// A Redis of the test's own, when there is a test Redis, and a dispatcher with every
/// handler of `dedupe_support` (three deduplicated, one opted out) on it, whose scripts it
/// has loaded (on first use Redis refuses each with `NOSCRIPT`, then the store loads it),
/// so that what follows counts deliveries alone.
async fn warmed() -> Option<(redis_support::PrivateRedis, Dispatcher)> {
    redis_support::url()?;
    let redis = redis_support::PrivateRedis::start();
    let store = RedisStore::connect(&redis.url()).await.unwrap();
    let dispatcher = Dispatcher::builder()
        .idempotency_store(store)
        .build()
        .unwrap();
    let warm = fresh("warm-");
    dispatcher.dispatch(&body(&warm)).await.unwrap();
    dispatcher.dispatch(&body(&warm)).await.unwrap();
    Some((redis, dispatcher))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_delivery_makes_two_redis_requests_fresh_and_one_repeated() {
    let Some((redis, dispatcher)) = warmed().await else {
        return;
    };
    let mut monitor = Monitor::start(&redis);
    assert_eq!(monitor.requests(), Vec::<String>::new());

    let uuid = fresh("trips-");
    let fresh_delivery = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(fresh_delivery.http_status(), 200, "{fresh_delivery}");
    assert_eq!(
        monitor.requests(),
        ["EVALSHA", "EVALSHA"],
        "a fresh delivery"
    );

    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(monitor.requests(), ["EVALSHA"], "a retry of a handled uuid");
    assert_eq!(
        (runs("counted", &uuid), runs("every_delivery", &uuid)),
        (1, 2)
    );

    // `flaky` fails the first time: claim, then records and release together; the retry
    // claims (one handler is left), runs `flaky`, records it and releases.
    let uuid = fresh("flaky-");
    let failed = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(failed.http_status(), 500, "{failed}");
    assert_eq!(
        monitor.requests(),
        ["EVALSHA", "EVALSHA"],
        "a failed delivery"
    );
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(monitor.requests(), ["EVALSHA", "EVALSHA"], "its retry");

    // A handler that awaits (`slow` sleeps 50 ms for `slow-` uuids): the two successes
    // before it (`counted`, `flaky`) are recorded while it waits, in one request, so a
    // crash during the wait does not forget them; then its record and the release.
    let uuid = fresh("slow-");
    let waited = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(waited.http_status(), 200, "{waited}");
    assert_eq!(
        monitor.requests(),
        ["EVALSHA", "EVALSHA", "EVALSHA"],
        "a delivery with a handler that awaits"
    );
}

/// Redis's reads from its clients' sockets so far (`total_reads_processed`).
fn reads(connection: &mut redis::Connection) -> u64 {
    let stats: String = redis::cmd("INFO").arg("stats").query(connection).unwrap();
    stats
        .lines()
        .find_map(|line| line.strip_prefix("total_reads_processed:"))
        .and_then(|reads| reads.trim().parse().ok())
        .expect("INFO stats has total_reads_processed (Redis 6 and later)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn concurrent_deliveries_share_their_writes_to_redis() {
    let Some((redis, dispatcher)) = warmed().await else {
        return;
    };
    let mut stats = connection(&redis);
    let before = reads(&mut stats);

    // 32 deliveries at once, on this one thread: each makes 2 requests (the claim, then
    // the records and the release), 64 in all.
    const DELIVERIES: usize = 32;
    let uuids: Vec<String> = (0..DELIVERIES).map(|_| fresh("together-")).collect();
    let mut deliveries = tokio::task::JoinSet::new();
    for uuid in &uuids {
        let (dispatcher, body) = (dispatcher.clone(), body(uuid));
        deliveries.spawn(async move { dispatcher.dispatch(&body).await.unwrap() });
    }
    while let Some(report) = deliveries.join_next().await {
        let report = report.unwrap();
        assert_eq!(report.http_status(), 200, "{report}");
    }
    for uuid in &uuids {
        assert_eq!(runs("counted", uuid), 1, "{uuid}");
    }

    // Sent one by one, the 64 requests would take 64 reads; pipelined, they take a few
    // (and this count includes the `INFO` that reads it).
    let read = reads(&mut stats) - before;
    assert!(
        read <= 8,
        "{DELIVERIES} concurrent deliveries took {read} reads of Redis for {} requests",
        2 * DELIVERIES
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_redis_no_longer_has_is_loaded_again() {
    let Some((redis, dispatcher)) = warmed().await else {
        return;
    };
    // As after a Redis restart without persistence, or a `SCRIPT FLUSH` by an operator.
    let mut admin = connection(&redis);
    let _: String = redis::cmd("SCRIPT").arg("FLUSH").query(&mut admin).unwrap();
    let mut monitor = Monitor::start(&redis);

    let uuid = fresh("flushed-");
    let report = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(report.http_status(), 200, "{report}");
    assert_eq!(runs("counted", &uuid), 1);
    // Each script is refused once (`NOSCRIPT`), loaded, and asked again.
    assert_eq!(
        monitor.requests(),
        [
            "EVALSHA", "SCRIPT", "EVALSHA", "EVALSHA", "SCRIPT", "EVALSHA"
        ]
    );
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(
        monitor.requests(),
        ["EVALSHA"],
        "once loaded, one request again"
    );
}
