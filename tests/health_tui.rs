//! The Health pane live, in the real binary in a pseudo-terminal (portable-pty + vt100, as
//! `tui_e2e.rs`): a service that never answers, with a long timeout, never delays a frame;
//! `r` re-checks; a SERVICES.json edit re-plans at once; a status change reaches the footer
//! and, with `BATON_BELL=1`, the terminal bell.

mod common;
#[path = "common/http.rs"]
mod http;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::pty::Tui;
use common::*;
use http::{Reply, Server, closed_port};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

/// The dashboard on `dir`, with times in UTC and the bell as asked.
fn start(dir: &Path, cols: u16, rows: u16, bell: bool) -> Tui {
    let bell = if bell { "1" } else { "0" };
    Tui::start_with_env(dir, cols, rows, &[("TZ", "UTC"), ("BATON_BELL", bell)])
}

/// The screen row that contains `what`.
fn row_with(tui: &Tui, what: &str) -> Option<String> {
    tui.text()
        .lines()
        .find(|l| l.contains(what))
        .map(str::to_string)
}

/// Waits until `pred` holds for the screen; returns how long that took.
fn wait_until(tui: &Tui, what: &str, pred: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < LIMIT {
        if pred(&tui.text()) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("never saw {what}; screen:\n{}", tui.text());
}

/// Waits for a row for service `name` showing `glyph` and `text`.
fn wait_row(tui: &Tui, glyph: &str, name: &str, text: &str) {
    let head = format!("{glyph} {name}");
    wait_until(tui, &format!("{head} … {text}"), |t| {
        t.lines().any(|l| l.contains(&head) && l.contains(text))
    });
}

fn write_services(home: &SeedHome, list: serde_json::Value) {
    // Written beside and renamed in, as editors save.
    let tmp = home.dir().join(".SERVICES.json.swp");
    std::fs::write(&tmp, json!({ "services": list }).to_string()).unwrap();
    std::fs::rename(tmp, home.dir().join("SERVICES.json")).unwrap();
}

#[test]
fn a_hanging_service_never_delays_a_frame() {
    let home = SeedHome::empty();
    let hang = Server::start(Reply::Hang);
    let ok = Server::start(Reply::ok("ok"));
    write_services(
        &home,
        json!([
            {"name": "stuck", "url": hang.url("/health"), "timeout_ms": 60000},
            {"name": "api", "url": ok.url("/health")}
        ]),
    );
    let mut tui = start(&home.dir(), 120, 40, false);
    tui.wait_for("4 Health");
    wait_row(&tui, "●", "api", "up since");
    // The first check of `stuck` hangs (60 s timeout); the dashboard goes on regardless.
    assert!(
        hang.hits.load(Ordering::SeqCst) >= 1,
        "the hanging check is under way"
    );
    assert!(row_with(&tui, "stuck").unwrap().contains("checking…"));

    let mut delays = Vec::new();
    for i in 1..=5 {
        let name = format!("2025-11-2{i}_session_1.md");
        let start = Instant::now();
        std::fs::write(
            home.dir().join("SESSION_HANDOFFS").join(&name),
            "# Session Handoff\n\n## Quick Summary\nWritten while a check hangs.\n",
        )
        .unwrap();
        wait_until(&tui, &name, |t| t.contains(&name));
        delays.push(start.elapsed());
        // Keys too: focus moves at once.
        let start = Instant::now();
        tui.send(if i % 2 == 0 { "4" } else { "3" });
        wait_until(&tui, "the focus to move", |t| {
            let title = if i % 2 == 0 {
                "┏ 4 Health"
            } else {
                "┏ 3 Handoffs"
            };
            t.contains(title)
        });
        delays.push(start.elapsed());
    }
    assert!(
        row_with(&tui, "stuck").unwrap().contains("checking…"),
        "still hanging"
    );
    let worst = delays.iter().max().unwrap();
    eprintln!("frame delays while a check hangs: {delays:?}");
    assert!(*worst < Duration::from_secs(2), "{delays:?}");

    // `r` re-checks now (api's interval is 30 s: only the key explains a second request).
    let before = ok.hits.load(Ordering::SeqCst);
    tui.send("r");
    let start = Instant::now();
    while ok.hits.load(Ordering::SeqCst) == before && start.elapsed() < LIMIT {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ok.hits.load(Ordering::SeqCst) > before, "r re-checked");

    // Editing SERVICES.json re-plans at once: api now points at a closed port.
    let nothing = closed_port();
    write_services(
        &home,
        json!([
            {"name": "stuck", "url": hang.url("/health"), "timeout_ms": 60000},
            {"name": "api", "url": format!("http://{nothing}/health")}
        ]),
    );
    wait_row(&tui, "✕", "api", "connection re");

    // Quitting does not wait for the hanging check.
    tui.send("q");
    let start = Instant::now();
    tui.wait_exit();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "quit took {took:?}");
}

#[test]
fn a_status_change_reaches_the_footer_and_the_bell() {
    let home = SeedHome::empty();
    let server = Server::start(Reply::ok("ok"));
    write_services(
        &home,
        json!([{"name": "api", "url": server.url("/health"), "interval_s": 1}]),
    );
    let tui = start(&home.dir(), 100, 30, true);
    wait_row(&tui, "●", "api", "up since");
    assert!(!tui.raw.lock().unwrap().contains(&0x07), "no bell yet");
    let addr = server.stop();
    tui.wait_for("api is down: connection refused");
    assert!(row_with(&tui, "✕ api").is_some());
    let start = Instant::now();
    while !tui.raw.lock().unwrap().contains(&0x07) && start.elapsed() < LIMIT {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(tui.raw.lock().unwrap().contains(&0x07), "the bell rang");
    // And back up (on the same port): two good checks in a row.
    let _back = Server::on(addr, Reply::ok("ok"));
    tui.wait_for("api is up");
}
