//! Time travel in the dashboard: the browser, the as-of view stepping with `[`/`]`, the
//! session view and search, through `App::update`, as snapshots, and in a real terminal.

mod common;

use std::path::PathBuf;

use baton::domain::catalog::Kind;
use baton::domain::history::History;
use baton::domain::search::{Hit, SearchResults};
use baton::store::Store;
use baton::store::generate::generate_history;
use baton::store::history::{load_history, search, session_view};
use baton::store::ops::StartRequest;
use baton::store::snapshot::load_board;
use baton::store::timeline::load_timeline;
use baton::tui::action::{Action, Effect};
use baton::tui::app::{App, Mode};
use baton::tui::pane::Pane;
use baton::tui::theme::Theme;
use common::pty::Tui;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn fixture(sessions: usize) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    generate_history(&dir, sessions).unwrap();
    Fixture { _tmp: tmp, dir }
}

fn app(f: &Fixture, w: u16, h: u16) -> (App, History) {
    let store = Store::open(&f.dir).unwrap();
    let mut app = App::new(
        PathBuf::from("/home/dev/proj/docs/sessions"),
        at("2025-11-22T10:00:00Z"),
        w,
        h,
        Theme { color: false },
    );
    app.update(Action::Loaded(Box::new(Ok(load_board(&store).unwrap()))));
    (app, load_history(&store).unwrap())
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn browser_opens_after_the_history_arrives_and_enter_shows_the_session_as_it_stood() {
    let f = fixture(20);
    let (mut app, history) = app(&f, 120, 40);
    assert_eq!(
        press(&mut app, KeyCode::Char('t')),
        vec![Effect::LoadHistory]
    );
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    assert_eq!(app.mode, Mode::Browser { cursor: 0 });
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    // Newest first: the third newest session.
    let index = history.sessions.len() - 3;
    assert_eq!(app.mode, Mode::Session { index, scroll: 0 });
    assert!(app.in_past());
    let session = &history.sessions[index];
    assert!(
        app.travel.banner.contains(&session.id),
        "{}",
        app.travel.banner
    );
    // The pending work shown is the archive's as-of list, high first.
    let archived = session.as_of.as_ref().unwrap();
    let mut expected: Vec<String> = archived.pending.iter().map(|p| p.task.clone()).collect();
    let mut shown: Vec<String> = app.board.pending.iter().map(|p| p.task.clone()).collect();
    expected.sort();
    shown.sort();
    assert_eq!(shown, expected);
    assert_eq!(app.board.totals().sessions, archived.sessions);
    // Its own handoff is selected.
    assert_eq!(app.selected_handoff(), session.handoff_file.clone());
}

#[test]
fn brackets_step_through_sessions_and_esc_returns_to_now() {
    let f = fixture(12);
    let (mut app, history) = app(&f, 120, 40);
    let live_pending = app.board.pending.clone();
    press(&mut app, KeyCode::Char('['));
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    assert!(
        app.travel.banner.ends_with("(12/12)"),
        "{}",
        app.travel.banner
    );
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char('['));
    assert!(
        app.travel.banner.ends_with("(10/12)"),
        "{}",
        app.travel.banner
    );
    let decisions_then = app.board.decisions.len();
    press(&mut app, KeyCode::Char(']'));
    assert!(app.travel.banner.ends_with("(11/12)"));
    assert!(
        app.board.decisions.len() > decisions_then,
        "later steps know more decisions"
    );
    // A reload while in the past keeps the past on screen.
    let store = Store::open(&f.dir).unwrap();
    app.update(Action::Loaded(Box::new(Ok(load_board(&store).unwrap()))));
    assert!(app.in_past());
    press(&mut app, KeyCode::Esc);
    assert!(!app.in_past());
    assert_eq!(app.board.pending, live_pending);
    // Stepping past the newest session is "now" too.
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char(']'));
    assert!(!app.in_past());
}

#[test]
fn a_change_on_disk_rereads_the_history_only_while_the_past_is_shown() {
    let f = fixture(5);
    let (mut app, history) = app(&f, 120, 40);
    let changed = |app: &mut App| app.update(files_changed());
    assert_eq!(
        changed(&mut app),
        vec![Effect::Load],
        "no history held: nothing more to read"
    );
    press(&mut app, KeyCode::Char('['));
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    assert_eq!(changed(&mut app), vec![Effect::Load, Effect::LoadHistory]);
}

#[test]
fn search_answers_only_the_latest_query_and_enter_opens_the_hit() {
    let f = fixture(30);
    let (mut app, history) = app(&f, 120, 40);
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mode, Mode::Search { cursor: 0 });
    let first = press(&mut app, KeyCode::Char('w'));
    assert_eq!(first, vec![Effect::Search("w".into())]);
    for c in "ebhook".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    let store = Store::open(&f.dir).unwrap();
    let answer = |q: &str| {
        search(
            &store,
            &baton::domain::search::Query::parse(q).unwrap(),
            200,
        )
        .map_err(|e| e.to_string())
    };
    // A late answer to "w" is dropped; the answer to "webhook" is shown.
    app.update(Action::SearchResults {
        query: "w".into(),
        result: Box::new(answer("w")),
    });
    assert!(app.travel.results.is_none());
    let results = answer("webhook").unwrap();
    assert!(results.total > 0);
    app.update(Action::SearchResults {
        query: "webhook".into(),
        result: Box::new(Ok(results.clone())),
    });
    assert_eq!(app.travel.results.as_deref(), Some(&results));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    assert_eq!(app.mode, Mode::Search { cursor: 0 });

    // Enter on a decision: the directory as it stood at its session, the Decisions pane
    // focused on that decision.
    let (pos, hit) = first_hit(&results, Kind::Decision);
    enter_hit(&mut app, pos);
    assert_eq!(app.mode, Mode::Normal);
    assert_at_session(&app, &hit);
    assert_eq!(app.focus, Pane::Decisions);
    assert_eq!(selected_decision(&app).as_deref(), Some(hit.title.as_str()));

    // Enter on a handoff: the Handoffs pane, that file selected and its text asked for.
    let (pos, hit) = first_hit(&results, Kind::Handoff);
    let file = hit.source.file.rsplit('/').next().unwrap().to_string();
    press(&mut app, KeyCode::Char('s'));
    let effects = enter_hit(&mut app, pos);
    assert_eq!(app.mode, Mode::Normal);
    assert_at_session(&app, &hit);
    assert_eq!(app.focus, Pane::Handoffs);
    assert_eq!(app.selected_handoff().as_deref(), Some(file.as_str()));
    assert!(
        effects.contains(&Effect::LoadHandoff(file.clone())),
        "{effects:?}"
    );

    // Enter on a session record or an insight: that session's view, as it stood.
    for kind in [Kind::Session, Kind::Insight] {
        let (pos, hit) = first_hit(&results, kind);
        press(&mut app, KeyCode::Char('s'));
        enter_hit(&mut app, pos);
        let id = hit.session_id.clone().unwrap();
        let index = history.session_index(&id).unwrap();
        assert_eq!(app.mode, Mode::Session { index, scroll: 0 }, "{kind:?}");
        assert_at_session(&app, &hit);
        press(&mut app, KeyCode::Esc);
    }
}

/// Search hits for `webhook` in the fixture, as the dashboard asks for them.
fn webhook_hits(f: &Fixture) -> SearchResults {
    let store = Store::open(&f.dir).unwrap();
    let query = baton::domain::search::Query::parse("webhook").unwrap();
    search(&store, &query, 200).unwrap()
}

/// Types `query` in the search box (`s`) and feeds the answer.
fn search_for(app: &mut App, query: &str, results: &SearchResults) {
    press(app, KeyCode::Char('s'));
    for c in query.chars() {
        press(app, KeyCode::Char(c));
    }
    app.update(Action::SearchResults {
        query: query.into(),
        result: Box::new(Ok(results.clone())),
    });
}

/// The first hit of `kind` that has a session, and its position in the results.
fn first_hit(results: &SearchResults, kind: Kind) -> (usize, Hit) {
    let pos = results
        .hits
        .iter()
        .position(|h| h.kind == kind && h.session_id.is_some())
        .unwrap_or_else(|| panic!("no {kind:?} hit"));
    (pos, results.hits[pos].clone())
}

/// Moves the search cursor (from the top) to `pos` and presses Enter.
fn enter_hit(app: &mut App, pos: usize) -> Vec<Effect> {
    assert!(matches!(app.mode, Mode::Search { .. }), "{:?}", app.mode);
    for _ in 0..pos {
        press(app, KeyCode::Down);
    }
    assert_eq!(app.mode, Mode::Search { cursor: pos });
    press(app, KeyCode::Enter)
}

fn assert_at_session(app: &App, hit: &Hit) {
    let id = hit.session_id.as_deref().unwrap();
    assert!(app.in_past());
    assert!(
        app.travel.banner.contains(&format!("after session {id} (")),
        "{} for {hit:?}",
        app.travel.banner
    );
}

fn selected_decision(app: &App) -> Option<String> {
    app.selected_index(Pane::Decisions)
        .map(|i| app.board.decisions[i].decision.clone())
}

/// Enter on a hit before the history is read asks for it and remembers the hit; the jump
/// happens when the history arrives.
#[test]
fn enter_on_a_hit_before_the_history_is_read_jumps_when_it_arrives() {
    let f = fixture(30);
    let (mut app, history) = app(&f, 120, 40);
    let results = webhook_hits(&f);
    search_for(&mut app, "webhook", &results);
    let (pos, hit) = first_hit(&results, Kind::Decision);
    let effects = enter_hit(&mut app, pos);
    assert_eq!(effects, vec![Effect::LoadHistory]);
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.in_past());
    assert_eq!(app.notice.as_deref(), Some("reading the history…"));
    // Whatever else happens meanwhile, the hit is kept for the history's arrival.
    app.update(Action::Tick(at("2025-11-22T10:00:01Z")));
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    assert_eq!(app.mode, Mode::Normal);
    assert_at_session(&app, &hit);
    assert_eq!(app.focus, Pane::Decisions);
    assert_eq!(selected_decision(&app).as_deref(), Some(hit.title.as_str()));
    assert!(app.travel.wanted.is_none());
    assert_eq!(app.notice, None);

    // Gone on to something else meanwhile (the search box again): no jump.
    let (mut app, history) = self::app(&f, 120, 40);
    search_for(&mut app, "webhook", &results);
    assert_eq!(enter_hit(&mut app, pos), vec![Effect::LoadHistory]);
    press(&mut app, KeyCode::Char('s'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    assert_eq!(app.mode, Mode::Search { cursor: 0 });
    assert!(!app.in_past());
}

/// A handoff written by hand names no session (`session_id: null` in search): Enter opens
/// the directory as it stood at its date, with that handoff selected and previewed.
#[test]
fn enter_on_a_handoff_without_a_session_opens_it_as_of_its_date() {
    let f = fixture(12);
    let file = "2025-11-09_handoff.md";
    std::fs::write(
        f.dir.join("SESSION_HANDOFFS").join(file),
        "# Handoff - 2025-11-09\n\n## Accomplished\n- moved the zanzibar importer\n\n\
         ## Next Session\n- finish zanzibar\n",
    )
    .unwrap();
    let (mut app, history) = app(&f, 120, 40);
    let store = Store::open(&f.dir).unwrap();
    let query = baton::domain::search::Query::parse("zanzibar").unwrap();
    let results = search(&store, &query, 200).unwrap();
    let pos = results
        .hits
        .iter()
        .position(|h| h.kind == Kind::Handoff)
        .unwrap();
    let hit = results.hits[pos].clone();
    assert_eq!(hit.session_id, None, "{hit:?}");
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    search_for(&mut app, "zanzibar", &results);
    let effects = enter_hit(&mut app, pos);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.in_past());
    assert!(
        app.travel.banner.starts_with("as of 2025-11-09,"),
        "{}",
        app.travel.banner
    );
    // The step is the last one at or before its date: nothing later is on the board.
    let step = app.travel.step.unwrap();
    let index = app.travel.index.session_index(step).unwrap();
    assert!(history.sessions[index].ended.unwrap().date() <= hit.date.unwrap().date());
    assert_eq!(app.focus, Pane::Handoffs);
    assert_eq!(app.selected_handoff().as_deref(), Some(file));
    assert!(
        effects.contains(&Effect::LoadHandoff(file.into())),
        "{effects:?}"
    );
    let text = std::fs::read_to_string(f.dir.join("SESSION_HANDOFFS").join(file)).unwrap();
    app.update(Action::HandoffLoaded {
        file: file.into(),
        text,
    });
    assert!(draw(&app).contains("zanzibar"), "{}", draw(&app));
}

#[test]
fn snapshots_of_the_browser_the_session_view_the_banner_and_search() {
    let f = fixture(12);
    for (w, h) in [(120, 40), (60, 20)] {
        let (mut app, history) = app(&f, w, h);
        press(&mut app, KeyCode::Char('t'));
        app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
        insta::assert_snapshot!(format!("browser_{w}x{h}"), draw(&app));
        press(&mut app, KeyCode::Char('j'));
        let store = Store::open(&f.dir).unwrap();
        for effect in press(&mut app, KeyCode::Enter) {
            if let Effect::LoadSessionView(id) = effect {
                app.update(Action::SessionViewLoaded {
                    view: Box::new(session_view(&store, &id).map_err(|e| e.to_string())),
                    id,
                });
            }
        }
        if let Some(file) = app.selected_handoff() {
            let text = std::fs::read_to_string(f.dir.join("SESSION_HANDOFFS").join(&file)).unwrap();
            app.update(Action::HandoffLoaded { file, text });
        }
        insta::assert_snapshot!(format!("session_view_{w}x{h}"), draw(&app));
        press(&mut app, KeyCode::Esc);
        insta::assert_snapshot!(format!("as_of_banner_{w}x{h}"), draw(&app));
        press(&mut app, KeyCode::Char('s'));
        for c in "webhook".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        let store = Store::open(&f.dir).unwrap();
        let results = search(
            &store,
            &baton::domain::search::Query::parse("webhook").unwrap(),
            200,
        )
        .unwrap();
        app.update(Action::SearchResults {
            query: "webhook".into(),
            result: Box::new(Ok(results)),
        });
        insta::assert_snapshot!(format!("search_{w}x{h}"), draw(&app));
    }
}

/// `[` and `]` change the as-of board by the difference between two steps: the board is
/// the one built for that step from nothing, and a selected decision stays selected.
#[test]
fn steps_adjust_the_board_to_the_one_built_from_nothing() {
    let f = fixture(30);
    let (mut app, history) = app(&f, 120, 40);
    press(&mut app, KeyCode::Char('['));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    assert_eq!(app.travel.step, Some(29));
    for (keys, step) in [
        ("[[[[[", 24),
        ("]]", 26),
        ("[[[[[[[[[[", 16),
        ("]]]]]]]]]]", 26),
        (&"[".repeat(30), 0),
        ("]]]", 3),
        ("]", 4),
    ] {
        for c in keys.chars() {
            press(&mut app, KeyCode::Char(c));
        }
        assert_eq!(app.travel.step, Some(step), "{keys}");
        let (mut fresh, _) = self::app(&f, 120, 40);
        fresh.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
        fresh.show_step(step);
        assert_eq!(app.board, fresh.board, "after {keys}");
        assert_eq!(app.travel.banner, fresh.travel.banner);
    }
    // A decision selected in the past stays selected while it exists.
    let shown = |app: &App| {
        app.selected_index(baton::tui::pane::Pane::Decisions)
            .map(|i| app.board.decisions[i].decision.clone())
    };
    press(&mut app, KeyCode::Char(']'));
    app.select_row(baton::tui::pane::Pane::Decisions, 6);
    let picked = shown(&app);
    assert!(picked.is_some());
    press(&mut app, KeyCode::Char('['));
    assert_eq!(shown(&app), picked);
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(shown(&app), picked);
}

/// The history holds no session's commits and changed files: the session view asks for
/// the session as `baton show` has it when it opens, and keeps it while it is shown.
#[test]
fn the_session_view_reads_its_details_when_it_opens() {
    let f = fixture(6);
    let (mut app, history) = app(&f, 120, 40);
    assert!(history.sessions.iter().all(|s| !s.details));
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    let effects = press(&mut app, KeyCode::Enter);
    let index = history.sessions.len() - 1;
    let id = history.sessions[index].id.clone();
    assert!(
        effects.contains(&Effect::LoadSessionView(id.clone())),
        "{effects:?}"
    );
    assert!(draw(&app).contains("Reading the session as it stood…"));
    let store = Store::open(&f.dir).unwrap();
    let view = session_view(&store, &id).unwrap().unwrap();
    assert!(!view.commits.is_empty());
    app.update(Action::SessionViewLoaded {
        id: id.clone(),
        view: Box::new(Ok(Some(view.clone()))),
    });
    let screen = draw(&app);
    assert!(
        screen.contains(&format!("Commits ({})", view.commits.len())),
        "{screen}"
    );
    // Shown again: nothing more to read.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('t'));
    let again = press(&mut app, KeyCode::Enter);
    assert!(
        !again
            .iter()
            .any(|e| matches!(e, Effect::LoadSessionView(_))),
        "{again:?}"
    );
}

#[test]
fn stepping_back_in_time_in_a_real_terminal() {
    let f = fixture(8);
    let mut tui = Tui::start(&f.dir, 120, 40);
    tui.wait_for("1 Pending work");
    tui.send("[");
    tui.wait_for("after session");
    tui.wait_for("(8/8)");
    tui.send("[");
    tui.wait_for("(7/8)");
    tui.send("\x1b");
    tui.wait_gone("after session");
    tui.send("t");
    tui.wait_for("Sessions (8)");
    tui.send("q");
    tui.wait_gone("Sessions (8)");
    tui.send("q");
    assert!(tui.wait_exit().success());
}

const READ_ONLY: &str = "viewing the past (read-only) — Esc returns to now";

fn writes(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Write(_)))
}

/// In the as-of view every edit key (`x`, `p`, Enter on a pending item, `n`, `d`, `h`,
/// `e`, the checklist `c`) says the past is read-only and writes nothing, opens no form and
/// asks nothing; browsing, filtering and stepping keep working; after Esc they work again.
#[test]
fn edit_keys_write_nothing_in_the_past_and_work_again_after_esc() {
    let f = fixture(6);
    Store::open(&f.dir)
        .unwrap()
        .start(
            StartRequest {
                goal: "Today's work".into(),
                ..StartRequest::default()
            },
            at("2025-11-22T09:00:00Z"),
        )
        .unwrap();
    let (mut app, history) = app(&f, 120, 40);
    assert_eq!(app.board.active.len(), 1);
    press(&mut app, KeyCode::Char('['));
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    assert!(app.in_past());
    assert!(app.board.pending.len() > 1);
    let step = app.travel.step;

    for code in [
        KeyCode::Char('x'),
        KeyCode::Char('p'),
        KeyCode::Enter,
        KeyCode::Char('n'),
        KeyCode::Char('d'),
        KeyCode::Char('h'),
        KeyCode::Char('e'),
        KeyCode::Char('c'),
    ] {
        press(&mut app, KeyCode::Char('1'));
        assert_eq!(app.focus, Pane::Pending);
        let mut effects = press(&mut app, code);
        assert_eq!(app.notice.as_deref(), Some(READ_ONLY), "{code:?}");
        assert!(draw(&app).contains("(read-only)"), "{code:?}");
        // A `y` would confirm a question, if one were asked.
        effects.extend(press(&mut app, KeyCode::Char('y')));
        assert!(!writes(&effects), "{code:?}: {effects:?}");
        assert!(app.form.is_none(), "{code:?}");
        assert!(
            matches!(app.mode, Mode::Normal | Mode::Detail),
            "{code:?}: {:?}",
            app.mode
        );
        if app.mode == Mode::Detail {
            // Enter shows the pending item, read-only; Esc closes it and stays in the past.
            assert_eq!(code, KeyCode::Enter);
            press(&mut app, KeyCode::Esc);
        }
        assert_eq!(app.travel.step, step, "{code:?}");
    }

    // Browsing, filtering and stepping still work in the past.
    let before = app.lists[Pane::Pending.index()].selected;
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.lists[Pane::Pending.index()].selected, before + 1);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Filtering);
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.lists[Pane::Pending.index()].filter, "z");
    press(&mut app, KeyCode::Esc);
    assert!(app.lists[Pane::Pending.index()].filter.is_empty());
    assert!(app.in_past());
    let effects = press(&mut app, KeyCode::Char('['));
    assert_eq!(app.travel.step, step.map(|s| s - 1));
    // The step's own handoff is selected, and its text asked for.
    let file = app.selected_handoff().unwrap();
    assert!(effects.contains(&Effect::LoadHandoff(file)), "{effects:?}");

    // Back to now: the same keys edit again.
    press(&mut app, KeyCode::Esc);
    assert!(!app.in_past());
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('x'));
    assert!(matches!(app.mode, Mode::Confirm { .. }), "{:?}", app.mode);
    assert!(writes(&press(&mut app, KeyCode::Char('y'))));
    assert!(writes(&press(&mut app, KeyCode::Char('p'))));
    press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.mode, Mode::Form);
    assert!(app.form.is_some());
    assert_ne!(app.notice.as_deref(), Some(READ_ONLY));
}

// The browser's timeline (`Tab`) and the session view as `baton show` has it.

fn timeline_of(f: &Fixture) -> Vec<baton::domain::timeline::TimelineEntry> {
    let store = Store::open(&f.dir).unwrap();
    load_timeline(
        &store,
        at("2025-11-22T10:00:00Z"),
        baton::domain::timeline::Order::NewestFirst,
    )
    .unwrap()
    .to_entries()
}

/// Files changed on disk (what the watcher reports after a rescan).
fn files_changed() -> Action {
    Action::FilesChanged {
        paths: vec![],
        removed: vec![],
        rescan: true,
        at: at("2025-11-22T10:00:00Z"),
    }
}

/// The dashboard at 120×40 with the history read (`t`) and the timeline on screen (`Tab`).
fn app_on_the_timeline(f: &Fixture) -> (App, History) {
    let (mut app, history) = app(f, 120, 40);
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    press(&mut app, KeyCode::Tab);
    app.update(Action::TimelineLoaded(Box::new(Ok(timeline_of(f).into()))));
    (app, history)
}

/// `effects` is the timeline's read alone, from the history the app holds (shared, not a copy).
fn assert_reads_the_timeline_from_the_history_held(app: &App, effects: &[Effect]) {
    let held = app.travel.history.clone().expect("a history held");
    assert!(
        matches!(effects, [Effect::LoadTimeline(base)]
            if std::sync::Arc::ptr_eq(&base.history, &held)),
        "{effects:?}"
    );
}

fn timeline_cursor(app: &App) -> usize {
    match app.mode {
        Mode::Timeline { cursor } => cursor,
        ref m => panic!("not in the timeline: {m:?}"),
    }
}

/// Moves the timeline's cursor to `pos` with `g` and `j`.
fn timeline_to(app: &mut App, pos: usize) {
    press(app, KeyCode::Char('g'));
    for _ in 0..pos {
        press(app, KeyCode::Char('j'));
    }
    assert_eq!(timeline_cursor(app), pos);
}

#[test]
fn tab_switches_the_browser_to_the_timeline_and_back() {
    let f = fixture(12);
    let (mut app, history) = app(&f, 120, 40);
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    press(&mut app, KeyCode::Char('j'));
    assert!(draw(&app).contains("Tab timeline"));
    // First time: read through the store from the history held, "reading" meanwhile.
    let effects = press(&mut app, KeyCode::Tab);
    assert_reads_the_timeline_from_the_history_held(&app, &effects);
    assert!(draw(&app).contains("reading the timeline…"));
    let entries = timeline_of(&f);
    assert!(
        entries.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    app.update(Action::TimelineLoaded(Box::new(Ok(entries.clone().into()))));
    // It opens on the session the browser had selected (the second newest): its end.
    let second = &history.sessions[history.sessions.len() - 2];
    let cursor = timeline_cursor(&app);
    assert_eq!(
        entries[cursor].session_id.as_deref(),
        Some(second.id.as_str())
    );
    assert_eq!(
        entries[cursor].kind,
        baton::domain::timeline::EntryKind::SessionEnded
    );
    let screen = draw(&app);
    assert!(
        screen.contains(&format!("Timeline ({})", entries.len())),
        "{screen}"
    );
    assert!(screen.contains("Tab sessions"), "{screen}");
    // Down to the third newest session's entries, back to the sessions: on that session.
    let third = history.sessions.len() - 3;
    let pos = entries
        .iter()
        .position(|e| e.session_id.as_deref() == Some(history.sessions[third].id.as_str()))
        .unwrap();
    timeline_to(&mut app, pos);
    assert_eq!(press(&mut app, KeyCode::Tab), vec![]);
    assert_eq!(app.mode, Mode::Browser { cursor: 2 });
    // Again: nothing more to read.
    assert_eq!(press(&mut app, KeyCode::Tab), vec![]);
    assert!(matches!(app.mode, Mode::Timeline { .. }));
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(timeline_cursor(&app), entries.len() - 1);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn enter_on_a_timeline_row_shows_the_directory_as_it_stood_then() {
    use baton::domain::catalog::When;
    use baton::domain::timeline::{EntryKind, TimelineEntry};
    let f = fixture(12);
    let (mut app, history) = app(&f, 120, 40);
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    press(&mut app, KeyCode::Tab);
    // A commit of the repository no session recorded, between two sessions' ends; and one
    // before any session ended.
    let index = baton::domain::asof::AsOfIndex::build(&history);
    let state = |step: usize| index.state(&history, step).unwrap();
    let between = state(4).at.at + (state(5).at.at - state(4).at.at) / 2;
    let commit = |at: chrono::DateTime<chrono::Utc>, title: &str| TimelineEntry {
        at: When::at(at),
        kind: EntryKind::Commit,
        session_id: None,
        title: title.into(),
        detail: Some("abc1234".into()),
        paths: vec![],
        stale: None,
    };
    let mut entries = timeline_of(&f);
    entries.push(commit(between, "Hotfix outside any session"));
    entries.push(commit(
        state(0).at.at - chrono::Duration::days(30),
        "Before everything",
    ));
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    app.update(Action::TimelineLoaded(Box::new(Ok(entries.clone().into()))));

    // A session's row: that session's view over its as-of board, as the browser opens it.
    let (pos, e) = entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.kind == EntryKind::Decision)
        .unwrap();
    let id = e.session_id.clone().unwrap();
    timeline_to(&mut app, pos);
    let effects = press(&mut app, KeyCode::Enter);
    let i = history.session_index(&id).unwrap();
    assert_eq!(
        app.mode,
        Mode::Session {
            index: i,
            scroll: 0
        }
    );
    assert_eq!(app.travel.step, index.step_of(&history, &id));
    assert!(
        app.travel.banner.contains(&format!("after session {id} (")),
        "{}",
        app.travel.banner
    );
    assert!(
        effects.contains(&Effect::LoadSessionView(id.clone())),
        "{effects:?}"
    );

    // A row of no session: the as-of board of the last session ended by then.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Tab);
    let pos = entries
        .iter()
        .position(|e| e.title == "Hotfix outside any session")
        .unwrap();
    timeline_to(&mut app, pos);
    assert!(draw(&app).contains("no session (a commit of the repository)"));
    assert_eq!(press(&mut app, KeyCode::Enter), vec![]);
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.travel.step, Some(4));
    assert_eq!(app.travel.banner, state(4).banner());

    // Before any session ended: nothing to show as of then; the timeline stays.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Tab);
    timeline_to(&mut app, entries.len() - 1);
    press(&mut app, KeyCode::Enter);
    assert!(!app.in_past());
    assert!(matches!(app.mode, Mode::Timeline { .. }));
    assert!(app.notice.is_some());
}

#[test]
fn a_change_on_disk_rereads_the_timeline_on_screen_and_keeps_the_row() {
    let f = fixture(8);
    let (mut app, history) = app(&f, 120, 40);
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    press(&mut app, KeyCode::Tab);
    let entries = timeline_of(&f);
    app.update(Action::TimelineLoaded(Box::new(Ok(entries.clone().into()))));
    timeline_to(&mut app, 5);
    let effects = app.update(files_changed());
    for wanted in [Effect::Load, Effect::LoadHistory] {
        assert!(effects.contains(&wanted), "{wanted:?} in {effects:?}");
    }
    // The timeline is built from the new history: its read waits for it.
    let timeline_read = |e: &Effect| matches!(e, Effect::LoadTimeline(_));
    assert!(!effects.iter().any(timeline_read), "{effects:?}");
    let effects = app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    assert_reads_the_timeline_from_the_history_held(&app, &effects);
    // The old timeline stays on screen meanwhile; the new one keeps the row selected,
    // though a new entry came above it.
    assert!(draw(&app).contains(&format!("Timeline ({})", entries.len())));
    let mut newer = entries.clone();
    let mut extra = newer[0].clone();
    extra.at.at += chrono::Duration::hours(1);
    extra.title = "Something newer".into();
    newer.insert(0, extra);
    app.update(Action::TimelineLoaded(Box::new(Ok(newer.into()))));
    assert_eq!(timeline_cursor(&app), 6);
    // Not on screen: dropped, nothing read.
    press(&mut app, KeyCode::Esc);
    let effects = app.update(files_changed());
    assert_eq!(effects, vec![Effect::Load]);
    assert!(app.views.timeline.is_none());
}

/// Files that change while the history is being read make what that read brings out of
/// date: it is shown, read again (one read at a time), and the timeline waits for the new one.
#[test]
fn a_history_read_overtaken_by_a_change_is_read_again_before_the_timeline() {
    let f = fixture(6);
    let (mut app, history) = app_on_the_timeline(&f);
    let effects = app.update(files_changed());
    assert!(effects.contains(&Effect::LoadHistory), "{effects:?}");
    // A second change while that read is on its way asks for no second read at once.
    assert_eq!(app.update(files_changed()), vec![Effect::Load]);
    let effects = app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    assert_eq!(
        effects,
        vec![Effect::LoadHistory],
        "read again, the timeline waits"
    );
    let effects = app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    assert_reads_the_timeline_from_the_history_held(&app, &effects);
}

/// The timeline waits for the history it is built from; if that read fails, so does the
/// timeline's (it does not wait forever, and the next change reads both again).
#[test]
fn a_timeline_waiting_for_a_history_that_failed_stops_waiting() {
    let f = fixture(6);
    let (mut app, _) = app_on_the_timeline(&f);
    app.update(files_changed());
    assert!(app.views.timeline_loading);
    let effects = app.update(Action::HistoryLoaded(Box::new(Err("disk gone".into()))));
    assert_eq!(effects, vec![]);
    assert!(!app.views.timeline_loading);
    assert!(app.notice.as_deref().unwrap().contains("disk gone"));
    let effects = app.update(files_changed());
    assert!(effects.contains(&Effect::LoadHistory), "{effects:?}");
    assert!(app.views.timeline_loading);
}

/// The session view shows what `baton show` prints: decisions of the session's time window
/// (not only those tagged with its id), the repository's commits, stale marks.
#[test]
fn the_session_view_is_what_show_prints() {
    let f = fixture(12);
    let store = Store::open(&f.dir).unwrap();
    let before = load_history(&store).unwrap();
    let s = &before.sessions[before.sessions.len() - 2];
    let id = s.id.clone();
    // A decision logged by hand during the session, without its id, naming a file that
    // does not exist.
    let during = s.started.unwrap() + chrono::Duration::minutes(5);
    let line = serde_json::json!({
        "decision": "Serve web/src/edge.ts from the edge",
        "date": baton::domain::time::format_timestamp(during),
    });
    let log = f.dir.join("DECISIONS_LOG.json");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(&format!("{line}\n"));
    std::fs::write(&log, text).unwrap();

    let (mut app, history) = app(&f, 120, 40);
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history.clone()))));
    press(&mut app, KeyCode::Char('j'));
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        effects.contains(&Effect::LoadSessionView(id.clone())),
        "{effects:?}"
    );
    let view = session_view(&store, &id).unwrap().unwrap();
    // The same as `baton show ID --format json`.
    let shown = stdout_of(
        baton_cmd()
            .arg("--dir")
            .arg(&f.dir)
            .args(["show", &id, "--format", "json"]),
    );
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["sessions"][0], serde_json::to_value(&view).unwrap());
    let by_hand = view
        .decisions
        .iter()
        .find(|d| d.decision == "Serve web/src/edge.ts from the edge")
        .expect("a decision of the session's time window");
    assert!(by_hand.session_id.is_none());
    assert!(by_hand.stale.is_some());
    app.update(Action::SessionViewLoaded {
        id: id.clone(),
        view: Box::new(Ok(Some(view.clone()))),
    });
    let screen = draw(&app);
    assert!(
        screen.contains(&format!("Decisions ({})", view.decisions.len())),
        "{screen}"
    );
    assert!(
        screen.contains(
            "• Serve web/src/edge.ts from the edge  [stale: web/src/edge.ts no longer exists]"
        ),
        "{screen}"
    );
    let code = &view.code[0];
    let stale = code
        .stale
        .as_ref()
        .expect("the fixture's code names missing files");
    assert!(
        screen.contains(&format!("[stale: {}]", stale.describe())),
        "{screen}"
    );
}

#[test]
fn snapshots_of_the_timeline() {
    let f = fixture(12);
    let entries = timeline_of(&f);
    let stale = entries
        .iter()
        .position(|e| e.is_stale())
        .expect("the fixture names files that do not exist");
    for (w, h) in [(120, 40), (60, 20)] {
        let (mut app, history) = app(&f, w, h);
        press(&mut app, KeyCode::Char('t'));
        app.update(Action::HistoryLoaded(Box::new(Ok(history))));
        press(&mut app, KeyCode::Tab);
        app.update(Action::TimelineLoaded(Box::new(Ok(entries.clone().into()))));
        timeline_to(&mut app, stale);
        insta::assert_snapshot!(format!("timeline_{w}x{h}"), draw(&app));
    }
}

/// The runtime reads the timeline and the session view through the store.
#[test]
fn the_timeline_and_a_session_view_in_a_real_terminal() {
    let f = fixture(8);
    let mut tui = Tui::start(&f.dir, 120, 40);
    tui.wait_for("1 Pending work");
    tui.send("t");
    tui.wait_for("Sessions (8)");
    tui.send("\t");
    tui.wait_for("Timeline (");
    tui.wait_for("stale: missing");
    // A decision logged meanwhile: the history is read again, then the timeline from it.
    let count = |screen: &str| -> usize {
        let at = screen.find("Timeline (").expect("the timeline's title") + "Timeline (".len();
        screen[at..].split(')').next().unwrap().parse().unwrap()
    };
    let before = count(&tui.text());
    let line = serde_json::json!({
        "decision": "Page the on-call engineer from the timeline",
        "date": "2025-01-01T12:00:00Z",
    });
    let log = f.dir.join("DECISIONS_LOG.json");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(&format!("{line}\n"));
    std::fs::write(&log, text).unwrap();
    tui.wait_for(&format!("Timeline ({})", before + 1));
    tui.send("G"); // the oldest entry: the decision, dated before every session
    tui.wait_for("Page the on-call engineer from the timeline");
    tui.send("g");
    // The newest entry is the newest session's end: its view, as `show` has it.
    tui.send("\r");
    tui.wait_for("then      step 8/8");
    tui.wait_for("[stale: ");
    tui.send("\x1b");
    tui.wait_gone("then      step 8/8");
    tui.send("\x1b");
    tui.wait_gone("after session");
    tui.send("q");
    assert!(tui.wait_exit().success());
}

/// A session known only from a hand-made handoff has a day but no times: its hours are
/// unknown, not "running" (only a running session is).
#[test]
fn a_handoff_only_session_is_not_shown_as_running() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    baton::store::generate::generate_seed_history(&dir, 6).unwrap();
    let f = Fixture { _tmp: tmp, dir };
    let (mut app, history) = app(&f, 120, 40);
    assert!(
        history
            .sessions
            .iter()
            .any(|s| s.origin == baton::domain::catalog::Origin::Handoff && s.hours().is_none()),
        "the seed layout has sessions known only from their handoffs"
    );
    press(&mut app, KeyCode::Char('t'));
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    let screen = draw(&app);
    assert!(screen.contains("· ? h ·"), "{screen}");
    assert!(!screen.contains("running"), "{screen}");
}
