//! The context pack: what a new session should load, in priority order, trimmed to a token
//! budget (4 characters ≈ 1 token) from the least important end. Pending work and the last
//! handoff's summary are never cut.

use serde::Serialize;

use super::board::Board;
use super::items::{Decision, PendingItem};
use super::knowledge::{Component, Totals, compact};
use super::session::{SessionCounts, SessionRecord};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PendingView {
    /// `None` for items written without one (the seed's string form).
    pub priority: Option<String>,
    pub task: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl From<&PendingItem> for PendingView {
    fn from(p: &PendingItem) -> Self {
        PendingView {
            priority: p.has_priority().then(|| {
                p.priority_raw
                    .clone()
                    .unwrap_or_else(|| p.priority.as_str().to_string())
            }),
            task: p.task.clone(),
            status: p.status.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HandoffView {
    pub file: String,
    pub summary: Option<String>,
    /// The whole document; `None` once trimmed to fit the budget.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DecisionView {
    pub date: Option<String>,
    pub decision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl From<&Decision> for DecisionView {
    fn from(d: &Decision) -> Self {
        DecisionView {
            date: d.date.clone(),
            decision: d.decision.clone(),
            reasoning: d.reasoning.clone(),
            impact: d.impact.clone().or_else(|| d.results().map(str::to_string)),
            status: d.status.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActiveView {
    pub session_id: String,
    pub goal: String,
    pub started_at: Option<String>,
    pub counts: SessionCounts,
}

impl From<&SessionRecord> for ActiveView {
    fn from(r: &SessionRecord) -> Self {
        ActiveView {
            session_id: r.session_id.clone(),
            goal: r.primary_goal.clone(),
            started_at: r.started_at.clone(),
            counts: r.counts(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContextPack {
    pub directory: String,
    pub totals: Totals,
    pub last_updated: Option<String>,
    pub pending: Vec<PendingView>,
    pub last_handoff: Option<HandoffView>,
    pub recent_decisions: Vec<DecisionView>,
    pub architecture: Vec<Component>,
    pub best_practices: Vec<String>,
    pub active_sessions: Vec<ActiveView>,
    /// Fields of the knowledge base baton does not interpret, as one-line text.
    pub other_knowledge: Vec<(String, String)>,
    /// `PATH:LINE:COL: message` for files that did not parse (or were read lossily).
    pub problems: Vec<String>,
    /// Service health lines, when checked (filled by the health issue's checker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Vec<String>>,
    /// What the memory server said (`GET /memory/get-context`, or Mem0's search for
    /// `context --query`), when one is configured; a failure is one line saying why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Vec<String>>,
    /// What was left out to fit the budget.
    pub trimmed: Vec<String>,
}

/// How many recent decisions a pack carries before any budget trimming.
pub const RECENT_DECISIONS: usize = 10;

pub fn build(board: &Board, directory: String, last_handoff: Option<HandoffView>) -> ContextPack {
    let k = &board.knowledge;
    let skip = board.decisions.len().saturating_sub(RECENT_DECISIONS);
    ContextPack {
        directory,
        totals: k.totals(),
        last_updated: k.last_updated(),
        pending: board.pending.iter().map(PendingView::from).collect(),
        last_handoff,
        recent_decisions: board
            .decisions
            .iter()
            .skip(skip)
            .rev()
            .map(DecisionView::from)
            .collect(),
        architecture: k.architecture(),
        best_practices: k.best_practices(),
        active_sessions: board
            .active
            .iter()
            .map(|a| ActiveView::from(&a.record))
            .collect(),
        other_knowledge: k
            .other_fields()
            .into_iter()
            .map(|(key, v)| (key.to_string(), compact(v)))
            .collect(),
        problems: board.problems.iter().map(ToString::to_string).collect(),
        health: None,
        memory: None,
        trimmed: Vec::new(),
    }
}

/// One way of making a pack smaller; returns whether it removed anything.
type TrimStep = fn(&mut ContextPack) -> bool;

/// Trims `pack` until its Markdown fits `tokens`, least important first.
pub fn fit_budget(pack: &mut ContextPack, tokens: usize) {
    let limit = tokens.saturating_mul(4);
    let fits = |p: &ContextPack| render_markdown(p).chars().count() <= limit;
    if fits(pack) {
        return;
    }
    let steps: [(&str, TrimStep); 8] = [
        ("other knowledge fields", |p| {
            !std::mem::take(&mut p.other_knowledge).is_empty()
        }),
        ("the memory server's context", |p| {
            p.memory.take().is_some_and(|m| !m.is_empty())
        }),
        ("best practices", |p| {
            !std::mem::take(&mut p.best_practices).is_empty()
        }),
        ("architecture state", |p| {
            !std::mem::take(&mut p.architecture).is_empty()
        }),
        ("older decisions", |p| {
            let before = p.recent_decisions.len();
            p.recent_decisions.truncate(3);
            before > 3
        }),
        ("the last handoff's full text (its summary is kept)", |p| {
            p.last_handoff
                .as_mut()
                .is_some_and(|h| h.text.take().is_some())
        }),
        ("recent decisions", |p| {
            !std::mem::take(&mut p.recent_decisions).is_empty()
        }),
        ("active sessions", |p| {
            !std::mem::take(&mut p.active_sessions).is_empty()
        }),
    ];
    for (what, step) in steps {
        if step(pack) {
            pack.trimmed.push(what.to_string());
        }
        if fits(pack) {
            return;
        }
    }
}

pub fn render_markdown(p: &ContextPack) -> String {
    let mut out = String::new();
    out.push_str(&format!("# Session context — {}\n\n", p.directory));
    out.push_str(&format!(
        "**Knowledge:** {} sessions, {} hours{}\n",
        p.totals.sessions,
        trim_float(p.totals.hours),
        p.last_updated
            .as_ref()
            .map(|u| format!(", last updated {u}"))
            .unwrap_or_default()
    ));
    if !p.problems.is_empty() {
        out.push_str("\n## Problems\n");
        for line in &p.problems {
            out.push_str(&format!("- {line}\n"));
        }
    }
    out.push_str("\n## Pending work\n");
    if p.pending.is_empty() {
        out.push_str("- (none)\n");
    }
    for item in &p.pending {
        match &item.priority {
            Some(p) => out.push_str(&format!("- [{p}] {}", item.task)),
            None => out.push_str(&format!("- {}", item.task)),
        }
        if let Some(s) = item.status.as_deref().filter(|s| !s.is_empty()) {
            out.push_str(&format!(" — {s}"));
        }
        out.push('\n');
    }
    if let Some(h) = &p.last_handoff {
        out.push_str(&format!("\n## Last handoff ({})\n", h.file));
        match (&h.text, &h.summary) {
            (Some(text), _) => {
                out.push_str(&demote_headings(text));
                if !text.ends_with('\n') {
                    out.push('\n');
                }
            }
            (None, Some(summary)) => out.push_str(&format!("{summary}\n")),
            (None, None) => out.push_str("(no summary)\n"),
        }
    }
    if !p.recent_decisions.is_empty() {
        out.push_str("\n## Recent decisions\n");
        for d in &p.recent_decisions {
            out.push_str("- ");
            if let Some(date) = &d.date {
                out.push_str(&format!("{date}: "));
            }
            out.push_str(&d.decision);
            if let Some(r) = &d.reasoning {
                out.push_str(&format!(" — {r}"));
            }
            if let Some(i) = &d.impact {
                out.push_str(&format!(" (impact: {i})"));
            }
            if let Some(s) = &d.status {
                out.push_str(&format!(" [{s}]"));
            }
            out.push('\n');
        }
    }
    if !p.architecture.is_empty() {
        out.push_str("\n## Architecture state\n");
        for c in &p.architecture {
            out.push_str(&format!(
                "- {}: {}",
                c.name,
                c.status.as_deref().unwrap_or("?")
            ));
            if !c.details.is_empty() {
                let details: Vec<String> =
                    c.details.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                out.push_str(&format!(" ({})", details.join("; ")));
            }
            out.push('\n');
        }
    }
    if !p.best_practices.is_empty() {
        out.push_str("\n## Best practices\n");
        for b in &p.best_practices {
            out.push_str(&format!("- {b}\n"));
        }
    }
    if !p.other_knowledge.is_empty() {
        out.push_str("\n## Other knowledge\n");
        for (k, v) in &p.other_knowledge {
            out.push_str(&format!("- {k}: {v}\n"));
        }
    }
    if let Some(health) = &p.health {
        out.push_str("\n## Service health\n");
        for line in health {
            out.push_str(&format!("- {line}\n"));
        }
    }
    if let Some(memory) = p.memory.as_ref().filter(|m| !m.is_empty()) {
        out.push_str("\n## Memory server\n");
        for line in memory {
            out.push_str(&format!("- {line}\n"));
        }
    }
    out.push_str("\n## Active sessions\n");
    if p.active_sessions.is_empty() {
        out.push_str("- (none)\n");
    }
    for s in &p.active_sessions {
        let c = s.counts;
        out.push_str(&format!(
            "- {} — {} (started {}; {} decisions, {} achievements, {} insights, {} next steps)\n",
            s.session_id,
            if s.goal.is_empty() {
                "no goal set"
            } else {
                &s.goal
            },
            s.started_at.as_deref().unwrap_or("?"),
            c.decisions,
            c.achievements,
            c.insights,
            c.next_steps
        ));
    }
    if !p.trimmed.is_empty() {
        out.push_str(&format!(
            "\n_Trimmed to fit the token budget: {}._\n",
            p.trimmed.join(", ")
        ));
    }
    out
}

/// The handoff is embedded under a `##` heading, so its own headings go one level down.
fn demote_headings(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut fence: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed
                .chars()
                .take_while(|c| *c == '`' || *c == '~')
                .collect();
            match &fence {
                Some(open) if marker.starts_with(open.as_str()) => fence = None,
                None => fence = Some(marker),
                _ => {}
            }
        }
        if fence.is_none() && trimmed.starts_with('#') && !trimmed.starts_with("#####") {
            out.push_str("##");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn trim_float(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.2}").trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::items::Priority;
    use crate::domain::knowledge::Knowledge;
    use serde_json::json;

    fn pack() -> ContextPack {
        let k = Knowledge::new(
            json!({"total_sessions": 2, "total_hours": 3.5,
                   "pending_work": [{"priority": "low", "task": "polish"}, {"priority": "high", "task": "ship it"}],
                   "best_practices": ["a".repeat(400)], "code_patterns": {"x": "y".repeat(400)}})
            .as_object()
            .unwrap()
            .clone(),
        );
        let board = Board {
            exists: true,
            pending: k.pending_by_priority(),
            knowledge: k,
            decisions: (0..15)
                .map(|i| Decision::new(format!("decision {i}")))
                .collect(),
            ..Board::default()
        };
        let handoff = HandoffView {
            file: "2025-11-15_session_1.md".into(),
            summary: Some("Built it.".into()),
            text: Some(format!(
                "# Session Handoff\n\n## Quick Summary\nBuilt it.\n\n{}",
                "detail ".repeat(200)
            )),
        };
        build(&board, "docs/sessions".into(), Some(handoff))
    }

    #[test]
    fn pending_is_high_first_and_decisions_newest_first() {
        let p = pack();
        assert_eq!(p.pending[0].task, "ship it");
        assert_eq!(
            p.pending[0].priority.as_deref(),
            Some(Priority::High.as_str())
        );
        assert_eq!(p.recent_decisions.len(), RECENT_DECISIONS);
        assert_eq!(p.recent_decisions[0].decision, "decision 14");
    }

    #[test]
    fn budget_trims_least_important_first_and_keeps_pending_and_summary() {
        let mut p = pack();
        fit_budget(&mut p, 120);
        let md = render_markdown(&p);
        assert!(md.contains("ship it") && md.contains("polish"));
        assert!(md.contains("Built it."));
        assert_eq!(p.trimmed[0], "other knowledge fields");
        assert!(p.last_handoff.as_ref().unwrap().text.is_none());
    }

    #[test]
    fn generous_budget_trims_nothing() {
        let mut p = pack();
        fit_budget(&mut p, 100_000);
        assert!(p.trimmed.is_empty());
        assert!(render_markdown(&p).contains("### Quick Summary"));
    }
}
