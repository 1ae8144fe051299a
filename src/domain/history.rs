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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::fast_hash::{FxBuildHasher, FxHashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::catalog::{
    AsOfData, Data, HandoffData, Kind, Origin, Record, SessionData, Source, When,
};
use super::ids::handoff_file_name;
use super::items::{Decision, PendingItem, Priority};
use super::notes::{
    BlockerEntry, CodeEntry, InsightEntry, NoteRecords, Notes, notes_of, repeat_keys, time_key,
};
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
    /// `next_steps`, `finished`, `commits` and `files_modified` are known. The dashboard's
    /// history (`store::history::load_history`) leaves them out of sessions with an as-of
    /// state and reads one session's with `store::history::session_detail` when it is
    /// shown ([`SessionInfo::set_detail`]).
    pub details: bool,
}

/// What a lean history leaves out of a session until it is shown (see
/// [`SessionInfo::details`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionDetail {
    pub next_steps: Vec<PendingItem>,
    pub finished: Vec<String>,
    pub commits: Vec<Commit>,
    pub files_modified: Vec<String>,
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

    /// Fills in what a lean history left out.
    pub fn set_detail(&mut self, d: SessionDetail) {
        self.next_steps = d.next_steps;
        self.finished = d.finished;
        self.commits = d.commits;
        self.files_modified = d.files_modified;
        self.details = true;
    }
}

impl SessionInfo {
    /// A session from its record (see [`History::from_records`]).
    fn of(id: Option<String>, goal: String, source: Source, s: SessionData) -> SessionInfo {
        SessionInfo {
            id: id.unwrap_or_default(),
            origin: s.origin,
            goal,
            started: s.started,
            ended: s.ended.map(When::at),
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
            source,
            details: s.details,
        }
    }
}

impl SessionDetail {
    /// The details of a session record (`None` when it is not a session's).
    pub fn of(r: &Record) -> Option<SessionDetail> {
        let s = r.session()?;
        Some(SessionDetail {
            next_steps: s.next_steps.clone(),
            finished: s.finished.clone(),
            commits: s.commits.clone(),
            files_modified: s.files_modified.clone(),
        })
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
pub struct HandoffInfo {
    pub file: String,
    pub title: String,
    pub summary: Option<String>,
    /// Its session's end when a session claims it, else the date in its name, else its
    /// modification time.
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
    by_id: FxHashMap<u64, usize>,
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

/// Which sessions' records make it into a history: archives first (an archive wins over a
/// left-over active or current record of the same id), then running sessions, then the
/// rest; of records with the same id, the first.
fn origin_rank(origin: Origin) -> usize {
    match origin {
        Origin::Archive => 0,
        Origin::Active => 1,
        _ => 2,
    }
}

/// The handoff file a session claims: the one its record names, else the name `end` would
/// give it (seed records).
pub fn expected_handoff(id: &str, s: &SessionData) -> Option<String> {
    handoff_name(id, s.handoff_file.as_deref(), s.ended, s.started)
}

fn handoff_name(
    id: &str,
    recorded: Option<&str>,
    ended: Option<DateTime<Utc>>,
    started: Option<DateTime<Utc>>,
) -> Option<String> {
    if let Some(f) = recorded {
        return Some(f.to_string());
    }
    let date = ended.or(started).map(|t| t.date_naive());
    date.filter(|_| !id.is_empty())
        .map(|d| handoff_file_name(id, d))
}

/// Drops every session whose id an earlier one has (keeping the order); the session key of
/// each id → its index.
fn first_of_each_id(sessions: &mut Vec<SessionInfo>) -> FxHashMap<u64, usize> {
    let mut ids: FxHashMap<u64, usize> =
        HashMap::with_capacity_and_hasher(sessions.len(), FxBuildHasher::default());
    let mut repeated = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        if s.id.is_empty() {
            continue;
        }
        let key = session_key(Some(&s.id));
        match ids.get(&key) {
            Some(&j) if sessions[j].id == s.id => repeated.push(i),
            // Another id with the same key (keys are hashes): look it up.
            Some(_) if sessions[..i].iter().any(|o| o.id == s.id) => repeated.push(i),
            Some(_) => {}
            None => {
                ids.insert(key, i);
            }
        }
    }
    if repeated.is_empty() {
        return ids;
    }
    let mut i = 0;
    sessions.retain(|_| {
        let keep = repeated.binary_search(&i).is_err();
        i += 1;
        keep
    });
    first_of_each_id(sessions)
}

/// The handoff files (names in `SESSION_HANDOFFS/`) that [`History::from_records`] would
/// give to a session of `records` by name. Only the other handoffs can become sessions of
/// their own, so only theirs need their Pending Items and Decisions sections (the store
/// reads the rest without them).
pub fn claimed_handoff_files<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> HashSet<Cow<'a, str>, FxBuildHasher> {
    let mut ranked: [Vec<&Record>; 3] = Default::default();
    for r in records {
        if let (Kind::Session, Some(s)) = (r.kind, r.session()) {
            ranked[origin_rank(s.origin)].push(r);
        }
    }
    let n = ranked.iter().map(Vec::len).sum();
    let mut seen: HashSet<&str, FxBuildHasher> =
        HashSet::with_capacity_and_hasher(n, FxBuildHasher::default());
    let mut out = HashSet::with_capacity_and_hasher(n, FxBuildHasher::default());
    for r in ranked.into_iter().flatten() {
        let id = r.session_id.as_deref().unwrap_or_default();
        if !id.is_empty() && !seen.insert(id) {
            continue;
        }
        let Some(s) = r.session() else { continue };
        // The recorded name borrowed; one `end` would give, made.
        let name = match &s.handoff_file {
            Some(f) => Some(Cow::Borrowed(f.as_str())),
            None => handoff_name(id, None, s.ended, s.started).map(Cow::Owned),
        };
        out.extend(name);
    }
    out
}

/// A handoff known only by its file name (in `SESSION_HANDOFFS/`) and its date (from its
/// name, else its modification time), for [`History::from_parts`].
#[derive(Debug, Clone, PartialEq)]
pub struct NamedHandoff {
    pub file: String,
    pub when: Option<When>,
}

impl History {
    /// Puts records (of any files, in any order) into a history.
    pub fn from_records(records: Vec<Record>) -> History {
        Self::from_parts(records, Vec::new())
    }

    /// [`History::from_records`], with handoffs some session of `records` claims by name
    /// (see [`claimed_handoff_files`]) given by name and date only: nothing else of them
    /// is needed (their title and summary are left empty).
    pub fn from_parts(records: Vec<Record>, named: Vec<NamedHandoff>) -> History {
        let mut sessions: Vec<SessionInfo>;
        let mut handoffs: Vec<(Record, When)> = Vec::new();
        let mut decisions: Vec<Record> = Vec::new();
        let mut expected: Vec<Option<String>> = Vec::new();

        // Every list sized once (a history of 10,000 sessions holds ~90,000 records).
        let mut per_kind = [0usize; 6];
        for r in &records {
            per_kind[r.kind as usize] += 1;
        }
        let [
            n_sessions,
            n_handoffs,
            n_decisions,
            n_insights,
            n_blockers,
            n_code,
        ] = per_kind;
        expected.reserve_exact(n_sessions);
        handoffs.reserve_exact(n_handoffs);
        decisions.reserve_exact(n_decisions);
        let mut notes = NoteRecords::with_capacity(n_insights, n_code, n_blockers);

        // Sessions: archives first, so an archive wins over a left-over active or current
        // record (see `origin_rank`). Everything else keeps its order.
        let mut ranked: [Vec<SessionInfo>; 3] =
            [Vec::with_capacity(n_sessions), Vec::new(), Vec::new()];
        for r in records {
            match r.kind {
                Kind::Session => {
                    let Data::Session(s) = r.data else { continue };
                    let rank = origin_rank(s.origin);
                    ranked[rank].push(SessionInfo::of(r.session_id, r.title, r.source, *s));
                }
                Kind::Handoff => {
                    let w = r.when.unwrap_or(When::day(NaiveDate::MIN));
                    handoffs.push((r, w));
                }
                Kind::Decision => decisions.push(r),
                Kind::Insight | Kind::Code | Kind::Blocker => notes.push(r),
            }
        }
        // The first session of an id wins (archives are kept where they are).
        let [archives, active, others] = ranked;
        sessions = archives;
        let mut ids = first_of_each_id(&mut sessions);
        for s in active.into_iter().chain(others) {
            if !s.id.is_empty() {
                let key = session_key(Some(&s.id));
                match ids.get(&key) {
                    Some(&i) if sessions[i].id == s.id => continue,
                    // Another id with the same key (keys are hashes): look it up.
                    Some(_) if sessions.iter().any(|o| o.id == s.id) => continue,
                    Some(_) => {}
                    None => {
                        ids.insert(key, sessions.len());
                    }
                }
            }
            sessions.push(s);
        }
        // The name `end` would give its handoff, to claim it by (seed records).
        expected.extend(sessions.iter().map(|s| {
            handoff_name(
                &s.id,
                s.handoff_file.as_deref(),
                s.ended.map(|w| w.at),
                s.started,
            )
        }));

        // Handoffs claimed by a known session (by recorded or expected file name, or by
        // the session id written in them) belong to it; the others are sessions of their
        // own (a directory made by hand from the seed).
        let mut claimed: FxHashMap<&str, usize> =
            HashMap::with_capacity_and_hasher(expected.len(), FxBuildHasher::default());
        for (i, f) in expected.iter().enumerate() {
            if let Some(f) = f {
                claimed.entry(f.as_str()).or_insert(i);
            }
        }
        let mut handoff_infos: Vec<HandoffInfo> = Vec::with_capacity(handoffs.len() + named.len());
        // Claims by name first: a session whose record names no handoff takes the one its
        // name says over one that only names the session.
        let mut rest: Vec<(Record, When)> = Vec::new();
        let by_name = |file: &str, w: When, sessions: &mut Vec<SessionInfo>| {
            let &i = claimed.get(file)?;
            let dated = (w.date() != NaiveDate::MIN).then_some(w);
            let s = &mut sessions[i];
            if s.handoff_file.is_none() {
                s.handoff_file = Some(file.to_string());
            }
            Some((s.ended.or(dated), Some(s.id.clone())))
        };
        for (r, w) in handoffs {
            let Data::Handoff(h) = &r.data else { continue };
            match by_name(&h.file, w, &mut sessions) {
                Some((at, session_id)) => handoff_infos.push(HandoffInfo {
                    file: h.file.clone(),
                    summary: h.summary.clone(),
                    title: r.title,
                    at,
                    session_id,
                }),
                None => rest.push((r, w)),
            }
        }
        for n in named {
            let w = n.when.unwrap_or(When::day(NaiveDate::MIN));
            match by_name(&n.file, w, &mut sessions) {
                Some((at, session_id)) => handoff_infos.push(HandoffInfo {
                    file: n.file,
                    title: String::new(),
                    summary: None,
                    at,
                    session_id,
                }),
                // Not claimed after all (the caller's list was not `claimed_handoff_files`'):
                // a session of its own, known by name.
                None => {
                    let data = HandoffData {
                        file: n.file.clone(),
                        ..HandoffData::default()
                    };
                    rest.push((
                        Record {
                            kind: Kind::Handoff,
                            when: n.when,
                            session_id: None,
                            title: n.file,
                            body: String::new(),
                            source: Source::default(),
                            data: Data::Handoff(Box::new(data)),
                        },
                        w,
                    ));
                }
            }
        }
        // Room for every handoff left to be a session of its own (growing would double the
        // list: a seed directory has thousands).
        sessions.reserve_exact(rest.len());
        for (r, w) in rest {
            let Data::Handoff(h) = r.data else { continue };
            let owner = r.session_id.as_deref().and_then(|id| {
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
                        details: true,
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
        let mut by_id: FxHashMap<u64, usize> =
            HashMap::with_capacity_and_hasher(sessions.len(), FxBuildHasher::default());
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
        let from_handoffs: usize = sessions
            .iter()
            .filter(|s| s.origin == Origin::Handoff)
            .map(|s| s.handoff_decisions.len())
            .sum();
        let mut decision_entries: Vec<DecisionEntry> =
            Vec::with_capacity(decisions.len() + from_handoffs);
        let (keys, with_session) = repeat_keys(&decisions, Kind::Decision);
        let mut seen: FxHashMap<(u64, u64), usize> =
            HashMap::with_capacity_and_hasher(decisions.len(), FxBuildHasher::default());
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

        handoff_infos.sort_by(|a, b| {
            time_key(a.at)
                .cmp(&time_key(b.at))
                .then_with(|| a.file.cmp(&b.file))
        });
        let Notes {
            insights,
            code,
            blockers,
        } = notes_of(notes, &end_of);

        History {
            sessions,
            decisions: decision_entries,
            insights,
            handoffs: handoff_infos,
            code,
            blockers,
            by_id,
        }
    }

    /// The notes `records` took in, dated by this history's sessions: the end of a note's
    /// session when it is known, else the note's own date.
    pub fn notes(&self, records: NoteRecords) -> Notes {
        notes_of(records, &|id| self.session(id.as_deref()?)?.ended)
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

    /// A session whose record names no handoff takes the one its name says, wherever the
    /// one that only mentions its id sorts; handoffs given by name only land the same.
    #[test]
    fn a_session_takes_its_own_handoff_first() {
        let r = SessionRecord {
            session_id: "2025-11-15-001".into(),
            started_at: Some("2025-11-15T09:00:00Z".into()),
            ended_at: Some("2025-11-15T12:00:00Z".into()),
            ..Default::default()
        };
        let mentions = "# Notes\n\n**Session:** 2025-11-15-001\n";
        let own = "# Session Handoff - 2025-11-15\n";
        let mut records = from_session("CURRENT_SESSION.json", Origin::Current, &r, None, None);
        records.push(from_handoff("SESSION_HANDOFFS/0-notes.md", mentions, None));
        records.push(from_handoff(
            "SESSION_HANDOFFS/2025-11-15_session_1.md",
            own,
            None,
        ));
        let full = History::from_records(records.clone());
        let s = &full.sessions[0];
        assert_eq!(full.sessions.len(), 1);
        assert_eq!(s.handoff_file.as_deref(), Some("2025-11-15_session_1.md"));
        assert!(
            full.handoffs
                .iter()
                .all(|h| h.session_id == Some(s.id.clone()))
        );
        let claimed = claimed_handoff_files(&records);
        assert!(claimed.contains("2025-11-15_session_1.md") && !claimed.contains("0-notes.md"));
        // The claimed one by name and date only.
        let when = records[2].when;
        records.pop();
        let lean = History::from_parts(
            records,
            vec![NamedHandoff {
                file: "2025-11-15_session_1.md".into(),
                when,
            }],
        );
        assert_eq!(lean.sessions, full.sessions);
        let files = |h: &History| -> Vec<(String, Option<When>, Option<String>)> {
            h.handoffs
                .iter()
                .map(|x| (x.file.clone(), x.at, x.session_id.clone()))
                .collect()
        };
        assert_eq!(files(&lean), files(&full));
    }

    #[test]
    fn pending_lines_keep_their_priority() {
        assert_eq!(pending_from_text("[high] Ship it").priority, Priority::High);
        assert_eq!(pending_from_text("[high] Ship it").task, "Ship it");
        assert_eq!(pending_from_text("Ship it (low)").priority, Priority::Low);
        assert_eq!(pending_from_text("Ship it").task, "Ship it");
    }
}
