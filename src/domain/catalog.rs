//! The catalog: everything the history, time travel, the timeline and search know about a
//! directory, as flat [`Record`]s extracted from its files. Extraction is pure (bytes or
//! parsed values in, records out); the store keeps the records of every file in an index so
//! that a directory of 10,000 sessions is not re-read for each question.
//!
//! One record per thing a person would look for: a session, a handoff, a decision, an
//! insight, a blocker, a code-registry entry. Each has a kind, a date when its file gives
//! one, the session it belongs to, a title, a body (searchable text besides the title),
//! where it came from (file and line), and kind-specific data.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

use super::archive::ArchivedSession;
use super::handoff::{Handoff, HandoffName, SectionKind};
use super::items::{Blocker, Decision, PendingItem, value_text};
use super::session::{Commit, SessionCounts, SessionRecord};
use super::time::{format_timestamp, parse_timestamp};

/// What a record is. The first five are searched; `Code` feeds the timeline and staleness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Session,
    Handoff,
    Decision,
    Insight,
    Blocker,
    Code,
}

impl Kind {
    /// The kinds search covers, in the order result groups are listed when scores tie.
    pub const SEARCHED: [Kind; 5] = [
        Kind::Decision,
        Kind::Handoff,
        Kind::Session,
        Kind::Insight,
        Kind::Blocker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::Handoff => "handoff",
            Kind::Decision => "decision",
            Kind::Insight => "insight",
            Kind::Blocker => "blocker",
            Kind::Code => "code",
        }
    }

    /// `decision`, `decisions`, `Decision`…; `None` for anything else.
    pub fn parse(text: &str) -> Option<Kind> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_suffix('s').unwrap_or(&t);
        Some(match t {
            "session" | "record" => Kind::Session,
            "handoff" => Kind::Handoff,
            "decision" => Kind::Decision,
            "insight" => Kind::Insight,
            "blocker" => Kind::Blocker,
            "code" => Kind::Code,
            _ => return None,
        })
    }

    pub fn to_u8(self) -> u8 {
        self as u8
    }

    pub fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            0 => Kind::Session,
            1 => Kind::Handoff,
            2 => Kind::Decision,
            3 => Kind::Insight,
            4 => Kind::Blocker,
            5 => Kind::Code,
            _ => return None,
        })
    }
}

/// When something happened, as precisely as its file says: an instant, or only a day
/// (then `at` is that day's midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct When {
    pub at: DateTime<Utc>,
    pub day_only: bool,
}

impl When {
    pub fn at(at: DateTime<Utc>) -> When {
        When {
            at,
            day_only: false,
        }
    }

    pub fn day(day: NaiveDate) -> When {
        When {
            at: Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()),
            day_only: true,
        }
    }

    /// `2025-11-15` reads as a day, anything with a time as an instant.
    pub fn parse(text: &str) -> Option<When> {
        let t = text.trim();
        if t.len() == 10 {
            return NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().map(When::day);
        }
        parse_timestamp(t).map(When::at)
    }

    pub fn date(&self) -> NaiveDate {
        self.at.date_naive()
    }

    /// `2025-11-15` for a day, RFC 3339 for an instant (as JSON output gives it).
    pub fn to_text(&self) -> String {
        if self.day_only {
            self.date().format("%Y-%m-%d").to_string()
        } else {
            format_timestamp(self.at)
        }
    }
}

impl Serialize for When {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

/// Where a record came from: a file relative to the sessions directory, and a 1-based line
/// (0 when the record is the whole file).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Source {
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: Kind,
    pub when: Option<When>,
    pub session_id: Option<String>,
    pub title: String,
    pub body: String,
    pub source: Source,
    pub data: Data,
}

/// What each kind carries besides its text.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Data {
    #[default]
    None,
    Session(Box<SessionData>),
    Handoff(Box<HandoffData>),
    Decision(Box<Decision>),
    Blocker {
        solution: Option<String>,
        lesson: Option<String>,
    },
    Code {
        path: String,
        note: Option<String>,
    },
}

/// Where a session's record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `SESSION_LOGS/<id>.json`: an ended session, with its as-of state.
    #[default]
    Archive,
    /// A running session (`ACTIVE_SESSIONS/` or an open `CURRENT_SESSION.json`).
    Active,
    /// The seed's `CURRENT_SESSION.json` of an ended session baton did not archive.
    Current,
    /// Known only from its handoff file (directories made by hand from the seed).
    Handoff,
}

impl Origin {
    pub fn to_u8(self) -> u8 {
        self as u8
    }

    pub fn from_u8(b: u8) -> Origin {
        match b {
            1 => Origin::Active,
            2 => Origin::Current,
            3 => Origin::Handoff,
            _ => Origin::Archive,
        }
    }
}

/// Pending work and totals right after a session, from its archive.
///
/// Items are shared (`Arc`): consecutive sessions mostly repeat the same pending list, and
/// the index hands out one item for every identical copy (10,000 sessions hold about
/// 84,000 as-of items, 20,000 of them different).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AsOfData {
    pub sessions: u64,
    pub hours: f64,
    pub pending: Vec<Arc<PendingItem>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionData {
    pub origin: Origin,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub duration_hours: Option<f64>,
    pub counts: SessionCounts,
    pub handoff_file: Option<String>,
    pub as_of: Option<AsOfData>,
    pub next_steps: Vec<PendingItem>,
    /// Pending work this session finished (`completed` and achievements), for folding
    /// pending work when there is no as-of state.
    pub finished: Vec<String>,
    pub commits: Vec<Commit>,
    pub files_modified: Vec<String>,
    /// `next_steps`, `finished`, `commits` and `files_modified` were read. A lean read of
    /// the index leaves them out of sessions that have an as-of state (nothing but the
    /// session's own view shows them); sessions without one keep them (their pending work
    /// is folded from them).
    pub details: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HandoffData {
    pub file: String,
    /// From the file name.
    pub name_date: Option<NaiveDate>,
    pub modified: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    /// Items of its Pending Items section.
    pub pending: Vec<String>,
    /// Items of its Decisions section.
    pub decisions: Vec<String>,
    pub counts: SessionCounts,
}

fn push_section(body: &mut String, label: &str, items: impl IntoIterator<Item = String>) {
    let mut first = true;
    for item in items {
        let item = item.trim().to_string();
        if item.is_empty() {
            continue;
        }
        if first {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(label);
            body.push_str(":\n");
            first = false;
        }
        body.push_str("- ");
        body.push_str(&item.replace('\n', " "));
        body.push('\n');
    }
}

fn push_line(body: &mut String, label: &str, text: Option<&str>) {
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        body.push_str(label);
        body.push_str(": ");
        body.push_str(&t.replace('\n', " "));
        body.push('\n');
    }
}

fn decision_line(d: &Decision) -> String {
    let mut s = d.decision.clone();
    if let Some(r) = d.reasoning.as_deref().filter(|r| !r.trim().is_empty()) {
        s.push_str(" (why: ");
        s.push_str(r);
        s.push(')');
    }
    if let Some(i) = d.impact.as_deref().filter(|i| !i.trim().is_empty()) {
        s.push_str(" → ");
        s.push_str(i);
    }
    s
}

fn blocker_line(b: &Blocker) -> String {
    let mut s = b.blocker.clone();
    if let Some(x) = b.solution.as_deref().filter(|x| !x.trim().is_empty()) {
        s.push_str(" (solution: ");
        s.push_str(x);
        s.push(')');
    }
    s
}

/// The searchable text of a session record: every list and note in it, labelled.
pub fn session_body(r: &SessionRecord) -> String {
    let mut body = String::new();
    push_line(&mut body, "Session", Some(&r.session_id));
    push_line(&mut body, "Summary", r.summary.as_deref());
    push_line(&mut body, "Notes", Some(&r.handoff_notes));
    push_section(&mut body, "Achievements", r.achievements.iter().cloned());
    push_section(&mut body, "Completed", r.completed.iter().cloned());
    push_section(
        &mut body,
        "Decisions",
        r.decisions_made.iter().map(decision_line),
    );
    push_section(&mut body, "Insights", r.insights_gained.iter().cloned());
    push_section(
        &mut body,
        "Blockers",
        r.blockers_encountered.iter().map(blocker_line),
    );
    push_section(
        &mut body,
        "Next steps",
        r.next_steps.iter().map(|p| p.task.clone()),
    );
    push_section(&mut body, "Code", r.code_created.iter().cloned());
    push_section(&mut body, "Files", r.files_modified.iter().cloned());
    push_section(&mut body, "Services", r.services_deployed.iter().cloned());
    push_section(&mut body, "Commits", r.commits.iter().map(Commit::oneline));
    body
}

/// A session record (archived, active or the seed's `CURRENT_SESSION.json`) and its
/// blockers. Active sessions also give their decisions and insights, which no log holds yet.
pub fn from_session(
    file: &str,
    origin: Origin,
    record: &SessionRecord,
    handoff_file: Option<String>,
    as_of: Option<AsOfData>,
) -> Vec<Record> {
    let started = record.started();
    let ended = if record.is_active() {
        None
    } else {
        record.ended()
    };
    let when = ended.or(started).map(When::at);
    let session_id = Some(record.session_id.clone()).filter(|s| !s.is_empty());
    let title = if record.primary_goal.trim().is_empty() {
        record.session_id.clone()
    } else {
        record.primary_goal.clone()
    };
    let mut finished = record.completed.clone();
    finished.extend(record.achievements.iter().cloned());
    let data = SessionData {
        origin,
        started,
        ended,
        duration_hours: record.duration_hours,
        counts: record.counts(),
        handoff_file,
        as_of,
        next_steps: record.next_steps.clone(),
        finished,
        commits: record.commits.clone(),
        files_modified: record.files_modified.clone(),
        details: true,
    };
    let source = Source {
        file: file.to_string(),
        line: 0,
    };
    let mut out = vec![Record {
        kind: Kind::Session,
        when,
        session_id: session_id.clone(),
        title,
        body: session_body(record),
        source: source.clone(),
        data: Data::Session(Box::new(data)),
    }];
    for b in &record.blockers_encountered {
        if b.blocker.trim().is_empty() {
            continue;
        }
        let mut body = String::new();
        push_line(&mut body, "Solution", b.solution.as_deref());
        push_line(&mut body, "Lesson", b.lesson.as_deref());
        out.push(Record {
            kind: Kind::Blocker,
            when,
            session_id: session_id.clone(),
            title: b.blocker.clone(),
            body,
            source: source.clone(),
            data: Data::Blocker {
                solution: b.solution.clone(),
                lesson: b.lesson.clone(),
            },
        });
    }
    if origin == Origin::Active {
        let day = started.map(|s| When::day(s.date_naive()));
        for d in &record.decisions_made {
            let mut d = d.clone();
            d.session_id = d.session_id.or_else(|| session_id.clone());
            out.push(decision_record(d, source.clone(), day));
        }
        for i in &record.insights_gained {
            out.push(insight_record(i, session_id.clone(), day, source.clone()));
        }
    }
    out
}

/// An archive's records: the session (with its as-of state) and its blockers.
pub fn from_archive(file: &str, a: &ArchivedSession) -> Vec<Record> {
    let as_of = a.as_of.as_ref().map(|s| AsOfData {
        sessions: s.total_sessions,
        hours: s.total_hours,
        pending: s
            .pending_work
            .iter()
            .cloned()
            .map(|v| Arc::new(PendingItem::from_value(v)))
            .collect(),
    });
    from_session(
        file,
        Origin::Archive,
        &a.record,
        a.handoff_file.clone(),
        as_of,
    )
}

fn decision_record(d: Decision, source: Source, fallback: Option<When>) -> Record {
    let mut body = String::new();
    push_line(&mut body, "Why", d.reasoning.as_deref());
    push_line(&mut body, "Impact", d.impact.as_deref());
    push_line(&mut body, "Results", d.results());
    push_line(&mut body, "Status", d.status.as_deref());
    Record {
        kind: Kind::Decision,
        when: d.date.as_deref().and_then(When::parse).or(fallback),
        session_id: d.session_id.clone().filter(|s| !s.is_empty()),
        title: d.decision.clone(),
        body,
        source,
        data: Data::Decision(Box::new(d)),
    }
}

/// A line of `DECISIONS_LOG.json` or an entry of `core_decisions`.
pub fn from_decision(file: &str, line: u32, value: Value) -> Option<Record> {
    let d = Decision::from_value(value);
    if d.decision.trim().is_empty() {
        return None;
    }
    Some(decision_record(
        d,
        Source {
            file: file.to_string(),
            line,
        },
        None,
    ))
}

fn insight_record(
    text: &str,
    session_id: Option<String>,
    when: Option<When>,
    source: Source,
) -> Record {
    Record {
        kind: Kind::Insight,
        when,
        session_id,
        title: text.trim().to_string(),
        body: String::new(),
        source,
        data: Data::None,
    }
}

/// A line of `INSIGHTS_DB.json`: `{"insight", "session_id", "date", "practice"}`.
pub fn from_insight(file: &str, line: u32, value: &Value) -> Option<Record> {
    let text = match value {
        Value::Object(map) => map
            .get("insight")
            .or_else(|| map.get("text"))
            .or_else(|| map.get("lesson"))
            .map(value_text)?,
        other => value_text(other),
    };
    if text.trim().is_empty() {
        return None;
    }
    let field = |k: &str| value.get(k).map(value_text).filter(|s| !s.is_empty());
    Some(insight_record(
        &text,
        field("session_id"),
        field("date").as_deref().and_then(When::parse),
        Source {
            file: file.to_string(),
            line,
        },
    ))
}

/// A line of `INSIGHTS.log`: `Insight: …` as the seed's `echo` writes it (undated).
pub fn from_insight_line(file: &str, line: u32, text: &str) -> Option<Record> {
    let t = text.trim();
    let t = t
        .strip_prefix("Insight:")
        .or_else(|| t.strip_prefix("insight:"))
        .unwrap_or(t)
        .trim();
    if t.is_empty() {
        return None;
    }
    Some(insight_record(
        t,
        None,
        None,
        Source {
            file: file.to_string(),
            line,
        },
    ))
}

/// A line of `CODE_REGISTRY.json`: `{"path", "note", "session_id", "date"}`.
pub fn from_code(file: &str, line: u32, value: &Value) -> Option<Record> {
    let field = |k: &str| {
        value
            .get(k)
            .map(value_text)
            .filter(|s| !s.trim().is_empty())
    };
    let path = match value {
        Value::Object(_) => field("path").or_else(|| field("file"))?,
        other => value_text(other),
    };
    let path = path.trim().to_string();
    if path.is_empty() {
        return None;
    }
    let note = field("note").or_else(|| field("description"));
    Some(Record {
        kind: Kind::Code,
        when: field("date").as_deref().and_then(When::parse),
        session_id: field("session_id"),
        title: path.clone(),
        body: note.clone().unwrap_or_default(),
        source: Source {
            file: file.to_string(),
            line,
        },
        data: Data::Code { path, note },
    })
}

/// A handoff file. Its date is the one in its name, else its modification time.
pub fn from_handoff(file: &str, text: &str, modified: Option<DateTime<Utc>>) -> Record {
    let base = file.rsplit('/').next().unwrap_or(file);
    let name = HandoffName::parse(base);
    let parsed = Handoff::parse(text);
    let when = name
        .date
        .map(When::day)
        .or(modified.map(When::at))
        .or(parsed.date.map(When::day));
    let pending = parsed.items(SectionKind::PendingItems);
    let decisions = parsed.items(SectionKind::Decisions);
    let counts = SessionCounts {
        decisions: decisions.len(),
        achievements: parsed.items(SectionKind::Accomplished).len(),
        insights: parsed.items(SectionKind::KeyLearnings).len(),
        blockers: 0,
        next_steps: parsed.items(SectionKind::NextSessionStart).len(),
        code: parsed.items(SectionKind::CodeLocations).len(),
    };
    let title = parsed
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| base.to_string());
    Record {
        kind: Kind::Handoff,
        when,
        session_id: parsed.session_id.clone().filter(|s| !s.is_empty()),
        title,
        body: text.to_string(),
        source: Source {
            file: file.to_string(),
            line: 0,
        },
        data: Data::Handoff(Box::new(HandoffData {
            file: base.to_string(),
            name_date: name.date,
            modified,
            summary: parsed.summary(),
            pending,
            decisions,
            counts,
        })),
    }
}

impl Record {
    pub fn session(&self) -> Option<&SessionData> {
        match &self.data {
            Data::Session(s) => Some(s),
            _ => None,
        }
    }

    pub fn handoff(&self) -> Option<&HandoffData> {
        match &self.data {
            Data::Handoff(h) => Some(h),
            _ => None,
        }
    }

    pub fn decision(&self) -> Option<&Decision> {
        match &self.data {
            Data::Decision(d) => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_parse_loosely() {
        assert_eq!(Kind::parse("Decisions"), Some(Kind::Decision));
        assert_eq!(Kind::parse("handoff"), Some(Kind::Handoff));
        assert_eq!(Kind::parse("nope"), None);
        for k in Kind::SEARCHED {
            assert_eq!(Kind::from_u8(k.to_u8()), Some(k));
        }
    }

    #[test]
    fn dates_keep_their_precision() {
        let d = When::parse("2025-11-15").unwrap();
        assert!(d.day_only);
        assert_eq!(d.to_text(), "2025-11-15");
        let t = When::parse("2025-11-15T10:00:00Z").unwrap();
        assert!(!t.day_only);
        assert_eq!(t.to_text(), "2025-11-15T10:00:00Z");
        assert!(d < t);
    }

    #[test]
    fn seed_echo_lines_become_records() {
        let d = from_decision(
            "DECISIONS_LOG.json",
            3,
            json!({"decision": "Use Ollama", "reasoning": "free", "impact": "sovereign"}),
        )
        .unwrap();
        assert_eq!(d.title, "Use Ollama");
        assert_eq!(d.body, "Why: free\nImpact: sovereign\n");
        assert_eq!(d.when, None);
        let i = from_insight_line("INSIGHTS.log", 1, "Insight: Check deps early").unwrap();
        assert_eq!(i.title, "Check deps early");
        let c = from_code(
            "CODE_REGISTRY.json",
            1,
            &json!({"path": "src/a.rs", "date": "2025-11-15"}),
        )
        .unwrap();
        assert_eq!(c.title, "src/a.rs");
        assert_eq!(c.when, When::parse("2025-11-15"));
    }

    #[test]
    fn handoffs_are_dated_by_name_else_modification() {
        let text = "# Session Handoff - 2025-11-15\n\n**Session:** 2025-11-15-001\n\n## Pending Items\n- [high] Ship it\n";
        let r = from_handoff("SESSION_HANDOFFS/2025-11-15_session_1.md", text, None);
        assert_eq!(r.when, When::parse("2025-11-15"));
        assert_eq!(r.session_id.as_deref(), Some("2025-11-15-001"));
        assert_eq!(r.handoff().unwrap().pending, vec!["[high] Ship it"]);
        let m = parse_timestamp("2025-12-01T10:00:00Z").unwrap();
        let r = from_handoff("SESSION_HANDOFFS/notes.md", "hello", Some(m));
        assert_eq!(r.when, Some(When::at(m)));
        assert_eq!(r.title, "notes.md");
    }
}
