//! The load harness (issue 15): the release `axum_server` example driven over loopback by
//! wrk, beside a minimal hand-written receiver (axum + aws-lc-rs verification +
//! `serde_json`, no dedupe) in the same run, and the ratios between them.
//!
//! Each server runs pinned to one core (`taskset -c 1`) and wrk to the other (`-c 0`),
//! with 16 connections and distinct signed `MessageSent` bodies cycled, in two modes:
//! keep-alive, and `Connection: close` (how Postal sends: Net::HTTP opens a connection per
//! delivery, SPEC "Delivery and retries"). The product runs with the in-memory store and
//! with `POSTAL_HOOKS_REDIS_URL` set (a Redis of the harness's own on loopback, or
//! `POSTAL_HOOKS_TEST_REDIS_URL`), and `INFO commandstats` gives Redis commands per delivery.
//! The in-memory product runs once more with `RUST_LOG=warn`, so the cost of its INFO-level
//! tracing (the one line per request, to stdout, here `/dev/null`, and the request,
//! dispatch and handler spans) shows beside the rest.
//!
//! Every server is measured in each of `LOAD_ROUNDS` rounds (default 4), in turn, in
//! reverse order on even rounds (so an even count gives each server each place alike).
//! The table shows each server's run of median throughput; each ratio is taken within a
//! round, its median printed with every round's value. On a shared machine one run's
//! throughput moves from the next by about 10 % keep-alive and over 20 % under
//! `Connection: close`. A default run takes about 10 minutes.
//!
//! A benchmark, never a test: it asserts nothing about speed; it prints.
//!
//! ```text
//! cargo bench -p postal-hooks-tests --bench load
//! LOAD_SECONDS=20 LOAD_BODIES=5000 LOAD_ROUNDS=6 cargo bench -p postal-hooks-tests --bench load
//! ```
//!
//! `LOAD_BASELINE=PATH` adds rows for another build of the example (say, the commit before
//! a change, built with its own `CARGO_TARGET_DIR`), and the ratios after / before.
//!
//! `-- --write-script=PATH` writes a wrk script of `LOAD_BODIES` signed bodies and stops,
//! for profiling a server by hand (`wrk -s PATH http://127.0.0.1:3000/postal/webhook`).
//!
//! Needs `wrk`, `taskset` and (for the Redis rows) `redis-server` on the PATH. It builds
//! the release example itself (`cargo build --release --example axum_server`).

// Harness code: a setup that fails must stop the run, loudly.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod bodies;
mod commandstats;
mod processes;
mod receiver;
mod reference;
mod report;
mod wrk;

use std::time::Duration;

use processes::{Redis, Server};
use receiver::Receiver;
use report::{Row, Table};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(addr) = args
        .iter()
        .find_map(|arg| arg.strip_prefix("--serve-reference=").map(str::to_owned))
    {
        reference::serve(&addr);
        return;
    }
    if let Some(path) = args
        .iter()
        .find_map(|arg| arg.strip_prefix("--write-script="))
    {
        // For profiling by hand: `wrk -s PATH` against a server of your own.
        let script = bodies::script(Settings::from_env().bodies, false);
        std::fs::copy(&script.path, path).unwrap();
        return;
    }
    if args.iter().any(|arg| arg == "--list") {
        return; // `cargo bench -- --list`: there is nothing to list.
    }
    assert!(
        processes::runs("wrk"),
        "wrk is not on the PATH (Debian: apt-get install wrk)"
    );
    let settings = Settings::from_env();
    let product = processes::build_product();
    let redis = Redis::start_or_reuse();
    let mut receivers = vec![
        Receiver::HandWritten,
        Receiver::InMemory,
        Receiver::InMemoryQuiet,
    ];
    if redis.is_some() {
        receivers.push(Receiver::Redis);
    }
    if settings.baseline.is_some() {
        receivers.push(Receiver::BaselineInMemory);
        if redis.is_some() {
            receivers.push(Receiver::BaselineRedis);
        }
    }
    let mut table = Table::default();
    // Rounds interleave the servers, so that a slow spell of the machine falls on all of
    // them alike; each ratio is taken within a round, side by side. Even rounds run the
    // servers in reverse order: what a run leaves behind (under `Connection: close`, some
    // 100k sockets in TIME_WAIT) then weighs on each side in turn. The same server, first
    // or last in its mode, has been measured 20 % apart, in either direction.
    for round in 1..=settings.rounds {
        let mut order = receivers.clone();
        if round % 2 == 0 {
            order.reverse();
        }
        for close in [false, true] {
            let mode = if close {
                "Connection: close"
            } else {
                "keep-alive"
            };
            for receiver in &order {
                // Each server runs alone: started, measured, stopped.
                let (server, uses) = receiver.start(&product, &settings, redis.as_ref());
                let row = measure(&settings, &server, uses, mode, *receiver, close);
                table.push(round, settings.rounds, row);
            }
        }
    }
    table.print(&settings);
}

/// The knobs, from the environment.
pub struct Settings {
    /// `LOAD_SECONDS`: each measured run (default 10).
    pub seconds: u64,
    /// `LOAD_BODIES`: distinct signed bodies per run (default 2000, as in issue 15), cycled:
    /// the first pass is fresh deliveries, the rest retries of handled ones (the table
    /// gives the fresh share). Signing is slow (a few ms per body), so a run of only
    /// fresh deliveries at full rate is out of reach; `tests/redis_round_trips.rs` pins
    /// what a fresh delivery costs in Redis requests.
    pub bodies: usize,
    /// `LOAD_CONNECTIONS`: wrk's connections (default 16).
    pub connections: usize,
    /// `LOAD_ROUNDS`: how many times every server is measured (default 4, at least 1; an
    /// even count balances the order, which even rounds reverse). See the module docs.
    pub rounds: usize,
    /// `LOAD_BASELINE`: another build of the `axum_server` example (an older commit's), to
    /// measure before and after side by side in the same run.
    pub baseline: Option<std::path::PathBuf>,
}

impl Settings {
    fn from_env() -> Self {
        let read = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .map(|value| {
                    value
                        .parse()
                        .unwrap_or_else(|_| panic!("{name}={value}: not a whole number"))
                })
                .unwrap_or(default)
        };
        Settings {
            seconds: read("LOAD_SECONDS", 10),
            bodies: usize::try_from(read("LOAD_BODIES", 2000)).unwrap(),
            connections: usize::try_from(read("LOAD_CONNECTIONS", 16)).unwrap(),
            rounds: match read("LOAD_ROUNDS", 4) {
                0 => panic!("LOAD_ROUNDS=0: needs at least 1 round"),
                rounds => usize::try_from(rounds).unwrap(),
            },
            baseline: std::env::var_os("LOAD_BASELINE").map(Into::into),
        }
    }
}

/// One row: a 1 s warm-up on bodies of its own, then the measured run on fresh ones.
fn measure(
    settings: &Settings,
    server: &Server,
    redis: Option<&Redis>,
    mode: &'static str,
    receiver: Receiver,
    close: bool,
) -> Row {
    let warmup = bodies::script(200, close);
    wrk::run(
        &server.url,
        &warmup,
        Duration::from_secs(1),
        settings.connections,
    );
    let script = bodies::script(settings.bodies, close);
    let before = redis.map(|redis| commandstats::read(&redis.url));
    let redis_pid = redis.and_then(Redis::pid);
    let cpu_before = (
        processes::cpu_time(server.pid()),
        redis_pid.and_then(processes::cpu_time),
    );
    let result = wrk::run(
        &server.url,
        &script,
        Duration::from_secs(settings.seconds),
        settings.connections,
    );
    let commands = redis
        .zip(before)
        .map(|(redis, before)| commandstats::read(&redis.url).since(&before));
    let cpu = |before: Option<std::time::Duration>, pid: Option<u32>| {
        let used = pid.and_then(processes::cpu_time)?.checked_sub(before?)?;
        // Per request, in microseconds.
        Some(used.as_secs_f64() * 1e6 / result.requests.max(1) as f64)
    };
    Row {
        mode,
        receiver,
        result,
        commands,
        server_cpu: cpu(cpu_before.0, Some(server.pid())),
        redis_cpu: cpu(cpu_before.1, redis_pid),
    }
}
