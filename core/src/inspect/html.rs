//! The inspector's pages: the list (chart, filters, rows) and one delivery's detail. Plain
//! HTML with every value escaped, no script.

use std::fmt::{self, Write as _};

use super::Shared;
use super::filter::Filter;
use super::record::{DeliveryRecord, DeliveryState};
use super::redact;

/// Text escaped for HTML content and attribute values.
pub(super) struct Esc<'a>(pub(super) &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}tr.state-failed td.state,tr.state-dead_lettered td.state{color:#c62828;font-weight:bold}tr.state-ok td.state{color:#2e7d32}code{font-size:12px}form.inline{display:inline}pre{background:#f5f5f5;padding:8px;overflow:auto}.muted{color:#777}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        Esc(title)
    )
}

fn when(record: &DeliveryRecord) -> String {
    humantime::format_rfc3339_seconds(record.received_at).to_string()
}

fn handlers_cell(out: &mut String, record: &DeliveryRecord) {
    for handler in &record.handlers {
        let _ = write!(
            out,
            "<div class=\"handler outcome-{0}\"><code>{1}</code>: {0} in {2:.1} ms",
            handler.outcome.as_str(),
            Esc(&handler.name),
            handler.duration_ms
        );
        if let Some(error) = &handler.error {
            let _ = write!(out, ": <span class=\"error\">{}</span>", Esc(error));
        }
        out.push_str("</div>");
    }
    if let Some(refusal) = &record.refusal {
        let _ = write!(out, "<span class=\"muted\">{}</span>", Esc(refusal));
    }
}

/// The list page.
pub(super) fn list(
    shared: &Shared,
    records: &[DeliveryRecord],
    shown: &[&DeliveryRecord],
    filter: &Filter,
    chart: &str,
) -> String {
    let mount = &shared.mount;
    let mut out = String::new();
    let _ = write!(
        out,
        "<h1>Postal deliveries</h1><p class=\"muted\">{} most recent, newest first. {}</p>",
        records.len(),
        shared.source_note()
    );
    out.push_str(chart);
    let _ = write!(
        out,
        "<form method=\"get\" action=\"{}\" id=\"filters\"><label>Event <select name=\"event\"><option value=\"\">any</option>",
        Esc(mount)
    );
    let mut events: Vec<&str> = records.iter().filter_map(|r| r.event.as_deref()).collect();
    events.sort_unstable();
    events.dedup();
    for event in events {
        let selected = if filter.event.as_deref() == Some(event) {
            " selected"
        } else {
            ""
        };
        let _ = write!(out, "<option{selected}>{}</option>", Esc(event));
    }
    out.push_str("</select></label> <label>Status <select name=\"status\" id=\"status-filter\"><option value=\"\">any</option>");
    for state in ["ok", "failed", "dead_lettered", "queued", "refused"] {
        let selected = if filter.status.as_deref() == Some(state) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{state}\"{selected}>{}</option>",
            state.replace('_', "-")
        );
    }
    let _ = write!(
        out,
        "</select></label> <label>Text <input name=\"q\" id=\"text-filter\" value=\"{}\" placeholder=\"uuid or handler\"></label> <button type=\"submit\" id=\"apply-filters\">Filter</button></form>",
        Esc(filter.text.as_deref().unwrap_or(""))
    );
    out.push_str("<table id=\"deliveries\"><thead><tr><th>received</th><th>event</th><th>uuid</th><th>status</th><th>state</th><th>handlers</th></tr></thead><tbody>");
    for record in shown {
        let _ = write!(
            out,
            "<tr class=\"delivery state-{state}\" data-id=\"{id}\" data-status=\"{status}\" data-state=\"{state}\"><td>{when}</td><td>{event}</td><td><a class=\"detail\" href=\"{mount}/deliveries/{id}\">{uuid}</a></td><td class=\"status\">{status}</td><td class=\"state\">{state}</td><td>",
            state = record.state.as_str(),
            id = Esc(&record.id),
            status = record.status,
            when = when(record),
            event = Esc(record.event.as_deref().unwrap_or("-")),
            mount = Esc(mount),
            uuid = Esc(record.uuid.as_deref().unwrap_or("(refused)")),
        );
        handlers_cell(&mut out, record);
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
    if shown.is_empty() {
        out.push_str("<p id=\"empty\">No delivery matches.</p>");
    }
    page("postal-hooks inspector", &out)
}

/// One delivery.
pub(super) fn detail(shared: &Shared, record: &DeliveryRecord, actions: &[(&str, &str)]) -> String {
    let mount = &shared.mount;
    let mut out = String::new();
    let _ = write!(
        out,
        "<p><a href=\"{}\">&larr; all deliveries</a></p><h1>{} <code>{}</code></h1><table id=\"delivery\">",
        Esc(mount),
        Esc(record.event.as_deref().unwrap_or("refused request")),
        Esc(record.uuid.as_deref().unwrap_or(""))
    );
    let mut row = |name: &str, id: &str, value: &str| {
        let _ = write!(
            out,
            "<tr><th>{name}</th><td id=\"{id}\">{}</td></tr>",
            Esc(value)
        );
    };
    row("received", "received", &when(record));
    row("status", "status", &record.status.to_string());
    row("state", "state", record.state.as_str());
    row("attempts", "attempts", &record.attempts.to_string());
    if let Some(refusal) = &record.refusal {
        row("refusal", "refusal", refusal);
    }
    if shared.show_recipients {
        let (to, subject) = record
            .body()
            .map(redact::recipient_and_subject)
            .unwrap_or_default();
        row("recipient", "recipient", to.as_deref().unwrap_or("-"));
        row("subject", "subject", subject.as_deref().unwrap_or("-"));
    } else {
        row(
            "recipient, subject",
            "redacted",
            "hidden (opt in with show_recipients)",
        );
    }
    out.push_str("</table><h2>Handlers</h2><table id=\"handlers\"><thead><tr><th>handler</th><th>outcome</th><th>duration</th><th>error</th></tr></thead><tbody>");
    for handler in &record.handlers {
        let _ = write!(
            out,
            "<tr class=\"handler outcome-{0}\"><td><code>{1}</code></td><td>{0}</td><td>{2:.3} ms</td><td>{3}</td></tr>",
            handler.outcome.as_str(),
            Esc(&handler.name),
            handler.duration_ms,
            Esc(handler.error.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>");
    for (action, label) in actions {
        let _ = write!(
            out,
            "<form class=\"inline\" method=\"post\" action=\"{}/deliveries/{}/{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" id=\"{action}\">{label}</button></form> ",
            Esc(mount),
            Esc(&record.id),
            Esc(&shared.csrf)
        );
    }
    if shared.show_payload
        && let Some(body) = record.body()
    {
        let _ = write!(
            out,
            "<h2>Payload</h2><pre id=\"payload\">{}</pre>",
            Esc(&redact::payload(body))
        );
    }
    page(
        &format!(
            "{} {}",
            record.event.as_deref().unwrap_or("refused"),
            record.id
        ),
        &out,
    )
}

/// Whether a record's state allows its retry.
pub(super) fn retryable(state: DeliveryState) -> bool {
    matches!(state, DeliveryState::Failed | DeliveryState::DeadLettered)
}
