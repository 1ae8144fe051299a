//! Applies secret redaction to everything baton is about to write: texts and every string
//! inside a JSON value. Returns notes saying what was redacted where, for stderr and forms.

use serde_json::Value;

use super::redact::{Allowlist, redact};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RedactionNote {
    pub rule: String,
    /// Where it was found, in the user's terms: "decision", "handoff notes", "next step".
    pub place: String,
}

impl std::fmt::Display for RedactionNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redacted a secret ({}) in {}", self.rule, self.place)
    }
}

pub fn scrub_text(
    text: &str,
    allow: &Allowlist,
    place: &str,
    notes: &mut Vec<RedactionNote>,
) -> String {
    let (clean, findings) = redact(text, allow);
    notes.extend(findings.iter().map(|f| RedactionNote {
        rule: f.rule.to_string(),
        place: place.to_string(),
    }));
    clean
}

pub fn scrub_value(
    value: &mut Value,
    allow: &Allowlist,
    place: &str,
    notes: &mut Vec<RedactionNote>,
) {
    match value {
        Value::String(s) => {
            let clean = scrub_text(s, allow, place, notes);
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| scrub_value(v, allow, place, notes)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| scrub_value(v, allow, place, notes)),
        _ => {}
    }
}

/// Redacts a serializable value by round-tripping it through JSON.
pub fn scrub<T>(item: &T, allow: &Allowlist, place: &str, notes: &mut Vec<RedactionNote>) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone,
{
    let Ok(mut value) = serde_json::to_value(item) else {
        return item.clone();
    };
    let before = notes.len();
    scrub_value(&mut value, allow, place, notes);
    if notes.len() == before {
        return item.clone();
    }
    serde_json::from_value(value).unwrap_or_else(|_| item.clone())
}
