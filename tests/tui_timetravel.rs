//! Time travel in the dashboard: the browser, the as-of view stepping with `[`/`]`, the
//! session view and search, through `App::update`, as snapshots, and in a real terminal.

mod common;

use std::path::PathBuf;

use baton::domain::history::History;
use baton::store::Store;
use baton::store::generate::generate_history;
use baton::store::history::{load_history, search, session_detail};
use baton::store::snapshot::load_board;
use baton::tui::action::{Action, Effect};
use baton::tui::app::{App, Mode};
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
    let changed = |app: &mut App| {
        app.update(Action::FilesChanged {
            paths: vec![],
            removed: vec![],
            rescan: true,
            at: at("2025-11-22T10:00:00Z"),
        })
    };
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
    // Enter on the first hit that has a session opens that session (history first).
    let pos = results
        .hits
        .iter()
        .position(|h| h.session_id.is_some())
        .unwrap();
    for _ in 0..pos {
        press(&mut app, KeyCode::Down);
    }
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::LoadHistory]);
    app.update(Action::HistoryLoaded(Box::new(Ok(history))));
    assert!(matches!(app.mode, Mode::Browser { .. }));
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
            if let Effect::LoadSessionDetail(id) = effect {
                app.update(Action::SessionDetailLoaded {
                    detail: Box::new(session_detail(&store, &id).map_err(|e| e.to_string())),
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
/// them when it opens, and the session keeps them.
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
        effects.contains(&Effect::LoadSessionDetail(id.clone())),
        "{effects:?}"
    );
    assert!(draw(&app).contains("Commits loading…"));
    let store = Store::open(&f.dir).unwrap();
    let detail = session_detail(&store, &id).unwrap().unwrap();
    assert!(!detail.commits.is_empty());
    app.update(Action::SessionDetailLoaded {
        id: id.clone(),
        detail: Box::new(Ok(Some(detail.clone()))),
    });
    let screen = draw(&app);
    assert!(
        screen.contains(&format!("Commits ({})", detail.commits.len())),
        "{screen}"
    );
    let kept = &app.travel.history.as_deref().unwrap().sessions[index];
    assert!(kept.details);
    assert_eq!(kept.commits, detail.commits);
    // Shown again: nothing more to read.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('t'));
    let again = press(&mut app, KeyCode::Enter);
    assert!(
        !again
            .iter()
            .any(|e| matches!(e, Effect::LoadSessionDetail(_))),
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
