//! Reads a directory into a [`Board`] in one pass, reading only what must be read: the
//! knowledge base, the decision log, the active sessions, the services, and the handoff
//! names (texts are read on demand). The dashboard and the context pack both start here.

use chrono::{DateTime, Utc};

use crate::domain::board::{ActiveRef, Board, HandoffRef};
use crate::domain::context::{self, ContextPack, HandoffView};
use crate::domain::handoff::Handoff;
use crate::domain::items::Decision;
use crate::domain::json_doc::{Doc, Log, parse_object};
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::repeats::dedupe_decisions;
use crate::domain::services::parse_services;

use super::StoreError;
use super::decision_cache::{self, DecisionCache};
use super::layout::{DECISIONS_LOG, SERVICES};
use super::newest::{LogText, newest};
use super::ops::Store;
use super::read::{handoffs, read_knowledge_cached, read_log, read_text};

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
/// text, read as heads afterwards because they borrow from it, with whether the decision
/// cache's prefix is still its start.
enum LogRead {
    Decisions(Log<Decision>),
    Text {
        text: String,
        problems: Vec<Problem>,
        cached: bool,
    },
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
    // Only the newest-decisions read uses the decision cache (the full read decodes all).
    let cache_bytes = match wanted {
        Wanted::Newest(_) => decision_cache::load(layout),
        Wanted::All => Vec::new(),
    };
    let mut cache = DecisionCache::decode(&cache_bytes);

    // The two big reads (knowledge base, decision log) and the handoff listing run side by
    // side: at 10,000 sessions each is tens of milliseconds.
    let (kb, (log, listing)) = std::thread::scope(|scope| {
        let cache = &cache;
        let others = scope.spawn(move || {
            let log = match wanted {
                Wanted::All => read_log::<Decision>(layout, DECISIONS_LOG).map(LogRead::Decisions),
                Wanted::Newest(_) => {
                    let mut problems = Vec::new();
                    read_text(layout, &layout.path(DECISIONS_LOG), &mut problems).map(|text| {
                        let text = text.unwrap_or_default();
                        let cached = problems.is_empty() && cache.log_for(&text).is_some();
                        LogRead::Text {
                            text,
                            problems,
                            cached,
                        }
                    })
                }
            };
            (log, handoffs(layout))
        });
        let kb = read_knowledge_cached(layout, cache).map(|(kb, how)| {
            let decisions = match (&kb.doc, wanted) {
                (Some(Doc::Ok(k)), Wanted::All) => Some(k.core_decisions()),
                _ => None,
            };
            (kb, how, decisions)
        });
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (kb, others)
    });
    let (kb, kb_read, core_decisions) = kb?;
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
    let (log_decisions, log_text, log_clean, log_cached) = match log? {
        LogRead::Decisions(log) => {
            problems.extend(log.problems.iter().cloned());
            (Some(log), String::new(), false, false)
        }
        LogRead::Text {
            text,
            problems: read_problems,
            cached,
        } => {
            let clean = read_problems.is_empty();
            problems.extend(read_problems);
            (None, text, clean, cached)
        }
    };
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
            let shown = layout.display(&layout.path(DECISIONS_LOG));
            let log = LogText {
                text: &log_text,
                shown: &shown,
                clean: log_clean,
                cached: log_cached,
            };
            let (decisions, changed) = newest(
                &board.knowledge,
                &kb_read,
                log,
                &active_decisions,
                n,
                &mut cache,
                &mut problems,
            );
            if changed {
                decision_cache::save(layout, &cache);
            }
            decisions
        }
    };
    // The list is in `board.decisions` now (with the log's, repeats grouped): its text, most
    // of the knowledge base, would only take memory for as long as the board is shown.
    board.knowledge.forget_decisions();
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
