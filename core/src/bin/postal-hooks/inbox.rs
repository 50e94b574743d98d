//! `postal-hooks inbox list | retry | discard`: an inbox's dead letters, from the command
//! line. The embedded inbox is locked by the process that serves it: stop the server
//! first (or use the inspector's actions). A Redis inbox can be used while replicas run.

use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use postal_hooks::inbox::{Inbox, InboxSettings};

use crate::Outcome;

/// Where the inbox is.
#[derive(clap::Args)]
pub struct Location {
    /// The inbox: its directory (as `POSTAL_HOOKS_INBOX`), or `redis`.
    #[arg(long, env = "POSTAL_HOOKS_INBOX")]
    inbox: String,
    /// With `--inbox redis`: the Redis URL.
    #[arg(long, env = "POSTAL_HOOKS_REDIS_URL")]
    redis_url: Option<String>,
    /// With `--inbox redis`: the inbox's key prefix, if not the default.
    #[arg(long, env = "POSTAL_HOOKS_INBOX_PREFIX")]
    prefix: Option<String>,
    /// The server's `POSTAL_HOOKS_RETRY_MAX_AGE` (humantime): how long a retried dead
    /// letter is retried again before it is dead-lettered anew.
    #[arg(long, env = "POSTAL_HOOKS_RETRY_MAX_AGE", default_value = "72h")]
    retry_max_age: humantime::Duration,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the dead letters, newest first, with each failing handler's last error.
    List {
        #[command(flatten)]
        location: Location,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Give a dead letter back to the workers: only its failed handlers run again.
    Retry {
        #[command(flatten)]
        location: Location,
        /// The delivery's uuid.
        uuid: String,
    },
    /// Drop a dead letter for good.
    Discard {
        #[command(flatten)]
        location: Location,
        /// The delivery's uuid.
        uuid: String,
    },
}

pub fn run(command: Command) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(async {
        match command {
            Command::List { location, limit } => list(&open(&location).await?, limit).await,
            Command::Retry { location, uuid } => {
                let inbox = open(&location).await?;
                let done = inbox
                    .retry_dead_letter(&uuid)
                    .await
                    .map_err(|e| e.to_string())?;
                settle(
                    done,
                    &format!("retried {uuid}: its failed handlers run again"),
                    &uuid,
                )
            }
            Command::Discard { location, uuid } => {
                let inbox = open(&location).await?;
                let done = inbox
                    .discard_dead_letter(&uuid)
                    .await
                    .map_err(|e| e.to_string())?;
                settle(done, &format!("discarded {uuid}"), &uuid)
            }
        }
    })
}

async fn open(location: &Location) -> Result<Inbox, String> {
    let mut settings = InboxSettings::default().retry_max_age(*location.retry_max_age);
    if let Some(prefix) = &location.prefix {
        settings = settings.key_prefix(prefix);
    }
    match (location.inbox.trim(), &location.redis_url) {
        ("redis", Some(url)) => Inbox::connect_redis(url, settings).await,
        ("redis", None) => {
            return Err("--inbox redis needs --redis-url (or POSTAL_HOOKS_REDIS_URL)".to_owned());
        }
        (path, _) => {
            // Opening creates a missing inbox: a mistyped path would list nothing.
            let file = std::path::Path::new(path).join("inbox.sqlite3");
            if !file.is_file() {
                return Err(format!("no inbox at {path} (no {} there)", file.display()));
            }
            Inbox::open(path, settings)
        }
    }
    .map_err(|error| error.to_string())
}

async fn list(inbox: &Inbox, limit: usize) -> Outcome {
    let letters = inbox
        .dead_letters(limit)
        .await
        .map_err(|error| error.to_string())?;
    if letters.is_empty() {
        say!("no dead letters");
    }
    for letter in letters {
        let dead_at = letter
            .dead_at
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        say!(
            "{} {} attempts={} dead_at={} reason={}",
            letter.uuid,
            letter.event,
            letter.attempts,
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(dead_at.as_secs())),
            letter.reason
        );
        for failure in letter.errors {
            say!("  {}: {}", failure.handler, failure.error);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn settle(done: bool, said: &str, uuid: &str) -> Outcome {
    if done {
        say!("{said}");
        Ok(ExitCode::SUCCESS)
    } else {
        say!("{uuid} is not a dead letter");
        Ok(ExitCode::FAILURE)
    }
}
