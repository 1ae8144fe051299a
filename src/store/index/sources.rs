//! The files the index covers, how they are listed, split and turned into records.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::archive::ArchivedSession;
use crate::domain::catalog::{self, Kind, Record};
use crate::domain::json_doc::parse_log;
use crate::domain::search::dedupe_key;
use crate::domain::text::decode;

use crate::store::fsio::TEMP_MARKER;
use crate::store::layout::{
    self, ARCHIVE, CODE_REGISTRY, DECISIONS_LOG, HANDOFFS, INSIGHTS_DB, INSIGHTS_LOG, KNOWLEDGE,
};

/// What kind of file a source is, which decides how it is split and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Archive,
    Handoff,
    DecisionLog,
    InsightsDb,
    InsightsLog,
    CodeRegistry,
    Knowledge,
}

impl SourceKind {
    pub fn to_u8(self) -> u8 {
        self as u8
    }

    pub fn from_u8(b: u8) -> Option<SourceKind> {
        Some(match b {
            0 => SourceKind::Archive,
            1 => SourceKind::Handoff,
            2 => SourceKind::DecisionLog,
            3 => SourceKind::InsightsDb,
            4 => SourceKind::InsightsLog,
            5 => SourceKind::CodeRegistry,
            6 => SourceKind::Knowledge,
            _ => return None,
        })
    }

    /// Append-only logs are indexed in parts, so an append re-reads only the new lines.
    pub fn is_log(self) -> bool {
        matches!(
            self,
            SourceKind::DecisionLog
                | SourceKind::InsightsDb
                | SourceKind::InsightsLog
                | SourceKind::CodeRegistry
        )
    }
}

/// A modification time as (seconds, nanoseconds) since the epoch.
pub type Stamp = (i64, u32);

pub fn stamp(t: SystemTime) -> Stamp {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => (-(e.duration().as_secs() as i64), 0),
    }
}

/// A source file as found on disk.
#[derive(Debug, Clone)]
pub struct Found {
    /// Relative to the sessions directory, with `/`.
    pub path: String,
    pub kind: SourceKind,
    pub size: u64,
    pub mtime: Stamp,
    /// Listed without a `stat` ([`scan_names`]): `size` and `mtime` are unknown (0).
    pub unstatted: bool,
}

impl Found {
    /// Where it is.
    pub fn abs(&self, root: &Path) -> PathBuf {
        root.join(&self.path)
    }

    /// Fills in size and modification time; `false` when it is gone or not a file.
    pub fn stat(&mut self, root: &Path) -> bool {
        match fs::metadata(self.abs(root)) {
            Ok(meta) if meta.is_file() => {
                self.size = meta.len();
                self.mtime = stamp(meta.modified().unwrap_or(UNIX_EPOCH));
                self.unstatted = false;
                true
            }
            _ => false,
        }
    }
}

fn found(path: String, kind: SourceKind, meta: &fs::Metadata) -> Found {
    Found {
        path,
        kind,
        size: meta.len(),
        mtime: stamp(meta.modified().unwrap_or(UNIX_EPOCH)),
        unstatted: false,
    }
}

/// An entry of a source directory, not yet stat-ed.
struct Listed {
    path: String,
    entry: fs::DirEntry,
    /// A regular file by its entry type (no `stat` needed to tell).
    file: bool,
}

impl Listed {
    /// Size and modification time (following a symlink); `None` when not a file.
    fn stat(self, kind: SourceKind) -> Option<Found> {
        // Relative to the open directory: one lookup, not the whole path's.
        let meta = self.entry.metadata().ok()?;
        let meta = if meta.file_type().is_symlink() {
            fs::metadata(self.entry.path()).ok()?
        } else {
            meta
        };
        meta.is_file().then(|| found(self.path, kind, &meta))
    }
}

/// The entries of `root/dir` that may be sources (`*ext`, not hidden, not a temp file),
/// sorted by path.
fn names(root: &Path, dir: &str, ext: &str) -> Vec<Listed> {
    let Ok(iter) = fs::read_dir(root.join(dir)) else {
        return Vec::new();
    };
    let temp = memchr::memmem::Finder::new(TEMP_MARKER);
    let mut out = Vec::new();
    for entry in iter.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let n = name.len();
        if name.starts_with('.')
            || temp.find(name.as_bytes()).is_some()
            || n < ext.len()
            || !name.is_char_boundary(n - ext.len())
            || !name[n - ext.len()..].eq_ignore_ascii_case(ext)
        {
            continue;
        }
        // The entry's type comes with the listing (no `stat`).
        let file = match entry.file_type() {
            Ok(t) if t.is_dir() => continue,
            Ok(t) => t.is_file(),
            Err(_) => false,
        };
        let mut path = String::with_capacity(dir.len() + 1 + n);
        path.push_str(dir);
        path.push('/');
        path.push_str(name);
        out.push(Listed { path, entry, file });
    }
    // By path: the names' first 16 bytes as one number, the whole path on a tie (no NUL in
    // a name, so the zero padding orders a shorter name first, as the bytes do).
    let skip = dir.len() + 1;
    let head = |l: &Listed| {
        let mut b = [0u8; 16];
        let name = &l.path.as_bytes()[skip..];
        let k = name.len().min(16);
        b[..k].copy_from_slice(&name[..k]);
        u128::from_be_bytes(b)
    };
    let mut keys: Vec<(u128, u32)> = out
        .iter()
        .enumerate()
        .map(|(i, l)| (head(l), i as u32))
        .collect();
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| out[a.1 as usize].path.cmp(&out[b.1 as usize].path))
    });
    let mut slots: Vec<Option<Listed>> = out.into_iter().map(Some).collect();
    keys.iter()
        .filter_map(|(_, i)| slots[*i as usize].take())
        .collect()
}

/// `stat`s listed entries, on two threads when there are many (a `stat` each adds up).
fn stat_all(kind: SourceKind, list: Vec<Listed>) -> Vec<Found> {
    let one = |part: Vec<Listed>| -> Vec<Found> {
        part.into_iter().filter_map(|l| l.stat(kind)).collect()
    };
    if list.len() < 2048 {
        return one(list);
    }
    let mut list = list;
    let second = list.split_off(list.len() / 2);
    std::thread::scope(|s| {
        let h = s.spawn(|| one(second));
        let mut v = one(list);
        v.extend(h.join().unwrap_or_default());
        v
    })
}

/// The few top-level sources that exist.
fn top_level(root: &Path) -> Vec<Found> {
    let mut top = Vec::new();
    for (name, kind) in [
        (DECISIONS_LOG, SourceKind::DecisionLog),
        (INSIGHTS_DB, SourceKind::InsightsDb),
        (INSIGHTS_LOG, SourceKind::InsightsLog),
        (CODE_REGISTRY, SourceKind::CodeRegistry),
        (KNOWLEDGE, SourceKind::Knowledge),
    ] {
        if let Ok(meta) = fs::metadata(root.join(name))
            && meta.is_file()
        {
            top.push(found(name.to_string(), kind, &meta));
        }
    }
    top
}

/// Every file the index covers, with its size and modification time, sorted by path.
pub fn scan(root: &Path) -> Vec<Found> {
    scan_names(root, true)
}

/// Like [`scan`]; with `stat_handoffs` false, handoffs are only listed (`unstatted`, unless
/// their entry type needs a `stat` to tell): the index checks those whose content its
/// caller needs (`Catalog::open_scoped`).
pub fn scan_names(root: &Path, stat_handoffs: bool) -> Vec<Found> {
    // The two big directories are listed at the same time.
    let (handoffs, archives) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let list = names(root, HANDOFFS, ".md");
            if stat_handoffs {
                return stat_all(SourceKind::Handoff, list);
            }
            let mut out = Vec::with_capacity(list.len());
            for l in list {
                if l.file {
                    out.push(Found {
                        path: l.path,
                        kind: SourceKind::Handoff,
                        size: 0,
                        mtime: (0, 0),
                        unstatted: true,
                    });
                } else {
                    out.extend(l.stat(SourceKind::Handoff));
                }
            }
            out
        });
        let archives = stat_all(SourceKind::Archive, names(root, ARCHIVE, ".json"));
        (h.join().unwrap_or_default(), archives)
    });
    // Sorted by path, as the index keeps them: handoffs, then archives (each sorted); the
    // few top-level files go where they belong.
    let mut top = top_level(root);
    top.sort_by(|a, b| a.path.cmp(&b.path));
    let mut all = Vec::with_capacity(handoffs.len() + archives.len() + top.len());
    let mut top = top.into_iter().peekable();
    for f in handoffs.into_iter().chain(archives) {
        while let Some(t) = top.next_if(|t| t.path < f.path) {
            all.push(t);
        }
        all.push(f);
    }
    all.extend(top);
    debug_assert!(all.is_sorted_by(|a, b| a.path <= b.path));
    all
}

/// A log's parts: about this many bytes each, cut at line ends.
pub const CHUNK: usize = 1 << 20;

/// Splits `bytes[from..]` into parts of about [`CHUNK`] bytes ending at line ends (the
/// last part ends at the end of the file, newline or not).
pub fn chunks(bytes: &[u8], from: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < bytes.len() {
        let target = (start + CHUNK).min(bytes.len());
        let end = if target >= bytes.len() {
            bytes.len()
        } else {
            match memchr::memchr(b'\n', &bytes[target..]) {
                Some(i) => target + i + 1,
                None => bytes.len(),
            }
        };
        out.push((start, end));
        start = end;
    }
    out
}

/// Whether a log file is a JSON array rather than JSON lines (then it is read whole).
pub fn is_array(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
        == Some(&b'[')
}

/// Records of a part of a log, `first_line` being the 1-based number of its first line.
pub fn log_records(kind: SourceKind, path: &str, bytes: &[u8], first_line: u32) -> Vec<Record> {
    let (text, _) = decode(bytes);
    let mut out = Vec::new();
    if is_array(bytes) {
        let log = parse_log(path, &text);
        for r in log.records {
            let line = r.line as u32;
            out.extend(match kind {
                SourceKind::DecisionLog => catalog::from_decision(path, line, r.value),
                SourceKind::InsightsDb => catalog::from_insight(path, line, &r.value),
                SourceKind::CodeRegistry => catalog::from_code(path, line, &r.value),
                SourceKind::InsightsLog => r
                    .value
                    .as_str()
                    .and_then(|s| catalog::from_insight_line(path, line, s)),
                _ => None,
            });
        }
        return out;
    }
    for (i, line) in text.split('\n').enumerate() {
        let line_no = first_line + i as u32;
        let body = line.trim();
        if body.is_empty() {
            continue;
        }
        let rec = if kind == SourceKind::InsightsLog {
            catalog::from_insight_line(path, line_no, body)
        } else {
            match serde_json::from_str::<Value>(body) {
                Ok(v) => match kind {
                    SourceKind::DecisionLog => catalog::from_decision(path, line_no, v),
                    SourceKind::InsightsDb => catalog::from_insight(path, line_no, &v),
                    SourceKind::CodeRegistry => catalog::from_code(path, line_no, &v),
                    _ => None,
                },
                Err(_) => None, // `baton validate` reports it
            }
        };
        out.extend(rec);
    }
    out
}

/// An archive's records (none if it does not parse: `baton validate` says why).
pub fn archive_records(path: &str, bytes: &[u8]) -> Vec<Record> {
    let (text, _) = decode(bytes);
    match serde_json::from_str::<ArchivedSession>(&text) {
        Ok(a) => catalog::from_archive(path, &a),
        Err(_) => Vec::new(),
    }
}

pub fn handoff_record(path: &str, bytes: &[u8], mtime: Stamp) -> Record {
    let (text, _) = decode(bytes);
    let modified = DateTime::<Utc>::from_timestamp(mtime.0, mtime.1);
    catalog::from_handoff(path, &text, modified)
}

#[derive(Deserialize)]
struct CoreDecisions<'a> {
    /// As text: a list of 25,000 decisions is read item by item, never as one tree.
    #[serde(default, borrow)]
    core_decisions: Option<&'a RawValue>,
}

/// The knowledge base's `core_decisions` that the decision log does not already hold
/// (`end` writes every decision to both; hand-made directories often only to one).
pub fn knowledge_records(path: &str, bytes: &[u8], in_log: &HashSet<u64>) -> Vec<Record> {
    let (text, _) = decode(bytes);
    let Ok(kb) = serde_json::from_str::<CoreDecisions>(&text) else {
        return Vec::new();
    };
    let Some(raw) = kb.core_decisions else {
        return Vec::new();
    };
    let keep = |v: Value| {
        catalog::from_decision(path, 0, v)
            .filter(|r| !in_log.contains(&dedupe_key(Kind::Decision, &r.title)))
    };
    if !raw.get().starts_with('[') {
        // One item that is not a list (`items::list_of`).
        return serde_json::from_str::<Value>(raw.get())
            .ok()
            .and_then(keep)
            .into_iter()
            .collect();
    }
    struct Items<F>(F);
    impl<'de, F: FnMut(Value)> Visitor<'de> for Items<F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(v) = seq.next_element::<Value>()? {
                (self.0)(v);
            }
            Ok(())
        }
    }
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(raw.get());
    // Already parsed once: this cannot fail.
    let _ = de.deserialize_seq(Items(|v| out.extend(keep(v))));
    out
}

/// The directory for an index of `root`: `.baton/index/`, or one in the system's temp
/// directory when the sessions directory cannot be written.
pub fn index_dirs(root: &Path) -> (PathBuf, PathBuf) {
    let own = layout::Layout::new(root).private_dir().join("index");
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let key = super::codec::hash(canonical.to_string_lossy().as_bytes());
    let fallback = std::env::temp_dir().join(format!("baton-index-{key:016x}"));
    (own, fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_line_ends() {
        let mut bytes = Vec::new();
        for i in 0..200_000 {
            bytes.extend_from_slice(format!("{{\"decision\": \"d{i}\"}}\n").as_bytes());
        }
        let parts = chunks(&bytes, 0);
        assert!(parts.len() > 2);
        assert_eq!(parts[0].0, 0);
        assert_eq!(parts.last().unwrap().1, bytes.len());
        for w in parts.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(bytes[w[0].1 - 1], b'\n');
        }
        assert!(is_array(b"  [1]"));
        assert!(!is_array(b"{}\n"));
    }

    #[test]
    fn log_lines_keep_their_numbers() {
        let bytes = b"{\"decision\": \"a\"}\nnot json\n\n{\"decision\": \"b\"}\n";
        let r = log_records(SourceKind::DecisionLog, "DECISIONS_LOG.json", bytes, 10);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].source.line, 10);
        assert_eq!(r[1].source.line, 13);
    }
}
