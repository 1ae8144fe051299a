//! `baton history [--since DATE] [--until DATE] [--format text|json]`: every session,
//! newest first (by when it ended; running sessions by when they started).
//!
//! Dates are `YYYY-MM-DD` (that whole day, UTC) or RFC 3339 times; both ends inclusive. A
//! session is in the range when its end (or, while running, its start) is. A date that does
//! not parse exits 2 with what is expected.
//!
//! Text (stdout), one line per session:
//! `2025-11-15-001  2025-11-15 09:00–10:45  1.75 h  Goal  · 2 decisions, 3 done, 1 next · 2025-11-15_session_1.md`
//!
//! JSON (`--format json`), a stable shape:
//! ```json
//! {"sessions": [
//!   {"id": "2025-11-15-001", "origin": "archive", "started": "2025-11-15T09:00:00Z",
//!    "ended": "2025-11-15T10:45:00Z", "duration_hours": 1.75, "goal": "…",
//!    "counts": {"decisions": 2, "achievements": 3, "insights": 1, "blockers": 0,
//!               "next_steps": 1, "code": 1},
//!    "handoff_file": "2025-11-15_session_1.md"}
//! ]}
//! ```
//! `origin` is `archive` (ended with baton), `active` (running: `ended` is null), `current`
//! (the seed's `CURRENT_SESSION.json`) or `handoff` (known only from a handoff file: `ended`
//! is its date, `YYYY-MM-DD`, or its modification time; `started` null). Missing values are
//! null.

use chrono::{DateTime, Datelike, Timelike, Utc};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::domain::history::{SessionInfo, SessionRow};
use crate::domain::search::{Bound, DateRange, parse_bound};
use crate::store::history::load_sessions;

use super::{CliResult, Env, Failure, print};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only sessions that ended on or after this date (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only sessions that ended on or before this date (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// `json` prints {"sessions": [{"id", "origin", "started", "ended", "duration_hours",
    /// "goal", "counts", "handoff_file"}]}, newest first
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `--since`/`--until` as a range; a bad date or an empty range is a usage error.
pub fn date_range(since: Option<&str>, until: Option<&str>) -> Result<DateRange, Failure> {
    let bound = |flag: &str, v: Option<&str>| -> Result<Option<Bound>, Failure> {
        v.map(|t| parse_bound(t).map_err(|e| Failure::usage(format!("--{flag}: {e}"))))
            .transpose()
    };
    let range = DateRange {
        since: bound("since", since)?,
        until: bound("until", until)?,
    };
    let start = |b: Bound| match b {
        Bound::Day(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        Bound::At(t) => Some(t),
    };
    let end = |b: Bound| match b {
        Bound::Day(d) => d.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
        Bound::At(t) => Some(t),
    };
    if let (Some(s), Some(u)) = (range.since, range.until)
        && start(s) > end(u)
    {
        return Err(Failure::usage("--since is after --until"));
    }
    Ok(range)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn day_time(t: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn time_of_day(t: DateTime<Utc>) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// One line of the text listing.
pub fn line(s: &SessionInfo) -> String {
    let when = match (s.started, s.ended) {
        (Some(start), Some(end)) if !end.day_only => {
            if start.date_naive() == end.date() {
                format!("{}–{}", day_time(start), time_of_day(end.at))
            } else {
                format!("{}–{}", day_time(start), day_time(end.at))
            }
        }
        (Some(start), None) => format!("{} running", day_time(start)),
        (None, Some(end)) if end.day_only => format!("{}      ", end.to_text()),
        (_, Some(end)) => day_time(end.at),
        (None, None) => "undated".to_string(),
    };
    let hours = s
        .hours()
        .map(|h| format!("{h:.2} h"))
        .unwrap_or_else(|| "–".to_string());
    let c = s.counts;
    let mut counts = Vec::new();
    if c.decisions > 0 {
        counts.push(plural(c.decisions, "decision", "decisions"));
    }
    if c.achievements > 0 {
        counts.push(format!("{} done", c.achievements));
    }
    if c.next_steps > 0 {
        counts.push(format!("{} next", c.next_steps));
    }
    if c.blockers > 0 {
        counts.push(plural(c.blockers, "blocker", "blockers"));
    }
    let mut out = format!("{}  {when}  {hours}  {}", s.id, s.goal.replace('\n', " "));
    if !counts.is_empty() {
        out.push_str(" · ");
        out.push_str(&counts.join(", "));
    }
    if let Some(f) = &s.handoff_file {
        out.push_str(" · ");
        out.push_str(f);
    }
    out
}

#[derive(Serialize)]
struct Listing {
    sessions: Vec<SessionRow>,
}

pub fn run(env: &Env, args: &HistoryArgs) -> CliResult {
    let range = date_range(args.since.as_deref(), args.until.as_deref())?;
    let history = load_sessions(&env.store)?;
    let sessions = history.listing(&range);
    match args.format {
        Format::Json => {
            let listing = Listing {
                sessions: sessions.iter().map(|s| SessionRow::from(*s)).collect(),
            };
            let mut text = serde_json::to_string_pretty(&listing).unwrap_or_default();
            text.push('\n');
            print(&text)
        }
        Format::Text => {
            if sessions.is_empty() {
                eprintln!(
                    "baton: no sessions{}",
                    if range.is_open() {
                        ""
                    } else {
                        " in that range"
                    }
                );
                return Ok(());
            }
            let mut text = String::with_capacity(sessions.len() * 120);
            for s in sessions {
                text.push_str(&line(s));
                text.push('\n');
            }
            print(&text)
        }
    }
}
