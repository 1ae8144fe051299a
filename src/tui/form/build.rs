//! Forms, prefilled from what the session already logged (and, for the end form, from git).

use crate::domain::compose::handoff_draft;
use crate::domain::items::{PendingItem, Priority};
use crate::domain::session::{Commit, SessionRecord};

use super::field::{Field, FieldKind};
use super::{Form, FormKind};

pub const DECISION_HINT: &str = "one per line: decision | why | impact";
pub const BLOCKER_HINT: &str = "one per line: blocker | solution | lesson";
pub const NEXT_HINT: &str = "one per line: task | high, medium or low";
pub const CODE_HINT: &str = "one per line: path - note";
pub const ITEM_HINT: &str = "one per line";

fn priorities() -> FieldKind {
    FieldKind::Choice(
        Priority::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    )
}

pub fn decision(session_id: &str) -> Form {
    Form::new(
        FormKind::Decision,
        Some(session_id.to_string()),
        vec![
            Field::new("decision", "Decision", FieldKind::Line, "").required(),
            Field::new("why", "Why", FieldKind::Text, ""),
            Field::new("impact", "Impact", FieldKind::Line, ""),
        ],
    )
}

pub fn pending(editing: Option<&PendingItem>) -> Form {
    let (task, priority, status) = match editing {
        Some(p) => (
            p.task.as_str(),
            p.priority.as_str(),
            p.status.as_deref().unwrap_or_default(),
        ),
        None => ("", Priority::Medium.as_str(), ""),
    };
    Form::new(
        FormKind::Pending {
            editing: editing.map(|p| p.task.clone()),
        },
        None,
        vec![
            Field::new("task", "Task", FieldKind::Line, task).required(),
            Field::new("priority", "Priority", priorities(), priority),
            Field::new("status", "Status", FieldKind::Line, status),
        ],
    )
}

/// The seed's nine handoff sections, prefilled as `baton end` would write them.
pub fn handoff(record: &SessionRecord, pending: &[PendingItem], file_name: &str) -> Form {
    let d = handoff_draft(record, pending);
    let list = |items: &[String]| items.join("\n");
    Form::new(
        FormKind::Handoff {
            file_name: file_name.to_string(),
        },
        Some(record.session_id.clone()),
        vec![
            Field::new(
                "quick_summary",
                "Quick Summary",
                FieldKind::Text,
                &d.quick_summary,
            )
            .required(),
            Field::new(
                "accomplished",
                "What Was Accomplished",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.accomplished),
            ),
            Field::new(
                "current_state",
                "Current State",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.current_state),
            ),
            Field::new(
                "pending",
                "Pending Items",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.pending),
            ),
            Field::new(
                "key_commands",
                "Key Commands",
                FieldKind::Text,
                &d.key_commands,
            ),
            Field::new(
                "important_context",
                "Important Context for Next Session",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.important_context),
            ),
            Field::new(
                "decisions",
                "Decisions Made This Session",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.decisions),
            ),
            Field::new(
                "code_locations",
                "Code Locations",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.code_locations),
            ),
            Field::new(
                "next_session_start",
                "Next Session Should Start With",
                FieldKind::List { hint: ITEM_HINT },
                &list(&d.next_session_start),
            ),
        ],
    )
}

/// Every field of the seed's session context, prefilled from the record.
pub fn end(record: &SessionRecord) -> Form {
    let join = |items: Vec<String>| items.join("\n");
    let decisions = join(
        record
            .decisions_made
            .iter()
            .map(|d| {
                joined(&[
                    &d.decision,
                    d.reasoning.as_deref().unwrap_or_default(),
                    d.impact.as_deref().unwrap_or_default(),
                ])
            })
            .collect(),
    );
    let blockers = join(
        record
            .blockers_encountered
            .iter()
            .map(|b| {
                joined(&[
                    &b.blocker,
                    b.solution.as_deref().unwrap_or_default(),
                    b.lesson.as_deref().unwrap_or_default(),
                ])
            })
            .collect(),
    );
    let next = join(
        record
            .next_steps
            .iter()
            .map(|p| joined(&[&p.task, p.priority.as_str()]))
            .collect(),
    );
    let list = |items: &[String]| items.join("\n");
    Form::new(
        FormKind::End,
        Some(record.session_id.clone()),
        vec![
            Field::new("goal", "Goal", FieldKind::Line, &record.primary_goal).required(),
            Field::new(
                "summary",
                "Summary (the handoff's Quick Summary)",
                FieldKind::Text,
                record.summary.as_deref().unwrap_or_default(),
            ),
            Field::new(
                "achievements",
                "Achievements",
                FieldKind::List { hint: ITEM_HINT },
                &list(&record.achievements),
            ),
            Field::new(
                "decisions",
                "Decisions",
                FieldKind::List {
                    hint: DECISION_HINT,
                },
                &decisions,
            ),
            Field::new(
                "code",
                "Code created",
                FieldKind::List { hint: CODE_HINT },
                &list(&record.code_created),
            ),
            Field::new(
                "insights",
                "Insights",
                FieldKind::List { hint: ITEM_HINT },
                &list(&record.insights_gained),
            ),
            Field::new(
                "practices",
                "Best practices",
                FieldKind::List { hint: ITEM_HINT },
                &list(&record.best_practices),
            ),
            Field::new(
                "blockers",
                "Blockers",
                FieldKind::List { hint: BLOCKER_HINT },
                &blockers,
            ),
            Field::new(
                "next",
                "Next steps",
                FieldKind::List { hint: NEXT_HINT },
                &next,
            ),
            Field::new(
                "services",
                "Services deployed",
                FieldKind::List { hint: ITEM_HINT },
                &list(&record.services_deployed),
            ),
            Field::new(
                "files",
                "Files modified",
                FieldKind::List { hint: ITEM_HINT },
                &list(&record.files_modified),
            ),
            Field::new(
                "notes",
                "Handoff notes",
                FieldKind::Text,
                &record.handoff_notes,
            ),
            Field::new(
                "commits",
                "Commits in this session's window (from git)",
                FieldKind::Info,
                "(looking…)",
            ),
        ],
    )
}

/// Git's answer for the end form: changed files join the list, commits are shown.
pub fn fill_git(form: &mut Form, commits: &[Commit], files: &[String]) {
    if let Some(f) = form.field_mut("files") {
        let mut items = f.items();
        for file in files {
            if !items.contains(file) {
                items.push(file.clone());
            }
        }
        f.set_text(&items.join("\n"));
    }
    if let Some(f) = form.field_mut("commits") {
        let text = if commits.is_empty() {
            "(none, or not a git repository)".to_string()
        } else {
            commits
                .iter()
                .map(Commit::oneline)
                .collect::<Vec<_>>()
                .join("\n")
        };
        f.set_text(&text);
    }
}

/// `a | b | c`, dropping empty trailing parts.
fn joined(parts: &[&str]) -> String {
    let mut parts: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts.join(" | ")
}
