//! The history of a directory, for `baton history`, `show`, `search`, time travel and the
//! timeline: read through the index (`store::index`), which is brought up to date on every
//! call, plus what is never indexed because it changes all the time (running sessions and
//! the seed's `CURRENT_SESSION.json`).
//!
//! The dashboard calls [`load_history`] once per directory load (off the render thread),
//! builds a `domain::asof::AsOfIndex` and a `domain::timeline` from it, and [`search`] per
//! query.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;

use crate::domain::asof::AsOfIndex;
use crate::domain::catalog::{Kind, Origin, Record, When, from_session};
use crate::domain::history::History;
use crate::domain::search::{Query, SearchResults, session_key};
use crate::domain::show::{RECENT, SessionView, view};

use super::StoreError;
use super::fsio::FsError;
use super::index::{Catalog, Detail, IndexError, Place, Refresh, forget};
use super::layout::CURRENT_SESSION;
use super::ops::Store;
use super::read::{SessionSource, read_current};

fn corrupt(root: &Path) -> StoreError {
    StoreError::Fs(FsError::Io {
        path: super::index::index_dir(root),
        source: std::io::Error::other("the index could not be read twice in a row"),
    })
}

/// Runs `f` on the current index; an index found unreadable mid-use is forgotten, rebuilt
/// and `f` tried once more.
pub fn with_index<T>(
    store: &Store,
    mut f: impl FnMut(&mut Catalog) -> Result<T, IndexError>,
) -> Result<T, StoreError> {
    let root = &store.layout.root;
    for attempt in 0..2 {
        let result = Catalog::open(root).and_then(|mut c| f(&mut c));
        match result {
            Ok(v) => return Ok(v),
            Err(IndexError::Fs(e)) => return Err(e.into()),
            Err(IndexError::Corrupt) if attempt == 0 => forget(root)?,
            Err(IndexError::Corrupt) => break,
        }
    }
    Err(corrupt(root))
}

/// Brings the index up to date and says what that took.
pub fn refresh_index(store: &Store) -> Result<Refresh, StoreError> {
    with_index(store, |c| Ok(c.refresh.clone()))
}

/// Records of what is not indexed: running sessions (their decisions and insights too),
/// and an ended `CURRENT_SESSION.json` that baton never archived (the seed's workflow).
pub fn volatile_records(store: &Store) -> Result<Vec<Record>, StoreError> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for s in store.active_sessions(&mut problems)? {
        let file = match &s.source {
            SessionSource::Events(p) | SessionSource::Current(p) => store.layout.display(p),
        };
        out.extend(from_session(&file, Origin::Active, &s.record, None, None));
    }
    if let Some(r) = read_current(&store.layout, &mut problems)?
        && !r.is_active()
        && !r.session_id.is_empty()
        && !store.layout.archived(&r.session_id).exists()
    {
        out.extend(from_session(
            CURRENT_SESSION,
            Origin::Current,
            &r,
            None,
            None,
        ));
    }
    Ok(out)
}

/// Everything: sessions with their as-of state, decisions, insights, handoffs, code,
/// blockers.
pub fn load_history(store: &Store) -> Result<History, StoreError> {
    let mut records = with_index(store, |c| c.records(|_| true, Detail::Full, false))?;
    records.extend(volatile_records(store)?);
    Ok(History::from_records(records))
}

/// Enough for listings (`baton history`): sessions and handoffs with their dates, goals,
/// counts and files, without as-of states, lists or other records. Cheaper than
/// [`load_history`].
pub fn load_sessions(store: &Store) -> Result<History, StoreError> {
    let volatile: Vec<Record> = volatile_records(store)?
        .into_iter()
        .filter(|r| r.kind == Kind::Session)
        .collect();
    let mut records = with_index(store, |c| {
        let mut sessions = c.records(|s| s.kind == Kind::Session, Detail::Head, false)?;
        // Handoffs an archive names are not needed for a listing; the others are read
        // (a running or seed session's own, found by name, or sessions of their own in
        // directories made by hand).
        let claimed: HashSet<String> = sessions
            .iter()
            .filter_map(|r| r.session()?.handoff_file.as_deref())
            .map(|file| format!("{}/{file}", super::layout::HANDOFFS))
            .collect();
        sessions.extend(c.records_in(
            |s, file| s.kind == Kind::Handoff && !claimed.contains(file),
            Detail::Head,
            false,
        )?);
        Ok(sessions)
    })?;
    records.extend(volatile);
    Ok(History::from_records(records))
}

/// Searches everything (see `domain::search` for the query language); at most `limit`
/// hits, grouped by kind with `SearchResults::groups`.
pub fn search(store: &Store, query: &Query, limit: usize) -> Result<SearchResults, StoreError> {
    let extra = volatile_records(store)?;
    with_index(store, |c| c.search(query, limit, &extra))
}

/// What `baton show` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowTarget {
    Session(String),
    /// Every session that started or ended that day (UTC).
    Day(NaiveDate),
}

/// The sessions of the first of `targets` that names any, each as it stood (see
/// `domain::show`), with their handoffs' text, the repository's commits of their time
/// window, and stale marks. When none names a session: a usage error.
///
/// Reads only what the views need: every session's and handoff's head (for the order of
/// steps and the handoffs so far), the chosen sessions' own records, and the latest
/// decisions before each; decisions so far are counted from the index's per-record stats.
/// Directories whose sessions are known only from handoffs, and sessions archived without
/// an as-of state (whose pending work must be folded from earlier sessions), take the
/// whole history instead ([`load_history`]); the result is the same.
pub fn session_views(
    store: &Store,
    targets: &[ShowTarget],
) -> Result<Vec<SessionView>, StoreError> {
    let volatile = volatile_records(store)?;
    let lean = with_index(store, |c| lean_history(c, targets, &volatile))?;
    let (history, counts) = match lean {
        Some(found) => found,
        None => (load_history(store)?, HashMap::new()),
    };
    let index = AsOfIndex::build(&history);
    let chosen: Vec<usize> = targets
        .iter()
        .map(|t| match t {
            ShowTarget::Session(id) => history.session_index(id).into_iter().collect(),
            ShowTarget::Day(day) => (0..history.sessions.len())
                .filter(|&i| history.sessions[i].on_day(*day))
                .collect::<Vec<usize>>(),
        })
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    if chosen.is_empty() {
        let what = match targets.last() {
            Some(ShowTarget::Day(day)) => format!("no session {day} and none on that day"),
            Some(ShowTarget::Session(id)) => format!("no session {id:?}"),
            None => "nothing asked for".to_string(),
        };
        return Err(StoreError::Usage(format!(
            "{what} in this directory; `baton history` lists them"
        )));
    }
    let layout = &store.layout;
    let repo = super::stale::repo_root(layout);
    let in_repo = repo.is_some();
    let mut views = Vec::with_capacity(chosen.len());
    for i in chosen {
        let s = &history.sessions[i];
        let text = s
            .handoff_file
            .as_ref()
            .and_then(|f| std::fs::read(layout.handoff(f)).ok())
            .map(|b| crate::domain::text::decode(&b).0.into_owned());
        let commits = match (in_repo, s.started, s.ended) {
            (true, Some(start), Some(end)) if !end.day_only => {
                super::stale::repo_commits(layout, start, end.at)
            }
            _ => Vec::new(),
        };
        if let Some(mut v) = view(&history, &index, i, text, &commits) {
            if let (Some(a), Some(n)) = (v.as_of.as_mut(), counts.get(&s.id)) {
                a.decisions_so_far = *n;
            }
            views.push(v);
        }
    }
    let paths: Vec<_> = views.iter().flat_map(SessionView::named_paths).collect();
    if !paths.is_empty() {
        let facts = super::stale::file_facts_in(layout, repo.as_deref(), &paths);
        for v in &mut views {
            v.mark_stale(&facts);
        }
    }
    Ok(views)
}

/// See [`session_views`]: the part of the history the views need, and per chosen session
/// the number of decisions so far; `None` when the whole history is needed.
#[allow(clippy::type_complexity)]
fn lean_history(
    c: &mut Catalog,
    targets: &[ShowTarget],
    volatile: &[Record],
) -> Result<Option<(History, HashMap<String, usize>)>, IndexError> {
    let heads = c.records(
        |s| matches!(s.kind, Kind::Session | Kind::Handoff),
        Detail::Head,
        false,
    )?;
    // Sessions as the heads give them: id, start, end.
    let sessions: Vec<(&str, Option<When>, Option<When>)> = heads
        .iter()
        .chain(volatile)
        .filter_map(|r| {
            let s = r.session()?;
            Some((
                r.session_id.as_deref()?,
                s.started.map(When::at),
                s.ended.map(When::at),
            ))
        })
        .collect();
    let chosen: Vec<(String, Option<When>, Option<When>)> = targets
        .iter()
        .map(|t| {
            sessions
                .iter()
                .filter(|(id, start, end)| match t {
                    ShowTarget::Session(want) => id == want,
                    ShowTarget::Day(day) => {
                        start.is_some_and(|w| w.date() == *day)
                            || end.is_some_and(|w| w.date() == *day)
                    }
                })
                .map(|(id, start, end)| ((*id).to_string(), *start, *end))
                .collect::<Vec<_>>()
        })
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    if chosen.is_empty() {
        return Ok(None);
    }
    let ended: HashMap<u64, When> = sessions
        .iter()
        .filter_map(|(id, _, end)| Some((session_key(Some(id)), (*end)?)))
        .collect();
    let keys: HashSet<u64> = chosen
        .iter()
        .map(|(id, ..)| session_key(Some(id)))
        .collect();
    let days: HashSet<NaiveDate> = chosen
        .iter()
        .flat_map(|(_, s, e)| [s.map(|w| w.date()), e.map(|w| w.date())])
        .flatten()
        .collect();

    // The chosen sessions' own records, and undated-session items of their days.
    let mut places = Vec::new();
    // Decisions, deduplicated as `History` does, by the time they count from.
    let mut with_session: HashSet<u64> = HashSet::new();
    for (_, st) in c.stats() {
        if st.kind == Kind::Decision && st.session != 0 {
            with_session.insert(st.key);
        }
    }
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut decisions: Vec<(When, Place)> = Vec::new();
    for (place, st) in c.stats() {
        let own = keys.contains(&st.session)
            || st.session == 0 && st.when.is_some_and(|w| days.contains(&w.date()));
        if own && st.kind != Kind::Handoff {
            places.push(place);
        }
        if st.kind != Kind::Decision
            || st.session == 0 && with_session.contains(&st.key)
            || !seen.insert((st.key, st.session))
        {
            continue;
        }
        let at = match st.session {
            0 => st.when,
            k => ended.get(&k).copied().or(st.when),
        };
        if let Some(at) = at {
            decisions.push((at, place));
        }
    }
    decisions.sort_by_key(|(at, _)| *at);
    let mut counts = HashMap::new();
    for (id, _, end) in &chosen {
        let Some(end) = end else { continue };
        let n = decisions.partition_point(|(at, _)| at.at <= end.at);
        counts.insert(id.clone(), n);
        places.extend(
            decisions[n.saturating_sub(RECENT)..n]
                .iter()
                .map(|(_, p)| *p),
        );
    }
    places.sort_unstable();
    places.dedup();
    // Full records first: they win over the heads of the same sessions.
    let mut records = c.fetch(&places, Detail::Full, false)?;
    let chosen_ids: HashSet<&str> = chosen.iter().map(|(id, ..)| id.as_str()).collect();
    records.retain(|r| {
        r.kind != Kind::Session
            || r.session_id
                .as_deref()
                .is_some_and(|id| chosen_ids.contains(id))
    });
    records.extend(volatile.iter().cloned());
    records.extend(heads);
    let history = History::from_records(records);
    let complete = !history.sessions.iter().any(|s| {
        s.origin == Origin::Handoff
            || chosen_ids.contains(s.id.as_str()) && s.as_of.is_none() && !s.is_active()
    });
    Ok(complete.then_some((history, counts)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::SessionRow;
    use crate::store::generate::generate_history;

    #[test]
    fn history_of_a_generated_directory() {
        let tmp = tempfile::tempdir().unwrap();
        generate_history(tmp.path(), 30).unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let h = load_history(&store).unwrap();
        assert_eq!(h.sessions.len(), 30);
        assert!(h.sessions.iter().all(|s| s.as_of.is_some()));
        assert_eq!(h.handoffs.len(), 30);
        assert!(h.handoffs.iter().all(|x| x.session_id.is_some()));
        let listing = load_sessions(&store).unwrap();
        assert_eq!(listing.sessions.len(), 30);
        assert!(listing.sessions.iter().all(|s| s.as_of.is_none()));
        let rows = |h: &History| -> Vec<SessionRow> {
            h.listing(&Default::default())
                .into_iter()
                .map(SessionRow::from)
                .collect()
        };
        assert_eq!(rows(&listing), rows(&h));
        // The same for the seed's hand-made layout (sessions from handoffs).
        let seed = tempfile::tempdir().unwrap();
        crate::store::generate::generate_seed_history(seed.path(), 25).unwrap();
        let store = Store::open(seed.path()).unwrap();
        let (full, lean) = (
            load_history(&store).unwrap(),
            load_sessions(&store).unwrap(),
        );
        assert_eq!(rows(&lean), rows(&full));
        assert_eq!(full.sessions.len(), 25);
        let store = Store::open(tmp.path()).unwrap();
        // A second open re-reads nothing.
        let r = refresh_index(&store).unwrap();
        assert_eq!(r.reread, 0);
        assert!(!r.rebuilt);
    }

    /// `show`'s lean reading gives exactly what the whole history gives.
    #[test]
    fn lean_views_equal_views_of_the_whole_history() {
        let tmp = tempfile::tempdir().unwrap();
        generate_history(tmp.path(), 60).unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let h = load_history(&store).unwrap();
        let index = AsOfIndex::build(&h);
        for i in [0, 1, 17, 30, 59] {
            let id = h.sessions[i].id.clone();
            let lean = session_views(&store, &[ShowTarget::Session(id.clone())]).unwrap();
            let text = std::fs::read_to_string(
                store
                    .layout
                    .handoff(h.sessions[i].handoff_file.as_ref().unwrap()),
            )
            .unwrap();
            let mut full = view(&h, &index, i, Some(text), &[]).unwrap();
            let facts = crate::store::stale::file_facts(&store.layout, &full.named_paths());
            full.mark_stale(&facts);
            assert_eq!(lean.len(), 1);
            assert_eq!(
                serde_json::to_value(&lean[0]).unwrap(),
                serde_json::to_value(&full).unwrap(),
                "session {id}"
            );
        }
        let day = h.sessions[30].ended.unwrap().date();
        let lean = session_views(&store, &[ShowTarget::Day(day)]).unwrap();
        assert_eq!(lean.len(), h.on_day(day).len());
    }
}
