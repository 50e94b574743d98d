//! The processes a run needs, each stopped by its own pid when dropped: the servers under
//! load, pinned to core 1, and a Redis of the harness's own.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `program` under `taskset -c core`, or unpinned where there is no `taskset` or a
/// single core.
pub fn pinned(core: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let has_taskset = Command::new("taskset").arg("--version").output().is_ok();
    if cores < 2 || !has_taskset {
        return Command::new(program);
    }
    let mut command = Command::new("taskset");
    command.args(["-c", &core.to_string()]).arg(program);
    command
}

/// Builds the release `axum_server` example (cargo's own incremental build: quick when it
/// is up to date) and gives its path.
pub fn build_product() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("building the release axum_server example...");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "postal-hooks-examples",
            "--example",
            "axum_server",
        ])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cargo build --release --example axum_server failed"
    );
    // This bench runs from <target>/release/deps/; the example sits in <target>/release/examples/.
    let exe = std::env::current_exe().unwrap();
    let release = exe.parent().and_then(Path::parent).unwrap();
    release.join("examples").join("axum_server")
}

/// A server under load.
pub struct Server {
    pub url: String,
    child: Child,
}

impl Server {
    /// The hand-written reference receiver: this very binary, with `--serve-reference`.
    pub fn reference() -> Server {
        let port = free_port();
        let child = pinned(1, std::env::current_exe().unwrap())
            .arg(format!("--serve-reference=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Server::started(port, child)
    }

    /// The product, configured as a deployment does: from the environment.
    pub fn product(exe: &Path, redis_url: Option<&str>) -> Server {
        let envs: Vec<(&str, String)> = redis_url
            .map(|url| ("POSTAL_HOOKS_REDIS_URL", url.to_owned()))
            .into_iter()
            .collect();
        Server::product_with(exe, &envs)
    }

    /// The product with the settings `envs` (every other `POSTAL_HOOKS_*` unset, and
    /// `RUST_LOG=info`, the examples' default, unless `envs` sets it).
    pub fn product_with(exe: &Path, envs: &[(&str, String)]) -> Server {
        let port = free_port();
        let mut command = pinned(1, exe);
        for (name, _) in std::env::vars() {
            if name.starts_with("POSTAL_HOOKS_") {
                command.env_remove(name);
            }
        }
        command
            .env(
                "POSTAL_PUBLIC_KEY",
                postal_hooks::testing::TEST_PUBLIC_KEY_PEM,
            )
            .env("POSTAL_HOOKS_ADDR", format!("127.0.0.1:{port}"))
            // The examples' default, whatever the caller's: the request line on.
            .env("RUST_LOG", "info")
            .envs(envs.iter().map(|(name, value)| (*name, value)))
            .stdout(Stdio::null());
        Server::started(port, command.spawn().unwrap())
    }

    fn started(port: u16, child: Child) -> Server {
        // The guard first: a server that never listens is still stopped.
        let server = Server {
            url: format!("http://127.0.0.1:{port}/postal/webhook"),
            child,
        };
        wait_for(port);
        server
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Redis of the product's Redis rows.
pub struct Redis {
    pub url: String,
    child: Option<Child>,
}

impl Redis {
    /// `POSTAL_HOOKS_TEST_REDIS_URL` when set, else a `redis-server` of our own on a free
    /// port (no persistence, as a cache-like dedupe Redis is usually run), else `None`:
    /// the Redis rows are left out, and the table says so.
    pub fn start_or_reuse() -> Option<Redis> {
        if let Ok(url) = std::env::var("POSTAL_HOOKS_TEST_REDIS_URL") {
            return Some(Redis { url, child: None });
        }
        if !runs("redis-server") {
            eprintln!("no redis-server on the PATH: the Redis rows are left out");
            return None;
        }
        let port = free_port();
        // On wrk's core: the server's core is the one measured.
        let child = pinned(0, "redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("redis-server did not start: the Redis rows are left out");
            return None;
        };
        let redis = Redis {
            url: format!("redis://127.0.0.1:{port}"),
            child: Some(child),
        };
        wait_for(port);
        Some(redis)
    }
}

impl Redis {
    /// The pid of the Redis the harness started (`None` for one it was given).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether `program --version` runs.
pub fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// CPU time the process `pid` has used so far (user + system), from `/proc` (Linux).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let ticks = cpu_ticks(pid)?;
    Some(Duration::from_secs_f64(ticks as f64 / ticks_per_second()))
}

/// The kernel's clock ticks per second for `/proc` CPU times (`getconf CLK_TCK`; 100 on
/// Linux unless told otherwise).
fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU time the process `pid` has used so far, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
    let (_, rest) = stat.rsplit_once(") ")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
