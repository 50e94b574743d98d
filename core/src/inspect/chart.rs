//! The chart: deliveries per minute over the last hour, stacked by state, as an SVG drawn
//! on the server (no JavaScript).

use std::fmt::Write as _;
use std::time::SystemTime;

use super::record::{DeliveryRecord, DeliveryState};

const MINUTES: usize = 60;
const BAR: usize = 12;
const HEIGHT: usize = 120;

/// One stacked series: which states it counts, its colour and its legend.
struct Series {
    counts: fn(DeliveryState) -> bool,
    colour: &'static str,
    name: &'static str,
}

/// The series, bottom to top.
const SERIES: [Series; 3] = [
    Series {
        counts: |state| matches!(state, DeliveryState::Ok | DeliveryState::Queued),
        colour: "#2e7d32",
        name: "ok",
    },
    Series {
        counts: |state| matches!(state, DeliveryState::Failed | DeliveryState::DeadLettered),
        colour: "#c62828",
        name: "failed",
    },
    Series {
        counts: |state| state == DeliveryState::Refused,
        colour: "#757575",
        name: "refused",
    },
];

/// The SVG for `records`, as of `now`.
pub(super) fn svg<'a>(
    records: impl Iterator<Item = &'a DeliveryRecord>,
    now: SystemTime,
) -> String {
    let mut counts = [[0usize; 3]; MINUTES];
    for record in records {
        let Ok(age) = now.duration_since(record.received_at) else {
            continue;
        };
        let minute = (age.as_secs() / 60) as usize;
        if minute >= MINUTES {
            continue;
        }
        let Some(series) = SERIES
            .iter()
            .position(|series| (series.counts)(record.state))
        else {
            continue;
        };
        if let Some(bucket) = counts
            .get_mut(MINUTES - 1 - minute)
            .and_then(|b| b.get_mut(series))
        {
            *bucket += 1;
        }
    }
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let width = MINUTES * BAR + 40;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="chart" width="{width}" height="{}" role="img" aria-label="Deliveries per minute by status, last hour">"#,
        HEIGHT + 40
    );
    let _ = write!(
        out,
        r##"<text x="0" y="12" font-size="11">{max}/min</text>"##
    );
    for (column, minute) in counts.iter().enumerate() {
        let x = 40 + column * BAR;
        let mut top = HEIGHT + 20;
        for (Series { colour, name, .. }, count) in SERIES.iter().zip(minute) {
            if *count == 0 {
                continue;
            }
            let height = (count * HEIGHT).div_ceil(max);
            top = top.saturating_sub(height);
            let ago = MINUTES - 1 - column;
            let _ = write!(
                out,
                r#"<rect class="bar {name}" x="{x}" y="{top}" width="{}" height="{height}" fill="{colour}"><title>{count} {name}, {ago} min ago</title></rect>"#,
                BAR - 2
            );
        }
    }
    let _ = write!(
        out,
        r##"<line x1="40" y1="{0}" x2="{width}" y2="{0}" stroke="#999"/><text x="40" y="{1}" font-size="11">-60 min</text><text x="{2}" y="{1}" font-size="11">now</text>"##,
        HEIGHT + 20,
        HEIGHT + 34,
        width - 24
    );
    for (index, Series { colour, name, .. }) in SERIES.iter().enumerate() {
        let x = 140 + index * 80;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}" font-size="11">{name}</text>"#,
            HEIGHT + 25,
            x + 14,
            HEIGHT + 34
        );
    }
    out.push_str("</svg>");
    out
}
