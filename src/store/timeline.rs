//! The dated timeline (`domain::timeline`) of a directory: `baton history --timeline` and the
//! dashboard's (`Tab` in `t`). Built from the history the dashboard holds for time travel
//! ([`load_history`]) and its as-of index, plus what that history leaves out, read beside
//! it: insights, code entries and blockers, the summaries of handoffs it knows by name, and
//! the commits of the git repository the directory sits in. The dashboard passes the history
//! it holds; nothing is read twice.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::domain::asof::AsOfIndex;
use crate::domain::catalog::{Data, Kind};
use crate::domain::history::History;
use crate::domain::notes::NoteRecords;
use crate::domain::timeline::{self, Order, Sources, Timeline};

use super::StoreError;
use super::history::{handoff_name_of, load_history, volatile_records, with_index};
use super::index::Detail;
use super::ops::Store;

/// The timeline of the whole directory: sessions started and ended, decisions, insights,
/// blockers, code, handoffs, pending work added and finished, the commits sessions recorded
/// and those of the git repository the directory sits in (from the first session's start
/// to `now`), with stale marks on decisions and code that name a file gone or changed since.
pub fn load_timeline(
    store: &Store,
    now: DateTime<Utc>,
    order: Order,
) -> Result<Timeline, StoreError> {
    let history = load_history(store)?;
    let index = AsOfIndex::build(&history);
    timeline_of(store, &history, &index, now, order)
}

/// [`load_timeline`] from a history [`load_history`] read and the as-of index built from
/// it (the dashboard's).
pub fn timeline_of(
    store: &Store,
    history: &History,
    index: &AsOfIndex,
    now: DateTime<Utc>,
    order: Order,
) -> Result<Timeline, StoreError> {
    let is_note = |kind: Kind| matches!(kind, Kind::Insight | Kind::Code | Kind::Blocker);
    // Handoffs the history knows by name only (a session claims them): their summaries.
    let unsummarized: HashSet<&str> = history
        .handoffs
        .iter()
        .filter(|h| h.summary.is_none())
        .map(|h| h.file.as_str())
        .collect();
    let volatile = volatile_records(store)?;
    let mut summaries: HashMap<String, String> = HashMap::new();
    let notes = with_index(store, |c| {
        // Each note goes to its kind's list as it is decoded, each list sized once.
        let count = |kind: Kind| {
            c.count(|s, _| s.kind == kind) + volatile.iter().filter(|r| r.kind == kind).count()
        };
        let mut records = NoteRecords::with_capacity(
            count(Kind::Insight),
            count(Kind::Code),
            count(Kind::Blocker),
        );
        c.each_record(
            |s, _| is_note(s.kind),
            Detail::Commits,
            false,
            |r| records.push(r),
        )?;
        for r in volatile.iter().filter(|r| is_note(r.kind)) {
            records.push(r.clone());
        }
        summaries.clear();
        c.each_record(
            |s, file| {
                s.kind == Kind::Handoff
                    && handoff_name_of(file).is_some_and(|f| unsummarized.contains(f))
            },
            Detail::Head,
            false,
            |r| {
                if let Data::Handoff(h) = r.data
                    && let Some(summary) = h.summary
                {
                    summaries.insert(h.file, summary);
                }
            },
        )?;
        Ok(history.notes(records))
    })?;
    drop(volatile);

    let layout = &store.layout;
    let repo = super::stale::repo_root(layout);
    let first = history
        .sessions
        .iter()
        .filter_map(|s| s.started.or(s.ended.map(|w| w.at)))
        .min();
    let commits = match (&repo, first) {
        (Some(_), Some(since)) => super::stale::repo_commits(layout, since, now.max(since)),
        _ => Vec::new(),
    };
    let sources = Sources {
        history,
        index,
        notes,
        summaries,
        commits,
    };
    let mut entries = timeline::build(sources, order);
    let paths = entries.named_paths();
    if !paths.is_empty() {
        let facts = super::stale::file_facts_in(layout, repo.as_deref(), &paths);
        drop(paths);
        entries.mark_stale(&facts);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notes::Notes;
    use crate::domain::timeline::TimelineEntry;
    use crate::store::generate::{generate_history, generate_seed_history};
    use crate::store::history::load_history_detailed;

    fn now() -> DateTime<Utc> {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    /// The timeline of the whole history read at once, notes and summaries included (what
    /// the timeline was built from before it shared the dashboard's history).
    fn of_the_whole_history(store: &Store) -> Vec<TimelineEntry> {
        let h = load_history_detailed(store).unwrap();
        let index = AsOfIndex::build(&h);
        let notes = Notes {
            insights: h.insights.clone(),
            code: h.code.clone(),
            blockers: h.blockers.clone(),
        };
        let sources = Sources {
            history: &h,
            index: &index,
            notes,
            summaries: HashMap::new(),
            commits: Vec::new(),
        };
        unmarked(timeline::build(sources, Order::NewestFirst).to_entries())
    }

    /// Stale marks come after, the same either way (they look at the files named).
    fn unmarked(mut entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
        for e in &mut entries {
            e.stale = None;
        }
        entries
    }

    /// A running session's notes are not indexed: they come from its events.
    fn add_running_session(dir: &std::path::Path) {
        let lines = [
            r#"{"at":"2029-06-01T09:00:00Z","kind":"start","session_id":"live","primary_goal":"Live one"}"#,
            r#"{"at":"2029-06-01T09:05:00Z","kind":"insight","text":"Noted while running"}"#,
            r#"{"at":"2029-06-01T09:06:00Z","kind":"blocker","blocker":"Stuck on the proxy"}"#,
        ];
        std::fs::write(
            dir.join("ACTIVE_SESSIONS/live.jsonl"),
            lines.join("\n") + "\n",
        )
        .unwrap();
    }

    /// The dashboard's history plus what is read beside it gives exactly the timeline of
    /// the whole history: baton's layout (handoffs claimed by name, their summaries read
    /// beside) and the seed's (handoffs as sessions of their own).
    #[test]
    fn the_timeline_beside_the_dashboards_history_is_the_whole_historys() {
        let tmp = tempfile::tempdir().unwrap();
        generate_history(tmp.path(), 40).unwrap();
        add_running_session(tmp.path());
        let seed = tempfile::tempdir().unwrap();
        generate_seed_history(seed.path(), 30).unwrap();
        for dir in [tmp.path(), seed.path()] {
            let store = Store::open(dir).unwrap();
            let whole = of_the_whole_history(&store);
            let shared = unmarked(
                load_timeline(&store, now(), Order::NewestFirst)
                    .unwrap()
                    .to_entries(),
            );
            assert_eq!(shared.len(), whole.len(), "{}", dir.display());
            assert_eq!(shared, whole, "{}", dir.display());
            use crate::domain::timeline::EntryKind::*;
            let kinds: &[_] = if dir == tmp.path() {
                &[Insight, Blocker, Code, Handoff, PendingAdded, Decision]
            } else {
                &[Handoff, PendingAdded, Decision]
            };
            for kind in kinds {
                let has = shared.iter().any(|e| e.kind == *kind);
                assert!(has, "{kind:?} in {}", dir.display());
            }
        }
        // Claimed handoffs' summaries come from beside the history.
        let store = Store::open(tmp.path()).unwrap();
        let entries = load_timeline(&store, now(), Order::NewestFirst)
            .unwrap()
            .to_entries();
        assert!(
            entries.iter().any(
                |e| e.kind == crate::domain::timeline::EntryKind::Handoff && e.detail.is_some()
            )
        );
        assert!(entries.iter().any(|e| e.title == "Noted while running"));
        assert!(entries.iter().any(|e| e.title == "Stuck on the proxy"));
    }
}
