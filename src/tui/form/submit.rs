//! A form's values → the store request the CLI would make for the same content, with
//! inline validation (messages land on the fields).

use crate::domain::events::EventKind;
use crate::domain::handoff::HandoffDraft;
use crate::domain::items::{Blocker, Decision, PendingItem, Priority};
use crate::domain::session::SessionRecord;
use crate::store::edit::PendingEdit;

use super::{Form, FormKind};
use crate::tui::action::WriteOp;

/// The request to save, or `None` with messages set on the fields that need fixing.
pub fn request(form: &mut Form, base: Option<&SessionRecord>) -> Option<WriteOp> {
    for f in &mut form.fields {
        f.error = (f.required && f.text().is_empty()).then(|| format!("{} is required", f.label));
    }
    let op = match &form.kind {
        FormKind::Decision => {
            let mut d = Decision::new(text(form, "decision"));
            d.reasoning = some(text(form, "why"));
            d.impact = some(text(form, "impact"));
            WriteOp::Log {
                session_id: form.session_id.clone().unwrap_or_default(),
                kind: EventKind::Decision { decision: d },
            }
        }
        FormKind::Pending { editing } => {
            let priority = Priority::parse(&text(form, "priority")).unwrap_or_default();
            let (task, status) = (text(form, "task"), some(text(form, "status")));
            match editing {
                None => WriteOp::Pending(PendingEdit::Add {
                    task,
                    priority,
                    status,
                }),
                Some(old) => WriteOp::Pending(PendingEdit::Update {
                    task: old.clone(),
                    new_task: task,
                    priority,
                    status,
                }),
            }
        }
        FormKind::Handoff { file_name } => WriteOp::Handoff {
            file_name: file_name.clone(),
            text: handoff_text(form),
        },
        FormKind::End => {
            let mut record = base.cloned().unwrap_or_default();
            apply_end_fields(form, &mut record);
            WriteOp::End {
                session_id: form.session_id.clone().unwrap_or_default(),
                record: Box::new(record),
            }
        }
    };
    form.fields.iter().all(|f| f.error.is_none()).then_some(op)
}

fn text(form: &Form, key: &str) -> String {
    form.field(key).map(|f| f.text()).unwrap_or_default()
}

fn items(form: &Form, key: &str) -> Vec<String> {
    form.field(key).map(|f| f.items()).unwrap_or_default()
}

fn some(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn parts(line: &str) -> Vec<String> {
    line.split(" | ").map(|p| p.trim().to_string()).collect()
}

/// The handoff as the form shows it (used for the live preview and for saving).
pub fn handoff_text(form: &Form) -> String {
    HandoffDraft {
        date: (match &form.kind {
            FormKind::Handoff { file_name } => chrono::NaiveDate::parse_from_str(
                file_name.get(..10).unwrap_or_default(),
                "%Y-%m-%d",
            )
            .ok(),
            _ => None,
        }),
        session_id: form.session_id.clone().unwrap_or_default(),
        quick_summary: text(form, "quick_summary"),
        accomplished: items(form, "accomplished"),
        current_state: items(form, "current_state"),
        pending: items(form, "pending"),
        key_commands: text(form, "key_commands"),
        important_context: items(form, "important_context"),
        decisions: items(form, "decisions"),
        code_locations: items(form, "code_locations"),
        next_session_start: items(form, "next_session_start"),
    }
    .render()
}

/// Writes the end form's fields into the record; bad lines get a message on their field.
fn apply_end_fields(form: &mut Form, record: &mut SessionRecord) {
    record.primary_goal = text(form, "goal");
    record.summary = some(text(form, "summary"));
    record.achievements = items(form, "achievements");
    record.decisions_made = items(form, "decisions")
        .iter()
        .map(|line| {
            let p = parts(line);
            let mut d = Decision::new(p[0].clone());
            d.reasoning = p.get(1).cloned().and_then(some);
            d.impact = p.get(2).cloned().and_then(some);
            d
        })
        .collect();
    record.code_created = items(form, "code");
    record.insights_gained = items(form, "insights");
    record.best_practices = items(form, "practices");
    for p in &record.best_practices {
        if !record.insights_gained.contains(p) {
            record.insights_gained.push(p.clone());
        }
    }
    record.blockers_encountered = items(form, "blockers")
        .iter()
        .map(|line| {
            let p = parts(line);
            let mut b = Blocker::new(p[0].clone());
            b.solution = p.get(1).cloned().and_then(some);
            b.lesson = p.get(2).cloned().and_then(some);
            b
        })
        .collect();
    let mut bad = Vec::new();
    record.next_steps = items(form, "next")
        .iter()
        .map(|line| {
            let p = parts(line);
            let priority = match p.get(1) {
                None => Priority::Medium,
                Some(word) => Priority::parse(word).unwrap_or_else(|| {
                    bad.push(word.clone());
                    Priority::Medium
                }),
            };
            PendingItem::new(p[0].clone(), priority)
        })
        .collect();
    if let (Some(word), Some(f)) = (bad.first(), form.field_mut("next")) {
        f.error = Some(format!(
            "{word:?} is not a priority: use high, medium or low"
        ));
    }
    record.services_deployed = items(form, "services");
    record.files_modified = items(form, "files");
    record.handoff_notes = text(form, "notes");
}
