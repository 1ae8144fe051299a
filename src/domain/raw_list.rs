//! A JSON array kept as the text it was read as, and the knowledge base's top level split
//! into its fields without parsing them.
//!
//! `core_decisions` holds every decision ever merged: at 10,000 sessions it is 8 MB of the
//! knowledge base's 8.3 MB. Parsing it into values on every `end`, `context` and dashboard
//! load cost more than everything else together, yet an `end` only appends to it and a read
//! only needs typed decisions. So it stays text until something needs it as values.

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON array as text, always valid: built only from text serde_json has read.
#[derive(Debug, Clone)]
pub struct RawList {
    /// The array is `text[from..]`: a list read from a whole file keeps the file's buffer,
    /// what comes before it unused, rather than moving megabytes to its front.
    text: String,
    from: usize,
    shape: Shape,
}

impl PartialEq for RawList {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() && self.shape == other.shape
    }
}

/// What one pass over the text finds: enough to append without decoding anything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shape {
    pub items: usize,
    pub max_id: Option<u64>,
    /// Deepest nesting, the array itself being 1.
    pub depth: usize,
    /// Where each item starts, so that a few can be decoded without reading the rest (empty
    /// when not known).
    pub starts: Vec<usize>,
}

impl RawList {
    /// `raw` if it is an array (anything else is not kept raw).
    pub fn from_raw(raw: &RawValue) -> Option<RawList> {
        shape_of(raw.get()).map(|shape| RawList {
            text: raw.get().to_string(),
            from: 0,
            shape,
        })
    }

    /// Text known to be this array: read before, found valid, and unchanged since (the
    /// caller has checked its bytes against what was recorded with `shape`).
    pub fn trusted(text: String, shape: Shape) -> RawList {
        RawList::trusted_within(text, 0, shape)
    }

    /// [`RawList::trusted`] for the array that is `text[from..]`.
    pub fn trusted_within(text: String, from: usize, shape: Shape) -> RawList {
        RawList { text, from, shape }
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Deepest nesting inside, the array itself being 1.
    pub fn depth(&self) -> usize {
        self.shape.depth
    }

    pub fn text(&self) -> &str {
        &self.text[self.from..]
    }

    /// Every item, decoded as `T` (which must accept any JSON value); `T` may borrow.
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> Vec<T> {
        serde_json::from_str(self.text()).unwrap_or_default()
    }

    /// The items at `wanted` (ascending positions), decoded as `T`; the rest are not read.
    pub fn decode_at<T: DeserializeOwned>(&self, wanted: &[usize]) -> Vec<T> {
        if self.shape.starts.len() == self.shape.items {
            return wanted
                .iter()
                .filter_map(|i| self.shape.starts.get(*i))
                .filter_map(|start| {
                    // Reads one value and stops there.
                    let mut de = serde_json::Deserializer::from_str(&self.text()[*start..]);
                    T::deserialize(&mut de).ok()
                })
                .collect();
        }
        let mut de = serde_json::Deserializer::from_str(self.text());
        Pick::<T>(wanted, std::marker::PhantomData)
            .deserialize(&mut de)
            .unwrap_or_default()
    }

    pub fn to_values(&self) -> Vec<Value> {
        self.decode()
    }

    /// How many items, and the largest `N` of an item whose `id` is a string ending in `-N`
    /// (`decision-042`), known without building the items.
    pub fn count_and_max_id(&self) -> (usize, Option<u64>) {
        (self.shape.items, self.shape.max_id)
    }

    /// Appends items, laid out as `serde_json`'s pretty printer lays out an array that is a
    /// field of a top-level object, so the file reads as if written whole.
    pub fn append(&mut self, items: &[Value]) {
        if items.is_empty() {
            return;
        }
        // In place: the text is megabytes, and only its closing bracket changes.
        let body = self.text().trim_end();
        let body = body.strip_suffix(']').unwrap_or(body).trim_end();
        let empty = body == "[";
        self.text.truncate(self.from + body.len());
        let text = &mut self.text;
        let tracked = self.shape.starts.len() == self.shape.items;
        for (i, item) in items.iter().enumerate() {
            text.push_str(if empty && i == 0 { "\n    " } else { ",\n    " });
            if tracked {
                self.shape.starts.push(text.len() - self.from);
            }
            text.push_str(&indent(&pretty(item), "    "));
        }
        text.push_str("\n  ]");
        for item in items {
            self.shape.items += 1;
            self.shape.max_id = self.shape.max_id.max(item_id(item));
            self.shape.depth = self.shape.depth.max(1 + value_depth(item));
        }
    }
}

fn id_number(id: &str) -> Option<u64> {
    id.rsplit('-').next()?.parse().ok()
}

fn item_id(item: &Value) -> Option<u64> {
    id_number(item.get("id")?.as_str()?)
}

fn value_depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(value_depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The shape of `text` if it is an array (one pass), for a list kept inside a bigger text.
pub fn shape_of(text: &str) -> Option<Shape> {
    text.starts_with('[').then(|| scan(text))
}

/// One pass over valid array text: the items, the largest id number of an item object's
/// `id` string field (the last `id` of an object counts, as in a map; a non-string `id` is
/// none), and the nesting depth. Strings are skipped with memchr; only structure is looked at.
fn scan(text: &str) -> Shape {
    let b = text.as_bytes();
    let mut shape = Shape {
        items: 0,
        max_id: None,
        depth: 0,
        starts: Vec::new(),
    };
    // Per open container: is it an object, and does the next string there start a key.
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut item_id: Option<u64> = None;
    // Inside an item object (depth 2), the value of its `id` key comes next.
    let mut id_value_next = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                loop {
                    match memchr::memchr2(b'"', b'\\', b.get(j..).unwrap_or_default()) {
                        Some(k) if b[j + k] == b'\\' => {
                            escaped = true;
                            j += k + 2;
                        }
                        Some(k) => {
                            j += k;
                            break;
                        }
                        None => return shape,
                    }
                }
                let body = &text[start..j];
                let depth = stack.len();
                if depth == 1 {
                    shape.items += 1;
                    shape.starts.push(i);
                }
                match stack.last_mut() {
                    Some((true, key_next @ true)) => {
                        *key_next = false;
                        id_value_next = depth == 2 && body == "id";
                    }
                    _ if id_value_next => {
                        id_value_next = false;
                        item_id = if escaped {
                            serde_json::from_str::<String>(&text[start - 1..=j])
                                .ok()
                                .as_deref()
                                .and_then(id_number)
                        } else {
                            id_number(body)
                        };
                    }
                    _ => {}
                }
                i = j;
            }
            open @ (b'{' | b'[') => {
                if stack.len() == 1 {
                    shape.items += 1;
                    shape.starts.push(i);
                    item_id = None;
                }
                if id_value_next {
                    id_value_next = false;
                    item_id = None;
                }
                stack.push((open == b'{', open == b'{'));
                shape.depth = shape.depth.max(stack.len());
            }
            b'}' | b']' => {
                stack.pop();
                if stack.len() == 1 {
                    shape.max_id = shape.max_id.max(item_id.take());
                }
            }
            b',' => {
                if let Some((is_object, key_next)) = stack.last_mut() {
                    *key_next = *is_object;
                }
            }
            b':' | b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => {
                // A number, true, false or null: a whole item at depth 1, or a value.
                if stack.len() == 1 && (i == 0 || !is_scalar_byte(b[i - 1])) {
                    shape.items += 1;
                    shape.starts.push(i);
                }
                if id_value_next {
                    id_value_next = false;
                    item_id = None;
                }
            }
        }
        i += 1;
    }
    shape
}

fn is_scalar_byte(c: u8) -> bool {
    !matches!(c, b'[' | b'{' | b',' | b':' | b' ' | b'\n' | b'\r' | b'\t')
}

/// Pretty JSON of `value`, every line after the first indented by `pad` (JSON strings hold
/// no raw newlines, so every `\n` is between tokens).
pub fn indent(pretty: &str, pad: &str) -> String {
    pretty.replace('\n', &format!("\n{pad}"))
}

pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into())
}

/// Decodes the items of a sequence at the wanted positions, skipping the others.
struct Pick<'w, T>(&'w [usize], std::marker::PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Pick<'_, T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Pick<'_, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(self.0.len());
        let mut wanted = self.0.iter().peekable();
        let mut i = 0;
        while wanted.peek().is_some() {
            if wanted.peek() == Some(&&i) {
                wanted.next();
                match seq.next_element::<T>()? {
                    Some(item) => out.push(item),
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(out)
    }
}

/// A JSON object's fields in file order, each still text. A key given twice keeps its first
/// place and its last value, as `serde_json::Map` does.
pub struct RawFields<'a>(pub Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFields<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields<'de>, A::Error> {
                let mut fields: Vec<(String, &'de RawValue)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<&'de RawValue>()?;
                    match fields.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value,
                        None => fields.push((key, value)),
                    }
                }
                Ok(RawFields(fields))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(text: &str) -> RawList {
        RawList::from_raw(&RawValue::from_string(text.to_string()).unwrap()).unwrap()
    }

    #[test]
    fn appending_matches_writing_the_whole_array() {
        let new = [
            json!({"id": "decision-003", "decision": "C\nline"}),
            json!("plain"),
        ];
        for before in [
            json!([]),
            json!([{"id": "decision-001", "decision": "A"}, "B"]),
        ] {
            let doc = json!({ "core_decisions": before });
            let text = serde_json::to_string_pretty(&doc).unwrap();
            let fields: RawFields = serde_json::from_str(&text).unwrap();
            let mut list = RawList::from_raw(fields.0[0].1).unwrap();
            list.append(&new);
            let mut after = before.as_array().unwrap().clone();
            after.extend(new.iter().cloned());
            let expected =
                serde_json::to_string_pretty(&json!({ "core_decisions": after })).unwrap();
            assert_eq!(
                format!("{{\n  \"core_decisions\": {}\n}}", list.text()),
                expected
            );
        }
    }

    #[test]
    fn a_list_kept_inside_its_files_buffer_is_the_list_alone() {
        let list = r#"[{"id": "decision-001", "decision": "A"}, "B", {"id": "decision-002"}]"#;
        let file = format!("{{\n  \"other\": [1, 2],\n  \"core_decisions\": {list}");
        let from = file.len() - list.len();
        let mut alone = raw(list);
        let mut within = RawList::trusted_within(file, from, shape_of(list).unwrap());
        assert_eq!(within, alone);
        assert_eq!(within.text(), list);
        assert_eq!(
            within.decode_at::<Value>(&[2]),
            vec![json!({"id": "decision-002"})]
        );
        let new = [json!({"id": "decision-003", "decision": "D"})];
        alone.append(&new);
        within.append(&new);
        assert_eq!(within.text(), alone.text());
        assert_eq!(within.shape(), alone.shape());
        assert_eq!(within.decode_at::<Value>(&[3]), new.to_vec());
        assert_eq!(within.decode::<Value>().len(), 4);
    }

    /// The plain way of finding what `scan` finds, to check it against.
    fn oracle(text: &str) -> (usize, Option<u64>) {
        let items: Vec<Value> = serde_json::from_str(text).unwrap();
        (items.len(), items.iter().filter_map(item_id).max())
    }

    #[test]
    fn scanning_finds_what_decoding_finds() {
        let cases = [
            "[]",
            "[ ]",
            "[1, 2.5e3, true, null, -4]",
            r#"[{"id": "decision-009", "x": {"id": "decision-999"}}, "s", 3, {"id": 12}]"#,
            r#"[{"id": "d-10", "id": "d-2"}, {"id": "d-7", "id": 5}, {"id": "d-1", "id": [1]}]"#,
            r#"[{"a": "x\"id\"", "id": "d\u002d41"}, ["id", "d-50"], {"b": ["id"], "c": "id"}]"#,
            r#"[{"id":"d-3"},{"id":"d-4"},{"nested":[{"id":"d-99"}]},{"id":{"x":1}}]"#,
            "[\n  {\n    \"id\": \"decision-001\",\n    \"decision\": \"A, B: C\"\n  },\n  \"x\"\n]",
        ];
        for text in cases {
            assert_eq!(raw(text).count_and_max_id(), oracle(text), "{text}");
        }
        assert_eq!(raw("[[[1]], {\"a\": [{}]}]").depth(), 4);
    }

    #[test]
    fn items_are_picked_by_position() {
        let list = raw(r#"[{"a": [1, {"b": 2}]}, "one", 2, [3], {"id": "x"}]"#);
        let picked: Vec<Value> = list.decode_at(&[1, 3, 4, 9]);
        assert_eq!(picked, [json!("one"), json!([3]), json!({"id": "x"})]);
        let scalars = raw("[ -1.5e3 ,true,null , \"s\" ]");
        let picked: Vec<Value> = scalars.decode_at(&[0, 1, 2, 3]);
        assert_eq!(
            picked,
            [json!(-1500.0), json!(true), json!(null), json!("s")]
        );
        let mut appended = list.clone();
        appended.append(&[json!("new")]);
        let picked: Vec<Value> = appended.decode_at(&[0, 5]);
        assert_eq!(picked, [json!({"a": [1, {"b": 2}]}), json!("new")]);
        assert!(list.decode_at::<Value>(&[]).is_empty());
    }

    #[test]
    fn ids_are_counted_without_building_items() {
        let list = raw(
            r#"[{"id": "decision-009", "x": {"id": "decision-999"}}, "s", 3, {"id": 12}, {"id": "d-10", "id": "d-2"}]"#,
        );
        assert_eq!(list.count_and_max_id(), (5, Some(9)));
        assert_eq!(raw("[]").count_and_max_id(), (0, None));
    }

    #[test]
    fn only_arrays_are_kept_raw_and_duplicate_keys_keep_the_last_value() {
        assert!(RawList::from_raw(&RawValue::from_string("{}".into()).unwrap()).is_none());
        let fields: RawFields = serde_json::from_str(r#"{"a": 1, "b": 2, "a": [3]}"#).unwrap();
        let shown: Vec<(&str, &str)> = fields
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.get()))
            .collect();
        assert_eq!(shown, [("a", "[3]"), ("b", "2")]);
    }
}
