//! Helpers shared by the example tests.

// Test code: a failed step must stop the test, loudly.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every server example: each serves `POST /postal/webhook` from the environment.
pub const SERVER_EXAMPLES: [&str; 4] = [
    "axum_server",
    "actix_server",
    "hyper_server",
    "blocking_server",
];

/// The built binary of example `name`, next to this test's own binary.
///
/// `cargo test` builds every example of this package before it runs the tests.
pub fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/servers-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the examples)",
        path.display()
    );
    path
}

/// An example server running as a program, with what it prints collected.
pub struct Server {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// `http://127.0.0.1:<port>/postal/webhook`.
    pub url: String,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl Server {
    /// Starts example `name` on a free loopback port with the test key.
    pub fn start(name: &str, redis_url: Option<&str>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let key = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../core/samples/keys/test_signing.pub.pem"
        );
        let mut command = Command::new(example(name));
        command
            .env("POSTAL_PUBLIC_KEY", format!("@{key}"))
            .env("POSTAL_HOOKS_ADDR", format!("127.0.0.1:{port}"))
            .env_remove("POSTAL_HOOKS_REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = redis_url {
            command.env("POSTAL_HOOKS_REDIS_URL", url);
        }
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = BufReader::new(child.stdout.take().unwrap());
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{name} did not start: {:?}",
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            child,
            log,
            url: format!("http://127.0.0.1:{port}/postal/webhook"),
            addr: format!("127.0.0.1:{port}"),
        }
    }

    /// What it printed so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Stops the server and returns what it printed.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        self.log.lock().unwrap().clone()
    }
}
