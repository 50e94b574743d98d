//! The inbox bench (issue 12), against the release `axum_server` example pinned to one
//! core, with this process as the client:
//!
//! - **throughput**: fresh signed `MessageSent` deliveries, each sent once over 16
//!   keep-alive connections, with the handlers run inline and with the embedded inbox
//!   (`POSTAL_HOOKS_INBOX`, the workers on the same core); acknowledged deliveries per
//!   second, and the ratio;
//! - **acknowledgement latency**: the `notify_crm` handler calling a downstream that takes
//!   9.8 s to answer (a handler of about 10 s, within `notify_crm`'s 10 s timeout); with the inbox, 1000 deliveries (1000 workers, so all run at once),
//!   each acknowledged before its handler runs; inline, for contrast, a few waves of 16,
//!   each answered only once its handler has finished.
//!
//! Every delivery is sent exactly once (wrk cycles a fixed set of bodies, and a repeat of
//! a handled uuid costs less than a fresh one), over hyper's client.
//!
//! A benchmark, never a test: it asserts nothing about speed; it prints.
//!
//! ```text
//! cargo bench -p postal-hooks-tests --bench inbox
//! INBOX_BODIES=60000 cargo bench -p postal-hooks-tests --bench inbox
//! INBOX_LATENCY=0 cargo bench -p postal-hooks-tests --bench inbox   # throughput only
//! ```

// Harness code: a setup that fails must stop the run, loudly.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    dead_code
)]

#[path = "../load/processes.rs"]
mod processes;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postal_hooks::testing::{self, Signer};
use processes::Server;

/// Paired throughput rounds.
const ROUNDS: usize = 3;

/// A signed delivery: its body and headers.
type Delivery = (Vec<u8>, Vec<(&'static str, String)>);

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let bodies: usize = std::env::var("INBOX_BODIES")
        .ok()
        .map_or(30_000, |n| n.parse().expect("INBOX_BODIES: a number"));
    let product = processes::build_product();
    // The client on core 0, the server on core 1 (`processes::pinned`), as in the load
    // harness; unpinned where there is no taskset.
    let _ = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", "0", &std::process::id().to_string()])
        .stdout(std::process::Stdio::null())
        .status();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let deliveries = sign(bodies);
    println!(
        "\n## Throughput: {bodies} fresh deliveries, 16 keep-alive connections, server on one core\n"
    );
    println!("| round | mode | acknowledged/s | p50 | p99 |");
    println!("|---|---|---|---|---|");
    // Alternated, so that a drift of the machine's speed touches both sides alike. The
    // same bodies are fresh for each: every run is a new process with a new inbox.
    let mut ratios = Vec::new();
    for round in 1..=ROUNDS {
        let mut rates = Vec::new();
        for (mode, inbox) in [("inline", false), ("embedded inbox", true)] {
            let dir = std::env::temp_dir().join(format!(
                "postal-hooks-bench-inbox-{}-{round}",
                std::process::id()
            ));
            let mut envs = Vec::new();
            if inbox {
                envs.push(("POSTAL_HOOKS_INBOX", dir.display().to_string()));
            }
            let server = Server::product_with(&product, &envs);
            let result = runtime.block_on(drive(&server.url, &deliveries, 16));
            drop(server);
            let _ = std::fs::remove_dir_all(&dir);
            let rate = deliveries.len() as f64 / result.elapsed.as_secs_f64();
            println!(
                "| {round} | {mode} | {rate:.0} | {:.2} ms | {:.2} ms |",
                ms(result.percentile(50.0)),
                ms(result.percentile(99.0))
            );
            rates.push(rate);
        }
        ratios.push(rates[1] / rates[0]);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "\nembedded inbox / inline, per round: {}; median {:.2}x",
        ratios
            .iter()
            .map(|r| format!("{r:.2}x"))
            .collect::<Vec<_>>()
            .join(", "),
        ratios[ratios.len() / 2]
    );

    if std::env::var("INBOX_LATENCY").as_deref() == Ok("0") {
        return; // throughput only, for a quicker rerun
    }
    println!("\n## Acknowledgement latency: a handler that takes 10 s (notify_crm)\n");
    // 9.8 s: the handler then takes about 10 s, within notify_crm's own 10 s timeout.
    let downstream = runtime.block_on(Downstream::start(Duration::from_millis(9800)));
    println!("| mode | deliveries | p50 | p99 | max | every handler ran after |");
    println!("|---|---|---|---|---|---|");
    let latency_bodies = sign(1000);
    for (mode, inbox, count) in [("embedded inbox", true, 1000), ("inline", false, 48)] {
        let dir =
            std::env::temp_dir().join(format!("postal-hooks-bench-ack-{}", std::process::id()));
        let mut envs = vec![("POSTAL_HOOKS_EXAMPLE_CRM_URL", downstream.url.clone())];
        if inbox {
            envs.push(("POSTAL_HOOKS_INBOX", dir.display().to_string()));
            envs.push(("POSTAL_HOOKS_WORKERS", "1000".to_owned()));
        }
        let server = Server::product_with(&product, &envs);
        let before = downstream.answered.load(Ordering::SeqCst);
        let started = Instant::now();
        let result = runtime.block_on(drive(&server.url, &latency_bodies[..count], 16));
        let deadline = Instant::now() + Duration::from_secs(120);
        while downstream.answered.load(Ordering::SeqCst) - before < count {
            assert!(Instant::now() < deadline, "not every handler ran");
            std::thread::sleep(Duration::from_millis(10));
        }
        let all_ran = started.elapsed();
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "| {mode} | {count} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} s |",
            ms(result.percentile(50.0)),
            ms(result.percentile(99.0)),
            ms(result.percentile(100.0)),
            all_ran.as_secs_f64()
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// `count` MessageSent bodies with fresh uuids, signed with the test key.
fn sign(count: usize) -> Vec<Delivery> {
    let signer = Signer::test_key();
    // Postal's sample as queued now (inside the server's replay window).
    let (sample, old) = testing::fresh(testing::sample("MessageSent").unwrap());
    let sample = String::from_utf8(sample).unwrap();
    let run = postal_hooks::dedupe::ClaimToken::random();
    (0..count)
        .map(|index| {
            let body = sample
                .replace(&old, &format!("bench-{}-{index}", run.as_str()))
                .into_bytes();
            let headers = signer.sign_sha256(&body).headers();
            (body, headers)
        })
        .collect()
}

/// Latencies of one drive, and its wall time.
struct Drive {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Drive {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let index = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

/// Sends each delivery once over `connections` keep-alive HTTP/1.1 connections (hyper's
/// client, a request at a time per connection); every answer must be 2xx.
async fn drive(url: &str, deliveries: &[Delivery], connections: usize) -> Drive {
    let uri: hyper::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let deliveries: Arc<Vec<Delivery>> = Arc::new(deliveries.to_vec());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (next, deliveries, uri) = (next.clone(), deliveries.clone(), uri.clone());
        let authority = authority.clone();
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some((body, headers)) = deliveries.get(index) else {
                    return latencies;
                };
                let mut request = hyper::Request::post(uri.path()).header("host", &authority);
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                let request = request
                    .body(String::from_utf8(body.clone()).unwrap())
                    .unwrap();
                sender.ready().await.unwrap();
                let sent = Instant::now();
                let response = sender.send_request(request).await.unwrap();
                let status = response.status();
                let _ = http_body_util::BodyExt::collect(response.into_body()).await;
                assert!(status.is_success(), "{status}");
                latencies.push(sent.elapsed());
            }
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done.unwrap());
    }
    Drive {
        elapsed: started.elapsed(),
        latencies,
    }
}

/// The downstream `notify_crm` calls: answers 200 after `delay`.
struct Downstream {
    url: String,
    answered: Arc<AtomicUsize>,
}

impl Downstream {
    async fn start(delay: Duration) -> Downstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/crm", listener.local_addr().unwrap());
        let answered = Arc::new(AtomicUsize::new(0));
        let counter = answered.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let counter = counter.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |_request| {
                        let counter = counter.clone();
                        async move {
                            tokio::time::sleep(delay).await;
                            counter.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, Infallible>(hyper::Response::new(String::new()))
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Downstream { url, answered }
    }
}
