//! Form drafts in `.baton/drafts/<name>.json`, written as the user types so that a crash or
//! a killed terminal loses nothing. Opaque JSON to the store; the dashboard owns the shape.

use std::fs;

use serde_json::Value;

use crate::domain::ids::validate_id;
use crate::domain::json_doc::{Doc, parse_object};

use super::StoreError;
use super::fsio::{atomic_write, io_err};
use super::ops::Store;
use super::read::{list_dir, read_text};

impl Store {
    pub fn save_draft(&self, name: &str, draft: &Value) -> Result<(), StoreError> {
        validate_id(name).map_err(StoreError::Usage)?;
        let path = self
            .layout
            .private_dir()
            .join("drafts")
            .join(format!("{name}.json"));
        let mut bytes = serde_json::to_vec_pretty(draft).unwrap_or_default();
        bytes.push(b'\n');
        Ok(atomic_write(&path, &bytes)?)
    }

    pub fn delete_draft(&self, name: &str) -> Result<(), StoreError> {
        validate_id(name).map_err(StoreError::Usage)?;
        let path = self
            .layout
            .private_dir()
            .join("drafts")
            .join(format!("{name}.json"));
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e).into()),
        }
    }

    /// Every draft that parses, by name. A draft that does not parse is skipped (it was
    /// being written when the machine died; the temp-and-rename write makes that rare).
    pub fn load_drafts(&self) -> Result<Vec<(String, Value)>, StoreError> {
        let dir = self.layout.private_dir().join("drafts");
        let mut out = Vec::new();
        for entry in list_dir(&dir)? {
            let Some(name) = entry.name.strip_suffix(".json") else {
                continue;
            };
            let mut ignored = Vec::new();
            if let Some(text) = read_text(&self.layout, &entry.path, &mut ignored)?
                && let Doc::Ok(map) = parse_object(&entry.name, &text)
            {
                out.push((name.to_string(), Value::Object(map)));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_round_trip_and_delete() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        store
            .save_draft(
                "handoff",
                &serde_json::json!({"fields": {"summary": "half-typed"}}),
            )
            .unwrap();
        let drafts = store.load_drafts().unwrap();
        assert_eq!(drafts[0].0, "handoff");
        assert_eq!(drafts[0].1["fields"]["summary"], "half-typed");
        store.delete_draft("handoff").unwrap();
        store.delete_draft("handoff").unwrap();
        assert!(store.load_drafts().unwrap().is_empty());
        assert!(store.save_draft("../x", &Value::Null).is_err());
    }
}
