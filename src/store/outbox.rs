//! The memory-server outbox on disk: `.baton/outbox/<id>.json`, one file per item, each
//! written atomically (`atomic_create`, so an item appears whole or not at all), rewritten
//! atomically after a failed attempt (its retry schedule lives in the item), and removed
//! only once the server answered 2xx (`sync::memory`). Items are created under the directory
//! lock (by `end`); attempts hold `.baton/outbox.lock`, so two processes never send the same
//! item at once. Also `.baton/sync.json`, the record of the last runs of each kind of sync.

use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::archive::ArchivedSession;
use crate::domain::json_doc::{Doc, parse_object};
use crate::domain::outbox::{Flavour, Identity, OutboxItem, SyncRun, SyncState, session_payload};
use crate::domain::problem::Problem;
use crate::domain::redact::Allowlist;
use crate::domain::scrub::scrub_value;
use crate::domain::text::decode;

use super::config::{self, ConfigError};
use super::fsio::{FsError, atomic_create, atomic_write, io_err, lock, lock_timeout, sync_dir};
use super::layout::Layout;
use super::read::list_dir;

/// Where and how to deliver, resolved from `--memory URL`, the environment
/// (`$BATON_MEMORY_URL`, `$BATON_MEMORY_FLAVOUR`, `$BATON_MEMORY_KEY`) and `.baton/config.json`
/// (`sync.memory_url`, `sync.flavour`, `sync.user_id`, `sync.agent_id`), in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryTarget {
    /// Without a trailing `/`.
    pub url: String,
    pub flavour: Flavour,
    /// Sent as `X-API-Key`; only ever from the environment (the config travels with the
    /// directory, through git).
    pub key: Option<String>,
    pub who: Identity,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The memory server to use; `Ok(None)` when none is configured anywhere.
pub fn target(
    layout: &Layout,
    url: Option<&str>,
    flavour: Option<Flavour>,
) -> Result<Option<MemoryTarget>, String> {
    let sync = match config::load(layout) {
        Ok((c, _)) => c.sync,
        Err(ConfigError::Invalid(p)) => return Err(p.to_string()),
        Err(ConfigError::Fs(e)) => return Err(e.to_string()),
    };
    let url = url
        .filter(|u| !u.trim().is_empty())
        .map(str::to_string)
        .or_else(|| env("BATON_MEMORY_URL"))
        .or_else(|| sync.memory_url.clone().filter(|u| !u.trim().is_empty()));
    let Some(url) = url else { return Ok(None) };
    let url = url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "memory server URL {url:?} must start with http:// or https://"
        ));
    }
    let flavour = match flavour {
        Some(f) => f,
        None => match env("BATON_MEMORY_FLAVOUR").or(sync.flavour.clone()) {
            None => Flavour::Seed,
            Some(text) => Flavour::parse(&text).ok_or_else(|| {
                format!("memory server flavour {text:?} is not \"seed\" or \"mem0\"")
            })?,
        },
    };
    Ok(Some(MemoryTarget {
        url,
        flavour,
        key: env("BATON_MEMORY_KEY"),
        who: Identity {
            user_id: sync.user_id,
            agent_id: sync.agent_id,
        },
    }))
}

/// Whether sessions should be queued for a memory server when they end.
pub fn configured(layout: &Layout) -> bool {
    env("BATON_MEMORY_URL").is_some()
        || config::load(layout).is_ok_and(|(c, _)| {
            c.sync
                .memory_url
                .as_deref()
                .is_some_and(|u| !u.trim().is_empty())
        })
}

/// A fresh item id: the session's id and 64 random bits (ids are unique across machines
/// even where session ids are not).
pub fn new_item_id(session_id: &str) -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let prefix: String = session_id.chars().take(80).collect();
    format!("{prefix}-{:016x}", h.finish())
}

/// Queues an ended session for the memory server, redacted. Does nothing (returns `None`)
/// when no memory server is configured and `force` is off, or when an item for the
/// session is already waiting. Call with the directory lock held.
pub fn enqueue_session(
    layout: &Layout,
    allow: &Allowlist,
    archive: &ArchivedSession,
    now: DateTime<Utc>,
    force: bool,
) -> Result<Option<String>, FsError> {
    if !force && !configured(layout) {
        return Ok(None);
    }
    let id = &archive.record.session_id;
    if list(layout)?
        .iter()
        .any(|e| e.item.as_ref().is_ok_and(|i| i.session_id() == Some(id)))
    {
        return Ok(None);
    }
    let mut payload = session_payload(&archive.record, archive.handoff_file.as_deref());
    scrub_value(&mut payload, allow, "memory sync", &mut Vec::new());
    let item = OutboxItem::session(new_item_id(id), payload, now);
    atomic_create(&layout.outbox_item(&item.id), &pretty(&item))?;
    Ok(Some(item.id))
}

/// An item file, read.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: PathBuf,
    /// The file name without `.json`.
    pub name: String,
    pub item: Result<OutboxItem, Problem>,
}

/// Every item waiting, oldest first. An item that does not parse is listed with its
/// problem (and never sent or removed).
pub fn list(layout: &Layout) -> Result<Vec<Entry>, FsError> {
    let mut out = Vec::new();
    for e in list_dir(&layout.outbox_dir())? {
        let Some(name) = e.name.strip_suffix(".json") else {
            continue;
        };
        let shown = layout.display(&e.path);
        let Some(bytes) = super::fsio::read_optional(&e.path)? else {
            continue; // delivered meanwhile
        };
        let (text, _) = decode(&bytes);
        let item = match parse_object(&shown, &text) {
            Doc::Ok(map) => serde_json::from_value::<OutboxItem>(Value::Object(map))
                .map_err(|err| Problem::error(&shown, 1, 1, format!("not an outbox item: {err}"))),
            Doc::Broken { problem, .. } => Err(problem),
        };
        out.push(Entry {
            path: e.path,
            name: name.to_string(),
            item,
        });
    }
    out.sort_by(|a, b| {
        let created = |e: &Entry| e.item.as_ref().ok().map(|i| i.created_at.clone());
        created(a).cmp(&created(b)).then(a.name.cmp(&b.name))
    });
    Ok(out)
}

/// How many items wait (their files are not read).
pub fn count(layout: &Layout) -> usize {
    list_dir(&layout.outbox_dir())
        .map(|l| l.iter().filter(|e| e.name.ends_with(".json")).count())
        .unwrap_or(0)
}

/// Rewrites an item after an attempt (its retry schedule).
pub fn save(layout: &Layout, item: &OutboxItem) -> Result<(), FsError> {
    atomic_write(&layout.outbox_item(&item.id), &pretty(item))
}

/// Removes a delivered item, durably.
pub fn remove(layout: &Layout, id: &str) -> Result<(), FsError> {
    let path = layout.outbox_item(id);
    match std::fs::remove_file(&path) {
        Ok(()) => sync_dir(&layout.outbox_dir()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// The lock held while delivering; `None` when another process holds it for longer than
/// `wait`.
pub fn delivery_lock(
    layout: &Layout,
    wait: std::time::Duration,
) -> Result<Option<super::fsio::FileLock>, FsError> {
    match lock(&layout.outbox_lock(), wait) {
        Ok(g) => Ok(Some(g)),
        Err(FsError::LockTimeout { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `.baton/sync.json` as read; missing or unreadable is empty (validate reports a broken one).
pub fn read_state(layout: &Layout) -> SyncState {
    let Ok(Some(bytes)) = super::fsio::read_optional(&layout.sync_state()) else {
        return SyncState::default();
    };
    serde_json::from_slice(&bytes).unwrap_or_default()
}

/// Which kind of sync a run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    Memory,
    Git,
}

/// Records a run's outcome in `.baton/sync.json`, under the directory lock.
pub fn record_run(
    layout: &Layout,
    kind: SyncKind,
    result: Result<(), &str>,
    now: DateTime<Utc>,
) -> Result<(), FsError> {
    if !layout.root.is_dir() {
        return Ok(());
    }
    let _guard = lock(&layout.lock(), lock_timeout())?;
    let mut state = read_state(layout);
    let run = match kind {
        SyncKind::Memory => state.memory.get_or_insert_with(SyncRun::default),
        SyncKind::Git => state.git.get_or_insert_with(SyncRun::default),
    };
    run.record(result, now);
    atomic_write(&layout.sync_state(), &pretty(&state))
}

fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::session::SessionRecord;

    fn archive(id: &str) -> ArchivedSession {
        ArchivedSession {
            record: SessionRecord {
                session_id: id.into(),
                summary: Some("key ghp_0123456789abcdefghijklmnopqrstuvwxyzAB".into()),
                ..Default::default()
            },
            handoff_file: None,
            as_of: None,
        }
    }

    #[test]
    fn enqueue_is_redacted_once_per_session_and_listed_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let now = chrono::Utc::now();
        let allow = Allowlist::default();
        assert_eq!(
            enqueue_session(&layout, &allow, &archive("a"), now, false).unwrap(),
            None,
            "nothing is queued without a memory server"
        );
        let id = enqueue_session(&layout, &allow, &archive("a"), now, true)
            .unwrap()
            .unwrap();
        assert!(id.starts_with("a-"));
        assert_eq!(
            enqueue_session(&layout, &allow, &archive("a"), now, true).unwrap(),
            None
        );
        enqueue_session(
            &layout,
            &allow,
            &archive("b"),
            now + chrono::Duration::seconds(1),
            true,
        )
        .unwrap();
        let items = list(&layout).unwrap();
        assert_eq!(count(&layout), 2);
        let first = items[0].item.as_ref().unwrap();
        assert_eq!(first.session_id(), Some("a"));
        let summary = first.payload["summary"].as_str().unwrap();
        assert!(summary.contains("[REDACTED:"), "{summary}");
        remove(&layout, &id).unwrap();
        remove(&layout, &id).unwrap();
        assert_eq!(count(&layout), 1);
        std::fs::write(layout.outbox_item("broken"), "{").unwrap();
        assert!(list(&layout).unwrap().iter().any(|e| e.item.is_err()));
    }

    #[test]
    fn runs_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let now = chrono::Utc::now();
        record_run(&layout, SyncKind::Git, Ok(()), now).unwrap();
        record_run(&layout, SyncKind::Git, Err("offline"), now).unwrap();
        let state = read_state(&layout);
        let git = state.git.unwrap();
        assert!(git.last_success.is_some());
        assert_eq!(git.last_error.as_deref(), Some("offline"));
        assert!(state.memory.is_none());
    }
}
