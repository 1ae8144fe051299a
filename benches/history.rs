//! History, time travel and search at 10,000 sessions (issue: time travel and search), run
//! with `cargo bench --bench history`. Generates the history with `generate_history` into a
//! temp directory (BATON_BENCH_SESSIONS to change the size; BATON_BENCH_DIR to reuse one),
//! then measures, in process and with the release binary:
//! - building the index from nothing, and bringing a current one up to date;
//! - `load_sessions` (what `history` reads), `load_history` (what the dashboard reads),
//!   a session's details on demand, building the as-of index, a step (alone, and through
//!   the dashboard's `App::update`, which builds the as-of board), the timeline;
//! - searches;
//! - the commands `history`, `show` and `search` end to end, beside `grep -ril` over the
//!   same files (both run 10 times after a warm-up; median and best reported).
//!
//! `BATON_BENCH_MEMORY=1`: the memory of the loaded history instead;
//! `BATON_BENCH_MEMORY=dashboard`: the dashboard's (`App` with the board, the history after
//! `t`, the timeline after `Tab`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use baton::domain::asof::AsOfIndex;
use baton::domain::search::Query;
use baton::domain::timeline::Order;
use baton::store::Store;
use baton::store::generate::generate_history;
use baton::store::history::{
    load_history, load_history_detailed, load_sessions, refresh_index, search, session_detail,
};
use baton::store::timeline::timeline_of;
use baton::tui::action::Action;
use baton::tui::app::App;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> T {
    let mut samples = Vec::with_capacity(runs);
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        out = Some(f());
        samples.push(start.elapsed());
    }
    report(label, &mut samples);
    out.expect("at least one run")
}

fn report(label: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<58} median {:>8.1} ms   best {:>8.1} ms   ({} runs)",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        samples.len()
    );
}

/// The dashboard's state at 120×40 with the directory's board loaded.
fn app_with_board(dir: &Path, store: &Store) -> App {
    let mut app = App::new(
        dir.to_path_buf(),
        chrono::Utc::now(),
        120,
        40,
        baton::tui::theme::Theme { color: false },
    );
    app.update(Action::Loaded(Box::new(Ok(
        baton::store::snapshot::load_board(store).unwrap(),
    ))));
    app
}

fn binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "baton"])
        .current_dir(root)
        .status()
        .expect("cargo");
    assert!(status.success());
    root.join("target/release/baton")
}

fn run(label: &str, cmd: &mut Command) -> Duration {
    let mut samples = Vec::new();
    for i in 0..11 {
        let start = Instant::now();
        let out = cmd.output().expect("runs");
        let took = start.elapsed();
        assert!(
            out.status.success() || out.status.code() == Some(1),
            "{label}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if i > 0 {
            samples.push(took);
        }
    }
    report(label, &mut samples);
    samples[samples.len() / 2]
}

fn main() {
    let sessions: usize = std::env::var("BATON_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let tmp = tempfile::tempdir().unwrap();
    let dir = match std::env::var("BATON_BENCH_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => {
            let d = tmp.path().join("sessions");
            let start = Instant::now();
            generate_history(&d, sessions).unwrap();
            println!(
                "generated {sessions} sessions in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            d
        }
    };
    let store = Store::open(&dir).unwrap();
    if std::env::var("BATON_BENCH_MEMORY").is_ok() {
        // Only what the dashboard would hold: the history and its as-of index (then, apart,
        // the timeline, which wants every session's details).
        let status = |key: &str| {
            std::fs::read_to_string("/proc/self/status")
                .unwrap_or_default()
                .lines()
                .find(|l| l.starts_with(key))
                .unwrap_or_default()
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = refresh_index(&store).unwrap();
        if std::env::var("BATON_BENCH_MEMORY").as_deref() == Ok("dashboard") {
            // The dashboard as it holds them (`App`): the board, then the history (`t`),
            // then the timeline (`Tab`), each read as the runtime reads it (here on this
            // thread; the runtime reads on blocking threads, whose allocator arenas keep
            // more: the dashboard's own RSS is measured in tmux, see PERFORMANCE.md).
            let mut app = app_with_board(&dir, &store);
            println!(
                "dashboard, board loaded: RSS {} (peak {})",
                status("VmRSS"),
                status("VmHWM")
            );
            app.update(Action::HistoryLoaded(Box::new(Ok(
                load_history(&store).unwrap()
            ))));
            println!(
                "dashboard, history loaded (t): RSS {} (peak {})",
                status("VmRSS"),
                status("VmHWM")
            );
            // As the dashboard reads it: beside the history it holds.
            let held = app.travel.history.clone().expect("history held");
            let timeline = timeline_of(
                &store,
                &held,
                &app.travel.index,
                chrono::Utc::now(),
                Order::NewestFirst,
            )
            .unwrap();
            drop(held);
            app.update(Action::TimelineLoaded(Box::new(Ok(timeline))));
            println!(
                "dashboard, timeline loaded (Tab): RSS {} (peak {})",
                status("VmRSS"),
                status("VmHWM")
            );
            std::hint::black_box(&app);
            return;
        }
        println!("before loading: RSS {}", status("VmRSS"));
        let h = load_history(&store).unwrap();
        let idx = AsOfIndex::build(&h);
        println!(
            "load_history and its as-of index: RSS {} (peak {})",
            status("VmRSS"),
            status("VmHWM")
        );
        let t = timeline_of(&store, &h, &idx, chrono::Utc::now(), Order::NewestFirst).unwrap();
        println!(
            "with the timeline ({} entries): RSS {} (peak {})",
            t.len(),
            status("VmRSS"),
            status("VmHWM")
        );
        return;
    }

    let _ = baton::store::index::forget(&dir);
    let r = time("index: build from nothing", 1, || {
        refresh_index(&store).unwrap()
    });
    println!("  {r:?}");
    time(
        "index: up to date (stat every file, nothing re-read)",
        10,
        || refresh_index(&store).unwrap(),
    );
    time(
        "  of which: scan (list and stat every covered file)",
        10,
        || baton::store::index::sources::scan(&dir).len(),
    );
    let mut cat = time("  of which: Catalog::open", 10, || {
        baton::store::index::Catalog::open(&dir).unwrap()
    });
    let records = time("  records(all, Full, no bodies)", 5, || {
        cat.records(|_| true, baton::store::index::Detail::Full, false)
            .unwrap()
    });
    time("  History::from_records", 5, || {
        baton::domain::history::History::from_records(records.clone())
    });
    let q = Query::parse("zzzznotfound").unwrap();
    time(
        "  Catalog::search (open catalog, word not found)",
        10,
        || cat.search(&q, 20, &[]).unwrap().total,
    );
    let q = Query::parse("the").unwrap();
    time("  Catalog::search (open catalog, `the`)", 10, || {
        cat.search(&q, 20, &[]).unwrap().total
    });
    let listing = time("load_sessions (what `history` reads)", 10, || {
        load_sessions(&store).unwrap()
    });
    println!("  {} sessions", listing.sessions.len());
    let h = time(
        "load_history (what `show` and the dashboard read)",
        10,
        || load_history(&store).unwrap(),
    );
    println!(
        "  {} sessions, {} decisions, {} insights, {} handoffs, {} code entries",
        h.sessions.len(),
        h.decisions.len(),
        h.insights.len(),
        h.handoffs.len(),
        h.code.len()
    );
    drop(time(
        "load_history_detailed (every session's details too)",
        5,
        || load_history_detailed(&store).unwrap(),
    ));
    let some = h.sessions[h.sessions.len() / 2].id.clone();
    time("session_detail (one session's, on demand)", 10, || {
        session_detail(&store, &some).unwrap()
    });
    let idx = time("AsOfIndex::build", 10, || AsOfIndex::build(&h));
    let mut step = idx.latest().unwrap_or(0);
    let mut samples = Vec::new();
    for _ in 0..1000 {
        let start = Instant::now();
        step = idx.prev(step).unwrap_or(idx.latest().unwrap_or(0));
        let state = idx.state(&h, step).unwrap();
        std::hint::black_box((state.pending.len(), state.decisions.len(), state.banner()));
        samples.push(start.elapsed());
    }
    report("as-of step ([) and state", &mut samples);
    // The dashboard's `[`: the as-of board built from the state and every pane refiltered.
    let mut app = app_with_board(&dir, &store);
    app.update(Action::HistoryLoaded(Box::new(Ok(h.clone()))));
    let key = |c| Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    for (label, c) in [
        ("dashboard [ (App::update, from the newest back)", '['),
        ("dashboard ] (App::update)", ']'),
    ] {
        let mut samples = Vec::new();
        for _ in 0..200 {
            let start = Instant::now();
            std::hint::black_box(app.update(key(c)));
            samples.push(start.elapsed());
        }
        report(label, &mut samples);
    }
    // The timeline: built from the dashboard's history and what is read beside it.
    let held = load_history(&store).unwrap();
    let held_idx = AsOfIndex::build(&held);
    let t = time("timeline_of (read beside the history, built)", 5, || {
        timeline_of(
            &store,
            &held,
            &held_idx,
            chrono::Utc::now(),
            Order::NewestFirst,
        )
        .unwrap()
    });
    println!("  {} timeline entries", t.len());
    drop((held, held_idx));
    // Moving through the dashboard's timeline: a key through `App::update`, then the frame
    // (only the visible rows are made whole).
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("backend");
    let mut frame = |app: &App| {
        terminal
            .draw(|f| baton::tui::ui::render(app, f))
            .expect("draw");
    };
    let press = |code| Action::Key(KeyEvent::new(code, KeyModifiers::NONE));
    app.update(press(KeyCode::Esc));
    app.update(press(KeyCode::Char('t')));
    app.update(press(KeyCode::Tab));
    app.update(Action::TimelineLoaded(Box::new(Ok(t))));
    for (label, code) in [
        (
            "dashboard timeline j (App::update + frame)",
            KeyCode::Char('j'),
        ),
        (
            "dashboard timeline PageDown (App::update + frame)",
            KeyCode::PageDown,
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..200 {
            let start = Instant::now();
            std::hint::black_box(app.update(press(code)));
            frame(&app);
            samples.push(start.elapsed());
        }
        report(label, &mut samples);
    }
    for q in [
        "pagination",
        "redis",
        "the",
        "\"keyset cursors\"",
        "straße",
        "zzzznotfound",
    ] {
        let query = Query::parse(q).unwrap();
        let r = time(&format!("search {q} (in process)"), 10, || {
            search(&store, &query, 20).unwrap()
        });
        println!("  {} matches", r.total);
    }

    if std::env::var("BATON_BENCH_NO_CLI").is_ok() {
        return;
    }
    // The commands, beside grep over the same files (what search covers).
    let bin = binary();
    let baton = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.arg("--dir").arg(&dir).args(args);
        c
    };
    run("baton history", &mut baton(&["history"]));
    run(
        "baton history --format json",
        &mut baton(&["history", "--format", "json"]),
    );
    let some = &h.sessions[h.sessions.len() / 2].id;
    run(&format!("baton show {some}"), &mut baton(&["show", some]));
    run(
        &format!("baton show {some} --format json"),
        &mut baton(&["show", some, "--format", "json"]),
    );
    for word in ["pagination", "redis", "the", "zzzznotfound"] {
        let b = run(
            &format!("baton search {word}"),
            &mut baton(&["search", word]),
        );
        let mut grep = Command::new("grep");
        grep.current_dir(&dir).args(["-ril", word, "--"]).args([
            "SESSION_HANDOFFS",
            "SESSION_LOGS",
            "DECISIONS_LOG.json",
            "INSIGHTS_DB.json",
            "INSIGHTS.log",
            "UNIFIED_KNOWLEDGE.json",
        ]);
        let g = run(&format!("grep -ril {word}"), &mut grep);
        println!(
            "  ratio baton/grep for {word}: {:.2} (below 1: baton is faster)",
            b.as_secs_f64() / g.as_secs_f64()
        );
    }
}
