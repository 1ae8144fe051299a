//! One entry of the timeline as the CLI prints it and the dashboard draws it: its kind, its
//! line of text and its stale mark. The timeline itself (`domain::timeline`) stores entries as
//! compact rows (`domain::timeline_rows`) and makes them whole from these types.

use serde::Serialize;

use super::catalog::When;
use super::stale::{Stale, StaleReason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    SessionStarted,
    Commit,
    Decision,
    Insight,
    Blocker,
    Code,
    PendingFinished,
    PendingAdded,
    Handoff,
    SessionEnded,
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::SessionStarted => "started",
            EntryKind::Commit => "commit",
            EntryKind::Decision => "decision",
            EntryKind::Insight => "insight",
            EntryKind::Blocker => "blocker",
            EntryKind::Code => "code",
            EntryKind::PendingFinished => "done",
            EntryKind::PendingAdded => "pending",
            EntryKind::Handoff => "handoff",
            EntryKind::SessionEnded => "ended",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub at: When,
    pub kind: EntryKind,
    pub session_id: Option<String>,
    /// One line: the decision, the goal, the task, the commit subject, the file name…
    pub title: String,
    /// More, when there is more: the reasoning, a priority, a commit hash, a note.
    pub detail: Option<String>,
    /// Files the entry names (decisions: paths in their text; code: its path).
    pub paths: Vec<String>,
    /// Set by [`mark_stale`]: a named file is gone or changed since (boxed: few entries
    /// have one, and a timeline holds 100,000 entries and more).
    pub stale: Option<Box<Stale>>,
}

impl TimelineEntry {
    pub fn is_stale(&self) -> bool {
        self.stale.is_some()
    }

    /// The entry in one line, without its date and kind (what `baton history --timeline`
    /// and the dashboard's timeline show): `abc1234 subject`, `[high] task`,
    /// `decision — why: reasoning`, `goal (1.50 h)`, `title — detail`.
    pub fn text(&self) -> String {
        let title = self.title.as_str();
        let line = match (self.kind, self.detail.as_deref()) {
            (_, None | Some("")) => title.to_string(),
            (EntryKind::Commit, Some(hash)) => format!("{hash} {title}"),
            (EntryKind::PendingAdded, Some(p)) => format!("[{p}] {title}"),
            (EntryKind::Decision, Some(why)) => format!("{title} — why: {why}"),
            (EntryKind::Blocker, Some(fix)) => format!("{title} — solution: {fix}"),
            (EntryKind::SessionEnded, Some(hours)) => format!("{title} ({hours})"),
            (_, Some(d)) => format!("{title} — {d}"),
        };
        if line.contains(['\n', '\r']) {
            line.replace(['\n', '\r'], " ")
        } else {
            line
        }
    }

    /// `stale: src/app.rs changed on 2025-11-18`, `stale: src/gone.rs no longer exists`.
    pub fn stale_note(&self) -> Option<String> {
        self.stale
            .as_ref()
            .map(|s| format!("stale: {}", s.describe()))
    }

    /// The same, short (a row of the dashboard's timeline): `stale: src/app.rs changed
    /// 2025-11-18`, `stale: src/gone.rs missing`.
    pub fn stale_mark(&self) -> Option<String> {
        self.stale.as_ref().map(|s| match &s.reason {
            StaleReason::Missing => format!("stale: {} missing", s.path),
            StaleReason::Changed { at } => {
                format!("stale: {} changed {}", s.path, at.get(..10).unwrap_or(at))
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}
