//! The Health pane live, in the real binary in a pseudo-terminal (portable-pty + vt100, as
//! `tui_e2e.rs`): a service that never answers, with a long timeout, never delays a frame;
//! `r` re-checks; a SERVICES.json edit re-plans at once; a status change reaches the footer
//! and, with `BATON_BELL=1`, the terminal bell.

mod common;
#[path = "common/http.rs"]
mod http;

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use http::{Reply, Server, closed_port};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

struct Tui {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Tui {
    fn start(dir: &Path, cols: u16, rows: u16, env: &[(&str, &str)]) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(assert_cmd::cargo::cargo_bin("baton"));
        cmd.arg("--dir");
        cmd.arg(dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env("TZ", "UTC");
        cmd.env_remove("BATON_DIR");
        cmd.env_remove("BATON_SESSION");
        cmd.env_remove("BATON_BELL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn baton");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(rows).unwrap(),
            NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Tui {
            screen,
            raw,
            writer,
            child,
            _master: pair.master,
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// The screen row that contains `what`.
    fn row_with(&self, what: &str) -> Option<String> {
        self.text()
            .lines()
            .find(|l| l.contains(what))
            .map(str::to_string)
    }

    /// Waits until `pred` holds for the screen; returns how long that took.
    fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            if pred(&self.text()) {
                return start.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("never saw {what}; screen:\n{}", self.text());
    }

    fn wait_for(&self, what: &str) -> Duration {
        self.wait_until(what, |t| t.contains(what))
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> Duration {
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            if self.child.try_wait().unwrap().is_some() {
                return start.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("baton did not exit; screen:\n{}", self.text());
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
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
    let mut tui = Tui::start(&home.dir(), 120, 40, &[]);
    tui.wait_for("4 Health");
    tui.wait_until("api up", |t| {
        t.lines()
            .any(|l| l.contains("● api") && l.contains("up since"))
    });
    // The first check of `stuck` hangs (60 s timeout); the dashboard goes on regardless.
    assert!(
        hang.hits.load(Ordering::SeqCst) >= 1,
        "the hanging check is under way"
    );
    assert!(tui.row_with("stuck").unwrap().contains("checking…"));

    let mut delays = Vec::new();
    for i in 1..=5 {
        let name = format!("2025-11-2{i}_session_1.md");
        let start = Instant::now();
        std::fs::write(
            home.dir().join("SESSION_HANDOFFS").join(&name),
            "# Session Handoff\n\n## Quick Summary\nWritten while a check hangs.\n",
        )
        .unwrap();
        tui.wait_for(&name);
        delays.push(start.elapsed());
        // Keys too: focus moves at once.
        let start = Instant::now();
        tui.send(if i % 2 == 0 { "4" } else { "3" });
        tui.wait_until("the focus to move", |t| {
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
        tui.row_with("stuck").unwrap().contains("checking…"),
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
    tui.wait_until("api down", |t| {
        t.lines()
            .any(|l| l.contains("✕ api") && l.contains("connection re"))
    });

    // Quitting does not wait for the hanging check.
    tui.send("q");
    let took = tui.wait_exit();
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
    let tui = Tui::start(&home.dir(), 100, 30, &[("BATON_BELL", "1")]);
    tui.wait_until("api up", |t| {
        t.lines()
            .any(|l| l.contains("● api") && l.contains("up since"))
    });
    assert!(!tui.raw.lock().unwrap().contains(&0x07), "no bell yet");
    let addr = server.stop();
    tui.wait_for("api is down: connection refused");
    assert!(tui.row_with("✕ api").is_some());
    let start = Instant::now();
    while !tui.raw.lock().unwrap().contains(&0x07) && start.elapsed() < LIMIT {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(tui.raw.lock().unwrap().contains(&0x07), "the bell rang");
    // And back up (on the same port): two good checks in a row.
    let _back = Server::on(addr, Reply::ok("ok"));
    tui.wait_for("api is up");
}
