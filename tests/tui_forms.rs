//! The dashboard's forms, driven through `App::update` with synthetic keys; saving goes
//! through `tui::write::run` and must leave the same files as the CLI.

mod common;

use std::path::PathBuf;

use baton::domain::board::Board;
use baton::domain::events::EventKind;
use baton::domain::items::Priority;
use baton::store::Store;
use baton::store::edit::PendingEdit;
use baton::store::snapshot::load_board;
use baton::tui::action::{Action, Effect, WriteOp};
use baton::tui::app::{App, Mode};
use baton::tui::theme::Theme;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const NOW: &str = "2025-11-16T10:00:00Z";

/// The seed's knowledge base and a session started with baton.
fn home_with_session() -> SeedHome {
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
            "s1",
            "--goal",
            "Deploy the dashboard",
            "--template",
            "development",
        ])
        .env("BATON_NOW", "2025-11-16T09:00:00Z"),
    );
    stdout_of(
        home.baton(&["log", "decision", "Use nginx", "--why", "static files"])
            .env("BATON_NOW", "2025-11-16T09:10:00Z"),
    );
    stdout_of(
        home.baton(&["log", "next", "Add TLS", "--priority", "high"])
            .env("BATON_NOW", "2025-11-16T09:20:00Z"),
    );
    home
}

fn board(home: &SeedHome) -> Board {
    load_board(&Store::open(home.dir()).unwrap()).unwrap()
}

fn app(board: Board) -> App {
    let mut app = App::new(
        PathBuf::from("/p/docs/sessions"),
        at(NOW),
        120,
        40,
        Theme { color: false },
    );
    app.update(Action::Loaded(Box::new(Ok(board))));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        effects = press(app, code);
    }
    effects
}

fn write_of(effects: &[Effect]) -> WriteOp {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Write(op) => Some(op.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no write in {effects:?}"))
}

#[test]
fn decision_form_types_moves_validates_and_saves() {
    let home = home_with_session();
    let mut app = app(board(&home));
    press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.mode, Mode::Form);
    // Saving empty: the required field says so, nothing is written.
    let effects = ctrl(&mut app, 's');
    assert!(!effects.iter().any(|e| matches!(e, Effect::Write(_))));
    assert_eq!(
        app.form.as_ref().unwrap().fields[0].error.as_deref(),
        Some("Decision is required")
    );

    let effects = type_text(&mut app, "Blue-green deploys");
    assert!(
        matches!(effects.as_slice(), [Effect::SaveDraft { name, .. }] if name == "decision"),
        "typing keeps a draft: {effects:?}"
    );
    assert!(
        app.form.as_ref().unwrap().fields[0].error.is_none(),
        "typing clears the message"
    );
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "zero downtime\nrollback is a switch");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "two hosts");
    let op = write_of(&ctrl(&mut app, 's'));
    let WriteOp::Log {
        session_id,
        kind: EventKind::Decision { decision },
    } = op
    else {
        panic!("{op:?}")
    };
    assert_eq!(session_id, "s1");
    assert_eq!(decision.decision, "Blue-green deploys");
    assert_eq!(
        decision.reasoning.as_deref(),
        Some("zero downtime\nrollback is a switch")
    );
    assert_eq!(decision.impact.as_deref(), Some("two hosts"));
    assert!(app.form.as_ref().unwrap().saving);
    let effects = app.update(Action::Written(Ok("logged into s1".into())));
    assert!(effects.contains(&Effect::DeleteDraft("decision".into())));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.notice.as_deref(), Some("logged into s1"));
}

#[test]
fn cancel_asks_only_when_something_was_typed_and_writes_nothing() {
    let home = home_with_session();
    let mut app = app(board(&home));
    press(&mut app, KeyCode::Char('d'));
    let effects = press(&mut app, KeyCode::Esc);
    assert_eq!(effects, vec![Effect::DeleteDraft("decision".into())]);
    assert_eq!(app.mode, Mode::Normal);

    press(&mut app, KeyCode::Char('d'));
    type_text(&mut app, "half a thought");
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.form.as_ref().unwrap().confirm_cancel);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode, Mode::Form, "n keeps the form");
    press(&mut app, KeyCode::Esc);
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(effects, vec![Effect::DeleteDraft("decision".into())]);
    assert!(app.form.is_none());
}

#[test]
fn a_failed_save_keeps_the_form_and_says_why() {
    let home = home_with_session();
    let mut app = app(board(&home));
    press(&mut app, KeyCode::Char('d'));
    type_text(&mut app, "x");
    ctrl(&mut app, 's');
    app.update(Action::Written(Err("session s1 has already ended".into())));
    let form = app.form.as_ref().unwrap();
    assert!(!form.saving);
    assert_eq!(
        form.note.as_deref(),
        Some("not saved: session s1 has already ended")
    );
}

#[test]
fn drafts_are_offered_back_when_the_form_opens() {
    let home = home_with_session();
    let mut first = app(board(&home));
    press(&mut first, KeyCode::Char('h'));
    press(&mut first, KeyCode::Tab);
    let effects = type_text(&mut first, "Wrote the runbook");
    let Some(Effect::SaveDraft { name, draft }) = effects.last().cloned() else {
        panic!("{effects:?}")
    };
    // A new dashboard (after a crash) finds the draft and offers it.
    let mut second = app(board(&home));
    second.update(Action::DraftsLoaded(vec![(name, draft)]));
    assert!(
        second
            .notice
            .as_deref()
            .unwrap()
            .contains("draft of the handoff form")
    );
    press(&mut second, KeyCode::Char('h'));
    let form = second.form.as_ref().unwrap();
    assert_eq!(
        form.field("accomplished").unwrap().text(),
        "Wrote the runbook"
    );
    assert!(
        form.note
            .as_deref()
            .unwrap()
            .starts_with("restored your draft")
    );
}

#[test]
fn pending_new_edit_done_and_priority() {
    let home = home_with_session();
    let mut app = app(board(&home));
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Write the runbook");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('h'));
    let op = write_of(&ctrl(&mut app, 's'));
    assert_eq!(
        op,
        WriteOp::Pending(PendingEdit::Add {
            task: "Write the runbook".into(),
            priority: Priority::High,
            status: None
        })
    );
    app.update(Action::Written(Ok("pending work updated".into())));

    // Enter edits the selected item (high first: "Deploy sovereign dashboard").
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    let op = write_of(&ctrl(&mut app, 's'));
    assert_eq!(
        op,
        WriteOp::Pending(PendingEdit::Update {
            task: "Deploy sovereign dashboard".into(),
            new_task: "Deploy sovereign dashboard".into(),
            priority: Priority::Medium,
            status: Some("files ready, needs restart".into()),
        })
    );
    app.update(Action::Written(Ok("ok".into())));

    assert!(press(&mut app, KeyCode::Char('x')).is_empty());
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    let op = write_of(&press(&mut app, KeyCode::Char('y')));
    assert_eq!(
        op,
        WriteOp::Pending(PendingEdit::Done {
            task: "Deploy sovereign dashboard".into()
        })
    );

    let op = write_of(&press(&mut app, KeyCode::Char('p')));
    assert_eq!(
        op,
        WriteOp::Pending(PendingEdit::SetPriority {
            task: "Deploy sovereign dashboard".into(),
            priority: Priority::Medium
        })
    );
}

#[test]
fn end_form_is_prefilled_takes_git_and_edits_lists() {
    let home = home_with_session();
    let mut app = app(board(&home));
    let effects = press(&mut app, KeyCode::Char('e'));
    assert!(
        matches!(effects.as_slice(), [Effect::CaptureGit { session_id, .. }] if session_id == "s1")
    );
    let form = app.form.as_ref().unwrap();
    assert_eq!(form.field("goal").unwrap().text(), "Deploy the dashboard");
    assert_eq!(
        form.field("decisions").unwrap().text(),
        "Use nginx | static files"
    );
    assert_eq!(form.field("next").unwrap().text(), "Add TLS | high");
    app.update(Action::GitCaptured {
        session_id: "s1".into(),
        commits: vec![baton::domain::session::Commit {
            hash: "abcdef1234".into(),
            author: "dev".into(),
            date: NOW.into(),
            subject: "Add nginx config".into(),
        }],
        files: vec!["deploy/nginx.conf".into()],
    });
    let form = app.form.as_ref().unwrap();
    assert_eq!(form.field("files").unwrap().text(), "deploy/nginx.conf");
    assert_eq!(
        form.field("commits").unwrap().text(),
        "abcdef1 Add nginx config"
    );

    // Achievements: two lines, then swap them with Alt-↑.
    while app.form.as_ref().unwrap().focused().unwrap().key != "achievements" {
        press(&mut app, KeyCode::Tab);
    }
    type_text(&mut app, "Wrote nginx config\nDeployed to staging");
    app.update(Action::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::ALT)));
    assert_eq!(
        app.form
            .as_ref()
            .unwrap()
            .field("achievements")
            .unwrap()
            .items(),
        vec!["Deployed to staging", "Wrote nginx config"]
    );
    ctrl(&mut app, 'z');
    assert_eq!(
        app.form
            .as_ref()
            .unwrap()
            .field("achievements")
            .unwrap()
            .items(),
        vec!["Wrote nginx config", "Deployed to staging"]
    );

    // A next step with a priority that is not one: the field says so.
    while app.form.as_ref().unwrap().focused().unwrap().key != "next" {
        press(&mut app, KeyCode::Tab);
    }
    type_text(&mut app, "\nMonitor errors | soonish");
    let effects = ctrl(&mut app, 's');
    assert!(!effects.iter().any(|e| matches!(e, Effect::Write(_))));
    assert!(
        app.form
            .as_ref()
            .unwrap()
            .field("next")
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("\"soonish\" is not a priority")
    );
    for _ in 0.."soonish".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "low");
    let WriteOp::End { session_id, record } = write_of(&ctrl(&mut app, 's')) else {
        panic!()
    };
    assert_eq!(session_id, "s1");
    assert_eq!(
        record.achievements,
        vec!["Wrote nginx config", "Deployed to staging"]
    );
    assert_eq!(record.next_steps[1].task, "Monitor errors");
    assert_eq!(record.next_steps[1].priority, Priority::Low);
    assert_eq!(record.files_modified, vec!["deploy/nginx.conf"]);
    assert_eq!(
        record.decisions_made[0].reasoning.as_deref(),
        Some("static files")
    );
}

#[test]
fn no_active_session_means_no_session_forms() {
    let home = SeedHome::immediate_setup();
    let mut app = app(board(&home));
    for key in ['d', 'h', 'e'] {
        press(&mut app, KeyCode::Char(key));
        assert_eq!(app.mode, Mode::Normal);
        assert!(app.notice.as_deref().unwrap().contains("no active session"));
    }
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode, Mode::Form, "pending work needs no session");
}

#[test]
fn checklist_toggles_through_the_session_log() {
    let home = home_with_session();
    let mut app = app(board(&home));
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.mode, Mode::Checklist { cursor: 0 });
    press(&mut app, KeyCode::Char('j'));
    let op = write_of(&press(&mut app, KeyCode::Char(' ')));
    assert_eq!(
        op,
        WriteOp::Log {
            session_id: "s1".into(),
            kind: EventKind::Check {
                index: 1,
                done: true
            }
        }
    );
}

/// Saving from a form leaves exactly the files the CLI leaves for the same content.
#[test]
fn form_saves_match_the_cli_byte_for_byte() {
    let via_cli = home_with_session();
    let via_form = home_with_session();
    let now = at("2025-11-16T09:30:00Z");

    stdout_of(
        via_cli
            .baton(&[
                "log",
                "decision",
                "Blue-green deploys",
                "--why",
                "zero downtime",
                "--impact",
                "two hosts",
            ])
            .env("BATON_NOW", "2025-11-16T09:30:00Z"),
    );
    let mut app = app(board(&via_form));
    press(&mut app, KeyCode::Char('d'));
    type_text(&mut app, "Blue-green deploys");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "zero downtime");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "two hosts");
    let op = write_of(&ctrl(&mut app, 's'));
    baton::tui::write::run(&Store::open(via_form.dir()).unwrap(), op, now).unwrap();
    assert_eq!(
        via_form.read("ACTIVE_SESSIONS/s1.jsonl"),
        via_cli.read("ACTIVE_SESSIONS/s1.jsonl")
    );

    // The handoff form, saved untouched, writes what `baton handoff --print` prints.
    let printed = stdout_of(&mut via_cli.baton(&["handoff", "--print"]));
    let mut app = app_after_reload(&via_form);
    press(&mut app, KeyCode::Char('h'));
    let op = write_of(&ctrl(&mut app, 's'));
    baton::tui::write::run(&Store::open(via_form.dir()).unwrap(), op, now).unwrap();
    assert_eq!(via_form.read("SESSION_HANDOFFS/2025-11-16_s1.md"), printed);
}

fn app_after_reload(home: &SeedHome) -> App {
    app(board(home))
}

#[test]
fn ending_from_the_form_ends_like_the_cli() {
    let home = home_with_session();
    let mut app = app(board(&home));
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Dashboard deployed");
    let op = write_of(&ctrl(&mut app, 's'));
    let message = baton::tui::write::run(
        &Store::open(home.dir()).unwrap(),
        op,
        at("2025-11-16T11:00:00Z"),
    )
    .unwrap();
    assert!(
        message.starts_with("ended s1; handoff SESSION_HANDOFFS/2025-11-16_s1.md"),
        "{message}"
    );
    let archive = home.json("SESSION_LOGS/s1.json");
    assert_eq!(archive["summary"], "Dashboard deployed");
    assert_eq!(archive["duration_hours"], 2.0);
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    assert_eq!(kb["total_sessions"], 16);
    assert!(
        home.read("SESSION_HANDOFFS/2025-11-16_s1.md")
            .contains("## Quick Summary\nDashboard deployed")
    );
    assert!(!home.dir().join("ACTIVE_SESSIONS/s1.jsonl").exists());
}
