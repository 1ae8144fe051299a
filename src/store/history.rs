//! The history of a directory, for `baton history`, `show`, `search`, time travel and the
//! timeline: read through the index (`store::index`), which is brought up to date on every
//! call, plus what is never indexed because it changes all the time (running sessions and
//! the seed's `CURRENT_SESSION.json`).
//!
//! The dashboard calls [`load_history`] once per directory load (off the render thread),
//! builds a `domain::asof::AsOfIndex` and a `domain::timeline` from it, and [`search`] per
//! query.

use std::path::Path;

use chrono::NaiveDate;

use crate::domain::asof::AsOfIndex;
use crate::domain::catalog::{Kind, Origin, Record, from_session};
use crate::domain::history::History;
use crate::domain::search::{Query, SearchResults};
use crate::domain::show::{SessionView, view};

use super::StoreError;
use super::fsio::FsError;
use super::index::{Catalog, Detail, IndexError, Refresh, forget};
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
    let mut records = with_index(store, |c| {
        c.records(
            |s| matches!(s.kind, Kind::Session | Kind::Handoff),
            Detail::Head,
            false,
        )
    })?;
    records.extend(
        volatile_records(store)?
            .into_iter()
            .filter(|r| r.kind == Kind::Session),
    );
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
pub fn session_views(
    store: &Store,
    targets: &[ShowTarget],
) -> Result<Vec<SessionView>, StoreError> {
    let history = load_history(store)?;
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
            Some(ShowTarget::Day(day)) => format!("no session {day:?} and none on {day}"),
            Some(ShowTarget::Session(id)) => format!("no session {id:?}"),
            None => "nothing asked for".to_string(),
        };
        return Err(StoreError::Usage(format!(
            "{what} in this directory; `baton history` lists them"
        )));
    }
    let layout = &store.layout;
    let in_repo = super::stale::repo_root(layout).is_some();
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
        if let Some(v) = view(&history, &index, i, text, &commits) {
            views.push(v);
        }
    }
    let paths: Vec<_> = views.iter().flat_map(SessionView::named_paths).collect();
    if !paths.is_empty() {
        let facts = super::stale::file_facts(layout, &paths);
        for v in &mut views {
            v.mark_stale(&facts);
        }
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(listing.sessions[29].id, h.sessions[29].id);
        // A second open re-reads nothing.
        let r = refresh_index(&store).unwrap();
        assert_eq!(r.reread, 0);
        assert!(!r.rebuilt);
    }
}
