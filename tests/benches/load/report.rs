//! The table and the ratios issue 15 sets as targets: each server's run of median
//! throughput over the rounds, and each ratio taken within every round (both servers
//! measured side by side), then its median.

use super::Settings;
use super::commandstats::Calls;
use super::receiver::Receiver;
use super::wrk::Outcome;

pub struct Row {
    pub mode: &'static str,
    pub receiver: Receiver,
    pub result: Outcome,
    pub commands: Option<Calls>,
    /// The server's CPU time per request, in microseconds (Linux).
    pub server_cpu: Option<f64>,
    /// Redis's, when the harness started it.
    pub redis_cpu: Option<f64>,
}

#[derive(Default)]
pub struct Table {
    /// Each row with its round (from 1).
    rows: Vec<(usize, Row)>,
}

impl Table {
    pub fn push(&mut self, round: usize, rounds: usize, row: Row) {
        eprintln!(
            "round {round}/{rounds}: measured {} / {}: {:.0} req/s",
            row.mode,
            row.receiver.name(),
            row.result.per_second()
        );
        self.rows.push((round, row));
    }

    pub fn print(&self, settings: &Settings) {
        println!(
            "\n{} connections, {} s per run, {} distinct signed MessageSent bodies cycled; servers on core 1, wrk and Redis on core 0; {} round(s). Each row is the server's run of median throughput (for an even count, the slower of the middle two): its p50, p99 and CPU are that run's, so a ratio of two rows' p99 may differ from the ratio's median below, taken round by round.\n",
            settings.connections, settings.seconds, settings.bodies, settings.rounds
        );
        println!(
            "| mode | receiver | req/s | req/s by round | fresh | p50 | p99 | non-2xx | socket errors | server CPU per request | Redis CPU per request | Redis commands per delivery |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for row in self.median_runs() {
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
            let by_round: Vec<String> = self
                .runs(row.mode, row.receiver)
                .map(|(_, run)| format!("{:.0}", run.result.per_second()))
                .collect();
            println!(
                "| {} | {} | {:.0} | {} | {:.0}% | {:.2} ms | {:.2} ms | {non_2xx} | {socket_errors} | {} | {} | {commands} |",
                row.mode,
                row.receiver.name(),
                row.result.per_second(),
                by_round.join(", "),
                fresh * 100.0,
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
                micros(row.server_cpu),
                micros(row.redis_cpu),
            );
        }
        println!(
            "\nRatios, median over the rounds, then each round's (issue 15 targets in brackets):"
        );
        for mode in ["keep-alive", "Connection: close"] {
            let memory = Receiver::InMemory;
            let p99_target = if mode == "keep-alive" { "" } else { "[<= 1.2]" };
            let pairs = [
                (
                    "in-memory / hand-written",
                    memory,
                    Receiver::HandWritten,
                    ("[>= 1.0]", p99_target),
                ),
                (
                    "in-memory, RUST_LOG=warn / hand-written",
                    Receiver::InMemoryQuiet,
                    Receiver::HandWritten,
                    ("", ""),
                ),
                (
                    "Redis / in-memory",
                    Receiver::Redis,
                    memory,
                    ("[>= 0.8]", "[<= 2.0]"),
                ),
                (
                    "in-memory: product / baseline",
                    memory,
                    Receiver::BaselineInMemory,
                    ("", ""),
                ),
                (
                    "Redis: product / baseline",
                    Receiver::Redis,
                    Receiver::BaselineRedis,
                    ("", ""),
                ),
            ];
            for (what, numerator, denominator, (throughput, p99)) in pairs {
                let same_round = self.side_by_side(mode, numerator, denominator);
                let per_round = |of: fn(&Outcome) -> f64| -> Vec<(usize, f64)> {
                    same_round
                        .iter()
                        .map(|(round, a, b)| (*round, of(a) / of(b)))
                        .collect()
                };
                ratio(
                    mode,
                    &format!("{what} throughput"),
                    per_round(Outcome::per_second),
                    throughput,
                );
                ratio(
                    mode,
                    &format!("{what} p99"),
                    per_round(|run| secs(run.p99)),
                    p99,
                );
            }
        }
    }

    /// The runs of one server, round by round.
    fn runs<'a>(
        &'a self,
        mode: &'a str,
        receiver: Receiver,
    ) -> impl Iterator<Item = &'a (usize, Row)> {
        self.rows
            .iter()
            .filter(move |(_, row)| row.mode == mode && row.receiver == receiver)
    }

    /// Each server's run of median throughput (for an even count, the slower of the middle
    /// two), in the order the servers were first run.
    fn median_runs(&self) -> Vec<&Row> {
        let mut servers: Vec<(&str, Receiver)> = Vec::new();
        for (_, row) in &self.rows {
            if !servers.contains(&(row.mode, row.receiver)) {
                servers.push((row.mode, row.receiver));
            }
        }
        servers
            .into_iter()
            .filter_map(|(mode, receiver)| {
                let mut runs: Vec<&Row> = self.runs(mode, receiver).map(|(_, row)| row).collect();
                runs.sort_by(|a, b| a.result.per_second().total_cmp(&b.result.per_second()));
                runs.get(runs.len().saturating_sub(1) / 2).copied()
            })
            .collect()
    }

    /// The two servers' outcomes in each round that measured both, with the round.
    fn side_by_side(&self, mode: &str, a: Receiver, b: Receiver) -> Vec<(usize, Outcome, Outcome)> {
        self.runs(mode, a)
            .filter_map(|(round, run)| {
                let (_, same_round) = self.runs(mode, b).find(|(other, _)| other == round)?;
                Some((*round, run.result, same_round.result))
            })
            .collect()
    }
}

/// `- mode: what = 0.94x (round 1: 0.91, round 2: 0.94, round 3: 0.97) [>= 1.0]`: the
/// median, then each round's; nothing when no round measured both sides.
fn ratio(mode: &str, what: &str, by_round: Vec<(usize, f64)>, target: &str) {
    let mut values: Vec<f64> = by_round.iter().map(|(_, value)| *value).collect();
    values.sort_by(f64::total_cmp);
    let Some(median) = median(&values) else {
        return;
    };
    let rounds: Vec<String> = by_round
        .iter()
        .map(|(round, value)| format!("round {round}: {value:.2}"))
        .collect();
    println!(
        "- {mode}: {what} = {median:.2}x ({}) {target}",
        rounds.join(", ")
    );
}

/// The median of sorted `values` (the mean of the middle two for an even count); `None`
/// for none.
fn median(values: &[f64]) -> Option<f64> {
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        Some((values.get(middle.checked_sub(1)?)? + values.get(middle)?) / 2.0)
    } else {
        values.get(middle).copied()
    }
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
