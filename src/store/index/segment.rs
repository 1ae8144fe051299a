//! One immutable index segment: the records of some files (units), their text, and an
//! inverted index (word → records, with weighted frequencies) over the searched kinds.
//!
//! Layout (little-endian): a fixed header with section offsets, then
//! - units: per unit its first record, record count and file;
//! - stats: per record 40 fixed bytes (kind, day-only flag, unit, word count, time, dedupe
//!   key, session key): everything ranking and filtering need, read without decoding text;
//! - record offsets and record heads (session, title, where its body and tail are, and what
//!   listings need of its data), then tails (lists, reasons) and bodies, apart so that a
//!   listing reads only heads;
//! - the dictionary: sorted words, each followed by `\n` (so a substring scan over the blob
//!   finds every word containing the needle), their end offsets and posting offsets;
//! - postings: per word, (record delta, weighted frequency) varint pairs.
//!
//! Records are ordered by kind (sessions, handoffs, decisions, …), so the records of the
//! kinds a reader wants are one range. Readers load the header, units, stats and dictionary,
//! and read heads, tails, bodies and postings only for what they need.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::domain::catalog::{Kind, Record, Source, When};
use crate::domain::search::{dedupe_key, session_key};

use super::codec::{Corrupt, DResult, Dec, Detail, Enc, Pool, dec_data};
#[cfg(test)]
use super::writer::Writer;

/// Records decoded per read: bounds the buffers a read of every record allocates.
const BATCH: u32 = 1024;

pub(super) const MAGIC: &[u8; 8] = b"BATONSG2";
pub(super) const SECTIONS: usize = 10;
pub(super) const HEADER: usize = 8 + 4 * 4 + 8 + SECTIONS * 8;
pub const STAT_SIZE: usize = 40;

/// The records of one source unit (a file, or a part of an append-only log).
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct UnitInput {
    pub file: String,
    pub records: Vec<Record>,
}

/// Per record, what ranking and filtering read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub kind: Kind,
    pub unit: u32,
    pub len: u32,
    pub key: u64,
    pub session: u64,
    /// The date as stored (turned into a `When` only when asked: opening a segment reads
    /// every record's stat, most readers look at few dates).
    secs: i64,
    /// 0: no date; else the nanoseconds plus one.
    nanos: u32,
    day_only: bool,
}

/// The seconds `chrono` can represent (checked once, when a segment is opened).
fn secs_in_range(secs: i64) -> bool {
    (chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp()
        ..=chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp())
        .contains(&secs)
}

impl Stat {
    pub(super) fn of(r: &Record, unit: u32, len: u32) -> Stat {
        let (secs, nanos) = r.when.map_or((0, 0), |w| {
            (w.at.timestamp(), w.at.timestamp_subsec_nanos() + 1)
        });
        Stat {
            kind: r.kind,
            unit,
            len,
            key: dedupe_key(r.kind, &r.title),
            session: session_key(r.session_id.as_deref()),
            secs,
            nanos,
            day_only: r.when.is_some_and(|w| w.day_only),
        }
    }

    /// When the record is dated.
    pub fn when(&self) -> Option<When> {
        if self.nanos == 0 {
            return None;
        }
        let at = chrono::DateTime::from_timestamp(self.secs, self.nanos - 1)?;
        Some(When {
            at,
            day_only: self.day_only,
        })
    }

    pub(super) fn encode(&self, e: &mut Enc) {
        e.buf.push(self.kind.to_u8());
        e.buf.push(u8::from(self.day_only));
        e.buf.extend_from_slice(&[0, 0]);
        e.u32_le(self.unit);
        e.u32_le(self.len);
        e.u32_le(self.nanos);
        e.i64_le(self.secs);
        e.u64_le(self.key);
        e.u64_le(self.session);
    }

    fn decode(b: &[u8; STAT_SIZE]) -> DResult<Stat> {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let nanos = u32_at(12);
        let secs = u64_at(16) as i64;
        // (Up to 2e9 nanoseconds: a leap second.)
        if nanos > 2_000_000_000 || nanos > 0 && !secs_in_range(secs) {
            return Err(Corrupt);
        }
        Ok(Stat {
            kind: Kind::from_u8(b[0]).ok_or(Corrupt)?,
            day_only: b[1] != 0,
            unit: u32_at(4),
            len: u32_at(8),
            nanos,
            secs,
            key: u64_at(24),
            session: u64_at(32),
        })
    }
}

/// Builds a segment from units held in memory (the index streams through [`Writer`]).
#[cfg(test)]
pub fn build(units: &[UnitInput]) -> Vec<u8> {
    let mut w = Writer::in_memory();
    for unit in units {
        let u = w.unit(&unit.file);
        for r in &unit.records {
            w.push(u, r).expect("in memory");
        }
    }
    let mut out = Vec::new();
    w.finish(&mut out).expect("in memory");
    out
}

#[derive(Debug, Clone)]
pub struct UnitInfo {
    pub count: u32,
    pub file: String,
}

/// The dictionary of a segment, loaded on the first search.
#[derive(Debug)]
struct Terms {
    blob: Vec<u8>,
    ends: Vec<u32>,
    post_offs: Vec<u64>,
}

/// An open segment.
#[derive(Debug)]
pub struct Segment {
    file: File,
    pub records: u32,
    pub units: Vec<UnitInfo>,
    pub stats: Vec<Stat>,
    n_terms: u32,
    /// Start of each section, and the file's end.
    offs: [u64; SECTIONS + 1],
    terms: Option<Terms>,
    postings: Option<Vec<u8>>,
}

fn read_at(file: &File, off: u64, len: u64) -> DResult<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| Corrupt)?;
    let mut f = file;
    f.seek(SeekFrom::Start(off)).map_err(|_| Corrupt)?;
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf).map_err(|_| Corrupt)?;
    Ok(buf)
}

impl Segment {
    pub fn open(path: &Path) -> DResult<Segment> {
        let file = File::open(path).map_err(|_| Corrupt)?;
        let size = file.metadata().map_err(|_| Corrupt)?.len();
        let head = read_at(&file, 0, HEADER as u64)?;
        let mut d = Dec::new(&head);
        if d.bytes(8)? != MAGIC {
            return Err(Corrupt);
        }
        let records = d.u32_le()?;
        let n_units = d.u32_le()?;
        let n_terms = d.u32_le()?;
        d.u32_le()?;
        d.u64_le()?; // total word count (kept for tools; ranking sums live records)
        let mut offs = [0u64; SECTIONS + 1];
        for o in offs.iter_mut().take(SECTIONS) {
            *o = d.u64_le()?;
        }
        offs[SECTIONS] = size;
        if offs.windows(2).any(|w| w[0] > w[1]) || offs[0] != HEADER as u64 {
            return Err(Corrupt);
        }
        let sec = |i: usize| (offs[i], offs[i + 1] - offs[i]);
        let (o, l) = sec(0);
        let unit_bytes = read_at(&file, o, l)?;
        let mut d = Dec::new(&unit_bytes);
        let mut units = Vec::with_capacity(n_units as usize);
        for _ in 0..n_units {
            d.u32_le()?; // its first record (records of a unit are contiguous)
            units.push(UnitInfo {
                count: d.u32_le()?,
                file: d.s()?,
            });
        }
        let (o, l) = sec(1);
        if l != u64::from(records) * STAT_SIZE as u64 {
            return Err(Corrupt);
        }
        // Read in pieces: no buffer the size of the section (3.5 MB at 10,000 sessions).
        let mut stats = Vec::with_capacity(records as usize);
        let mut buf = vec![0u8; STAT_SIZE * 2048];
        let mut f = &file;
        f.seek(SeekFrom::Start(o)).map_err(|_| Corrupt)?;
        let mut left = l as usize;
        while left > 0 {
            let part = &mut buf[..left.min(STAT_SIZE * 2048)];
            f.read_exact(part).map_err(|_| Corrupt)?;
            for c in part.chunks_exact(STAT_SIZE) {
                stats.push(Stat::decode(c.try_into().map_err(|_| Corrupt)?)?);
            }
            left -= part.len();
        }
        if stats.iter().any(|s| s.unit >= n_units) {
            return Err(Corrupt);
        }
        if sec(2).1 != (u64::from(records) + 1) * 8 || sec(7).1 != u64::from(n_terms) * 4 {
            return Err(Corrupt);
        }
        Ok(Segment {
            file,
            records,
            units,
            stats,
            n_terms,
            offs,
            terms: None,
            postings: None,
        })
    }

    fn section(&self, i: usize) -> DResult<Vec<u8>> {
        read_at(&self.file, self.offs[i], self.offs[i + 1] - self.offs[i])
    }

    fn load_terms(&mut self) -> DResult<&Terms> {
        if self.terms.is_none() {
            let blob = self.section(6)?;
            let ends: Vec<u32> = self
                .section(7)?
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let post_offs: Vec<u64> = self
                .section(8)?
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            if ends.len() != self.n_terms as usize || post_offs.len() != self.n_terms as usize + 1 {
                return Err(Corrupt);
            }
            self.terms = Some(Terms {
                blob,
                ends,
                post_offs,
            });
        }
        self.terms.as_ref().ok_or(Corrupt)
    }

    /// Adds, per record, the weighted frequency of every word containing `needle` (folded,
    /// alphanumeric) to `tf`.
    pub fn accumulate(&mut self, needle: &str, tf: &mut [u32]) -> DResult<()> {
        let n_records = self.records as usize;
        if tf.len() < n_records {
            return Err(Corrupt);
        }
        let terms = self.load_terms()?;
        let mut ids: Vec<usize> = Vec::new();
        for at in memchr::memmem::find_iter(&terms.blob, needle.as_bytes()) {
            let id = terms.ends.partition_point(|&e| (e as usize) < at);
            if ids.last() != Some(&id) && id < terms.ends.len() {
                ids.push(id);
            }
        }
        let ranges: Vec<(u64, u64)> = ids
            .iter()
            .map(|&i| (terms.post_offs[i], terms.post_offs[i + 1]))
            .collect();
        let post_start = self.offs[9];
        // Many words: read all postings once (and keep them); few: read just those.
        if ranges.len() > 32 && self.postings.is_none() {
            self.postings = Some(self.section(9)?);
        }
        for (from, to) in ranges {
            if to < from {
                return Err(Corrupt);
            }
            let owned;
            let bytes: &[u8] = match &self.postings {
                Some(all) => all.get(from as usize..to as usize).ok_or(Corrupt)?,
                None => {
                    owned = read_at(&self.file, post_start + from, to - from)?;
                    &owned
                }
            };
            let mut d = Dec::new(bytes);
            let count = d.u()?;
            let mut doc = 0u64;
            for _ in 0..count {
                doc += d.u()?;
                let f = d.u()? as u32;
                let slot = tf.get_mut(doc as usize).ok_or(Corrupt)?;
                *slot = slot.saturating_add(f);
            }
        }
        Ok(())
    }

    fn read_range(&self, section: usize, from: u64, to: u64) -> DResult<Vec<u8>> {
        let (start, end) = (self.offs[section], self.offs[section + 1]);
        if to < from || start + to > end {
            return Err(Corrupt);
        }
        read_at(&self.file, start + from, to - from)
    }

    /// Decodes a head; `tails` and `bodies` hold the bytes from `tails_at` / `bodies_at` of
    /// their sections (`None`: not wanted).
    fn decode_head(
        &self,
        bytes: &[u8],
        i: u32,
        detail: Detail,
        tails: Option<(&[u8], u64)>,
        bodies: Option<(&[u8], u64)>,
        pool: &mut Pool,
    ) -> DResult<Record> {
        let stat = self.stats.get(i as usize).ok_or(Corrupt)?;
        let mut d = Dec::new(bytes);
        let session_id = d.os()?;
        let title = d.s()?;
        let line = u32::try_from(d.u()?).map_err(|_| Corrupt)?;
        let (body_off, body_len) = (d.u()?, d.u()?);
        let (tail_off, tail_len) = (d.u()?, d.u()?);
        fn slice(buf: Option<(&[u8], u64)>, off: u64, len: u64) -> DResult<Option<&[u8]>> {
            let Some((all, base)) = buf else {
                return Ok(None);
            };
            let from =
                usize::try_from(off.checked_sub(base).ok_or(Corrupt)?).map_err(|_| Corrupt)?;
            let to = from
                .checked_add(usize::try_from(len).map_err(|_| Corrupt)?)
                .ok_or(Corrupt)?;
            Ok(Some(all.get(from..to).ok_or(Corrupt)?))
        }
        let tail = slice(tails, tail_off, tail_len)?;
        let data = dec_data(&mut d, tail, detail, &title, session_id.as_deref(), pool)?;
        let body = match slice(bodies, body_off, body_len)? {
            Some(b) => std::str::from_utf8(b).map_err(|_| Corrupt)?.to_string(),
            None => String::new(),
        };
        let file = self
            .units
            .get(stat.unit as usize)
            .ok_or(Corrupt)?
            .file
            .clone();
        Ok(Record {
            kind: stat.kind,
            when: stat.when(),
            session_id,
            title,
            body,
            source: Source { file, line },
            data,
        })
    }

    /// Where a head says its body and tail are.
    fn places(bytes: &[u8]) -> DResult<((u64, u64), (u64, u64))> {
        let mut d = Dec::new(bytes);
        d.skip_os()?;
        d.skip_str()?;
        d.u()?;
        Ok(((d.u()?, d.u()?), (d.u()?, d.u()?)))
    }

    /// One record, whole.
    pub fn record(&self, i: u32) -> DResult<Record> {
        self.record_with(i, Detail::Full, &mut Pool::default())
    }

    fn record_with(&self, i: u32, detail: Detail, pool: &mut Pool) -> DResult<Record> {
        if i >= self.records {
            return Err(Corrupt);
        }
        let offs = self.read_range(2, u64::from(i) * 8, u64::from(i) * 8 + 16)?;
        let from = u64::from_le_bytes(offs[0..8].try_into().map_err(|_| Corrupt)?);
        let to = u64::from_le_bytes(offs[8..16].try_into().map_err(|_| Corrupt)?);
        let head = self.read_range(3, from, to)?;
        let ((body_off, body_len), (tail_off, tail_len)) = Self::places(&head)?;
        let tail = self.read_range(4, tail_off, tail_off + tail_len)?;
        let body = self.read_range(5, body_off, body_off + body_len)?;
        self.decode_head(
            &head,
            i,
            detail,
            Some((&tail, tail_off)),
            Some((&body, body_off)),
            pool,
        )
    }

    /// Every record `keep` accepts (by its number and stat), in order, as `detail` says, with or
    /// without bodies.
    pub fn records(
        &self,
        keep: impl Fn(u32, &Stat) -> bool,
        detail: Detail,
        with_body: bool,
    ) -> DResult<Vec<(u32, Record)>> {
        let mut out = Vec::new();
        self.each(keep, detail, with_body, &mut Pool::default(), |i, r| {
            out.push((i, r))
        })?;
        Ok(out)
    }

    /// Hands every record `keep` accepts to `f`, in order (see [`Segment::records`]); as-of
    /// items come from `pool`. Reads only around the records kept (records are ordered by
    /// kind), at most [`BATCH`] records' worth at a time.
    pub fn each(
        &self,
        keep: impl Fn(u32, &Stat) -> bool,
        detail: Detail,
        with_body: bool,
        pool: &mut Pool,
        mut f: impl FnMut(u32, Record),
    ) -> DResult<()> {
        let wanted: Vec<u32> = (0..self.records)
            .filter(|&i| keep(i, &self.stats[i as usize]))
            .collect();
        let (Some(&first), Some(&last)) = (wanted.first(), wanted.last()) else {
            return Ok(());
        };
        // A few records far apart: read each alone rather than everything between them.
        if detail != Detail::Head
            && wanted.len() <= 256
            && (last - first) as usize > wanted.len() * 64
        {
            for i in wanted {
                let mut r = self.record_with(i, detail, pool)?;
                if !with_body {
                    r.body = String::new();
                }
                f(i, r);
            }
            return Ok(());
        }
        let mut from = 0;
        while from < wanted.len() {
            let start = wanted[from];
            let to = from + wanted[from..].partition_point(|&i| i - start < BATCH);
            self.batch(&wanted[from..to], detail, with_body, pool, &mut f)?;
            from = to;
        }
        Ok(())
    }

    /// Decodes `wanted` (ascending, within [`BATCH`] of each other) with one read of their
    /// heads, one of their tails and one of their bodies.
    fn batch(
        &self,
        wanted: &[u32],
        detail: Detail,
        with_body: bool,
        pool: &mut Pool,
        f: &mut impl FnMut(u32, Record),
    ) -> DResult<()> {
        let (Some(&first), Some(&last)) = (wanted.first(), wanted.last()) else {
            return Ok(());
        };
        let offs = self.read_range(2, u64::from(first) * 8, u64::from(last) * 8 + 16)?;
        let at = |i: u32| -> DResult<u64> {
            let k = ((i - first) * 8) as usize;
            Ok(u64::from_le_bytes(
                offs.get(k..k + 8)
                    .ok_or(Corrupt)?
                    .try_into()
                    .map_err(|_| Corrupt)?,
            ))
        };
        let base = at(first)?;
        let heads = self.read_range(3, base, at(last + 1)?)?;
        let head_of = |i: u32| -> DResult<&[u8]> {
            let from = usize::try_from(at(i)? - base).map_err(|_| Corrupt)?;
            let to = usize::try_from(at(i + 1)?.checked_sub(base).ok_or(Corrupt)?)
                .map_err(|_| Corrupt)?;
            heads.get(from..to).ok_or(Corrupt)
        };
        // The spans of tails and bodies the kept records use.
        let (mut tail_span, mut body_span) = ((u64::MAX, 0u64), (u64::MAX, 0u64));
        if detail != Detail::Head || with_body {
            for &i in wanted {
                let ((bo, bl), (to, tl)) = Self::places(head_of(i)?)?;
                tail_span = (tail_span.0.min(to), tail_span.1.max(to + tl));
                body_span = (body_span.0.min(bo), body_span.1.max(bo + bl));
            }
        }
        let read_span = |section: usize, span: (u64, u64)| -> DResult<Option<(Vec<u8>, u64)>> {
            if span.0 == u64::MAX {
                return Ok(Some((Vec::new(), 0)));
            }
            Ok(Some((self.read_range(section, span.0, span.1)?, span.0)))
        };
        let tails = if detail != Detail::Head {
            read_span(4, tail_span)?
        } else {
            None
        };
        let bodies = if with_body {
            read_span(5, body_span)?
        } else {
            None
        };
        for &i in wanted {
            let r = self.decode_head(
                head_of(i)?,
                i,
                detail,
                tails.as_ref().map(|(b, o)| (b.as_slice(), *o)),
                bodies.as_ref().map(|(b, o)| (b.as_slice(), *o)),
                pool,
            )?;
            f(i, r);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{from_decision, from_handoff};
    use crate::domain::search::TITLE_WEIGHT;
    use serde_json::json;

    #[test]
    fn build_open_search_read_back() {
        let units = vec![
            UnitInput {
                file: "DECISIONS_LOG.json".into(),
                records: vec![
                    from_decision("DECISIONS_LOG.json", 1, json!({"decision": "Use Redis caching", "date": "2025-11-15", "session_id": "s1"})).unwrap(),
                    from_decision("DECISIONS_LOG.json", 2, json!({"decision": "Use Postgres", "reasoning": "redis was slow"})).unwrap(),
                ],
            },
            UnitInput {
                file: "SESSION_HANDOFFS/a.md".into(),
                records: vec![from_handoff("SESSION_HANDOFFS/a.md", "# Über\n\nDie Straße", None)],
            },
        ];
        let bytes = build(&units);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg");
        std::fs::write(&path, &bytes).unwrap();
        let mut seg = Segment::open(&path).unwrap();
        assert_eq!(seg.records, 3);
        assert_eq!(seg.units[1].file, "SESSION_HANDOFFS/a.md");
        // Ordered by kind: the handoff first, then the decisions.
        let mut tf = vec![0u32; 3];
        seg.accumulate("redis", &mut tf).unwrap();
        assert_eq!(tf, vec![0, TITLE_WEIGHT, 1]);
        let mut tf = vec![0u32; 3];
        seg.accumulate("strasse", &mut tf).unwrap();
        assert_eq!(tf, vec![1, 0, 0]);
        let r = seg.record(2).unwrap();
        assert_eq!(r.title, "Use Postgres");
        assert_eq!(r.body, "Why: redis was slow\n");
        assert_eq!(r.source.line, 2);
        assert_eq!(
            r.decision().unwrap().reasoning.as_deref(),
            Some("redis was slow")
        );
        let all = seg.records(|_, _| true, Detail::Full, true).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].1.body, "# Über\n\nDie Straße");
        assert_eq!(all[1].1, units[0].records[0]);
        let heads = seg
            .records(|_, s| s.kind == Kind::Decision, Detail::Head, false)
            .unwrap();
        assert_eq!(heads.len(), 2);
        assert_eq!(heads[1].1.title, "Use Postgres");
        assert_eq!(heads[1].1.decision().unwrap().reasoning, None);
        // Truncation is detected, not a panic.
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(
            Segment::open(&path).is_err()
                || Segment::open(&path)
                    .unwrap()
                    .records(|_, _| true, Detail::Full, true)
                    .is_err()
        );
    }
}
