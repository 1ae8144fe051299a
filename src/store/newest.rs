//! The newest decisions, for the context pack and the dashboard's first frame: every decision
//! is grouped with its repeats (as the full read groups them), but only the groups shown are
//! read in full. Each decision's repeat key and date come from the decision cache where the
//! file's bytes are those it was made from, else from the text, and the cache is brought up
//! to date.

use crate::domain::decision_head::DecisionHead;
use crate::domain::items::Decision;
use crate::domain::json_doc::{Log, parse_lines_as, parse_log_as};
use crate::domain::knowledge::Knowledge;
use crate::domain::problem::Problem;
use crate::domain::repeats::{SeenTexts, groups_of, newest_decisions};
use crate::domain::text::numbered_lines;

use super::binary::wide_hash as hash_of;
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
        dates,
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

    // The knowledge base's decisions: from the cache, or read as heads (text and date). Every
    // head is a key and a date, both numbers; dates become text once all are numbered.
    let mut new_kb: Option<Option<KnowledgeEntry>> = None;
    let core: Vec<CachedHead> = match (kb_read, cached_kb.as_ref()) {
        (KnowledgeRead::Cached, Some(entry)) => entry.heads.clone(),
        // The file changed around the same list: its heads stand, the entry moves along.
        (
            KnowledgeRead::Parsed {
                entry: Some((len, hash, span)),
                list_cached: true,
            },
            Some(entry),
        ) => {
            new_kb = Some(Some(KnowledgeEntry {
                len: *len,
                hash: *hash,
                span: span.clone(),
                ..entry.clone()
            }));
            entry.heads.clone()
        }
        _ => match k.core_decision_heads() {
            Some(heads) => {
                kb_heads = heads;
                let texts = kb_heads.iter().map(|h| h.text.as_ref());
                let ids = keys.key_ids_seen(&mut seen, texts);
                let days = dates.ids(kb_heads.iter().map(|h| h.date.as_deref()));
                let core = heads_of(&ids, &days);
                new_kb = Some(match (kb_read, k.raw_decisions()) {
                    (
                        KnowledgeRead::Parsed {
                            entry: Some((len, hash, span)),
                            ..
                        },
                        Some(raw),
                    ) => Some(KnowledgeEntry {
                        len: *len,
                        hash: *hash,
                        span: span.clone(),
                        list_hash: hash_of(raw.text().as_bytes()),
                        shape: raw.shape().clone(),
                        heads: core.clone(),
                    }),
                    _ => None,
                });
                core
            }
            None => {
                kb_decisions = k.core_decisions();
                new_kb = Some(None);
                let texts = kb_decisions.iter().map(|d| d.decision.as_str());
                let ids = keys.key_ids_seen(&mut seen, texts);
                let days = dates.ids(kb_decisions.iter().map(|d| d.date.as_deref()));
                heads_of(&ids, &days)
            }
        },
    };

    // The log's lines after the cached prefix.
    let texts = tail.records.iter().map(|r| r.value.text.as_ref());
    let tail_keys = keys.key_ids_seen(&mut seen, texts);
    let tail_days = dates.ids(tail.records.iter().map(|r| r.value.date.as_deref()));
    let mut log_lines: Vec<usize> = Vec::new();
    let mut log_heads: Vec<CachedHead> = Vec::new();
    if let Some(p) = prefix {
        problems.extend(p.problems(log.shown));
        for (line, head) in &p.records {
            log_lines.push(*line);
            log_heads.push(*head);
        }
    }
    problems.extend(tail.problems.iter().cloned());
    log_lines.extend(tail.records.iter().map(|r| r.line));
    log_heads.extend(heads_of(&tail_keys, &tail_days));
    let new_log = if is_array || !log.clean {
        (cached_log.is_some()).then_some(None)
    } else {
        log_entry(&log, prefix, &tail, &log_lines, &log_heads)
    };

    let active_keys = keys.key_ids(active.iter().map(|d| d.decision.as_str()));
    let active_days = dates.ids(active.iter().map(|d| d.date.as_deref()));
    let all: Vec<CachedHead> = [core, log_heads, heads_of(&active_keys, &active_days)].concat();
    let all_keys: Vec<Option<u32>> = all.iter().map(|h| h.key).collect();
    let all_dates: Vec<Option<&str>> = all
        .iter()
        .map(|h| h.date.and_then(|d| dates.get(d)))
        .collect();
    let groups = groups_of(&all_keys, keys.len());
    let in_log = log_lines.len();
    let in_core = all.len() - in_log - active.len();
    let shown = newest_decisions(&groups, &all_dates, n, |members| {
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

fn heads_of(keys: &[Option<u32>], dates: &[Option<u32>]) -> Vec<CachedHead> {
    keys.iter()
        .zip(dates)
        .map(|(key, date)| CachedHead {
            key: *key,
            date: *date,
        })
        .collect()
}

/// The log's new cache entry, covering its complete lines: `None` when the cached one
/// already covers them all.
fn log_entry(
    log: &LogText,
    prefix: Option<&LogEntry>,
    tail: &Log<DecisionHead>,
    lines: &[usize],
    heads: &[CachedHead],
) -> Option<Option<LogEntry>> {
    let start = prefix.map_or(0, |p| p.prefix_len);
    let end = log.text.rfind('\n').map_or(0, |i| i + 1).max(start);
    if prefix.is_some() && end == start {
        return None;
    }
    let added = memchr::memchr_iter(b'\n', &log.text.as_bytes()[start..end]).count();
    let covered = prefix.map_or(0, |p| p.lines) + added;
    let records: Vec<(usize, CachedHead)> = lines
        .iter()
        .zip(heads)
        .filter(|(line, _)| **line <= covered)
        .map(|(line, head)| (*line, *head))
        .collect();
    let mut found = prefix.map(|p| p.problems.clone()).unwrap_or_default();
    found.extend(
        tail.problems
            .iter()
            .filter(|p| p.line <= covered)
            .map(|p| (p.severity, p.line, p.column, p.message.clone())),
    );
    Some(Some(LogEntry {
        prefix_len: end,
        prefix_hash: hash_of(&log.text.as_bytes()[..end]),
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
