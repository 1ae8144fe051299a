//! An active session is stored as an append-only JSON-lines file of events, one per `log`:
//! appends are one `write` each, so parallel writers and crashes cannot lose or tear
//! earlier entries, and the session record is the fold of its events.

use serde::{Deserialize, Serialize};

use super::items::{Blocker, Decision, PendingItem};
use super::session::{ChecklistItem, SessionRecord};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Start {
        session_id: String,
        #[serde(default)]
        primary_goal: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        checklist: Vec<ChecklistItem>,
    },
    Goal {
        text: String,
    },
    Decision {
        #[serde(flatten)]
        decision: Decision,
    },
    Insight {
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        practice: bool,
    },
    Achievement {
        text: String,
    },
    Blocker {
        #[serde(flatten)]
        blocker: Blocker,
    },
    Next {
        #[serde(flatten)]
        item: PendingItem,
    },
    Code {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A pending item finished during the session.
    Done {
        task: String,
    },
    /// A template checklist item checked or unchecked.
    Check {
        index: usize,
        done: bool,
    },
    Service {
        text: String,
    },
    Notes {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    pub fn new(at: String, kind: EventKind) -> Self {
        Event { at, kind }
    }

    /// The whole line as written to disk (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Builds the session record from its events, in file order.
pub fn fold(events: &[Event]) -> SessionRecord {
    let mut record = SessionRecord::default();
    for event in events {
        apply(&mut record, event);
    }
    record
}

pub fn apply(record: &mut SessionRecord, event: &Event) {
    match &event.kind {
        EventKind::Start {
            session_id,
            primary_goal,
            template,
            checklist,
        } => {
            record.session_id = session_id.clone();
            record.started_at = Some(event.at.clone());
            record.primary_goal = primary_goal.clone();
            record.template = template.clone();
            record.checklist = checklist.clone();
        }
        EventKind::Goal { text } => record.primary_goal = text.clone(),
        EventKind::Decision { decision } => record.decisions_made.push(decision.clone()),
        EventKind::Insight { text, practice } => {
            record.insights_gained.push(text.clone());
            if *practice {
                record.best_practices.push(text.clone());
            }
        }
        EventKind::Achievement { text } => record.achievements.push(text.clone()),
        EventKind::Blocker { blocker } => record.blockers_encountered.push(blocker.clone()),
        EventKind::Next { item } => record.next_steps.push(item.clone()),
        EventKind::Code { path, note } => record.code_created.push(match note {
            Some(n) if !n.is_empty() => format!("{path} - {n}"),
            _ => path.clone(),
        }),
        EventKind::Done { task } => record.completed.push(task.clone()),
        EventKind::Check { index, done } => {
            if let Some(item) = record.checklist.get_mut(*index) {
                item.done = *done;
            }
        }
        EventKind::Service { text } => record.services_deployed.push(text.clone()),
        EventKind::Notes { text } => record.handoff_notes = text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::items::Priority;

    #[test]
    fn events_fold_into_a_record_and_lines_round_trip() {
        let events = vec![
            Event::new(
                "2025-11-15T20:00:00Z".into(),
                EventKind::Start {
                    session_id: "s1".into(),
                    primary_goal: "ship".into(),
                    template: None,
                    checklist: vec![],
                },
            ),
            Event::new(
                "2025-11-15T20:10:00Z".into(),
                EventKind::Decision {
                    decision: Decision::new("use rust"),
                },
            ),
            Event::new(
                "2025-11-15T20:11:00Z".into(),
                EventKind::Insight {
                    text: "fsync the dir".into(),
                    practice: true,
                },
            ),
            Event::new(
                "2025-11-15T20:12:00Z".into(),
                EventKind::Next {
                    item: PendingItem::new("write docs", Priority::High),
                },
            ),
            Event::new(
                "2025-11-15T20:13:00Z".into(),
                EventKind::Code {
                    path: "src/a.rs".into(),
                    note: Some("new".into()),
                },
            ),
        ];
        let lines: Vec<String> = events.iter().map(Event::to_line).collect();
        let parsed: Vec<Event> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed, events);
        let r = fold(&parsed);
        assert_eq!(r.session_id, "s1");
        assert_eq!(r.started_at.as_deref(), Some("2025-11-15T20:00:00Z"));
        assert_eq!(r.decisions_made[0].decision, "use rust");
        assert_eq!(r.best_practices, vec!["fsync the dir"]);
        assert_eq!(r.next_steps[0].priority, Priority::High);
        assert_eq!(r.code_created, vec!["src/a.rs - new"]);
    }
}
