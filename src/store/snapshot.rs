//! Reads a directory into a [`Board`] in one pass, reading only what must be read: the
//! knowledge base, the decision log, the active sessions, the services, and the handoff
//! names (texts are read on demand). The dashboard and the context pack both start here.

use chrono::{DateTime, Utc};

use crate::domain::board::{ActiveRef, Board, HandoffRef};
use crate::domain::context::{self, ContextPack, HandoffView};
use crate::domain::decision_head::DecisionHead;
use crate::domain::handoff::Handoff;
use crate::domain::items::Decision;
use crate::domain::json_doc::{Doc, Log, parse_log_as, parse_object};
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::repeats::{dedupe_decisions, newest_decisions};
use crate::domain::services::parse_services;
use crate::domain::text::numbered_lines;

use super::StoreError;
use super::layout::{DECISIONS_LOG, SERVICES};
use super::ops::Store;
use super::read::{handoffs, read_knowledge, read_log, read_text};

pub fn load_board(store: &Store) -> Result<Board, StoreError> {
    read_board(store, Wanted::All)
}

/// The board with only the `n` newest decisions (what a context pack shows). The others are
/// read as texts and dates only, enough to group repeats exactly as [`load_board`] does
/// (`repeats::newest_decisions`); the decisions shown are then read in full.
pub fn load_board_newest(store: &Store, n: usize) -> Result<Board, StoreError> {
    read_board(store, Wanted::Newest(n))
}

#[derive(Clone, Copy)]
enum Wanted {
    All,
    Newest(usize),
}

/// The decision log as the other thread hands it over: decoded, or (for the newest only) its
/// text, read as heads afterwards because they borrow from it.
enum LogRead {
    Decisions(Log<Decision>),
    Text(String, Vec<Problem>),
}

fn read_board(store: &Store, wanted: Wanted) -> Result<Board, StoreError> {
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
            let log = match wanted {
                Wanted::All => read_log::<Decision>(layout, DECISIONS_LOG).map(LogRead::Decisions),
                Wanted::Newest(_) => {
                    let mut read_problems = Vec::new();
                    read_text(layout, &layout.path(DECISIONS_LOG), &mut read_problems)
                        .map(|text| LogRead::Text(text.unwrap_or_default(), read_problems))
                }
            };
            (log, handoffs(layout))
        });
        let kb = read_knowledge(layout).map(|kb| {
            let decisions = match (&kb.doc, wanted) {
                (Some(Doc::Ok(k)), Wanted::All) => Some(k.core_decisions()),
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

    // Decisions: the knowledge base's, the log's, then the active sessions'.
    let (log_decisions, log_text) = match log? {
        LogRead::Decisions(log) => {
            problems.extend(log.problems.iter().cloned());
            (Some(log), String::new())
        }
        LogRead::Text(text, read_problems) => {
            problems.extend(read_problems);
            (None, text)
        }
    };
    let log_shown = layout.display(&layout.path(DECISIONS_LOG));
    let log_heads = parse_log_as::<DecisionHead>(&log_shown, &log_text);
    if log_decisions.is_none() {
        problems.extend(log_heads.problems.iter().cloned());
    }
    let active = store.active_sessions(&mut problems)?;
    let active_decisions: Vec<Decision> = active
        .iter()
        .flat_map(|s| {
            s.record.decisions_made.iter().cloned().map(|mut d| {
                d.date = d.date.or_else(|| {
                    s.record
                        .started_at
                        .as_deref()
                        .map(|t| t.chars().take(10).collect())
                });
                d.session_id = d.session_id.or_else(|| Some(s.record.session_id.clone()));
                d
            })
        })
        .collect();
    board.decisions = match (log_decisions, wanted) {
        (Some(log), _) => {
            let mut decisions = match core_decisions {
                Some(list) => list,
                None => board.knowledge.core_decisions(), // a salvaged view, or none
            };
            decisions.extend(log.records.into_iter().map(|r| r.value));
            decisions.extend(active_decisions);
            dedupe_decisions(decisions)
        }
        (None, wanted) => {
            let n = match wanted {
                Wanted::Newest(n) => n,
                Wanted::All => usize::MAX,
            };
            let log = (log_text.as_str(), log_shown.as_str(), &log_heads);
            newest(&board.knowledge, log, &active_decisions, n)
        }
    };
    board.active = active
        .into_iter()
        .map(|s| ActiveRef {
            last_activity: s.last_activity.map(DateTime::<Utc>::from),
            record: s.record,
        })
        .collect();

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
    let board = load_board_newest(store, context::RECENT_DECISIONS)?;
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

/// The `n` newest decisions of the knowledge base, the log (its text and its heads) and the
/// active sessions, grouped as [`dedupe_decisions`] groups them; only those shown are decoded.
fn newest(
    k: &Knowledge,
    (log_text, log_shown, log): (&str, &str, &Log<DecisionHead>),
    active: &[Decision],
    n: usize,
) -> Vec<Decision> {
    let owned;
    let core: Vec<DecisionHead> = match k.core_decision_heads() {
        Some(heads) => heads,
        None => {
            owned = k.core_decisions();
            owned
                .iter()
                .map(|d| DecisionHead {
                    text: d.decision.as_str().into(),
                    date: d.date.as_deref().map(Into::into),
                })
                .collect()
        }
    };
    let (in_core, in_log) = (core.len(), log.records.len());
    let heads: Vec<(&str, Option<&str>)> = core
        .iter()
        .chain(log.records.iter().map(|r| &r.value))
        .map(|h| (h.text.as_ref(), h.date.as_deref()))
        .chain(
            active
                .iter()
                .map(|d| (d.decision.as_str(), d.date.as_deref())),
        )
        .collect();
    newest_decisions(&heads, n, |members| {
        let at_core: Vec<usize> = members.iter().copied().filter(|i| *i < in_core).collect();
        let at_log: Vec<usize> = members
            .iter()
            .filter(|i| (in_core..in_core + in_log).contains(*i))
            .map(|i| i - in_core)
            .collect();
        let mut out = k.core_decisions_at(&at_core);
        out.extend(log_decisions_at(log_text, log_shown, log, &at_log));
        out.extend(
            members
                .iter()
                .filter(|i| **i >= in_core + in_log)
                .map(|i| active[i - in_core - in_log].clone()),
        );
        out
    })
}

/// The log's records at `positions` (ascending), decoded in full: JSON lines by their line
/// numbers, an array log whole.
fn log_decisions_at(
    text: &str,
    shown: &str,
    log: &Log<DecisionHead>,
    positions: &[usize],
) -> Vec<Decision> {
    if log.is_array {
        let all = parse_log_as::<Decision>(shown, text).records;
        return positions
            .iter()
            .filter_map(|i| all.get(*i).map(|r| r.value.clone()))
            .collect();
    }
    let lines: Vec<usize> = positions
        .iter()
        .filter_map(|i| log.records.get(*i).map(|r| r.line))
        .collect();
    numbered_lines(text)
        .filter(|(n, _)| lines.binary_search(n).is_ok())
        .filter_map(|(_, line)| serde_json::from_str::<Decision>(line.trim()).ok())
        .collect()
}
