//! Merging `UNIFIED_KNOWLEDGE.json` after a pull, field by field, never as text.
//!
//! Two machines that each ended sessions since their last sync both changed the knowledge
//! base. Git cannot merge that file as text (both sides rewrite `total_sessions`; both append
//! decisions at the same place; the same new total on both sides would even look like one
//! change), so `.gitattributes` marks it `-merge` and `baton sync --git` merges it here with
//! the three versions git keeps during the rebase: the common `base`, `upstream` (what was
//! pulled: it already counts the other machines' sessions and holds their hand edits) and
//! `local` (this machine's commit being replayed on top).
//!
//! The rule: start from the pulled file and re-apply only what this machine changed since
//! the base, the way the merge of a session owns each field:
//! - `total_sessions`, `total_hours`: counters, `upstream + (local − base)`, so both sides'
//!   sessions count (and a hand correction on either side is kept as a correction);
//! - `core_decisions`, `pending_work`, `best_practices`: lists of items identified by their
//!   text (decisions also by their session), merged item by item: what this machine added is
//!   appended (a decision whose `decision-NNN` id the other side already used gets the next
//!   free one), what it removed (pending work finished here) is removed, what it edited
//!   (a priority) replaces the pulled item; everything the other side added, removed or
//!   edited stays as pulled;
//! - `last_updated`: the later of the two; `last_merged_session`: this machine's when it
//!   changed, since it guards this machine's own interrupted `end`;
//! - every other field, `architecture_state`'s components included, and every field baton
//!   does not know: taken from the side that changed it; changed differently on both sides
//!   is a conflict that baton does not guess at: the sync stops and touches nothing.

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

use super::items::{Decision, PendingItem, value_text};
use super::knowledge::LAST_MERGED;
use super::text::normalize;
use super::time::parse_timestamp;

type Doc = Map<String, Value>;

/// Merges the three versions; `Err` names the fields changed differently on both sides.
pub fn merge_three_way(base: &Doc, upstream: &Doc, local: &Doc) -> Result<Doc, Vec<String>> {
    let mut out = upstream.clone();
    let mut conflicts = Vec::new();
    let mut keys: Vec<&String> = upstream.keys().collect();
    keys.extend(local.keys().filter(|k| !upstream.contains_key(*k)));
    keys.extend(
        base.keys()
            .filter(|k| !upstream.contains_key(*k) && !local.contains_key(*k)),
    );
    for key in keys {
        let (b, u, l) = (base.get(key), upstream.get(key), local.get(key));
        let merged = match key.as_str() {
            "total_sessions" => Ok(counter(b, u, l, false)),
            "total_hours" => Ok(counter(b, u, l, true)),
            "last_updated" => Ok(later(b, u, l)),
            k if k == LAST_MERGED => Ok(if l == b { u.cloned() } else { l.cloned() }),
            "core_decisions" => list(b, u, l, decision_key, true).ok_or(()),
            "pending_work" => list(b, u, l, pending_key, false).ok_or(()),
            "best_practices" => list(b, u, l, text_key, false).ok_or(()),
            "architecture_state" => object(key, b, u, l, &mut conflicts),
            _ => value(b, u, l).ok_or(()),
        };
        match merged {
            Ok(Some(v)) => {
                out.insert(key.clone(), v);
            }
            Ok(None) => {
                out.shift_remove(key);
            }
            Err(()) => {
                if key != "architecture_state" {
                    conflicts.push(key.clone());
                }
            }
        }
    }
    if conflicts.is_empty() {
        Ok(out)
    } else {
        Err(conflicts)
    }
}

/// A plain three-way pick: the side that changed wins; `None` (the outer) when both changed
/// it differently.
#[allow(clippy::option_option)]
fn value(b: Option<&Value>, u: Option<&Value>, l: Option<&Value>) -> Option<Option<Value>> {
    if l == b || l == u {
        Some(u.cloned())
    } else if u == b {
        Some(l.cloned())
    } else {
        None
    }
}

fn number(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn counter(b: Option<&Value>, u: Option<&Value>, l: Option<&Value>, hours: bool) -> Option<Value> {
    if l == b {
        return u.cloned();
    }
    if u == b {
        return l.cloned();
    }
    let sum = (number(u) + number(l) - number(b)).max(0.0);
    if !hours {
        return Some(Value::from(sum.round() as u64));
    }
    let rounded = (sum * 100.0).round() / 100.0;
    Some(if rounded.fract() == 0.0 && rounded < 1e15 {
        Value::from(rounded as i64)
    } else {
        Number::from_f64(rounded).map_or(Value::Null, Value::Number)
    })
}

fn later(b: Option<&Value>, u: Option<&Value>, l: Option<&Value>) -> Option<Value> {
    if l == b {
        return u.cloned();
    }
    if u == b {
        return l.cloned();
    }
    let time = |v: Option<&Value>| v.and_then(Value::as_str).and_then(parse_timestamp);
    match (time(u), time(l)) {
        (Some(tu), Some(tl)) if tl > tu => l.cloned(),
        (None, Some(_)) => l.cloned(),
        _ => u.cloned(),
    }
}

fn decision_key(v: &Value) -> String {
    let d = Decision::from_value(v.clone());
    format!(
        "{}\u{1f}{}",
        normalize(&d.decision),
        d.session_id.unwrap_or_default()
    )
}

fn pending_key(v: &Value) -> String {
    PendingItem::from_value(v.clone()).key()
}

fn text_key(v: &Value) -> String {
    normalize(&value_text(v))
}

/// An item list merged item by item (see the module's rule). `None` when a side holds
/// something other than a list and both changed it (then it is a conflict).
#[allow(clippy::option_option)]
fn list(
    b: Option<&Value>,
    u: Option<&Value>,
    l: Option<&Value>,
    key: fn(&Value) -> String,
    renumber: bool,
) -> Option<Option<Value>> {
    if l == b || l == u {
        return Some(u.cloned());
    }
    if u == b {
        return Some(l.cloned());
    }
    let empty = Vec::new();
    let as_list = |v: Option<&Value>| -> Option<Vec<Value>> {
        match v {
            None | Some(Value::Null) => Some(empty.clone()),
            Some(Value::Array(items)) => Some(items.clone()),
            Some(_) => None,
        }
    };
    let (base, mut out, local) = (as_list(b)?, as_list(u)?, as_list(l)?);
    let base_keyed: Vec<(String, &Value)> = base.iter().map(|v| (key(v), v)).collect();
    let local_keys: HashSet<String> = local.iter().map(key).collect();
    // Removed here (finished pending work, a decision deleted by hand): removed there too.
    let removed: HashSet<&String> = base_keyed
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !local_keys.contains(*k))
        .collect();
    out.retain(|v| !removed.contains(&key(v)));
    for item in &local {
        let k = key(item);
        match base_keyed.iter().find(|(bk, _)| *bk == k) {
            // Edited here (a new priority, a status): this machine's edit replaces it.
            Some((_, before)) if *before != item => {
                if let Some(slot) = out.iter_mut().find(|v| key(v) == k) {
                    *slot = item.clone();
                }
            }
            Some(_) => {}
            // Added here: appended, unless the other side added the same item too.
            None => {
                if out.iter().any(|v| key(v) == k) {
                    continue;
                }
                let mut item = item.clone();
                if renumber {
                    fresh_decision_id(&mut item, &out);
                }
                out.push(item);
            }
        }
    }
    Some(Some(Value::Array(out)))
}

/// Gives a decision the next free `decision-NNN` when its id is already taken in `list`.
fn fresh_decision_id(item: &mut Value, list: &[Value]) {
    let id_of = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_string);
    let Some(id) = id_of(item) else { return };
    if !list
        .iter()
        .any(|v| id_of(v).as_deref() == Some(id.as_str()))
    {
        return;
    }
    let max = list
        .iter()
        .filter_map(|v| id_of(v)?.rsplit('-').next()?.parse::<u64>().ok())
        .max()
        .unwrap_or(list.len() as u64);
    if let Some(map) = item.as_object_mut() {
        map.insert(
            "id".into(),
            Value::String(format!("decision-{:03}", max + 1)),
        );
    }
}

/// An object merged key by key (`architecture_state`): each component from the side that
/// changed it; both changed differently is a conflict named `field.component`.
fn object(
    field: &str,
    b: Option<&Value>,
    u: Option<&Value>,
    l: Option<&Value>,
    conflicts: &mut Vec<String>,
) -> Result<Option<Value>, ()> {
    if l == b || l == u {
        return Ok(u.cloned());
    }
    if u == b {
        return Ok(l.cloned());
    }
    let empty = Map::new();
    let as_map = |v: Option<&Value>| -> Option<Map<String, Value>> {
        match v {
            None | Some(Value::Null) => Some(empty.clone()),
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => None,
        }
    };
    let (Some(bm), Some(um), Some(lm)) = (as_map(b), as_map(u), as_map(l)) else {
        conflicts.push(field.to_string());
        return Err(());
    };
    let mut out = um.clone();
    let mut keys: Vec<&String> = um.keys().collect();
    keys.extend(lm.keys().filter(|k| !um.contains_key(*k)));
    keys.extend(
        bm.keys()
            .filter(|k| !um.contains_key(*k) && !lm.contains_key(*k)),
    );
    let before = conflicts.len();
    for k in keys {
        match value(bm.get(k), um.get(k), lm.get(k)) {
            Some(Some(v)) => {
                out.insert(k.clone(), v);
            }
            Some(None) => {
                out.shift_remove(k);
            }
            None => conflicts.push(format!("{field}.{k}")),
        }
    }
    if conflicts.len() > before {
        return Err(());
    }
    Ok(Some(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().unwrap().clone()
    }

    fn base() -> Doc {
        doc(json!({
            "last_updated": "2025-11-15T10:00:00Z",
            "total_sessions": 15,
            "total_hours": 45,
            "core_decisions": [
                {"id": "decision-001", "decision": "Use Ollama", "session_id": "s0"}
            ],
            "architecture_state": {"api": "deployed", "db": "planned"},
            "best_practices": ["Test endpoints"],
            "pending_work": [
                {"priority": "high", "task": "Deploy dashboard"},
                {"priority": "low", "task": "Polish"}
            ],
            "revenue_streams": {"sovereign": "planned"},
            "last_merged_session": "s0"
        }))
    }

    #[test]
    fn both_sides_sessions_count_and_lists_combine() {
        let b = base();
        // Upstream: one session ended elsewhere, added a decision and a pending item, and
        // finished "Deploy dashboard".
        let mut u = b.clone();
        u.insert("total_sessions".into(), json!(16));
        u.insert("total_hours".into(), json!(46.5));
        u.insert("last_updated".into(), json!("2025-11-16T09:00:00Z"));
        u["core_decisions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "decision-002", "decision": "Use Axum", "session_id": "bob-1"}));
        u.insert(
            "pending_work".into(),
            json!([{"priority": "low", "task": "Polish"},
                   {"priority": "medium", "task": "Write runbook", "added_by": "bob-1"}]),
        );
        u.insert("last_merged_session".into(), json!("bob-1"));
        // Local: two sessions here; a decision, a next step, a best practice, a priority
        // change, and a hand edit to a field baton does not own.
        let mut l = b.clone();
        l.insert("total_sessions".into(), json!(17));
        l.insert("total_hours".into(), json!(48));
        l.insert("last_updated".into(), json!("2025-11-16T08:00:00Z"));
        l["core_decisions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "decision-002", "decision": "Use rsync", "session_id": "ana-1"}));
        l.insert(
            "pending_work".into(),
            json!([{"priority": "high", "task": "Deploy dashboard"},
                   {"priority": "high", "task": "Polish"},
                   {"priority": "medium", "task": "Add TLS", "added_by": "ana-2"}]),
        );
        l["best_practices"]
            .as_array_mut()
            .unwrap()
            .push(json!("Pin versions"));
        l.insert("revenue_streams".into(), json!({"sovereign": "live"}));
        l.insert("last_merged_session".into(), json!("ana-2"));

        let m = merge_three_way(&b, &u, &l).unwrap();
        assert_eq!(m["total_sessions"], 18);
        assert_eq!(m["total_hours"], 49.5);
        assert_eq!(m["last_updated"], "2025-11-16T09:00:00Z");
        let ids: Vec<(&str, &str)> = m["core_decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["id"].as_str().unwrap(), d["decision"].as_str().unwrap()))
            .collect();
        assert_eq!(
            ids,
            [
                ("decision-001", "Use Ollama"),
                ("decision-002", "Use Axum"),
                ("decision-003", "Use rsync")
            ]
        );
        assert_eq!(
            m["pending_work"],
            json!([{"priority": "high", "task": "Polish"},
                   {"priority": "medium", "task": "Write runbook", "added_by": "bob-1"},
                   {"priority": "medium", "task": "Add TLS", "added_by": "ana-2"}])
        );
        assert_eq!(
            m["best_practices"],
            json!(["Test endpoints", "Pin versions"])
        );
        assert_eq!(m["revenue_streams"], json!({"sovereign": "live"}));
        assert_eq!(m["last_merged_session"], "ana-2");
        // Key order is upstream's.
        let keys: Vec<&String> = m.keys().collect();
        let want: Vec<&String> = u.keys().collect();
        assert_eq!(keys, want);
    }

    #[test]
    fn one_sided_changes_are_taken_as_they_are() {
        let b = base();
        let mut u = b.clone();
        u.insert("hand_notes".into(), json!("added upstream by hand"));
        u["architecture_state"]["db"] = json!("deployed");
        let mut l = b.clone();
        l["architecture_state"]["cache"] = json!({"status": "planned"});
        l.shift_remove("revenue_streams");
        let m = merge_three_way(&b, &u, &l).unwrap();
        assert_eq!(m["hand_notes"], "added upstream by hand");
        assert_eq!(
            m["architecture_state"],
            json!({"api": "deployed", "db": "deployed", "cache": {"status": "planned"}})
        );
        assert!(!m.contains_key("revenue_streams"));
        assert_eq!(m["total_sessions"], 15);
    }

    #[test]
    fn the_same_field_changed_differently_is_a_conflict() {
        let b = base();
        let mut u = b.clone();
        u.insert("revenue_streams".into(), json!({"sovereign": "paused"}));
        u["architecture_state"]["api"] = json!("retired");
        let mut l = b.clone();
        l.insert("revenue_streams".into(), json!({"sovereign": "live"}));
        l["architecture_state"]["api"] = json!("v2");
        let err = merge_three_way(&b, &u, &l).unwrap_err();
        assert_eq!(err, ["architecture_state.api", "revenue_streams"]);
        // The same change on both sides is no conflict.
        let m = merge_three_way(&b, &u, &u).unwrap();
        assert_eq!(m, u);
    }

    #[test]
    fn a_file_added_on_both_sides_counts_both() {
        let b = Doc::new();
        let u = doc(
            json!({"total_sessions": 1, "core_decisions": [{"id": "decision-001", "decision": "A", "session_id": "x"}]}),
        );
        let l = doc(
            json!({"total_sessions": 2, "core_decisions": [{"id": "decision-001", "decision": "B", "session_id": "y"}]}),
        );
        let m = merge_three_way(&b, &u, &l).unwrap();
        assert_eq!(m["total_sessions"], 3);
        assert_eq!(m["core_decisions"][1]["id"], "decision-002");
    }
}
