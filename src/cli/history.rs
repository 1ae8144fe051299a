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
//!
//! `--timeline`: instead of sessions, one dated timeline of everything, newest first:
//! sessions started and ended, decisions, insights, blockers, code, handoffs, pending work
//! added and finished, the commits sessions recorded and those of the git repository the
//! directory sits in (since the first session started). A decision or code entry naming a
//! file that no longer exists, or that a commit changed after it, is marked stale.
//! `--since`/`--until` keep the entries dated in the range. Text, one line per entry:
//! `2025-11-15 09:40  decision  Split src/app.rs — why: …  · 2025-11-15-001  [stale: src/app.rs changed on 2025-11-18]`
//!
//! JSON (`--timeline --format json`):
//! ```json
//! {"entries": [
//!   {"at": "2025-11-15T09:40:00Z", "kind": "decision", "session_id": "2025-11-15-001",
//!    "title": "Split src/app.rs", "detail": "why", "paths": ["src/app.rs"],
//!    "stale": null | {"path", "reason": "missing" | "changed", "at"}}
//! ]}
//! ```
//! `kind` is one of `session_started`, `commit`, `decision`, `insight`, `blocker`, `code`,
//! `pending_finished`, `pending_added`, `handoff`, `session_ended`; `at` is `YYYY-MM-DD` when
//! only the day is known; `detail` is the reasoning, a commit's short hash, a priority, a
//! duration, a note (or null).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::domain::history::{SessionInfo, SessionRow};
use crate::domain::search::{Bound, DateRange, parse_bound};
use crate::domain::timeline::{Order, TimelineEntry};
use crate::store::history::load_sessions;
use crate::store::timeline::load_timeline;

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
    /// "goal", "counts", "handoff_file"}]}, newest first; with --timeline {"entries": [{"at",
    /// "kind", "session_id", "title", "detail", "paths", "stale"}]}
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// One dated timeline of everything instead of sessions, newest first: sessions started
    /// and ended, decisions, insights, blockers, code, handoffs, pending work added and
    /// finished, git commits of the repository; decisions and code naming a file gone or
    /// changed since are marked stale
    #[arg(long)]
    pub timeline: bool,
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

/// `n` with at least `width` digits (a listing writes 50,000 of them: no formatter).
fn digits(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let i = i.min(buf.len().saturating_sub(width));
    out.extend(buf[i..].iter().map(|b| *b as char));
}

/// `09:00`
fn time_of_day(out: &mut String, t: DateTime<Utc>) {
    digits(out, t.hour().into(), 2);
    out.push(':');
    digits(out, t.minute().into(), 2);
}

/// `2025-11-15 09:00`
fn day_time(out: &mut String, t: DateTime<Utc>) {
    match u64::try_from(t.year()) {
        Ok(y) => digits(out, y, 4),
        Err(_) => {
            let _ = write!(out, "{:04}", t.year());
        }
    }
    out.push('-');
    digits(out, t.month().into(), 2);
    out.push('-');
    digits(out, t.day().into(), 2);
    out.push(' ');
    time_of_day(out, t);
}

/// One line of the text listing, written onto `out` (a listing of 10,000 sessions is one
/// string).
pub fn push_line(out: &mut String, s: &SessionInfo) {
    out.push_str(&s.id);
    out.push_str("  ");
    match (s.started, s.ended) {
        (Some(start), Some(end)) if !end.day_only => {
            day_time(out, start);
            out.push('–');
            if start.date_naive() == end.date() {
                time_of_day(out, end.at);
            } else {
                day_time(out, end.at);
            }
        }
        (Some(start), None) => {
            day_time(out, start);
            out.push_str(" running");
        }
        (None, Some(end)) if end.day_only => {
            out.push_str(&end.to_text());
            out.push_str("      ");
        }
        (_, Some(end)) => day_time(out, end.at),
        (None, None) => out.push_str("undated"),
    }
    out.push_str("  ");
    match s.hours() {
        Some(h) => {
            let _ = write!(out, "{h:.2} h");
        }
        None => out.push('–'),
    }
    out.push_str("  ");
    if s.goal.contains('\n') {
        out.push_str(&s.goal.replace('\n', " "));
    } else {
        out.push_str(&s.goal);
    }
    let c = s.counts;
    let mut first = true;
    let mut count = |out: &mut String, n: usize, one: &str, many: &str| {
        if n == 0 {
            return;
        }
        out.push_str(if first { " · " } else { ", " });
        first = false;
        digits(out, n as u64, 1);
        out.push(' ');
        out.push_str(if n == 1 { one } else { many });
    };
    count(out, c.decisions, "decision", "decisions");
    count(out, c.achievements, "done", "done");
    count(out, c.next_steps, "next", "next");
    count(out, c.blockers, "blocker", "blockers");
    if let Some(f) = &s.handoff_file {
        out.push_str(" · ");
        out.push_str(f);
    }
}

#[derive(Serialize)]
struct Listing {
    sessions: Vec<SessionRow>,
}

/// One line of `--timeline`'s text (see the module's documentation).
pub fn timeline_line(out: &mut String, e: &TimelineEntry) {
    if e.at.day_only {
        out.push_str(&e.at.to_text());
        out.push_str("      ");
    } else {
        day_time(out, e.at.at);
    }
    out.push_str("  ");
    let kind = e.kind.label();
    out.push_str(kind);
    out.extend(std::iter::repeat_n(' ', 10usize.saturating_sub(kind.len())));
    out.push_str(&e.text());
    if let Some(id) = &e.session_id {
        out.push_str("  · ");
        out.push_str(id);
    }
    if let Some(note) = e.stale_note() {
        out.push_str("  [");
        out.push_str(&note);
        out.push(']');
    }
}

#[derive(Serialize)]
struct TimelineJson<S: Serialize> {
    entries: S,
}

fn run_timeline(env: &Env, args: &HistoryArgs, range: &DateRange) -> CliResult {
    let all = load_timeline(&env.store, env.now, Order::NewestFirst)?;
    let rows: Vec<usize> = (0..all.len())
        .filter(|&i| range.contains(all.at(i)))
        .collect();
    match args.format {
        Format::Json => {
            let entries = all.serialize_rows(&rows);
            let mut text =
                serde_json::to_string_pretty(&TimelineJson { entries }).unwrap_or_default();
            text.push('\n');
            print(&text)
        }
        Format::Text if rows.is_empty() => {
            eprintln!(
                "baton: nothing dated{}",
                if range.is_open() {
                    ""
                } else {
                    " in that range"
                }
            );
            Ok(())
        }
        Format::Text => {
            let mut text = String::with_capacity(rows.len() * 100);
            for e in rows.iter().filter_map(|&i| all.entry(i)) {
                timeline_line(&mut text, &e);
                text.push('\n');
            }
            print(&text)
        }
    }
}

pub fn run(env: &Env, args: &HistoryArgs) -> CliResult {
    let range = date_range(args.since.as_deref(), args.until.as_deref())?;
    if args.timeline {
        return run_timeline(env, args, &range);
    }
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
            let mut text = String::with_capacity(sessions.len() * 160);
            for s in sessions {
                push_line(&mut text, s);
                text.push('\n');
            }
            let printed = print(&text);
            // The process ends next: no need to free 10,000 sessions one by one.
            std::mem::forget(history);
            printed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_times_print_as_the_formatter_does() {
        for (n, w) in [
            (0u64, 1),
            (7, 2),
            (42, 2),
            (123, 2),
            (2025, 4),
            (99, 4),
            (u64::MAX, 1),
        ] {
            let mut out = String::new();
            digits(&mut out, n, w);
            assert_eq!(out, format!("{n:0w$}"));
        }
        for (y, m, d, h, min) in [
            (2025, 11, 15, 9, 5),
            (999, 1, 2, 0, 0),
            (12025, 12, 31, 23, 59),
            (-44, 3, 15, 12, 0),
        ] {
            let t = chrono::NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(h, min, 0))
                .unwrap()
                .and_utc();
            let mut out = String::new();
            day_time(&mut out, t);
            let want = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute()
            );
            assert_eq!(out, want);
        }
    }
}
