//! Distinct signed `MessageSent` bodies, as a wrk script that cycles through them.

use std::fmt::Write as _;
use std::path::PathBuf;

use postal_hooks::dedupe::ClaimToken;
use postal_hooks::testing::{self, Signer};

/// A wrk script on disk, removed when dropped.
pub struct Script {
    pub path: PathBuf,
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `count` bodies, each with a uuid no other run uses and signed with the test key, sent
/// with `Connection: close` when `close`.
pub fn script(count: usize, close: bool) -> Script {
    let signer = Signer::test_key();
    // Postal's sample as queued now (inside the server's replay window); its uuid is
    // replaced by a fresh one per body.
    let (sample, sample_uuid) = testing::fresh(testing::sample("MessageSent").unwrap());
    let sample = String::from_utf8(sample).unwrap();
    // Random: uuids never repeat between runs, even runs sharing a Redis.
    let run = ClaimToken::random().as_str().to_owned();
    let mut lua = String::from("local entries = {\n");
    for index in 0..count {
        let body = sample.replace(&sample_uuid, &format!("load-{run}-{index}"));
        let mut headers = signer.sign(body.as_bytes()).headers();
        if close {
            headers.push(("Connection", "close".to_owned()));
        }
        lua.push_str("{ {");
        for (name, value) in headers {
            write!(lua, "[{}]={},", quoted(name), quoted(&value)).unwrap();
        }
        writeln!(lua, "}}, {} }},", quoted(&body)).unwrap();
    }
    lua.push_str(FOOTER);
    let path = std::env::temp_dir().join(format!("postal-hooks-load-{run}.lua"));
    std::fs::write(&path, lua).unwrap();
    Script { path }
}

/// Formats the requests once per wrk thread, hands them out in turn, and prints one
/// `RESULT` line that `wrk.rs` reads (latencies in microseconds).
const FOOTER: &str = r#"}
local requests = {}
local next_request = 0
function init(args)
  for i, entry in ipairs(entries) do
    requests[i] = wrk.format("POST", "/postal/webhook", entry[1], entry[2])
  end
end
function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"#;

/// A Lua string literal: printable ASCII as is, every other byte as `\ddd`.
fn quoted(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('"');
    for byte in text.bytes() {
        match byte {
            b'"' | b'\\' => {
                literal.push('\\');
                literal.push(char::from(byte));
            }
            0x20..=0x7e => literal.push(char::from(byte)),
            _ => write!(literal, "\\{byte:03}").unwrap(),
        }
    }
    literal.push('"');
    literal
}
