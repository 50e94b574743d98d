//! The server examples in inbox mode (`POSTAL_HOOKS_INBOX`), run as the programs they are:
//! killed with SIGKILL mid-flood and restarted, through a downstream outage, as two
//! replicas on one Redis, and on an inbox path they cannot use.
//!
//! Handler runs are counted from what the servers print: each handler prints one
//! `handled event=… uuid=… handler=…` line per successful run.

// Test code: a failed step must stop the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/downstream.rs"]
mod downstream;
#[path = "../../tests/tests/redis_support/private.rs"]
mod private_redis;

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Server, example, free_port, server_command};
use downstream::{Downstream, Mode};
use postal_hooks::inbox::{Inbox, InboxSettings};
use postal_hooks::testing::{self, Signer};

/// A signed delivery: its uuid, body and headers.
type Signed = (String, Vec<u8>, Vec<(&'static str, String)>);

/// The MessageSent sample under `count` fresh uuids, each signed like Postal.
fn signed_bodies(test: &str, count: usize) -> Vec<Signed> {
    let signer = Signer::test_key();
    let sample = String::from_utf8(testing::sample("MessageSent").unwrap().to_vec()).unwrap();
    let old: serde_json::Value = serde_json::from_str(&sample).unwrap();
    let old = old["uuid"].as_str().unwrap().to_owned();
    let run = RandomState::new().hash_one(std::process::id());
    (0..count)
        .map(|index| {
            let uuid = format!("{test}-{run:x}-{index}");
            let body = sample.replace(&old, &uuid).into_bytes();
            let headers = signer.sign_sha256(&body).headers();
            (uuid, body, headers)
        })
        .collect()
}

/// `handled` lines per (uuid, handler), from one run's output.
fn runs(log: &[String]) -> HashMap<(String, String), usize> {
    let mut runs = HashMap::new();
    for line in log {
        let Some(rest) = line.strip_prefix("handled ") else {
            continue;
        };
        let field = |name: &str| {
            rest.split(' ')
                .find_map(|part| part.strip_prefix(name))
                .unwrap_or_default()
                .to_owned()
        };
        *runs.entry((field("uuid="), field("handler="))).or_default() += 1;
    }
    runs
}

/// Posts every body until each has a 2xx, `concurrency` at a time; a refused or failed
/// request is sent again (as Postal retries). Returns when all are acknowledged.
async fn flood(
    url: Arc<Mutex<String>>,
    bodies: Arc<Vec<Signed>>,
    concurrency: usize,
    acknowledged: Arc<Mutex<HashSet<String>>>,
) {
    let queue: Arc<Mutex<VecDeque<usize>>> = Arc::new(Mutex::new((0..bodies.len()).collect()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (queue, bodies, client) = (queue.clone(), bodies.clone(), client.clone());
        let (url, acknowledged) = (url.clone(), acknowledged.clone());
        senders.spawn(async move {
            loop {
                let Some(index) = queue.lock().unwrap().pop_front() else {
                    return;
                };
                let (uuid, body, headers) = &bodies[index];
                let target = url.lock().unwrap().clone();
                let mut request = client.post(target).body(body.clone());
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        acknowledged.lock().unwrap().insert(uuid.clone());
                    }
                    _ => {
                        queue.lock().unwrap().push_back(index);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        });
    }
    while senders.join_next().await.is_some() {}
}

/// Runs `server` (restarted after each kill) under a flood of `count` distinct signed
/// events, SIGKILLs it three times at random points of the flood, then checks from the
/// output of every run that each acknowledged event had each handler run to success, and
/// exactly once, except where a kill cut a delivery between a handler's return and the
/// record of its success: that handler runs again after the restart (at least once at a
/// crash, as in any queue), for at most one delivery per worker per kill.
async fn crash_test(test: &str, envs: Vec<(&'static str, String)>) {
    const COUNT: usize = 2000;
    const WORKERS: usize = 4;
    let mut envs = envs;
    envs.push(("POSTAL_HOOKS_WORKERS", WORKERS.to_string()));
    let port = free_port();
    let bodies = Arc::new(signed_bodies(test, COUNT));
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let url = Arc::new(Mutex::new(format!(
        "http://127.0.0.1:{port}/postal/webhook"
    )));
    let start = {
        let envs = envs.clone();
        move || Server::start_with("axum_server", port, &envs)
    };
    let mut server = tokio::task::spawn_blocking(start.clone()).await.unwrap();
    let sending = tokio::spawn(flood(url, bodies.clone(), 16, acknowledged.clone()));

    // Three kill points, random within the flood.
    let seed = RandomState::new().hash_one(test);
    let mut kill_at: Vec<usize> = (0..3u64)
        .map(|k| 200 + (seed.rotate_left(17 * k as u32) % 1600) as usize)
        .collect();
    kill_at.sort_unstable();
    println!("{test}: SIGKILL after {kill_at:?} acknowledgements");
    let mut logs: Vec<Vec<String>> = Vec::new();
    for threshold in kill_at {
        while acknowledged.lock().unwrap().len() < threshold {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        logs.push(server.kill());
        server = tokio::task::spawn_blocking(start.clone()).await.unwrap();
    }
    sending.await.unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), COUNT);

    // Every acknowledged event reaches both of its handlers.
    let handlers = ["track_delivery", "log_event"];
    let everything_ran = |logs: &[Vec<String>], current: &[String]| {
        let mut seen: HashSet<(String, String)> = HashSet::new();
        for log in logs.iter().map(Vec::as_slice).chain([current]) {
            seen.extend(runs(log).into_keys());
        }
        acknowledged.iter().all(|uuid| {
            handlers
                .iter()
                .all(|handler| seen.contains(&(uuid.clone(), (*handler).to_owned())))
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !everything_ran(&logs, &server.log()) {
        assert!(
            Instant::now() < deadline,
            "{test}: not every acknowledged event was handled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    logs.push(
        tokio::task::spawn_blocking(move || server.terminate())
            .await
            .unwrap(),
    );

    // Each (uuid, handler): the runs (process lifetimes) whose output shows it.
    let mut seen_in: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (run, log) in logs.iter().enumerate() {
        for (key, n) in runs(log) {
            assert_eq!(
                n,
                1,
                "{test}: {key:?} ran to success twice in one process (run {run} of {})",
                logs.len()
            );
            seen_in.entry(key).or_default().push(run);
        }
    }
    for uuid in &acknowledged {
        for handler in handlers {
            assert!(
                seen_in.contains_key(&(uuid.clone(), handler.to_owned())),
                "{uuid} {handler} lost"
            );
        }
    }
    // A handler runs again only when its process was killed after the handler returned
    // and before its success was recorded: at most one delivery per worker per kill.
    let last = logs.len() - 1;
    let mut rerun_per_kill: HashMap<usize, HashSet<&String>> = HashMap::new();
    for ((uuid, handler), seen) in &seen_in {
        if seen.len() == 1 {
            continue;
        }
        assert_eq!(
            seen.len(),
            2,
            "{test}: {uuid} {handler} ran in runs {seen:?}"
        );
        assert!(
            seen[0] < last,
            "{test}: {uuid} {handler} ran again after a graceful stop"
        );
        rerun_per_kill.entry(seen[0]).or_default().insert(uuid);
    }
    let reruns: usize = rerun_per_kill.values().map(HashSet::len).sum();
    for (run, uuids) in &rerun_per_kill {
        assert!(
            uuids.len() <= WORKERS,
            "{test}: {} deliveries ran again after kill {run}, more than the {WORKERS} in flight: {uuids:?}",
            uuids.len()
        );
    }
    println!(
        "{test}: {} events acknowledged, each handled; {reruns} in flight at a kill ran again (bound: {WORKERS} per kill)",
        acknowledged.len()
    );
    assert!(
        logs.last().unwrap().iter().any(|line| line == "stopped"),
        "graceful stop"
    );
}

fn temp_dir(test: &str) -> std::path::PathBuf {
    let run = RandomState::new().hash_one(test);
    std::env::temp_dir().join(format!(
        "postal-hooks-{test}-{}-{run:x}",
        std::process::id()
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_flood_loses_nothing_embedded() {
    let dir = temp_dir("crash-embedded");
    crash_test(
        "crash-embedded",
        vec![("POSTAL_HOOKS_INBOX", dir.display().to_string())],
    )
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The Redis URL for the tests, or `None` (skip).
fn redis_url() -> Option<String> {
    match std::env::var("POSTAL_HOOKS_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("POSTAL_HOOKS_REQUIRE_REDIS").as_deref() == Ok("1") => {
            panic!("POSTAL_HOOKS_TEST_REDIS_URL is not set, and POSTAL_HOOKS_REQUIRE_REDIS=1")
        }
        _ => {
            eprintln!("skipped: set POSTAL_HOOKS_TEST_REDIS_URL to run the Redis inbox tests");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_flood_loses_nothing_redis() {
    if redis_url().is_none() {
        return;
    }
    // A Redis of its own that fsyncs every write (appendfsync always), as a deployment
    // that needs acknowledged deliveries to survive a crash of Redis too would run it.
    let redis = private_redis::PrivateRedis::start();
    crash_test(
        "crash-redis",
        vec![
            ("POSTAL_HOOKS_INBOX", "redis".to_owned()),
            ("POSTAL_HOOKS_REDIS_URL", redis.url()),
            // A killed process's deliveries are taken over by the next after this.
            ("POSTAL_HOOKS_INBOX_LEASE", "1s".to_owned()),
        ],
    )
    .await;
}

/// Sends each body once, and asserts every one is acknowledged.
async fn send_all(url: &str, bodies: &[Signed]) {
    let client = reqwest::Client::new();
    for (uuid, body, headers) in bodies {
        let mut request = client.post(url).body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(
            (status.as_u16(), text.as_str()),
            (200, "ok: queued"),
            "{uuid}"
        );
    }
}

/// Polls the server's output until `done` holds for it, or fails after `limit`.
async fn wait_for_output(
    server: &Server,
    limit: Duration,
    what: &str,
    done: impl Fn(&[String]) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(&server.log()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits up to `limit` until `notify_crm` succeeded for every body, stops the server
/// (SIGTERM), and checks that each of the three handlers ran exactly once per body.
async fn finish_outage(server: Server, bodies: &[Signed], limit: Duration) {
    let uuids: Vec<&String> = bodies.iter().map(|(uuid, _, _)| uuid).collect();
    wait_for_output(&server, limit, "every notify_crm success", |log| {
        let runs = runs(log);
        uuids
            .iter()
            .all(|uuid| runs.contains_key(&((*uuid).clone(), "notify_crm".to_owned())))
    })
    .await;
    let log = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    let runs = runs(&log);
    for uuid in uuids {
        for handler in ["track_delivery", "log_event", "notify_crm"] {
            assert_eq!(
                runs.get(&(uuid.clone(), handler.to_owned())),
                Some(&1),
                "{uuid} {handler}"
            );
        }
    }
}

/// The compressed retry schedule of the outage tests: first retry after 50 ms, doubling;
/// dead-lettered when still failing after 30 s.
fn outage_settings(crm: &Downstream) -> Vec<(&'static str, String)> {
    vec![
        ("POSTAL_HOOKS_EXAMPLE_CRM_URL", crm.url.clone()),
        ("POSTAL_HOOKS_RETRY_BACKOFF", "50ms".to_owned()),
        ("POSTAL_HOOKS_RETRY_MAX_AGE", "30s".to_owned()),
    ]
}

/// A downstream down for 10 s: every delivery is retried until it is back, then handled
/// exactly once; nothing is dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_second_outage_is_ridden_out() {
    let crm = Downstream::start(Mode::Down);
    let dir = temp_dir("outage");
    let mut envs = outage_settings(&crm);
    envs.push(("POSTAL_HOOKS_INBOX", dir.display().to_string()));
    let server =
        tokio::task::spawn_blocking(move || Server::start_with("axum_server", free_port(), &envs))
            .await
            .unwrap();
    let bodies = signed_bodies("outage", 20);
    send_all(&server.url, &bodies).await;
    let down_since = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    for (uuid, _, _) in &bodies {
        assert!(
            crm.answers(uuid).len() >= 3,
            "{uuid}: retried while down: {:?}",
            crm.answers(uuid)
        );
    }
    crm.set(Mode::Up);
    finish_outage(server, &bodies, Duration::from_secs(40)).await;
    println!(
        "outage: recovered {:?} after the downstream went down",
        down_since.elapsed()
    );
    for (uuid, _, _) in &bodies {
        let answers = crm.answers(uuid);
        assert_eq!(answers.last(), Some(&200), "{uuid}");
        assert_eq!(answers.iter().filter(|&&status| status == 200).count(), 1);
    }
    let inbox = Inbox::open(&dir, InboxSettings::default()).unwrap();
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead_letters), (0, 0));
    drop(inbox);
    let _ = std::fs::remove_dir_all(dir);
}

/// A downstream down for longer than the maximum age: the deliveries are dead-lettered
/// with their errors; retried from the dead letters (through the API, from another
/// process on the same Redis inbox) once it is back, each runs exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_past_the_maximum_age_dead_letters_then_retries() {
    let Some(url) = redis_url() else { return };
    let crm = Downstream::start(Mode::Down);
    let prefix = format!(
        "test:inbox:long-outage:{:x}",
        RandomState::new().hash_one(1)
    );
    let mut envs = outage_settings(&crm);
    envs.extend([
        ("POSTAL_HOOKS_INBOX", "redis".to_owned()),
        ("POSTAL_HOOKS_REDIS_URL", url.clone()),
        ("POSTAL_HOOKS_INBOX_PREFIX", prefix.clone()),
    ]);
    let server =
        tokio::task::spawn_blocking(move || Server::start_with("axum_server", free_port(), &envs))
            .await
            .unwrap();
    let bodies = signed_bodies("long-outage", 10);
    send_all(&server.url, &bodies).await;
    let inbox = Inbox::connect_redis(&url, InboxSettings::default().key_prefix(prefix))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while inbox.stats().await.unwrap().dead_letters < 10 {
        assert!(
            Instant::now() < deadline,
            "not dead-lettered: {:?}",
            inbox.stats().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let dead = inbox.dead_letters(100).await.unwrap();
    for letter in &dead {
        assert!(
            letter.reason.contains("past the maximum age of 30s"),
            "{letter:?}"
        );
        assert_eq!(letter.errors.len(), 1, "{letter:?}");
        assert_eq!(letter.errors[0].handler, "notify_crm");
        assert!(
            letter.errors[0]
                .error
                .ends_with("answered 500 Internal Server Error"),
            "{letter:?}"
        );
    }
    crm.set(Mode::Up);
    for (uuid, _, _) in &bodies {
        assert!(inbox.retry_dead_letter(uuid).await.unwrap(), "{uuid}");
    }
    finish_outage(server, &bodies, Duration::from_secs(30)).await;
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead_letters), (0, 0));
}

/// Two replicas on one Redis inbox: the one running a delivery's handler is SIGKILLed
/// inside it; the other takes the delivery over after the lease and finishes it, each
/// handler exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_inside_a_handler_is_taken_over() {
    let Some(url) = redis_url() else { return };
    let crm = Downstream::start(Mode::Hang);
    let prefix = format!("test:inbox:replicas:{:x}", RandomState::new().hash_one(2));
    let envs = vec![
        ("POSTAL_HOOKS_EXAMPLE_CRM_URL", crm.url.clone()),
        ("POSTAL_HOOKS_INBOX", "redis".to_owned()),
        ("POSTAL_HOOKS_REDIS_URL", url),
        ("POSTAL_HOOKS_INBOX_PREFIX", prefix),
        ("POSTAL_HOOKS_INBOX_LEASE", "2s".to_owned()),
    ];
    let start = move || Server::start_with("axum_server", free_port(), &envs);
    let first = tokio::task::spawn_blocking(start.clone()).await.unwrap();
    let bodies = signed_bodies("replicas", 1);
    let uuid = bodies[0].0.clone();
    send_all(&first.url, &bodies).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while crm.answers(&uuid).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first replica never called the CRM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = tokio::task::spawn_blocking(start).await.unwrap();
    let killed_log = tokio::task::spawn_blocking(move || first.kill())
        .await
        .unwrap();
    let killed_at = Instant::now();
    crm.set(Mode::Up);
    wait_for_output(
        &second,
        Duration::from_secs(20),
        "the second replica to finish it",
        |log| runs(log).contains_key(&(uuid.clone(), "notify_crm".to_owned())),
    )
    .await;
    println!(
        "replicas: taken over {:?} after the kill (lease 2s)",
        killed_at.elapsed()
    );
    let second_log = tokio::task::spawn_blocking(move || second.terminate())
        .await
        .unwrap();
    let (killed, finished) = (runs(&killed_log), runs(&second_log));
    for handler in ["track_delivery", "log_event"] {
        let key = (uuid.clone(), handler.to_owned());
        assert_eq!(
            killed.get(&key),
            Some(&1),
            "{handler} ran on the first replica"
        );
        assert_eq!(
            finished.get(&key),
            None,
            "{handler} not again on the second"
        );
    }
    let crm_key = (uuid.clone(), "notify_crm".to_owned());
    assert_eq!(killed.get(&crm_key), None, "killed inside notify_crm");
    assert_eq!(
        finished.get(&crm_key),
        Some(&1),
        "finished by the second replica"
    );
}

/// An inbox path that cannot be used, or a disk that is full at startup: a clear error
/// and a non-zero exit, before listening.
#[test]
fn unusable_inbox_paths_stop_the_server() {
    // Under a regular file: the directory cannot be created.
    let file = temp_dir("not-a-dir");
    std::fs::write(&file, b"a file").unwrap();
    let inbox = file.join("inbox").display().to_string();
    let output = server_command(
        Command::new(example("axum_server")),
        free_port(),
        &[("POSTAL_HOOKS_INBOX", inbox.clone())],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: cannot open the inbox at {inbox}: Not a directory"
        )),
        "{stderr}"
    );
    let _ = std::fs::remove_file(file);

    // A full disk: no byte may be written (the file size limit at 0, its signal ignored,
    // so writes fail with EFBIG as they would with ENOSPC).
    let dir = temp_dir("full-disk");
    let shell = Command::new("sh");
    let mut command = server_command(
        shell,
        free_port(),
        &[("POSTAL_HOOKS_INBOX", dir.display().to_string())],
    );
    command
        .args(["-c", "trap '' XFSZ; ulimit -f 0; exec \"$0\""])
        .arg(example("axum_server"));
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: cannot open the inbox at"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("listening on"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}
