//! One immutable index segment: the records of some files (units), their text, and an
//! inverted index (word → records, with weighted frequencies) over the searched kinds.
//!
//! Layout (little-endian): a fixed header with section offsets, then
//! - units: per unit its first record, record count and file;
//! - stats: per record 40 fixed bytes (kind, day-only flag, unit, word count, time, dedupe
//!   key, session key): everything ranking and filtering need, read without decoding text;
//! - record offsets and records (session, title, data; bodies live apart);
//! - bodies;
//! - the dictionary: sorted words, each followed by `\n` (so a substring scan over the blob
//!   finds every word containing the needle), their end offsets and posting offsets;
//! - postings: per word, (record delta, weighted frequency) varint pairs.
//!
//! Readers load the header, units, stats and dictionary, and read records, bodies and
//! postings only for what they need.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::domain::catalog::{Kind, Record, Source, When};
use crate::domain::fold::{fold, tokens};
use crate::domain::search::{TITLE_WEIGHT, dedupe_key, session_key};

use super::codec::{Corrupt, DResult, Dec, Detail, Enc, dec_data, enc_data};

const MAGIC: &[u8; 8] = b"BATONSG1";
const HEADER: usize = 8 + 4 * 4 + 8 + 9 * 8;
pub const STAT_SIZE: usize = 40;

/// The records of one source unit (a file, or a part of an append-only log).
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
    pub when: Option<When>,
    pub key: u64,
    pub session: u64,
}

impl Stat {
    fn of(r: &Record, unit: u32, len: u32) -> Stat {
        Stat {
            kind: r.kind,
            unit,
            len,
            when: r.when,
            key: dedupe_key(r.kind, &r.title),
            session: session_key(r.session_id.as_deref()),
        }
    }

    fn encode(&self, e: &mut Enc) {
        e.buf.push(self.kind.to_u8());
        e.buf.push(u8::from(self.when.is_some_and(|w| w.day_only)));
        e.buf.extend_from_slice(&[0, 0]);
        e.u32_le(self.unit);
        e.u32_le(self.len);
        // 0: no date; else the nanoseconds plus one.
        let (secs, nanos) = self
            .when
            .map_or((0, 0), |w| (w.at.timestamp(), w.at.timestamp_subsec_nanos() + 1));
        e.u32_le(nanos);
        e.i64_le(secs);
        e.u64_le(self.key);
        e.u64_le(self.session);
    }

    fn decode(b: &[u8]) -> DResult<Stat> {
        let mut d = Dec::new(b);
        let kind = Kind::from_u8(d.bytes(1)?[0]).ok_or(Corrupt)?;
        let day_only = d.bytes(1)?[0] != 0;
        d.bytes(2)?;
        let unit = d.u32_le()?;
        let len = d.u32_le()?;
        let nanos = d.u32_le()?;
        let secs = d.i64_le()?;
        let when = if nanos > 0 {
            let at = chrono::DateTime::from_timestamp(secs, nanos - 1).ok_or(Corrupt)?;
            Some(When { at, day_only })
        } else {
            None
        };
        Ok(Stat {
            kind,
            unit,
            len,
            when,
            key: d.u64_le()?,
            session: d.u64_le()?,
        })
    }
}

/// Builds a segment from units. Word counts, dedupe keys and postings are computed here.
pub fn build(units: &[UnitInput]) -> Vec<u8> {
    let mut term_ids: HashMap<String, u32> = HashMap::new();
    let mut postings: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut stats = Enc::default();
    let mut unit_table = Enc::default();
    let mut rec_offsets: Vec<u64> = Vec::new();
    let mut records = Enc::default();
    let mut bodies: Vec<u8> = Vec::new();
    let mut total_len: u64 = 0;
    let mut n: u32 = 0;
    let mut doc_terms: Vec<(u32, u32)> = Vec::new();

    for (u, unit) in units.iter().enumerate() {
        unit_table.u32_le(n);
        unit_table.u32_le(unit.records.len() as u32);
        unit_table.s(&unit.file);
        for r in &unit.records {
            let searched = Kind::SEARCHED.contains(&r.kind);
            let mut len = 0u32;
            if searched {
                doc_terms.clear();
                for (text, weight) in [(&r.title, TITLE_WEIGHT), (&r.body, 1)] {
                    let folded = fold(text);
                    for t in tokens(&folded) {
                        len += 1;
                        let id = match term_ids.get(t) {
                            Some(&id) => id,
                            None => {
                                let id = postings.len() as u32;
                                term_ids.insert(t.to_string(), id);
                                postings.push(Vec::new());
                                id
                            }
                        };
                        doc_terms.push((id, weight));
                    }
                }
                doc_terms.sort_unstable_by_key(|(id, _)| *id);
                let mut i = 0;
                while i < doc_terms.len() {
                    let id = doc_terms[i].0;
                    let mut tf = 0;
                    while i < doc_terms.len() && doc_terms[i].0 == id {
                        tf += doc_terms[i].1;
                        i += 1;
                    }
                    postings[id as usize].push((n, tf));
                }
                total_len += u64::from(len);
            }
            Stat::of(r, u as u32, len).encode(&mut stats);
            rec_offsets.push(records.buf.len() as u64);
            records.os(r.session_id.as_deref());
            records.s(&r.title);
            records.u(u64::from(r.source.line));
            records.u(bodies.len() as u64);
            records.u(r.body.len() as u64);
            bodies.extend_from_slice(r.body.as_bytes());
            enc_data(&mut records, &r.data);
            n += 1;
        }
    }
    rec_offsets.push(records.buf.len() as u64);

    let mut terms: Vec<(String, u32)> = term_ids.into_iter().collect();
    terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut blob: Vec<u8> = Vec::new();
    let mut ends = Enc::default();
    let mut post_offs = Enc::default();
    let mut post = Enc::default();
    for (term, id) in &terms {
        blob.extend_from_slice(term.as_bytes());
        ends.u32_le(blob.len() as u32);
        blob.push(b'\n');
        post_offs.u64_le(post.buf.len() as u64);
        let list = &postings[*id as usize];
        post.u(list.len() as u64);
        let mut last = 0u32;
        for &(doc, tf) in list {
            post.u(u64::from(doc - last));
            post.u(u64::from(tf));
            last = doc;
        }
    }
    post_offs.u64_le(post.buf.len() as u64);
    let mut offs = Enc::default();
    for o in &rec_offsets {
        offs.u64_le(*o);
    }

    let sections: [&[u8]; 9] = [
        &unit_table.buf,
        &stats.buf,
        &offs.buf,
        &records.buf,
        &bodies,
        &blob,
        &ends.buf,
        &post_offs.buf,
        &post.buf,
    ];
    let mut out = Enc::default();
    out.buf.extend_from_slice(MAGIC);
    out.u32_le(n);
    out.u32_le(units.len() as u32);
    out.u32_le(terms.len() as u32);
    out.u32_le(0);
    out.u64_le(total_len);
    let mut at = HEADER as u64;
    for s in sections {
        out.u64_le(at);
        at += s.len() as u64;
    }
    debug_assert_eq!(out.buf.len(), HEADER);
    for s in sections {
        out.buf.extend_from_slice(s);
    }
    out.buf
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
    offs: [u64; 10],
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
        let mut offs = [0u64; 10];
        for o in offs.iter_mut().take(9) {
            *o = d.u64_le()?;
        }
        offs[9] = size;
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
        let stat_bytes = read_at(&file, o, l)?;
        let stats = stat_bytes
            .chunks_exact(STAT_SIZE)
            .map(Stat::decode)
            .collect::<DResult<Vec<Stat>>>()?;
        if stats.iter().any(|s| s.unit >= n_units) {
            return Err(Corrupt);
        }
        if sec(2).1 != (u64::from(records) + 1) * 8 || sec(6).1 != u64::from(n_terms) * 4 {
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
            let blob = self.section(5)?;
            let ends: Vec<u32> = self
                .section(6)?
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let post_offs: Vec<u64> = self
                .section(7)?
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            if ends.len() != self.n_terms as usize || post_offs.len() != self.n_terms as usize + 1
            {
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
        let post_start = self.offs[8];
        // Many words: read all postings once (and keep them); few: read just those.
        if ranges.len() > 32 && self.postings.is_none() {
            self.postings = Some(self.section(8)?);
        }
        for (from, to) in ranges {
            if to < from {
                return Err(Corrupt);
            }
            let owned;
            let bytes: &[u8] = match &self.postings {
                Some(all) => all
                    .get(from as usize..to as usize)
                    .ok_or(Corrupt)?,
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

    fn decode_record(
        &self,
        bytes: &[u8],
        i: u32,
        detail: Detail,
        body: Option<&[u8]>,
    ) -> DResult<Record> {
        let stat = self.stats.get(i as usize).ok_or(Corrupt)?;
        let mut d = Dec::new(bytes);
        let session_id = d.os()?;
        let title = d.s()?;
        let line = u32::try_from(d.u()?).map_err(|_| Corrupt)?;
        let body_off = d.u()?;
        let body_len = d.u()?;
        let data = dec_data(&mut d, detail, &title, session_id.as_deref())?;
        let body = match body {
            Some(all) => {
                let from = usize::try_from(body_off).map_err(|_| Corrupt)?;
                let to = from + usize::try_from(body_len).map_err(|_| Corrupt)?;
                std::str::from_utf8(all.get(from..to).ok_or(Corrupt)?)
                    .map_err(|_| Corrupt)?
                    .to_string()
            }
            None => String::new(),
        };
        let file = self.units.get(stat.unit as usize).ok_or(Corrupt)?.file.clone();
        Ok(Record {
            kind: stat.kind,
            when: stat.when,
            session_id,
            title,
            body,
            source: Source { file, line },
            data,
        })
    }

    fn record_range(&self, offs: &[u8], i: u32) -> DResult<(usize, usize)> {
        let at = |k: usize| -> DResult<usize> {
            let b = offs.get(k * 8..k * 8 + 8).ok_or(Corrupt)?;
            usize::try_from(u64::from_le_bytes(b.try_into().map_err(|_| Corrupt)?))
                .map_err(|_| Corrupt)
        };
        let (from, to) = (at(i as usize)?, at(i as usize + 1)?);
        if to < from {
            return Err(Corrupt);
        }
        Ok((from, to))
    }

    /// One record, with its body.
    pub fn record(&self, i: u32) -> DResult<Record> {
        if i >= self.records {
            return Err(Corrupt);
        }
        let offs = read_at(&self.file, self.offs[2] + u64::from(i) * 8, 16)?;
        let (from, to) = self.record_range(&offs, 0)?;
        let bytes = read_at(&self.file, self.offs[3] + from as u64, (to - from) as u64)?;
        // The body's place comes from the record itself.
        let mut d = Dec::new(&bytes);
        d.os()?;
        d.skip_str()?;
        d.u()?;
        let body_off = d.u()?;
        let body_len = d.u()?;
        if self.offs[4] + body_off + body_len > self.offs[5] {
            return Err(Corrupt);
        }
        let body = read_at(&self.file, self.offs[4] + body_off, body_len)?;
        let r = self.decode_record(&bytes, i, Detail::Full, None)?;
        let body = String::from_utf8(body).map_err(|_| Corrupt)?;
        Ok(Record { body, ..r })
    }

    /// Every record `keep` accepts (by its stat), in order, with or without bodies.
    pub fn records(
        &self,
        keep: impl Fn(&Stat) -> bool,
        detail: Detail,
        with_body: bool,
    ) -> DResult<Vec<(u32, Record)>> {
        let offs = self.section(2)?;
        let all = self.section(3)?;
        let bodies = if with_body {
            Some(self.section(4)?)
        } else {
            None
        };
        let mut out = Vec::new();
        for (i, stat) in self.stats.iter().enumerate() {
            if !keep(stat) {
                continue;
            }
            let (from, to) = self.record_range(&offs, i as u32)?;
            let bytes = all.get(from..to).ok_or(Corrupt)?;
            out.push((
                i as u32,
                self.decode_record(bytes, i as u32, detail, bodies.as_deref())?,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{from_decision, from_handoff};
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
        let mut tf = vec![0u32; 3];
        seg.accumulate("redis", &mut tf).unwrap();
        assert_eq!(tf, vec![TITLE_WEIGHT, 1, 0]);
        let mut tf = vec![0u32; 3];
        seg.accumulate("strasse", &mut tf).unwrap();
        assert_eq!(tf, vec![0, 0, 1]);
        let r = seg.record(1).unwrap();
        assert_eq!(r.title, "Use Postgres");
        assert_eq!(r.body, "Why: redis was slow\n");
        assert_eq!(r.source.line, 2);
        assert_eq!(r.decision().unwrap().reasoning.as_deref(), Some("redis was slow"));
        let all = seg.records(|_| true, Detail::Full, true).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[2].1.body, "# Über\n\nDie Straße");
        assert_eq!(all[0].1, units[0].records[0]);
        // Truncation is detected, not a panic.
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(Segment::open(&path).is_err() || Segment::open(&path).unwrap().records(|_| true, Detail::Full, true).is_err());
    }
}
