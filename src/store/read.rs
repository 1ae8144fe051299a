//! Tolerant reading of everything in the sessions directory. Reading never fails on content:
//! what does not parse becomes a [`Problem`] and the rest is still returned.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::domain::archive::ArchivedSession;
use crate::domain::events::{Event, fold};
use crate::domain::handoff::HandoffName;
use crate::domain::json_doc::{Doc, Log, parse_log, parse_log_as, parse_object};
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::session::SessionRecord;
use crate::domain::text::BYTE_ORDER_MARK;

use super::binary::wide_hash as hash;
use super::decision_cache::DecisionCache;
use super::fsio::{FsError, TEMP_MARKER, read_optional};
use super::layout::Layout;

/// Reads a file and decodes it as text, reporting invalid UTF-8 as a warning.
pub fn read_text(
    layout: &Layout,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Option<String>, FsError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(None);
    };
    // One pass over valid UTF-8 (the usual case), which keeps its buffer: knowledge bases
    // reach megabytes.
    let mut bytes = bytes;
    if bytes.starts_with(BYTE_ORDER_MARK) {
        bytes.drain(..BYTE_ORDER_MARK.len());
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(invalid) => {
            problems.push(Problem::warning(
                layout.display(path),
                0,
                0,
                "not valid UTF-8; invalid bytes are shown as \u{FFFD}",
            ));
            String::from_utf8_lossy(invalid.as_bytes()).into_owned()
        }
    };
    Ok(Some(text))
}

/// The knowledge base as read: missing, parsed, or broken (with a salvaged view).
#[derive(Debug, Clone)]
pub struct KnowledgeFile {
    pub doc: Option<Doc<Knowledge>>,
    pub problems: Vec<Problem>,
}

pub fn read_knowledge(layout: &Layout) -> Result<KnowledgeFile, FsError> {
    read_knowledge_cached(layout, &DecisionCache::default()).map(|(file, _)| file)
}

/// How the knowledge base was read, for the decision cache.
#[derive(Debug, Clone, PartialEq)]
pub enum KnowledgeRead {
    /// No file.
    Missing,
    /// The cache's entry was its text: only the fields around `core_decisions` were parsed.
    Cached,
    /// Parsed whole; `entry` says what a cache entry for it would be keyed by, when it can
    /// have one (valid UTF-8, `core_decisions` kept as text). `list_cached`: the file changed
    /// around an unchanged `core_decisions`, whose shape and heads the cache still has.
    Parsed {
        entry: Option<(usize, u64, std::ops::Range<usize>)>,
        list_cached: bool,
    },
}

impl KnowledgeRead {
    /// Whether the cache's entry describes the decisions that were read.
    pub fn decisions_cached(&self) -> bool {
        matches!(
            self,
            KnowledgeRead::Cached
                | KnowledgeRead::Parsed {
                    list_cached: true,
                    ..
                }
        )
    }
}

/// [`read_knowledge`], skipping `core_decisions` when `cache` has the file's text.
pub fn read_knowledge_cached(
    layout: &Layout,
    cache: &DecisionCache,
) -> Result<(KnowledgeFile, KnowledgeRead), FsError> {
    Ok(knowledge_from(layout, read_knowledge_text(layout)?, cache))
}

/// [`read_knowledge_cached`] with the cache decoded from `cache_bytes` on another thread
/// while the file is read and hashed (at 10,000 sessions each takes milliseconds); returns
/// the cache too, for the caller to move its entry along.
pub fn read_knowledge_decoding<'c>(
    layout: &Layout,
    cache_bytes: &'c [u8],
) -> Result<(KnowledgeFile, KnowledgeRead, DecisionCache<'c>), FsError> {
    let (read, cache) = std::thread::scope(|scope| {
        let decoding = scope.spawn(|| DecisionCache::decode(cache_bytes));
        let read = read_knowledge_text(layout);
        let cache = decoding
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read, cache)
    });
    let (file, how) = knowledge_from(layout, read?, &cache);
    Ok((file, how, cache))
}

/// The knowledge base's text as read, with its hash when it read cleanly.
struct KnowledgeText {
    text: Option<String>,
    problems: Vec<Problem>,
    hash: Option<u64>,
}

fn read_knowledge_text(layout: &Layout) -> Result<KnowledgeText, FsError> {
    let mut problems = Vec::new();
    let text = read_text(layout, &layout.knowledge(), &mut problems)?;
    let hash = text
        .as_ref()
        .filter(|_| problems.is_empty())
        .map(|t| hash(t.as_bytes()));
    Ok(KnowledgeText {
        text,
        problems,
        hash,
    })
}

fn knowledge_from(
    layout: &Layout,
    read: KnowledgeText,
    cache: &DecisionCache,
) -> (KnowledgeFile, KnowledgeRead) {
    let KnowledgeText {
        text,
        mut problems,
        hash,
    } = read;
    let Some(text) = text else {
        let file = KnowledgeFile {
            doc: None,
            problems,
        };
        return (file, KnowledgeRead::Missing);
    };
    let text = match hash.and_then(|h| cache.knowledge_matching(text.len(), h)) {
        Some(entry) => {
            match Knowledge::parse_known(text, entry.span.clone(), entry.shape.clone()) {
                Ok(k) => {
                    let file = KnowledgeFile {
                        doc: Some(Doc::Ok(k)),
                        problems,
                    };
                    return (file, KnowledgeRead::Cached);
                }
                Err(text) => text,
            }
        }
        None => text,
    };
    // The file changed; `core_decisions` may not have (a pending item edited by hand).
    let clean = hash.is_some();
    let list_cached = std::cell::Cell::new(false);
    let path = layout.knowledge();
    let len = text.len();
    let (doc, span) = Knowledge::parse_located_knowing(&layout.display(&path), text, |list| {
        let entry = cache.list_for(list).filter(|_| clean)?;
        list_cached.set(true);
        Some(entry.shape.clone())
    });
    if let Some(p) = doc.problem() {
        problems.push(p.clone());
    }
    let entry = span.zip(hash).map(|(span, hash)| (len, hash, span));
    let file = KnowledgeFile {
        doc: Some(doc),
        problems,
    };
    let list_cached = list_cached.get() && entry.is_some();
    (file, KnowledgeRead::Parsed { entry, list_cached })
}

/// A JSON-lines log, each record decoded as `T` (a `Value`, or a typed item).
pub fn read_log<T: serde::de::DeserializeOwned>(
    layout: &Layout,
    name: &str,
) -> Result<Log<T>, FsError> {
    let path = layout.path(name);
    let mut problems = Vec::new();
    let Some(text) = read_text(layout, &path, &mut problems)? else {
        return Ok(Log::default());
    };
    let mut log = parse_log_as(&layout.display(&path), &text);
    log.problems.splice(0..0, problems);
    Ok(log)
}

/// Where an active session's data lives.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionSource {
    /// baton's own `ACTIVE_SESSIONS/<id>.jsonl` events file.
    Events(PathBuf),
    /// The seed's single `CURRENT_SESSION.json`, for users who run one session at a time.
    Current(PathBuf),
}

impl SessionSource {
    pub fn path(&self) -> &Path {
        match self {
            SessionSource::Events(p) | SessionSource::Current(p) => p,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub record: SessionRecord,
    pub source: SessionSource,
    /// Time of the last logged event (or the file's modification), for staleness checks.
    pub last_activity: Option<SystemTime>,
}

/// Reads an events file into a record; bad lines are reported and skipped.
pub fn read_events(
    layout: &Layout,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Option<SessionRecord>, FsError> {
    let Some(text) = read_text(layout, path, problems)? else {
        return Ok(None);
    };
    let shown = layout.display(path);
    let log = parse_log(&shown, &text);
    problems.extend(log.problems);
    let mut events = Vec::with_capacity(log.records.len());
    for record in log.records {
        match serde_json::from_value::<Event>(record.value) {
            Ok(e) => events.push(e),
            Err(e) => problems.push(Problem::error(
                &shown,
                record.line,
                1,
                format!("not a baton event: {e}"),
            )),
        }
    }
    let mut session = fold(&events);
    if session.session_id.is_empty() {
        session.session_id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(Some(session))
}

/// Reads the seed's `CURRENT_SESSION.json`; `None` if missing or not parseable (reported).
pub fn read_current(
    layout: &Layout,
    problems: &mut Vec<Problem>,
) -> Result<Option<SessionRecord>, FsError> {
    let path = layout.current_session();
    let Some(text) = read_text(layout, &path, problems)? else {
        return Ok(None);
    };
    let shown = layout.display(&path);
    match parse_object(&shown, &text) {
        Doc::Ok(map) => match SessionRecord::from_map(map) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                problems.push(Problem::error(
                    shown,
                    1,
                    1,
                    format!("not a session record: {e}"),
                ));
                Ok(None)
            }
        },
        Doc::Broken { problem, .. } => {
            problems.push(problem);
            Ok(None)
        }
    }
}

/// The active session `id` read from its own events file alone (not every session's), as
/// [`active_sessions`] would list it; `None` when it is not found that way (then the caller
/// looks through them all, for the seed's `CURRENT_SESSION.json` and for the message).
pub fn active_session(
    layout: &Layout,
    id: &str,
    problems: &mut Vec<Problem>,
) -> Result<Option<ActiveSession>, FsError> {
    let path = layout.active(id);
    if !path.is_file() || layout.archived(id).exists() {
        return Ok(None);
    }
    let modified = fs::metadata(&path).and_then(|m| m.modified()).ok();
    Ok(read_events(layout, &path, problems)?
        .filter(|record| record.session_id == id)
        .map(|record| ActiveSession {
            record,
            source: SessionSource::Events(path),
            last_activity: modified,
        }))
}

/// Every active session: baton's events files whose session is not archived, and the seed's
/// `CURRENT_SESSION.json` while it has no `ended_at`.
pub fn active_sessions(
    layout: &Layout,
    problems: &mut Vec<Problem>,
) -> Result<Vec<ActiveSession>, FsError> {
    let mut sessions = Vec::new();
    for entry in list_dir(&layout.active_dir())? {
        if entry.name.ends_with(".jsonl") {
            let id = entry.name.trim_end_matches(".jsonl");
            if layout.archived(id).exists() {
                continue; // ended; the events file is left over from an interrupted `end`
            }
            if let Some(record) = read_events(layout, &entry.path, problems)? {
                sessions.push(ActiveSession {
                    record,
                    source: SessionSource::Events(entry.path.clone()),
                    last_activity: entry.modified,
                });
            }
        }
    }
    if let Some(record) = read_current(layout, problems)?
        && record.is_active()
        && !record.session_id.is_empty()
        && !layout.archived(&record.session_id).exists()
        && !sessions
            .iter()
            .any(|s| s.record.session_id == record.session_id)
    {
        let path = layout.current_session();
        let modified = fs::metadata(&path).and_then(|m| m.modified()).ok();
        sessions.push(ActiveSession {
            record,
            source: SessionSource::Current(path),
            last_activity: modified,
        });
    }
    sessions.sort_by(|a, b| {
        a.record
            .started_at
            .cmp(&b.record.started_at)
            .then(a.record.session_id.cmp(&b.record.session_id))
    });
    Ok(sessions)
}

#[derive(Debug, Clone)]
pub struct DirEntry {
    pub name: String,
    pub path: PathBuf,
    pub modified: Option<SystemTime>,
}

/// A directory's entries; `None` when it does not exist.
fn read_dir_if_present(dir: &Path) -> Result<Option<fs::ReadDir>, FsError> {
    match fs::read_dir(dir) {
        Ok(it) => Ok(Some(it)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::Io {
            path: dir.to_path_buf(),
            source: e,
        }),
    }
}

/// Dot files and baton's own temp files are never listed.
fn is_listed(name: &str) -> bool {
    !name.starts_with('.') && !name.contains(TEMP_MARKER)
}

/// Lists a directory's regular files (no temp files, no dot files); missing → empty.
pub fn list_dir(dir: &Path) -> Result<Vec<DirEntry>, FsError> {
    let Some(iter) = read_dir_if_present(dir)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in iter.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_listed(&name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        out.push(DirEntry {
            name,
            path: entry.path(),
            modified: meta.modified().ok(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct HandoffEntry {
    pub file_name: String,
    pub path: PathBuf,
    pub name: HandoffName,
    /// Read only when the name has no date or shares its date and number with another.
    pub modified: Option<SystemTime>,
}

/// Handoff files, newest first: by the date in the name (falling back to the modification
/// time for undated names), then the session number, then the modification time. Only files
/// whose order needs it are stat-ed: at 10,000 handoffs the stats cost more than the rest.
pub fn handoffs(layout: &Layout) -> Result<Vec<HandoffEntry>, FsError> {
    let dir = layout.handoffs();
    let mut list: Vec<HandoffEntry> = list_names(&dir)?
        .into_iter()
        .filter(|name| {
            name.len() > 3 && name.as_bytes()[name.len() - 3..].eq_ignore_ascii_case(b".md")
        })
        .map(|name| HandoffEntry {
            name: HandoffName::parse(&name),
            path: dir.join(&name),
            file_name: name,
            modified: None,
        })
        .collect();
    let mut seen = crate::domain::fast_hash::FxHashMap::default();
    for e in &list {
        *seen.entry((e.name.date, e.name.seq)).or_insert(0usize) += 1;
    }
    for e in &mut list {
        if e.name.date.is_none() || seen[&(e.name.date, e.name.seq)] > 1 {
            e.modified = fs::metadata(&e.path).and_then(|m| m.modified()).ok();
        }
    }
    // Positions are sorted, not the entries (large to move); names are unique, so the
    // keys are too and an unstable sort gives the one order.
    let mut order: Vec<_> = list.iter().map(handoff_key).enumerate().collect();
    order.sort_unstable_by(|(a, ka), (b, kb)| {
        kb.cmp(ka)
            .then_with(|| list[*b].file_name.cmp(&list[*a].file_name))
    });
    let order: Vec<usize> = order.into_iter().map(|(i, _)| i).collect();
    let mut slots: Vec<Option<HandoffEntry>> = list.into_iter().map(Some).collect();
    Ok(order.iter().filter_map(|i| slots[*i].take()).collect())
}

/// Names of a directory's regular files (no temp files, no dot files), from the directory
/// listing alone; missing → empty.
pub fn list_names(dir: &Path) -> Result<Vec<String>, FsError> {
    let Some(iter) = read_dir_if_present(dir)? else {
        return Ok(Vec::new());
    };
    Ok(iter
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| {
            e.file_name()
                .into_string()
                .unwrap_or_else(|name| name.to_string_lossy().into_owned())
        })
        .filter(|name| is_listed(name))
        .collect())
}

/// The order of handoffs, newest last (ties: by name).
fn handoff_key(e: &HandoffEntry) -> (Option<chrono::NaiveDate>, Option<u32>, Option<SystemTime>) {
    let date = e.name.date.or_else(|| {
        e.modified
            .map(|m| chrono::DateTime::<chrono::Utc>::from(m).date_naive())
    });
    (date, e.name.seq, e.modified)
}

pub fn read_archived(
    layout: &Layout,
    id: &str,
    problems: &mut Vec<Problem>,
) -> Result<Option<ArchivedSession>, FsError> {
    let path = layout.archived(id);
    let Some(text) = read_text(layout, &path, problems)? else {
        return Ok(None);
    };
    let shown = layout.display(&path);
    match parse_object(&shown, &text) {
        Doc::Ok(map) => match serde_json::from_value(serde_json::Value::Object(map)) {
            Ok(a) => Ok(Some(a)),
            Err(e) => {
                problems.push(Problem::error(
                    shown,
                    1,
                    1,
                    format!("not a session archive: {e}"),
                ));
                Ok(None)
            }
        },
        Doc::Broken { problem, .. } => {
            problems.push(problem);
            Ok(None)
        }
    }
}
