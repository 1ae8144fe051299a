//! Insights, code entries and blockers: what sessions noted along the way. A history read
//! for time travel leaves them out; the timeline reads them beside it (`History::notes`) and
//! gets them exactly as a whole history would hold them (`History::from_parts` makes its own
//! with the same functions).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::catalog::{Data, Kind, Record, Source, When};
use super::fast_hash::FxBuildHasher;
use super::search::{dedupe_key, session_key};

/// Dated and ordered (oldest first, undated last) as a `History` holds them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Notes {
    pub insights: Vec<InsightEntry>,
    pub code: Vec<CodeEntry>,
    pub blockers: Vec<BlockerEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsightEntry {
    pub text: String,
    pub at: Option<When>,
    pub session_id: Option<String>,
    pub source: Source,
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

/// Sort key: dated things by time, undated last.
pub(super) fn time_key(w: Option<When>) -> DateTime<Utc> {
    w.map_or(DateTime::<Utc>::MAX_UTC, |w| w.at)
}

/// Note records as they are read, each kind in its own list, for `History::notes`.
#[derive(Debug, Default)]
pub struct NoteRecords {
    insights: Vec<Record>,
    code: Vec<Record>,
    blockers: Vec<BlockerEntry>,
}

impl NoteRecords {
    /// Room for this many of each kind (a read knows them from the index's stats; the
    /// lists would double as they grew).
    pub fn with_capacity(insights: usize, code: usize, blockers: usize) -> NoteRecords {
        NoteRecords {
            insights: Vec::with_capacity(insights),
            code: Vec::with_capacity(code),
            blockers: Vec::with_capacity(blockers),
        }
    }

    /// Takes a note; a record of another kind is skipped.
    pub fn push(&mut self, r: Record) {
        match r.kind {
            Kind::Insight => self.insights.push(r),
            Kind::Code => self.code.push(r),
            Kind::Blocker => self.blockers.push(blocker_entry(r)),
            _ => {}
        }
    }
}

/// The notes `records` took in, dated by `end_of`: the end of a note's session when it is
/// known, else the note's own date (`History::notes`, `History::from_parts`).
pub(super) fn notes_of(records: NoteRecords, end_of: &EndOf<'_>) -> Notes {
    let NoteRecords {
        insights,
        code,
        blockers,
    } = records;
    Notes {
        insights: insight_entries(insights, end_of),
        code: code_entries(code, end_of),
        blockers: blocker_entries(blockers, end_of),
    }
}

/// The end of a session by id (`None`: no such session, or it has not ended).
pub(super) type EndOf<'a> = dyn Fn(&Option<String>) -> Option<When> + 'a;

/// Each record's repeat key (its normalized text), and the keys that some record with a
/// session has: an entry without a session gives way to one with (decisions and insights).
pub(super) fn repeat_keys(
    records: &[Record],
    kind: Kind,
) -> (Vec<u64>, HashSet<u64, FxBuildHasher>) {
    let keys: Vec<u64> = records.iter().map(|r| dedupe_key(kind, &r.title)).collect();
    let with_session = records
        .iter()
        .zip(&keys)
        .filter(|(r, _)| r.session_id.is_some())
        .map(|(_, k)| *k)
        .collect();
    (keys, with_session)
}

/// One insight per (text, session); an entry without a session gives way to one with.
fn insight_entries(insights: Vec<Record>, end_of: &EndOf<'_>) -> Vec<InsightEntry> {
    let mut entries: Vec<InsightEntry> = Vec::with_capacity(insights.len());
    let (keys, with_session) = repeat_keys(&insights, Kind::Insight);
    let mut seen: HashSet<(u64, u64), FxBuildHasher> =
        HashSet::with_capacity_and_hasher(insights.len(), FxBuildHasher::default());
    for (r, key) in insights.into_iter().zip(keys) {
        let skey = session_key(r.session_id.as_deref());
        if skey == 0 && with_session.contains(&key) || !seen.insert((key, skey)) {
            continue;
        }
        entries.push(InsightEntry {
            at: end_of(&r.session_id).or(r.when),
            text: r.title,
            session_id: r.session_id,
            source: r.source,
        });
    }
    entries.sort_by_key(|i| time_key(i.at));
    entries
}

fn code_entries(code: Vec<Record>, end_of: &EndOf<'_>) -> Vec<CodeEntry> {
    let mut entries: Vec<CodeEntry> = code
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
    entries.sort_by_key(|c| time_key(c.at));
    entries
}

fn blocker_entry(r: Record) -> BlockerEntry {
    let (solution, lesson) = match r.data {
        Data::Blocker { solution, lesson } => (solution, lesson),
        _ => (None, None),
    };
    BlockerEntry {
        blocker: r.title,
        solution,
        lesson,
        at: r.when,
        session_id: r.session_id,
    }
}

fn blocker_entries(mut blockers: Vec<BlockerEntry>, end_of: &EndOf<'_>) -> Vec<BlockerEntry> {
    for b in &mut blockers {
        b.at = end_of(&b.session_id).or(b.at);
    }
    blockers.sort_by_key(|b| time_key(b.at));
    blockers
}
