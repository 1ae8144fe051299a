//! Session lifecycle writes: start, log, end, and finishing interrupted merges.
//! Every function here takes the directory lock for its whole read-modify-write.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::archive::{ArchivedSession, AsOf};
use crate::domain::compose::handoff_draft;
use crate::domain::events::{Event, EventKind, apply};
use crate::domain::ids::{handoff_file_name, parse_session_id, session_id_for, validate_id};
use crate::domain::items::PendingItem;
use crate::domain::json_doc::{Doc, parse_log};
use crate::domain::knowledge::Knowledge;
use crate::domain::logs::log_entries;
use crate::domain::problem::Problem;
use crate::domain::redact::Allowlist;
use crate::domain::scrub::{RedactionNote, scrub, scrub_value};
use crate::domain::session::SessionRecord;
use crate::domain::template::Template;
use crate::domain::time::format_timestamp;

use super::StoreError;
use super::binary::WideHasher;
use super::config::{self, ConfigError};
use super::decision_cache::{self, DecisionCache};
use super::fsio::{self, FileLock, atomic_create, atomic_write, lock, lock_timeout, read_optional};
use super::git;
use super::layout::{self, Layout};
use super::read::{
    self, ActiveSession, SessionSource, list_dir, read_archived, read_current, read_events,
    read_knowledge, read_knowledge_decoding, read_text,
};

pub struct Store {
    pub layout: Layout,
    pub allow: Allowlist,
}

#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    pub goal: String,
    pub template: Option<Template>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EndRequest {
    pub summary: Option<String>,
    pub notes: Option<String>,
    /// A whole session context in the seed's schema (`--from FILE|-`): fills in what the
    /// session did not log (lists are unioned).
    pub from: Option<SessionRecord>,
    /// The whole record as the user edited it in the dashboard's form: replaces what was
    /// logged (the session's id and start are kept).
    pub edited: Option<SessionRecord>,
}

#[derive(Debug, Clone)]
pub struct EndOutcome {
    pub session_id: String,
    pub handoff: PathBuf,
    pub archive: PathBuf,
    pub notes: Vec<RedactionNote>,
    /// Files that did not parse and so were not updated; the session is saved regardless
    /// and `baton merge` finishes once they are fixed.
    pub refused: Vec<Problem>,
}

impl Store {
    /// Opens a directory (which may not exist yet) and its config.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let layout = Layout::new(root);
        let allow = match config::load(&layout) {
            Ok((_, allow)) => allow,
            Err(ConfigError::Fs(e)) => return Err(e.into()),
            Err(ConfigError::Invalid(p)) => return Err(StoreError::Refused(vec![p])),
        };
        Ok(Store { layout, allow })
    }

    fn lock(&self) -> Result<FileLock, StoreError> {
        Ok(lock(&self.layout.lock(), lock_timeout())?)
    }

    /// Creates the seed's layout; never overwrites. Returns what it created.
    pub fn init(&self) -> Result<Vec<PathBuf>, StoreError> {
        let l = &self.layout;
        let mut created = Vec::new();
        for dir in [
            l.root.clone(),
            l.handoffs(),
            l.active_dir(),
            l.archive_dir(),
            l.private_dir(),
        ] {
            if !dir.is_dir() {
                std::fs::create_dir_all(&dir).map_err(super::fsio::io_err(&dir))?;
                created.push(dir);
            }
        }
        let _lock = self.lock()?;
        let knowledge = "{\n  \"last_updated\": null,\n  \"total_sessions\": 0,\n  \"total_hours\": 0,\n  \"core_decisions\": [],\n  \"architecture_state\": {},\n  \"best_practices\": [],\n  \"pending_work\": []\n}\n";
        let ignores = super::gitsync::PRIVATE_IGNORES.join("\n") + "\n";
        let files: [(PathBuf, &str); 4] = [
            (l.knowledge(), knowledge),
            // The seed's three services, disabled: an example to edit (`_comment` says how).
            (
                l.path(layout::SERVICES),
                include_str!("../../assets/SERVICES.example.json"),
            ),
            (l.private_dir().join(".gitignore"), &ignores),
            (l.path(".gitattributes"), super::gitsync::GITATTRIBUTES),
        ];
        for (path, content) in files {
            if atomic_create(&path, content.as_bytes())? {
                created.push(path);
            }
        }
        Ok(created)
    }

    /// Every active session (see [`read::active_sessions`]).
    pub fn active_sessions(
        &self,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<ActiveSession>, StoreError> {
        Ok(read::active_sessions(&self.layout, problems)?)
    }

    /// The session a command is aimed at: the one named, else the only active one.
    pub fn select_session(&self, wanted: Option<&str>) -> Result<ActiveSession, StoreError> {
        let mut problems = Vec::new();
        // A named session is read from its own file: parallel sessions' files are not.
        if let Some(id) = wanted {
            validate_id(id).map_err(StoreError::Usage)?;
            if let Some(session) = read::active_session(&self.layout, id, &mut problems)? {
                return Ok(session);
            }
        }
        let active = self.active_sessions(&mut problems)?;
        if let Some(id) = wanted {
            return active
                .into_iter()
                .find(|s| s.record.session_id == id)
                .ok_or_else(|| {
                    if self.layout.archived(id).exists() {
                        StoreError::Usage(format!("session {id} has already ended"))
                    } else {
                        StoreError::Usage(format!(
                            "no active session {id}; `baton start` begins one"
                        ))
                    }
                });
        }
        match active.len() {
            0 => Err(StoreError::Usage(
                "no active session; `baton start` begins one".into(),
            )),
            1 => Ok(active.into_iter().next().expect("one session")),
            _ => {
                let ids: Vec<String> = active
                    .iter()
                    .map(|s| format!("  {}  {}", s.record.session_id, s.record.primary_goal))
                    .collect();
                Err(StoreError::Usage(format!(
                    "several sessions are active; name one with --session ID or BATON_SESSION:\n{}",
                    ids.join("\n")
                )))
            }
        }
    }

    /// Begins a session: its own events file, created exclusively.
    pub fn start(
        &self,
        req: StartRequest,
        now: DateTime<Utc>,
    ) -> Result<(String, Vec<RedactionNote>), StoreError> {
        if let Some(id) = &req.id {
            validate_id(id).map_err(StoreError::Usage)?;
        }
        let _lock = self.lock()?;
        let id = match req.id {
            Some(id) => {
                if self.layout.archived(&id).exists() || self.layout.active(&id).exists() {
                    return Err(StoreError::Usage(format!(
                        "session {id} already exists; pick another --id"
                    )));
                }
                id
            }
            None => self.next_id(now)?,
        };
        let kind = EventKind::Start {
            session_id: id.clone(),
            primary_goal: req.goal,
            template: req.template.map(|t| t.name().to_string()),
            checklist: req.template.map(Template::checklist).unwrap_or_default(),
        };
        let (line, notes) = self.event_line(kind, now, "goal");
        if !atomic_create(&self.layout.active(&id), format!("{line}\n").as_bytes())? {
            return Err(StoreError::Usage(format!(
                "session {id} already exists; pick another --id"
            )));
        }
        Ok((id, notes))
    }

    /// The next `YYYY-MM-DD-NNN` for today, past every session and handoff of that day.
    fn next_id(&self, now: DateTime<Utc>) -> Result<String, StoreError> {
        let today = now.date_naive();
        let mut max = 0;
        let mut note = |id: &str| {
            if let Some((d, n)) = parse_session_id(id)
                .or_else(|| crate::domain::ids::parse_machine_id(id).map(|(d, n, _)| (d, n)))
                && d == today
            {
                max = max.max(n);
            }
        };
        for e in list_dir(&self.layout.active_dir())? {
            note(e.name.trim_end_matches(".jsonl"));
        }
        for e in list_dir(&self.layout.archive_dir())? {
            note(e.name.trim_end_matches(".json"));
        }
        let mut ignored = Vec::new();
        if let Some(r) = read_current(&self.layout, &mut ignored)? {
            note(&r.session_id);
        }
        for h in read::handoffs(&self.layout)? {
            if h.name.date == Some(today) {
                max = max.max(h.name.seq.unwrap_or(0));
            }
        }
        let id = session_id_for(today, max + 1);
        // Teams syncing through git: ids carry the machine's name, so never collide.
        Ok(match super::gitsync::machine_ids(&self.layout) {
            Some(tag) => format!("{id}-{tag}"),
            None => id,
        })
    }

    fn event_line(
        &self,
        kind: EventKind,
        now: DateTime<Utc>,
        place: &str,
    ) -> (String, Vec<RedactionNote>) {
        let mut notes = Vec::new();
        let event = Event::new(format_timestamp(now), kind);
        let mut value = serde_json::to_value(&event).unwrap_or(Value::Null);
        scrub_value(&mut value, &self.allow, place, &mut notes);
        (serde_json::to_string(&value).unwrap_or_default(), notes)
    }

    /// Logs one thing into an active session.
    pub fn log(
        &self,
        session: &ActiveSession,
        kind: EventKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<RedactionNote>, StoreError> {
        let place = place_of(&kind);
        let id = session.record.session_id.clone();
        let _lock = self.lock()?;
        match &session.source {
            SessionSource::Events(path) => {
                if self.layout.archived(&id).exists() || !path.exists() {
                    return Err(StoreError::Usage(format!("session {id} has already ended")));
                }
                let (line, notes) = self.event_line(kind, now, place);
                super::fsio::append_line(path, &line)?;
                Ok(notes)
            }
            SessionSource::Current(path) => {
                let mut problems = Vec::new();
                let Some(mut record) = read_current(&self.layout, &mut problems)? else {
                    return Err(StoreError::Refused(problems));
                };
                if !record.is_active() || record.session_id != id {
                    return Err(StoreError::Usage(format!("session {id} has already ended")));
                }
                let mut notes = Vec::new();
                let event = scrub(
                    &Event::new(format_timestamp(now), kind),
                    &self.allow,
                    place,
                    &mut notes,
                );
                apply(&mut record, &event);
                atomic_write(path, &pretty(&record))?;
                Ok(notes)
            }
        }
    }

    /// Ends a session: archive, handoff, logs, knowledge base. `session` is `None` when the
    /// whole record comes from `req.from` (a session that was never started with baton).
    pub fn end(
        &self,
        session: Option<&ActiveSession>,
        req: EndRequest,
        now: DateTime<Utc>,
    ) -> Result<EndOutcome, StoreError> {
        let mut notes = Vec::new();
        let mut problems = Vec::new();
        // Git starts before the lock is taken (a session's start never changes) and runs
        // while the knowledge base is read below, on the other core.
        let capture = {
            let known = session.map(|s| &s.record).or(req.from.as_ref());
            let ended = req
                .from
                .as_ref()
                .and_then(SessionRecord::ended)
                .unwrap_or(now);
            let started = known.and_then(SessionRecord::started).unwrap_or(ended);
            git::Capture::start(&self.layout.root, started, ended)
        };
        let guard = self.lock()?;
        let mut record = match session {
            Some(s) => self.reread(s, &mut problems)?,
            None => req.from.clone().unwrap_or_default(),
        };
        validate_id(&record.session_id).map_err(StoreError::Usage)?;
        let id = record.session_id.clone();
        if self.layout.archived(&id).exists() {
            return Err(StoreError::Usage(format!("session {id} has already ended")));
        }
        if let (Some(_), Some(from)) = (session, req.from) {
            merge_from(&mut record, from);
        }
        if let Some(mut edited) = req.edited {
            (edited.session_id, edited.started_at) =
                (record.session_id.clone(), record.started_at.clone());
            edited.extra.extend(std::mem::take(&mut record.extra));
            record = edited;
        }
        if let Some(s) = req.summary.filter(|s| !s.trim().is_empty()) {
            record.summary = Some(s);
        }
        if let Some(n) = req.notes.filter(|n| !n.trim().is_empty()) {
            record.handoff_notes = n;
        }
        let ended = record.ended().unwrap_or(now);
        let started = record.started().unwrap_or(ended);
        if record.started_at.is_none() {
            record.started_at = Some(format_timestamp(started));
        }
        record.ended_at = Some(format_timestamp(ended));
        record.duration_hours = record.hours_until(ended);

        // What the knowledge base will hold after the merge, for time travel; read once and
        // written by `finish_locked` (the lock is held throughout). The decision cache spares
        // re-reading `core_decisions` when the file is as the cache last saw it.
        let cache_bytes = decision_cache::load(&self.layout);
        let (doc, cached, mut cache) = self.read_knowledge_doc(&cache_bytes)?;

        let window = capture.finish();
        for c in window.commits {
            if !record.commits.iter().any(|k| k.hash == c.hash) {
                record.commits.push(c);
            }
        }
        for f in window.files {
            if !record.files_modified.contains(&f) {
                record.files_modified.push(f);
            }
        }
        let record = scrub(&record, &self.allow, "session", &mut notes);
        let merged = match doc {
            Some(Doc::Ok(mut k)) => {
                k.merge_session(&record);
                Some(k)
            }
            None => {
                let mut k = Knowledge::default();
                k.merge_session(&record);
                Some(k)
            }
            Some(Doc::Broken { .. }) => None,
        };
        let as_of = merged.as_ref().map(as_of);
        let date = ended.date_naive();
        // A handoff the user already wrote for this session (the dashboard's form) is kept.
        let own = self.own_handoff(&id, date);
        let handoff_name = match &own {
            Some(name) => name.clone(),
            None => self.free_handoff_name(&handoff_file_name(&id, date))?,
        };
        let pending_after: Vec<PendingItem> = as_of
            .as_ref()
            .map(|a| {
                a.pending_work
                    .iter()
                    .cloned()
                    .map(PendingItem::from_value)
                    .collect()
            })
            .unwrap_or_default();
        let archive = ArchivedSession {
            record: record.clone(),
            handoff_file: Some(handoff_name.clone()),
            as_of,
        };

        let handoff_path = self.layout.handoff(&handoff_name);
        // The merged knowledge base (8 MB at 10,000 sessions) is written and fsynced on
        // another thread while this one writes the session's own files; it is put in place
        // last, by `finish_locked`, as the write order requires.
        let refused = std::thread::scope(|scope| {
            let staging = merged.map(|k| {
                scope.spawn(move || {
                    let staged = self.stage_knowledge(&k, Some(&mut cache).filter(|_| cached));
                    (staged, k, cache)
                })
            });
            atomic_write(&self.layout.unmerged(&id), &self.unmerged_marker())?;
            if !atomic_create(&self.layout.archived(&id), &pretty(&archive))? {
                return Err(StoreError::Usage(format!("session {id} has already ended")));
            }
            if own.is_none() {
                let text = handoff_draft(&record, &pending_after).render();
                atomic_write(&handoff_path, text.as_bytes())?;
            }
            match session.map(|s| &s.source) {
                Some(SessionSource::Events(path)) => {
                    std::fs::remove_file(path).map_err(super::fsio::io_err(path))?;
                }
                Some(SessionSource::Current(path)) => atomic_write(path, &pretty(&record))?,
                None => {}
            }
            let staged = match staging.map(|t| t.join()) {
                None => None,
                Some(Ok((staged, read, cache))) => {
                    // What was read is megabytes (the knowledge base's text, the decision
                    // cache): freed on the other core while the files are put in place.
                    scope.spawn(move || drop((read, cache)));
                    Some(staged?)
                }
                Some(Err(panic)) => std::panic::resume_unwind(panic),
            };
            self.finish_locked(&id, &guard, staged)
        })?;
        Ok(EndOutcome {
            session_id: id.clone(),
            handoff: handoff_path,
            archive: self.layout.archived(&id),
            notes,
            refused,
        })
    }

    fn reread(
        &self,
        s: &ActiveSession,
        problems: &mut Vec<Problem>,
    ) -> Result<SessionRecord, StoreError> {
        let fresh = match &s.source {
            SessionSource::Events(path) => read_events(&self.layout, path, problems)?,
            SessionSource::Current(_) => read_current(&self.layout, problems)?,
        };
        match fresh {
            Some(r) if r.is_active() => Ok(r),
            None if matches!(s.source, SessionSource::Current(_)) && !problems.is_empty() => {
                Err(StoreError::Refused(std::mem::take(problems)))
            }
            _ => Err(StoreError::Usage(format!(
                "session {} has already ended",
                s.record.session_id
            ))),
        }
    }

    /// The knowledge base, whether the decision cache in `cache_bytes` held its text (then
    /// `core_decisions` was taken as the cache describes it rather than read again), and
    /// that cache, decoded while the file was read.
    pub(super) fn read_knowledge_doc<'c>(
        &self,
        cache_bytes: &'c [u8],
    ) -> Result<(Option<Doc<Knowledge>>, bool, DecisionCache<'c>), StoreError> {
        let (file, how, cache) = read_knowledge_decoding(&self.layout, cache_bytes)?;
        Ok((file.doc, how.decisions_cached(), cache))
    }

    /// The handoff file already written for session `id`, if any: the seed-shaped name for
    /// that day whose `**Session:**` line names this session.
    pub fn own_handoff(&self, id: &str, date: chrono::NaiveDate) -> Option<String> {
        let wanted = handoff_file_name(id, date);
        let stem = wanted.trim_end_matches(".md").to_string();
        std::iter::once(wanted)
            .chain((2..20).map(|k| format!("{stem}-{k}.md")))
            .take_while(|n| self.layout.handoff(n).exists())
            .find(|n| {
                let mut ignored = Vec::new();
                read_text(&self.layout, &self.layout.handoff(n), &mut ignored)
                    .ok()
                    .flatten()
                    .is_some_and(|t| {
                        crate::domain::handoff::Handoff::parse(&t)
                            .session_id
                            .as_deref()
                            == Some(id)
                    })
            })
    }

    /// A handoff name that is not taken (a hand-written file is never overwritten).
    fn free_handoff_name(&self, wanted: &str) -> Result<String, StoreError> {
        if !self.layout.handoff(wanted).exists() {
            return Ok(wanted.to_string());
        }
        let stem = wanted.trim_end_matches(".md");
        (2..10_000)
            .map(|k| format!("{stem}-{k}.md"))
            .find(|n| !self.layout.handoff(n).exists())
            .ok_or_else(|| StoreError::Usage(format!("too many handoffs named {stem}-N.md")))
    }

    /// Finishes every interrupted or refused merge, oldest first. Returns the ids merged and
    /// the problems that still block the rest.
    pub fn finish_merges(&self) -> Result<(Vec<String>, Vec<Problem>), StoreError> {
        let guard = self.lock()?;
        let mut pending: Vec<(String, String)> = Vec::new();
        for e in list_dir(&self.layout.unmerged_dir())? {
            let mut ignored = Vec::new();
            let ended = read_archived(&self.layout, &e.name, &mut ignored)?
                .and_then(|a| a.record.ended_at)
                .unwrap_or_default();
            pending.push((ended, e.name));
        }
        pending.sort();
        let mut merged = Vec::new();
        for (_, id) in pending {
            let refused = self.finish_locked(&id, &guard, None)?;
            if !refused.is_empty() {
                return Ok((merged, refused));
            }
            merged.push(id);
        }
        Ok((merged, Vec::new()))
    }

    /// The steps of `end` after the archive exists: logs once, then the knowledge base.
    /// Holding `_guard` proves the caller has the lock. `staged` is the knowledge base with
    /// this session merged, already written beside its place, when the caller has just read
    /// it under the same lock; otherwise it is read and merged here.
    fn finish_locked(
        &self,
        id: &str,
        _guard: &FileLock,
        staged: Option<StagedKnowledge>,
    ) -> Result<Vec<Problem>, StoreError> {
        let marker = self.layout.unmerged(id);
        let mut problems = Vec::new();
        let Some(archive) = read_archived(&self.layout, id, &mut problems)? else {
            if problems.is_empty() {
                let _ = std::fs::remove_file(&marker);
            }
            return Ok(problems);
        };
        let record = &archive.record;
        // An `end` killed between the archive and its handoff: write the handoff now
        // (never over a file that exists; the name comes from disk, so it is checked).
        if let Some(name) = archive.handoff_file.as_deref()
            && validate_id(name).is_ok()
            && !self.layout.handoff(name).exists()
        {
            let pending: Vec<PendingItem> = archive
                .as_of
                .iter()
                .flat_map(|a| a.pending_work.iter().cloned().map(PendingItem::from_value))
                .collect();
            let text = handoff_draft(record, &pending).render();
            atomic_create(&self.layout.handoff(name), text.as_bytes())?;
        }
        let marker_text = read_optional(&marker)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let marker_doc: Value = serde_json::from_str(&marker_text).unwrap_or(Value::Null);
        if marker_doc["logs"] != Value::Bool(true) && !marker_text.contains("\"logs\": true") {
            let refused = self.append_logs(record, marker_doc["offsets"].as_object())?;
            problems.extend(refused);
            atomic_write(&marker, b"{\"logs\": true}\n")?;
        }
        // Queued for the memory server when one is configured; once (the marker remembers).
        if marker_doc["outbox"] != Value::Bool(true) {
            let at = record.ended().unwrap_or_else(Utc::now);
            // Nothing queued (no server, or already waiting) leaves nothing to remember: a
            // resumed merge asks again, at no cost, and this spares two fsyncs.
            if super::outbox::enqueue_session(&self.layout, &self.allow, &archive, at, false)?
                .is_some()
            {
                atomic_write(&marker, b"{\"logs\": true, \"outbox\": true}\n")?;
            }
        }
        // Left over when an `end` was interrupted between archive and cleanup.
        let events = self.layout.active(id);
        if events.exists() {
            std::fs::remove_file(&events).map_err(super::fsio::io_err(&events))?;
        }
        match staged {
            Some(staged) => staged.commit(&self.layout)?,
            None => match read_knowledge(&self.layout)?.doc {
                Some(Doc::Broken { problem, .. }) => {
                    problems.push(problem);
                    return Ok(problems);
                }
                doc => {
                    let mut knowledge = match doc {
                        Some(Doc::Ok(k)) => k,
                        _ => Knowledge::default(),
                    };
                    // Idempotent: a no-op when the knowledge base already holds this session.
                    knowledge.merge_session(record);
                    self.write_knowledge(&knowledge, None)?;
                }
            },
        }
        std::fs::remove_file(&marker).map_err(super::fsio::io_err(&marker))?;
        Ok(problems)
    }

    /// Writes the knowledge base from `k`, in parts (its megabytes of decisions are not
    /// copied into one buffer). `cache` is given when `k` was read through its entry: the
    /// entry then follows the file and is saved, so the next read skips the decisions again.
    pub(super) fn write_knowledge(
        &self,
        k: &Knowledge,
        cache: Option<&mut DecisionCache>,
    ) -> Result<(), StoreError> {
        self.stage_knowledge(k, cache)?.commit(&self.layout)
    }

    /// The knowledge base from `k` written to a temp file and fsynced, not yet in place,
    /// with the decision cache that will describe it.
    fn stage_knowledge(
        &self,
        k: &Knowledge,
        cache: Option<&mut DecisionCache>,
    ) -> Result<StagedKnowledge, StoreError> {
        let parts = k.to_pretty_json_parts();
        let bytes = parts.each_ref().map(|p| p.as_bytes());
        // The cache's new entry (hashing 8 MB, encoding 25,000 heads) is made on the other
        // core while this one waits on the file's fsync.
        std::thread::scope(|scope| {
            let entry = cache.map(|cache| {
                scope.spawn(move || {
                    let len = bytes.iter().map(|b| b.len()).sum();
                    let mut hasher = WideHasher::new(len);
                    bytes.iter().for_each(|b| hasher.update(b));
                    let span = bytes[0].len()..bytes[0].len() + bytes[1].len();
                    let list_hash = super::binary::wide_hash(bytes[1]);
                    cache.knowledge_written(k, (len, hasher.finish()), span, list_hash);
                    cache.encode()
                })
            });
            let file = fsio::stage(&self.layout.knowledge(), &bytes)?;
            Ok(StagedKnowledge {
                file,
                cache: entry.and_then(|e| e.join().ok()),
            })
        })
    }

    /// The marker of a merge in progress. It records each log's length before the session's
    /// lines go in, so that finishing after a crash appends only the lines still missing.
    fn unmerged_marker(&self) -> Vec<u8> {
        let offsets: Map<String, Value> = LOGS
            .iter()
            .map(|name| {
                let len = std::fs::metadata(self.layout.path(name)).map_or(0, |m| m.len());
                (name.to_string(), Value::from(len))
            })
            .collect();
        pretty(&serde_json::json!({"logs": false, "offsets": offsets}))
    }

    /// Appends the session's decisions, code and insights to the seed's log files.
    /// `offsets` (from the unmerged marker) are the logs' lengths before this session's
    /// lines: when finishing after a crash, lines already written are not written again.
    fn append_logs(
        &self,
        record: &SessionRecord,
        offsets: Option<&Map<String, Value>>,
    ) -> Result<Vec<Problem>, StoreError> {
        let entries = log_entries(record);
        let offset = |name: &str| offsets.and_then(|o| o.get(name)).and_then(Value::as_u64);
        let mut problems = Vec::new();
        for (name, list) in [
            (layout::DECISIONS_LOG, &entries.decisions),
            (layout::CODE_REGISTRY, &entries.code),
            (layout::INSIGHTS_DB, &entries.insights),
        ] {
            self.append_json_log(name, list, offset(name), &mut problems)?;
        }
        self.append_lines(
            layout::INSIGHTS_LOG,
            &entries.insight_lines,
            offset(layout::INSIGHTS_LOG),
        )?;
        self.append_lines(
            layout::CODE_CHANGES_LOG,
            &entries.change_lines,
            offset(layout::CODE_CHANGES_LOG),
        )?;
        Ok(problems)
    }

    /// Appends whole lines; with an `offset`, skips those already present after it.
    fn append_lines(
        &self,
        name: &str,
        lines: &[String],
        offset: Option<u64>,
    ) -> Result<(), StoreError> {
        let path = self.layout.path(name);
        let mut skip = 0;
        if let Some(offset) = offset {
            let bytes = super::fsio::read_from(&path, offset)?.unwrap_or_default();
            let tail = String::from_utf8_lossy(&bytes).into_owned();
            // Only complete lines count: a torn last line was not written.
            let complete = tail.rsplit_once('\n').map_or("", |(done, _)| done);
            let present: Vec<&str> = complete
                .split('\n')
                .filter(|l| !l.trim().is_empty())
                .collect();
            skip = lines
                .iter()
                .zip(&present)
                .take_while(|(ours, there)| ours.as_str() == there.trim_end_matches('\r'))
                .count();
        }
        for line in &lines[skip..] {
            super::fsio::append_line(&path, line)?;
        }
        Ok(())
    }

    /// JSON lines get one appended line per entry; a file kept as a JSON array is rewritten
    /// whole (atomically), and only if it parses.
    fn append_json_log(
        &self,
        name: &str,
        entries: &[Value],
        offset: Option<u64>,
        problems: &mut Vec<Problem>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.layout.path(name);
        // Only a log kept as a JSON array is read here; JSON lines are appended to unread.
        if super::fsio::first_non_space(&path)? == Some(b'[') {
            let mut read_problems = Vec::new();
            let text = read_text(&self.layout, &path, &mut read_problems)?.unwrap_or_default();
            let log = parse_log(&self.layout.display(&path), &text);
            if !log.problems.is_empty() {
                problems.extend(log.problems);
                return Ok(());
            }
            let mut all: Vec<Value> = log.records.into_iter().map(|r| r.value).collect();
            if offset.is_some() && entries.iter().all(|e| all.contains(e)) {
                return Ok(()); // rewritten whole by an interrupted run
            }
            all.extend(entries.iter().cloned());
            let mut bytes = serde_json::to_vec_pretty(&all).unwrap_or_default();
            bytes.push(b'\n');
            atomic_write(&path, &bytes)?;
            return Ok(());
        }
        let lines: Vec<String> = entries
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default())
            .collect();
        self.append_lines(name, &lines, offset)
    }
}

/// The logs an `end` appends to, in the order it does.
const LOGS: [&str; 5] = [
    layout::DECISIONS_LOG,
    layout::CODE_REGISTRY,
    layout::INSIGHTS_DB,
    layout::INSIGHTS_LOG,
    layout::CODE_CHANGES_LOG,
];

fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn as_of(k: &Knowledge) -> AsOf {
    let totals = k.totals();
    AsOf {
        total_sessions: totals.sessions,
        total_hours: totals.hours,
        pending_work: match k.doc.get("pending_work") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        },
    }
}

fn place_of(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Start { .. } | EventKind::Goal { .. } => "goal",
        EventKind::Decision { .. } => "decision",
        EventKind::Insight { .. } => "insight",
        EventKind::Achievement { .. } => "achievement",
        EventKind::Blocker { .. } => "blocker",
        EventKind::Next { .. } => "next step",
        EventKind::Code { .. } => "code entry",
        EventKind::Done { .. } => "finished item",
        EventKind::Check { .. } => "checklist",
        EventKind::Service { .. } => "service",
        EventKind::Notes { .. } => "handoff notes",
    }
}

/// `--from` fills what the session did not log: scalar fields when empty, lists unioned.
fn merge_from(record: &mut SessionRecord, from: SessionRecord) {
    fn union<T: Clone + PartialEq>(into: &mut Vec<T>, from: Vec<T>) {
        for item in from {
            if !into.contains(&item) {
                into.push(item);
            }
        }
    }
    if record.primary_goal.trim().is_empty() {
        record.primary_goal = from.primary_goal;
    }
    if record.handoff_notes.trim().is_empty() {
        record.handoff_notes = from.handoff_notes;
    }
    if from.ended_at.is_some() {
        record.ended_at = from.ended_at;
    }
    if record.summary.is_none() {
        record.summary = from.summary;
    }
    if record.key_commands.is_none() {
        record.key_commands = from.key_commands;
    }
    union(&mut record.achievements, from.achievements);
    union(&mut record.decisions_made, from.decisions_made);
    union(&mut record.code_created, from.code_created);
    union(&mut record.insights_gained, from.insights_gained);
    union(&mut record.blockers_encountered, from.blockers_encountered);
    union(&mut record.next_steps, from.next_steps);
    union(&mut record.files_modified, from.files_modified);
    union(&mut record.services_deployed, from.services_deployed);
    union(&mut record.best_practices, from.best_practices);
    union(&mut record.completed, from.completed);
    for (k, v) in from.metrics {
        record.metrics.entry(k).or_insert(v);
    }
    for (k, v) in from.extra {
        record.extra.entry(k).or_insert(v);
    }
}

/// A knowledge base staged by `Store::stage_knowledge`: committing puts it in place, then
/// saves the decision cache made for it (never before the file it describes is there).
struct StagedKnowledge {
    file: fsio::Staged,
    cache: Option<Vec<u8>>,
}

impl StagedKnowledge {
    fn commit(self, layout: &Layout) -> Result<(), StoreError> {
        let replaced = self.file.commit_keeping_replaced()?;
        // Freeing the replaced file's megabytes and writing the cache each take a few
        // milliseconds; on two cores they take them once.
        std::thread::scope(|scope| {
            if let Some(encoded) = self.cache {
                scope.spawn(move || decision_cache::save_encoded(layout, &encoded));
            }
            drop(replaced);
        });
        Ok(())
    }
}
