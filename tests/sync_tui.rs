//! The dashboard and the memory-server outbox: the footer says what is waiting; deliveries
//! are asked for only while items wait (an empty outbox sets no timer: idle stays idle);
//! and, in the real binary in a pseudo-terminal against a real server on 127.0.0.1, what
//! waits is delivered.

mod common;
#[path = "common/memory_server.rs"]
mod memory_server;

use std::path::PathBuf;
use std::time::Duration;

use baton::domain::board::Board;
use baton::sync::memory::FlushReport;
use baton::tui::action::{Action, Effect};
use baton::tui::app::App;
use baton::tui::theme::Theme;
use common::pty::Tui;
use common::*;
use memory_server::{MemoryServer, Mode, closed_port};

fn loaded(waiting: usize) -> (App, Vec<Effect>) {
    let mut app = App::new(
        PathBuf::from("/home/dev/proj/docs/sessions"),
        at("2025-11-16T10:00:00Z"),
        100,
        20,
        Theme { color: false },
    );
    let board = Board {
        exists: true,
        outbox_waiting: waiting,
        ..Board::default()
    };
    let effects = app.update(Action::Loaded(Box::new(Ok(board))));
    (app, effects)
}

fn syncs(effects: &[Effect]) -> Vec<Duration> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Sync(d) => Some(*d),
            _ => None,
        })
        .collect()
}

#[test]
fn an_empty_outbox_asks_for_nothing() {
    let (app, effects) = loaded(0);
    assert!(syncs(&effects).is_empty(), "{effects:?}");
    assert!(!draw(&app).contains("waiting to sync"));
}

#[test]
fn waiting_items_are_shown_and_delivered_until_none_wait() {
    let (mut app, effects) = loaded(2);
    assert_eq!(syncs(&effects), [Duration::ZERO], "one delivery, at once");
    let footer = draw(&app);
    assert!(
        footer.lines().last().unwrap().contains("2 waiting to sync"),
        "{footer}"
    );
    // A reload while a delivery is under way asks for no second one.
    let again = app.update(Action::Loaded(Box::new(Ok(Board {
        exists: true,
        outbox_waiting: 2,
        ..Board::default()
    }))));
    assert!(syncs(&again).is_empty(), "{again:?}");

    // One delivered, one failed: the next attempt when it is due.
    let effects = app.update(Action::Synced(Box::new(FlushReport {
        sent: vec!["a".into()],
        failed: vec![("b".into(), "HTTP 500".into())],
        waiting: 1,
        next_due: Some(at("2025-11-16T10:00:30Z")),
        ..FlushReport::default()
    })));
    assert_eq!(syncs(&effects), [Duration::from_secs(30)]);
    let screen = draw(&app);
    assert!(screen.contains("1 waiting to sync"), "{screen}");
    assert!(
        screen.contains("delivered 1 session to the memory server"),
        "{screen}"
    );

    // All delivered: no timer left.
    let effects = app.update(Action::Synced(Box::default()));
    assert!(syncs(&effects).is_empty());
    assert_eq!(app.board.outbox_waiting, 0);
    assert!(!draw(&app).contains("waiting to sync"));

    // Items waiting with no memory server configured: shown, but no timer.
    let (mut app, _) = loaded(1);
    let effects = app.update(Action::Synced(Box::new(FlushReport {
        waiting: 1,
        unconfigured: true,
        ..FlushReport::default()
    })));
    assert!(syncs(&effects).is_empty());
    assert!(draw(&app).contains("1 waiting to sync"));
}

#[test]
fn the_dashboard_shows_what_waits_and_delivers_it_when_the_server_answers() {
    // One session queued while the server was down.
    let home = SeedHome::empty();
    let down = format!("http://{}", closed_port());
    let run = |args: &[&str]| {
        let out = home
            .baton(args)
            .env("BATON_NOW", "2025-11-15T12:00:00Z")
            .env("BATON_MEMORY_URL", &down)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run(&["start", "--goal", "Queued", "-q"]);
    run(&["end", "--summary", "queued while down"]);
    let outbox = home.dir().join(".baton/outbox");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 1);

    // Still down: the footer says so, and the dashboard's own attempt is recorded.
    let mut tui = Tui::start_with_env(&home.dir(), 100, 24, &[("BATON_MEMORY_URL", &down)]);
    tui.wait_for("1 waiting to sync");
    let item_file = std::fs::read_dir(&outbox)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let item = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&item_file).unwrap()).unwrap()
    };
    let start = std::time::Instant::now();
    while item()["attempts"] != 2 {
        assert!(start.elapsed() < Duration::from_secs(20), "{}", item());
        std::thread::sleep(Duration::from_millis(20));
    }
    tui.send("q");
    tui.wait_exit();
    // Its backoff passes (the next attempt is a minute away: say the minute went by).
    let mut v = item();
    v["next_attempt_at"] = "2025-11-15T12:00:00Z".into();
    std::fs::write(&item_file, v.to_string()).unwrap();

    // Up: the dashboard delivers it on its own.
    let server = MemoryServer::start(Mode::Ok);
    let tui = Tui::start_with_env(
        &home.dir(),
        100,
        24,
        &[
            ("BATON_MEMORY_URL", &server.url()),
            ("BATON_SYNC_TIMEOUT_MS", "20000"),
        ],
    );
    server.wait_stored(1);
    tui.wait_for("delivered 1 session to the memory server");
    tui.wait_gone("waiting to sync");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0);
    assert_eq!(
        server.stored()[0].1["summary"],
        "queued while down",
        "{:?}",
        server.received()
    );
}
