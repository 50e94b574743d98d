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

/// `command` (an example, or a shell that runs one) with the test key, the address
/// `127.0.0.1:port`, no replay window (the tests send Postal's captured 2024 bodies), and
/// the settings `envs`, which may override those; every other `POSTAL_HOOKS_*` setting,
/// and `RUST_LOG`, unset.
pub fn server_command(mut command: Command, port: u16, envs: &[(&str, String)]) -> Command {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/samples/keys/test_signing.pub.pem"
    );
    for (name, _) in std::env::vars() {
        if name.starts_with("POSTAL_HOOKS_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .env("POSTAL_PUBLIC_KEY", format!("@{key}"))
        .env("POSTAL_HOOKS_ADDR", format!("127.0.0.1:{port}"))
        .env("POSTAL_HOOKS_REPLAY_WINDOW", "off")
        .envs(envs.iter().map(|(name, value)| (*name, value)));
    command
}

impl Drop for Server {
    /// A server left running by a failed test is stopped with it (by its pid).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
        let envs: Vec<(&str, String)> = redis_url
            .map(|url| ("POSTAL_HOOKS_REDIS_URL", url.to_owned()))
            .into_iter()
            .collect();
        Server::start_with(name, free_port(), &envs)
    }

    /// Starts example `name` on `port` with the test key and the settings `envs` (every
    /// other `POSTAL_HOOKS_*` setting unset).
    pub fn start_with(name: &str, port: u16, envs: &[(&str, String)]) -> Server {
        let mut child = server_command(Command::new(example(name)), port, envs)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
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
    pub fn stop(self) -> Vec<String> {
        self.kill()
    }

    /// Kills the server (`SIGKILL`, by its pid: as a crash would) and returns what it
    /// printed.
    pub fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        self.collect()
    }

    /// Stops the server gracefully (`SIGTERM`, by its pid), and returns what it printed.
    pub fn terminate(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.collect()
    }

    /// Waits for the process and for the last of its output.
    fn collect(&mut self) -> Vec<String> {
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.log) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.log.lock().unwrap().clone()
    }

    /// Waits until the process exits by itself, and returns its exit code and output.
    pub fn wait_exit(mut self) -> (Option<i32>, Vec<String>) {
        let status = self.child.wait().unwrap();
        (status.code(), self.collect())
    }
}

/// A signed MessageSent (Postal's sample, with `uuid` in place of its own), and the
/// headers that sign it with the test key.
pub fn signed(uuid: &str) -> (Vec<u8>, Vec<(&'static str, String)>) {
    use postal_hooks::testing::{self, Signer};
    let sample = String::from_utf8(testing::sample("MessageSent").unwrap().to_vec()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&sample).unwrap();
    let old = value["uuid"].as_str().unwrap();
    let body = sample.replace(old, uuid).into_bytes();
    let headers = Signer::test_key().sign_sha256(&body).headers();
    (body, headers)
}

/// POSTs `body` with `headers` to `url`; the HTTP status answered.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> u16 {
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status().as_u16()
}
