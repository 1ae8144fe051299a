//! The unified knowledge base (`UNIFIED_KNOWLEDGE.json`, seed section 2).
//!
//! It is kept as the raw JSON object it was read as: typed views read from it, and the merge
//! edits only the fields it owns, so every field baton does not know survives untouched and
//! in its place.

use serde::Serialize;
use serde_json::{Map, Number, Value};

use super::items::{Decision, PendingItem, Priority, list_of, value_text};
use super::session::SessionRecord;
use super::text::normalize;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Knowledge {
    pub doc: Map<String, Value>,
}

/// A component of `architecture_state`: `"name": "status"` or `"name": {"status": …, …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub name: String,
    pub status: Option<String>,
    /// Other fields of the object form, as `key: value` text.
    pub details: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Totals {
    pub sessions: u64,
    pub hours: f64,
}

/// Field names baton reads and writes; everything else is the user's.
pub const KNOWN_FIELDS: [&str; 7] = [
    "last_updated",
    "total_sessions",
    "total_hours",
    "core_decisions",
    "architecture_state",
    "best_practices",
    "pending_work",
];

/// Records the last session merged, so that finishing an interrupted `end` never counts a
/// session twice (the merge is the last step, and the write of this file is atomic).
pub const LAST_MERGED: &str = "last_merged_session";

impl Knowledge {
    pub fn new(doc: Map<String, Value>) -> Self {
        Knowledge { doc }
    }

    pub fn last_updated(&self) -> Option<String> {
        self.doc.get("last_updated").map(value_text)
    }

    pub fn totals(&self) -> Totals {
        Totals {
            sessions: number(self.doc.get("total_sessions")).map_or(0, |n| n.max(0.0) as u64),
            hours: number(self.doc.get("total_hours")).unwrap_or(0.0),
        }
    }

    pub fn core_decisions(&self) -> Vec<Decision> {
        list_of(self.doc.get("core_decisions"), Decision::from_value)
    }

    pub fn pending(&self) -> Vec<PendingItem> {
        list_of(self.doc.get("pending_work"), PendingItem::from_value)
    }

    /// Pending work, high priority first, keeping file order within a priority.
    pub fn pending_by_priority(&self) -> Vec<PendingItem> {
        let mut items = self.pending();
        items.sort_by_key(|i| i.priority);
        items
    }

    pub fn best_practices(&self) -> Vec<String> {
        list_of(self.doc.get("best_practices"), |v| value_text(&v))
    }

    pub fn architecture(&self) -> Vec<Component> {
        let Some(Value::Object(map)) = self.doc.get("architecture_state") else {
            return Vec::new();
        };
        map.iter()
            .map(|(name, value)| match value {
                Value::Object(fields) => Component {
                    name: name.clone(),
                    status: fields.get("status").map(value_text),
                    details: fields
                        .iter()
                        .filter(|(k, _)| k.as_str() != "status")
                        .map(|(k, v)| (k.clone(), compact(v)))
                        .collect(),
                },
                other => Component {
                    name: name.clone(),
                    status: Some(value_text(other)),
                    details: Vec::new(),
                },
            })
            .collect()
    }

    /// Top-level fields baton does not interpret (revenue_streams, code_patterns, …), for display.
    pub fn other_fields(&self) -> Vec<(&str, &Value)> {
        self.doc
            .iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()) && k.as_str() != LAST_MERGED)
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    }

    pub fn last_merged(&self) -> Option<&str> {
        self.doc.get(LAST_MERGED).and_then(Value::as_str)
    }

    /// Merges an ended session: totals, `last_updated`, its decisions into `core_decisions`,
    /// its next steps into `pending_work` (finished items leave), its best practices.
    /// Idempotent for the session last merged.
    pub fn merge_session(&mut self, session: &SessionRecord) {
        if !session.session_id.is_empty() && self.last_merged() == Some(session.session_id.as_str())
        {
            return;
        }
        let totals = self.totals();
        self.doc
            .insert("total_sessions".into(), Value::from(totals.sessions + 1));
        let hours = totals.hours + session.duration_hours.unwrap_or(0.0);
        self.doc.insert("total_hours".into(), round_hours(hours));
        if let Some(ended) = &session.ended_at {
            self.doc
                .insert("last_updated".into(), Value::String(ended.clone()));
        }
        self.merge_decisions(session);
        self.merge_pending(session);
        self.merge_practices(&session.best_practices);
        if !session.session_id.is_empty() {
            self.doc.insert(
                LAST_MERGED.into(),
                Value::String(session.session_id.clone()),
            );
        }
    }

    fn merge_decisions(&mut self, session: &SessionRecord) {
        if session.decisions_made.is_empty() {
            return;
        }
        let date: Option<String> = session
            .ended_at
            .as_deref()
            .or(session.started_at.as_deref())
            .map(|s| s.chars().take(10).collect());
        let list = array_field(&mut self.doc, "core_decisions");
        // Only the ids are looked at (no copies): an `end` stays cheap with 25,000 decisions.
        let first_id = list
            .iter()
            .filter_map(|v| {
                v.get("id")?
                    .as_str()?
                    .rsplit('-')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(list.len() as u64)
            + 1;
        for (next_id, d) in (first_id..).zip(&session.decisions_made) {
            let mut entry = d.clone();
            entry.id = Some(format!("decision-{next_id:03}"));
            entry.date = entry.date.or_else(|| date.clone());
            entry.status = entry.status.or_else(|| Some("decided".into()));
            entry.session_id = Some(session.session_id.clone());
            list.push(entry.to_value());
        }
    }

    fn merge_pending(&mut self, session: &SessionRecord) {
        let finished: Vec<String> = session
            .completed
            .iter()
            .chain(session.achievements.iter())
            .map(|t| normalize(t))
            .collect();
        let list = array_field(&mut self.doc, "pending_work");
        list.retain(|v| !finished.contains(&PendingItem::from_value(v.clone()).key()));
        let mut present: Vec<String> = list
            .iter()
            .map(|v| PendingItem::from_value(v.clone()).key())
            .collect();
        for step in &session.next_steps {
            let key = step.key();
            if key.is_empty() || present.contains(&key) || finished.contains(&key) {
                continue;
            }
            let mut item = step.clone();
            if !item.has_priority() {
                item.set_priority(Priority::Medium);
            }
            item.extra
                .entry("added_by")
                .or_insert_with(|| Value::String(session.session_id.clone()));
            if let Some(at) = &session.ended_at {
                item.extra
                    .entry("added_at")
                    .or_insert_with(|| Value::String(at.clone()));
            }
            list.push(item.to_value());
            present.push(key);
        }
    }

    fn merge_practices(&mut self, practices: &[String]) {
        if practices.is_empty() {
            return;
        }
        let list = array_field(&mut self.doc, "best_practices");
        let mut present: Vec<String> = list.iter().map(|v| normalize(&value_text(v))).collect();
        for p in practices {
            let key = normalize(p);
            if !present.contains(&key) {
                list.push(Value::String(p.clone()));
                present.push(key);
            }
        }
    }

    /// Pending work as it will stand once `session` is merged (what its handoff lists).
    pub fn pending_after(&self, session: &SessionRecord) -> Vec<PendingItem> {
        let mut next = Knowledge::new(Map::from_iter(
            self.doc
                .get("pending_work")
                .map(|v| ("pending_work".to_string(), v.clone())),
        ));
        next.merge_session(session);
        next.pending()
    }

    pub fn to_pretty_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.doc).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }
}

/// The array at `key`, created if missing; a non-array value is wrapped so it is not lost.
fn array_field<'a>(doc: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let slot = doc
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        let old = std::mem::take(slot);
        *slot = Value::Array(if old.is_null() { Vec::new() } else { vec![old] });
    }
    match slot {
        Value::Array(list) => list,
        _ => unreachable!("slot was just made an array"),
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whole hours stay integers (as the seed writes `45`), fractions keep two decimals.
fn round_hours(h: f64) -> Value {
    let rounded = (h * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        Value::from(rounded as i64)
    } else {
        Number::from_f64(rounded).map_or(Value::Null, Value::Number)
    }
}

/// One-line text of a value: strings bare, arrays comma-joined, objects as JSON.
pub fn compact(v: &Value) -> String {
    match v {
        Value::Array(items) => items.iter().map(compact).collect::<Vec<_>>().join(", "),
        other => value_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::json_doc::parse_object_strict;

    const REPAIRED: &str =
        include_str!("../../tests/fixtures/seed/UNIFIED_KNOWLEDGE.repaired.json");

    fn seed() -> Knowledge {
        Knowledge::new(parse_object_strict("k", REPAIRED).unwrap())
    }

    #[test]
    fn seed_views() {
        let k = seed();
        assert_eq!(
            k.totals(),
            Totals {
                sessions: 15,
                hours: 45.0
            }
        );
        assert_eq!(k.core_decisions().len(), 2);
        assert_eq!(k.pending_by_priority()[2].priority, Priority::Medium);
        let arch = k.architecture();
        assert_eq!(arch[0].name, "sovereign_ai");
        assert_eq!(arch[0].status.as_deref(), Some("deployed"));
        assert!(
            arch[0]
                .details
                .iter()
                .any(|(k, v)| k == "agents" && v.starts_with("strategist, builder"))
        );
        let others: Vec<&str> = k.other_fields().iter().map(|(k, _)| *k).collect();
        assert_eq!(others, vec!["revenue_streams", "code_patterns"]);
    }

    #[test]
    fn immediate_setup_shapes() {
        let doc = parse_object_strict(
            "k",
            r#"{"total_sessions": 1, "architecture_state": {"sovereign_ai": "deployed"},
                "pending_work": ["Deploy sovereign dashboard", "Execute optimization strategy"]}"#,
        )
        .unwrap();
        let k = Knowledge::new(doc);
        assert_eq!(k.pending()[0].task, "Deploy sovereign dashboard");
        assert_eq!(k.architecture()[0].status.as_deref(), Some("deployed"));
    }

    #[test]
    fn merge_adds_counts_decisions_pending_and_keeps_the_rest() {
        let mut k = seed();
        let before_other = k.doc["revenue_streams"].clone();
        let s = SessionRecord {
            session_id: "2025-11-16-001".into(),
            started_at: Some("2025-11-16T10:00:00Z".into()),
            ended_at: Some("2025-11-16T11:30:00Z".into()),
            duration_hours: Some(1.5),
            achievements: vec!["✅ Deploy sovereign dashboard".into()],
            decisions_made: vec![Decision::new("Keep Ollama on 11434")],
            next_steps: vec![PendingItem::new("Write runbook", Priority::High)],
            best_practices: vec![
                "Test endpoints after deployment".into(),
                "Pin model versions".into(),
            ],
            ..Default::default()
        };
        k.merge_session(&s);
        assert_eq!(
            k.totals(),
            Totals {
                sessions: 16,
                hours: 46.5
            }
        );
        assert_eq!(k.last_updated().as_deref(), Some("2025-11-16T11:30:00Z"));
        let decisions = k.core_decisions();
        assert_eq!(decisions[2].id.as_deref(), Some("decision-003"));
        assert_eq!(decisions[2].date.as_deref(), Some("2025-11-16"));
        let tasks: Vec<String> = k.pending().iter().map(|p| p.task.clone()).collect();
        assert!(!tasks.contains(&"Deploy sovereign dashboard".to_string()));
        assert!(tasks.contains(&"Write runbook".to_string()));
        assert_eq!(k.best_practices().len(), 6);
        assert_eq!(k.doc["revenue_streams"], before_other);
        // Merging the same session again changes nothing.
        let once = k.clone();
        k.merge_session(&s);
        assert_eq!(k, once);
    }
}
