//! A session record in the seed's section-1 schema, plus what baton adds (commits, template
//! checklist, best practices, completed pending work). Unknown fields live in `extra`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::items::{Blocker, Decision, PendingItem};
use super::time::parse_timestamp;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One git commit of a session's time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    pub hash: String,
    pub author: String,
    pub date: String,
    pub subject: String,
}

impl Commit {
    /// `git log --oneline` shape, as the seed appends to `CODE_CHANGES.log`.
    pub fn oneline(&self) -> String {
        let short: String = self.hash.chars().take(7).collect();
        format!("{short} {}", self.subject)
    }
}

/// A checklist entry from a session template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub section: String,
    pub item: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SessionRecord {
    #[serde(default)]
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_hours: Option<f64>,
    #[serde(default)]
    pub primary_goal: String,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub achievements: Vec<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub decisions_made: Vec<Decision>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub code_created: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub insights_gained: Vec<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub blockers_encountered: Vec<Blocker>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub next_steps: Vec<PendingItem>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub files_modified: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub services_deployed: Vec<String>,
    #[serde(default)]
    pub metrics: Map<String, Value>,
    #[serde(default)]
    pub handoff_notes: String,

    // What baton adds. Skipped when empty so that a seed-style record stays seed-shaped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<ChecklistItem>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient::strings"
    )]
    pub best_practices: Vec<String>,
    /// Pending work this session finished (leaves `pending_work` on merge).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient::strings"
    )]
    pub completed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<Commit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_commands: Option<String>,

    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SessionRecord {
    pub fn started(&self) -> Option<DateTime<Utc>> {
        self.started_at.as_deref().and_then(parse_timestamp)
    }

    pub fn ended(&self) -> Option<DateTime<Utc>> {
        self.ended_at.as_deref().and_then(parse_timestamp)
    }

    pub fn is_active(&self) -> bool {
        self.ended_at.as_deref().is_none_or(|s| s.trim().is_empty())
    }

    /// Hours between start and `until`, rounded to hundredths.
    pub fn hours_until(&self, until: DateTime<Utc>) -> Option<f64> {
        let start = self.started()?;
        let secs = (until - start).num_seconds().max(0) as f64;
        Some((secs / 36.0).round() / 100.0)
    }

    /// How many things the session has logged, for headers and listings.
    pub fn counts(&self) -> SessionCounts {
        SessionCounts {
            decisions: self.decisions_made.len(),
            achievements: self.achievements.len(),
            insights: self.insights_gained.len(),
            blockers: self.blockers_encountered.len(),
            next_steps: self.next_steps.len(),
            code: self.code_created.len(),
        }
    }

    pub fn from_map(map: Map<String, Value>) -> Result<SessionRecord, serde_json::Error> {
        serde_json::from_value(Value::Object(map))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SessionCounts {
    pub decisions: usize,
    pub achievements: usize,
    pub insights: usize,
    pub blockers: usize,
    pub next_steps: usize,
    pub code: usize,
}

/// Hand-written records put a string where a list belongs, or objects in a string list;
/// none of that should make a whole session unreadable.
mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    use crate::domain::items::value_text;

    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items
                .iter()
                .map(text_of)
                .filter(|s| !s.is_empty())
                .collect(),
            Value::Null => Vec::new(),
            other => vec![text_of(&other)],
        })
    }

    fn text_of(v: &Value) -> String {
        match v {
            // `{"path": …, "note": …}` style objects read as "path - note".
            Value::Object(map) => {
                let parts: Vec<String> = map
                    .values()
                    .map(value_text)
                    .filter(|s| !s.is_empty())
                    .collect();
                parts.join(" - ")
            }
            other => value_text(other),
        }
    }

    pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let value = Value::deserialize(d)?;
        let items = match value {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        items
            .into_iter()
            .map(|v| T::deserialize(v).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../tests/fixtures/seed/CURRENT_SESSION.json");

    #[test]
    fn seed_session_reads_and_round_trips_in_value() {
        let original: Value = serde_json::from_str(SEED).unwrap();
        let record: SessionRecord = serde_json::from_str(SEED).unwrap();
        assert_eq!(record.session_id, "2025-11-15-001");
        assert_eq!(
            record.decisions_made[1].impact.as_deref(),
            Some("All agents now sovereign")
        );
        assert_eq!(
            record.blockers_encountered[0].solution.as_deref(),
            Some("pip install litellm")
        );
        assert_eq!(record.duration_hours, Some(2.5));
        assert!(!record.is_active());
        let back = serde_json::to_value(&record).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn odd_shapes_do_not_make_a_record_unreadable() {
        let r: SessionRecord = serde_json::from_str(
            r#"{"session_id": "x", "achievements": "one thing", "code_created": [{"path": "a.rs", "note": "new"}], "mood": "good"}"#,
        )
        .unwrap();
        assert_eq!(r.achievements, vec!["one thing"]);
        assert_eq!(r.code_created, vec!["a.rs - new"]);
        assert_eq!(r.extra["mood"], "good");
        assert!(r.is_active());
    }

    #[test]
    fn hours_are_rounded() {
        let r = SessionRecord {
            started_at: Some("2025-11-15T20:00:00Z".into()),
            ..Default::default()
        };
        let end = parse_timestamp("2025-11-15T22:30:00Z").unwrap();
        assert_eq!(r.hours_until(end), Some(2.5));
    }
}
