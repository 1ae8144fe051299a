//! Time travel: the directory as it stood right after any ended session.
//!
//! An [`AsOfIndex`] is built once per load from a [`History`] (linear time) and then answers
//! in O(1) per step (`state`, `prev`, `next`, `step_of_session`) or O(log n) per time
//! (`step_at`), borrowing from the history: nothing is copied per step, so the dashboard can
//! step with `[`/`]` and redraw every frame.
//!
//! The steps are the ended sessions in order of their **end** (parallel sessions that ended
//! out of order are stepped through by end time). At each step:
//! - **pending work** is the session's archived as-of state (what the knowledge base held
//!   right after it was merged); for sessions archived without one it is folded: the
//!   previous step's list, minus what the session finished, plus its next steps (as the
//!   merge does); for sessions known only from a handoff (directories made by hand), it is
//!   the handoff's Pending Items;
//! - **decisions so far** are those of sessions ended by then, and those dated on or before
//!   that day; undated decisions of no known session are never in the past (only "now");
//! - **handoffs that existed** are those of sessions ended by then and those dated (by name,
//!   else modification time) by then;
//! - **totals** are the archived ones, else counted (one session more, its hours added).

use std::borrow::Cow;
use std::collections::HashMap;

use super::fast_hash::{FxBuildHasher, FxHashMap};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::catalog::{Origin, When};
use super::history::{DecisionEntry, HandoffInfo, History, SessionInfo, pending_from_text};
use super::items::PendingItem;
use super::knowledge::{Knowledge, Totals};
use super::notes::InsightEntry;
use super::search::session_key;
use super::session::SessionRecord;

/// Where a step's pending work comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PendingSource {
    /// The session's archive recorded it.
    Archived,
    /// Folded from earlier steps and the session's record.
    Folded,
    /// The session's handoff listed it.
    Handoff,
}

#[derive(Debug, Clone, PartialEq)]
enum PendingAt {
    /// `history.sessions[i].as_of.pending`.
    Archived(usize),
    /// `history.sessions[i].handoff_pending` as items, made the first time it is asked
    /// for (a seed directory has thousands of handoffs, each listing the same items again).
    Handoff(usize, OnceLock<Vec<Arc<PendingItem>>>),
    /// Folded from the step before, the first time it is asked for.
    Fold(OnceLock<Vec<Arc<PendingItem>>>),
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    /// Index into `history.sessions`.
    session: usize,
    at: When,
    pending: PendingAt,
    source: PendingSource,
    totals: Totals,
    decisions: usize,
    insights: usize,
    handoffs: usize,
}

/// Steps through the past; see the module documentation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AsOfIndex {
    steps: Vec<Step>,
    /// Session key (see `search::session_key`) → step.
    by_session: FxHashMap<u64, usize>,
}

/// The directory as it stood after one step. Everything borrows from the history.
#[derive(Debug, Clone, PartialEq)]
pub struct AsOfState<'a> {
    /// 0-based step, and how many there are.
    pub step: usize,
    pub steps: usize,
    /// The session this step is the end of.
    pub session: &'a SessionInfo,
    /// When the step is (the session's end).
    pub at: When,
    /// Shared with the history (and, item by item, with the steps that hold the same item).
    pub pending: &'a [Arc<PendingItem>],
    pub pending_source: PendingSource,
    /// Oldest first (the newest are at the end).
    pub decisions: &'a [DecisionEntry],
    pub insights: &'a [InsightEntry],
    /// Oldest first.
    pub handoffs: &'a [HandoffInfo],
    pub totals: Totals,
}

impl AsOfState<'_> {
    /// The banner: "as of 2025-11-15 12:00 UTC, after session 2025-11-15-001 (3/40)".
    pub fn banner(&self) -> String {
        let when = if self.at.day_only {
            self.at.date().format("%Y-%m-%d").to_string()
        } else {
            self.at.at.format("%Y-%m-%d %H:%M UTC").to_string()
        };
        format!(
            "as of {when}, after session {} ({}/{})",
            self.session.id,
            self.step + 1,
            self.steps
        )
    }
}

fn priority_list(mut items: Vec<PendingItem>) -> Vec<Arc<PendingItem>> {
    items.sort_by_key(|i| i.priority);
    items.into_iter().map(Arc::new).collect()
}

/// The Pending Items of a session known from its handoff.
fn handoff_list(s: &SessionInfo) -> Vec<Arc<PendingItem>> {
    priority_list(
        s.handoff_pending
            .iter()
            .map(|t| pending_from_text(t))
            .collect(),
    )
}

/// Pending work after `s`, folded from `prev` as the knowledge-base merge would.
fn fold(prev: &[Arc<PendingItem>], s: &SessionInfo) -> Vec<Arc<PendingItem>> {
    let mut k = Knowledge::new(Map::from_iter([(
        "pending_work".to_string(),
        Value::Array(prev.iter().map(|p| p.to_value()).collect()),
    )]));
    let record = SessionRecord {
        session_id: s.id.clone(),
        ended_at: s.ended.map(|w| w.to_text()),
        completed: s.finished.clone(),
        next_steps: s.next_steps.clone(),
        ..SessionRecord::default()
    };
    k.merge_session(&record);
    k.pending().into_iter().map(Arc::new).collect()
}

impl AsOfIndex {
    /// Linear in the history's size; no pending list is folded until asked for.
    pub fn build(history: &History) -> AsOfIndex {
        let mut steps: Vec<Step> = Vec::with_capacity(history.sessions.len());
        let mut by_session =
            HashMap::with_capacity_and_hasher(history.sessions.len(), FxBuildHasher::default());
        let mut totals = Totals::default();
        // Steps come in time order: how far each list reaches only grows.
        let (mut decisions, mut insights, mut handoffs) =
            (Upto::default(), Upto::default(), Upto::default());
        for (i, s) in history.sessions.iter().enumerate() {
            let Some(at) = s.ended else { continue };
            if s.origin == Origin::Active {
                continue;
            }
            let (pending, source) = if let Some(a) = &s.as_of {
                totals = Totals {
                    sessions: a.sessions,
                    hours: a.hours,
                };
                (PendingAt::Archived(i), PendingSource::Archived)
            } else {
                totals.sessions += 1;
                totals.hours = ((totals.hours + s.hours().unwrap_or(0.0)) * 100.0).round() / 100.0;
                if s.origin == Origin::Handoff {
                    (
                        PendingAt::Handoff(i, OnceLock::new()),
                        PendingSource::Handoff,
                    )
                } else {
                    (PendingAt::Fold(OnceLock::new()), PendingSource::Folded)
                }
            };
            by_session.insert(session_key(Some(&s.id)), steps.len());
            steps.push(Step {
                session: i,
                at,
                pending,
                source,
                totals,
                decisions: decisions.upto(&history.decisions, at, |d| d.at),
                insights: insights.upto(&history.insights, at, |d| d.at),
                handoffs: handoffs.upto(&history.handoffs, at, |h| h.at),
            });
        }
        AsOfIndex { steps, by_session }
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The last step.
    pub fn latest(&self) -> Option<usize> {
        self.steps.len().checked_sub(1)
    }

    /// `[`: the step before (none before the first).
    pub fn prev(&self, step: usize) -> Option<usize> {
        step.checked_sub(1).filter(|s| *s < self.steps.len())
    }

    /// `]`: the step after (none after the last: the caller returns to "now").
    pub fn next(&self, step: usize) -> Option<usize> {
        Some(step + 1).filter(|s| *s < self.steps.len())
    }

    /// The step that ends this session.
    pub fn step_of_session(&self, id: &str) -> Option<usize> {
        self.by_session.get(&session_key(Some(id))).copied()
    }

    /// [`AsOfIndex::step_of_session`], checking the id against the history (keys are
    /// hashes).
    pub fn step_of(&self, history: &History, id: &str) -> Option<usize> {
        self.step_of_session(id).filter(|&k| {
            self.session_index(k)
                .is_some_and(|i| history.sessions[i].id == id)
        })
    }

    /// The last step at or before `t` (`None`: before the first session ended).
    pub fn step_at(&self, t: DateTime<Utc>) -> Option<usize> {
        self.steps.partition_point(|s| s.at.at <= t).checked_sub(1)
    }

    /// The last step on or before the end of `day` (UTC).
    pub fn step_on(&self, day: NaiveDate) -> Option<usize> {
        let end = day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc() - chrono::Duration::nanoseconds(1))?;
        self.step_at(end)
    }

    /// Index into `history.sessions` of a step's session.
    pub fn session_index(&self, step: usize) -> Option<usize> {
        self.steps.get(step).map(|s| s.session)
    }

    fn known<'a>(&'a self, history: &'a History, step: usize) -> Option<&'a [Arc<PendingItem>]> {
        match &self.steps.get(step)?.pending {
            PendingAt::Archived(i) => Some(
                history
                    .sessions
                    .get(*i)?
                    .as_of
                    .as_ref()
                    .map_or(&[][..], |a| a.pending.as_slice()),
            ),
            PendingAt::Handoff(i, cell) => {
                let s = history.sessions.get(*i)?;
                Some(cell.get_or_init(|| handoff_list(s)))
            }
            PendingAt::Fold(cell) => cell.get().map(Vec::as_slice),
        }
    }

    /// Pending work after `step`, folding (once, then kept) the steps before it that have
    /// no recorded list, back to the nearest one that does.
    fn pending<'a>(&'a self, history: &'a History, step: usize) -> &'a [Arc<PendingItem>] {
        if let Some(p) = self.known(history, step) {
            return p;
        }
        let mut first = step;
        while first > 0 && self.known(history, first - 1).is_none() {
            first -= 1;
        }
        for m in first..=step {
            let prev = match m {
                0 => &[][..],
                _ => self.known(history, m - 1).unwrap_or(&[]),
            };
            if let (PendingAt::Fold(cell), Some(s)) = (
                &self.steps[m].pending,
                history.sessions.get(self.steps[m].session),
            ) {
                cell.get_or_init(|| fold(prev, s));
            }
        }
        self.known(history, step).unwrap_or(&[])
    }

    /// Every step's session, time and pending work, in order. Each list is made from the
    /// one before and dropped after the next (what `state` folds is kept, for stepping
    /// back and forth; a walk through all 10,000 steps would keep every list).
    pub fn each_pending<'a>(
        &'a self,
        history: &'a History,
        mut f: impl FnMut(&'a SessionInfo, When, &[Arc<PendingItem>]),
    ) {
        let mut prev: Cow<'a, [Arc<PendingItem>]> = Cow::Borrowed(&[]);
        for step in &self.steps {
            let Some(s) = history.sessions.get(step.session) else {
                continue;
            };
            let known = match &step.pending {
                PendingAt::Archived(_) => Some(Cow::Borrowed(
                    s.as_of.as_ref().map_or(&[][..], |a| a.pending.as_slice()),
                )),
                PendingAt::Handoff(_, cell) | PendingAt::Fold(cell) => {
                    cell.get().map(|p| Cow::Borrowed(p.as_slice()))
                }
            };
            let pending = known.unwrap_or_else(|| match &step.pending {
                PendingAt::Handoff(..) => Cow::Owned(handoff_list(s)),
                _ => Cow::Owned(fold(&prev, s)),
            });
            f(s, step.at, &pending);
            prev = pending;
        }
    }

    /// The state after `step`; `None` past the end. O(1) (a step without a recorded
    /// pending list is folded the first time it is asked for).
    pub fn state<'a>(&'a self, history: &'a History, step: usize) -> Option<AsOfState<'a>> {
        let s = self.steps.get(step)?;
        let pending = self.pending(history, step);
        Some(AsOfState {
            step,
            steps: self.steps.len(),
            session: history.sessions.get(s.session)?,
            at: s.at,
            pending,
            pending_source: s.source,
            decisions: history.decisions.get(..s.decisions)?,
            insights: history.insights.get(..s.insights)?,
            handoffs: history.handoffs.get(..s.handoffs)?,
            totals: s.totals,
        })
    }
}

/// How many items (sorted by time, undated last) are at or before a time: asked for times
/// in order, it moves on from the last answer (linear in all, not a search each).
#[derive(Default)]
struct Upto {
    last: Option<When>,
    n: usize,
}

impl Upto {
    fn upto<T>(&mut self, items: &[T], at: When, when: impl Fn(&T) -> Option<When>) -> usize {
        let within = |x: &T| when(x).is_some_and(|w| w.at <= at.at);
        if self.last.is_some_and(|l| l.at <= at.at) {
            while self.n < items.len() && within(&items[self.n]) {
                self.n += 1;
            }
        } else {
            self.n = items.partition_point(within);
        }
        self.last = Some(at);
        self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{AsOfData, Record, from_decision, from_handoff, from_session};
    use crate::domain::items::Priority;
    use serde_json::json;

    fn archived(id: &str, start: &str, end: &str, pending: &[&str], sessions: u64) -> Vec<Record> {
        let r = SessionRecord {
            session_id: id.into(),
            started_at: Some(start.into()),
            ended_at: Some(end.into()),
            duration_hours: Some(1.0),
            ..Default::default()
        };
        let as_of = AsOfData {
            sessions,
            hours: sessions as f64,
            pending: pending
                .iter()
                .map(|p| Arc::new(PendingItem::new(*p, Priority::Medium)))
                .collect(),
        };
        from_session(
            &format!("SESSION_LOGS/{id}.json"),
            Origin::Archive,
            &r,
            None,
            Some(as_of),
        )
    }

    fn tasks(s: &AsOfState<'_>) -> Vec<String> {
        s.pending.iter().map(|p| p.task.clone()).collect()
    }

    #[test]
    fn steps_follow_end_time_with_parallel_sessions() {
        // A starts first and ends last; B runs inside A and is merged first.
        let mut records = archived(
            "A",
            "2025-11-15T09:00:00Z",
            "2025-11-15T12:00:00Z",
            &["x", "b-next", "a-next"],
            2,
        );
        records.extend(archived(
            "B",
            "2025-11-15T10:00:00Z",
            "2025-11-15T11:00:00Z",
            &["x", "b-next"],
            1,
        ));
        records.extend(archived(
            "C",
            "2025-11-16T10:00:00Z",
            "2025-11-16T11:00:00Z",
            &["a-next"],
            3,
        ));
        for (line, (text, session, date)) in [
            ("d-b", "B", "2025-11-15"),
            ("d-a", "A", "2025-11-15"),
            ("d-c", "C", "2025-11-16"),
        ]
        .into_iter()
        .enumerate()
        {
            records.push(
                from_decision(
                    "DECISIONS_LOG.json",
                    line as u32 + 1,
                    json!({"decision": text, "session_id": session, "date": date}),
                )
                .unwrap(),
            );
        }
        let h = History::from_records(records);
        let idx = AsOfIndex::build(&h);
        assert_eq!(idx.len(), 3);
        let s0 = idx.state(&h, 0).unwrap();
        assert_eq!(s0.session.id, "B");
        assert_eq!(tasks(&s0), vec!["x", "b-next"]);
        assert_eq!(
            s0.decisions
                .iter()
                .map(|d| d.decision.decision.as_str())
                .collect::<Vec<_>>(),
            vec!["d-b"]
        );
        assert_eq!(s0.totals.sessions, 1);
        let s1 = idx.state(&h, 1).unwrap();
        assert_eq!(s1.session.id, "A");
        assert_eq!(tasks(&s1), vec!["x", "b-next", "a-next"]);
        assert_eq!(s1.decisions.len(), 2);
        let s2 = idx.state(&h, idx.next(1).unwrap()).unwrap();
        assert_eq!(tasks(&s2), vec!["a-next"]);
        assert_eq!(s2.decisions.len(), 3);
        assert_eq!(idx.next(2), None);
        assert_eq!(idx.prev(0), None);
        assert_eq!(idx.step_of_session("A"), Some(1));
        assert_eq!(
            idx.step_at(When::parse("2025-11-15T11:30:00Z").unwrap().at),
            Some(0)
        );
        assert_eq!(
            idx.step_at(When::parse("2025-11-14T00:00:00Z").unwrap().at),
            None
        );
        assert_eq!(
            idx.step_on(NaiveDate::from_ymd_opt(2025, 11, 15).unwrap()),
            Some(1)
        );
        assert!(s1.banner().contains("after session A (2/3)"));
    }

    #[test]
    fn archives_without_as_of_are_folded() {
        let mut records = archived(
            "A",
            "2025-11-15T09:00:00Z",
            "2025-11-15T10:00:00Z",
            &["old", "keep"],
            1,
        );
        let r = SessionRecord {
            session_id: "B".into(),
            started_at: Some("2025-11-15T11:00:00Z".into()),
            ended_at: Some("2025-11-15T12:30:00Z".into()),
            achievements: vec!["✅ Old".into()],
            next_steps: vec![PendingItem::new("new", Priority::High)],
            ..Default::default()
        };
        records.extend(from_session(
            "SESSION_LOGS/B.json",
            Origin::Archive,
            &r,
            None,
            None,
        ));
        let h = History::from_records(records);
        let idx = AsOfIndex::build(&h);
        let s = idx.state(&h, 1).unwrap();
        assert_eq!(s.pending_source, PendingSource::Folded);
        assert_eq!(tasks(&s), vec!["keep", "new"]);
        assert_eq!(s.totals.sessions, 2);
        assert_eq!(s.totals.hours, 2.5);
    }

    #[test]
    fn hand_made_directories_step_through_handoffs() {
        let h1 = "# Session Handoff - 2025-11-15\n\n## Pending Items\n- Deploy (high)\n- Docs\n";
        let h2 = "# Notes\n\n## Pending Items\n- Docs\n";
        let mtime = When::parse("2025-11-20T08:00:00Z").unwrap().at;
        let records = vec![
            from_handoff("SESSION_HANDOFFS/2025-11-15_handoff.md", h1, None),
            from_handoff("SESSION_HANDOFFS/notes.md", h2, Some(mtime)),
        ];
        let h = History::from_records(records);
        let idx = AsOfIndex::build(&h);
        assert_eq!(idx.len(), 2);
        let s0 = idx.state(&h, 0).unwrap();
        assert_eq!(s0.pending_source, PendingSource::Handoff);
        assert_eq!(tasks(&s0), vec!["Deploy", "Docs"]);
        assert_eq!(s0.pending[0].priority, Priority::High);
        assert_eq!(s0.handoffs.len(), 1);
        let s1 = idx.state(&h, 1).unwrap();
        assert_eq!(s1.session.id, "notes");
        assert_eq!(s1.at.at, mtime);
        assert_eq!(tasks(&s1), vec!["Docs"]);
        assert_eq!(s1.handoffs.len(), 2);
        assert_eq!(s1.totals.sessions, 2);
    }

    #[test]
    fn a_walk_through_every_step_gives_what_each_state_gives() {
        let mut records = archived(
            "A",
            "2025-11-15T09:00:00Z",
            "2025-11-15T10:00:00Z",
            &["old", "keep"],
            1,
        );
        // Two folded sessions in a row, a session known only from its handoff, one more fold.
        for (id, end, done, next) in [
            ("B", "2025-11-15T12:00:00Z", "✅ Old", "b-next"),
            ("C", "2025-11-15T14:00:00Z", "✅ Keep", "c-next"),
            ("E", "2025-11-17T10:00:00Z", "✅ Docs", "e-next"),
        ] {
            let r = SessionRecord {
                session_id: id.into(),
                ended_at: Some(end.into()),
                achievements: vec![done.into()],
                next_steps: vec![PendingItem::new(next, Priority::High)],
                ..Default::default()
            };
            let file = format!("SESSION_LOGS/{id}.json");
            records.extend(from_session(&file, Origin::Archive, &r, None, None));
        }
        let handoff = "# Session Handoff\n\n## Pending Items\n- Deploy (high)\n- Docs\n";
        records.push(from_handoff(
            "SESSION_HANDOFFS/2025-11-16_notes.md",
            handoff,
            None,
        ));
        let h = History::from_records(records);
        let by_state = AsOfIndex::build(&h);
        let expected: Vec<(String, Vec<String>)> = (0..by_state.len())
            .map(|k| {
                let s = by_state.state(&h, k).unwrap();
                (s.session.id.clone(), tasks(&s))
            })
            .collect();
        assert_eq!(expected.len(), 5);
        assert_eq!(expected[2].1, vec!["b-next", "c-next"]);
        assert_eq!(expected[3].1, vec!["Deploy", "Docs"]);
        assert_eq!(expected[4].1, vec!["Deploy", "e-next"]);

        // Walked on a fresh index (nothing folded yet) and on one with a state asked for.
        let fresh = AsOfIndex::build(&h);
        let half = AsOfIndex::build(&h);
        half.state(&h, 2);
        for idx in [&fresh, &half] {
            let mut walked = Vec::new();
            idx.each_pending(&h, |s, _, pending| {
                walked.push((
                    s.id.clone(),
                    pending.iter().map(|p| p.task.clone()).collect(),
                ));
            });
            assert_eq!(walked, expected);
        }
        assert!(
            fresh.steps.iter().all(|s| match &s.pending {
                PendingAt::Fold(c) | PendingAt::Handoff(_, c) => c.get().is_none(),
                PendingAt::Archived(_) => true,
            }),
            "a walk keeps no list"
        );
    }
}
