//! The history of a directory, for `baton history`, `show`, `search`, time travel and the
//! timeline: read through the index (`store::index`), which is brought up to date on every
//! call, plus what is never indexed because it changes all the time (running sessions and
//! the seed's `CURRENT_SESSION.json`).
//!
//! The dashboard calls [`load_history`] once per directory load (off the render thread),
//! builds a `domain::asof::AsOfIndex` from it, asks for a session's view with
//! [`session_view`] (what `baton show` prints) when it shows one, and calls [`search`] per
//! query. The timeline (`store::timeline`) is built from that same history and what it
//! leaves out.

use std::collections::{HashMap, HashSet};

use crate::domain::fast_hash::{FxBuildHasher, FxHashMap};
use std::path::Path;

use chrono::NaiveDate;

use crate::domain::asof::AsOfIndex;
use crate::domain::catalog::{Kind, Origin, Record, When, from_session};
use crate::domain::history::{History, NamedHandoff, SessionDetail, claimed_handoff_files};
use crate::domain::search::{Query, SearchResults, session_key};
use crate::domain::show::{RECENT, SessionView, view};

use super::StoreError;
use super::fsio::FsError;
use super::index::{Catalog, Detail, IndexError, Place, Refresh, Scope, forget};
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
    f: impl FnMut(&mut Catalog) -> Result<T, IndexError>,
) -> Result<T, StoreError> {
    with_index_scoped(store, Scope::All, f)
}

/// [`with_index`], the index checked as `scope` says (see `index::Scope`).
pub fn with_index_scoped<T>(
    store: &Store,
    scope: Scope,
    mut f: impl FnMut(&mut Catalog) -> Result<T, IndexError>,
) -> Result<T, StoreError> {
    let root = &store.layout.root;
    for attempt in 0..2 {
        let result = Catalog::open_scoped(root, scope).and_then(|mut c| f(&mut c));
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

/// What the dashboard holds for time travel and builds its timeline from: sessions with
/// their as-of state and commits, decisions and handoffs. Sessions with an as-of state come
/// without their other details (next steps, finished work, files: `SessionInfo::details`
/// false; read one session's with [`session_detail`]); as-of items are shared between
/// sessions. Nothing else is read: no insights, code or blockers (the session view and the
/// timeline read their own), and a handoff a session claims by name comes by name and date
/// only (the board lists it by name; its text is read when it is shown).
pub fn load_history(store: &Store) -> Result<History, StoreError> {
    read_history(store, Detail::Commits, Reach::TimeTravel)
}

/// [`load_history`] with every session's details and every record (what `show` falls back
/// to).
pub fn load_history_detailed(store: &Store) -> Result<History, StoreError> {
    read_history(store, Detail::Full, Reach::All)
}

/// Which records a read of the history takes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Every record, handoffs with their heads.
    All,
    /// Sessions, decisions, and handoffs (those sessions claim by name, as names).
    TimeTravel,
}

fn read_history(store: &Store, detail: Detail, reach: Reach) -> Result<History, StoreError> {
    let keep = |kind: Kind| {
        kind != Kind::Handoff
            && (reach == Reach::All || matches!(kind, Kind::Session | Kind::Decision))
    };
    let volatile = volatile_records(store)?;
    let (records, named) = with_index(store, |c| {
        let mut records = Vec::with_capacity(c.stats().count() + volatile.len());
        c.records_into(&mut records, |s, _| keep(s.kind), detail, false)?;
        records.extend(volatile.iter().filter(|r| keep(r.kind)).cloned());
        // A handoff some session claims by name never becomes a session of its own: its
        // Pending Items and Decisions sections are not needed.
        let mut handoffs = Vec::new();
        let mut named = Vec::new();
        {
            let claimed = claimed_handoff_files(&records);
            let is_claimed =
                |file: &str| handoff_name_of(file).is_some_and(|f| claimed.contains(f));
            match reach {
                Reach::All => c.records_into(
                    &mut handoffs,
                    |s, file| s.kind == Kind::Handoff && is_claimed(file),
                    Detail::Head,
                    false,
                )?,
                Reach::TimeTravel => named.extend(
                    c.stats_in()
                        .filter(|(_, st, file)| st.kind == Kind::Handoff && is_claimed(file))
                        .filter_map(|(_, st, file)| {
                            Some(NamedHandoff {
                                file: handoff_name_of(file)?.to_string(),
                                when: st.when(),
                            })
                        }),
                ),
            }
            c.records_into(
                &mut handoffs,
                |s, file| s.kind == Kind::Handoff && !is_claimed(file),
                Detail::Full,
                false,
            )?;
        }
        records.append(&mut handoffs);
        Ok((records, named))
    })?;
    Ok(History::from_parts(records, named))
}

/// A session's details (see [`load_history`]): read from its archive,
/// `SESSION_LOGS/<id>.json` (else found through the index); `None` when there is no archive
/// of that id (a running session's record has its details already).
pub fn session_detail(store: &Store, id: &str) -> Result<Option<SessionDetail>, StoreError> {
    if crate::domain::ids::validate_id(id).is_ok()
        && let Ok(bytes) = std::fs::read(store.layout.archived(id))
    {
        let file = format!("{}/{id}.json", super::layout::ARCHIVE);
        let found = super::index::sources::archive_records(&file, &bytes)
            .into_iter()
            .find(|r| r.kind == Kind::Session && r.session_id.as_deref() == Some(id));
        if let Some(r) = found {
            return Ok(SessionDetail::of(&r));
        }
    }
    let key = session_key(Some(id));
    let records = with_index_scoped(store, Scope::Listing, |c| {
        let places: Vec<Place> = c
            .stats()
            .filter(|(_, st)| st.kind == Kind::Session && st.session == key)
            .map(|(p, _)| p)
            .collect();
        c.fetch(&places, Detail::Full, false)
    })?;
    Ok(records
        .iter()
        .find(|r| r.session_id.as_deref() == Some(id))
        .and_then(SessionDetail::of))
}

/// Enough for listings (`baton history`): sessions and handoffs with their dates, goals,
/// counts and files, without as-of states, lists or other records. Cheaper than
/// [`load_history`].
pub fn load_sessions(store: &Store) -> Result<History, StoreError> {
    let volatile: Vec<Record> = volatile_records(store)?
        .into_iter()
        .filter(|r| r.kind == Kind::Session)
        .collect();
    let mut records = with_index_scoped(store, Scope::Listing, |c| {
        let mut sessions = c.records(|s| s.kind == Kind::Session, Detail::Head, false)?;
        // Handoffs an archive names are not needed for a listing; the others are read
        // (a running or seed session's own, found by name, or sessions of their own in
        // directories made by hand).
        let claimed: HashSet<&str, FxBuildHasher> = sessions
            .iter()
            .filter_map(|r| r.session()?.handoff_file.as_deref())
            .collect();
        let unclaimed = c.records_in(
            |s, file| {
                s.kind == Kind::Handoff
                    && !handoff_name_of(file).is_some_and(|f| claimed.contains(f))
            },
            Detail::Head,
            false,
        )?;
        sessions.extend(unclaimed);
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
    let lean = with_index_scoped(store, Scope::Listing, |c| {
        lean_history(c, targets, &volatile)
    })?;
    let (history, counts) = match lean {
        Some(found) => found,
        None => (load_history_detailed(store)?, HashMap::new()),
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

/// One session as it stood, exactly as `baton show ID` has it (the dashboard's session
/// view); `None` when there is no session of that id.
pub fn session_view(store: &Store, id: &str) -> Result<Option<SessionView>, StoreError> {
    match session_views(store, &[ShowTarget::Session(id.to_string())]) {
        Ok(views) => Ok(views.into_iter().find(|v| v.session.id == id)),
        Err(StoreError::Usage(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The name of a file in `SESSION_HANDOFFS/` (`None` for any other file).
pub(super) fn handoff_name_of(file: &str) -> Option<&str> {
    file.strip_prefix(super::layout::HANDOFFS)?
        .strip_prefix('/')
}

/// See [`session_views`]: the part of the history the views need, and per chosen session
/// the number of decisions so far; `None` when the whole history is needed.
#[allow(clippy::type_complexity)]
fn lean_history(
    c: &mut Catalog,
    targets: &[ShowTarget],
    volatile: &[Record],
) -> Result<Option<(History, HashMap<String, usize>)>, IndexError> {
    let mut heads = c.records(|s| s.kind == Kind::Session, Detail::Head, false)?;
    // A handoff a session claims by name is that session's: a view reads only its name and
    // date (the stats have both); the others may be sessions of their own.
    let mut handoffs = Vec::new();
    let claimed = claimed_handoff_files(heads.iter().chain(volatile));
    let is_claimed = |file: &str| handoff_name_of(file).is_some_and(|f| claimed.contains(f));
    let named: Vec<NamedHandoff> = c
        .stats_in()
        .filter(|(_, st, _)| st.kind == Kind::Handoff)
        .filter_map(|(_, st, file)| {
            let name = handoff_name_of(file).filter(|f| claimed.contains(*f))?;
            Some(NamedHandoff {
                file: name.to_string(),
                when: st.when(),
            })
        })
        .collect();
    c.records_into(
        &mut handoffs,
        |s, file| s.kind == Kind::Handoff && !is_claimed(file),
        Detail::Head,
        false,
    )?;
    drop(claimed);
    heads.append(&mut handoffs);
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
    let ended: FxHashMap<u64, When> = sessions
        .iter()
        .filter_map(|(id, _, end)| Some((session_key(Some(id)), (*end)?)))
        .collect();
    // A few (a day's sessions): looked up for every record, a list is quickest.
    let keys: Vec<u64> = chosen
        .iter()
        .map(|(id, ..)| session_key(Some(id)))
        .collect();
    let days: Vec<NaiveDate> = chosen
        .iter()
        .flat_map(|(_, s, e)| [s.map(|w| w.date()), e.map(|w| w.date())])
        .flatten()
        .collect();

    // The chosen sessions' own records, and undated-session items of their days.
    let mut places = Vec::new();
    // Decisions, deduplicated as `History` does, by the time they count from.
    let n = c
        .stats()
        .filter(|(_, st)| st.kind == Kind::Decision)
        .count();
    let mut with_session: HashSet<u64, FxBuildHasher> =
        HashSet::with_capacity_and_hasher(n, FxBuildHasher::default());
    for (_, st) in c.stats() {
        if st.kind == Kind::Decision && st.session != 0 {
            with_session.insert(st.key);
        }
    }
    let mut seen: HashSet<(u64, u64), FxBuildHasher> =
        HashSet::with_capacity_and_hasher(n, FxBuildHasher::default());
    let mut decisions: Vec<(When, Place)> = Vec::with_capacity(n);
    for (place, st) in c.stats() {
        let own = keys.contains(&st.session)
            || st.session == 0 && st.when().is_some_and(|w| days.contains(&w.date()));
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
            0 => st.when(),
            k => ended.get(&k).copied().or_else(|| st.when()),
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
    let history = History::from_parts(records, named);
    let complete = !history.sessions.iter().any(|s| {
        s.origin == Origin::Handoff
            || chosen_ids.contains(s.id.as_str()) && s.as_of.is_none() && !s.is_active()
    });
    Ok(complete.then_some((history, counts)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::history::SessionRow;
    use crate::domain::items::PendingItem;
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
        let h = load_history_detailed(&store).unwrap();
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

    /// Everything but what the dashboard's history leaves out (sessions' details; insights,
    /// code, blockers; claimed handoffs' titles and summaries), for comparing histories.
    fn without_details(h: &History) -> History {
        let mut h = h.clone();
        for s in &mut h.sessions {
            s.set_detail(SessionDetail::default());
        }
        h.insights.clear();
        h.code.clear();
        h.blockers.clear();
        for x in &mut h.handoffs {
            let own = h
                .sessions
                .iter()
                .any(|s| s.origin == Origin::Handoff && s.handoff_file.as_ref() == Some(&x.file));
            if !own {
                x.title.clear();
                x.summary = None;
            }
        }
        h
    }

    fn as_of_states(h: &History) -> Vec<String> {
        let index = AsOfIndex::build(h);
        (0..index.len())
            .map(|step| {
                let s = index.state(h, step).unwrap();
                let pending: Vec<_> = s.pending.iter().map(|p| (**p).clone()).collect();
                // Insights are not the dashboard's (`load_history` leaves them out).
                format!(
                    "{} {:?} {:?} {} {} {:?}",
                    s.session.id,
                    s.totals,
                    pending,
                    s.decisions.len(),
                    s.handoffs.len(),
                    s.pending_source
                )
            })
            .collect()
    }

    /// The dashboard's history shares as-of items between sessions and leaves sessions'
    /// details out; neither changes anything time travel shows, and a session's details
    /// read on demand are exactly the ones a full read gives.
    #[test]
    fn lean_history_shares_items_and_reads_details_on_demand() {
        let tmp = tempfile::tempdir().unwrap();
        generate_history(tmp.path(), 80).unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let full = load_history_detailed(&store).unwrap();
        let mut lean = load_history(&store).unwrap();
        assert_eq!(lean.sessions.len(), 80);
        assert!(
            lean.sessions
                .iter()
                .all(|s| !s.details && s.as_of.is_some())
        );
        assert!(full.sessions.iter().all(|s| s.details));
        assert!(full.sessions.iter().any(|s| !s.commits.is_empty()));
        assert_eq!(without_details(&lean), without_details(&full));
        assert!(lean.insights.is_empty() && lean.code.is_empty());
        assert!(!full.insights.is_empty() && !full.code.is_empty());
        assert!(lean.handoffs.iter().all(|h| h.title.is_empty()));
        assert_eq!(as_of_states(&lean), as_of_states(&full));

        // Identical items are one item: far fewer than there are copies.
        let items: Vec<&Arc<PendingItem>> = lean
            .sessions
            .iter()
            .flat_map(|s| s.as_of.as_ref().unwrap().pending.iter())
            .collect();
        let distinct: HashSet<*const PendingItem> = items.iter().map(|p| Arc::as_ptr(p)).collect();
        assert!(
            distinct.len() * 2 < items.len(),
            "{} of {}",
            distinct.len(),
            items.len()
        );
        for w in lean.sessions.windows(2) {
            for p in &w[1].as_of.as_ref().unwrap().pending {
                if let Some(q) = w[0]
                    .as_of
                    .as_ref()
                    .unwrap()
                    .pending
                    .iter()
                    .find(|q| q == &p)
                {
                    assert!(Arc::ptr_eq(p, q), "{}", p.task);
                }
            }
        }

        // Details on demand.
        for i in [0, 41, 79] {
            let id = lean.sessions[i].id.clone();
            let d = session_detail(&store, &id).unwrap().unwrap();
            lean.sessions[i].set_detail(d);
            assert_eq!(lean.sessions[i], full.sessions[i], "{id}");
        }
        assert_eq!(session_detail(&store, "no-such-session").unwrap(), None);

        // Sessions without an as-of state keep their details (their pending work is folded
        // from them); hand-made directories lose nothing.
        let seed = tempfile::tempdir().unwrap();
        crate::store::generate::generate_seed_history(seed.path(), 25).unwrap();
        let store = Store::open(seed.path()).unwrap();
        let (lean, full) = (
            load_history(&store).unwrap(),
            load_history_detailed(&store).unwrap(),
        );
        assert_eq!(without_details(&lean), without_details(&full));
        assert_eq!(lean.sessions, full.sessions);
        assert!(lean.sessions.iter().all(|s| s.details));
        assert_eq!(as_of_states(&lean), as_of_states(&full));
    }

    fn rows(h: &History) -> Vec<SessionRow> {
        h.listing(&Default::default())
            .into_iter()
            .map(SessionRow::from)
            .collect()
    }

    /// Sets `path`'s modification time `minutes` ago (files written within two seconds of
    /// being indexed are re-checked by content until they are older).
    fn age(path: &std::path::Path, minutes: u64) {
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(60 * minutes);
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(t).unwrap();
    }

    fn age_all(dir: &std::path::Path) {
        for sub in [
            crate::store::layout::ARCHIVE,
            crate::store::layout::HANDOFFS,
        ] {
            for e in std::fs::read_dir(dir.join(sub)).into_iter().flatten() {
                age(&e.unwrap().path(), 60);
            }
        }
    }

    fn write_aged(path: &std::path::Path, text: &str, minutes: u64) {
        std::fs::write(path, text).unwrap();
        age(path, minutes);
    }

    fn listing_refresh(store: &Store) -> Refresh {
        with_index_scoped(store, Scope::Listing, |c| Ok(c.refresh.clone())).unwrap()
    }

    /// `history` and `show` skip the handoffs archives name; they still see every edit of
    /// what they show, in place or not.
    #[test]
    fn listings_are_never_stale() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        generate_history(dir, 30).unwrap();
        age_all(dir);
        let store = Store::open(dir).unwrap();
        let before = rows(&load_sessions(&store).unwrap());
        let r = listing_refresh(&store);
        assert_eq!((r.trusted, r.reread), (30, 0), "{r:?}");

        // A handoff an archive names, edited in place: its text is what `show` prints (read
        // from the file), nothing of it is in the listing; search sees it at once.
        let h = load_history(&store).unwrap();
        let s = &h.sessions[12];
        let file = store.layout.handoff(s.handoff_file.as_ref().unwrap());
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("\nA quagga crossed the deploy.\n");
        write_aged(&file, &text, 50);
        assert_eq!(rows(&load_sessions(&store).unwrap()), before);
        let views = session_views(&store, &[ShowTarget::Session(s.id.clone())]).unwrap();
        assert!(
            views[0]
                .handoff
                .as_ref()
                .unwrap()
                .text
                .as_ref()
                .unwrap()
                .contains("quagga")
        );
        let quagga = crate::domain::search::Query::parse("quagga").unwrap();
        assert_eq!(search(&store, &quagga, 10).unwrap().total, 1);

        // An archive edited in place: seen, and every handoff is checked again.
        let archive = dir.join(&s.source.file);
        let old = std::fs::read_to_string(&archive).unwrap();
        let new = old.replacen(
            &format!("\"primary_goal\": \"{}\"", s.goal),
            "\"primary_goal\": \"Tame the zebra\"",
            1,
        );
        assert_ne!(old, new);
        write_aged(&archive, &new, 40);
        let r = listing_refresh(&store);
        assert_eq!((r.trusted, r.reread), (0, 1), "{r:?}");
        let listed = rows(&load_sessions(&store).unwrap());
        assert!(listed.iter().any(|row| row.goal == "Tame the zebra"));
        assert_eq!(listed, rows(&load_history(&store).unwrap()));
        let views = session_views(&store, &[ShowTarget::Session(s.id.clone())]).unwrap();
        assert_eq!(views[0].session.goal, "Tame the zebra");

        // A handoff no archive names is a session of its own: new, then edited in place.
        let extra = store.layout.handoff("notes.md");
        write_aged(&extra, "# Notes\n\n## Quick Summary\nFeed the okapi\n", 30);
        assert!(
            rows(&load_sessions(&store).unwrap())
                .iter()
                .any(|r| r.goal == "Feed the okapi")
        );
        write_aged(&extra, "# Notes\n\n## Quick Summary\nWalk the okapi\n", 20);
        let listed = rows(&load_sessions(&store).unwrap());
        assert!(
            listed.iter().any(|r| r.goal == "Walk the okapi"),
            "{listed:?}"
        );
        assert_eq!(listed, rows(&load_history(&store).unwrap()));
        let r = listing_refresh(&store);
        assert_eq!(r.trusted, 30, "{r:?}");
        let views = session_views(&store, &[ShowTarget::Session("notes".into())]).unwrap();
        assert_eq!(views[0].session.goal, "Walk the okapi");

        // A named handoff removed: the listing still names it (the archive does), the index
        // forgets it.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            rows(&load_sessions(&store).unwrap()),
            rows(&load_history(&store).unwrap())
        );
        assert_eq!(search(&store, &quagga, 10).unwrap().total, 0);
    }

    /// Hand-made directories: no archive names a handoff, so every one is checked.
    #[test]
    fn seed_listings_check_every_handoff() {
        let seed = tempfile::tempdir().unwrap();
        crate::store::generate::generate_seed_history(seed.path(), 12).unwrap();
        age_all(seed.path());
        let store = Store::open(seed.path()).unwrap();
        let before = rows(&load_sessions(&store).unwrap());
        assert_eq!(listing_refresh(&store).trusted, 0);
        let h = load_history(&store).unwrap();
        let s = h
            .sessions
            .iter()
            .find(|s| s.origin == Origin::Handoff)
            .unwrap();
        let file = store.layout.handoff(s.handoff_file.as_ref().unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        let edited = text.replacen(
            "## Quick Summary\n",
            "## Quick Summary\nCount the zebras. ",
            1,
        );
        assert_ne!(text, edited, "the generated handoff has a summary");
        write_aged(&file, &edited, 50);
        let after = rows(&load_sessions(&store).unwrap());
        assert_ne!(after, before);
        assert!(
            after.iter().any(|r| r.goal.starts_with("Count the zebras")),
            "{after:?}"
        );
    }
}
