//! One dated timeline of everything: sessions started and ended, decisions, insights,
//! blockers, code, handoffs, pending work added and finished, and git commits. Built once
//! per load from a [`History`] and its [`AsOfIndex`] (pending work added and finished is
//! the difference between consecutive steps' pending lists), then only sliced and rendered.
//!
//! Things with no date at all are left out (they have no place on a timeline). At equal
//! times, entries keep a natural order: a session starts, commits, decides, learns, ends.

use std::collections::HashMap;

use super::asof::AsOfIndex;
use super::catalog::When;
use super::history::History;
use super::notes::Notes;
use super::session::Commit;
use super::stale::paths_in;
pub use super::timeline_entry::{EntryKind, Order, TimelineEntry};
use super::timeline_rows::Builder;
pub use super::timeline_rows::Timeline;

/// What a timeline is made of: a history of sessions, decisions and handoffs (what the
/// dashboard reads for time travel) with its as-of index, the notes it leaves out, the
/// summaries of the handoffs it knows by name only, and the repository's commits (those
/// already recorded in archives are not repeated).
#[derive(Debug, Clone)]
pub struct Sources<'a> {
    pub history: &'a History,
    pub index: &'a AsOfIndex,
    pub notes: Notes,
    /// Handoff file → summary, for handoffs whose summary the history does not hold.
    pub summaries: HashMap<String, String>,
    pub commits: Vec<Commit>,
}

/// The timeline of `src`. What is read for it alone (notes, summaries, commits) is dropped
/// as soon as its rows are made: a timeline of 10,000 sessions is built beside them.
pub fn build(src: Sources<'_>, order: Order) -> Timeline {
    let Sources {
        history,
        index,
        notes,
        summaries,
        commits,
    } = src;
    let Notes {
        insights,
        code,
        blockers,
    } = notes;
    // Pending work added and finished first, in one walk of the steps (each list is made
    // from the one before): those rows tie with no other kind's, so where they are pushed
    // does not change the order. Their count is known only after the walk.
    let mut out = Builder::default();
    pending_changes(history, index, |at, kind, id, p| {
        let priority = (kind == EntryKind::PendingAdded).then(|| p.priority.as_str());
        out.push(at, kind, Some(id), &p.task, priority, &[]);
    });
    // Then room for every other row at once (at most a few undated ones too many): a
    // timeline of 10,000 sessions has 140,000 rows, and growing the list would copy them.
    out.reserve_exact(
        history.sessions.len() * 2
            + history
                .sessions
                .iter()
                .map(|s| s.commits.len())
                .sum::<usize>()
            + commits.len()
            + history.decisions.len()
            + insights.len()
            + blockers.len()
            + code.len()
            + history.handoffs.len(),
    );
    let short = |hash: &str| -> String { hash.chars().take(7).collect() };
    let mut hashes = std::collections::HashSet::new();
    for s in &history.sessions {
        let id = Some(s.id.as_str());
        if let Some(start) = s.started {
            out.push(
                When::at(start),
                EntryKind::SessionStarted,
                id,
                &s.goal,
                None,
                &[],
            );
        }
        if let Some(end) = s.ended {
            let hours = s.hours().map(|h| format!("{h:.2} h"));
            out.push(
                end,
                EntryKind::SessionEnded,
                id,
                &s.goal,
                hours.as_deref(),
                &[],
            );
        }
        for c in &s.commits {
            hashes.insert(c.hash.as_str());
            if let Some(at) = When::parse(&c.date) {
                let hash = short(&c.hash);
                out.push(at, EntryKind::Commit, id, &c.subject, Some(&hash), &[]);
            }
        }
    }
    for c in &commits {
        if hashes.contains(c.hash.as_str()) {
            continue;
        }
        if let Some(at) = When::parse(&c.date) {
            let hash = short(&c.hash);
            out.push(at, EntryKind::Commit, None, &c.subject, Some(&hash), &[]);
        }
    }
    drop((hashes, commits));
    let mut text = String::new();
    for d in &history.decisions {
        let Some(at) = d.at else { continue };
        text.clear();
        text.push_str(&d.decision.decision);
        for extra in [&d.decision.reasoning, &d.decision.impact]
            .into_iter()
            .flatten()
        {
            text.push(' ');
            text.push_str(extra);
        }
        out.push(
            at,
            EntryKind::Decision,
            d.session_id.as_deref(),
            &d.decision.decision,
            d.decision.reasoning.as_deref(),
            &paths_in(&text),
        );
    }
    for i in &insights {
        let Some(at) = i.at else { continue };
        out.push(
            at,
            EntryKind::Insight,
            i.session_id.as_deref(),
            &i.text,
            None,
            &[],
        );
    }
    drop(insights);
    for b in &blockers {
        let Some(at) = b.at else { continue };
        out.push(
            at,
            EntryKind::Blocker,
            b.session_id.as_deref(),
            &b.blocker,
            b.solution.as_deref(),
            &[],
        );
    }
    drop(blockers);
    for c in &code {
        let Some(at) = c.at else { continue };
        out.push(
            at,
            EntryKind::Code,
            c.session_id.as_deref(),
            &c.path,
            c.note.as_deref(),
            std::slice::from_ref(&c.path),
        );
    }
    drop(code);
    for h in &history.handoffs {
        let Some(at) = h.at else { continue };
        out.push(
            at,
            EntryKind::Handoff,
            h.session_id.as_deref(),
            &h.file,
            h.summary
                .as_deref()
                .or_else(|| summaries.get(&h.file).map(String::as_str)),
            &[],
        );
    }
    drop(summaries);
    out.finish(order)
}

/// Pending work added and finished: the difference between consecutive steps, in order
/// (`f` gets the step's time, the kind, its session and the item).
fn pending_changes(
    history: &History,
    index: &AsOfIndex,
    mut f: impl FnMut(When, EntryKind, &str, &crate::domain::items::PendingItem),
) {
    let mut prev: Vec<std::sync::Arc<crate::domain::items::PendingItem>> = Vec::new();
    index.each_pending(history, |session, at, pending| {
        let id = session.id.as_str();
        for p in pending {
            if !prev.iter().any(|q| q.task == p.task) {
                f(at, EntryKind::PendingAdded, id, p);
            }
        }
        for q in &prev {
            if !pending.iter().any(|p| p.task == q.task) {
                f(at, EntryKind::PendingFinished, id, q);
            }
        }
        prev.clear();
        prev.extend(pending.iter().cloned());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{AsOfData, Origin, from_code, from_decision, from_session};
    use crate::domain::items::{PendingItem, Priority};
    use crate::domain::session::SessionRecord;
    use crate::domain::stale::{FileFacts, Stale, StaleReason};
    use serde_json::json;

    /// The timeline of a whole history (its own notes, every summary it holds).
    fn of_whole(h: &History, index: &AsOfIndex, commits: &[Commit], order: Order) -> Timeline {
        let notes = Notes {
            insights: h.insights.clone(),
            code: h.code.clone(),
            blockers: h.blockers.clone(),
        };
        let sources = Sources {
            history: h,
            index,
            notes,
            summaries: HashMap::new(),
            commits: commits.to_vec(),
        };
        build(sources, order)
    }

    fn entry(at: When, kind: EntryKind, session: Option<&str>, title: String) -> TimelineEntry {
        TimelineEntry {
            at,
            kind,
            session_id: session.map(str::to_string),
            title,
            detail: None,
            paths: Vec::new(),
            stale: None,
        }
    }

    #[test]
    fn one_dated_timeline() {
        let mut records = Vec::new();
        for (id, start, end, pending) in [
            (
                "s1",
                "2025-11-15T09:00:00Z",
                "2025-11-15T10:00:00Z",
                vec!["a", "b"],
            ),
            (
                "s2",
                "2025-11-16T09:00:00Z",
                "2025-11-16T10:00:00Z",
                vec!["b", "c"],
            ),
        ] {
            let r = SessionRecord {
                session_id: id.into(),
                started_at: Some(start.into()),
                ended_at: Some(end.into()),
                primary_goal: format!("goal {id}"),
                commits: vec![Commit {
                    hash: format!("{id}aaaaaaaa"),
                    author: "x".into(),
                    date: start.replace("09:00", "09:30"),
                    subject: format!("commit of {id}"),
                }],
                ..Default::default()
            };
            let as_of = AsOfData {
                sessions: 1,
                hours: 1.0,
                pending: pending
                    .iter()
                    .map(|t| std::sync::Arc::new(PendingItem::new(*t, Priority::Low)))
                    .collect(),
            };
            records.extend(from_session("x", Origin::Archive, &r, None, Some(as_of)));
        }
        records.push(
            from_decision(
                "DECISIONS_LOG.json",
                1,
                json!({"decision": "Split src/app.rs", "session_id": "s1", "date": "2025-11-15"}),
            )
            .unwrap(),
        );
        records.push(
            from_code(
                "CODE_REGISTRY.json",
                1,
                &json!({"path": "src/app.rs", "session_id": "s1"}),
            )
            .unwrap(),
        );
        let h = History::from_records(records);
        let idx = AsOfIndex::build(&h);
        let mut built = of_whole(&h, &idx, &[], Order::OldestFirst);
        let t = built.to_entries();
        let kinds: Vec<(EntryKind, &str)> = t.iter().map(|e| (e.kind, e.title.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (EntryKind::SessionStarted, "goal s1"),
                (EntryKind::Commit, "commit of s1"),
                (EntryKind::Decision, "Split src/app.rs"),
                (EntryKind::Code, "src/app.rs"),
                (EntryKind::PendingAdded, "a"),
                (EntryKind::PendingAdded, "b"),
                (EntryKind::SessionEnded, "goal s1"),
                (EntryKind::SessionStarted, "goal s2"),
                (EntryKind::Commit, "commit of s2"),
                (EntryKind::PendingFinished, "a"),
                (EntryKind::PendingAdded, "c"),
                (EntryKind::SessionEnded, "goal s2"),
            ]
        );
        let mut facts = FileFacts::default();
        facts.last_change.insert(
            "src/app.rs".into(),
            When::parse("2025-11-16T09:30:00Z").unwrap().at,
        );
        built.mark_stale(&facts);
        let t = built.to_entries();
        let stale: Vec<&str> = t
            .iter()
            .filter(|e| e.is_stale())
            .map(|e| e.title.as_str())
            .collect();
        assert_eq!(stale, vec!["Split src/app.rs", "src/app.rs"]);
        // Held compactly, every entry comes back whole: texts, paths, stale marks.
        assert_eq!(Timeline::from(t.clone()).to_entries(), t);
        assert_eq!(built.len(), t.len());
        let i = t.iter().position(|e| e.is_stale()).unwrap();
        assert!(built.is_stale(i) && !built.is_stale(0));
        assert_eq!(built.title(i), Some(t[i].title.as_str()));
        assert_eq!(built.session_id(i), t[i].session_id.as_deref());
        assert_eq!(built.named_paths().len(), 2);
        let newest = of_whole(&h, &idx, &[], Order::NewestFirst).to_entries();
        assert_eq!(newest[0].kind, EntryKind::SessionEnded);
        assert_eq!(newest[0].session_id.as_deref(), Some("s2"));

        // The repository's commits join in, those a session recorded only once.
        let repo = [
            Commit {
                hash: "s1aaaaaaaa".into(),
                author: "x".into(),
                date: "2025-11-15T09:30:00Z".into(),
                subject: "commit of s1".into(),
            },
            Commit {
                hash: "fffffffff0".into(),
                author: "x".into(),
                date: "2025-11-17T12:00:00Z".into(),
                subject: "rewrite app".into(),
            },
        ];
        let with_repo = of_whole(&h, &idx, &repo, Order::NewestFirst).to_entries();
        assert_eq!(with_repo.len(), newest.len() + 1);
        let first = &with_repo[0];
        assert_eq!(
            (first.kind, first.session_id.as_deref(), first.text()),
            (EntryKind::Commit, None, "fffffff rewrite app".to_string())
        );
        assert_eq!(
            with_repo
                .iter()
                .filter(|e| e.title == "commit of s1")
                .count(),
            1
        );
    }

    #[test]
    fn entries_as_text_and_their_stale_marks() {
        let mut e = entry(
            When::parse("2025-11-15").unwrap(),
            EntryKind::Decision,
            Some("s1"),
            "Split src/app.rs\ninto modules".into(),
        );
        assert_eq!(e.text(), "Split src/app.rs into modules");
        e.detail = Some("too long".into());
        assert_eq!(e.text(), "Split src/app.rs into modules — why: too long");
        assert_eq!(e.stale_note(), None);
        e.stale = Some(Box::new(Stale {
            path: "src/app.rs".into(),
            reason: StaleReason::Changed {
                at: "2025-11-18T12:00:00Z".into(),
            },
        }));
        assert_eq!(
            e.stale_note().as_deref(),
            Some("stale: src/app.rs changed on 2025-11-18")
        );
        assert_eq!(
            e.stale_mark().as_deref(),
            Some("stale: src/app.rs changed 2025-11-18")
        );
        e.stale = Some(Box::new(Stale {
            path: "src/gone.rs".into(),
            reason: StaleReason::Missing,
        }));
        assert_eq!(
            e.stale_mark().as_deref(),
            Some("stale: src/gone.rs missing")
        );
        e.kind = EntryKind::PendingAdded;
        e.detail = Some("high".into());
        assert_eq!(e.text(), "[high] Split src/app.rs into modules");
    }
}
