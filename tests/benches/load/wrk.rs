//! Running wrk (one thread, pinned to core 0) and reading the `RESULT` line of the script.

use std::time::Duration;

use super::bodies::Script;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub requests: u64,
    pub seconds: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub non_2xx: u64,
    pub socket_errors: u64,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

pub fn run(url: &str, script: &Script, length: Duration, connections: usize) -> Outcome {
    let output = super::processes::pinned(0, "wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{}s", length.as_secs().max(1)),
        ])
        .arg("-s")
        .arg(&script.path)
        .arg(url)
        .output()
        .unwrap_or_else(|error| panic!("cannot run wrk (apt-get install wrk): {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "wrk failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line from wrk:\n{stdout}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    Outcome {
        requests: field("requests"),
        seconds: field("duration_us") as f64 / 1e6,
        p50: Duration::from_micros(field("p50_us")),
        p99: Duration::from_micros(field("p99_us")),
        non_2xx: field("non2xx"),
        socket_errors: field("socket_errors"),
    }
}
