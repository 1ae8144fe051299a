//! The Health pane in each state, as insta snapshots at 120×40 and 60×20: up (with its
//! latency sparkline), degraded, down (with the reason), a change not yet confirmed, not
//! checked yet, disabled; and the Enter detail with the last checks. Also the pane's state
//! machine through `App::update`: re-check with `r`, re-planning on a SERVICES.json edit,
//! the footer and the bell on a status change.

use std::path::PathBuf;
use std::time::Duration;

use baton::domain::board::Board;
use baton::domain::services::ServiceConfig;
use baton::health::status::{CheckResult, Kind, Status};
use baton::tui::action::{Action, Effect};
use baton::tui::app::App;
use baton::tui::health::HealthEffect;
use baton::tui::theme::Theme;
mod common;

use common::{at, draw};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

fn services() -> Vec<ServiceConfig> {
    serde_json::from_value(json!([
        {"name": "I PROACTIVE", "url": "http://127.0.0.1:8400/health"},
        {"name": "I MATCH", "url": "http://127.0.0.1:8401/health", "degraded_ms": 800},
        {"name": "Ollama", "url": "http://127.0.0.1:11434/api/tags", "json_pointer": "/models"},
        {"name": "search", "url": "http://127.0.0.1:9200/_cluster/health"},
        {"name": "queue", "url": "http://127.0.0.1:15672/api/health", "timeout_ms": 60000},
        {"name": "legacy", "url": "http://127.0.0.1:8000/", "enabled": false}
    ]))
    .unwrap()
}

fn app(w: u16, h: u16) -> App {
    let mut app = App::new(
        PathBuf::from("/home/dev/Development/docs/sessions"),
        at("2025-11-16T10:15:00Z"),
        w,
        h,
        Theme { color: false },
    );
    let board = Board {
        exists: true,
        services: services(),
        ..Board::default()
    };
    app.update(Action::Loaded(Box::new(Ok(board))));
    app
}

fn result(
    status: Status,
    kind: Kind,
    latency: Option<u64>,
    reason: Option<&str>,
    t: &str,
) -> CheckResult {
    CheckResult {
        status,
        kind,
        reason: reason.map(str::to_string),
        latency_ms: latency,
        http_status: latency.map(|_| if status == Status::Down { 500 } else { 200 }),
        checked_at: at(t),
    }
}

fn up(ms: u64, t: &str) -> CheckResult {
    result(Status::Up, Kind::Ok, Some(ms), None, t)
}

fn refused(t: &str) -> CheckResult {
    result(
        Status::Down,
        Kind::Refused,
        None,
        Some("connection refused"),
        t,
    )
}

fn feed(app: &mut App, name: &str, r: CheckResult) -> Vec<Effect> {
    let generation = app.health.get(name).expect("watched").generation;
    app.update(Action::HealthChecked {
        service: name.into(),
        generation,
        result: Box::new(r),
    })
}

/// Every state at once.
fn with_history(mut app: App) -> App {
    // Up since 10:02, every 30 s, latencies that wander.
    for i in 0..26 {
        let ms = [12, 14, 13, 18, 25, 40, 22, 15, 13, 12, 90, 30][i % 12];
        let t = at("2025-11-16T10:02:00Z") + chrono::Duration::seconds(30 * i as i64);
        feed(&mut app, "I PROACTIVE", up(ms, &t.to_rfc3339()));
    }
    // Slow twice: degraded since 10:10:33.
    feed(&mut app, "I MATCH", up(120, "2025-11-16T10:00:00Z"));
    for t in ["2025-11-16T10:10:30Z", "2025-11-16T10:10:33Z"] {
        let slow = result(
            Status::Degraded,
            Kind::Slow,
            Some(950),
            Some("slow: 950 ms > 800 ms"),
            t,
        );
        feed(&mut app, "I MATCH", slow);
    }
    // Refused twice: down since 10:11:03.
    feed(&mut app, "Ollama", up(30, "2025-11-16T10:00:00Z"));
    feed(&mut app, "Ollama", refused("2025-11-16T10:11:00Z"));
    feed(&mut app, "Ollama", refused("2025-11-16T10:11:03Z"));
    feed(&mut app, "Ollama", refused("2025-11-16T10:12:03Z"));
    // Up, then one 500: still shown up, the change not yet confirmed.
    feed(&mut app, "search", up(8, "2025-11-16T09:58:00Z"));
    feed(
        &mut app,
        "search",
        result(
            Status::Down,
            Kind::WrongStatus,
            Some(4),
            Some("HTTP 500 (expected 200-299)"),
            "2025-11-16T10:14:50Z",
        ),
    );
    // `queue` has not answered yet; `legacy` is disabled.
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn health_pane_in_every_state_at_both_sizes() {
    for (w, h) in [(120, 40), (60, 20)] {
        let mut app = with_history(app(w, h));
        key(&mut app, KeyCode::Char('4'));
        insta::assert_snapshot!(format!("health_{w}x{h}"), draw(&app));
    }
}

#[test]
fn before_any_check_every_service_says_checking() {
    let mut app = app(60, 20);
    key(&mut app, KeyCode::Char('4'));
    insta::assert_snapshot!("health_checking_60x20", draw(&app));
}

#[test]
fn enter_shows_the_last_checks_and_errors() {
    for (w, h) in [(120, 40), (60, 20)] {
        let mut app = with_history(app(w, h));
        key(&mut app, KeyCode::Char('4'));
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("health_detail_down_{w}x{h}"), draw(&app));
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("health_detail_pending_{w}x{h}"), draw(&app));
    }
}

fn checks(effects: &[Effect]) -> Vec<(String, Duration)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Health(HealthEffect::Check { service, after, .. }) => {
                Some((service.name.clone(), *after))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn first_load_plans_staggered_checks_and_r_rechecks_now() {
    let mut app = App::new(
        PathBuf::from("/x"),
        at("2025-11-16T10:15:00Z"),
        120,
        40,
        Theme { color: false },
    );
    let effects = app.update(Action::Loaded(Box::new(Ok(Board {
        exists: true,
        services: services(),
        ..Board::default()
    }))));
    let planned = checks(&effects);
    let names: Vec<&str> = planned.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["I PROACTIVE", "I MATCH", "Ollama", "search", "queue"]
    );
    let delays: Vec<u128> = planned.iter().map(|(_, d)| d.as_millis()).collect();
    assert_eq!(delays, [0, 250, 500, 750, 1000], "spread, not all at once");

    let effects = key(&mut app, KeyCode::Char('r'));
    assert_eq!(checks(&effects).len(), 5);
    assert_eq!(checks(&effects)[0].1, Duration::ZERO);
}

#[test]
fn a_services_edit_replans_only_what_changed() {
    let mut app = with_history(app(120, 40));
    let mut edited = services();
    edited[1].timeout_ms = 1000; // I MATCH changed
    edited.remove(3); // search removed
    let effects = app.update(Action::Loaded(Box::new(Ok(Board {
        exists: true,
        services: edited,
        ..Board::default()
    }))));
    assert_eq!(
        checks(&effects),
        [("I MATCH".to_string(), Duration::from_millis(250))]
    );
    assert!(effects.contains(&Effect::Health(HealthEffect::Stop("search".into()))));
    // I MATCH keeps its history (same URL), and I PROACTIVE was not touched.
    let m = app.health.get("I MATCH").unwrap();
    assert_eq!(m.tracker.status(), Some(Status::Degraded));
    assert_eq!(
        app.health
            .get("I PROACTIVE")
            .unwrap()
            .tracker
            .latencies()
            .len(),
        26
    );
}

#[test]
fn a_status_change_goes_to_the_footer_and_rings_the_bell_when_asked() {
    for bell in [false, true] {
        let mut app = app(120, 40);
        app.health.bell = bell;
        feed(&mut app, "I PROACTIVE", up(12, "2025-11-16T10:00:00Z"));
        let e = feed(&mut app, "I PROACTIVE", refused("2025-11-16T10:00:30Z"));
        assert!(
            !e.contains(&Effect::Health(HealthEffect::Bell)),
            "a blip is quiet"
        );
        assert_eq!(checks(&e)[0].1, Duration::from_secs(3), "confirmed soon");
        assert!(app.last_change.is_none());
        let e = feed(&mut app, "I PROACTIVE", refused("2025-11-16T10:00:33Z"));
        assert_eq!(
            e.contains(&Effect::Health(HealthEffect::Bell)),
            bell,
            "bell only when asked"
        );
        let change = app.last_change.clone().unwrap();
        assert_eq!(change.what, "I PROACTIVE is down: connection refused");
        let screen = draw(&app);
        assert!(
            screen.contains("I PROACTIVE is down: connection refused"),
            "{screen}"
        );
        // The next check backs off once the service stays down.
        let e = feed(&mut app, "I PROACTIVE", refused("2025-11-16T10:01:33Z"));
        assert_eq!(checks(&e)[0].1, Duration::from_secs(120));
    }
}

#[test]
fn results_of_a_replaced_plan_are_ignored() {
    let mut app = app(120, 40);
    let old = app.health.get("I PROACTIVE").unwrap().generation;
    let mut edited = services();
    edited[0].url = "http://127.0.0.1:8500/health".into();
    app.update(Action::Loaded(Box::new(Ok(Board {
        exists: true,
        services: edited,
        ..Board::default()
    }))));
    app.dirty = false;
    let e = app.update(Action::HealthChecked {
        service: "I PROACTIVE".into(),
        generation: old,
        result: Box::new(up(5, "2025-11-16T10:00:00Z")),
    });
    assert!(e.is_empty());
    assert!(!app.dirty, "nothing to redraw");
    assert_eq!(
        app.health.get("I PROACTIVE").unwrap().tracker.status(),
        None
    );
}
