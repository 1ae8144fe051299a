//! `baton validate`: walks the sessions directory and runs `domain::check` on every file.
//!
//! Read-only, and it never fails on content: whatever is wrong becomes an [`Issue`]. It
//! never hangs either: files larger than [`MAX_READ_BYTES`] are reported, not read; FIFOs,
//! sockets and devices are reported, never opened; symlinked directories inside the tree are
//! not followed (the layout's own directories may be symlinks, as baton reads through them,
//! unless they lead back into the directory, which is reported as a loop); nesting deeper
//! than [`MAX_WALK_DEPTH`] directories is reported and not entered.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

use crate::domain::check::{self, Issue, Kind};
use crate::domain::redact::Allowlist;
use crate::domain::session::SessionRecord;
use crate::domain::text::decode;
use crate::domain::time::parse_timestamp;

use super::config::{self, ConfigError};
use super::fsio::{FsError, MAX_READ_BYTES, TEMP_MARKER, lock, lock_timeout};
use super::layout::{self, Layout};

/// Directories nested deeper than this below the sessions directory are not entered.
pub const MAX_WALK_DEPTH: usize = 16;

/// A temp file older than this is left over from an interrupted write (younger ones may
/// belong to a write in progress).
const TEMP_FILE_AGE_MINUTES: i64 = 60;

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In report order (see `check::sort`).
    pub issues: Vec<Issue>,
    /// Files read and checked.
    pub files_checked: usize,
}

/// What a file is, which decides how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Knowledge,
    Current,
    Services,
    JsonLog,
    TextLog,
    Handoff,
    Archive,
    Events,
    /// Anything else: only scanned for secrets (when it is text).
    Other,
}

impl Role {
    fn of_root_file(name: &str) -> Role {
        match name {
            layout::KNOWLEDGE => Role::Knowledge,
            layout::CURRENT_SESSION => Role::Current,
            layout::SERVICES => Role::Services,
            layout::DECISIONS_LOG | layout::CODE_REGISTRY | layout::INSIGHTS_DB => Role::JsonLog,
            layout::INSIGHTS_LOG | layout::CODE_CHANGES_LOG => Role::TextLog,
            _ => Role::Other,
        }
    }

    /// Files baton writes itself, redacting first: not scanned for secrets.
    fn written_by_baton(self) -> bool {
        matches!(self, Role::Archive | Role::Events)
    }
}

/// An active session found while walking, checked for staleness at the end.
struct Active {
    path: String,
    line: usize,
    id: String,
    last: Option<DateTime<Utc>>,
}

struct Walker<'a> {
    layout: &'a Layout,
    now: DateTime<Utc>,
    allow: Allowlist,
    report: Report,
    /// Canonical paths of directories already listed (loop protection).
    visited: HashSet<PathBuf>,
    root_canonical: PathBuf,
    active: Vec<Active>,
    current: Option<(String, SessionRecord, Option<DateTime<Utc>>)>,
}

/// Checks every file of the directory. `now` decides which active sessions are stale.
pub fn validate(layout: &Layout, now: DateTime<Utc>) -> Report {
    let root = &layout.root;
    let mut w = Walker {
        layout,
        now,
        allow: Allowlist::default(),
        report: Report::default(),
        visited: HashSet::new(),
        root_canonical: fs::canonicalize(root).unwrap_or_else(|_| root.clone()),
        active: Vec::new(),
        current: None,
    };
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            w.push(Issue::error(
                Kind::Unreadable,
                &root.display().to_string(),
                0,
                0,
                "not a directory; point --dir or BATON_DIR at the sessions directory".into(),
            ));
            return w.finish();
        }
        Err(e) => {
            let msg = if e.kind() == io::ErrorKind::NotFound {
                "no sessions directory here; `baton init` creates one, or point --dir or \
                 BATON_DIR at it"
                    .to_string()
            } else {
                format!("cannot be read: {e}")
            };
            w.push(Issue::error(
                Kind::Unreadable,
                &root.display().to_string(),
                0,
                0,
                msg,
            ));
            return w.finish();
        }
    }
    w.config();
    w.root();
    w.unmerged();
    w.stale_sessions();
    w.sync();
    w.finish()
}

impl Walker<'_> {
    fn push(&mut self, issue: Issue) {
        self.report.issues.push(issue);
    }

    fn shown(&self, path: &Path) -> String {
        self.layout.display(path)
    }

    fn finish(mut self) -> Report {
        check::sort(&mut self.report.issues);
        self.report.issues.dedup();
        self.report
    }

    /// `.baton/config.json` first: its allowlist applies to the secret scan.
    fn config(&mut self) {
        let path = self.layout.config();
        let shown = self.shown(&path);
        let Some(meta) = self.stat(&path, &shown, true) else {
            return;
        };
        if !self.readable_file(&shown, &meta, true) {
            return;
        }
        self.report.files_checked += 1;
        match config::load(self.layout) {
            Ok((_, allow)) => self.allow = allow,
            Err(ConfigError::Invalid(problem)) => {
                let syntax = fs::read(&path)
                    .ok()
                    .and_then(|b| check::config_syntax(&shown, &decode(&b).0));
                let mut problem = problem;
                if !problem.message.starts_with("bad allow_patterns") {
                    problem.message = format!(
                        "not a baton config ({}); expected {{\"redact\": {{\"allow\": [\"text\"], \
                         \"allow_patterns\": [\"regex\"]}}}}",
                        problem.message
                    );
                }
                self.push(syntax.unwrap_or(Issue {
                    problem,
                    kind: Kind::Schema,
                }));
            }
            Err(ConfigError::Fs(e)) => self.fs_error(&shown, e),
        }
    }

    fn root(&mut self) {
        let root = self.layout.root.clone();
        self.visited.insert(self.root_canonical.clone());
        for (name, path) in self.entries(&root) {
            let Some(name_str) = name.clone() else {
                self.other_entry(&path, 1);
                continue;
            };
            if name_str.contains(TEMP_MARKER) {
                self.temp_file(&path);
                continue;
            }
            match name_str.as_str() {
                layout::PRIVATE => continue, // config and unmerged are checked on their own
                layout::HANDOFFS | layout::ARCHIVE | layout::ACTIVE => {
                    self.layout_dir(&path, &name_str);
                    continue;
                }
                _ => {}
            }
            if name_str.starts_with('.') {
                continue; // .git, .gitattributes, editor state
            }
            let role = Role::of_root_file(&name_str);
            if role == Role::Other {
                self.other_entry(&path, 1);
            } else {
                self.file(&path, name.as_deref(), role, true);
            }
        }
    }

    /// One of the layout's own directories: listed one level deep, as baton reads it.
    fn layout_dir(&mut self, dir: &Path, name: &str) {
        let shown = self.shown(dir);
        let Some(meta) = self.stat(dir, &shown, true) else {
            return;
        };
        if !meta.is_dir() {
            self.push(Issue::error(
                Kind::Unreadable,
                &shown,
                0,
                0,
                "expected a directory here; move the file away".into(),
            ));
            return;
        }
        if !self.enter(dir, &shown) {
            return;
        }
        let role = match name {
            layout::HANDOFFS => Role::Handoff,
            layout::ARCHIVE => Role::Archive,
            _ => Role::Events,
        };
        let wanted_ext = match role {
            Role::Handoff => ".md",
            Role::Archive => ".json",
            _ => ".jsonl",
        };
        for (entry_name, path) in self.entries(dir) {
            let Some(n) = entry_name.clone() else {
                self.other_entry(&path, 2);
                continue;
            };
            if n.contains(TEMP_MARKER) {
                self.temp_file(&path);
                continue;
            }
            if n.starts_with('.') {
                continue;
            }
            let lower = n.to_ascii_lowercase();
            if lower.ends_with(wanted_ext) {
                self.file(&path, entry_name.as_deref(), role, true);
            } else {
                self.other_entry(&path, 2);
            }
        }
    }

    /// Anything outside the layout: files are scanned for secrets, directories entered.
    fn other_entry(&mut self, path: &Path, depth: usize) {
        let shown = self.shown(path);
        let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let Some(meta) = self.stat(path, &shown, false) else {
            return;
        };
        if meta.is_dir() {
            if is_link {
                // Not followed; only a loop is worth a word.
                if let Ok(target) = fs::canonicalize(path)
                    && self.leads_back(&target, path)
                {
                    self.loop_issue(&shown, &target);
                }
                return;
            }
            if depth > MAX_WALK_DEPTH {
                self.push(Issue::warning(
                    Kind::Unreadable,
                    &shown,
                    0,
                    0,
                    format!(
                        "directories nested deeper than {MAX_WALK_DEPTH} levels are not checked"
                    ),
                ));
                return;
            }
            if !self.enter(path, &shown) {
                return;
            }
            for (name, child) in self.entries(path) {
                match name.as_deref() {
                    Some(n) if n.contains(TEMP_MARKER) => self.temp_file(&child),
                    Some(n) if n.starts_with('.') => {}
                    _ => self.other_entry(&child, depth + 1),
                }
            }
            return;
        }
        let name = path.file_name().and_then(|n| n.to_str());
        self.file(path, name, Role::Other, false);
    }

    /// Sorted entries of a directory as (UTF-8 name if it is one, path); problems reported.
    fn entries(&mut self, dir: &Path) -> Vec<(Option<String>, PathBuf)> {
        let iter = match fs::read_dir(dir) {
            Ok(it) => it,
            Err(e) => {
                let shown = self.shown(dir);
                self.push(Issue::error(
                    Kind::Unreadable,
                    &shown,
                    0,
                    0,
                    format!("cannot list this directory: {e}"),
                ));
                return Vec::new();
            }
        };
        let mut out: Vec<(Option<String>, PathBuf)> = iter
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_str().map(str::to_string), e.path()))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1));
        out
    }

    /// Records that a directory is listed; `false` (and a report) if it was already, or if
    /// it leads back to one of its own ancestors.
    fn enter(&mut self, dir: &Path, shown: &str) -> bool {
        let canonical = match fs::canonicalize(dir) {
            Ok(c) => c,
            Err(e) => {
                self.push(Issue::error(
                    Kind::Unreadable,
                    shown,
                    0,
                    0,
                    format!("cannot be resolved: {e}"),
                ));
                return false;
            }
        };
        if self.leads_back(&canonical, dir) || !self.visited.insert(canonical.clone()) {
            self.loop_issue(shown, &canonical);
            return false;
        }
        true
    }

    /// True when `target` (canonical) is the sessions directory or an ancestor of `link`'s
    /// own directory: following it would walk in a circle.
    fn leads_back(&self, target: &Path, link: &Path) -> bool {
        let here = link
            .parent()
            .and_then(|p| fs::canonicalize(p).ok())
            .unwrap_or_else(|| self.root_canonical.clone());
        here.starts_with(target) || self.root_canonical.starts_with(target)
    }

    fn loop_issue(&mut self, shown: &str, target: &Path) {
        self.push(Issue::error(
            Kind::Symlink,
            shown,
            0,
            0,
            format!(
                "symlink loop: this leads back to {}, which is already being checked; not \
                 followed. Replace the link with the directory it should be",
                target.display()
            ),
        ));
    }

    /// `fs::metadata` (following symlinks) with every failure reported. `known`: the path is
    /// one baton reads, so its absence is fine but anything odd is an error.
    fn stat(&mut self, path: &Path, shown: &str, known: bool) -> Option<Metadata> {
        match fs::metadata(path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Missing, or a symlink to nothing.
                if fs::symlink_metadata(path).is_ok() {
                    let target = fs::read_link(path)
                        .map(|t| t.display().to_string())
                        .unwrap_or_default();
                    self.push(Issue {
                        problem: crate::domain::problem::Problem {
                            path: shown.to_string(),
                            line: 0,
                            column: 0,
                            message: format!(
                                "broken symlink: it points to {target}, which does not exist"
                            ),
                            severity: if known {
                                crate::domain::problem::Severity::Error
                            } else {
                                crate::domain::problem::Severity::Warning
                            },
                        },
                        kind: Kind::Symlink,
                    });
                }
                None
            }
            Err(e) if is_loop(&e) => {
                self.push(Issue::error(
                    Kind::Symlink,
                    shown,
                    0,
                    0,
                    "symlink loop: the link resolves to itself; replace it with the file it \
                     should be"
                        .into(),
                ));
                None
            }
            Err(e) => {
                self.push(Issue::error(
                    Kind::Unreadable,
                    shown,
                    0,
                    0,
                    format!("cannot be read: {e}"),
                ));
                None
            }
        }
    }

    /// A regular file of a readable size. FIFOs and devices are never opened (a FIFO would
    /// block the read forever).
    fn readable_file(&mut self, shown: &str, meta: &Metadata, known: bool) -> bool {
        if meta.is_dir() {
            self.push(Issue::error(
                Kind::Unreadable,
                shown,
                0,
                0,
                "a directory where baton expects a file".into(),
            ));
            return false;
        }
        if !meta.is_file() {
            let msg =
                "not a regular file (a FIFO, socket or device); baton does not read it".to_string();
            self.push(if known {
                Issue::error(Kind::Unreadable, shown, 0, 0, msg)
            } else {
                Issue::warning(Kind::Unreadable, shown, 0, 0, msg)
            });
            return false;
        }
        if meta.len() > MAX_READ_BYTES {
            self.push(Issue::error(
                Kind::TooLarge,
                shown,
                0,
                0,
                too_large(meta.len()),
            ));
            return false;
        }
        true
    }

    fn fs_error(&mut self, shown: &str, e: FsError) {
        let (kind, msg) = match e {
            FsError::TooLarge { size, .. } => (Kind::TooLarge, too_large(size)),
            FsError::Io { source, .. } => (Kind::Unreadable, format!("cannot be read: {source}")),
            other => (Kind::Unreadable, other.to_string()),
        };
        self.push(Issue::error(kind, shown, 0, 0, msg));
    }

    /// Reads and checks one file.
    fn file(&mut self, path: &Path, name: Option<&str>, role: Role, known: bool) {
        let shown = self.shown(path);
        let stem = stem_of(name.unwrap_or_default(), role);
        match role {
            Role::Archive | Role::Events => {
                if let Some(issue) = check::file_name(&shown, name, &stem, true) {
                    self.push(issue);
                }
            }
            Role::Handoff | Role::Other => {
                if let Some(issue) = check::file_name(&shown, name, &stem, false) {
                    self.push(issue);
                }
            }
            _ => {}
        }
        let Some(meta) = self.stat(path, &shown, known) else {
            return;
        };
        if !self.readable_file(&shown, &meta, known) {
            return;
        }
        let bytes = match super::fsio::read_optional(path) {
            Ok(Some(b)) => b,
            Ok(None) => return, // removed meanwhile
            Err(e) => {
                self.fs_error(&shown, e);
                return;
            }
        };
        self.report.files_checked += 1;
        if role == Role::Other && check::looks_binary(&bytes) {
            return;
        }
        if role != Role::Other
            && let Some(issue) = check::encoding(&shown, &bytes)
        {
            self.push(issue);
        }
        let text = decode(&bytes).0.into_owned();
        let modified = meta.modified().ok().map(to_utc);
        match role {
            Role::Knowledge => self.report.issues.extend(check::knowledge(&shown, &text)),
            Role::Current => {
                let (issues, record) = check::current_session(&shown, &text);
                self.report.issues.extend(issues);
                if let Some(r) = record {
                    self.current = Some((shown.clone(), r, modified));
                }
            }
            Role::Services => self.report.issues.extend(check::services(&shown, &text)),
            Role::JsonLog => self.report.issues.extend(check::json_log(&shown, &text)),
            Role::Archive => self
                .report
                .issues
                .extend(check::archive(&shown, &stem, &text)),
            Role::Events => {
                let c = check::events(&shown, &stem, &text);
                self.report.issues.extend(c.issues);
                if self.layout.archived(&stem).exists() {
                    let marker = self.layout.unmerged(&stem).exists();
                    self.push(Issue::warning(
                        Kind::Unmerged,
                        &shown,
                        0,
                        0,
                        format!(
                            "session {stem} has ended ({}), so this events file is left over \
                             from an interrupted `end`; {}",
                            self.shown(&self.layout.archived(&stem)),
                            if marker {
                                "`baton merge` removes it"
                            } else {
                                "delete it"
                            }
                        ),
                    ));
                } else {
                    let (last_event, line) = c.last_event.map_or((None, 1), |(t, l)| (Some(t), l));
                    self.active.push(Active {
                        path: shown.clone(),
                        line,
                        id: c.session_id,
                        last: latest(last_event, modified),
                    });
                }
            }
            Role::TextLog | Role::Handoff | Role::Other => {}
        }
        if !role.written_by_baton() {
            self.report
                .issues
                .extend(check::secrets(&shown, &text, &self.allow));
        }
    }

    fn temp_file(&mut self, path: &Path) {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        let old = meta
            .modified()
            .ok()
            .map(to_utc)
            .is_none_or(|m| self.now - m > Duration::minutes(TEMP_FILE_AGE_MINUTES));
        if old {
            let shown = self.shown(path);
            self.push(Issue::warning(
                Kind::TempFile,
                &shown,
                0,
                0,
                "a temporary file left by an interrupted write; baton never reads it, delete it"
                    .into(),
            ));
        }
    }

    /// Sessions left in `.baton/unmerged/`. Read under the directory lock when there is
    /// something to read, so that an `end` in progress is not reported half-way.
    fn unmerged(&mut self) {
        let dir = self.layout.unmerged_dir();
        let has_entries = fs::read_dir(&dir).is_ok_and(|mut it| it.next().is_some());
        if !has_entries {
            return;
        }
        let _guard = if self.layout.lock().is_file() {
            match lock(&self.layout.lock(), lock_timeout()) {
                Ok(g) => Some(g),
                Err(e) => {
                    let shown = self.shown(&self.layout.lock());
                    self.push(Issue::warning(
                        Kind::Unreadable,
                        &shown,
                        0,
                        0,
                        format!("{e}; the unfinished merges below may be in progress"),
                    ));
                    None
                }
            }
        } else {
            None
        };
        let Ok(iter) = fs::read_dir(&dir) else {
            return;
        };
        let mut names: Vec<(Option<String>, PathBuf)> = iter
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_str().map(str::to_string), e.path()))
            .collect();
        names.sort_by(|a, b| a.1.cmp(&b.1));
        for (name, path) in names {
            let shown = self.shown(&path);
            let Some(id) = name else {
                self.push(check::file_name(&shown, None, "", true).expect("non-UTF-8"));
                continue;
            };
            if id.contains(TEMP_MARKER) {
                self.temp_file(&path);
                continue;
            }
            if let Some(issue) = check::file_name(&shown, Some(&id), &id, true) {
                self.push(issue);
                continue;
            }
            let archived = self.layout.archived(&id).exists();
            self.push(check::unmerged(&shown, &id, archived));
        }
    }

    /// The memory-server outbox (items that do not parse, or stuck) and `.baton/sync.json`
    /// (a sync that failed, or has not succeeded for `sync.stale_after_days`, default 7).
    fn sync(&mut self) {
        let entries = super::outbox::list(self.layout).unwrap_or_default();
        for e in &entries {
            let shown = self.shown(&e.path);
            self.report.files_checked += 1;
            match &e.item {
                Ok(item) => {
                    if let Some(issue) = check::outbox_item(&shown, item, self.now) {
                        self.push(issue);
                    }
                }
                Err(p) => self.push(Issue::error(
                    Kind::Schema,
                    &p.path,
                    p.line,
                    p.column,
                    format!("{}; this item cannot be sent until it is fixed", p.message),
                )),
            }
        }
        let path = self.layout.sync_state();
        if !path.is_file() {
            return;
        }
        self.report.files_checked += 1;
        let shown = self.shown(&path);
        let state = super::outbox::read_state(self.layout);
        let days = config::load(self.layout)
            .ok()
            .and_then(|(c, _)| c.sync.stale_after_days)
            .map_or(crate::domain::outbox::SYNC_STALE_AFTER_DAYS, i64::from);
        if let Some(run) = &state.git
            && let Some(issue) = check::sync_run(&shown, "git", run, self.now, days)
        {
            self.push(issue);
        }
        // A memory sync matters while something waits; a failed attempt is the items'
        // business (they are reported once stuck), its age is this file's.
        if let Some(run) = &state.memory
            && !entries.is_empty()
        {
            let run = crate::domain::outbox::SyncRun {
                last_error: None,
                ..run.clone()
            };
            if let Some(issue) = check::sync_run(&shown, "memory", &run, self.now, days) {
                self.push(issue);
            }
        }
    }

    fn stale_sessions(&mut self) {
        let mut found: Vec<Issue> = Vec::new();
        for a in &self.active {
            if let Some(last) = a.last
                && let Some(issue) = check::stale(&a.path, a.line, &a.id, last, self.now)
            {
                found.push(issue);
            }
        }
        if let Some((shown, record, modified)) = &self.current {
            let id = &record.session_id;
            let separate = !id.is_empty() && self.layout.active(id).exists();
            let ended = !id.is_empty() && self.layout.archived(id).exists();
            if record.is_active() && !id.is_empty() && !separate && !ended {
                let started = record.started_at.as_deref().and_then(parse_timestamp);
                if let Some(last) = latest(started, *modified)
                    && let Some(issue) = check::stale(shown, 1, id, last, self.now)
                {
                    found.push(issue);
                }
            }
        }
        self.report.issues.extend(found);
    }
}

fn stem_of(name: &str, role: Role) -> String {
    let ext = match role {
        Role::Archive => ".json",
        Role::Events => ".jsonl",
        Role::Handoff => ".md",
        _ => return name.to_string(),
    };
    let cut = name.len().saturating_sub(ext.len());
    match (name.get(..cut), name.get(cut..)) {
        (Some(stem), Some(tail)) if tail.eq_ignore_ascii_case(ext) => stem.to_string(),
        _ => name.to_string(),
    }
}

fn too_large(size: u64) -> String {
    format!(
        "{size} bytes, over the {} MB baton reads; not checked. Split or archive the file",
        MAX_READ_BYTES / (1024 * 1024)
    )
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn to_utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

/// ELOOP: "too many levels of symbolic links".
fn is_loop(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    const ELOOP: i32 = 40;
    #[cfg(not(target_os = "linux"))]
    const ELOOP: i32 = 62;
    e.raw_os_error() == Some(ELOOP)
}
