//! Gathers what the context pack needs from the directory, reading only what it must: the
//! knowledge base, the newest handoff, the decision log and the active sessions.

use crate::domain::context::{self, ContextInput, ContextPack, HandoffView};
use crate::domain::handoff::Handoff;
use crate::domain::items::Decision;
use crate::domain::json_doc::Doc;
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::text::normalize;

use super::StoreError;
use super::layout::DECISIONS_LOG;
use super::ops::Store;
use super::read::{handoffs, read_knowledge, read_log, read_text};

pub fn context_pack(store: &Store) -> Result<ContextPack, StoreError> {
    let layout = &store.layout;
    let mut problems: Vec<Problem> = Vec::new();

    let kb = read_knowledge(layout)?;
    problems.extend(kb.problems.iter().cloned());
    let knowledge = kb
        .doc
        .as_ref()
        .and_then(Doc::map)
        .cloned()
        .map(Knowledge::new);
    if let Some(Doc::Broken {
        salvaged: Some(_), ..
    }) = &kb.doc
    {
        problems.push(Problem::warning(
            layout.display(&layout.knowledge()),
            0,
            0,
            "shown as far as it could be read; baton will not rewrite it until it parses",
        ));
    }

    let last_handoff = match handoffs(layout)?.into_iter().next() {
        Some(entry) => {
            let text = read_text(layout, &entry.path, &mut problems)?.unwrap_or_default();
            let parsed = Handoff::parse(&text);
            Some(HandoffView {
                file: entry.file_name,
                summary: parsed.summary(),
                text: Some(text),
            })
        }
        None => None,
    };

    let log = read_log(layout, DECISIONS_LOG)?;
    problems.extend(log.problems.iter().cloned());
    let mut decisions: Vec<Decision> = knowledge
        .as_ref()
        .map(Knowledge::core_decisions)
        .unwrap_or_default();
    decisions.extend(
        log.records
            .into_iter()
            .map(|r| Decision::from_value(r.value)),
    );

    let active = store.active_sessions(&mut problems)?;
    for s in &active {
        decisions.extend(s.record.decisions_made.iter().cloned().map(|mut d| {
            d.date = d.date.or_else(|| {
                s.record
                    .started_at
                    .as_deref()
                    .map(|t| t.chars().take(10).collect())
            });
            d
        }));
    }
    let decisions = dedupe_decisions(decisions);

    Ok(context::build(ContextInput {
        directory: layout.root.display().to_string(),
        knowledge: knowledge.as_ref(),
        last_handoff,
        decisions,
        active: active.iter().map(|s| &s.record).collect(),
        problems: problems.iter().map(ToString::to_string).collect(),
    }))
}

/// The same decision sits in `core_decisions` and in the log once its session ended: keep
/// one, preferring the entry with more detail, ordered by date (stable otherwise).
pub fn dedupe_decisions(all: Vec<Decision>) -> Vec<Decision> {
    let mut out: Vec<Decision> = Vec::with_capacity(all.len());
    let mut index = std::collections::HashMap::new();
    for d in all {
        let mut key = normalize(&d.decision);
        if key.is_empty() {
            key = d.decision.trim().to_string();
        }
        if key.is_empty() {
            continue;
        }
        match index.get(&key) {
            Some(&i) => {
                let kept: &mut Decision = &mut out[i];
                kept.reasoning = kept.reasoning.take().or(d.reasoning);
                kept.impact = kept.impact.take().or(d.impact);
                kept.date = kept.date.take().or(d.date);
                kept.status = kept.status.take().or(d.status);
            }
            None => {
                index.insert(key, out.len());
                out.push(d);
            }
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date));
    out
}
