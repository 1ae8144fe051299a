//! The memory-server outbox, as data: an item waiting to be delivered, its retry schedule,
//! the request bodies of the two server flavours, and their answers read back. No I/O: the
//! store keeps items on disk (`.baton/outbox/<id>.json`), `sync::memory` sends them.
//!
//! Delivery is at-least-once with an idempotency key: an item is removed only after the
//! server answered 2xx, so a crash between the server's answer and the removal sends it
//! again, with the same `Idempotency-Key` (the item's id). A server that deduplicates on
//! that key therefore stores each item exactly once; a server that ignores it may store a
//! re-sent item twice, and its answer is all baton can go by.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::items::value_text;
use super::session::SessionRecord;
use super::time::{format_timestamp, parse_timestamp};

/// The kind of an item holding an ended session.
pub const KIND_SESSION: &str = "session";

/// First retry after a failure; each further failure doubles it, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF_SECS: i64 = 30;
/// The longest wait between two automatic attempts.
pub const MAX_BACKOFF_SECS: i64 = 3600;
/// `baton validate` reports an item that failed more often than this.
pub const STUCK_AFTER_ATTEMPTS: u32 = 8;
/// `baton validate` reports an item waiting longer than this.
pub const STUCK_AFTER_HOURS: i64 = 24;
/// `baton validate` reports a sync whose last success is older than this (days), unless
/// the config says otherwise (`sync.stale_after_days`).
pub const SYNC_STALE_AFTER_DAYS: i64 = 7;

/// Which memory server API to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// The seed's: `POST /memory/store-session`, `GET /memory/get-context`.
    #[default]
    Seed,
    /// Mem0's open-source REST server: `POST /memories`, `POST /search`.
    Mem0,
}

impl Flavour {
    pub fn parse(text: &str) -> Option<Flavour> {
        match text.trim().to_ascii_lowercase().as_str() {
            "seed" | "i-proactive" | "iproactive" => Some(Flavour::Seed),
            "mem0" => Some(Flavour::Mem0),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Seed => "seed",
            Flavour::Mem0 => "mem0",
        }
    }
}

/// Whose memories these are, for Mem0 (which needs a `user_id`, `agent_id` or `run_id`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
}

impl Identity {
    /// The configured ids; with neither, `agent_id: "baton"`.
    fn fields(&self) -> Map<String, Value> {
        let mut map = Map::new();
        if let Some(u) = self.user_id.as_deref().filter(|u| !u.trim().is_empty()) {
            map.insert("user_id".into(), Value::String(u.to_string()));
        }
        if let Some(a) = self.agent_id.as_deref().filter(|a| !a.trim().is_empty()) {
            map.insert("agent_id".into(), Value::String(a.to_string()));
        }
        if map.is_empty() {
            map.insert("agent_id".into(), Value::String("baton".into()));
        }
        map
    }
}

/// One thing waiting to be delivered. Fields baton does not know survive a rewrite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// Unique per item; the file name and the `Idempotency-Key` header.
    pub id: String,
    pub kind: String,
    pub created_at: String,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<String>,
    /// No automatic attempt before this time (`baton sync` tries regardless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// What is sent, already redacted: for a session, the seed's store-session shape.
    pub payload: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OutboxItem {
    pub fn session(id: String, payload: Value, now: DateTime<Utc>) -> OutboxItem {
        OutboxItem {
            id,
            kind: KIND_SESSION.into(),
            created_at: format_timestamp(now),
            attempts: 0,
            last_attempt_at: None,
            next_attempt_at: None,
            last_error: None,
            payload,
            extra: Map::new(),
        }
    }

    /// The session this item carries, if it carries one.
    pub fn session_id(&self) -> Option<&str> {
        self.payload.get("session_id").and_then(Value::as_str)
    }

    pub fn created(&self) -> Option<DateTime<Utc>> {
        parse_timestamp(&self.created_at)
    }

    /// Whether an automatic attempt may run now (a new item, or its backoff has passed).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_attempt_at
            .as_deref()
            .and_then(parse_timestamp)
            .is_none_or(|t| t <= now)
    }

    /// Records a failed attempt and schedules the next one.
    pub fn failed(&mut self, why: &str, now: DateTime<Utc>) {
        self.attempts = self.attempts.saturating_add(1);
        self.last_attempt_at = Some(format_timestamp(now));
        self.next_attempt_at = Some(format_timestamp(now + backoff(self.attempts)));
        self.last_error = Some(why.chars().take(300).collect());
    }
}

/// The wait after the `attempts`-th failure: 30 s, 1 m, 2 m, 4 m … up to an hour.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    Duration::seconds((FIRST_BACKOFF_SECS << doublings).min(MAX_BACKOFF_SECS))
}

/// An ended session in the seed's store-session shape (`session_id`, `summary`,
/// `key_achievements`, `decisions`, `next_steps`, …), plus what else the record holds
/// that a memory should know. The caller redacts it.
pub fn session_payload(record: &SessionRecord, handoff_file: Option<&str>) -> Value {
    let summary = record
        .summary
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| record.primary_goal.clone());
    let mut v = json!({
        "session_id": record.session_id,
        "summary": summary,
        "key_achievements": record.achievements,
        "decisions": record.decisions_made.iter().map(|d| d.to_value()).collect::<Vec<_>>(),
        "next_steps": record.next_steps.iter().map(|p| p.to_value()).collect::<Vec<_>>(),
        "primary_goal": record.primary_goal,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration_hours": record.duration_hours,
        "insights": record.insights_gained,
        "blockers": record.blockers_encountered.iter().map(|b| b.to_value()).collect::<Vec<_>>(),
        "code_created": record.code_created,
        "files_modified": record.files_modified,
        "handoff_notes": record.handoff_notes,
    });
    if let Some(h) = handoff_file {
        v["handoff_file"] = Value::String(h.to_string());
    }
    v
}

/// What is POSTed to `{URL}/memory/store-session` (the seed's flavour).
pub fn seed_body(item: &OutboxItem) -> Value {
    item.payload.clone()
}

/// What is POSTed to `{URL}/memories` (Mem0): the session as one message, stored as it is
/// (`infer: false`: no fact extraction by a model), with the ids in `metadata`.
pub fn mem0_body(item: &OutboxItem, who: &Identity) -> Value {
    let mut body = who.fields();
    body.insert(
        "messages".into(),
        json!([{"role": "user", "content": session_text(&item.payload)}]),
    );
    let mut metadata = Map::new();
    metadata.insert("source".into(), Value::String("baton".into()));
    metadata.insert("kind".into(), Value::String(item.kind.clone()));
    metadata.insert("baton_item_id".into(), Value::String(item.id.clone()));
    for key in ["session_id", "ended_at", "handoff_file"] {
        if let Some(v) = item.payload.get(key).filter(|v| !v.is_null()) {
            metadata.insert(key.into(), v.clone());
        }
    }
    body.insert("metadata".into(), Value::Object(metadata));
    body.insert("infer".into(), Value::Bool(false));
    Value::Object(body)
}

/// What is POSTed to `{URL}/search` (Mem0) for `baton context --query`.
pub fn mem0_search_body(query: &str, who: &Identity, limit: usize) -> Value {
    let ids = who.fields();
    let mut body = ids.clone();
    body.insert("query".into(), Value::String(query.to_string()));
    body.insert("filters".into(), Value::Object(ids));
    body.insert("top_k".into(), Value::from(limit));
    Value::Object(body)
}

/// A session payload as a few lines of text (Mem0 stores messages, not JSON).
pub fn session_text(payload: &Value) -> String {
    let text = |key: &str| payload.get(key).map(value_text).unwrap_or_default();
    let list = |key: &str, field: &str| -> Vec<String> {
        payload
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|i| match i {
                        Value::Object(m) => m.get(field).map(value_text).unwrap_or_default(),
                        other => value_text(other),
                    })
                    .filter(|s| !s.trim().is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = format!("Session {}", text("session_id"));
    let goal = text("primary_goal");
    if !goal.trim().is_empty() {
        out.push_str(&format!(" ({goal})"));
    }
    let ended = text("ended_at");
    if !ended.is_empty() {
        out.push_str(&format!(", ended {ended}"));
    }
    out.push('.');
    let summary = text("summary");
    if !summary.trim().is_empty() && summary != goal {
        out.push_str(&format!("\nSummary: {summary}"));
    }
    for (label, key, field) in [
        ("Achievements", "key_achievements", ""),
        ("Decisions", "decisions", "decision"),
        ("Next steps", "next_steps", "task"),
        ("Insights", "insights", ""),
    ] {
        let items = list(key, field);
        if !items.is_empty() {
            out.push_str(&format!("\n{label}: {}", items.join("; ")));
        }
    }
    let notes = text("handoff_notes");
    if !notes.trim().is_empty() {
        out.push_str(&format!("\nNotes: {notes}"));
    }
    out
}

/// At most this many lines of a memory server's answer go into the context pack.
pub const MAX_CONTEXT_LINES: usize = 40;
const MAX_LINE_CHARS: usize = 400;

/// The `context` of a `GET /memory/get-context` answer, as lines for the context pack: a
/// string is split into its lines, a list gives a line per entry, an object a line per
/// field. A body that is not JSON is taken as text.
pub fn seed_context_lines(body: &str) -> Vec<String> {
    let value: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => Value::String(body.to_string()),
    };
    let context = match &value {
        Value::Object(map) => map.get("context").cloned().unwrap_or(value.clone()),
        other => other.clone(),
    };
    let lines: Vec<String> = match context {
        Value::String(s) => s.lines().map(str::to_string).collect(),
        Value::Array(items) => items.iter().map(one_line).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", one_line(v)))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    };
    tidy(lines)
}

/// The memories of a Mem0 `POST /search` answer (`{"results": [{"memory": …}]}`, or a bare
/// list from older servers), one line each.
pub fn mem0_context_lines(body: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let results = match &value {
        Value::Object(map) => map.get("results").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let lines = results
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| match i.get("memory") {
                    Some(m) => value_text(m),
                    None => one_line(i),
                })
                .collect()
        })
        .unwrap_or_default();
    tidy(lines)
}

fn one_line(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(map) => map
            .get("memory")
            .or_else(|| map.get("text"))
            .or_else(|| map.get("content"))
            .map(value_text)
            .unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

fn tidy(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .map(|l| {
            if l.chars().count() > MAX_LINE_CHARS {
                let cut: String = l.chars().take(MAX_LINE_CHARS - 1).collect();
                format!("{cut}…")
            } else {
                l
            }
        })
        .take(MAX_CONTEXT_LINES)
        .collect()
}

/// `.baton/sync.json`: when each kind of sync last ran and last succeeded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SyncState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<SyncRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<SyncRun>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SyncRun {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<String>,
    /// Why the last attempt failed; `None` when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SyncRun {
    pub fn record(&mut self, result: Result<(), &str>, now: DateTime<Utc>) {
        let at = format_timestamp(now);
        self.last_attempt = Some(at.clone());
        match result {
            Ok(()) => {
                self.last_success = Some(at);
                self.last_error = None;
            }
            Err(why) => self.last_error = Some(why.chars().take(300).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::items::{Decision, PendingItem, Priority};

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let secs: Vec<i64> = (1..=10).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(u32::MAX).num_seconds(), 3600);
    }

    #[test]
    fn failure_schedules_the_next_attempt() {
        let now = t("2025-11-15T10:00:00Z");
        let mut item = OutboxItem::session("x".into(), json!({"session_id": "s"}), now);
        assert!(item.is_due(now));
        item.failed("HTTP 500", now);
        item.failed("HTTP 500", now);
        assert_eq!(item.attempts, 2);
        assert_eq!(
            item.next_attempt_at.as_deref(),
            Some("2025-11-15T10:01:00Z")
        );
        assert!(!item.is_due(t("2025-11-15T10:00:59Z")));
        assert!(item.is_due(t("2025-11-15T10:01:00Z")));
        // Unknown fields survive a round trip.
        let mut v = serde_json::to_value(&item).unwrap();
        v["note"] = json!("mine");
        let back: OutboxItem = serde_json::from_value(v).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap()["note"], "mine");
    }

    #[test]
    fn bodies_of_both_flavours() {
        let record = SessionRecord {
            session_id: "2025-11-15-001".into(),
            primary_goal: "Ship".into(),
            summary: Some("Shipped the API".into()),
            achievements: vec!["Wrote /health".into()],
            decisions_made: vec![Decision::new("Use Axum")],
            next_steps: vec![PendingItem::new("Add TLS", Priority::High)],
            ended_at: Some("2025-11-15T12:00:00Z".into()),
            ..Default::default()
        };
        let payload = session_payload(&record, Some("2025-11-15_session_1.md"));
        assert_eq!(payload["summary"], "Shipped the API");
        assert_eq!(payload["key_achievements"][0], "Wrote /health");
        assert_eq!(payload["decisions"][0]["decision"], "Use Axum");
        assert_eq!(payload["next_steps"][0]["task"], "Add TLS");
        let item = OutboxItem::session("id-1".into(), payload, t("2025-11-15T12:00:00Z"));
        assert_eq!(seed_body(&item)["session_id"], "2025-11-15-001");
        let body = mem0_body(&item, &Identity::default());
        assert_eq!(body["agent_id"], "baton");
        assert_eq!(body["infer"], false);
        assert_eq!(body["metadata"]["baton_item_id"], "id-1");
        assert_eq!(body["metadata"]["session_id"], "2025-11-15-001");
        let content = body["messages"][0]["content"].as_str().unwrap();
        assert!(
            content.starts_with("Session 2025-11-15-001 (Ship)"),
            "{content}"
        );
        assert!(content.contains("Decisions: Use Axum"), "{content}");
        assert!(content.contains("Next steps: Add TLS"), "{content}");
        let who = Identity {
            user_id: Some("ana".into()),
            agent_id: None,
        };
        let body = mem0_body(&item, &who);
        assert_eq!(body["user_id"], "ana");
        assert!(body.get("agent_id").is_none());
        let search = mem0_search_body("deploys", &who, 5);
        assert_eq!(search["filters"]["user_id"], "ana");
        assert_eq!(search["top_k"], 5);
    }

    #[test]
    fn answers_become_lines() {
        assert_eq!(
            seed_context_lines(r#"{"context": "Last: built X\n\nNext: Y"}"#),
            ["Last: built X", "Next: Y"]
        );
        assert_eq!(
            seed_context_lines(r#"{"context": [{"memory": "a"}, "b"]}"#),
            ["a", "b"]
        );
        assert_eq!(seed_context_lines("plain text"), ["plain text"]);
        assert_eq!(
            mem0_context_lines(r#"{"results": [{"id": "1", "memory": "Uses Axum"}]}"#),
            ["Uses Axum"]
        );
        assert_eq!(
            mem0_context_lines(r#"[{"memory": "old shape"}]"#),
            ["old shape"]
        );
        assert!(mem0_context_lines("<html>").is_empty());
    }
}
