//! The table and the ratios issue 15 sets as targets.

use super::Settings;
use super::commandstats::Calls;
use super::wrk::Outcome;

pub struct Row {
    pub mode: &'static str,
    pub name: &'static str,
    pub result: Outcome,
    pub commands: Option<Calls>,
    /// The server's CPU time per request, in microseconds (Linux).
    pub server_cpu: Option<f64>,
    /// Redis's, when the harness started it.
    pub redis_cpu: Option<f64>,
}

#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn push(&mut self, row: Row) {
        eprintln!("measured {} / {}", row.mode, row.name);
        self.rows.push(row);
    }

    pub fn print(&self, settings: &Settings) {
        println!(
            "\n{} connections, {} s per run, {} distinct signed MessageSent bodies cycled; servers on core 1, wrk on core 0\n",
            settings.connections, settings.seconds, settings.bodies
        );
        println!(
            "| mode | receiver | req/s | fresh | p50 | p99 | non-2xx | socket errors | server CPU per request | Redis CPU per request | Redis commands per delivery |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for row in &self.rows {
            let Outcome {
                p50,
                p99,
                non_2xx,
                socket_errors,
                requests,
                ..
            } = row.result;
            let commands = row
                .commands
                .as_ref()
                .map_or("-".to_owned(), |calls| per_delivery(calls, requests));
            // The first pass over the bodies is fresh deliveries; the rest are retries.
            let fresh = settings
                .bodies
                .min(usize::try_from(requests).unwrap_or(usize::MAX))
                as f64
                / requests.max(1) as f64;
            println!(
                "| {} | {} | {:.0} | {:.0}% | {:.2} ms | {:.2} ms | {non_2xx} | {socket_errors} | {} | {} | {commands} |",
                row.mode,
                row.name,
                row.result.per_second(),
                fresh * 100.0,
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
                micros(row.server_cpu),
                micros(row.redis_cpu),
            );
        }
        println!("\nRatios (issue 15 targets in brackets):");
        for mode in ["keep-alive", "Connection: close"] {
            let memory = self.find(mode, "product, in-memory");
            let p99_target = if mode == "keep-alive" { "" } else { "[<= 1.2]" };
            let targets = ("[>= 1.0]", p99_target);
            let pairs = [
                (
                    "in-memory / hand-written",
                    memory,
                    self.find(mode, "hand-written"),
                    targets,
                ),
                (
                    "in-memory, RUST_LOG=warn / hand-written",
                    self.find(mode, "product, in-memory, RUST_LOG=warn"),
                    self.find(mode, "hand-written"),
                    ("", ""),
                ),
                (
                    "Redis / in-memory",
                    self.find(mode, "product, Redis"),
                    memory,
                    ("[>= 0.8]", "[<= 2.0]"),
                ),
                (
                    "in-memory: product / baseline",
                    memory,
                    self.find(mode, "baseline, in-memory"),
                    ("", ""),
                ),
                (
                    "Redis: product / baseline",
                    self.find(mode, "product, Redis"),
                    self.find(mode, "baseline, Redis"),
                    ("", ""),
                ),
            ];
            for (what, numerator, denominator, (throughput, p99)) in pairs {
                if let (Some(a), Some(b)) = (numerator, denominator) {
                    ratio(
                        mode,
                        &format!("{what} throughput"),
                        a.per_second() / b.per_second(),
                        throughput,
                    );
                    ratio(mode, &format!("{what} p99"), secs(a.p99) / secs(b.p99), p99);
                }
            }
        }
    }

    fn find(&self, mode: &str, name: &str) -> Option<Outcome> {
        self.rows
            .iter()
            .find(|row| row.mode == mode && row.name == name)
            .map(|row| row.result)
    }
}

fn ratio(mode: &str, what: &str, value: f64, target: &str) {
    println!("- {mode}: {what} = {value:.2}x {target}");
}

fn micros(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |value| format!("{value:.0} µs"))
}

fn secs(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64().max(1e-6)
}

/// `4.00 commands, 1.00 requests in 0.20 reads (evalsha 1.00, set 1.00, ...)`: all
/// commands, the requests, the reads Redis took them in, then each command, per delivery.
fn per_delivery(calls: &Calls, requests: u64) -> String {
    let requests = requests.max(1) as f64;
    let each: Vec<String> = calls
        .commands
        .iter()
        .map(|(name, &count)| format!("{name} {:.2}", count as f64 / requests))
        .collect();
    format!(
        "{:.2} commands, {:.2} requests in {:.2} reads ({})",
        calls.total() as f64 / requests,
        calls.round_trips() as f64 / requests,
        calls.reads as f64 / requests,
        each.join(", ")
    )
}
