//! Writes a segment (format: `segment.rs`) from records handed over one at a time, so that
//! building the index of 10,000 sessions never holds their records, their text or the
//! segment whole.
//!
//! A segment lists records by kind, but they arrive file by file, kinds mixed. Each kind's
//! stats, heads, tails, bodies and words (per record, its words' numbers and weighted
//! frequencies) are buffered apart and go to a spill file in blocks once a buffer reaches
//! [`Writer::new`]'s `block`; [`Writer::finish`] reads them back kind by kind, which is the
//! segment's order. In memory stay the dictionary (word → number) and four lengths per
//! record. A head names where its body and tail are in the whole segment, which only the
//! end knows: heads are spilled without those four numbers and written with them. The
//! postings are inverted at the end from the words read back (twice: once to size each
//! word's list, once to fill them). The output is byte for byte what building from all the
//! records at once gives.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::domain::catalog::{Kind, Record};
use crate::domain::fast_hash::FxHashMap;
use crate::domain::fold::{fold, tokens};
use crate::domain::search::TITLE_WEIGHT;

use super::codec::{Dec, Enc, enc_data};
use super::segment::{HEADER, MAGIC, SECTIONS, STAT_SIZE, Stat};

/// Where spilled blocks go: a file (building the index), or memory (small builds, tests).
pub trait Spill: Read + Write + Seek + Send {}
impl<T: Read + Write + Seek + Send> Spill for T {}

/// Kinds in segment order (`Kind::to_u8`, which follows `Kind`'s order).
const KINDS: usize = 6;
/// The spilled sections of a kind.
const STATS: usize = 0;
const HEADS: usize = 1;
const TAILS: usize = 2;
const BODIES: usize = 3;
const WORDS: usize = 4;
const SPILLED: usize = 5;

/// What is kept in memory per record (the rest is spilled).
#[derive(Debug, Clone, Copy)]
struct RecLens {
    /// Head bytes before the body and tail places (session, title, line).
    prefix: u32,
    /// Head bytes after them (the record's data).
    rest: u32,
    body: u32,
    tail: u32,
}

/// One kind's part of the segment.
#[derive(Default)]
struct KindPart {
    recs: Vec<RecLens>,
    /// Each spilled section's bytes not yet spilled.
    buf: [Vec<u8>; SPILLED],
    /// Bytes of each section so far (spilled or not).
    total: [u64; SPILLED],
}

/// How many bytes `Enc::u` writes for `v`.
fn u_len(v: u64) -> u64 {
    u64::from((64 - (v | 1).leading_zeros()).div_ceil(7))
}

fn too_big(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what} too big for the index"),
    )
}

/// A varint read back from a section this writer wrote.
fn read_u(r: &mut impl Read) -> io::Result<u64> {
    let mut v = 0u64;
    let mut byte = [0u8];
    for shift in (0..64).step_by(7) {
        r.read_exact(&mut byte)?;
        v |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] < 0x80 {
            return Ok(v);
        }
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "varint"))
}

/// Records made ready for a [`Writer`] where they are extracted (on every core), so the
/// writer only numbers words and copies bytes: per record its stat, its head, tail and body
/// encoded, and its distinct words with their weighted frequencies, in one buffer.
#[derive(Default)]
pub struct Prepared {
    /// The unit's file.
    pub file: String,
    buf: Vec<u8>,
    recs: Vec<PrepRec>,
}

struct PrepRec {
    /// Its unit is set by the writer.
    stat: Stat,
    /// Where its bytes start in the buffer: head, tail, body, then the words (each as
    /// length, text, frequency).
    at: usize,
    head: u32,
    /// Head bytes before the body and tail places (session, title, line).
    prefix: u32,
    tail: u32,
    body: u32,
    distinct: u32,
}

impl Prepared {
    pub fn new(file: String) -> Prepared {
        Prepared {
            file,
            ..Prepared::default()
        }
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.recs.clear();
    }

    /// Records prepared.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Dedupe keys of the records (see `Stat::key`).
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.recs.iter().map(|r| r.stat.key)
    }

    /// Prepares `r` (word counts, keys and the encoding as `segment::build` has them).
    pub fn add(&mut self, r: &Record) -> io::Result<()> {
        let at = self.buf.len();
        let mut e = Enc {
            buf: std::mem::take(&mut self.buf),
        };
        e.os(r.session_id.as_deref());
        e.s(&r.title);
        e.u(u64::from(r.source.line));
        let prefix = e.buf.len() - at;
        let mut tail = Enc::default();
        enc_data(&mut e, &mut tail, &r.data);
        let head = e.buf.len() - at;
        e.buf.extend_from_slice(&tail.buf);
        e.buf.extend_from_slice(r.body.as_bytes());
        let mut len = 0u32;
        let mut distinct = 0u32;
        if Kind::SEARCHED.contains(&r.kind) {
            let (title, body) = (fold(&r.title), fold(&r.body));
            // Distinct words in order of first sight, with their weighted frequencies.
            let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
            let mut words: Vec<(&str, u32)> = Vec::new();
            for (text, weight) in [(&title, TITLE_WEIGHT), (&body, 1)] {
                for t in tokens(text) {
                    len += 1;
                    match seen.get(t) {
                        Some(&i) => words[i].1 += weight,
                        None => {
                            seen.insert(t, words.len());
                            words.push((t, weight));
                        }
                    }
                }
            }
            for (word, tf) in &words {
                e.s(word);
                e.u(u64::from(*tf));
            }
            distinct = words.len() as u32;
        }
        self.buf = e.buf;
        let small = |n: usize, what| u32::try_from(n).map_err(|_| too_big(what));
        self.recs.push(PrepRec {
            stat: Stat::of(r, 0, len),
            at,
            head: small(head, "a head")?,
            prefix: small(prefix, "a head")?,
            tail: small(tail.buf.len(), "a record")?,
            body: small(r.body.len(), "a text")?,
            distinct,
        });
        Ok(())
    }

    /// The word at `at`: its text, frequency, and where the next one starts.
    fn word(&self, at: usize) -> (&[u8], u32, usize) {
        // Written by `add` just above: never malformed.
        let mut d = Dec::new(&self.buf);
        d.pos = at;
        let n = d.count().unwrap_or_default();
        let term = d.bytes(n).unwrap_or_default();
        let tf = d.u().unwrap_or_default() as u32;
        (term, tf, d.pos)
    }
}

/// Builds one segment; see the module's comment.
pub struct Writer {
    spill: Box<dyn Spill>,
    /// Spilled blocks, in order: (section, kind, offset in the spill, length).
    blocks: Vec<(u8, u8, u64, u64)>,
    spilled: u64,
    block: usize,
    units: Vec<(String, u32)>,
    kinds: [KindPart; KINDS],
    /// Words (as bytes: they are text, checked when folded) and their numbers.
    term_ids: FxHashMap<Vec<u8>, u32>,
    total_len: u64,
    /// Scratch: one record's stat and words, one record prepared.
    stats: Enc,
    words: Enc,
    one: Prepared,
}

impl Writer {
    /// A writer spilling to `spill` in blocks of about `block` bytes.
    pub fn new(spill: Box<dyn Spill>, block: usize) -> Writer {
        Writer {
            spill,
            blocks: Vec::new(),
            spilled: 0,
            block: block.max(1),
            units: Vec::new(),
            kinds: Default::default(),
            term_ids: FxHashMap::default(),
            total_len: 0,
            stats: Enc::default(),
            words: Enc::default(),
            one: Prepared::default(),
        }
    }

    /// A writer that keeps everything in memory (a segment of a few records).
    #[cfg(test)]
    pub fn in_memory() -> Writer {
        Writer::new(Box::new(io::Cursor::new(Vec::new())), usize::MAX)
    }

    /// Starts a unit (a file, or a part of a log); returns its number.
    pub fn unit(&mut self, file: &str) -> u32 {
        self.units.push((file.to_string(), 0));
        (self.units.len() - 1) as u32
    }

    /// Adds a record of `unit`. Within a kind, records must come in unit order (the order
    /// of a segment); kinds may mix.
    pub fn push(&mut self, unit: u32, r: &Record) -> io::Result<()> {
        let mut one = std::mem::take(&mut self.one);
        one.clear();
        let pushed = one.add(r).and_then(|()| self.push_prepared(unit, &one, 0));
        self.one = one;
        pushed
    }

    /// Adds prepared records as a new unit named `p.file`.
    pub fn add(&mut self, p: &Prepared) -> io::Result<()> {
        let unit = self.unit(&p.file);
        for i in 0..p.recs.len() {
            self.push_prepared(unit, p, i)?;
        }
        Ok(())
    }

    fn push_prepared(&mut self, unit: u32, p: &Prepared, i: usize) -> io::Result<()> {
        let rec = &p.recs[i];
        if let Some(u) = self.units.get_mut(unit as usize) {
            u.1 += 1;
        }
        let k = rec.stat.kind.to_u8() as usize;
        let mut stat = rec.stat;
        stat.unit = unit;
        let mut stats = std::mem::take(&mut self.stats);
        stats.buf.clear();
        stat.encode(&mut stats);
        // The words by number, for the postings.
        let mut words = std::mem::take(&mut self.words);
        words.buf.clear();
        let mut at = rec.at + (rec.head + rec.tail + rec.body) as usize;
        if Kind::SEARCHED.contains(&stat.kind) {
            words.u(u64::from(rec.distinct));
            self.total_len += u64::from(stat.len);
        }
        for _ in 0..rec.distinct {
            let (term, tf, next) = p.word(at);
            at = next;
            let id = match self.term_ids.get(term) {
                Some(&id) => id,
                None => {
                    let id = self.term_ids.len() as u32;
                    self.term_ids.insert(term.to_vec(), id);
                    id
                }
            };
            words.u(u64::from(id));
            words.u(u64::from(tf));
        }
        self.kinds[k].recs.push(RecLens {
            prefix: rec.prefix,
            rest: rec.head - rec.prefix,
            body: rec.body,
            tail: rec.tail,
        });
        let (head, rest) = p.buf[rec.at..].split_at(rec.head as usize);
        let (tail, rest) = rest.split_at(rec.tail as usize);
        let body = &rest[..rec.body as usize];
        let written = self
            .append(k, STATS, &stats.buf)
            .and_then(|()| self.append(k, HEADS, head))
            .and_then(|()| self.append(k, TAILS, tail))
            .and_then(|()| self.append(k, BODIES, body))
            .and_then(|()| self.append(k, WORDS, &words.buf));
        self.stats = stats;
        self.words = words;
        written
    }

    fn append(&mut self, k: usize, section: usize, bytes: &[u8]) -> io::Result<()> {
        let part = &mut self.kinds[k];
        part.buf[section].extend_from_slice(bytes);
        part.total[section] += bytes.len() as u64;
        if part.buf[section].len() >= self.block {
            let buf = &mut part.buf[section];
            self.spill.write_all(buf)?;
            self.blocks
                .push((section as u8, k as u8, self.spilled, buf.len() as u64));
            self.spilled += buf.len() as u64;
            buf.clear();
            // A huge text grew it: not kept that big.
            if buf.capacity() > self.block.saturating_mul(4) {
                buf.shrink_to(self.block);
            }
        }
        Ok(())
    }

    /// Writes the segment to `out`.
    pub fn finish<W: Write + ?Sized>(mut self, out: &mut W) -> io::Result<()> {
        self.spill.flush()?;
        let n: usize = self.kinds.iter().map(|p| p.recs.len()).sum();
        // Where each kind's tails and bodies start in the whole segment.
        let mut base = [[0u64; SPILLED]; KINDS];
        for k in 1..KINDS {
            for s in [TAILS, BODIES] {
                base[k][s] = base[k - 1][s] + self.kinds[k - 1].total[s];
            }
        }
        // Heads with their places: the offsets section, and the heads section's length.
        let mut offs = Vec::with_capacity((n + 1) * 8);
        let mut heads_len = 0u64;
        for (k, part) in self.kinds.iter().enumerate() {
            let (mut body_at, mut tail_at) = (base[k][BODIES], base[k][TAILS]);
            for r in &part.recs {
                offs.extend_from_slice(&heads_len.to_le_bytes());
                heads_len += u64::from(r.prefix)
                    + u_len(body_at)
                    + u_len(u64::from(r.body))
                    + u_len(tail_at)
                    + u_len(u64::from(r.tail))
                    + u64::from(r.rest);
                body_at += u64::from(r.body);
                tail_at += u64::from(r.tail);
            }
        }
        offs.extend_from_slice(&heads_len.to_le_bytes());

        let mut units = Enc::default();
        for (file, count) in &self.units {
            units.u32_le(0); // unused: records are ordered by kind, not by unit
            units.u32_le(*count);
            units.s(file);
        }
        let Dictionary {
            blob,
            ends,
            post_offs,
            post,
        } = self.postings()?;
        let total = |s: usize| -> u64 { self.kinds.iter().map(|p| p.total[s]).sum() };
        let lens: [u64; SECTIONS] = [
            units.buf.len() as u64,
            (n * STAT_SIZE) as u64,
            offs.len() as u64,
            heads_len,
            total(TAILS),
            total(BODIES),
            blob.len() as u64,
            ends.len() as u64,
            post_offs.len() as u64,
            post.len() as u64,
        ];
        let mut header = Enc::default();
        header.buf.extend_from_slice(MAGIC);
        header.u32_le(n as u32);
        header.u32_le(self.units.len() as u32);
        header.u32_le(self.term_ids.len() as u32);
        header.u32_le(0);
        header.u64_le(self.total_len);
        let mut at = HEADER as u64;
        for l in lens {
            header.u64_le(at);
            at += l;
        }
        debug_assert_eq!(header.buf.len(), HEADER);
        out.write_all(&header.buf)?;
        out.write_all(&units.buf)?;
        drop(units);
        for k in 0..KINDS {
            io::copy(&mut self.reader(STATS, k), out)?;
        }
        out.write_all(&offs)?;
        drop(offs);
        self.write_heads(&base, out)?;
        for section in [TAILS, BODIES] {
            for k in 0..KINDS {
                io::copy(&mut self.reader(section, k), out)?;
            }
        }
        for part in [&blob, &ends, &post_offs, &post] {
            out.write_all(part)?;
        }
        Ok(())
    }

    /// Heads, each with its body's and tail's places in the whole segment.
    fn write_heads<W: Write + ?Sized>(
        &mut self,
        base: &[[u64; SPILLED]; KINDS],
        out: &mut W,
    ) -> io::Result<()> {
        let mut head = Vec::new();
        let mut places = Enc::default();
        for (k, base) in base.iter().enumerate() {
            let recs = std::mem::take(&mut self.kinds[k].recs);
            let (mut body_at, mut tail_at) = (base[BODIES], base[TAILS]);
            let mut r = self.reader(HEADS, k);
            for rec in &recs {
                head.resize(rec.prefix as usize, 0);
                r.read_exact(&mut head)?;
                out.write_all(&head)?;
                places.buf.clear();
                for v in [body_at, u64::from(rec.body), tail_at, u64::from(rec.tail)] {
                    places.u(v);
                }
                out.write_all(&places.buf)?;
                head.resize(rec.rest as usize, 0);
                r.read_exact(&mut head)?;
                out.write_all(&head)?;
                body_at += u64::from(rec.body);
                tail_at += u64::from(rec.tail);
            }
        }
        Ok(())
    }

    /// Reads back one kind's section: its spilled blocks, then what is still buffered.
    fn reader(&mut self, section: usize, k: usize) -> SectionReader<'_> {
        let blocks = self
            .blocks
            .iter()
            .filter(|b| b.0 as usize == section && b.1 as usize == k)
            .map(|b| (b.2, b.3))
            .collect();
        SectionReader {
            spill: &mut self.spill,
            blocks,
            next: 0,
            buf: Vec::new(),
            at: 0,
            rest: &self.kinds[k].buf[section],
            rest_done: false,
        }
    }

    /// Calls `f(record, word, frequency)` for every word of every searched record, records
    /// numbered as the segment orders them.
    fn each_word(&mut self, mut f: impl FnMut(u32, usize, u32)) -> io::Result<()> {
        let mut doc = 0u32;
        for k in 0..KINDS {
            let count = self.kinds[k].recs.len() as u32;
            let searched =
                Kind::from_u8(k as u8).is_some_and(|kind| Kind::SEARCHED.contains(&kind));
            if !searched {
                doc += count;
                continue;
            }
            let mut r = io::BufReader::new(self.reader(WORDS, k));
            for _ in 0..count {
                let distinct = read_u(&mut r)?;
                for _ in 0..distinct {
                    let id = read_u(&mut r)? as usize;
                    let tf = read_u(&mut r)? as u32;
                    f(doc, id, tf);
                }
                doc += 1;
            }
        }
        Ok(())
    }

    /// The dictionary (sorted words, their ends, where their postings are) and the
    /// postings, inverted from the words read back.
    fn postings(&mut self) -> io::Result<Dictionary> {
        let n_terms = self.term_ids.len();
        // Per word: postings, their bytes, the last record (to encode the next delta).
        let mut count = vec![0u32; n_terms];
        let mut bytes = vec![0u64; n_terms];
        let mut last = vec![0u32; n_terms];
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "word number");
        let mut ok = true;
        self.each_word(|doc, id, tf| {
            let Some(c) = count.get_mut(id) else {
                ok = false;
                return;
            };
            let delta = if *c == 0 { doc } else { doc - last[id] };
            bytes[id] += u_len(u64::from(delta)) + u_len(u64::from(tf));
            *c += 1;
            last[id] = doc;
        })?;
        if !ok {
            return Err(bad());
        }
        let mut terms: Vec<(&[u8], u32)> = self
            .term_ids
            .iter()
            .map(|(t, &id)| (t.as_slice(), id))
            .collect();
        // Byte order is `str` order.
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut blob = Vec::new();
        let mut ends = Enc::default();
        let mut post_offs = Enc::default();
        // Where each word's postings go, past its count.
        let mut at = vec![0usize; n_terms];
        let mut post = Enc::default();
        for &(term, id) in &terms {
            blob.extend_from_slice(term);
            ends.u32_le(blob.len() as u32);
            blob.push(b'\n');
            post_offs.u64_le(post.buf.len() as u64);
            post.u(u64::from(count[id as usize]));
            at[id as usize] = post.buf.len();
            let len = usize::try_from(bytes[id as usize]).map_err(|_| too_big("a word"))?;
            post.buf.resize(post.buf.len() + len, 0);
        }
        post_offs.u64_le(post.buf.len() as u64);
        drop(terms);
        drop(bytes);
        last.fill(u32::MAX);
        let mut post = post.buf;
        let mut one = Enc::default();
        self.each_word(|doc, id, tf| {
            let delta = if last[id] == u32::MAX {
                doc
            } else {
                doc - last[id]
            };
            one.buf.clear();
            one.u(u64::from(delta));
            one.u(u64::from(tf));
            post[at[id]..at[id] + one.buf.len()].copy_from_slice(&one.buf);
            at[id] += one.buf.len();
            last[id] = doc;
        })?;
        Ok(Dictionary {
            blob,
            ends: ends.buf,
            post_offs: post_offs.buf,
            post,
        })
    }
}

/// The last four sections: the words, their ends, where their postings are, the postings.
struct Dictionary {
    blob: Vec<u8>,
    ends: Vec<u8>,
    post_offs: Vec<u8>,
    post: Vec<u8>,
}

/// One kind's section read back in order (see [`Writer::reader`]).
struct SectionReader<'a> {
    spill: &'a mut Box<dyn Spill>,
    blocks: Vec<(u64, u64)>,
    next: usize,
    buf: Vec<u8>,
    at: usize,
    rest: &'a [u8],
    rest_done: bool,
}
impl Read for SectionReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.buf.len() {
            if let Some(&(off, len)) = self.blocks.get(self.next) {
                self.next += 1;
                self.spill.seek(SeekFrom::Start(off))?;
                self.buf.resize(len as usize, 0);
                self.spill.read_exact(&mut self.buf)?;
                self.at = 0;
            } else if !self.rest_done {
                self.rest_done = true;
                self.buf.clear();
                self.buf.extend_from_slice(self.rest);
                self.at = 0;
            } else {
                return Ok(0);
            }
        }
        let k = out.len().min(self.buf.len() - self.at);
        out[..k].copy_from_slice(&self.buf[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
