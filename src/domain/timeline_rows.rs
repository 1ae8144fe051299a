//! The timeline as it is held: at 10,000 sessions 140,000 entries, which as
//! [`TimelineEntry`]s (each owning its title, detail, session id and paths) took 40 MB in
//! 400,000 allocations. Here an entry is a fixed-size row whose texts are spans of one shared
//! text, each distinct text stored once (a session's id, a goal ended and started, a pending
//! task added and finished); stale marks are spans too. An entry is made whole only when it
//! is shown or printed ([`Timeline::entry`]).

use std::hash::BuildHasher;

use serde::Serialize;
use serde::ser::SerializeSeq;

use super::catalog::When;
use super::fast_hash::{FxBuildHasher, FxHashMap};
use super::stale::{FileFacts, Stale, StaleReason, staleness};
use super::timeline_entry::{EntryKind, Order, TimelineEntry};

/// Where a text lies in [`Timeline::text`]; [`ABSENT`] for no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

const ABSENT: Span = Span {
    start: u32::MAX,
    len: 0,
};

/// No paths named (see [`Row::names`]).
const NONE: u32 = u32::MAX;

/// 36 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    /// Index into `Timeline::times` (a session's entries share its end).
    at: u32,
    session: Span,
    title: Span,
    detail: Span,
    /// Index into `Timeline::names`, or [`NONE`] (most entries name no file).
    names: u32,
    kind: EntryKind,
}

/// The files an entry names, and its stale mark.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Names {
    /// `Timeline::paths[paths.0..paths.1]`.
    paths: (u32, u32),
    stale: Option<Mark>,
}

/// A stale mark: the path (a span of the text) and, unless the file is missing, when it
/// changed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    path: Span,
    changed: Span,
}

/// The dated timeline (see `domain::timeline`), in the order it was built in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    rows: Vec<Row>,
    /// Every distinct time, once.
    times: Vec<When>,
    text: String,
    names: Vec<Names>,
    paths: Vec<Span>,
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("a timeline's text under 4 GiB")
}

impl Timeline {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn str(&self, s: Span) -> Option<&str> {
        if s == ABSENT {
            return None;
        }
        let start = s.start as usize;
        self.text.get(start..start + s.len as usize)
    }

    pub fn at(&self, i: usize) -> Option<When> {
        self.times.get(self.rows.get(i)?.at as usize).copied()
    }

    fn names_of(&self, r: &Row) -> Option<&Names> {
        self.names.get(r.names as usize)
    }

    pub fn kind(&self, i: usize) -> Option<EntryKind> {
        self.rows.get(i).map(|r| r.kind)
    }

    pub fn session_id(&self, i: usize) -> Option<&str> {
        self.str(self.rows.get(i)?.session)
    }

    pub fn title(&self, i: usize) -> Option<&str> {
        self.str(self.rows.get(i)?.title)
    }

    pub fn is_stale(&self, i: usize) -> bool {
        self.rows
            .get(i)
            .and_then(|r| self.names_of(r))
            .is_some_and(|n| n.stale.is_some())
    }

    fn path_spans(&self, r: &Row) -> &[Span] {
        self.names_of(r).map_or(&[][..], |n| {
            self.paths
                .get(n.paths.0 as usize..n.paths.1 as usize)
                .unwrap_or_default()
        })
    }

    fn paths_of(&self, r: &Row) -> impl Iterator<Item = &str> {
        self.path_spans(r).iter().filter_map(|&s| self.str(s))
    }

    /// Entry `i`, whole.
    pub fn entry(&self, i: usize) -> Option<TimelineEntry> {
        let r = self.rows.get(i)?;
        let owned = |s: Span| self.str(s).map(str::to_string);
        Some(TimelineEntry {
            at: *self.times.get(r.at as usize)?,
            kind: r.kind,
            session_id: owned(r.session),
            title: owned(r.title).unwrap_or_default(),
            detail: owned(r.detail),
            paths: self.paths_of(r).map(str::to_string).collect(),
            stale: self.names_of(r).and_then(|n| n.stale).map(|m| {
                Box::new(Stale {
                    path: self.str(m.path).unwrap_or_default().to_string(),
                    reason: match self.str(m.changed) {
                        None => StaleReason::Missing,
                        Some(at) => StaleReason::Changed { at: at.to_string() },
                    },
                })
            }),
        })
    }

    /// Every entry, whole, in order.
    pub fn entries(&self) -> impl Iterator<Item = TimelineEntry> + '_ {
        (0..self.len()).filter_map(|i| self.entry(i))
    }

    pub fn to_entries(&self) -> Vec<TimelineEntry> {
        self.entries().collect()
    }

    /// Entries `rows` (positions), serialized as a list of [`TimelineEntry`]s, each made
    /// whole only while it is written.
    pub fn serialize_rows<'a>(&'a self, rows: &'a [usize]) -> impl Serialize + 'a {
        Rows {
            timeline: self,
            rows,
        }
    }

    /// Every path the entries name, with the entry's time (for the store to look up).
    pub fn named_paths(&self) -> Vec<(String, When)> {
        self.rows
            .iter()
            .flat_map(|r| {
                let at = self.times[r.at as usize];
                self.paths_of(r).map(move |p| (p.to_string(), at))
            })
            .collect()
    }

    /// Marks the entries whose named files are gone or changed since.
    pub fn mark_stale(&mut self, facts: &FileFacts) {
        let mut times: FxHashMap<String, Span> = FxHashMap::default();
        for r in &self.rows {
            if r.names == NONE {
                continue;
            }
            let paths: Vec<String> = self.paths_of(r).map(str::to_string).collect();
            let at = self.times[r.at as usize];
            let Some(s) = staleness(&paths, Some(at), facts) else {
                self.names[r.names as usize].stale = None;
                continue;
            };
            // The stale path is one of the entry's own: its span is there already.
            let path = self
                .path_spans(r)
                .iter()
                .copied()
                .find(|&p| self.str(p) == Some(s.path.as_str()))
                .unwrap_or(ABSENT);
            let changed = match s.reason {
                StaleReason::Missing => ABSENT,
                StaleReason::Changed { at } => match times.get(&at) {
                    Some(&span) => span,
                    None => {
                        let span = push_text(&mut self.text, &at);
                        times.insert(at, span);
                        span
                    }
                },
            };
            self.names[r.names as usize].stale = Some(Mark { path, changed });
        }
        self.text.shrink_to_fit();
    }
}

fn push_text(text: &mut String, s: &str) -> Span {
    let span = Span {
        start: offset(text.len()),
        len: offset(s.len()),
    };
    text.push_str(s);
    span
}

struct Rows<'a> {
    timeline: &'a Timeline,
    rows: &'a [usize],
}

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for &i in self.rows {
            if let Some(e) = self.timeline.entry(i) {
                seq.serialize_element(&e)?;
            }
        }
        seq.end()
    }
}

/// Builds a [`Timeline`], storing each distinct text once.
#[derive(Default)]
pub struct Builder {
    timeline: Timeline,
    /// A text's hash → where it was stored (a colliding text is stored again).
    seen: FxHashMap<u64, Span>,
    /// A time → its index in `Timeline::times`.
    times: FxHashMap<When, u32>,
}

impl Builder {
    pub fn with_capacity(rows: usize) -> Builder {
        let mut b = Builder::default();
        b.timeline.rows.reserve_exact(rows);
        b
    }

    /// Room for `rows` more rows.
    pub fn reserve_exact(&mut self, rows: usize) {
        self.timeline.rows.reserve_exact(rows);
    }

    fn intern(&mut self, s: &str) -> Span {
        let hash = FxBuildHasher::default().hash_one(s);
        if let Some(&span) = self.seen.get(&hash)
            && self.timeline.str(span) == Some(s)
        {
            return span;
        }
        let span = push_text(&mut self.timeline.text, s);
        self.seen.insert(hash, span);
        span
    }

    pub fn push(
        &mut self,
        at: When,
        kind: EntryKind,
        session: Option<&str>,
        title: &str,
        detail: Option<&str>,
        paths: &[String],
    ) {
        let session = session.map_or(ABSENT, |s| self.intern(s));
        let title = self.intern(title);
        let detail = detail.map_or(ABSENT, |d| self.intern(d));
        let names = if paths.is_empty() {
            NONE
        } else {
            let first = offset(self.timeline.paths.len());
            for p in paths {
                let span = self.intern(p);
                self.timeline.paths.push(span);
            }
            let last = offset(self.timeline.paths.len());
            self.timeline.names.push(Names {
                paths: (first, last),
                stale: None,
            });
            offset(self.timeline.names.len() - 1)
        };
        let times = &mut self.timeline.times;
        let at = *self.times.entry(at).or_insert_with(|| {
            times.push(at);
            offset(times.len() - 1)
        });
        self.timeline.rows.push(Row {
            at,
            session,
            title,
            detail,
            names,
            kind,
        });
    }

    /// Puts the rows in order and hands the timeline over.
    pub fn finish(self, order: Order) -> Timeline {
        let Builder {
            mut timeline,
            seen,
            times,
        } = self;
        // The maps are only for building: gone before the sort, not beside it.
        drop((seen, times));
        sort(&mut timeline.rows, &timeline.times, order);
        timeline.times.shrink_to_fit();
        timeline.text.shrink_to_fit();
        timeline.names.shrink_to_fit();
        timeline.paths.shrink_to_fit();
        timeline
    }
}

/// By time, then kind, else in the order given (a stable sort), newest first if asked.
/// Sorts positions, then moves each row once (no second list of rows).
fn sort(rows: &mut [Row], times: &[When], order: Order) {
    const DONE: u32 = u32::MAX;
    let n = u32::try_from(rows.len()).expect("fewer than 4 billion entries");
    let mut from: Vec<u32> = (0..n).collect();
    from.sort_unstable_by(|&a, &b| {
        let (x, y) = (&rows[a as usize], &rows[b as usize]);
        let at = |r: &Row| times[r.at as usize];
        at(x).cmp(&at(y)).then(x.kind.cmp(&y.kind)).then(a.cmp(&b))
    });
    if order == Order::NewestFirst {
        from.reverse();
    }
    // Position i takes the row at `from[i]`: each cycle of the permutation is walked
    // once, the cycle's first row carried along by the swaps.
    for i in 0..from.len() {
        if from[i] == DONE {
            continue;
        }
        let mut at = i;
        loop {
            let src = from[at] as usize;
            from[at] = DONE;
            if src == i {
                break;
            }
            rows.swap(at, src);
            at = src;
        }
    }
}

impl From<Vec<TimelineEntry>> for Timeline {
    /// The entries as given, in their order.
    fn from(entries: Vec<TimelineEntry>) -> Timeline {
        let mut b = Builder::with_capacity(entries.len());
        let mut marks = Vec::new();
        for e in &entries {
            b.push(
                e.at,
                e.kind,
                e.session_id.as_deref(),
                &e.title,
                e.detail.as_deref(),
                &e.paths,
            );
            if let Some(s) = &e.stale {
                marks.push((b.timeline.rows.len() - 1, s));
            }
        }
        for (i, s) in marks {
            let path = b.intern(&s.path);
            let changed = match &s.reason {
                StaleReason::Missing => ABSENT,
                StaleReason::Changed { at } => b.intern(at),
            };
            // A mark needs a place; an entry with one but no paths (only made by hand) gets
            // an empty list.
            let row = &mut b.timeline.rows[i];
            if row.names == NONE {
                let end = offset(b.timeline.paths.len());
                b.timeline.names.push(Names {
                    paths: (end, end),
                    stale: None,
                });
                row.names = offset(b.timeline.names.len() - 1);
            }
            b.timeline.names[row.names as usize].stale = Some(Mark { path, changed });
        }
        b.timeline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stay_small() {
        assert_eq!(std::mem::size_of::<Row>(), 36);
    }

    #[test]
    fn texts_are_stored_once() {
        let at = When::parse("2025-11-15T12:00:00Z").unwrap();
        let mut b = Builder::with_capacity(2);
        for kind in [EntryKind::SessionStarted, EntryKind::SessionEnded] {
            b.push(at, kind, Some("s1"), "Ship it", None, &[]);
        }
        let t = b.finish(Order::NewestFirst);
        assert_eq!(t.text, "s1Ship it");
        assert_eq!(t.times.len(), 1);
        assert_eq!(t.kind(0), Some(EntryKind::SessionEnded));
        assert_eq!(t.entry(1).unwrap().title, "Ship it");
    }
}
