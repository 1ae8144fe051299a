//! Every session of a directory and what was decided, learned, handed off and coded, put in
//! order from the catalog's records: what `baton history`, `baton show`, time travel and the
//! timeline read. Pure: built from records, no I/O.
//!
//! Sessions come from archives (`SESSION_LOGS/`), running sessions, the seed's
//! `CURRENT_SESSION.json`, and, for directories made by hand, from handoff files alone (one
//! session per handoff not claimed by a session baton knows).
//!
//! Everything is ordered by **when it happened**: sessions by their end (parallel sessions
//! that ended out of order are ordered by end time, not by id), decisions and insights by
//! the end of their session when it is known, else by their own date.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::catalog::{AsOfData, Data, Kind, Origin, Record, Source, When};
use super::ids::handoff_file_name;
use super::items::{Decision, PendingItem, Priority};
use super::search::{DateRange, dedupe_key, session_key};
use super::session::{Commit, SessionCounts};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionInfo {
    pub id: String,
    pub origin: Origin,
    pub goal: String,
    pub started: Option<DateTime<Utc>>,
    /// `None` while running. Sessions known only from a handoff end on its date.
    pub ended: Option<When>,
    pub duration_hours: Option<f64>,
    pub counts: SessionCounts,
    /// File name in `SESSION_HANDOFFS/`, when it exists (or is recorded).
    pub handoff_file: Option<String>,
    pub as_of: Option<AsOfData>,
    pub next_steps: Vec<PendingItem>,
    pub finished: Vec<String>,
    pub commits: Vec<Commit>,
    pub files_modified: Vec<String>,
    /// For sessions known from their handoff: its Pending Items and Decisions sections.
    pub handoff_pending: Vec<String>,
    pub handoff_decisions: Vec<String>,
    pub source: Source,
}

impl SessionInfo {
    /// When it ended, else when it started.
    pub fn when(&self) -> Option<When> {
        self.ended.or(self.started.map(When::at))
    }

    pub fn is_active(&self) -> bool {
        self.origin == Origin::Active
    }

    /// Hours, from the record or from start and end.
    pub fn hours(&self) -> Option<f64> {
        self.duration_hours.or_else(|| {
            let (s, e) = (self.started?, self.ended?);
            if e.day_only {
                return None;
            }
            Some(((e.at - s).num_seconds().max(0) as f64 / 36.0).round() / 100.0)
        })
    }

    /// Whether it ran on `day` (started or ended then).
    pub fn on_day(&self, day: NaiveDate) -> bool {
        self.started.is_some_and(|s| s.date_naive() == day)
            || self.ended.is_some_and(|e| e.date() == day)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionEntry {
    pub decision: Decision,
    /// The end of its session when known, else its own date; `None`: undated.
    pub at: Option<When>,
    pub session_id: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsightEntry {
    pub text: String,
    pub at: Option<When>,
    pub session_id: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HandoffInfo {
    pub file: String,
    pub title: String,
    pub summary: Option<String>,
    /// Its session's end when a session claims it, else the date in its name, else its
    /// modification time.
    pub at: Option<When>,
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeEntry {
    pub path: String,
    pub note: Option<String>,
    pub at: Option<When>,
    pub session_id: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlockerEntry {
    pub blocker: String,
    pub solution: Option<String>,
    pub lesson: Option<String>,
    pub at: Option<When>,
    pub session_id: Option<String>,
}

/// The whole history, in time order (oldest first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Ended sessions by end time (then start, then id), then running ones by start.
    pub sessions: Vec<SessionInfo>,
    /// Oldest first by `at`; undated ones last. One entry per decision and session.
    pub decisions: Vec<DecisionEntry>,
    pub insights: Vec<InsightEntry>,
    /// Oldest first by `at`; undated ones last.
    pub handoffs: Vec<HandoffInfo>,
    pub code: Vec<CodeEntry>,
    pub blockers: Vec<BlockerEntry>,
    /// Session key → index into `sessions`.
    by_id: HashMap<u64, usize>,
}

/// Sort key: dated things by time, undated last.
fn time_key(w: Option<When>) -> DateTime<Utc> {
    w.map_or(DateTime::<Utc>::MAX_UTC, |w| w.at)
}

/// `[high] task`, `task (high)`, `high: task`: a handoff's pending line as an item.
pub fn pending_from_text(text: &str) -> PendingItem {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('[')
        && let Some((p, task)) = rest.split_once(']')
        && let Some(priority) = Priority::parse(p)
    {
        return PendingItem::new(task.trim(), priority);
    }
    if let Some(open) = t.rfind('(')
        && t.ends_with(')')
        && let Some(priority) = Priority::parse(&t[open + 1..t.len() - 1])
    {
        return PendingItem::new(t[..open].trim(), priority);
    }
    if let Some((p, task)) = t.split_once(':')
        && let Some(priority) = Priority::parse(p)
    {
        return PendingItem::new(task.trim(), priority);
    }
    PendingItem::from_value(serde_json::Value::String(t.to_string()))
}

impl History {
    /// Puts records (of any files, in any order) into a history.
    pub fn from_records(records: Vec<Record>) -> History {
        let mut sessions: Vec<SessionInfo> = Vec::new();
        let mut handoffs: Vec<(Record, When)> = Vec::new();
        let mut decisions: Vec<Record> = Vec::new();
        let mut insights: Vec<Record> = Vec::new();
        let mut code: Vec<Record> = Vec::new();
        let mut blockers: Vec<BlockerEntry> = Vec::new();
        let mut seen_sessions: HashSet<String> = HashSet::new();
        let mut expected: Vec<Option<String>> = Vec::new();

        // Archives first, so an archive wins over a left-over active or current record.
        let mut records = records;
        records.sort_by_key(|r| match r.session().map(|s| s.origin) {
            Some(Origin::Archive) => 0,
            Some(Origin::Active) => 1,
            Some(_) => 2,
            None => 3,
        });
        for r in records {
            match r.kind {
                Kind::Session => {
                    let id = r.session_id.clone().unwrap_or_default();
                    if !id.is_empty() && !seen_sessions.insert(id.clone()) {
                        continue;
                    }
                    let Data::Session(s) = r.data else { continue };
                    let s = *s;
                    let ended = s.ended.map(When::at);
                    let date = ended.or(s.started.map(When::at)).map(|w| w.date());
                    // The name `end` would give its handoff, to claim it by (seed records).
                    expected.push(s.handoff_file.clone().or_else(|| {
                        date.filter(|_| !id.is_empty())
                            .map(|d| handoff_file_name(&id, d))
                    }));
                    sessions.push(SessionInfo {
                        id,
                        origin: s.origin,
                        goal: r.title,
                        started: s.started,
                        ended,
                        duration_hours: s.duration_hours,
                        counts: s.counts,
                        handoff_file: s.handoff_file,
                        as_of: s.as_of,
                        next_steps: s.next_steps,
                        finished: s.finished,
                        commits: s.commits,
                        files_modified: s.files_modified,
                        handoff_pending: Vec::new(),
                        handoff_decisions: Vec::new(),
                        source: r.source,
                    });
                }
                Kind::Handoff => {
                    if let Some(w) = r.when {
                        handoffs.push((r, w));
                    } else {
                        let w = When::day(NaiveDate::MIN);
                        handoffs.push((r, w));
                    }
                }
                Kind::Decision => decisions.push(r),
                Kind::Insight => insights.push(r),
                Kind::Code => code.push(r),
                Kind::Blocker => {
                    let (solution, lesson) = match &r.data {
                        Data::Blocker { solution, lesson } => (solution.clone(), lesson.clone()),
                        _ => (None, None),
                    };
                    blockers.push(BlockerEntry {
                        blocker: r.title,
                        solution,
                        lesson,
                        at: r.when,
                        session_id: r.session_id,
                    });
                }
            }
        }

        // Handoffs claimed by a known session (by recorded or expected file name, or by
        // the session id written in them) belong to it; the others are sessions of their
        // own (a directory made by hand from the seed).
        let mut claimed: HashMap<&str, usize> = HashMap::with_capacity(expected.len());
        for (i, f) in expected.iter().enumerate() {
            if let Some(f) = f {
                claimed.entry(f.as_str()).or_insert(i);
            }
        }
        let ids: HashMap<u64, usize> = sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.id.is_empty())
            .map(|(i, s)| (session_key(Some(&s.id)), i))
            .collect();
        let mut handoff_infos: Vec<HandoffInfo> = Vec::with_capacity(handoffs.len());
        for (r, w) in handoffs {
            let Data::Handoff(h) = r.data else { continue };
            let owner = claimed.get(h.file.as_str()).copied().or_else(|| {
                let id = r.session_id.as_deref()?;
                ids.get(&session_key(Some(id)))
                    .copied()
                    .filter(|&i| sessions[i].id == id)
            });
            let dated = (w.date() != NaiveDate::MIN).then_some(w);
            let (at, session_id) = match owner {
                Some(i) => {
                    let s = &mut sessions[i];
                    if s.handoff_file.is_none() {
                        s.handoff_file = Some(h.file.clone());
                    }
                    (s.ended.or(dated), Some(s.id.clone()))
                }
                None => {
                    let id = r.session_id.clone().unwrap_or_else(|| {
                        h.file.strip_suffix(".md").unwrap_or(&h.file).to_string()
                    });
                    let goal = h
                        .summary
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| r.title.clone());
                    sessions.push(SessionInfo {
                        id: id.clone(),
                        origin: Origin::Handoff,
                        goal,
                        ended: dated,
                        counts: h.counts,
                        handoff_file: Some(h.file.clone()),
                        handoff_pending: h.pending.clone(),
                        handoff_decisions: h.decisions.clone(),
                        source: r.source.clone(),
                        ..SessionInfo::default()
                    });
                    (dated, Some(id))
                }
            };
            handoff_infos.push(HandoffInfo {
                file: h.file.clone(),
                title: r.title,
                summary: h.summary.clone(),
                at,
                session_id,
            });
        }

        sessions.sort_by(|a, b| {
            let key = |s: &SessionInfo| (s.is_active(), s.ended.map(|e| e.at), s.started);
            key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        });
        let mut by_id: HashMap<u64, usize> = HashMap::with_capacity(sessions.len());
        for (i, s) in sessions.iter().enumerate() {
            by_id.entry(session_key(Some(&s.id))).or_insert(i);
        }
        let end_of = |id: &Option<String>| -> Option<When> {
            let id = id.as_deref()?;
            let &i = by_id.get(&session_key(Some(id)))?;
            let s = &sessions[i];
            if s.id == id { s.ended } else { None }
        };

        // Decisions: one per (text, session); entries without a session give way to one
        // with a session. Handoff-only sessions add the decisions their handoff lists.
        let mut decision_entries: Vec<DecisionEntry> = Vec::with_capacity(decisions.len());
        let keys: Vec<u64> = decisions
            .iter()
            .map(|r| dedupe_key(Kind::Decision, &r.title))
            .collect();
        let with_session: HashSet<u64> = decisions
            .iter()
            .zip(&keys)
            .filter(|(r, _)| r.session_id.is_some())
            .map(|(_, k)| *k)
            .collect();
        let mut seen: HashMap<(u64, u64), usize> = HashMap::with_capacity(decisions.len());
        for (r, key) in decisions.into_iter().zip(keys) {
            let skey = session_key(r.session_id.as_deref());
            if skey == 0 && with_session.contains(&key) {
                continue;
            }
            let Data::Decision(d) = r.data else { continue };
            if let Some(&i) = seen.get(&(key, skey)) {
                let kept: &mut DecisionEntry = &mut decision_entries[i];
                let k = &mut kept.decision;
                k.reasoning = k.reasoning.take().or(d.reasoning);
                k.impact = k.impact.take().or(d.impact);
                k.status = k.status.take().or(d.status);
                k.date = k.date.take().or(d.date);
                continue;
            }
            seen.insert((key, skey), decision_entries.len());
            let at = end_of(&r.session_id).or(r.when);
            decision_entries.push(DecisionEntry {
                decision: *d,
                at,
                session_id: r.session_id,
                source: r.source,
            });
        }
        for s in sessions.iter().filter(|s| s.origin == Origin::Handoff) {
            for text in &s.handoff_decisions {
                let key = dedupe_key(Kind::Decision, text);
                if with_session.contains(&key) || seen.contains_key(&(key, 0)) {
                    continue;
                }
                let skey = session_key(Some(&s.id));
                if seen.insert((key, skey), decision_entries.len()).is_some() {
                    continue;
                }
                let mut d = Decision::new(text.clone());
                d.session_id = Some(s.id.clone());
                decision_entries.push(DecisionEntry {
                    decision: d,
                    at: s.ended,
                    session_id: Some(s.id.clone()),
                    source: s.source.clone(),
                });
            }
        }
        decision_entries.sort_by_key(|d| time_key(d.at));

        let mut insight_entries: Vec<InsightEntry> = Vec::with_capacity(insights.len());
        let keys: Vec<u64> = insights
            .iter()
            .map(|r| dedupe_key(Kind::Insight, &r.title))
            .collect();
        let with_session: HashSet<u64> = insights
            .iter()
            .zip(&keys)
            .filter(|(r, _)| r.session_id.is_some())
            .map(|(_, k)| *k)
            .collect();
        let mut seen: HashSet<(u64, u64)> = HashSet::with_capacity(insights.len());
        for (r, key) in insights.into_iter().zip(keys) {
            let skey = session_key(r.session_id.as_deref());
            if skey == 0 && with_session.contains(&key) || !seen.insert((key, skey)) {
                continue;
            }
            insight_entries.push(InsightEntry {
                at: end_of(&r.session_id).or(r.when),
                text: r.title,
                session_id: r.session_id,
                source: r.source,
            });
        }
        insight_entries.sort_by_key(|i| time_key(i.at));

        let mut code_entries: Vec<CodeEntry> = code
            .into_iter()
            .filter_map(|r| {
                let Data::Code { path, note } = r.data else {
                    return None;
                };
                Some(CodeEntry {
                    path,
                    note,
                    at: end_of(&r.session_id).or(r.when),
                    session_id: r.session_id,
                    source: r.source,
                })
            })
            .collect();
        code_entries.sort_by_key(|c| time_key(c.at));
        handoff_infos.sort_by(|a, b| {
            time_key(a.at)
                .cmp(&time_key(b.at))
                .then_with(|| a.file.cmp(&b.file))
        });
        for b in &mut blockers {
            b.at = end_of(&b.session_id).or(b.at);
        }
        blockers.sort_by_key(|b| time_key(b.at));

        History {
            sessions,
            decisions: decision_entries,
            insights: insight_entries,
            handoffs: handoff_infos,
            code: code_entries,
            blockers,
            by_id,
        }
    }

    pub fn session(&self, id: &str) -> Option<&SessionInfo> {
        self.session_index(id).map(|i| &self.sessions[i])
    }

    pub fn session_index(&self, id: &str) -> Option<usize> {
        self.by_id
            .get(&session_key(Some(id)))
            .copied()
            .filter(|&i| self.sessions[i].id == id)
    }

    /// Sessions whose end (or start, while running) lies in `range`, newest first.
    pub fn listing(&self, range: &DateRange) -> Vec<&SessionInfo> {
        self.sessions
            .iter()
            .rev()
            .filter(|s| range.contains(s.when()))
            .collect()
    }

    /// Sessions that started or ended on `day`, oldest first.
    pub fn on_day(&self, day: NaiveDate) -> Vec<&SessionInfo> {
        self.sessions.iter().filter(|s| s.on_day(day)).collect()
    }

    /// Decisions of a session: tagged with its id, or (undated-session entries) dated
    /// within its time window.
    pub fn decisions_of(&self, s: &SessionInfo) -> Vec<&DecisionEntry> {
        self.decisions
            .iter()
            .filter(|d| match &d.session_id {
                Some(id) => *id == s.id,
                None => in_window(s, d.at),
            })
            .collect()
    }

    pub fn insights_of(&self, s: &SessionInfo) -> Vec<&InsightEntry> {
        self.insights
            .iter()
            .filter(|i| match &i.session_id {
                Some(id) => *id == s.id,
                None => in_window(s, i.at),
            })
            .collect()
    }

    pub fn code_of(&self, s: &SessionInfo) -> Vec<&CodeEntry> {
        self.code
            .iter()
            .filter(|c| c.session_id.as_deref() == Some(s.id.as_str()))
            .collect()
    }

    pub fn blockers_of(&self, s: &SessionInfo) -> Vec<&BlockerEntry> {
        self.blockers
            .iter()
            .filter(|b| b.session_id.as_deref() == Some(s.id.as_str()))
            .collect()
    }
}

/// Whether an undated-session item at `at` falls in a session's window (for a session
/// known only by its day, that day).
fn in_window(s: &SessionInfo, at: Option<When>) -> bool {
    let Some(at) = at else { return false };
    match (s.started, s.ended) {
        (Some(start), Some(end)) if !end.day_only && !at.day_only => {
            at.at >= start && at.at <= end.at
        }
        (_, Some(end)) => at.date() == end.date(),
        (Some(start), None) => at.date() >= start.date_naive(),
        (None, None) => false,
    }
}

/// A session as `baton history --format json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub id: String,
    pub origin: Origin,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub duration_hours: Option<f64>,
    pub goal: String,
    pub counts: SessionCounts,
    pub handoff_file: Option<String>,
}

impl From<&SessionInfo> for SessionRow {
    fn from(s: &SessionInfo) -> Self {
        SessionRow {
            id: s.id.clone(),
            origin: s.origin,
            started: s.started.map(|t| When::at(t).to_text()),
            ended: s.ended.map(|w| w.to_text()),
            duration_hours: s.hours(),
            goal: s.goal.clone(),
            counts: s.counts,
            handoff_file: s.handoff_file.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{from_decision, from_handoff, from_session};
    use crate::domain::session::SessionRecord;
    use serde_json::json;

    fn session(id: &str, start: &str, end: &str) -> Vec<Record> {
        let r = SessionRecord {
            session_id: id.into(),
            started_at: Some(start.into()),
            ended_at: Some(end.into()),
            primary_goal: format!("goal of {id}"),
            ..Default::default()
        };
        from_session(
            &format!("SESSION_LOGS/{id}.json"),
            Origin::Archive,
            &r,
            None,
            None,
        )
    }

    #[test]
    fn sessions_are_ordered_by_end_time_not_id() {
        let mut records = session(
            "2025-11-15-001",
            "2025-11-15T09:00:00Z",
            "2025-11-15T12:00:00Z",
        );
        records.extend(session(
            "2025-11-15-002",
            "2025-11-15T10:00:00Z",
            "2025-11-15T11:00:00Z",
        ));
        let h = History::from_records(records);
        let ids: Vec<&str> = h.sessions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["2025-11-15-002", "2025-11-15-001"]);
        let newest: Vec<&str> = h
            .listing(&DateRange::default())
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(newest, vec!["2025-11-15-001", "2025-11-15-002"]);
    }

    #[test]
    fn decisions_take_their_sessions_end_and_repeats_collapse() {
        let mut records = session("s1", "2025-11-15T09:00:00Z", "2025-11-15T12:00:00Z");
        records.push(
            from_decision(
                "DECISIONS_LOG.json",
                1,
                json!({"decision": "Use Redis", "session_id": "s1", "date": "2025-11-15"}),
            )
            .unwrap(),
        );
        records.push(
            from_decision(
                "UNIFIED_KNOWLEDGE.json",
                0,
                json!({"decision": "Use Redis", "session_id": "s1", "reasoning": "fast"}),
            )
            .unwrap(),
        );
        records.push(
            from_decision("DECISIONS_LOG.json", 2, json!({"decision": "use redis"})).unwrap(),
        );
        let h = History::from_records(records);
        assert_eq!(h.decisions.len(), 1);
        assert_eq!(h.decisions[0].decision.reasoning.as_deref(), Some("fast"));
        assert_eq!(h.decisions[0].at, When::parse("2025-11-15T12:00:00Z"));
    }

    #[test]
    fn unclaimed_handoffs_are_sessions_of_their_own() {
        let mut records = session(
            "2025-11-15-001",
            "2025-11-15T09:00:00Z",
            "2025-11-15T12:00:00Z",
        );
        records.push(from_handoff(
            "SESSION_HANDOFFS/2025-11-15_session_1.md",
            "# H\n",
            None,
        ));
        records.push(from_handoff(
            "SESSION_HANDOFFS/2025-11-16_handoff.md",
            "# Session Handoff - 2025-11-16\n\n## Quick Summary\nDid things\n\n## Pending Items\n- Ship (high)\n\n## Decisions Made This Session\n- Use rsync\n",
            None,
        ));
        let h = History::from_records(records);
        assert_eq!(h.sessions.len(), 2);
        assert_eq!(
            h.sessions[0].handoff_file.as_deref(),
            Some("2025-11-15_session_1.md")
        );
        let s = &h.sessions[1];
        assert_eq!(s.origin, Origin::Handoff);
        assert_eq!(s.id, "2025-11-16_handoff");
        assert_eq!(s.goal, "Did things");
        assert_eq!(h.decisions.len(), 1);
        assert_eq!(
            h.decisions[0].session_id.as_deref(),
            Some("2025-11-16_handoff")
        );
        assert_eq!(h.handoffs[0].session_id.as_deref(), Some("2025-11-15-001"));
    }

    #[test]
    fn pending_lines_keep_their_priority() {
        assert_eq!(pending_from_text("[high] Ship it").priority, Priority::High);
        assert_eq!(pending_from_text("[high] Ship it").task, "Ship it");
        assert_eq!(pending_from_text("Ship it (low)").priority, Priority::Low);
        assert_eq!(pending_from_text("Ship it").task, "Ship it");
    }
}
