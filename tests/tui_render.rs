//! What the dashboard draws, as insta snapshots at 120×40 and 60×20: on the seed's own
//! examples, on an empty directory, on a directory that does not exist, and each overlay.

mod common;

use std::path::PathBuf;

use baton::domain::board::Board;
use baton::store::Store;
use baton::store::snapshot::load_board;
use baton::tui::action::Action;
use baton::tui::app::App;
use baton::tui::theme::Theme;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The seed's examples: its knowledge base, its section-3 handoff, the Immediate Setup
/// handoff, an echo-appended decision, a running session and the seed's three services.
fn seed_home() -> SeedHome {
    let home = SeedHome::immediate_setup();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        &fixture_text("handoff_section3.md"),
    );
    home.write("DECISIONS_LOG.json", "{\"decision\": \"Three-phase optimization\", \"reasoning\": \"cost first\", \"impact\": \"$20K/month target\"}\n");
    home.write(
        "SERVICES.json",
        r#"{"services": [{"name": "I PROACTIVE", "url": "http://127.0.0.1:8400/health"}, {"name": "I MATCH", "url": "http://127.0.0.1:8401/health"}, {"name": "Ollama", "url": "http://127.0.0.1:11434/", "enabled": false}]}"#,
    );
    stdout_of(
        home.baton(&[
            "start",
            "-q",
            "--id",
            "2025-11-16-001",
            "--goal",
            "Deploy the sovereign dashboard",
        ])
        .env("BATON_NOW", "2025-11-16T09:00:00Z"),
    );
    stdout_of(
        home.baton(&[
            "log",
            "decision",
            "Serve the dashboard from nginx",
            "--why",
            "static files",
        ])
        .env("BATON_NOW", "2025-11-16T09:30:00Z"),
    );
    home
}

fn app_for(board: Board, w: u16, h: u16) -> App {
    let mut app = App::new(
        PathBuf::from("/home/dev/Development/docs/sessions"),
        at("2025-11-16T10:15:00Z"),
        w,
        h,
        Theme { color: false },
    );
    app.update(Action::Loaded(Box::new(Ok(board))));
    app
}

fn with_preview(mut app: App, home: &SeedHome) -> App {
    if let Some(file) = app.selected_handoff() {
        let text =
            std::fs::read_to_string(home.dir().join("SESSION_HANDOFFS").join(&file)).unwrap();
        app.update(Action::HandoffLoaded { file, text });
    }
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn seed_directory_at_both_sizes() {
    let home = seed_home();
    let board = load_board(&Store::open(home.dir()).unwrap()).unwrap();
    for (w, h) in [(120, 40), (60, 20)] {
        let app = with_preview(app_for(board.clone(), w, h), &home);
        insta::assert_snapshot!(format!("seed_{w}x{h}"), draw(&app));
    }
}

#[test]
fn every_pane_in_the_narrow_layout() {
    let home = seed_home();
    let board = load_board(&Store::open(home.dir()).unwrap()).unwrap();
    let mut app = with_preview(app_for(board, 60, 20), &home);
    for (n, name) in [('2', "decisions"), ('3', "handoffs"), ('4', "health")] {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char(n),
            KeyModifiers::NONE,
        )));
        insta::assert_snapshot!(format!("narrow_{name}"), draw(&app));
    }
}

#[test]
fn overlays_at_both_sizes() {
    let home = seed_home();
    let board = load_board(&Store::open(home.dir()).unwrap()).unwrap();
    for (w, h) in [(120, 40), (60, 20)] {
        let mut app = with_preview(app_for(board.clone(), w, h), &home);
        key(&mut app, KeyCode::Char('?'));
        insta::assert_snapshot!(format!("help_{w}x{h}"), draw(&app));
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("pending_edit_form_{w}x{h}"), draw(&app));
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('3'));
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("reader_{w}x{h}"), draw(&app));
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('2'));
        key(&mut app, KeyCode::Char('/'));
        for c in "llama".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        insta::assert_snapshot!(format!("filter_{w}x{h}"), draw(&app));
    }
}

#[test]
fn empty_directory_at_both_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let board = load_board(&Store::open(tmp.path()).unwrap()).unwrap();
    for (w, h) in [(120, 40), (60, 20)] {
        insta::assert_snapshot!(
            format!("empty_{w}x{h}"),
            draw(&app_for(board.clone(), w, h))
        );
    }
}

#[test]
fn missing_directory_and_a_broken_knowledge_base() {
    let tmp = tempfile::tempdir().unwrap();
    let board = load_board(&Store::open(tmp.path().join("nope")).unwrap()).unwrap();
    insta::assert_snapshot!("missing_120x40", draw(&app_for(board, 120, 40)));
    let home = SeedHome::empty();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.malformed.json"),
    );
    let board = load_board(&Store::open(home.dir()).unwrap()).unwrap();
    insta::assert_snapshot!("broken_knowledge_120x40", draw(&app_for(board, 120, 40)));
}

#[test]
fn nothing_overflows_at_any_size() {
    let home = seed_home();
    let board = load_board(&Store::open(home.dir()).unwrap()).unwrap();
    for w in [1u16, 10, 30, 50, 79, 80, 99, 100, 200] {
        for h in [1u16, 3, 10, 15, 24, 60] {
            let app = with_preview(app_for(board.clone(), w, h), &home);
            let text = draw(&app);
            assert_eq!(text.lines().count(), h as usize);
            for line in text.lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(line) <= w as usize,
                    "{w}x{h}: {line:?}"
                );
            }
        }
    }
}

/// The shipped demo history, as `baton demo` shows it.
#[test]
fn demo_history_at_both_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    baton::store::demo::install_demo(tmp.path()).unwrap();
    let board = load_board(&Store::open(tmp.path()).unwrap()).unwrap();
    for (w, h) in [(120, 40), (60, 20)] {
        let mut app = app_for(board.clone(), w, h);
        if let Some(file) = app.selected_handoff() {
            let text =
                std::fs::read_to_string(tmp.path().join("SESSION_HANDOFFS").join(&file)).unwrap();
            app.update(Action::HandoffLoaded { file, text });
        }
        insta::assert_snapshot!(format!("demo_{w}x{h}"), draw(&app));
        for (n, name) in [('2', "decisions"), ('3', "handoffs"), ('4', "health")] {
            key(&mut app, KeyCode::Char(n));
            insta::assert_snapshot!(format!("demo_{name}_{w}x{h}"), draw(&app));
        }
        key(&mut app, KeyCode::Char('3'));
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("demo_reader_{w}x{h}"), draw(&app));
    }
}
