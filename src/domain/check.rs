//! The checks behind `baton validate`, with no I/O: each takes a file's bytes or text (and,
//! where time matters, "now" and the file's modification time) and returns [`Issue`]s.
//! The walk over the directory lives in `store::validate`, the printing in `cli::validate`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::archive::ArchivedSession;
use super::events::{Event, EventKind};
use super::ids::validate_id;
use super::json_doc::{Doc, parse_log, parse_object, parse_object_strict};
use super::problem::Problem;
use super::redact::{Allowlist, scan};
use super::session::SessionRecord;
use super::time::{format_timestamp, parse_timestamp, short_age};

/// An active session with no activity for this long is reported: its capture has most
/// likely stopped without an `end`.
pub const STALE_AFTER_HOURS: i64 = 24;

/// What sort of problem an [`Issue`] is; `kind` in `baton validate --format json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The file does not parse (JSON syntax, a bad JSON line, nesting too deep).
    Syntax,
    /// It parses, but not into the shape baton expects.
    Schema,
    /// Not valid UTF-8.
    Encoding,
    /// Larger than baton reads; not read.
    TooLarge,
    /// Could not be read (permissions, not a regular file, an I/O error).
    Unreadable,
    /// A symlink that loops or leads nowhere.
    Symlink,
    /// A temporary file left by an interrupted write.
    TempFile,
    /// A secret in a file baton did not write.
    Secret,
    /// An active session untouched for over [`STALE_AFTER_HOURS`].
    StaleSession,
    /// A file name or session id that is not safe as a path component.
    UnsafeName,
    /// A session ended but not merged into the knowledge base.
    Unmerged,
    /// An item stuck in the memory-server outbox (old, or failing again and again).
    Outbox,
    /// A sync that failed last time, or has not succeeded for long.
    Sync,
}

impl Kind {
    /// Report order: what is wrong with files first, then secrets, stale sessions, unsafe
    /// names and unfinished merges.
    pub fn group(self) -> u8 {
        match self {
            Kind::Syntax
            | Kind::Schema
            | Kind::Encoding
            | Kind::TooLarge
            | Kind::Unreadable
            | Kind::Symlink
            | Kind::TempFile => 0,
            Kind::Secret => 1,
            Kind::StaleSession => 2,
            Kind::UnsafeName => 3,
            Kind::Unmerged => 4,
            Kind::Outbox | Kind::Sync => 5,
        }
    }
}

/// One thing `baton validate` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    #[serde(flatten)]
    pub problem: Problem,
    pub kind: Kind,
}

impl Issue {
    pub fn error(kind: Kind, path: &str, line: usize, column: usize, msg: String) -> Issue {
        Issue {
            problem: Problem::error(path, line, column, msg),
            kind,
        }
    }

    pub fn warning(kind: Kind, path: &str, line: usize, column: usize, msg: String) -> Issue {
        Issue {
            problem: Problem::warning(path, line, column, msg),
            kind,
        }
    }

    fn from_problem(kind: Kind, problem: Problem) -> Issue {
        Issue { problem, kind }
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.problem.fmt(f)
    }
}

/// Sorts issues into report order: by [`Kind::group`], then path, line and column.
pub fn sort(issues: &mut [Issue]) {
    issues.sort_by(|a, b| {
        (
            a.kind.group(),
            &a.problem.path,
            a.problem.line,
            a.problem.column,
        )
            .cmp(&(
                b.kind.group(),
                &b.problem.path,
                b.problem.line,
                b.problem.column,
            ))
    });
}

/// Invalid UTF-8, located at its first bad byte (a leading byte-order mark is fine).
pub fn encoding(path: &str, bytes: &[u8]) -> Option<Issue> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let err = std::str::from_utf8(body).err()?;
    let good = &body[..err.valid_up_to()];
    let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // `good` is valid UTF-8 by construction.
    let column = std::str::from_utf8(&good[line_start..]).map_or(1, |s| s.chars().count() + 1);
    Some(Issue::warning(
        Kind::Encoding,
        path,
        line,
        column,
        "not valid UTF-8 from here; baton reads such bytes as \u{FFFD} and a rewrite would keep \
         them that way: re-save the file as UTF-8"
            .into(),
    ))
}

/// True when the bytes look binary (a NUL in the first 8 KiB): not scanned as text.
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// Secrets in a file baton did not write. The message names the rule, never the secret.
pub fn secrets(path: &str, text: &str, allow: &Allowlist) -> Vec<Issue> {
    scan(text, allow)
        .into_iter()
        .map(|f| {
            Issue::error(
                Kind::Secret,
                path,
                f.line,
                f.column,
                format!(
                    "possible secret (rule {}); remove it from the file (and rotate it if it is \
                     real), or if it is not a secret list it under redact.allow in \
                     .baton/config.json",
                    f.rule
                ),
            )
        })
        .collect()
}

fn parse_issue(problem: Problem) -> Issue {
    let kind = if problem.message.starts_with("expected a JSON object") {
        Kind::Schema
    } else {
        Kind::Syntax
    };
    Issue::from_problem(kind, problem)
}

/// Parses a whole-object document; a problem becomes an issue.
fn object(path: &str, text: &str, issues: &mut Vec<Issue>) -> Option<Map<String, Value>> {
    match parse_object(path, text) {
        Doc::Ok(map) => Some(map),
        Doc::Broken { problem, .. } => {
            issues.push(parse_issue(problem));
            None
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `UNIFIED_KNOWLEDGE.json`: parses, and the fields baton merges into have usable shapes.
pub fn knowledge(path: &str, text: &str) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(map) = object(path, text, &mut issues) else {
        return issues;
    };
    let at = |key: &str| locate(text, &[Seg::Key(key)]).unwrap_or((1, 1));
    for key in ["total_sessions", "total_hours"] {
        match map.get(key) {
            None | Some(Value::Null | Value::Number(_)) => {}
            Some(Value::String(s)) if s.trim().parse::<f64>().is_ok() => {}
            Some(other) => {
                let (line, column) = at(key);
                issues.push(Issue::error(
                    Kind::Schema,
                    path,
                    line,
                    column,
                    format!(
                        "{key} is {}, not a number; the next merge would count from 0",
                        type_name(other)
                    ),
                ));
            }
        }
    }
    for key in ["core_decisions", "pending_work", "best_practices"] {
        match map.get(key) {
            None | Some(Value::Null | Value::Array(_)) => {}
            Some(other) => {
                let (line, column) = at(key);
                issues.push(Issue::warning(
                    Kind::Schema,
                    path,
                    line,
                    column,
                    format!(
                        "{key} is {}, not a list; the next merge wraps it in one",
                        type_name(other)
                    ),
                ));
            }
        }
    }
    if let Some(other) = map.get("architecture_state")
        && !matches!(other, Value::Object(_) | Value::Null)
    {
        let (line, column) = at("architecture_state");
        issues.push(Issue::warning(
            Kind::Schema,
            path,
            line,
            column,
            format!(
                "architecture_state is {}, not an object of components",
                type_name(other)
            ),
        ));
    }
    issues
}

/// `CURRENT_SESSION.json` (the seed's single session file). Returns the record when it reads.
pub fn current_session(path: &str, text: &str) -> (Vec<Issue>, Option<SessionRecord>) {
    let mut issues = Vec::new();
    let Some(map) = object(path, text, &mut issues) else {
        return (issues, None);
    };
    let record = match SessionRecord::from_map(map) {
        Ok(r) => r,
        Err(e) => {
            issues.push(Issue::error(
                Kind::Schema,
                path,
                1,
                1,
                format!("not a session record: {e}"),
            ));
            return (issues, None);
        }
    };
    if !record.session_id.is_empty() {
        if let Err(why) = validate_id(&record.session_id) {
            let (line, column) = locate(text, &[Seg::Key("session_id")]).unwrap_or((1, 1));
            issues.push(Issue::error(
                Kind::UnsafeName,
                path,
                line,
                column,
                format!("{why}; baton cannot archive this session under that name"),
            ));
        }
    } else if record.is_active() {
        issues.push(Issue::warning(
            Kind::Schema,
            path,
            1,
            1,
            "an active session without a session_id; baton cannot end it: add \"session_id\""
                .into(),
        ));
    }
    (issues, Some(record))
}

/// `SERVICES.json`: `{"services": [{"name": …, "url": …}, …]}`.
pub fn services(path: &str, text: &str) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(map) = object(path, text, &mut issues) else {
        return issues;
    };
    let list = match map.get("services") {
        Some(Value::Array(list)) => list,
        other => {
            let (line, column) = locate(text, &[Seg::Key("services")]).unwrap_or((1, 1));
            issues.push(Issue::error(
                Kind::Schema,
                path,
                line,
                column,
                match other {
                    None => {
                        "no \"services\" list; expected {\"services\": [{\"name\": …, \"url\": …}]}"
                            .into()
                    }
                    Some(v) => format!("\"services\" is {}, not a list", type_name(v)),
                },
            ));
            return issues;
        }
    };
    for (i, item) in list.iter().enumerate() {
        let here = |key: Option<&str>| {
            let mut segs = vec![Seg::Key("services"), Seg::Index(i)];
            if let Some(k) = key {
                segs.push(Seg::Key(k));
            }
            locate(text, &segs)
                .or_else(|| locate(text, &segs[..2]))
                .unwrap_or((1, 1))
        };
        let Value::Object(fields) = item else {
            let (line, column) = here(None);
            issues.push(Issue::error(
                Kind::Schema,
                path,
                line,
                column,
                format!("services[{i}] is {}, not an object", type_name(item)),
            ));
            continue;
        };
        for key in ["name", "url"] {
            let problem = match fields.get(key) {
                None => Some(format!("services[{i}] has no \"{key}\"")),
                Some(Value::String(s)) if s.trim().is_empty() => {
                    Some(format!("services[{i}].{key} is empty"))
                }
                Some(Value::String(s))
                    if key == "url" && !(s.starts_with("http://") || s.starts_with("https://")) =>
                {
                    Some(format!(
                        "services[{i}].url does not start with http:// or https://"
                    ))
                }
                Some(Value::String(_)) => None,
                Some(v) => Some(format!(
                    "services[{i}].{key} is {}, not a string",
                    type_name(v)
                )),
            };
            if let Some(msg) = problem {
                let (line, column) = here(fields.contains_key(key).then_some(key));
                issues.push(Issue::error(Kind::Schema, path, line, column, msg));
            }
        }
    }
    issues
}

/// A `SESSION_LOGS/<id>.json` archive: parses, is an archive, and names its own session.
pub fn archive(path: &str, stem: &str, text: &str) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(map) = object(path, text, &mut issues) else {
        return issues;
    };
    let archived: ArchivedSession = match serde_json::from_value(Value::Object(map)) {
        Ok(a) => a,
        Err(e) => {
            issues.push(Issue::error(
                Kind::Schema,
                path,
                1,
                1,
                format!("not a session archive: {e}"),
            ));
            return issues;
        }
    };
    let id = &archived.record.session_id;
    if id != stem {
        let (line, column) = locate(text, &[Seg::Key("session_id")]).unwrap_or((1, 1));
        issues.push(Issue::error(
            Kind::Schema,
            path,
            line,
            column,
            format!(
                "session_id {id:?} differs from the file name; baton finds archives by name, \
                 so rename the file to {id}.json or fix the id"
            ),
        ));
    }
    if archived.record.is_active() {
        issues.push(Issue::warning(
            Kind::Schema,
            path,
            1,
            1,
            "an archived session without ended_at".into(),
        ));
    }
    issues
}

/// What reading an `ACTIVE_SESSIONS/<id>.jsonl` events file found.
#[derive(Debug, Clone, Default)]
pub struct EventsCheck {
    pub issues: Vec<Issue>,
    /// The session id from its start event (else the file name).
    pub session_id: String,
    /// Time of the latest event that carries a readable timestamp, and its line.
    pub last_event: Option<(DateTime<Utc>, usize)>,
}

/// An events file: every line a baton event, the first one its start.
pub fn events(path: &str, stem: &str, text: &str) -> EventsCheck {
    let mut check = EventsCheck {
        session_id: stem.to_string(),
        ..EventsCheck::default()
    };
    let log = parse_log(path, text);
    check
        .issues
        .extend(log.problems.into_iter().map(parse_issue));
    if log.is_array {
        check.issues.push(Issue::error(
            Kind::Schema,
            path,
            1,
            1,
            "an events file must be JSON lines (one event per line), not an array".into(),
        ));
        return check;
    }
    let mut first = true;
    for record in log.records {
        let event = match serde_json::from_value::<Event>(record.value) {
            Ok(e) => e,
            Err(e) => {
                check.issues.push(Issue::error(
                    Kind::Schema,
                    path,
                    record.line,
                    1,
                    format!("not a baton event: {e}"),
                ));
                continue;
            }
        };
        if let Some(at) = parse_timestamp(&event.at)
            && check.last_event.is_none_or(|(t, _)| at >= t)
        {
            check.last_event = Some((at, record.line));
        }
        match (&event.kind, first) {
            (EventKind::Start { session_id, .. }, true) => {
                check.session_id = session_id.clone();
                if session_id != stem {
                    check.issues.push(Issue::error(
                        Kind::Schema,
                        path,
                        record.line,
                        1,
                        format!(
                            "the start event names session {session_id:?}, but the file is \
                             named {stem:?}; baton finds sessions by file name"
                        ),
                    ));
                }
            }
            (EventKind::Start { .. }, false) => check.issues.push(Issue::warning(
                Kind::Schema,
                path,
                record.line,
                1,
                "a second start event; baton keeps the last one".into(),
            )),
            (_, true) => check.issues.push(Issue::warning(
                Kind::Schema,
                path,
                record.line,
                1,
                "the first event is not the session's start".into(),
            )),
            _ => {}
        }
        first = false;
    }
    check
}

/// A JSON-lines log (`DECISIONS_LOG.json`, …): every line parses and is an object.
pub fn json_log(path: &str, text: &str) -> Vec<Issue> {
    let log = parse_log(path, text);
    let mut issues: Vec<Issue> = log.problems.into_iter().map(parse_issue).collect();
    for record in &log.records {
        if !record.value.is_object() {
            issues.push(Issue::warning(
                Kind::Schema,
                path,
                record.line.max(1),
                1,
                format!(
                    "an entry that is {}, not an object {{…}}",
                    type_name(&record.value)
                ),
            ));
        }
    }
    issues
}

/// `.baton/config.json`'s JSON (its meaning is checked by `store::config`).
pub fn config_syntax(path: &str, text: &str) -> Option<Issue> {
    parse_object_strict(path, text).err().map(parse_issue)
}

/// A file name that is unsafe to handle. `strict` for names that are session ids (archives,
/// events files): those must pass [`validate_id`] and are errors. Other names are only
/// warned about when they are not UTF-8 or hold control characters.
pub fn file_name(path: &str, name: Option<&str>, stem: &str, strict: bool) -> Option<Issue> {
    let why = match name {
        None => "the file name is not valid UTF-8".to_string(),
        Some(_) if strict => validate_id(stem).err()?,
        Some(n) => {
            let c = n.chars().find(|c| c.is_control())?;
            format!(
                "the file name holds the control character U+{:04X}",
                c as u32
            )
        }
    };
    let msg = format!("unsafe file name: {why}; rename the file");
    Some(if strict {
        Issue::error(Kind::UnsafeName, path, 0, 0, msg)
    } else {
        Issue::warning(Kind::UnsafeName, path, 0, 0, msg)
    })
}

/// An active session whose last activity is more than [`STALE_AFTER_HOURS`] before `now`.
pub fn stale(
    path: &str,
    line: usize,
    id: &str,
    last: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Issue> {
    let idle = now - last;
    if idle <= Duration::hours(STALE_AFTER_HOURS) {
        return None;
    }
    Some(Issue::warning(
        Kind::StaleSession,
        path,
        line,
        1,
        format!(
            "session {id} is still active but nothing happened for {} (last activity {}): its \
             capture has probably stopped. End it with `baton end --session {id}`, or resume it \
             by logging into it (`baton log … --session {id}`)",
            short_age(idle.num_seconds()),
            format_timestamp(last)
        ),
    ))
}

/// A marker left in `.baton/unmerged/`: `archived` when the session's archive exists.
pub fn unmerged(path: &str, id: &str, archived: bool) -> Issue {
    if archived {
        Issue::error(
            Kind::Unmerged,
            path,
            0,
            0,
            format!(
                "session {id} ended but is not merged into the knowledge base yet (an interrupted \
                 `end`, or a file that did not parse); `baton merge` finishes it"
            ),
        )
    } else {
        Issue::warning(
            Kind::Unmerged,
            path,
            0,
            0,
            format!(
                "an `end` of session {id} stopped before archiving it, so the session is still \
                 active; `baton merge` clears this marker"
            ),
        )
    }
}

/// An item of the memory-server outbox waiting longer than a day or failing more often
/// than [`STUCK_AFTER_ATTEMPTS`](crate::domain::outbox::STUCK_AFTER_ATTEMPTS).
pub fn outbox_item(
    path: &str,
    item: &crate::domain::outbox::OutboxItem,
    now: DateTime<Utc>,
) -> Option<Issue> {
    use crate::domain::outbox::{STUCK_AFTER_ATTEMPTS, STUCK_AFTER_HOURS};
    let created = item.created().unwrap_or(now);
    let old = now - created > Duration::hours(STUCK_AFTER_HOURS);
    if !old && item.attempts <= STUCK_AFTER_ATTEMPTS {
        return None;
    }
    let what = item
        .session_id()
        .map_or_else(|| item.kind.clone(), |id| format!("session {id}"));
    let last = item
        .last_error
        .as_deref()
        .map(|e| format!("; last error: {e}"))
        .unwrap_or_default();
    Some(Issue::warning(
        Kind::Outbox,
        path,
        0,
        0,
        format!(
            "{what} has waited {} to reach the memory server ({} failed attempts{last}); check              the server and the config, then `baton sync --memory` (delete this file to give up              on it)",
            short_age((now - created).num_seconds()),
            item.attempts
        ),
    ))
}

/// The last run of a sync (`what`: "git", "memory"): failed, or no success for
/// `stale_days` days.
pub fn sync_run(
    path: &str,
    what: &str,
    run: &crate::domain::outbox::SyncRun,
    now: DateTime<Utc>,
    stale_days: i64,
) -> Option<Issue> {
    let command = if what == "git" {
        "baton sync --git"
    } else {
        "baton sync --memory"
    };
    if let Some(e) = &run.last_error {
        let at = run.last_attempt.as_deref().unwrap_or("?");
        return Some(Issue::warning(
            Kind::Sync,
            path,
            0,
            0,
            format!("the last {what} sync failed ({at}): {e}; fix it, then `{command}`"),
        ));
    }
    let last = run.last_success.as_deref().and_then(parse_timestamp);
    match last {
        Some(t) if now - t <= Duration::days(stale_days) => None,
        Some(t) => Some(Issue::warning(
            Kind::Sync,
            path,
            0,
            0,
            format!(
                "no {what} sync for {} (last {}); run `{command}`",
                short_age((now - t).num_seconds()),
                format_timestamp(t)
            ),
        )),
        None => None,
    }
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The 1-based line and column where the value at `path` starts in `text` (for an object
/// member, where its key starts). `None` if the text does not hold that path. Meant for
/// documents that already parsed; on anything else it gives up rather than guess.
pub fn locate(text: &str, path: &[Seg]) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, bom_len(bytes));
    let mut at = pos;
    for seg in path {
        match (seg, bytes.get(pos)?) {
            (Seg::Key(want), b'{') => {
                pos = skip_ws(bytes, pos + 1);
                loop {
                    if *bytes.get(pos)? != b'"' {
                        return None;
                    }
                    let key_start = pos;
                    let key_end = skip_string(bytes, pos)?;
                    let key: String = serde_json::from_slice(&bytes[key_start..key_end]).ok()?;
                    pos = skip_ws(bytes, key_end);
                    if *bytes.get(pos)? != b':' {
                        return None;
                    }
                    pos = skip_ws(bytes, pos + 1);
                    if key == *want {
                        at = key_start;
                        break;
                    }
                    pos = skip_ws(bytes, skip_value(bytes, pos, 0)?);
                    match bytes.get(pos)? {
                        b',' => pos = skip_ws(bytes, pos + 1),
                        _ => return None,
                    }
                }
            }
            (Seg::Index(want), b'[') => {
                pos = skip_ws(bytes, pos + 1);
                for _ in 0..*want {
                    pos = skip_ws(bytes, skip_value(bytes, pos, 0)?);
                    match bytes.get(pos)? {
                        b',' => pos = skip_ws(bytes, pos + 1),
                        _ => return None,
                    }
                }
                if matches!(bytes.get(pos)?, b']') {
                    return None;
                }
                at = pos;
            }
            _ => return None,
        }
    }
    Some(line_col(text, at))
}

fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// `pos` is at an opening quote; returns the position just past the closing one.
fn skip_string(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Returns the position just past the value starting at `pos`.
fn skip_value(bytes: &[u8], pos: usize, depth: usize) -> Option<usize> {
    if depth > 256 {
        return None;
    }
    match bytes.get(pos)? {
        b'"' => skip_string(bytes, pos),
        open @ (b'{' | b'[') => {
            let close = if *open == b'{' { b'}' } else { b']' };
            let mut i = skip_ws(bytes, pos + 1);
            if *bytes.get(i)? == close {
                return Some(i + 1);
            }
            loop {
                if *open == b'{' {
                    i = skip_ws(bytes, skip_string(bytes, i)?);
                    if *bytes.get(i)? != b':' {
                        return None;
                    }
                    i = skip_ws(bytes, i + 1);
                }
                i = skip_ws(bytes, skip_value(bytes, i, depth + 1)?);
                match *bytes.get(i)? {
                    b',' => i = skip_ws(bytes, i + 1),
                    c if c == close => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => {
            let mut i = pos;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                i += 1;
            }
            (i > pos).then_some(i)
        }
    }
}

/// 1-based line and column (in characters, a `\r` before `\n` not counted) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[start..]
        .trim_start_matches('\u{FEFF}')
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::problem::Severity;

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn locate_finds_keys_and_indexes() {
        let text =
            "{\n  \"a\": 1,\n  \"services\": [\n    {\"name\": \"x\"},\n    {\"url\": 3}\n  ]\n}\n";
        assert_eq!(locate(text, &[Seg::Key("services")]), Some((3, 3)));
        assert_eq!(
            locate(text, &[Seg::Key("services"), Seg::Index(1)]),
            Some((5, 5))
        );
        assert_eq!(
            locate(
                text,
                &[Seg::Key("services"), Seg::Index(1), Seg::Key("url")]
            ),
            Some((5, 6))
        );
        assert_eq!(locate(text, &[Seg::Key("nope")]), None);
        assert_eq!(locate(text, &[Seg::Key("services"), Seg::Index(2)]), None);
        assert_eq!(locate("", &[Seg::Key("a")]), None);
        assert_eq!(
            locate("{\"a\": [1, {\"b\": \"}\"}], \"c\": 2}", &[Seg::Key("c")]),
            Some((1, 24))
        );
    }

    #[test]
    fn services_need_name_and_url() {
        let text = "{\"services\": [\n {\"name\": \"api\", \"url\": \"http://127.0.0.1:1/h\"},\n {\"name\": \"db\"},\n {\"name\": 4, \"url\": \"ftp://x\"},\n 7\n]}";
        let issues = services("SERVICES.json", text);
        let shown: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "SERVICES.json:3:2: services[1] has no \"url\"",
                "SERVICES.json:4:3: services[2].name is a number, not a string",
                "SERVICES.json:4:14: services[2].url does not start with http:// or https://",
                "SERVICES.json:5:2: services[3] is a number, not an object",
            ]
        );
        assert!(
            services("S", "{\"services\": {}}")[0]
                .message_is("\"services\" is an object, not a list")
        );
        assert_eq!(services("S", "[]")[0].kind, Kind::Schema);
        assert_eq!(
            services("S", "{").first().map(|i| i.kind),
            Some(Kind::Syntax)
        );
    }

    impl Issue {
        fn message_is(&self, m: &str) -> bool {
            self.problem.message == m
        }
    }

    #[test]
    fn encoding_points_at_the_first_bad_byte() {
        let issue = encoding("f", b"ok\nab\xffcd").unwrap();
        assert_eq!((issue.problem.line, issue.problem.column), (2, 3));
        assert!(encoding("f", "\u{FEFF}héllo".as_bytes()).is_none());
        assert!(encoding("f", b"\xEF\xBB\xBFfine").is_none());
    }

    #[test]
    fn secrets_name_the_rule_but_never_the_secret() {
        let token = format!("ghp_{}", "A1b2".repeat(9));
        let text = format!("# notes\n\ntoken: {token}\n");
        let issues = secrets("SESSION_HANDOFFS/a.md", &text, &Allowlist::default());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].problem.line, 3);
        assert_eq!(issues[0].kind, Kind::Secret);
        assert!(issues[0].problem.message.contains("rule"));
        assert!(!issues[0].to_string().contains(&token));
        let allow = Allowlist::new(vec![token.clone()], vec![]).unwrap();
        assert!(secrets("a", &text, &allow).is_empty());
    }

    #[test]
    fn events_checks_lines_start_and_last_activity() {
        let text = concat!(
            "{\"at\":\"2025-11-15T20:00:00Z\",\"kind\":\"start\",\"session_id\":\"s1\"}\n",
            "{\"at\":\"2025-11-15T21:00:00Z\",\"kind\":\"decision\",\"decision\":\"x\"}\n",
            "{\"at\":\"2025-11-15T21:30:00Z\",\"kind\":\"bogus\"}\n",
            "not json\n",
            "{\"at\":\"2025-11-15T2"
        );
        let c = events("ACTIVE_SESSIONS/s1.jsonl", "s1", text);
        assert_eq!(c.session_id, "s1");
        assert_eq!(c.last_event, Some((t("2025-11-15T21:00:00Z"), 2)));
        let shown: Vec<(usize, Kind, Severity)> = c
            .issues
            .iter()
            .map(|i| (i.problem.line, i.kind, i.problem.severity))
            .collect();
        assert_eq!(
            shown,
            vec![
                (4, Kind::Syntax, Severity::Error),
                (5, Kind::Syntax, Severity::Warning),
                (3, Kind::Schema, Severity::Error),
            ]
        );
        let other = events(
            "A/s2.jsonl",
            "s2",
            "{\"at\":\"x\",\"kind\":\"start\",\"session_id\":\"s1\"}\n",
        );
        assert!(other.issues[0].problem.message.contains("file is named"));
    }

    #[test]
    fn stale_after_a_day_says_how_to_end_or_resume() {
        let last = t("2025-11-15T20:00:00Z");
        assert!(stale("p", 1, "s1", last, t("2025-11-16T19:59:00Z")).is_none());
        let issue = stale("p", 3, "s1", last, t("2025-11-18T20:00:00Z")).unwrap();
        assert_eq!(issue.kind, Kind::StaleSession);
        assert!(issue.problem.message.contains("3 d"));
        assert!(issue.problem.message.contains("baton end --session s1"));
        assert!(issue.problem.message.contains("baton log"));
    }

    #[test]
    fn knowledge_shapes() {
        assert!(knowledge("k", "{\"total_sessions\": 3, \"pending_work\": []}").is_empty());
        assert!(knowledge("k", "{\"total_sessions\": \"3\"}").is_empty());
        let issues = knowledge("k", "{\n\"total_sessions\": [],\n\"pending_work\": \"x\"}");
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].problem.line, 2);
        assert_eq!(issues[1].problem.severity, Severity::Warning);
        let broken = knowledge("k", "{\"a\": }");
        assert_eq!(broken[0].kind, Kind::Syntax);
    }

    #[test]
    fn file_names_and_archives() {
        assert!(file_name("p", Some("ok.json"), "ok", true).is_none());
        let bad = file_name("p", Some("a\u{1}b.json"), "a\u{1}b", true).unwrap();
        assert_eq!(bad.kind, Kind::UnsafeName);
        assert!(file_name("p", None, "x", false).is_some());
        assert!(file_name("p", Some("a..b:c.md"), "a..b:c", false).is_none());
        assert!(file_name("p", Some("a\nb.md"), "a\nb", false).is_some());
        let a = archive(
            "SESSION_LOGS/s2.json",
            "s2",
            "{\"session_id\": \"s1\", \"ended_at\": \"2025-11-15T20:00:00Z\"}",
        );
        assert_eq!(a.len(), 1);
        assert!(a[0].problem.message.contains("differs from the file name"));
    }

    #[test]
    fn sort_puts_file_problems_first() {
        let mut v = vec![
            unmerged("u", "s", true),
            Issue::error(Kind::Secret, "a", 1, 1, "s".into()),
            Issue::error(Kind::Syntax, "z", 1, 1, "x".into()),
        ];
        sort(&mut v);
        let kinds: Vec<Kind> = v.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, vec![Kind::Syntax, Kind::Secret, Kind::Unmerged]);
    }
}
