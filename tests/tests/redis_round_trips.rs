//! Issue 15: how many requests each delivery sends to Redis, read from Redis's own
//! `MONITOR` on a private server, so that a later change cannot add one silently.
//!
//! - a fresh delivery: 2 (the claim, which reads what is done; then the records and the
//!   release in one script);
//! - a retry of a fully handled uuid: 1 (the claim script finds every handler done);
//! - a delivery whose async handler awaits after others succeeded: 3 (those successes are
//!   recorded, in one request, while it waits);
//! - no `PING` or other check per delivery.
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
    fn start(port: u16) -> Monitor {
        let marker = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .unwrap()
            .get_connection()
            .unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_delivery_makes_two_redis_requests_fresh_and_one_repeated() {
    let Some(_) = redis_support::url() else {
        return;
    };
    let redis = redis_support::PrivateRedis::start();
    let store = RedisStore::connect(&redis.url()).await.unwrap();
    // Every handler of `dedupe_support`: three deduplicated, one opted out.
    let dispatcher = Dispatcher::builder()
        .idempotency_store(store)
        .build()
        .unwrap();
    // Loads the scripts into Redis (the first call of each is `EVAL`).
    let warm = fresh("warm-");
    dispatcher.dispatch(&body(&warm)).await.unwrap();
    dispatcher.dispatch(&body(&warm)).await.unwrap();
    let mut monitor = Monitor::start(redis.port);
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
