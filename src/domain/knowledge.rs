//! The unified knowledge base (`UNIFIED_KNOWLEDGE.json`, seed section 2).
//!
//! It is kept as the raw JSON object it was read as: typed views read from it, and the merge
//! edits only the fields it owns, so every field baton does not know survives untouched and
//! in its place.

use std::borrow::Cow;
use std::ops::Range;

use serde::Serialize;
use serde_json::{Map, Number, Value};

use super::decision_head::DecisionHead;
use super::items::{Decision, PendingItem, Priority, list_of, value_text};
use super::json_doc::{Doc, MAX_DEPTH, parse_object, too_deep_inside};
use super::raw_list::{RawFields, RawList, Shape, indent, pretty, shape_of};
use super::session::SessionRecord;
use super::text::normalize;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Knowledge {
    /// The file's fields in order. When read by [`Knowledge::parse`], `core_decisions` is a
    /// `null` placeholder here (holding its place) and its text is in `raw_decisions`.
    pub doc: Map<String, Value>,
    raw_decisions: Option<RawList>,
}

const CORE_DECISIONS: &str = "core_decisions";

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

/// Where `core_decisions`' text lies in the file's text, and its shape.
type ListAt = (Range<usize>, Shape);

impl Knowledge {
    pub fn new(doc: Map<String, Value>) -> Self {
        Knowledge {
            doc,
            raw_decisions: None,
        }
    }

    /// Reads the file's text. `core_decisions` (most of the file at scale) is kept as text:
    /// decoded straight into decisions when read, appended to as text on merge. Anything the
    /// quick path does not take gets the full parse and its located problem.
    pub fn parse(path: &str, text: &str) -> Doc<Knowledge> {
        Self::parse_located(path, text).0
    }

    /// [`Knowledge::parse`], and where `core_decisions`' text lies in `text` when it is kept
    /// as text (so that a later read of the same bytes can skip it: [`Knowledge::parse_known`]).
    pub fn parse_located(path: &str, text: &str) -> (Doc<Knowledge>, Option<Range<usize>>) {
        Self::parse_located_knowing(path, text.to_string(), |_| None)
    }

    /// [`Knowledge::parse_located`] of a text it keeps (`core_decisions` stays in its
    /// buffer rather than being copied out of it), taking the shape of a `core_decisions`
    /// text that `known` recognises (read before and unchanged, though the file around it
    /// changed) instead of scanning it again.
    pub fn parse_located_knowing(
        path: &str,
        mut text: String,
        known: impl Fn(&str) -> Option<Shape>,
    ) -> (Doc<Knowledge>, Option<Range<usize>>) {
        if let Some((mut k, list)) = Self::parse_keeping_decisions_raw(&text, known) {
            let span = list.map(|(span, shape)| {
                text.truncate(span.end);
                k.raw_decisions = Some(RawList::trusted_within(text, span.start, shape));
                span
            });
            return (Doc::Ok(k), span);
        }
        let doc = match parse_object(path, &text) {
            Doc::Ok(map) => Doc::Ok(Knowledge::new(map)),
            Doc::Broken { problem, salvaged } => Doc::Broken { problem, salvaged },
        };
        (doc, None)
    }

    /// The same text read before: `core_decisions` is the array at `span`, whose `shape` a
    /// scan found then. Only the rest of the file is parsed, and the array keeps `text`'s
    /// buffer. `Err(text)` when the text around the span does not parse as it did (then the
    /// caller parses it all).
    pub fn parse_known(
        mut text: String,
        span: Range<usize>,
        shape: Shape,
    ) -> Result<Knowledge, String> {
        let Some(list) = text.get(span.clone()) else {
            return Err(text);
        };
        if !list.starts_with('[') || shape.depth >= MAX_DEPTH {
            return Err(text);
        }
        let rest = [&text[..span.start], "[]", &text[span.end..]].concat();
        let Some((mut k, Some((rest_span, _)))) =
            Self::parse_keeping_decisions_raw(&rest, |_| None)
        else {
            return Err(text);
        };
        if rest_span != (span.start..span.start + 2) {
            return Err(text);
        }
        text.truncate(span.end);
        k.raw_decisions = Some(RawList::trusted_within(text, span.start, shape));
        Ok(k)
    }

    /// The fields but `core_decisions`, and where that list lies in `text` with its shape
    /// (the caller keeps it as text). `None` whenever the full parse might say something
    /// else: then it runs and reports.
    fn parse_keeping_decisions_raw(
        text: &str,
        known: impl Fn(&str) -> Option<Shape>,
    ) -> Option<(Knowledge, Option<ListAt>)> {
        let RawFields(fields) = serde_json::from_str(text).ok()?;
        let mut k = Knowledge::default();
        let mut list = None;
        // Nesting is checked per field (the object itself is one level): the decisions'
        // text by the same pass that counts them, the rest by `too_deep_inside`.
        for (key, raw) in fields {
            if key == CORE_DECISIONS {
                let shape = match known(raw.get()) {
                    Some(shape) if raw.get().starts_with('[') => Some(shape),
                    _ => shape_of(raw.get()),
                };
                match shape {
                    // The object is one level, the list's own depth the rest.
                    Some(shape) if shape.depth < MAX_DEPTH => {
                        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                        list = Some((start..start + raw.get().len(), shape));
                        k.doc.insert(key, Value::Null);
                        continue;
                    }
                    Some(_) => return None,
                    None => {}
                }
            }
            if too_deep_inside(raw.get(), 1).is_some() {
                return None;
            }
            k.doc.insert(key, serde_json::from_str(raw.get()).ok()?);
        }
        Some((k, list))
    }

    /// Drops `core_decisions` (a read model whose decisions were taken out keeps the rest).
    /// Only for a view: written back, the file would lose them.
    pub fn forget_decisions(&mut self) {
        self.raw_decisions = None;
        if let Some(list) = self.doc.get_mut(CORE_DECISIONS) {
            *list = Value::Null;
        }
    }

    /// `core_decisions` as kept text, when it is.
    pub fn raw_decisions(&self) -> Option<&RawList> {
        self.raw_decisions.as_ref()
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
        match &self.raw_decisions {
            Some(raw) => raw.decode(),
            None => list_of(self.doc.get(CORE_DECISIONS), Decision::from_value),
        }
    }

    /// Text and date of each of `core_decisions`, borrowed from the file's text; `None` when
    /// the list is held as values (then [`Knowledge::core_decisions`] is as cheap).
    pub fn core_decision_heads(&self) -> Option<Vec<DecisionHead<'_>>> {
        self.raw_decisions.as_ref().map(|raw| raw.decode())
    }

    /// The decisions at `positions` (ascending) of `core_decisions`.
    pub fn core_decisions_at(&self, positions: &[usize]) -> Vec<Decision> {
        match &self.raw_decisions {
            Some(raw) => raw.decode_at(positions),
            None => {
                let all = self.core_decisions();
                positions
                    .iter()
                    .filter_map(|i| all.get(*i).cloned())
                    .collect()
            }
        }
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
        // Only the ids are looked at (no copies): an `end` stays cheap with 25,000 decisions.
        let (count, max_id) = match &self.raw_decisions {
            Some(raw) => raw.count_and_max_id(),
            None => {
                let list = array_field(&mut self.doc, CORE_DECISIONS);
                let max = list
                    .iter()
                    .filter_map(|v| {
                        v.get("id")?
                            .as_str()?
                            .rsplit('-')
                            .next()?
                            .parse::<u64>()
                            .ok()
                    })
                    .max();
                (list.len(), max)
            }
        };
        let first_id = max_id.unwrap_or(count as u64) + 1;
        let entries: Vec<Value> = (first_id..)
            .zip(&session.decisions_made)
            .map(|(next_id, d)| {
                let mut entry = d.clone();
                entry.id = Some(format!("decision-{next_id:03}"));
                entry.date = entry.date.or_else(|| date.clone());
                entry.status = entry.status.or_else(|| Some("decided".into()));
                entry.session_id = Some(session.session_id.clone());
                entry.to_value()
            })
            .collect();
        match &mut self.raw_decisions {
            Some(raw) => raw.append(&entries),
            None => array_field(&mut self.doc, CORE_DECISIONS).extend(entries),
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

    /// The file's text: pretty JSON, two-space indent, as `serde_json` writes it.
    pub fn to_pretty_json(&self) -> String {
        self.to_pretty_json_parts().concat()
    }

    /// [`Knowledge::to_pretty_json`] in three parts: what comes before `core_decisions`' text,
    /// that text, and what follows (the last two empty when it is not kept as text), so that
    /// it is written without being copied.
    pub fn to_pretty_json_parts(&self) -> [Cow<'_, str>; 3] {
        let Some(raw) = &self.raw_decisions else {
            let mut text = serde_json::to_string_pretty(&self.doc).unwrap_or_else(|_| "{}".into());
            text.push('\n');
            return [text.into(), "".into(), "".into()];
        };
        // The same layout written field by field, `core_decisions` as the text it is.
        let mut before = String::with_capacity(64 * 1024);
        let mut after = String::new();
        before.push('{');
        let mut seen = false;
        for (i, (key, value)) in self.doc.iter().enumerate() {
            let text = if seen { &mut after } else { &mut before };
            text.push_str(if i == 0 { "\n  " } else { ",\n  " });
            text.push_str(&serde_json::to_string(key).unwrap_or_default());
            text.push_str(": ");
            if key == CORE_DECISIONS {
                seen = true;
            } else {
                text.push_str(&indent(&pretty(value), "  "));
            }
        }
        if !seen {
            // The placeholder holds its place; without one the list goes last, never lost.
            before.push_str(if self.doc.is_empty() { "\n  " } else { ",\n  " });
            before.push_str("\"core_decisions\": ");
        }
        after.push_str("\n}\n");
        [before.into(), raw.text().into(), after.into()]
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

    fn session(id: &str, decisions: &[&str]) -> SessionRecord {
        SessionRecord {
            session_id: id.into(),
            started_at: Some("2025-11-16T10:00:00Z".into()),
            ended_at: Some("2025-11-16T11:30:00Z".into()),
            duration_hours: Some(1.25),
            decisions_made: decisions.iter().map(|d| Decision::new(*d)).collect(),
            next_steps: vec![PendingItem::new("Write runbook", Priority::High)],
            ..Default::default()
        }
    }

    #[test]
    fn decisions_kept_as_text_read_merge_and_write_as_values_do() {
        let pretty_seed = seed().to_pretty_json();
        let compact_seed = serde_json::to_string(&seed().doc).unwrap();
        let empty = "{\"core_decisions\": [], \"mine\": {\"a\": 1}}";
        let no_list = "{\"total_sessions\": 2}";
        for text in [
            pretty_seed.as_str(),
            compact_seed.as_str(),
            empty,
            no_list,
            REPAIRED,
        ] {
            let Doc::Ok(mut fast) = Knowledge::parse("k", text) else {
                panic!("parses: {text}");
            };
            let mut slow = Knowledge::new(parse_object_strict("k", text).unwrap());
            assert_eq!(fast.core_decisions(), slow.core_decisions());
            if text == pretty_seed {
                assert_eq!(
                    fast.to_pretty_json(),
                    text,
                    "unchanged text is written back as is"
                );
            }
            for s in [
                session("a", &["One", "Two"]),
                session("b", &[]),
                session("c", &["Three"]),
            ] {
                fast.merge_session(&s);
                slow.merge_session(&s);
            }
            assert_eq!(fast.core_decisions(), slow.core_decisions());
            let written: Value = serde_json::from_str(&fast.to_pretty_json()).unwrap();
            assert_eq!(written, Value::Object(slow.doc.clone()));
            if text != compact_seed && text != REPAIRED {
                assert_eq!(fast.to_pretty_json(), slow.to_pretty_json());
            }
        }
    }

    #[test]
    fn a_text_read_before_is_read_again_from_its_span_alone() {
        let text = seed().to_pretty_json();
        let (Doc::Ok(full), Some(span)) = Knowledge::parse_located("k", &text) else {
            panic!("kept as text");
        };
        assert!(text[span.clone()].starts_with('[') && text[span.clone()].ends_with(']'));
        let shape = full.raw_decisions().unwrap().shape().clone();
        let mut known = Knowledge::parse_known(text.clone(), span.clone(), shape.clone()).unwrap();
        assert_eq!(known, full);
        // Written in parts, the span is where the list is, and the text is what it was.
        let parts = known.to_pretty_json_parts();
        assert_eq!(parts.concat(), text);
        assert_eq!(parts[0].len()..parts[0].len() + parts[1].len(), span);
        known.merge_session(&session("a", &["One"]));
        let parts = known.to_pretty_json_parts();
        let (Doc::Ok(reread), Some(respan)) = Knowledge::parse_located("k", &parts.concat()) else {
            panic!("kept as text");
        };
        assert_eq!(respan, parts[0].len()..parts[0].len() + parts[1].len());
        assert_eq!(reread.core_decisions(), known.core_decisions());
        assert_eq!(
            reread.raw_decisions().unwrap().shape(),
            known.raw_decisions().unwrap().shape()
        );
        // A span that is not the list's hands the text back untouched.
        for wrong in [
            0..text.len(),
            span.start + 1..span.end,
            span.start..text.len() + 1,
        ] {
            assert_eq!(
                Knowledge::parse_known(text.clone(), wrong, shape.clone()),
                Err(text.clone())
            );
        }
    }

    #[test]
    fn nesting_too_deep_anywhere_is_refused_as_before() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        for (field, depth) in [
            ("core_decisions", 99),
            ("core_decisions", 100),
            ("mine", 99),
            ("mine", 100),
        ] {
            let text = format!("{{\"{field}\": {}}}", deep(depth));
            let fast = Knowledge::parse("k.json", &text);
            let slow = parse_object_strict("k.json", &text);
            assert_eq!(fast.problem().cloned(), slow.err(), "{field} {depth}");
        }
    }

    #[test]
    fn a_broken_knowledge_base_is_reported_as_before() {
        let text = "{\n  \"core_decisions\": [1,\n  \"x\": }\n";
        let Doc::Broken { problem, .. } = Knowledge::parse("k.json", text) else {
            panic!("broken");
        };
        let Err(expected) = parse_object_strict("k.json", text) else {
            panic!("broken");
        };
        assert_eq!(problem, expected);
    }
}
