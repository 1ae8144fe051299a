//! The newest decisions, for the context pack and the dashboard's first frame: every decision
//! is grouped with its repeats (as the full read groups them), but only the groups shown are
//! read in full. Each decision's repeat key and date come from the decision cache where the
//! file's bytes are those it was made from, else from the text, and the cache is brought up
//! to date.

use std::borrow::Cow;

use crate::domain::decision_head::DecisionHead;
use crate::domain::items::Decision;
use crate::domain::json_doc::{Log, parse_lines_as, parse_log_as};
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::repeats::{SeenTexts, groups_of, newest_decisions};
use crate::domain::text::numbered_lines;

use super::binary::hash;
use super::decision_cache::{CachedHead, DecisionCache, KnowledgeEntry, LogEntry};
use super::read::KnowledgeRead;

/// The decision log as read for this: its text, where it is shown, whether it was valid
/// UTF-8 (only then is it cached), and whether the cache's prefix is still its start.
pub struct LogText<'a> {
    pub text: &'a str,
    pub shown: &'a str,
    pub clean: bool,
    pub cached: bool,
}

/// The `n` newest decisions of the knowledge base, the log and the active sessions, grouped
/// as `repeats::dedupe_decisions` groups them. The log's problems go to `problems`. Returns
/// whether `cache` changed (and should be saved).
pub fn newest(
    k: &Knowledge,
    kb_read: &KnowledgeRead,
    log: LogText,
    active: &[Decision],
    n: usize,
    cache: &mut DecisionCache,
    problems: &mut Vec<Problem>,
) -> (Vec<Decision>, bool) {
    let DecisionCache {
        keys,
        knowledge: cached_kb,
        log: cached_log,
    } = cache;

    // The log: the cached prefix's records, then the lines after it.
    let is_array = log.text.trim_start().starts_with('[');
    let prefix = cached_log.as_ref().filter(|_| log.cached && !is_array);
    let (start, lines_before) = prefix.map_or((0, 0), |p| (p.prefix_len, p.lines));
    let tail: Log<DecisionHead> = if is_array {
        parse_log_as(log.shown, log.text)
    } else {
        parse_lines_as(log.shown, &log.text[start..], lines_before)
    };
    // Decisions in both files are the same text: each is normalized once.
    let kb_heads;
    let kb_decisions;
    let mut seen = SeenTexts::default();

    // The knowledge base's decisions: from the cache, or read as heads (text and date).
    let mut new_kb: Option<Option<KnowledgeEntry>> = None;
    let (core_keys, core_dates): (Vec<Option<u32>>, Vec<Option<&str>>) =
        match (kb_read, cached_kb.as_ref()) {
            (KnowledgeRead::Cached, Some(entry)) => (
                entry.heads.iter().map(|h| h.key).collect(),
                entry.heads.iter().map(|h| h.date.as_deref()).collect(),
            ),
            _ => match k.core_decision_heads() {
                Some(heads) => {
                    kb_heads = heads;
                    let texts = kb_heads.iter().map(|h| h.text.as_ref());
                    let ids = keys.key_ids_seen(&mut seen, texts);
                    let dates: Vec<Option<&str>> =
                        kb_heads.iter().map(|h| h.date.as_deref()).collect();
                    new_kb = Some(match (kb_read, k.raw_decisions()) {
                        (
                            KnowledgeRead::Parsed {
                                entry: Some((len, hash, span)),
                            },
                            Some(raw),
                        ) => Some(KnowledgeEntry {
                            len: *len,
                            hash: *hash,
                            span: span.clone(),
                            shape: raw.shape().clone(),
                            heads: owned_heads(&ids, &dates),
                        }),
                        _ => None,
                    });
                    (ids, dates)
                }
                None => {
                    kb_decisions = k.core_decisions();
                    new_kb = Some(None);
                    (
                        keys.key_ids_seen(
                            &mut seen,
                            kb_decisions.iter().map(|d| d.decision.as_str()),
                        ),
                        kb_decisions.iter().map(|d| d.date.as_deref()).collect(),
                    )
                }
            },
        };

    // The log's lines after the cached prefix.
    let texts = tail.records.iter().map(|r| r.value.text.as_ref());
    let tail_keys = keys.key_ids_seen(&mut seen, texts);
    let mut log_lines: Vec<usize> = Vec::new();
    let mut log_keys: Vec<Option<u32>> = Vec::new();
    let mut log_dates: Vec<Option<&str>> = Vec::new();
    if let Some(p) = prefix {
        problems.extend(p.problems(log.shown));
        for (line, head) in &p.records {
            log_lines.push(*line);
            log_keys.push(head.key);
            log_dates.push(head.date.as_deref());
        }
    }
    problems.extend(tail.problems.iter().cloned());
    for (r, key) in tail.records.iter().zip(&tail_keys) {
        log_lines.push(r.line);
        log_keys.push(*key);
        log_dates.push(r.value.date.as_deref());
    }
    let new_log = if is_array || !log.clean {
        (cached_log.is_some()).then_some(None)
    } else {
        log_entry(&log, prefix, &tail, &log_lines, &log_keys, &log_dates)
    };

    let active_keys = keys.key_ids(active.iter().map(|d| d.decision.as_str()));
    let all_keys: Vec<Option<u32>> = [core_keys, log_keys, active_keys].concat();
    let dates: Vec<Option<&str>> = core_dates
        .iter()
        .chain(&log_dates)
        .copied()
        .chain(active.iter().map(|d| d.date.as_deref()))
        .collect();
    let groups = groups_of(&all_keys, keys.len());
    let (in_core, in_log) = (core_dates.len(), log_dates.len());
    let shown = newest_decisions(&groups, &dates, n, |members| {
        let at_core: Vec<usize> = members.iter().copied().filter(|i| *i < in_core).collect();
        let at_log: Vec<usize> = members
            .iter()
            .filter(|i| (in_core..in_core + in_log).contains(*i))
            .map(|i| i - in_core)
            .collect();
        let mut out = k.core_decisions_at(&at_core);
        out.extend(if is_array {
            array_log_at(log.text, log.shown, &at_log)
        } else {
            let lines: Vec<usize> = at_log.iter().map(|i| log_lines[*i]).collect();
            lines_at(log.text, &lines)
        });
        out.extend(
            members
                .iter()
                .filter(|i| **i >= in_core + in_log)
                .map(|i| active[i - in_core - in_log].clone()),
        );
        out
    });

    let changed = new_kb.as_ref().is_some_and(|e| e != cached_kb)
        || new_log.as_ref().is_some_and(|e| e != cached_log);
    if let Some(entry) = new_kb {
        *cached_kb = entry;
    }
    if let Some(entry) = new_log {
        *cached_log = entry;
    }
    (shown, changed)
}

fn owned_heads(keys: &[Option<u32>], dates: &[Option<&str>]) -> Vec<CachedHead<'static>> {
    keys.iter()
        .zip(dates)
        .map(|(key, date)| CachedHead {
            key: *key,
            date: date.map(|d| Cow::Owned(d.to_string())),
        })
        .collect()
}

/// The log's new cache entry, covering its complete lines: `None` when the cached one
/// already covers them all.
fn log_entry<'c>(
    log: &LogText,
    prefix: Option<&LogEntry<'c>>,
    tail: &Log<DecisionHead>,
    lines: &[usize],
    keys: &[Option<u32>],
    dates: &[Option<&str>],
) -> Option<Option<LogEntry<'c>>> {
    let start = prefix.map_or(0, |p| p.prefix_len);
    let end = log.text.rfind('\n').map_or(0, |i| i + 1).max(start);
    if prefix.is_some() && end == start {
        return None;
    }
    let added = memchr::memchr_iter(b'\n', &log.text.as_bytes()[start..end]).count();
    let covered = prefix.map_or(0, |p| p.lines) + added;
    let cached = prefix.map_or(0, |p| p.records.len());
    let mut records: Vec<(usize, CachedHead<'c>)> =
        prefix.map(|p| p.records.clone()).unwrap_or_default();
    for i in cached..lines.len() {
        if lines[i] <= covered {
            records.push((
                lines[i],
                CachedHead {
                    key: keys[i],
                    date: dates[i].map(|d| Cow::Owned(d.to_string())),
                },
            ));
        }
    }
    let mut found = prefix.map(|p| p.problems.clone()).unwrap_or_default();
    found.extend(
        tail.problems
            .iter()
            .filter(|p| p.line <= covered)
            .map(|p| (p.severity, p.line, p.column, p.message.clone())),
    );
    Some(Some(LogEntry {
        prefix_len: end,
        prefix_hash: hash(&log.text.as_bytes()[..end]),
        lines: covered,
        records,
        problems: found,
    }))
}

/// The JSON lines at `lines` (ascending line numbers), decoded in full.
fn lines_at(text: &str, lines: &[usize]) -> Vec<Decision> {
    if lines.is_empty() {
        return Vec::new();
    }
    numbered_lines(text)
        .filter(|(n, _)| lines.binary_search(n).is_ok())
        .filter_map(|(_, line)| serde_json::from_str::<Decision>(line.trim()).ok())
        .collect()
}

/// An array log's records at `positions` (ascending): the array is decoded whole.
fn array_log_at(text: &str, shown: &str, positions: &[usize]) -> Vec<Decision> {
    if positions.is_empty() {
        return Vec::new();
    }
    let all = parse_log_as::<Decision>(shown, text).records;
    positions
        .iter()
        .filter_map(|i| all.get(*i).map(|r| r.value.clone()))
        .collect()
}
