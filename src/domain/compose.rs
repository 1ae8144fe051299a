//! Turns a session record into the seed's handoff document.

use super::handoff::HandoffDraft;
use super::items::PendingItem;
use super::session::SessionRecord;
use super::time::parse_date;

/// The handoff of a session. `pending_after` is the knowledge base's pending work right
/// after this session was merged (what the next session inherits).
pub fn handoff_draft(record: &SessionRecord, pending_after: &[PendingItem]) -> HandoffDraft {
    let date = record
        .ended_at
        .as_deref()
        .or(record.started_at.as_deref())
        .and_then(parse_date);
    let quick_summary = record
        .summary
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| (!record.handoff_notes.trim().is_empty()).then(|| record.handoff_notes.clone()))
        .unwrap_or_else(|| default_summary(record));

    let mut current_state = Vec::new();
    if !record.primary_goal.is_empty() {
        current_state.push(format!("**Goal:** {}", record.primary_goal));
    }
    if !record.services_deployed.is_empty() {
        current_state.push(format!(
            "**Services:** {}",
            record.services_deployed.join(", ")
        ));
    }
    for (k, v) in &record.metrics {
        current_state.push(format!("**{k}:** {}", super::knowledge::compact(v)));
    }
    for b in &record.blockers_encountered {
        let mut line = format!("**Blocker:** {}", b.blocker);
        if let Some(s) = &b.solution {
            line.push_str(&format!(" → solved: {s}"));
        }
        if let Some(l) = &b.lesson {
            line.push_str(&format!(" (lesson: {l})"));
        }
        current_state.push(line);
    }
    if let Some(d) = record.duration_hours {
        current_state.push(format!("**Duration:** {d} h"));
    }

    let mut pending_items: Vec<&PendingItem> = if pending_after.is_empty() {
        record.next_steps.iter().collect()
    } else {
        pending_after.iter().collect()
    };
    pending_items.sort_by_key(|p| p.priority);
    let pending = pending_items.into_iter().map(pending_line).collect();

    let mut important_context = Vec::new();
    if !record.handoff_notes.trim().is_empty()
        && record
            .summary
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
    {
        important_context.push(record.handoff_notes.trim().to_string());
    }
    important_context.extend(record.insights_gained.iter().cloned());
    if !record.commits.is_empty() {
        important_context.push(format!(
            "Commits: {}",
            record
                .commits
                .iter()
                .map(|c| c.oneline())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }

    let decisions = record
        .decisions_made
        .iter()
        .map(|d| {
            let mut line = d.decision.clone();
            if let Some(r) = d.reasoning.as_deref().filter(|r| !r.is_empty()) {
                line.push_str(&format!(" ({r})"));
            }
            if let Some(i) = d.impact.as_deref().filter(|i| !i.is_empty()) {
                line.push_str(&format!(" → {i}"));
            }
            line
        })
        .collect();

    let mut code_locations = record.code_created.clone();
    if !record.files_modified.is_empty() {
        code_locations.push(format!("Changed: {}", record.files_modified.join(", ")));
    }

    let mut next: Vec<&PendingItem> = record.next_steps.iter().collect();
    next.sort_by_key(|p| p.priority);
    HandoffDraft {
        date,
        session_id: record.session_id.clone(),
        quick_summary,
        accomplished: record.achievements.clone(),
        current_state,
        pending,
        key_commands: record.key_commands.clone().unwrap_or_default(),
        important_context,
        decisions,
        code_locations,
        next_session_start: next.iter().map(|p| p.task.clone()).collect(),
    }
}

fn pending_line(p: &PendingItem) -> String {
    let mut line = if p.has_priority() {
        format!("[{}] {}", p.priority.as_str(), p.task)
    } else {
        p.task.clone()
    };
    if let Some(s) = p.status.as_deref().filter(|s| !s.is_empty()) {
        line.push_str(&format!(" ({s})"));
    }
    line
}

fn default_summary(record: &SessionRecord) -> String {
    let c = record.counts();
    let goal = if record.primary_goal.is_empty() {
        "Session".to_string()
    } else {
        record.primary_goal.clone()
    };
    format!(
        "{goal}: {} achievements, {} decisions, {} insights, {} next steps.",
        c.achievements, c.decisions, c.insights, c.next_steps
    )
}
