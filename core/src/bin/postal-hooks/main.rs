//! `postal-hooks`: the command-line tool for developing against Postal's webhooks.
//!
//! ```text
//! cargo install postal-hooks --features cli
//! postal-hooks send --url http://127.0.0.1:3000/postal/webhook --event MessageBounced
//! postal-hooks keys https://postal.example.com/.well-known/jwks.json
//! postal-hooks listen --addr 127.0.0.1:3000 --key https://postal.example.com/.well-known/jwks.json
//! ```
//!
//! Exit status: 0 on success, 1 when the thing checked failed (a non-2xx answer, a
//! signature that does not verify), 2 when the command cannot run (a bad argument, an
//! unreadable file, an unreachable key URL).

/// `println!` for the commands' output, which is often piped: when the reader has gone
/// (`postal-hooks keys … | head -1`), the command stops quietly instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// [`say!`] without the newline.
macro_rules! say_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod inbox;
mod key_source;
mod keys;
mod listen;
mod send;
mod sign;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Send, sign, verify and receive Postal webhooks.
#[derive(Parser)]
#[command(name = "postal-hooks", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a body as Postal does and POST it to a receiver: by default a sample with a
    /// fresh uuid and the current time as its timestamp.
    Send(send::Args),
    /// Print the signature headers Postal would send with a body.
    Sign(sign::Args),
    /// Check a captured request (headers and body files) and say exactly why it fails.
    Verify(verify::Args),
    /// Print Postal's public key(s): KID, size in bits, and PEM.
    Keys(keys::Args),
    /// A verifying receiver on `POST /postal/webhook` that prints each verified event as
    /// one JSON line: the thing to point a real Postal at while developing.
    Listen(listen::Args),
    /// The dead letters of an inbox: list, retry or discard them.
    #[command(subcommand)]
    Inbox(inbox::Command),
}

/// What a command ends with: its exit status, or why it could not run.
type Outcome = Result<ExitCode, String>;

/// `--replay-window`: humantime (at least 40 minutes, Postal's retry span), or `off`.
fn replay_window(text: &str) -> Result<Option<std::time::Duration>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let window = humantime::parse_duration(text)
        .map_err(|error| format!("--replay-window {text:?}: {error}"))?;
    let minimum = postal_hooks::config::MIN_REPLAY_WINDOW;
    if window < minimum {
        return Err(format!(
            "--replay-window {text:?} is shorter than the minimum of {} (Postal retries for about 36 minutes; write off for no window)",
            humantime::format_duration(minimum)
        ));
    }
    Ok(Some(window))
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Send(args) => send::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Listen(args) => listen::run(args),
        Command::Inbox(command) => inbox::run(command),
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })
}
