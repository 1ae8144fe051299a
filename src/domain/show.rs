//! One session as it stood: the context as of its end (pending work, totals, decisions and
//! handoffs so far), its handoff, and the decisions, commits, code, insights and blockers of
//! its time window, with stale marks. What `baton show` prints and the dashboard's session
//! view renders; built from a loaded [`History`] by [`view`] (pure), or by the store for a
//! single session without loading everything (`store::history::session_views`).

use serde::Serialize;

use super::asof::{AsOfIndex, AsOfState, PendingSource};
use super::catalog::When;
use super::history::{DecisionEntry, History, SessionInfo, SessionRow};
use super::items::PendingItem;
use super::notes::{BlockerEntry, CodeEntry, InsightEntry};
use super::session::Commit;
use super::stale::{FileFacts, Stale, paths_in, staleness};

/// How many of the decisions and handoffs before the session are listed (all are counted).
pub const RECENT: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingRow {
    pub task: String,
    pub priority: String,
    pub status: Option<String>,
}

impl From<&PendingItem> for PendingRow {
    fn from(p: &PendingItem) -> Self {
        PendingRow {
            task: p.task.clone(),
            priority: p
                .priority_raw
                .clone()
                .unwrap_or_else(|| p.priority.as_str().to_string()),
            status: p.status.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRow {
    pub decision: String,
    pub reasoning: Option<String>,
    pub impact: Option<String>,
    pub date: Option<When>,
    pub session_id: Option<String>,
    /// A file it names is gone or changed since.
    pub stale: Option<Stale>,
}

impl DecisionRow {
    pub fn new(d: &DecisionEntry) -> DecisionRow {
        let dec = &d.decision;
        DecisionRow {
            decision: dec.decision.clone(),
            reasoning: dec.reasoning.clone(),
            impact: dec.impact.clone(),
            date: d.at,
            session_id: d.session_id.clone(),
            stale: None,
        }
    }

    /// Paths named in the decision, its reasoning and its impact.
    pub fn paths(&self) -> Vec<String> {
        let mut text = self.decision.clone();
        for extra in [&self.reasoning, &self.impact].into_iter().flatten() {
            text.push(' ');
            text.push_str(extra);
        }
        paths_in(&text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeRow {
    pub path: String,
    pub note: Option<String>,
    pub date: Option<When>,
    pub stale: Option<Stale>,
}

impl CodeRow {
    pub fn new(c: &CodeEntry) -> CodeRow {
        CodeRow {
            path: c.path.clone(),
            note: c.note.clone(),
            date: c.at,
            stale: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockerRow {
    pub blocker: String,
    pub solution: Option<String>,
    pub lesson: Option<String>,
}

impl From<&BlockerEntry> for BlockerRow {
    fn from(b: &BlockerEntry) -> Self {
        BlockerRow {
            blocker: b.blocker.clone(),
            solution: b.solution.clone(),
            lesson: b.lesson.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TotalsRow {
    pub sessions: u64,
    pub hours: f64,
}

/// The context as of the session's end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsOfView {
    /// 0-based step among the ended sessions (by end time), and how many there are.
    pub step: usize,
    pub steps: usize,
    pub at: When,
    pub banner: String,
    pub totals: TotalsRow,
    pub pending_source: PendingSource,
    pub pending: Vec<PendingRow>,
    pub decisions_so_far: usize,
    /// The last [`RECENT`] decisions so far, newest first.
    pub recent_decisions: Vec<DecisionRow>,
    pub handoffs_so_far: usize,
    /// The last [`RECENT`] handoff files so far, newest first.
    pub recent_handoffs: Vec<String>,
}

impl AsOfView {
    pub fn new(state: &AsOfState<'_>) -> AsOfView {
        AsOfView {
            step: state.step,
            steps: state.steps,
            at: state.at,
            banner: state.banner(),
            totals: TotalsRow {
                sessions: state.totals.sessions,
                hours: state.totals.hours,
            },
            pending_source: state.pending_source,
            pending: {
                // High priority first, file order within a priority (as the Pending pane).
                let mut items: Vec<&PendingItem> = state.pending.iter().map(|p| &**p).collect();
                items.sort_by_key(|p| p.priority);
                items.into_iter().map(PendingRow::from).collect()
            },
            decisions_so_far: state.decisions.len(),
            recent_decisions: state
                .decisions
                .iter()
                .rev()
                .take(RECENT)
                .map(DecisionRow::new)
                .collect(),
            handoffs_so_far: state.handoffs.len(),
            recent_handoffs: state
                .handoffs
                .iter()
                .rev()
                .take(RECENT)
                .map(|h| h.file.clone())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoffText {
    pub file: String,
    /// `None` when the file is gone.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionView {
    pub session: SessionRow,
    /// `None` for a running session (its context is now: `baton context`).
    pub as_of: Option<AsOfView>,
    pub handoff: Option<HandoffText>,
    pub decisions: Vec<DecisionRow>,
    pub insights: Vec<String>,
    pub blockers: Vec<BlockerRow>,
    pub code: Vec<CodeRow>,
    pub commits: Vec<Commit>,
    /// Files it changed, as recorded when it ended.
    pub files_modified: Vec<String>,
    pub next_steps: Vec<PendingRow>,
    /// Pending work it finished.
    pub finished: Vec<String>,
}

/// Commits of a session: its archived ones, then `more` (e.g. from git) not already there.
pub fn merge_commits(own: &[Commit], more: &[Commit]) -> Vec<Commit> {
    let mut out = own.to_vec();
    for c in more {
        if !out
            .iter()
            .any(|o| o.hash == c.hash || o.hash.starts_with(&c.hash) || c.hash.starts_with(&o.hash))
        {
            out.push(c.clone());
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}

/// The view of `history.sessions[i]`, from a loaded history (the store's
/// `session_views`, which both `baton show` and the dashboard's session view call).
pub fn view(
    history: &History,
    index: &AsOfIndex,
    i: usize,
    handoff_text: Option<String>,
    git_commits: &[Commit],
) -> Option<SessionView> {
    let s: &SessionInfo = history.sessions.get(i)?;
    let as_of = index
        .step_of(history, &s.id)
        .and_then(|step| index.state(history, step))
        .map(|state| AsOfView::new(&state));
    Some(SessionView {
        session: SessionRow::from(s),
        as_of,
        handoff: s.handoff_file.clone().map(|file| HandoffText {
            file,
            text: handoff_text,
        }),
        decisions: history
            .decisions_of(s)
            .into_iter()
            .map(DecisionRow::new)
            .collect(),
        insights: history
            .insights_of(s)
            .into_iter()
            .map(|i: &InsightEntry| i.text.clone())
            .collect(),
        blockers: history
            .blockers_of(s)
            .into_iter()
            .map(BlockerRow::from)
            .collect(),
        code: history.code_of(s).into_iter().map(CodeRow::new).collect(),
        commits: merge_commits(&s.commits, git_commits),
        files_modified: s.files_modified.clone(),
        next_steps: s.next_steps.iter().map(PendingRow::from).collect(),
        finished: s.finished.clone(),
    })
}

impl SessionView {
    /// Every path the view names, with when it was named (for the store's file facts).
    pub fn named_paths(&self) -> Vec<(String, When)> {
        let decisions = self
            .decisions
            .iter()
            .chain(self.as_of.iter().flat_map(|a| a.recent_decisions.iter()));
        let mut out: Vec<(String, When)> = decisions
            .filter_map(|d| Some((d.paths(), d.date?)))
            .flat_map(|(paths, at)| paths.into_iter().map(move |p| (p, at)))
            .collect();
        out.extend(
            self.code
                .iter()
                .filter_map(|c| Some((c.path.clone(), c.date?))),
        );
        out
    }

    /// Marks decisions and code whose named files are gone or changed since.
    pub fn mark_stale(&mut self, facts: &FileFacts) {
        let recent = self
            .as_of
            .iter_mut()
            .flat_map(|a| a.recent_decisions.iter_mut());
        for d in self.decisions.iter_mut().chain(recent) {
            d.stale = staleness(&d.paths(), d.date, facts);
        }
        for c in &mut self.code {
            c.stale = staleness(std::slice::from_ref(&c.path), c.date, facts);
        }
    }
}
