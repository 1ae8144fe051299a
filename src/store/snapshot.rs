//! Reads a directory into a [`Board`] in one pass, reading only what must be read: the
//! knowledge base, the decision log, the active sessions, the services, and the handoff
//! names (texts are read on demand). The dashboard and the context pack both start here.

use chrono::{DateTime, Utc};

use crate::domain::board::{ActiveRef, Board, HandoffRef};
use crate::domain::context::{self, ContextPack, HandoffView};
use crate::domain::handoff::Handoff;
use crate::domain::items::Decision;
use crate::domain::json_doc::{Doc, parse_object};
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::services::parse_services;
use crate::domain::text::normalize;

use super::StoreError;
use super::layout::{DECISIONS_LOG, SERVICES};
use super::ops::Store;
use super::read::{handoffs, read_knowledge, read_log, read_text};

pub fn load_board(store: &Store) -> Result<Board, StoreError> {
    let layout = &store.layout;
    let mut board = Board {
        exists: layout.root.is_dir(),
        ..Board::default()
    };
    if !board.exists {
        return Ok(board);
    }
    let mut problems: Vec<Problem> = Vec::new();

    // The two big reads (knowledge base, decision log) and the handoff listing run side by
    // side: at 10,000 sessions each is tens of milliseconds.
    let (kb, (log, listing)) = std::thread::scope(|scope| {
        let others = scope.spawn(|| {
            (
                read_log::<Decision>(layout, DECISIONS_LOG),
                handoffs(layout),
            )
        });
        let kb = read_knowledge(layout).map(|kb| {
            let decisions = match &kb.doc {
                Some(Doc::Ok(k)) => Some(k.core_decisions()),
                _ => None,
            };
            (kb, decisions)
        });
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (kb, others)
    });
    let (kb, core_decisions) = kb?;
    problems.extend(kb.problems.iter().cloned());
    board.knowledge = match kb.doc {
        Some(Doc::Ok(knowledge)) => knowledge,
        Some(Doc::Broken {
            salvaged: Some(map),
            ..
        }) => {
            problems.push(Problem::warning(
                layout.display(&layout.knowledge()),
                0,
                0,
                "shown as far as it could be read; baton will not rewrite it until it parses",
            ));
            Knowledge::new(map)
        }
        Some(Doc::Broken { salvaged: None, .. }) | None => Knowledge::default(),
    };
    board.pending = board.knowledge.pending_by_priority();

    let log = log?;
    problems.extend(log.problems);
    let mut decisions = match core_decisions {
        Some(list) => list,
        None => board.knowledge.core_decisions(), // a salvaged view, or none
    };
    decisions.extend(log.records.into_iter().map(|r| r.value));

    for s in store.active_sessions(&mut problems)? {
        decisions.extend(s.record.decisions_made.iter().cloned().map(|mut d| {
            d.date = d.date.or_else(|| {
                s.record
                    .started_at
                    .as_deref()
                    .map(|t| t.chars().take(10).collect())
            });
            d.session_id = d.session_id.or_else(|| Some(s.record.session_id.clone()));
            d
        }));
        board.active.push(ActiveRef {
            last_activity: s.last_activity.map(DateTime::<Utc>::from),
            record: s.record,
        });
    }
    board.decisions = dedupe_decisions(decisions);

    board.handoffs = listing?
        .into_iter()
        .map(|h| HandoffRef {
            date: h
                .name
                .date
                .or(h.modified.map(|m| DateTime::<Utc>::from(m).date_naive())),
            file_name: h.file_name,
        })
        .collect();

    let services_path = layout.path(SERVICES);
    if let Some(text) = read_text(layout, &services_path, &mut problems)? {
        let shown = layout.display(&services_path);
        match parse_object(&shown, &text) {
            Doc::Ok(map) => {
                let (services, errors) = parse_services(serde_json::Value::Object(map));
                board.services = services;
                problems.extend(errors.into_iter().map(|e| Problem::error(&shown, 1, 1, e)));
            }
            Doc::Broken { problem, .. } => problems.push(problem),
        }
    }
    board.problems = problems;
    board.outbox_waiting = super::outbox::count(layout);
    Ok(board)
}

/// Reads one handoff's text (for previews and the context pack).
pub fn handoff_text(store: &Store, file_name: &str) -> Result<String, StoreError> {
    let mut ignored = Vec::new();
    let path = store.layout.handoff(file_name);
    Ok(read_text(&store.layout, &path, &mut ignored)?.unwrap_or_default())
}

pub fn context_pack(store: &Store) -> Result<ContextPack, StoreError> {
    let board = load_board(store)?;
    let mut problems = Vec::new();
    let last_handoff = match board.handoffs.first() {
        Some(h) => {
            let path = store.layout.handoff(&h.file_name);
            let text = read_text(&store.layout, &path, &mut problems)?.unwrap_or_default();
            Some(HandoffView {
                file: h.file_name.clone(),
                summary: Handoff::parse(&text).summary(),
                text: Some(text),
            })
        }
        None => None,
    };
    let mut pack = context::build(
        &board,
        store.layout.root.display().to_string(),
        last_handoff,
    );
    pack.problems
        .extend(problems.iter().map(ToString::to_string));
    Ok(pack)
}

/// The same decision sits in `core_decisions` and in the log once its session ended: keep
/// one, preferring the entry with more detail, ordered by date (stable otherwise).
pub fn dedupe_decisions(all: Vec<Decision>) -> Vec<Decision> {
    use crate::domain::fast_hash::FxHashMap;
    let mut out: Vec<Decision> = Vec::with_capacity(all.len());
    // Most repeats are exact copies (a decision in `core_decisions` and in the log), found by
    // their text alone; only texts not seen before are normalized.
    let mut by_text: FxHashMap<String, usize> = FxHashMap::default();
    let mut by_key: FxHashMap<String, usize> = FxHashMap::default();
    by_text.reserve(all.len());
    by_key.reserve(all.len());
    for d in all {
        let kept = match by_text.get(d.decision.as_str()) {
            Some(&i) => Some(i),
            None => {
                let mut key = normalize(&d.decision);
                if key.is_empty() {
                    key = d.decision.trim().to_string();
                }
                if key.is_empty() {
                    continue;
                }
                let kept = by_key.get(&key).copied();
                if kept.is_none() {
                    by_key.insert(key, out.len());
                }
                by_text.insert(d.decision.clone(), kept.unwrap_or(out.len()));
                kept
            }
        };
        match kept {
            Some(i) => {
                let kept: &mut Decision = &mut out[i];
                kept.reasoning = kept.reasoning.take().or(d.reasoning);
                kept.impact = kept.impact.take().or(d.impact);
                kept.date = kept.date.take().or(d.date);
                kept.status = kept.status.take().or(d.status);
                kept.session_id = kept.session_id.take().or(d.session_id);
            }
            None => out.push(d),
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str, date: &str, why: Option<&str>) -> Decision {
        let mut d = Decision::new(text);
        d.date = Some(date.into());
        d.reasoning = why.map(Into::into);
        d
    }

    #[test]
    fn repeats_exact_or_normalized_are_one_with_the_most_detail() {
        let all = vec![
            d("Use Redis", "2025-11-02", None),
            d("✅ use  redis.", "2025-11-03", Some("fast")),
            d("Use Redis", "2025-11-04", Some("later")),
            d("Keep Postgres", "2025-11-01", None),
            d("  ", "2025-11-05", None),
            d("...", "2025-11-06", None),
        ];
        let out = dedupe_decisions(all);
        let shown: Vec<(&str, Option<&str>)> = out
            .iter()
            .map(|d| (d.decision.as_str(), d.reasoning.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Keep Postgres", None),
                ("Use Redis", Some("fast")),
                ("...", None)
            ]
        );
    }
}
