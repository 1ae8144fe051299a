//! The lines an ended session adds to the seed's logs (`DECISIONS_LOG.json`,
//! `CODE_REGISTRY.json`, `INSIGHTS_DB.json` as JSON lines; `INSIGHTS.log`, `CODE_CHANGES.log`
//! as plain lines). One definition, used by `end` and by the history generator.

use serde_json::{Map, Value};

use super::session::SessionRecord;
use super::text::normalize;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogEntries {
    pub decisions: Vec<Value>,
    pub code: Vec<Value>,
    pub insights: Vec<Value>,
    /// `Insight: …` lines, as the seed's `echo` writes them.
    pub insight_lines: Vec<String>,
    /// `git log --oneline` lines.
    pub change_lines: Vec<String>,
}

pub fn log_entries(record: &SessionRecord) -> LogEntries {
    let date: String = record
        .ended_at
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(10)
        .collect();
    let tag = |mut map: Map<String, Value>| {
        map.insert(
            "session_id".into(),
            Value::String(record.session_id.clone()),
        );
        map.insert("date".into(), Value::String(date.clone()));
        Value::Object(map)
    };
    let decisions = record
        .decisions_made
        .iter()
        .map(|d| {
            let mut plain = d.clone();
            (plain.id, plain.date, plain.session_id) = (None, None, None);
            match plain.to_value() {
                Value::Object(map) => tag(map),
                other => tag(Map::from_iter([("decision".to_string(), other)])),
            }
        })
        .collect();
    let code = record
        .code_created
        .iter()
        .map(|c| {
            let mut map = Map::new();
            match c.split_once(" - ") {
                Some((p, n)) => {
                    map.insert("path".into(), Value::String(p.trim().to_string()));
                    map.insert("note".into(), Value::String(n.trim().to_string()));
                }
                None => {
                    map.insert("path".into(), Value::String(c.trim().to_string()));
                }
            }
            tag(map)
        })
        .collect();
    let practices: Vec<String> = record.best_practices.iter().map(|p| normalize(p)).collect();
    let insights = record
        .insights_gained
        .iter()
        .map(|i| {
            let mut map = Map::new();
            map.insert("insight".into(), Value::String(i.clone()));
            if practices.contains(&normalize(i)) {
                map.insert("practice".into(), Value::Bool(true));
            }
            tag(map)
        })
        .collect();
    LogEntries {
        decisions,
        code,
        insights,
        insight_lines: record
            .insights_gained
            .iter()
            .map(|i| format!("Insight: {}", one_line(i)))
            .collect(),
        change_lines: record
            .commits
            .iter()
            .map(|c| one_line(&c.oneline()))
            .collect(),
    }
}

/// Log files hold one entry per line: inner newlines become spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::items::Decision;

    #[test]
    fn entries_are_tagged_with_session_and_date() {
        let r = SessionRecord {
            session_id: "s1".into(),
            ended_at: Some("2025-11-15T22:30:00Z".into()),
            decisions_made: vec![Decision::new("a")],
            code_created: vec!["src/a.rs - new".into(), "src/b.rs".into()],
            insights_gained: vec!["multi\nline".into()],
            best_practices: vec!["Multi line".into()],
            ..Default::default()
        };
        let e = log_entries(&r);
        assert_eq!(
            e.decisions[0],
            serde_json::json!({"decision": "a", "session_id": "s1", "date": "2025-11-15"})
        );
        assert_eq!(e.code[0]["note"], "new");
        assert_eq!(e.code[1].get("note"), None);
        assert_eq!(e.insights[0]["practice"], true);
        assert_eq!(e.insight_lines, vec!["Insight: multi line"]);
    }
}
