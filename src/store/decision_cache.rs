//! The decision cache, `.baton/decisions.cache`: for the knowledge base's `core_decisions` and
//! the decision log as they were last read, each decision's repeat key and date, where each
//! knowledge-base item starts, and the log's problems. `context` and the dashboard's first
//! frame group 50,000 decisions to show the newest; with this they read the decisions' text
//! only where it changed since.
//!
//! **Never stale.** Entries are keyed by content: the knowledge base by the length and hash of
//! its whole text, the log by the hash of a prefix (its complete lines when it was read). A
//! knowledge base whose bytes differ is read in full; a log is read from the end of its cached
//! prefix on when that prefix is unchanged (logs only grow), in full otherwise. A cache file
//! that is missing, torn, or of another version is ignored and rewritten.
//!
//! Writes replace the file (temp file, rename) without fsync: losing it costs one slower read.
//! Concurrent writers each write a whole file; the last rename wins, and every entry still
//! describes the bytes it was made from.

use std::borrow::Cow;
use std::ops::Range;

use crate::domain::fast_hash::FxHashMap;
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::{Problem, Severity};
use crate::domain::raw_list::Shape;
use crate::domain::repeats::KeyTable;

use super::binary::{Corrupt, DResult, Dec, Enc, wide_hash as hash};
use super::fsio;
use super::layout::Layout;

const FILE: &str = "decisions.cache";
const MAGIC: &[u8; 8] = b"BATONDC4";

/// One decision as the cache knows it: its repeat key's number and its date's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachedHead {
    pub key: Option<u32>,
    pub date: Option<u32>,
}

/// Dates, each kept once (a day's sessions share one), numbered in the order first met.
#[derive(Debug, Default)]
pub struct DateTable<'c> {
    dates: Vec<Cow<'c, str>>,
    index: Option<FxHashMap<String, u32>>,
}

impl DateTable<'_> {
    pub fn get(&self, id: u32) -> Option<&str> {
        self.dates.get(id as usize).map(|d| d.as_ref())
    }

    /// The number of `date`, added if new.
    pub fn id_of(&mut self, date: &str) -> u32 {
        let dates = &self.dates;
        let index = self.index.get_or_insert_with(|| {
            let mut map = FxHashMap::default();
            for (i, d) in dates.iter().enumerate() {
                map.entry(d.to_string()).or_insert(i as u32);
            }
            map
        });
        if let Some(id) = index.get(date) {
            return *id;
        }
        let id = self.dates.len() as u32;
        index.insert(date.to_string(), id);
        self.dates.push(Cow::Owned(date.to_string()));
        id
    }

    pub fn ids<'t>(&mut self, dates: impl Iterator<Item = Option<&'t str>>) -> Vec<Option<u32>> {
        dates.map(|d| d.map(|d| self.id_of(d))).collect()
    }
}

/// The knowledge base's `core_decisions`, for the text of `len` bytes hashing to `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeEntry {
    pub len: usize,
    pub hash: u64,
    /// Where the array's text lies in the file's text, and the hash of that text alone (the
    /// list is known again when only the fields around it changed).
    pub span: Range<usize>,
    pub list_hash: u64,
    pub shape: Shape,
    pub heads: Vec<CachedHead>,
}

/// The decision log's first `prefix_len` bytes (whole lines), hashing to `prefix_hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub prefix_len: usize,
    pub prefix_hash: u64,
    /// Lines in the prefix: the first line after it is `lines + 1`.
    pub lines: usize,
    /// Each record's line number and head.
    pub records: Vec<(usize, CachedHead)>,
    /// Problems found in the prefix, without their path.
    pub problems: Vec<(Severity, usize, usize, String)>,
}

#[derive(Debug, Default)]
pub struct DecisionCache<'c> {
    pub keys: KeyTable<'c>,
    pub dates: DateTable<'c>,
    pub knowledge: Option<KnowledgeEntry>,
    pub log: Option<LogEntry>,
}

impl<'c> DecisionCache<'c> {
    /// The cache in `bytes`, or an empty one when they are not a whole cache of this version.
    pub fn decode(bytes: &'c [u8]) -> Self {
        decode(bytes).unwrap_or_default()
    }

    /// The entry for a knowledge base whose text is `text`, if it is the cached one.
    pub fn knowledge_for(&self, text: &str) -> Option<&KnowledgeEntry> {
        self.knowledge_matching(text.len(), hash(text.as_bytes()))
    }

    /// [`Self::knowledge_for`] a text of `len` bytes already hashed to `hash`.
    pub fn knowledge_matching(&self, len: usize, hash: u64) -> Option<&KnowledgeEntry> {
        self.knowledge
            .as_ref()
            .filter(|k| k.len == len && k.hash == hash)
    }

    /// The entry's list, if `list` (the text of a knowledge base's `core_decisions`) is it.
    pub fn list_for(&self, list: &str) -> Option<&KnowledgeEntry> {
        self.knowledge
            .as_ref()
            .filter(|k| k.span.len() == list.len() && k.list_hash == hash(list.as_bytes()))
    }

    /// The entry for a log whose text is `text`, if the cached prefix is still its start.
    pub fn log_for(&self, text: &str) -> Option<&LogEntry> {
        self.log.as_ref().filter(|l| {
            text.as_bytes()
                .get(..l.prefix_len)
                .is_some_and(|prefix| hash(prefix) == l.prefix_hash)
        })
    }

    /// baton wrote the knowledge base from `k` (`len` bytes hashing to `hash`, the decisions'
    /// text at `span`), `k` having been read through this cache's entry and appended to
    /// since: the entry now describes the new file, with the appended decisions' heads (only
    /// those are decoded). Anything but an append drops the entry.
    pub fn knowledge_written(
        &mut self,
        k: &Knowledge,
        (len, hash): (usize, u64),
        span: Range<usize>,
        list_hash: u64,
    ) {
        let (Some(old), Some(raw)) = (self.knowledge.take(), k.raw_decisions()) else {
            return;
        };
        let shape = raw.shape().clone();
        let known = old.heads.len();
        if shape.items < known || shape.starts.len() != shape.items {
            return;
        }
        let added = k.core_decisions_at(&(known..shape.items).collect::<Vec<_>>());
        if known + added.len() != shape.items {
            return;
        }
        let mut heads = old.heads;
        for d in added {
            heads.push(CachedHead {
                key: self.keys.key_of(&d.decision),
                date: d.date.as_deref().map(|d| self.dates.id_of(d)),
            });
        }
        self.knowledge = Some(KnowledgeEntry {
            len,
            hash,
            span,
            list_hash,
            shape,
            heads,
        });
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::default();
        let keys = self.keys.keys();
        e.u(keys.len() as u64);
        for k in keys {
            e.s(k);
        }
        e.u(self.dates.dates.len() as u64);
        for d in &self.dates.dates {
            e.s(d);
        }
        match &self.knowledge {
            None => e.buf.push(0),
            Some(k) => {
                e.buf.push(1);
                e.u(k.len as u64);
                e.u64_le(k.hash);
                e.u(k.span.start as u64);
                e.u(k.span.end as u64);
                e.u64_le(k.list_hash);
                e.u(k.shape.items as u64);
                e.u(k.shape.max_id.map_or(0, |id| id.saturating_add(1)));
                e.u(k.shape.depth as u64);
                e.u(k.shape.starts.len() as u64);
                let mut last = 0;
                for s in &k.shape.starts {
                    e.u((s - last) as u64);
                    last = *s;
                }
                e.u(k.heads.len() as u64);
                for h in &k.heads {
                    enc_head(&mut e, h);
                }
            }
        }
        match &self.log {
            None => e.buf.push(0),
            Some(l) => {
                e.buf.push(1);
                e.u(l.prefix_len as u64);
                e.u64_le(l.prefix_hash);
                e.u(l.lines as u64);
                e.u(l.records.len() as u64);
                let mut last = 0;
                for (line, h) in &l.records {
                    e.u((line - last) as u64);
                    last = *line;
                    enc_head(&mut e, h);
                }
                e.u(l.problems.len() as u64);
                for (severity, line, column, message) in &l.problems {
                    e.buf.push(u8::from(*severity == Severity::Error));
                    e.u(*line as u64);
                    e.u(*column as u64);
                    e.s(message);
                }
            }
        }
        let mut out = Vec::with_capacity(e.buf.len() + 24);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(e.buf.len() as u64).to_le_bytes());
        out.extend_from_slice(&hash(&e.buf).to_le_bytes());
        out.extend_from_slice(&e.buf);
        out
    }
}

impl LogEntry {
    /// The cached problems, as found in the log shown as `path`.
    pub fn problems(&self, path: &str) -> impl Iterator<Item = Problem> + '_ {
        let path = path.to_string();
        self.problems
            .iter()
            .map(move |(severity, line, column, message)| {
                Problem::new(*severity, path.clone(), *line, *column, message.clone())
            })
    }
}

fn enc_head(e: &mut Enc, h: &CachedHead) {
    e.u(h.key.map_or(0, |k| u64::from(k) + 1));
    e.u(h.date.map_or(0, |k| u64::from(k) + 1));
}

fn dec_head(d: &mut Dec, keys: usize, dates: usize) -> DResult<CachedHead> {
    let mut id = |count: usize| -> DResult<Option<u32>> {
        match d.u()? {
            0 => Ok(None),
            k if (k as usize) <= count => Ok(Some((k - 1) as u32)),
            _ => Err(Corrupt),
        }
    };
    Ok(CachedHead {
        key: id(keys)?,
        date: id(dates)?,
    })
}

fn decode(bytes: &[u8]) -> DResult<DecisionCache<'_>> {
    let mut d = Dec::new(bytes);
    if d.bytes(8)? != MAGIC {
        return Err(Corrupt);
    }
    let len = d.u64_le()? as usize;
    let sum = d.u64_le()?;
    let body = d.bytes(len)?;
    if d.pos != bytes.len() || hash(body) != sum {
        return Err(Corrupt);
    }
    let mut d = Dec::new(body);
    let count = d.count()?;
    let mut keys = Vec::with_capacity(count);
    for _ in 0..count {
        keys.push(Cow::Borrowed(d.str()?));
    }
    let date_count = d.count()?;
    let mut dates = Vec::with_capacity(date_count);
    for _ in 0..date_count {
        dates.push(Cow::Borrowed(d.str()?));
    }
    let knowledge = match d.b()? {
        false => None,
        true => {
            let len = d.u()? as usize;
            let hash = d.u64_le()?;
            let span = d.u()? as usize..d.u()? as usize;
            let list_hash = d.u64_le()?;
            let items = d.u()? as usize;
            let max_id = d.u()?.checked_sub(1);
            let depth = d.u()? as usize;
            let n = d.count()?;
            let mut starts = Vec::with_capacity(n);
            let mut at = 0usize;
            for _ in 0..n {
                at = at.checked_add(d.u()? as usize).ok_or(Corrupt)?;
                starts.push(at);
            }
            let n = d.count()?;
            let mut heads = Vec::with_capacity(n);
            for _ in 0..n {
                heads.push(dec_head(&mut d, count, date_count)?);
            }
            let sane = span.start <= span.end
                && span.end <= len
                && starts.last().is_none_or(|s| *s < span.len())
                && (starts.is_empty() || starts.len() == items)
                && heads.len() == items;
            if !sane {
                return Err(Corrupt);
            }
            Some(KnowledgeEntry {
                len,
                hash,
                span,
                list_hash,
                shape: Shape {
                    items,
                    max_id,
                    depth,
                    starts,
                },
                heads,
            })
        }
    };
    let log = match d.b()? {
        false => None,
        true => {
            let prefix_len = d.u()? as usize;
            let prefix_hash = d.u64_le()?;
            let lines = d.u()? as usize;
            let n = d.count()?;
            let mut records = Vec::with_capacity(n);
            let mut line = 0usize;
            for _ in 0..n {
                line = line.checked_add(d.u()? as usize).ok_or(Corrupt)?;
                records.push((line, dec_head(&mut d, count, date_count)?));
            }
            let n = d.count()?;
            let mut problems = Vec::with_capacity(n);
            for _ in 0..n {
                let severity = match d.b()? {
                    true => Severity::Error,
                    false => Severity::Warning,
                };
                problems.push((severity, d.u()? as usize, d.u()? as usize, d.s()?));
            }
            Some(LogEntry {
                prefix_len,
                prefix_hash,
                lines,
                records,
                problems,
            })
        }
    };
    if d.pos != body.len() {
        return Err(Corrupt);
    }
    Ok(DecisionCache {
        keys: KeyTable::from_keys(keys),
        dates: DateTable { dates, index: None },
        knowledge,
        log,
    })
}

/// The cache file's bytes (empty when there is none).
pub fn load(layout: &Layout) -> Vec<u8> {
    fsio::read_optional(&path(layout))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Replaces the cache file; a directory that cannot be written just keeps no cache.
pub fn save(layout: &Layout, cache: &DecisionCache) {
    save_encoded(layout, &cache.encode());
}

/// [`save`] of a cache already encoded.
pub fn save_encoded(layout: &Layout, encoded: &[u8]) {
    let _ = fsio::replace_unsynced(&path(layout), encoded);
}

fn path(layout: &Layout) -> std::path::PathBuf {
    layout.private_dir().join(FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut keys = KeyTable::default();
        let a = keys.key_of("Use Redis");
        let b = keys.key_of("Keep Postgres");
        let mut dates = DateTable::default();
        let day = dates.id_of("2025-11-02");
        let cache = DecisionCache {
            keys,
            dates,
            knowledge: Some(KnowledgeEntry {
                len: 40,
                hash: 7,
                span: 3..30,
                list_hash: 11,
                shape: Shape {
                    items: 2,
                    max_id: Some(0),
                    depth: 2,
                    starts: vec![4, 12],
                },
                heads: vec![
                    CachedHead {
                        key: a,
                        date: Some(day),
                    },
                    CachedHead {
                        key: None,
                        date: None,
                    },
                ],
            }),
            log: Some(LogEntry {
                prefix_len: 100,
                prefix_hash: 9,
                lines: 4,
                records: vec![(2, CachedHead { key: b, date: None })],
                problems: vec![(Severity::Error, 3, 5, "bad".into())],
            }),
        };
        cache.encode()
    }

    #[test]
    fn what_is_encoded_decodes_the_same() {
        let bytes = sample();
        let cache = DecisionCache::decode(&bytes);
        assert_eq!(cache.keys.keys().len(), 2);
        assert_eq!(cache.keys.keys()[1], "keep postgres");
        assert_eq!(cache.encode(), bytes);
        let k = cache.knowledge.as_ref().unwrap();
        assert_eq!(k.shape.max_id, Some(0));
        assert_eq!(k.shape.starts, vec![4, 12]);
        assert_eq!(
            cache.dates.get(k.heads[0].date.unwrap()),
            Some("2025-11-02")
        );
        let l = cache.log.as_ref().unwrap();
        assert_eq!(l.records[0].0, 2);
        let shown: Vec<String> = l.problems("LOG").map(|p| p.to_string()).collect();
        assert_eq!(shown, vec![Problem::error("LOG", 3, 5, "bad").to_string()]);
    }

    #[test]
    fn a_torn_or_altered_cache_is_ignored() {
        let bytes = sample();
        for cut in [0, 7, 8, 20, bytes.len() - 1] {
            let cache = DecisionCache::decode(&bytes[..cut]);
            assert!(cache.knowledge.is_none() && cache.log.is_none() && cache.keys.is_empty());
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(DecisionCache::decode(&flipped).log.is_none());
    }

    #[test]
    fn entries_match_only_the_bytes_they_were_made_from() {
        let text = "line one\nline two\n";
        let cache = DecisionCache {
            keys: KeyTable::default(),
            dates: DateTable::default(),
            knowledge: Some(KnowledgeEntry {
                len: text.len(),
                hash: hash(text.as_bytes()),
                span: 0..0,
                list_hash: hash(b""),
                shape: Shape::default(),
                heads: Vec::new(),
            }),
            log: Some(LogEntry {
                prefix_len: 9,
                prefix_hash: hash(b"line one\n"),
                lines: 1,
                records: Vec::new(),
                problems: Vec::new(),
            }),
        };
        assert!(cache.knowledge_for(text).is_some());
        assert!(cache.knowledge_for("line one\nline twO\n").is_none());
        assert!(cache.log_for(text).is_some());
        assert!(cache.log_for("line one\nmore\n").is_some());
        assert!(cache.log_for("line One\nline two\n").is_none());
        assert!(cache.log_for("line").is_none());
    }
}
