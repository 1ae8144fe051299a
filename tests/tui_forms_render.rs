//! insta snapshots of every form at 120×40 and 60×20.

mod common;

use std::path::PathBuf;

use baton::store::Store;
use baton::store::snapshot::load_board;
use baton::tui::action::Action;
use baton::tui::app::App;
use baton::tui::theme::Theme;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn home() -> SeedHome {
    let home = SeedHome::immediate_setup();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    stdout_of(
        home.baton(&[
            "start",
            "-q",
            "--id",
            "2025-11-16-001",
            "--goal",
            "Deploy the dashboard",
            "--template",
            "execution",
        ])
        .env("BATON_NOW", "2025-11-16T09:00:00Z"),
    );
    stdout_of(
        home.baton(&[
            "log",
            "decision",
            "Use nginx",
            "--why",
            "static files",
            "--impact",
            "no Python in prod",
        ])
        .env("BATON_NOW", "2025-11-16T09:10:00Z"),
    );
    stdout_of(
        home.baton(&["log", "achievement", "Deployed to staging"])
            .env("BATON_NOW", "2025-11-16T09:15:00Z"),
    );
    stdout_of(
        home.baton(&["log", "next", "Add TLS", "--priority", "high"])
            .env("BATON_NOW", "2025-11-16T09:20:00Z"),
    );
    home
}

fn app(home: &SeedHome, w: u16, h: u16) -> App {
    let board = load_board(&Store::open(home.dir()).unwrap()).unwrap();
    let mut app = App::new(
        PathBuf::from("/home/dev/Development/docs/sessions"),
        at("2025-11-16T10:00:00Z"),
        w,
        h,
        Theme { color: false },
    );
    app.update(Action::Loaded(Box::new(Ok(board))));
    app
}

fn keys(app: &mut App, codes: &[KeyCode]) {
    for c in codes {
        app.update(Action::Key(KeyEvent::new(*c, KeyModifiers::NONE)));
    }
}

#[test]
fn every_form_at_both_sizes() {
    let home = home();
    for (w, h) in [(120, 40), (60, 20)] {
        for (key, name) in [
            ('d', "decision"),
            ('n', "pending"),
            ('h', "handoff"),
            ('e', "end"),
        ] {
            let mut a = app(&home, w, h);
            keys(&mut a, &[KeyCode::Char(key)]);
            if key == 'e' {
                a.update(Action::GitCaptured {
                    session_id: "2025-11-16-001".into(),
                    commits: vec![],
                    files: vec!["deploy/nginx.conf".into()],
                });
            }
            insta::assert_snapshot!(format!("form_{name}_{w}x{h}"), draw(&a));
        }
    }
}

#[test]
fn handoff_preview_toggle_on_a_narrow_terminal() {
    let home = home();
    let mut a = app(&home, 60, 20);
    keys(&mut a, &[KeyCode::Char('h')]);
    a.update(Action::Key(KeyEvent::new(
        KeyCode::Char('p'),
        KeyModifiers::CONTROL,
    )));
    insta::assert_snapshot!("form_handoff_preview_60x20", draw(&a));
}

#[test]
fn validation_cancel_prompt_and_checklist() {
    let home = home();
    for (w, h) in [(120, 40), (60, 20)] {
        let mut a = app(&home, w, h);
        keys(&mut a, &[KeyCode::Char('d')]);
        a.update(Action::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        insta::assert_snapshot!(format!("form_validation_{w}x{h}"), draw(&a));
        keys(&mut a, &[KeyCode::Char('x'), KeyCode::Esc]);
        insta::assert_snapshot!(format!("form_confirm_cancel_{w}x{h}"), draw(&a));
        let mut a = app(&home, w, h);
        keys(&mut a, &[KeyCode::Char('c'), KeyCode::Down]);
        insta::assert_snapshot!(format!("checklist_{w}x{h}"), draw(&a));
        let mut a = app(&home, w, h);
        keys(&mut a, &[KeyCode::Char('x')]);
        insta::assert_snapshot!(format!("confirm_done_{w}x{h}"), draw(&a));
    }
}
