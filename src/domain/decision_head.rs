//! A decision's text and date, read without building the decision: the context pack groups
//! 50,000 of them to show ten (`repeats::newest_decisions`). Same text and date as
//! [`Decision::from_value`](super::items::Decision::from_value) gives, borrowed from the file's
//! text where it can be.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionHead<'a> {
    pub text: Cow<'a, str>,
    pub date: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for DecisionHead<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HeadVisitor)
    }
}

/// A field's value as `take_str` sees it: text (a string, or a number written out), or not.
enum Field<'a> {
    Text(Cow<'a, str>),
    Other,
}

impl<'a> Field<'a> {
    fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Field::Text(t) => Some(t),
            Field::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
        Ok(match serde_json::Number::from_f64(v) {
            Some(n) => Field::Text(Cow::Owned(n.to_string())),
            None => Field::Other,
        })
    }
    fn visit_bool<E>(self, _: bool) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_unit<E>(self) -> Result<Field<'de>, E> {
        Ok(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

/// The field names a head reads, matched without allocating.
enum Key {
    Decision,
    Title,
    Text,
    Date,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "decision" => Key::Decision,
                    "title" => Key::Title,
                    "text" => Key::Text,
                    "date" => Key::Date,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

struct HeadVisitor;

impl<'de> Visitor<'de> for HeadVisitor {
    type Value = DecisionHead<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a decision (an object or a string)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // The last value of a repeated key counts, as in a map.
        let [mut decision, mut title, mut text, mut date] = [None, None, None, None];
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Decision => &mut decision,
                Key::Title => &mut title,
                Key::Text => &mut text,
                Key::Date => &mut date,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value::<Field<'de>>()?);
        }
        let text = [decision, title, text]
            .into_iter()
            .flatten()
            .find_map(Field::text)
            .unwrap_or_default();
        Ok(DecisionHead {
            text,
            date: date.and_then(Field::text),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(plain(Value::Array(items).to_string()))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(DecisionHead {
            text: Cow::Borrowed(v),
            date: None,
        })
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(plain(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(plain(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(plain(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(plain(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(plain(
            serde_json::Number::from_f64(v).map_or_else(|| "null".into(), |n| n.to_string()),
        ))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(plain(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(plain(String::new()))
    }
}

fn plain<'a>(text: String) -> DecisionHead<'a> {
    DecisionHead {
        text: Cow::Owned(text),
        date: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::items::Decision;

    #[test]
    fn heads_have_the_text_and_date_a_full_read_has() {
        let cases = [
            r#"{"id": "decision-007", "date": "2025-11-15", "decision": "Use X", "results": "$0"}"#,
            r#"{"title": "Titled", "date": 20251115, "extra": {"decision": "nested"}}"#,
            r#"{"decision": {"nested": true}, "text": "from text", "decision": "last wins"}"#,
            r#"{"decision": [1], "title": null, "text": 2.5}"#,
            r#"{"decision": "Esc\"aped \u00e9", "date": null}"#,
            r#""Transition to sovereign AI""#,
            r#"42"#,
            r#"true"#,
            r#"null"#,
            r#"[1, "two"]"#,
            r#"{}"#,
        ];
        for text in cases {
            let head: DecisionHead = serde_json::from_str(text).unwrap();
            let full: Decision = serde_json::from_str(text).unwrap();
            assert_eq!(head.text, full.decision, "{text}");
            assert_eq!(head.date.as_deref(), full.date.as_deref(), "{text}");
        }
    }
}
