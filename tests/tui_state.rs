//! The dashboard's state machine driven with synthetic keys and actions, clock pinned.

mod common;

use std::path::PathBuf;

use baton::domain::board::Board;
use baton::store::Store;
use baton::store::snapshot::load_board;
use baton::tui::action::{Action, Effect};
use baton::tui::app::{App, Mode};
use baton::tui::pane::Pane;
use baton::tui::theme::Theme;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

fn seed_board() -> Board {
    let home = SeedHome::empty();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        &fixture_text("handoff_section3.md"),
    );
    home.write(
        "SESSION_HANDOFFS/2025-11-14_handoff.md",
        "# Session Handoff - 2025-11-14\n\n## Accomplished\n- first\n",
    );
    home.write(
        "SERVICES.json",
        r#"{"services": [{"name": "I PROACTIVE", "url": "http://127.0.0.1:8400/health"}]}"#,
    );
    load_board(&Store::open(home.dir()).unwrap()).unwrap()
}

fn app_with(board: Board, w: u16, h: u16) -> App {
    let mut app = App::new(
        PathBuf::from("/home/dev/proj/docs/sessions"),
        at("2025-11-16T10:00:00Z"),
        w,
        h,
        Theme { color: false },
    );
    assert_eq!(app.init(), vec![Effect::Load, Effect::LoadDrafts]);
    app.update(Action::Loaded(Box::new(Ok(board))));
    app
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

#[test]
fn loading_asks_for_the_newest_handoff_and_shows_it() {
    let mut app = App::new(
        PathBuf::from("/d"),
        at("2025-11-16T10:00:00Z"),
        120,
        40,
        Theme { color: true },
    );
    let effects = app.update(Action::Loaded(Box::new(Ok(seed_board()))));
    assert!(
        effects.contains(&Effect::LoadHandoff("2025-11-15_session_1.md".into())),
        "{effects:?}"
    );
    app.update(Action::HandoffLoaded {
        file: "2025-11-15_session_1.md".into(),
        text: "# hi".into(),
    });
    assert_eq!(app.preview.as_ref().unwrap().1, "# hi");
    // A late answer for a handoff no longer selected is dropped.
    app.update(Action::HandoffLoaded {
        file: "other.md".into(),
        text: "x".into(),
    });
    assert_eq!(app.preview.as_ref().unwrap().0, "2025-11-15_session_1.md");
}

#[test]
fn focus_keys_tab_numbers_and_wraparound() {
    let mut app = app_with(seed_board(), 120, 40);
    assert_eq!(app.focus, Pane::Pending);
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Decisions);
    app.update(key(KeyCode::BackTab));
    app.update(key(KeyCode::BackTab));
    assert_eq!(app.focus, Pane::Health);
    app.update(ch('3'));
    assert_eq!(app.focus, Pane::Handoffs);
}

#[test]
fn moving_selects_and_loads_the_handoff_under_the_cursor() {
    let mut app = app_with(seed_board(), 120, 40);
    app.update(ch('3'));
    let effects = app.update(ch('j'));
    assert_eq!(
        effects,
        vec![Effect::LoadHandoff("2025-11-14_handoff.md".into())]
    );
    assert_eq!(app.update(ch('j')), vec![], "already at the last row");
    app.update(ch('g'));
    assert_eq!(
        app.selected_handoff().as_deref(),
        Some("2025-11-15_session_1.md")
    );
}

#[test]
fn pending_is_high_first_and_decisions_newest_first() {
    let app = app_with(seed_board(), 120, 40);
    let first = app.selected_index(Pane::Pending).unwrap();
    assert_eq!(app.board.pending[first].task, "Deploy sovereign dashboard");
    let d = app.selected_index(Pane::Decisions).unwrap();
    assert_eq!(
        app.board.decisions[d].decision,
        "Use Llama 3.1 8B for all agents"
    );
}

#[test]
fn filter_narrows_the_focused_pane_and_esc_clears_it() {
    let mut app = app_with(seed_board(), 120, 40);
    app.update(ch('/'));
    assert_eq!(app.mode, Mode::Filtering);
    for c in "revenue".chars() {
        app.update(ch(c));
    }
    assert_eq!(app.rows[Pane::Pending.index()].len(), 1);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(
        app.rows[Pane::Pending.index()].len(),
        1,
        "Enter keeps the filter"
    );
    // q in the filter is text, not quit.
    app.update(ch('/'));
    assert_eq!(app.update(ch('q')), vec![]);
    assert_eq!(app.rows[Pane::Pending.index()].len(), 0);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.rows[Pane::Pending.index()].len(), 3);
}

#[test]
fn several_words_must_all_match() {
    let mut app = app_with(seed_board(), 120, 40);
    app.update(ch('/'));
    for c in "high migrate".chars() {
        app.update(ch(c));
    }
    assert_eq!(app.rows[Pane::Pending.index()].len(), 1);
}

#[test]
fn selection_follows_the_item_across_reloads() {
    let mut board = seed_board();
    let mut app = app_with(board.clone(), 120, 40);
    app.update(ch('j'));
    app.update(ch('j'));
    let chosen = app.board.pending[app.selected_index(Pane::Pending).unwrap()]
        .task
        .clone();
    // A new high-priority item arrives at the top: the cursor stays on the same item.
    board.pending.insert(
        0,
        baton::domain::items::PendingItem::new("Urgent fix", baton::domain::items::Priority::High),
    );
    app.update(Action::Loaded(Box::new(Ok(board.clone()))));
    assert_eq!(
        app.board.pending[app.selected_index(Pane::Pending).unwrap()].task,
        chosen
    );
    // The selected item disappears: the cursor stays in range.
    board.pending.retain(|p| p.task != chosen);
    app.update(Action::Loaded(Box::new(Ok(board))));
    assert!(app.selected_index(Pane::Pending).is_some());
}

#[test]
fn enter_opens_reader_or_details_and_esc_returns() {
    let mut app = app_with(seed_board(), 120, 40);
    app.update(ch('2'));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Detail);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    app.update(ch('3'));
    app.update(Action::HandoffLoaded {
        file: "2025-11-15_session_1.md".into(),
        text: "line\n".repeat(100),
    });
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Reader { scroll: 0 });
    app.update(key(KeyCode::PageDown));
    assert!(matches!(app.mode, Mode::Reader { scroll } if scroll > 10));
    app.update(ch('G'));
    assert_eq!(app.mode, Mode::Reader { scroll: 97 });
    // q in the reader quits; Esc goes back.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut app = app_with(seed_board(), 120, 40);
    app.update(ch('?'));
    assert_eq!(app.mode, Mode::Help);
    app.update(ch('x'));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn quit_with_q_and_ctrl_c() {
    let mut app = app_with(seed_board(), 120, 40);
    assert_eq!(app.update(ch('q')), vec![Effect::Quit]);
    assert_eq!(
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        ))),
        vec![Effect::Quit]
    );
    app.update(ch('/'));
    assert_eq!(
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        ))),
        vec![Effect::Quit]
    );
}

#[test]
fn file_changes_reload_and_name_the_change_in_the_footer() {
    let mut app = app_with(seed_board(), 120, 40);
    let dir = app.dir.clone();
    let effects = app.update(Action::FilesChanged {
        paths: vec![dir.join("SESSION_HANDOFFS/2025-11-20_session_1.md")],
        removed: vec![],
        rescan: false,
        at: at("2025-11-16T10:00:00Z"),
    });
    assert_eq!(effects, vec![Effect::Load]);
    assert_eq!(
        app.last_change.as_ref().unwrap().what,
        "handoff 2025-11-20_session_1.md changed"
    );
    app.update(Action::FilesChanged {
        paths: vec![dir.join("UNIFIED_KNOWLEDGE.json")],
        removed: vec![dir.join("UNIFIED_KNOWLEDGE.json")],
        rescan: false,
        at: at("2025-11-16T10:00:01Z"),
    });
    assert_eq!(
        app.last_change.as_ref().unwrap().what,
        "knowledge base UNIFIED_KNOWLEDGE.json removed"
    );
}

#[test]
fn the_clock_redraws_only_when_what_it_shows_changes() {
    // No services and no sessions: nothing on screen reads the clock.
    let mut board = seed_board();
    board.services.clear();
    let mut app = app_with(board, 120, 40);
    app.dirty = false;
    app.update(Action::Tick(at("2025-11-16T10:00:01Z")));
    assert!(!app.dirty, "nothing on screen depends on the time");
    app.update(Action::FilesChanged {
        paths: vec![app.dir.join("INSIGHTS.log")],
        removed: vec![],
        rescan: false,
        at: at("2025-11-16T10:00:01Z"),
    });
    app.dirty = false;
    app.update(Action::Tick(at("2025-11-16T10:00:02Z")));
    assert!(app.dirty, "\"changed 1 s ago\" moved");
}

#[test]
fn narrow_layout_shows_one_pane_and_mouse_clicks_tabs() {
    let mut app = app_with(seed_board(), 60, 20);
    let areas = app.areas();
    assert!(areas.is_narrow());
    let tabs = areas.tabs.unwrap();
    app.update(Action::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 50,
        row: tabs.y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.focus, Pane::Health);
}

#[test]
fn mouse_click_focuses_a_pane_and_selects_the_row() {
    let mut app = app_with(seed_board(), 120, 40);
    let area = app.areas().pane(Pane::Decisions).unwrap();
    app.update(Action::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: area.x + 5,
        row: area.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.focus, Pane::Decisions);
    assert_eq!(app.lists[Pane::Decisions.index()].selected, 1);
    app.update(Action::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: area.x + 5,
        row: area.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.lists[Pane::Decisions.index()].selected, 0);
}

#[test]
fn resize_relays_out_and_keeps_selection_visible() {
    let mut board = seed_board();
    for i in 0..200 {
        board.pending.push(baton::domain::items::PendingItem::new(
            format!("item {i}"),
            baton::domain::items::Priority::Low,
        ));
    }
    let mut app = app_with(board, 120, 40);
    app.update(ch('G'));
    let sel = app.lists[0].selected;
    app.update(Action::Resize(60, 15));
    let visible = baton::tui::layout::inner_rows(app.areas().pane(Pane::Pending).unwrap());
    let list = &app.lists[0];
    assert_eq!(list.selected, sel);
    assert!(list.selected >= list.offset && list.selected < list.offset + visible);
}

#[test]
fn a_failed_load_is_shown_and_the_old_board_kept() {
    let mut app = app_with(seed_board(), 120, 40);
    app.update(Action::Loaded(Box::new(Err("permission denied".into()))));
    assert_eq!(app.load_error.as_deref(), Some("permission denied"));
    assert_eq!(app.board.pending.len(), 3);
}

#[test]
fn a_preview_shows_until_the_full_read_and_never_after_it() {
    let full = seed_board();
    let mut preview = full.clone();
    preview.decisions.truncate(1);
    let mut app = App::new(
        PathBuf::from("/home/dev/proj/docs/sessions"),
        at("2025-11-16T10:00:00Z"),
        120,
        40,
        Theme { color: false },
    );
    app.init();
    app.update(Action::LoadedPreview(Box::new(Ok(preview.clone()))));
    assert_eq!(app.board.decisions.len(), 1, "the preview is shown at once");
    app.update(Action::Loaded(Box::new(Ok(full.clone()))));
    assert_eq!(app.board.decisions, full.decisions);
    app.update(Action::LoadedPreview(Box::new(Ok(preview))));
    assert_eq!(
        app.board.decisions, full.decisions,
        "a late preview changes nothing"
    );
}
