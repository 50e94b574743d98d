//! Redis commands per delivery, from `INFO commandstats` before and after a run. The counts
//! include the commands the Lua scripts run (`SET`, `SMEMBERS`...) beside the `EVALSHA`
//! that ran them; `EVALSHA` + `EVAL` alone are the round trips.

use std::collections::BTreeMap;

/// Calls per command (`evalsha`, `set`, ...).
#[derive(Debug, Clone, Default)]
pub struct Calls(pub BTreeMap<String, u64>);

pub fn read(url: &str) -> Calls {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_connection().unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut connection)
        .unwrap();
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
    Calls(calls)
}

impl Calls {
    /// What ran between `before` and now, leaving out the harness's own `INFO`.
    pub fn since(&self, before: &Calls) -> Calls {
        let delta = self
            .0
            .iter()
            .filter(|(name, _)| name.as_str() != "info")
            .map(|(name, &now)| (name.clone(), now - before.0.get(name).copied().unwrap_or(0)))
            .filter(|&(_, calls)| calls > 0)
            .collect();
        Calls(delta)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Requests to Redis (scripts count once, whatever they run inside).
    pub fn round_trips(&self) -> u64 {
        self.0
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
