//! Which items each pane lists, in which order, after its filter: indices into the board.

use crate::domain::board::Board;

use super::pane::Pane;

/// Case-insensitive; every word of the filter must occur somewhere in the row's text.
pub fn visible_rows(board: &Board, pane: Pane, filter: &str) -> Vec<usize> {
    let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        // No filter: every row, no text built (a pane can hold 25,000 decisions).
        let n = match pane {
            Pane::Pending => board.pending.len(),
            Pane::Decisions => return (0..board.decisions.len()).rev().collect(),
            Pane::Handoffs => board.handoffs.len(),
            Pane::Health => board.services.len(),
        };
        return (0..n).collect();
    }
    let keep = |text: String| {
        if words.is_empty() {
            return true;
        }
        let text = text.to_lowercase();
        words.iter().all(|w| text.contains(w.as_str()))
    };
    match pane {
        Pane::Pending => (0..board.pending.len())
            .filter(|&i| {
                let p = &board.pending[i];
                keep(format!(
                    "{} {} {}",
                    p.task,
                    p.priority.as_str(),
                    p.status.as_deref().unwrap_or_default()
                ))
            })
            .collect(),
        // The timeline reads newest first.
        Pane::Decisions => (0..board.decisions.len())
            .rev()
            .filter(|&i| {
                let d = &board.decisions[i];
                keep(format!(
                    "{} {} {} {} {}",
                    d.decision,
                    d.reasoning.as_deref().unwrap_or_default(),
                    d.impact.as_deref().unwrap_or_default(),
                    d.status.as_deref().unwrap_or_default(),
                    d.date.as_deref().unwrap_or_default()
                ))
            })
            .collect(),
        Pane::Handoffs => (0..board.handoffs.len())
            .filter(|&i| keep(board.handoffs[i].file_name.clone()))
            .collect(),
        Pane::Health => (0..board.services.len())
            .filter(|&i| {
                keep(format!(
                    "{} {}",
                    board.services[i].name, board.services[i].url
                ))
            })
            .collect(),
    }
}
