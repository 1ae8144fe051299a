//! The list items that appear in sessions, logs and the knowledge base. Each comes in two
//! shapes in the wild (a bare string, or an object with more fields); both are read, unknown
//! fields are kept in `extra`, and an item read as a string is written back as one.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::text::normalize;

/// Priority of pending work. Unknown words read as `Medium` but keep their spelling on disk.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    High,
    #[default]
    Medium,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

    pub fn parse(text: &str) -> Option<Priority> {
        match text.trim().to_ascii_lowercase().as_str() {
            "high" | "h" | "p0" | "p1" | "urgent" | "critical" => Some(Priority::High),
            "medium" | "med" | "m" | "p2" | "normal" => Some(Priority::Medium),
            "low" | "l" | "p3" | "later" => Some(Priority::Low),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(_)) => match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        Some(Value::Number(n)) => {
            let s = n.to_string();
            map.remove(key);
            Some(s)
        }
        _ => None,
    }
}

/// An object's fields in file order, before they become an item: reading known fields out
/// of a short list is much cheaper than building a map for each of 25,000 decisions.
struct Fields(Vec<(Cow<'static, str>, Value)>);

impl Fields {
    fn into_map(self) -> Map<String, Value> {
        self.0
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v))
            .collect()
    }
}

fn put_str(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        map.insert(key.to_string(), Value::String(v.clone()));
    }
}

/// Text of any JSON value, for items of an unexpected shape (shown, never lost).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A decision: `decisions_made` in a session, `core_decisions` in the knowledge base,
/// a line of `DECISIONS_LOG.json`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    pub decision: String,
    pub reasoning: Option<String>,
    pub impact: Option<String>,
    pub status: Option<String>,
    pub date: Option<String>,
    pub id: Option<String>,
    pub session_id: Option<String>,
    /// Every other field, written back untouched.
    pub extra: Map<String, Value>,
    was_string: bool,
}

impl Decision {
    pub fn new(decision: impl Into<String>) -> Self {
        Decision {
            decision: decision.into(),
            ..Decision::default()
        }
    }

    pub fn from_value(value: Value) -> Self {
        match value {
            Value::Object(map) => Self::from_fields(Fields(
                map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
            )),
            other => Decision {
                decision: value_text(&other),
                was_string: true,
                ..Decision::default()
            },
        }
    }

    fn from_fields(f: Fields) -> Self {
        // One pass puts each known field in its slot (a repeated key: the last value, as in
        // a map); then each is taken as `take_str` would, in the same order.
        let mut slots: [Option<Value>; 10] = Default::default();
        let mut extra = Vec::with_capacity(f.0.len());
        for (key, value) in f.0 {
            match DECISION_SLOTS.iter().position(|k| *k == key) {
                Some(i) => slots[i] = Some(value),
                None => extra.push((key, value)),
            }
        }
        let mut take = |i: usize| match slots[i].take() {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                extra.push((Cow::Borrowed(DECISION_SLOTS[i]), other));
                None
            }
            None => None,
        };
        let decision = take(0).or_else(|| take(1)).or_else(|| take(2));
        let mut d = Decision {
            decision: decision.unwrap_or_default(),
            reasoning: take(3).or_else(|| take(4)),
            impact: take(5),
            status: take(6),
            date: take(7),
            id: take(8),
            session_id: take(9),
            extra: Map::new(),
            was_string: false,
        };
        // Aliases not needed (a `title` beside a `decision`) stay, as unknown fields do.
        for (i, slot) in slots.iter_mut().enumerate() {
            if let Some(v) = slot.take() {
                extra.push((Cow::Borrowed(DECISION_SLOTS[i]), v));
            }
        }
        d.extra = Fields(extra).into_map();
        d
    }

    pub fn to_value(&self) -> Value {
        let plain = self.reasoning.is_none()
            && self.impact.is_none()
            && self.status.is_none()
            && self.date.is_none()
            && self.id.is_none()
            && self.session_id.is_none()
            && self.extra.is_empty();
        if self.was_string && plain {
            return Value::String(self.decision.clone());
        }
        let mut map = Map::new();
        put_str(&mut map, "id", &self.id);
        put_str(&mut map, "date", &self.date);
        map.insert("decision".into(), Value::String(self.decision.clone()));
        put_str(&mut map, "reasoning", &self.reasoning);
        put_str(&mut map, "impact", &self.impact);
        put_str(&mut map, "status", &self.status);
        put_str(&mut map, "session_id", &self.session_id);
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }

    /// `results` is what the seed's core decisions call their outcome.
    pub fn results(&self) -> Option<&str> {
        self.extra.get("results").and_then(Value::as_str)
    }
}

/// An item of pending work or a next step: `{"priority", "task", "status"}` or a string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PendingItem {
    pub task: String,
    pub priority: Priority,
    /// The priority as written, when it is not one of ours (kept on disk as is).
    pub priority_raw: Option<String>,
    pub status: Option<String>,
    pub extra: Map<String, Value>,
    was_string: bool,
    had_priority: bool,
}

impl PendingItem {
    pub fn new(task: impl Into<String>, priority: Priority) -> Self {
        PendingItem {
            task: task.into(),
            priority,
            had_priority: true,
            ..PendingItem::default()
        }
    }

    pub fn from_value(value: Value) -> Self {
        match value {
            Value::Object(mut map) => {
                let task = take_str(&mut map, "task")
                    .or_else(|| take_str(&mut map, "title"))
                    .or_else(|| take_str(&mut map, "text"))
                    .or_else(|| take_str(&mut map, "name"))
                    .unwrap_or_default();
                let raw = take_str(&mut map, "priority");
                let parsed = raw.as_deref().and_then(Priority::parse);
                PendingItem {
                    task,
                    priority: parsed.unwrap_or_default(),
                    priority_raw: if parsed.is_none() { raw.clone() } else { None },
                    had_priority: raw.is_some(),
                    status: take_str(&mut map, "status"),
                    extra: map,
                    was_string: false,
                }
            }
            other => PendingItem {
                task: value_text(&other),
                was_string: true,
                ..PendingItem::default()
            },
        }
    }

    pub fn to_value(&self) -> Value {
        if self.was_string && !self.had_priority && self.status.is_none() && self.extra.is_empty() {
            return Value::String(self.task.clone());
        }
        let mut map = Map::new();
        if self.had_priority || !self.was_string {
            let p = self
                .priority_raw
                .clone()
                .unwrap_or_else(|| self.priority.as_str().to_string());
            map.insert("priority".into(), Value::String(p));
        }
        map.insert("task".into(), Value::String(self.task.clone()));
        put_str(&mut map, "status", &self.status);
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }

    /// Whether the item names a priority of its own (string items do not).
    pub fn has_priority(&self) -> bool {
        self.had_priority
    }

    pub fn set_priority(&mut self, priority: Priority) {
        self.priority = priority;
        self.priority_raw = None;
        self.had_priority = true;
    }

    /// When the item was added, if baton recorded it.
    pub fn added_at(&self) -> Option<&str> {
        self.extra.get("added_at").and_then(Value::as_str)
    }

    pub fn key(&self) -> String {
        normalize(&self.task)
    }
}

/// A blocker: `{"blocker", "solution", "lesson"}` or a string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Blocker {
    pub blocker: String,
    pub solution: Option<String>,
    pub lesson: Option<String>,
    pub extra: Map<String, Value>,
    was_string: bool,
}

impl Blocker {
    pub fn new(blocker: impl Into<String>) -> Self {
        Blocker {
            blocker: blocker.into(),
            ..Blocker::default()
        }
    }

    pub fn from_value(value: Value) -> Self {
        match value {
            Value::Object(mut map) => Blocker {
                blocker: take_str(&mut map, "blocker")
                    .or_else(|| take_str(&mut map, "problem"))
                    .or_else(|| take_str(&mut map, "text"))
                    .unwrap_or_default(),
                solution: take_str(&mut map, "solution"),
                lesson: take_str(&mut map, "lesson"),
                extra: map,
                was_string: false,
            },
            other => Blocker {
                blocker: value_text(&other),
                was_string: true,
                ..Blocker::default()
            },
        }
    }

    pub fn to_value(&self) -> Value {
        if self.was_string
            && self.solution.is_none()
            && self.lesson.is_none()
            && self.extra.is_empty()
        {
            return Value::String(self.blocker.clone());
        }
        let mut map = Map::new();
        map.insert("blocker".into(), Value::String(self.blocker.clone()));
        put_str(&mut map, "solution", &self.solution);
        put_str(&mut map, "lesson", &self.lesson);
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

/// Read straight from the text (no intermediate map per object): the knowledge base and the
/// decision log hold tens of thousands of decisions. Same result as [`Decision::from_value`].
impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecisionVisitor)
    }
}

struct DecisionVisitor;

/// A field name, without an allocation when it is one of the names decisions use.
struct FieldName;

/// The fields a decision reads, in the order `from_fields` takes them.
const DECISION_SLOTS: [&str; 10] = [
    "decision",
    "title",
    "text",
    "reasoning",
    "why",
    "impact",
    "status",
    "date",
    "id",
    "session_id",
];
impl<'de> serde::de::DeserializeSeed<'de> for FieldName {
    type Value = Cow<'static, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldName {
    type Value = Cow<'static, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        // `results` is the seed's own extra field on every core decision.
        Ok(
            match DECISION_SLOTS.iter().chain(&["results"]).find(|k| **k == v) {
                Some(k) => Cow::Borrowed(k),
                None => Cow::Owned(v.to_string()),
            },
        )
    }
}

impl<'de> serde::de::Visitor<'de> for DecisionVisitor {
    type Value = Decision;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a decision (an object or a string)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Decision, A::Error> {
        let mut fields = Vec::with_capacity(8);
        while let Some(key) = map.next_key_seed(FieldName)? {
            fields.push((key, map.next_value::<Value>()?));
        }
        Ok(Decision::from_fields(Fields(fields)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Decision, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Decision::from_value(Value::Array(items)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::String(v)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Decision, E> {
        Ok(Decision::from_value(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_unit<E>(self) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Decision, E> {
        Ok(Decision::from_value(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Decision, D::Error> {
        d.deserialize_any(self)
    }
}

/// Serde glue so these items can sit in derived structs.
macro_rules! serde_via_value {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.to_value().serialize(s)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Value::deserialize(d).map(<$t>::from_value)
            }
        }
    };
}
serde_via_value!(PendingItem);
serde_via_value!(Blocker);

/// Reads a list tolerantly: an array of items, a single item, or nothing.
pub fn list_of<T>(value: Option<&Value>, from: impl Fn(Value) -> T) -> Vec<T> {
    match value {
        Some(Value::Array(items)) => items.iter().cloned().map(from).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![from(other.clone())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decisions_read_from_text_equal_decisions_read_from_values() {
        let cases = [
            r#"{"id": "decision-007", "date": "2025-11-15", "decision": "Use X", "status": "implemented", "results": "$0", "session_id": "s1"}"#,
            r#"{"title": "Titled", "why": "because", "impact": 3, "extra": {"a": [1, 2]}}"#,
            r#"{"decision": {"nested": true}, "text": "from text", "decision": "last wins"}"#,
            r#"{"decision": 1.5, "date": null, "status": ["a"]}"#,
            r#""Transition to sovereign AI""#,
            r#"42"#,
            r#"null"#,
            r#"[1, "two"]"#,
            r#"{}"#,
        ];
        for text in cases {
            let typed: Decision = serde_json::from_str(text).unwrap();
            let via_value = Decision::from_value(serde_json::from_str(text).unwrap());
            assert_eq!(typed, via_value, "{text}");
            assert_eq!(typed.to_value(), via_value.to_value(), "{text}");
        }
        let d: Decision = serde_json::from_str(cases[2]).unwrap();
        assert_eq!(d.decision, "last wins");
        assert_eq!(d.extra.keys().collect::<Vec<_>>(), ["text"]);
    }

    #[test]
    fn string_items_round_trip_as_strings() {
        let v = json!("Deploy sovereign dashboard");
        assert_eq!(PendingItem::from_value(v.clone()).to_value(), v);
        assert_eq!(Decision::from_value(v.clone()).to_value(), v);
        assert_eq!(Blocker::from_value(v.clone()).to_value(), v);
    }

    #[test]
    fn object_items_keep_unknown_fields_and_odd_priorities() {
        let v =
            json!({"priority": "P0!", "task": "x", "status": "ready", "owner": {"name": "kim"}});
        let item = PendingItem::from_value(v.clone());
        assert_eq!(item.priority, Priority::Medium);
        assert_eq!(item.to_value(), v);
    }

    #[test]
    fn seed_core_decision_keeps_results() {
        let v = json!({"id": "decision-001", "date": "2025-11-15", "decision": "Transition to sovereign AI",
                       "status": "implemented", "results": "$12,000/year savings, 100% privacy"});
        let d = Decision::from_value(v.clone());
        assert_eq!(d.results(), Some("$12,000/year savings, 100% privacy"));
        assert_eq!(d.to_value(), v);
    }

    #[test]
    fn priority_words() {
        assert_eq!(Priority::parse("HIGH"), Some(Priority::High));
        assert_eq!(Priority::parse("later"), Some(Priority::Low));
        assert_eq!(Priority::parse("whenever"), None);
    }
}
