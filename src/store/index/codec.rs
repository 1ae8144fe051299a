//! The catalog's records in the index's binary encoding (`store::binary`).
//! Decoding never panics: anything out of bounds or malformed is an error, and the index
//! is then rebuilt from the files.

use std::borrow::Borrow;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::domain::catalog::{AsOfData, Data, HandoffData, Origin, SessionData};
use crate::domain::fast_hash::FxHashMap;
use crate::domain::items::{Decision, PendingItem, Priority};
use crate::domain::session::{Commit, SessionCounts};

pub use crate::store::binary::{Corrupt, DResult, Dec, Enc, hash};

// ---------------------------------------------------------------------------------------
// Records' data.

fn enc_extra(e: &mut Enc, extra: &Map<String, Value>) {
    e.u(extra.len() as u64);
    for (k, v) in extra {
        e.s(k);
        match v {
            Value::String(s) => {
                e.buf.push(0);
                e.s(s);
            }
            other => {
                e.buf.push(1);
                e.s(&other.to_string());
            }
        }
    }
}

fn dec_extra(d: &mut Dec<'_>) -> DResult<Map<String, Value>> {
    let n = d.count()?;
    let mut map = Map::new();
    for _ in 0..n {
        let k = d.s()?;
        let v = match d.bytes(1)?[0] {
            0 => Value::String(d.s()?),
            _ => serde_json::from_str(d.str()?).map_err(|_| Corrupt)?,
        };
        map.insert(k, v);
    }
    Ok(map)
}

fn enc_pending(e: &mut Enc, p: &PendingItem) {
    e.s(&p.task);
    e.buf.push(p.priority as u8);
    e.os(p.priority_raw.as_deref());
    e.os(p.status.as_deref());
    enc_extra(e, &p.extra);
}

/// `keep_extra`: also the item's other fields (`added_by`…). As-of lists keep only
/// `added_at` (the dashboard shows ages): 10,000 sessions hold about 70,000 such items, and
/// their other fields would be much of a loaded history's memory.
fn dec_pending(d: &mut Dec<'_>, keep_extra: bool) -> DResult<PendingItem> {
    let task = d.s()?;
    let priority = match d.bytes(1)?[0] {
        0 => Priority::High,
        2 => Priority::Low,
        _ => Priority::Medium,
    };
    let mut p = PendingItem::new(task, priority);
    p.priority_raw = d.os()?;
    p.status = d.os()?;
    if keep_extra {
        p.extra = dec_extra(d)?;
    } else {
        let n = d.count()?;
        for _ in 0..n {
            let key = d.str()?;
            let tag = d.bytes(1)?[0];
            let value = d.str()?;
            if key == "added_at" && tag == 0 {
                // Sized for its one entry: the map would grow to three (6 MB of the
                // timeline's read at 10,000 sessions, massif).
                if p.extra.is_empty() {
                    p.extra = serde_json::Map::with_capacity(1);
                }
                p.extra
                    .insert(key.to_string(), Value::String(value.to_string()));
            }
        }
    }
    Ok(p)
}

fn enc_pendings<T: Borrow<PendingItem>>(e: &mut Enc, list: &[T]) {
    e.u(list.len() as u64);
    for p in list {
        enc_pending(e, p.borrow());
    }
}

/// Moves past an item [`enc_pending`] wrote.
fn skip_pending(d: &mut Dec<'_>) -> DResult<()> {
    d.skip_str()?;
    d.bytes(1)?;
    d.skip_os()?;
    d.skip_os()?;
    let n = d.count()?;
    for _ in 0..n {
        d.skip_str()?;
        d.bytes(1)?;
        d.skip_str()?;
    }
    Ok(())
}

/// How much of a record to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Heads only: a session's dates, counts and handoff; a handoff's dates and summary;
    /// titles and sessions of the rest. Lists are empty, reasons `None`.
    Head,
    /// Everything but a session's next steps, finished work, commits and files when it has
    /// an as-of state (what time travel needs; see `SessionData::details`).
    AsOf,
    /// [`Detail::AsOf`] plus every session's commits (what the timeline shows); next steps,
    /// finished work and files stay out.
    Commits,
    Full,
}

/// Shares as-of pending items while records are decoded: every identical encoding is
/// decoded once and handed out as the same `Arc` (consecutive sessions repeat most of
/// their lists: 10,000 sessions hold ~84,000 items, ~20,000 of them different).
#[derive(Debug, Default)]
pub struct Pool {
    pending: FxHashMap<u64, (Box<[u8]>, Arc<PendingItem>)>,
}

impl Pool {
    fn as_of_item(&mut self, d: &mut Dec<'_>) -> DResult<Arc<PendingItem>> {
        let start = d.pos;
        skip_pending(d)?;
        let bytes = d.buf.get(start..d.pos).ok_or(Corrupt)?;
        let key = hash(bytes);
        if let Some((b, item)) = self.pending.get(&key)
            && **b == *bytes
        {
            return Ok(item.clone());
        }
        let item = Arc::new(dec_pending(&mut Dec::new(bytes), false)?);
        self.pending
            .entry(key)
            .or_insert_with(|| (bytes.into(), item.clone()));
        Ok(item)
    }

    /// How many different items were decoded.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.pending.len()
    }
}

fn dec_commits(t: &mut Dec<'_>) -> DResult<Vec<Commit>> {
    let n = t.count()?;
    let mut commits = Vec::with_capacity(n);
    for _ in 0..n {
        commits.push(Commit {
            hash: t.s()?,
            author: t.s()?,
            date: t.s()?,
            subject: t.s()?,
        });
    }
    Ok(commits)
}

fn dec_pendings(d: &mut Dec<'_>, keep_extra: bool) -> DResult<Vec<PendingItem>> {
    let n = d.count()?;
    (0..n).map(|_| dec_pending(d, keep_extra)).collect()
}

fn enc_counts(e: &mut Enc, c: &SessionCounts) {
    for v in [
        c.decisions,
        c.achievements,
        c.insights,
        c.blockers,
        c.next_steps,
        c.code,
    ] {
        e.u(v as u64);
    }
}

fn dec_counts(d: &mut Dec<'_>) -> DResult<SessionCounts> {
    Ok(SessionCounts {
        decisions: d.u()? as usize,
        achievements: d.u()? as usize,
        insights: d.u()? as usize,
        blockers: d.u()? as usize,
        next_steps: d.u()? as usize,
        code: d.u()? as usize,
    })
}

/// Data is written as a head (what listings read) and a tail (lists), kept apart so a
/// listing reads only heads.
pub fn enc_data(e: &mut Enc, tail: &mut Enc, data: &Data) {
    match data {
        Data::None => e.buf.push(0),
        Data::Session(s) => {
            e.buf.push(1);
            e.buf.push(s.origin.to_u8());
            e.time(s.started);
            e.time(s.ended);
            match s.duration_hours {
                None => e.buf.push(0),
                Some(h) => {
                    e.buf.push(1);
                    e.f(h);
                }
            }
            enc_counts(e, &s.counts);
            e.os(s.handoff_file.as_deref());
            match &s.as_of {
                None => tail.buf.push(0),
                Some(a) => {
                    tail.buf.push(1);
                    tail.u(a.sessions);
                    tail.f(a.hours);
                    enc_pendings(tail, &a.pending);
                }
            }
            enc_pendings(tail, &s.next_steps);
            tail.strs(&s.finished);
            tail.u(s.commits.len() as u64);
            for c in &s.commits {
                tail.s(&c.hash);
                tail.s(&c.author);
                tail.s(&c.date);
                tail.s(&c.subject);
            }
            tail.strs(&s.files_modified);
        }
        Data::Handoff(h) => {
            e.buf.push(2);
            e.s(&h.file);
            e.date(h.name_date);
            e.time(h.modified);
            e.os(h.summary.as_deref());
            enc_counts(e, &h.counts);
            tail.strs(&h.pending);
            tail.strs(&h.decisions);
        }
        Data::Decision(dec) => {
            e.buf.push(3);
            tail.os(dec.reasoning.as_deref());
            tail.os(dec.impact.as_deref());
            tail.os(dec.status.as_deref());
            tail.os(dec.date.as_deref());
            tail.os(dec.id.as_deref());
            enc_extra(tail, &dec.extra);
        }
        Data::Blocker { solution, lesson } => {
            e.buf.push(4);
            tail.os(solution.as_deref());
            tail.os(lesson.as_deref());
        }
        Data::Code { path, note } => {
            e.buf.push(5);
            e.s(path);
            tail.os(note.as_deref());
        }
    }
}

/// Decodes what [`enc_data`] wrote; `tail` is `None` for [`Detail::Head`] (lists stay
/// empty, optional details `None`). With [`Detail::AsOf`], a session with an as-of state
/// leaves out its next steps, finished work, commits and files (`details` false). As-of
/// items come from `pool`. `title` and `session` complete decisions.
pub fn dec_data(
    d: &mut Dec<'_>,
    tail: Option<&[u8]>,
    detail: Detail,
    title: &str,
    session: Option<&str>,
    pool: &mut Pool,
) -> DResult<Data> {
    let tag = d.bytes(1)?[0];
    let mut t = tail.map(Dec::new);
    Ok(match tag {
        0 => Data::None,
        1 => {
            let mut s = SessionData {
                origin: Origin::from_u8(d.bytes(1)?[0]),
                started: d.time()?,
                ended: d.time()?,
                duration_hours: if d.b()? { Some(d.f()?) } else { None },
                counts: dec_counts(d)?,
                handoff_file: d.os()?,
                ..SessionData::default()
            };
            if let Some(t) = &mut t {
                if t.b()? {
                    let sessions = t.u()?;
                    let hours = t.f()?;
                    let n = t.count()?;
                    let pending = (0..n)
                        .map(|_| pool.as_of_item(t))
                        .collect::<DResult<Vec<_>>>()?;
                    s.as_of = Some(AsOfData {
                        sessions,
                        hours,
                        pending,
                    });
                }
                if detail == Detail::Full || s.as_of.is_none() {
                    s.next_steps = dec_pendings(t, true)?;
                    s.finished = t.strs()?;
                    s.commits = dec_commits(t)?;
                    s.files_modified = t.strs()?;
                    s.details = true;
                } else if detail == Detail::Commits {
                    // Only the commits are kept; the lists before them are skipped.
                    drop(dec_pendings(t, true)?);
                    drop(t.strs()?);
                    s.commits = dec_commits(t)?;
                }
            }
            Data::Session(Box::new(s))
        }
        2 => {
            let mut h = HandoffData {
                file: d.s()?,
                name_date: d.date()?,
                modified: d.time()?,
                summary: d.os()?,
                counts: dec_counts(d)?,
                ..HandoffData::default()
            };
            if let Some(t) = &mut t {
                h.pending = t.strs()?;
                h.decisions = t.strs()?;
            }
            Data::Handoff(Box::new(h))
        }
        3 => {
            let mut dec = Decision::new(title);
            dec.session_id = session.map(str::to_string);
            if let Some(t) = &mut t {
                dec.reasoning = t.os()?;
                dec.impact = t.os()?;
                dec.status = t.os()?;
                dec.date = t.os()?;
                dec.id = t.os()?;
                dec.extra = dec_extra(t)?;
            }
            Data::Decision(Box::new(dec))
        }
        4 => match &mut t {
            Some(t) => Data::Blocker {
                solution: t.os()?,
                lesson: t.os()?,
            },
            None => Data::Blocker {
                solution: None,
                lesson: None,
            },
        },
        5 => Data::Code {
            path: d.s()?,
            note: match &mut t {
                Some(t) => t.os()?,
                None => None,
            },
        },
        _ => return Err(Corrupt),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::archive::{ArchivedSession, AsOf};
    use crate::domain::catalog::from_archive;
    use crate::domain::session::SessionRecord;

    #[test]
    fn varints_and_strings_round_trip() {
        let mut e = Enc::default();
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            e.u(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            e.i(v);
        }
        e.s("héllo");
        e.os(None);
        let mut d = Dec::new(&e.buf);
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(d.u().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(d.i().unwrap(), v);
        }
        assert_eq!(d.s().unwrap(), "héllo");
        assert_eq!(d.os().unwrap(), None);
        assert!(d.u().is_err());
        // A huge length on a short buffer is an error, not an allocation.
        let mut e = Enc::default();
        e.u(u64::MAX / 2);
        assert!(Dec::new(&e.buf).strs().is_err());
    }

    #[test]
    fn session_data_round_trips() {
        let a = ArchivedSession {
            record: SessionRecord {
                session_id: "s1".into(),
                started_at: Some("2025-11-15T09:00:00Z".into()),
                ended_at: Some("2025-11-15T10:00:00Z".into()),
                duration_hours: Some(1.0),
                next_steps: vec![PendingItem::new("next", Priority::High)],
                completed: vec!["old".into()],
                ..Default::default()
            },
            handoff_file: Some("2025-11-15_session_1.md".into()),
            as_of: Some(AsOf {
                total_sessions: 3,
                total_hours: 4.5,
                pending_work: vec![
                    serde_json::json!({"priority": "low", "task": "t", "added_by": "s0", "n": 1}),
                ],
            }),
        };
        let records = from_archive("SESSION_LOGS/s1.json", &a);
        let (mut e, mut tail) = (Enc::default(), Enc::default());
        enc_data(&mut e, &mut tail, &records[0].data);
        let mut pool = Pool::default();
        let full = dec_data(
            &mut Dec::new(&e.buf),
            Some(&tail.buf),
            Detail::Full,
            "",
            None,
            &mut pool,
        )
        .unwrap();
        let (Data::Session(got), Data::Session(want)) = (&full, &records[0].data) else {
            panic!()
        };
        // As-of items keep task, priority and status (their other fields are left out).
        let g = &got.as_of.as_ref().unwrap().pending[0];
        let w = &want.as_of.as_ref().unwrap().pending[0];
        assert_eq!(
            (&g.task, g.priority, &g.status),
            (&w.task, w.priority, &w.status)
        );
        assert!(g.extra.get("added_by").is_none() && w.extra.get("added_by").is_some());
        assert_eq!(got.next_steps[0].task, "next");
        assert_eq!(got.finished, want.finished);
        assert_eq!(got.ended, want.ended);
        assert!(got.details);
        let head = dec_data(
            &mut Dec::new(&e.buf),
            None,
            Detail::Head,
            "",
            None,
            &mut pool,
        )
        .unwrap();
        let Data::Session(head) = head else { panic!() };
        assert!(head.as_of.is_none());
        assert!(!head.details);
        assert_eq!(head.handoff_file, want.handoff_file);
        // Lean: the as-of state, items shared with the earlier decode, no other lists.
        let lean = dec_data(
            &mut Dec::new(&e.buf),
            Some(&tail.buf),
            Detail::AsOf,
            "",
            None,
            &mut pool,
        )
        .unwrap();
        let Data::Session(lean) = lean else { panic!() };
        let (a, b) = (
            &lean.as_of.as_ref().unwrap().pending,
            &got.as_of.as_ref().unwrap().pending,
        );
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a[0], &b[0]), "one item for both");
        assert_eq!(pool.len(), 1);
        assert!(!lean.details && lean.next_steps.is_empty() && lean.finished.is_empty());
    }

    #[test]
    fn hash_sees_every_byte() {
        let a = hash(b"hello world, this is a test");
        let b = hash(b"hello world, this is a tesu");
        let c = hash(b"hello world, this is a test ");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, hash(b"hello world, this is a test"));
    }
}
