//! Redis commands per delivery, from `INFO commandstats` before and after a run. The counts
//! include the commands the Lua scripts run (`SET`, `SMEMBERS`...) beside the `EVALSHA`
//! that ran them; `EVALSHA` + `EVAL` alone are the requests. And Redis's reads from its
//! clients' sockets (`total_reads_processed` in `INFO stats`): fewer reads than requests
//! means requests arrived pipelined, several in one write.

use std::collections::BTreeMap;

/// Calls per command (`evalsha`, `set`, ...), and reads from client sockets.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub commands: BTreeMap<String, u64>,
    pub reads: u64,
}

pub fn read(url: &str) -> Calls {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_connection().unwrap();
    let mut info = |section: &str| -> String {
        redis::cmd("INFO")
            .arg(section)
            .query(&mut connection)
            .unwrap()
    };
    let stats = info("stats");
    let info = info("commandstats");
    // Lines such as `cmdstat_evalsha:calls=12,usec=...`.
    let calls = info
        .lines()
        .filter_map(|line| {
            let (name, fields) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = fields
                .split(',')
                .find_map(|field| field.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect();
    let reads = stats
        .lines()
        .find_map(|line| line.strip_prefix("total_reads_processed:"))
        .and_then(|reads| reads.trim().parse().ok())
        .expect("INFO stats has total_reads_processed (Redis 6 and later)");
    Calls {
        commands: calls,
        reads,
    }
}

impl Calls {
    /// What ran between `before` and now, leaving out the harness's own `INFO`.
    pub fn since(&self, before: &Calls) -> Calls {
        let delta = self
            .commands
            .iter()
            .filter(|(name, _)| name.as_str() != "info")
            .map(|(name, &now)| {
                (
                    name.clone(),
                    now - before.commands.get(name).copied().unwrap_or(0),
                )
            })
            .filter(|&(_, calls)| calls > 0)
            .collect();
        // (The reads include this harness's own few, for INFO: nothing beside a run's.)
        Calls {
            commands: delta,
            reads: self.reads - before.reads,
        }
    }

    pub fn total(&self) -> u64 {
        self.commands.values().sum()
    }

    /// Requests to Redis (scripts count once, whatever they run inside).
    pub fn round_trips(&self) -> u64 {
        self.commands
            .iter()
            .filter(|(name, _)| !SCRIPTED.contains(&name.as_str()))
            .map(|(_, &calls)| calls)
            .sum()
    }
}

/// The commands `RedisStore`'s scripts run: counted by Redis, but not round trips.
const SCRIPTED: &[&str] = &[
    "set",
    "smembers",
    "sismember",
    "sadd",
    "pexpire",
    "get",
    "del",
];
