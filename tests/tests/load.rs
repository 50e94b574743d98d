//! A bounded load test over loopback HTTP: a few thousand signed requests, some of them
//! delivered twice at once and some retried later, as Postal does. Handler runs are counted
//! against the events sent: nothing lost, nothing doubled.

mod dedupe_support;
mod redis_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dedupe_support::{body, fresh, runs};
use postal_hooks::dedupe::RedisStore;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};
use tokio::sync::Semaphore;

const EVENTS: usize = 2000;
/// Every fifth event is also delivered a second time, concurrently with the first.
const DUPLICATE_EVERY: usize = 5;
/// Every seventh event is delivered once more after all the others (a late retry).
const RETRY_EVERY: usize = 7;
const CONCURRENCY: usize = 32;

/// A body and the headers Postal would send with it.
type Signed = (Vec<u8>, Vec<(&'static str, String)>);

/// Serves `receiver` with axum on a free loopback port; returns the URL.
async fn serve(receiver: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/postal/webhook", listener.local_addr().unwrap());
    let app = postal_hooks::axum::router("/postal/webhook", receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// POSTs until acknowledged, as Postal retries a non-2xx answer (with a deadline far
/// beyond what a loaded machine needs). Returns the attempts.
async fn post_until_ok(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    for attempt in 1.. {
        let mut request = client.post(url).body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let last = match request.send().await {
            Ok(response) if response.status().as_u16() == 200 => return attempt,
            Ok(response) if [409, 500, 503].contains(&response.status().as_u16()) => {
                let status = response.status();
                format!("{status} {}", response.text().await.unwrap_or_default())
            }
            Ok(response) => panic!("unexpected status {}", response.status()),
            Err(error) => error.to_string(),
        };
        assert!(
            Instant::now() < deadline,
            "never acknowledged after {attempt} attempts; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(5 * attempt.min(20) as u64)).await;
    }
    unreachable!()
}

/// Sends every event (with duplicates and late retries) to `urls` in turn, then checks
/// that each deduplicated handler ran exactly once per event.
async fn run_load(urls: Vec<String>, label: &str) {
    let signer = Signer::test_key();
    let uuids: Vec<String> = (0..EVENTS)
        .map(|i| fresh(if i % 50 == 0 { "slow-" } else { "load-" }))
        .collect();
    let signed: Arc<Vec<Signed>> = Arc::new(
        uuids
            .iter()
            .map(|uuid| {
                let body = body(uuid);
                let headers = signer.sign_sha256(&body).headers();
                (body, headers)
            })
            .collect(),
    );
    let client = reqwest::Client::new();
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let mut requests = 0;
    let mut tasks = tokio::task::JoinSet::new();
    let mut send = |index: usize, copy: usize| {
        let (signed, client, limit) = (signed.clone(), client.clone(), limit.clone());
        let url = urls[(index + copy) % urls.len()].clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let (body, headers) = &signed[index];
            post_until_ok(&client, &url, headers, body).await
        });
    };
    for index in 0..EVENTS {
        send(index, 0);
        if index % DUPLICATE_EVERY == 0 {
            send(index, 1);
        }
    }
    while let Some(attempts) = tasks.join_next().await {
        requests += attempts.unwrap();
    }
    let mut retries = tokio::task::JoinSet::new();
    for index in (0..EVENTS).step_by(RETRY_EVERY) {
        let (signed, client, url) = (
            signed.clone(),
            client.clone(),
            urls[index % urls.len()].clone(),
        );
        retries.spawn(async move {
            let (body, headers) = &signed[index];
            post_until_ok(&client, &url, headers, body).await
        });
    }
    while let Some(attempts) = retries.join_next().await {
        requests += attempts.unwrap();
    }
    let elapsed = started.elapsed();
    let deliveries = EVENTS + EVENTS.div_ceil(DUPLICATE_EVERY) + EVENTS.div_ceil(RETRY_EVERY);
    eprintln!(
        "{label}: {EVENTS} events, {deliveries} acknowledged deliveries, {requests} requests in {elapsed:?} ({:.0} req/s)",
        requests as f64 / elapsed.as_secs_f64()
    );
    let (mut lost, mut doubled) = (Vec::new(), Vec::new());
    for uuid in &uuids {
        for handler in ["counted", "slow", "flaky"] {
            match runs(handler, uuid) {
                0 => lost.push(format!("{handler} {uuid}")),
                1 => {}
                _ => doubled.push(format!("{handler} {uuid}")),
            }
        }
    }
    assert!(
        lost.is_empty() && doubled.is_empty(),
        "{label}: lost {lost:?}, doubled {doubled:?}"
    );
    let every: usize = uuids.iter().map(|uuid| runs("every_delivery", uuid)).sum();
    assert_eq!(
        every, deliveries,
        "{label}: the opted-out handler runs once per acknowledged delivery"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_over_http() {
    let signer = Signer::test_key();
    let receiver = Receiver::new(Dispatcher::builder().build().unwrap(), signer.verifier())
        .with_replay_window(None);
    run_load(vec![serve(receiver).await], "in-memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_over_http_with_two_replicas() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let prefix = fresh("test:load:");
    let signer = Signer::test_key();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let store = RedisStore::connect(&url)
            .await
            .unwrap()
            .with_prefix(prefix.clone());
        let dispatcher = Dispatcher::builder()
            .idempotency_store(store)
            .build()
            .unwrap();
        urls.push(
            serve(Receiver::new(dispatcher, signer.verifier()).with_replay_window(None)).await,
        );
    }
    run_load(urls, "redis, two replicas").await;
}
