//! `baton show SESSION|DATE [--format text|json]`: a session as it stood. `DATE`
//! (`YYYY-MM-DD`) shows every session that started or ended that day (UTC), oldest first.
//! An unknown session, or a day without sessions, exits 2.
//!
//! For each session: its dates, goal and counts; the context as of its end (pending work,
//! totals, how many decisions and handoffs existed and the latest of them); the decisions,
//! insights, blockers, code and commits of its time window (commits: those it recorded, and
//! those of the git repository the directory sits in); what it left as next steps; its
//! handoff in full. A decision or code entry naming a file that no longer exists, or that a
//! commit changed after it was made, is marked stale.
//!
//! JSON (`--format json`), a stable shape:
//! ```json
//! {"sessions": [{
//!   "session": {"id", "origin", "started", "ended", "duration_hours", "goal", "counts", "handoff_file"},
//!   "as_of": {"step": 2, "steps": 40, "at": "2025-11-15T10:45:00Z",
//!             "banner": "as of 2025-11-15 10:45 UTC, after session 2025-11-15-001 (3/40)",
//!             "totals": {"sessions": 3, "hours": 4.5},
//!             "pending_source": "archived" | "folded" | "handoff",
//!             "pending": [{"task", "priority", "status"}],
//!             "decisions_so_far": 7, "recent_decisions": [<decision>],
//!             "handoffs_so_far": 3, "recent_handoffs": ["2025-11-15_session_1.md"]},
//!   "handoff": {"file": "2025-11-15_session_1.md", "text": "# Session Handoff …"},
//!   "decisions": [{"decision", "reasoning", "impact", "date", "session_id",
//!                  "stale": null | {"path", "reason": "missing" | "changed", "at"}}],
//!   "insights": ["…"],
//!   "blockers": [{"blocker", "solution", "lesson"}],
//!   "code": [{"path", "note", "date", "stale"}],
//!   "commits": [{"hash", "author", "date", "subject"}],
//!   "files_modified": ["src/app.rs"],
//!   "next_steps": [{"task", "priority", "status"}],
//!   "finished": ["…"]
//! }]}
//! ```
//! `as_of` is null for a running session; `handoff` is null without one, its `text` null
//! when the file is gone. Dates are `YYYY-MM-DD` when only the day is known.

use clap::Args;
use serde::Serialize;

use crate::domain::catalog::Origin;
use crate::domain::ids::validate_id;
use crate::domain::show::{DecisionRow, SessionView};
use crate::domain::stale::Stale;
use crate::store::history::{ShowTarget, session_views};

use super::history::Format;
use super::{CliResult, Env, Failure, print};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A session id (as `baton history` lists them), or a day (YYYY-MM-DD) for every session
    /// of that day
    #[arg(value_name = "SESSION|DATE")]
    pub target: String,
    /// `json` prints {"sessions": [{"session", "as_of", "handoff", "decisions", "insights",
    /// "blockers", "code", "commits", "files_modified", "next_steps", "finished"}]}
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Serialize)]
struct Views<'a> {
    sessions: &'a [SessionView],
}

/// A session id, unless it is only a date and no session has that id.
pub(super) fn target(text: &str) -> Result<Vec<ShowTarget>, Failure> {
    let t = text.trim();
    let day = (t.len() == 10)
        .then(|| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .flatten();
    validate_id(t)
        .map_err(|e| Failure::usage(format!("{e}; give a session id or a date (YYYY-MM-DD)")))?;
    let mut out = vec![ShowTarget::Session(t.to_string())];
    out.extend(day.map(ShowTarget::Day));
    Ok(out)
}

fn stale_note(s: &Option<Stale>) -> String {
    s.as_ref()
        .map(|s| format!("  [stale: {}]", s.describe()))
        .unwrap_or_default()
}

fn decision_line(d: &DecisionRow) -> String {
    let mut out = String::new();
    if let Some(at) = d.date {
        out.push_str(&at.date().to_string());
        out.push_str("  ");
    }
    out.push_str(&d.decision);
    if let Some(r) = &d.reasoning {
        out.push_str(" — why: ");
        out.push_str(r);
    }
    if let Some(i) = &d.impact {
        out.push_str(" → ");
        out.push_str(i);
    }
    out.push_str(&stale_note(&d.stale));
    out
}

fn section<T>(out: &mut String, title: &str, items: &[T], f: impl Fn(&T) -> String) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title}:\n"));
    for i in items {
        out.push_str("  ");
        out.push_str(&f(i).replace('\n', " "));
        out.push('\n');
    }
}

/// The text form of a view.
pub fn render(v: &SessionView) -> String {
    let s = &v.session;
    let mut out = format!("Session {}: {}\n", s.id, s.goal);
    let started = s.started.clone().unwrap_or_else(|| "?".into());
    let ended = match (&s.ended, s.origin) {
        (Some(at), _) => at.clone(),
        (None, Origin::Active) => "running".into(),
        (None, _) => "?".into(),
    };
    out.push_str(&format!(
        "  {started} → {ended}{}  ({})\n",
        s.duration_hours
            .map(|h| format!(", {h} h"))
            .unwrap_or_default(),
        serde_json::to_value(s.origin)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    ));
    match &v.as_of {
        Some(a) => {
            out.push_str(&format!(
                "\nContext {}: {} sessions, {} h; {} decisions; {} handoffs\n",
                a.banner, a.totals.sessions, a.totals.hours, a.decisions_so_far, a.handoffs_so_far
            ));
            section(&mut out, "Pending work then", &a.pending, |p| {
                format!("[{}] {}", p.priority, p.task)
            });
            section(
                &mut out,
                "Latest decisions then",
                &a.recent_decisions,
                decision_line,
            );
            section(&mut out, "Latest handoffs then", &a.recent_handoffs, |h| {
                h.clone()
            });
        }
        None => out.push_str("\nRunning: its context is now (`baton context`).\n"),
    }
    section(&mut out, "Decisions", &v.decisions, decision_line);
    section(&mut out, "Insights", &v.insights, |i| i.clone());
    section(&mut out, "Blockers", &v.blockers, |b| match &b.solution {
        Some(sol) => format!("{} — solution: {sol}", b.blocker),
        None => b.blocker.clone(),
    });
    section(&mut out, "Code", &v.code, |c| {
        format!(
            "{}{}{}",
            c.path,
            c.note
                .as_ref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default(),
            stale_note(&c.stale)
        )
    });
    section(&mut out, "Commits", &v.commits, |c| {
        let short: String = c.hash.chars().take(7).collect();
        format!(
            "{short} {} {} — {}",
            c.date.get(..16).unwrap_or(&c.date),
            c.author,
            c.subject
        )
    });
    section(&mut out, "Files changed", &v.files_modified, |f| f.clone());
    section(&mut out, "Finished", &v.finished, |f| f.clone());
    section(&mut out, "Next steps", &v.next_steps, |p| {
        format!("[{}] {}", p.priority, p.task)
    });
    match &v.handoff {
        Some(h) => match &h.text {
            Some(text) => {
                out.push_str(&format!("\nHandoff ({}):\n\n", h.file));
                out.push_str(text.trim_end());
                out.push('\n');
            }
            None => out.push_str(&format!("\nHandoff {}: the file is gone\n", h.file)),
        },
        None => out.push_str("\nNo handoff.\n"),
    }
    out
}

pub fn run(env: &Env, args: &ShowArgs) -> CliResult {
    // A session with that id first; else, for a date, that day's sessions.
    let views = session_views(&env.store, &target(&args.target)?)?;
    match args.format {
        Format::Json => {
            let mut text =
                serde_json::to_string_pretty(&Views { sessions: &views }).unwrap_or_default();
            text.push('\n');
            print(&text)
        }
        Format::Text => {
            let parts: Vec<String> = views.iter().map(render).collect();
            print(&parts.join("\n────────\n\n"))
        }
    }
}
