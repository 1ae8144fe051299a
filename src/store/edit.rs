//! Edits the dashboard makes outside a session's own log: pending work in the knowledge
//! base, and a handoff written by hand in the form. The CLI exposes the same functions
//! (`baton pending …`, `baton handoff`), so there is one way to make each change.

use std::path::PathBuf;

use serde_json::Value;

use crate::domain::items::{PendingItem, Priority};
use crate::domain::json_doc::Doc;
use crate::domain::knowledge::Knowledge;
use crate::domain::scrub::{RedactionNote, scrub_text};
use crate::domain::text::normalize;

use super::StoreError;
use super::decision_cache;
use super::fsio::{atomic_write, lock, lock_timeout};
use super::ops::Store;

#[derive(Debug, Clone, PartialEq)]
pub enum PendingEdit {
    Add {
        task: String,
        priority: Priority,
        status: Option<String>,
    },
    /// Finished: the item leaves pending work.
    Done {
        task: String,
    },
    SetPriority {
        task: String,
        priority: Priority,
    },
    /// Rewrites the item named `task` (its other fields are kept).
    Update {
        task: String,
        new_task: String,
        priority: Priority,
        status: Option<String>,
    },
}

impl Store {
    /// Applies one edit to `pending_work` under the lock; refuses a knowledge base that does
    /// not parse (it is never overwritten).
    pub fn edit_pending(
        &self,
        edit: PendingEdit,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<RedactionNote>, StoreError> {
        let _lock = lock(&self.layout.lock(), lock_timeout())?;
        let cache_bytes = decision_cache::load(&self.layout);
        let (doc, cached, mut cache) = self.read_knowledge_doc(&cache_bytes)?;
        let mut knowledge = match doc {
            None => Knowledge::default(),
            Some(Doc::Ok(knowledge)) => knowledge,
            Some(Doc::Broken { problem, .. }) => return Err(StoreError::Refused(vec![problem])),
        };
        let mut notes = Vec::new();
        let mut clean = |t: &str| scrub_text(t.trim(), &self.allow, "pending item", &mut notes);
        let list = match knowledge
            .doc
            .entry("pending_work")
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(list) => list,
            other => {
                *other = Value::Array(vec![std::mem::take(other)]);
                match other {
                    Value::Array(list) => list,
                    _ => unreachable!("just made an array"),
                }
            }
        };
        let find = |list: &[Value], task: &str| {
            let key = normalize(task);
            list.iter()
                .position(|v| PendingItem::from_value(v.clone()).key() == key)
        };
        let missing = |task: &str| StoreError::Usage(format!("no pending item {task:?}"));
        match edit {
            PendingEdit::Add {
                task,
                priority,
                status,
            } => {
                let task = clean(&task);
                if task.is_empty() {
                    return Err(StoreError::Usage("the pending item is empty".into()));
                }
                if find(list, &task).is_some() {
                    return Err(StoreError::Usage(format!("{task:?} is already pending")));
                }
                let mut item = PendingItem::new(task, priority);
                item.status = status.map(|s| clean(&s)).filter(|s| !s.is_empty());
                item.extra.insert(
                    "added_at".into(),
                    Value::String(crate::domain::time::format_timestamp(now)),
                );
                list.push(item.to_value());
            }
            PendingEdit::Done { task } => {
                let i = find(list, &task).ok_or_else(|| missing(&task))?;
                list.remove(i);
            }
            PendingEdit::SetPriority { task, priority } => {
                let i = find(list, &task).ok_or_else(|| missing(&task))?;
                let mut item = PendingItem::from_value(list[i].clone());
                item.set_priority(priority);
                list[i] = item.to_value();
            }
            PendingEdit::Update {
                task,
                new_task,
                priority,
                status,
            } => {
                let i = find(list, &task).ok_or_else(|| missing(&task))?;
                let new_task = clean(&new_task);
                if new_task.is_empty() {
                    return Err(StoreError::Usage("the pending item is empty".into()));
                }
                let mut item = PendingItem::from_value(list[i].clone());
                item.task = new_task;
                item.set_priority(priority);
                item.status = status.map(|s| clean(&s)).filter(|s| !s.is_empty());
                list[i] = item.to_value();
            }
        }
        self.write_knowledge(&knowledge, cached.then_some(&mut cache))?;
        Ok(notes)
    }

    /// Writes a handoff the user composed (redacted first) under `file_name` in
    /// `SESSION_HANDOFFS/`; `end` keeps it rather than generating one.
    pub fn write_handoff(
        &self,
        file_name: &str,
        text: &str,
    ) -> Result<(PathBuf, Vec<RedactionNote>), StoreError> {
        crate::domain::ids::validate_id(file_name)
            .map_err(|e| StoreError::Usage(e.replace("session id", "file name")))?;
        let mut notes = Vec::new();
        let clean = scrub_text(text, &self.allow, "handoff", &mut notes);
        let path = self.layout.handoff(file_name);
        let _lock = lock(&self.layout.lock(), lock_timeout())?;
        atomic_write(&path, clean.as_bytes())?;
        Ok((path, notes))
    }
}
