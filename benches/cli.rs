//! Command-line and dashboard numbers at 10,000 sessions, with the seed's own shell
//! commands measured side by side in the same run. `cargo bench --bench cli`; prints the
//! Markdown tables that docs/PERFORMANCE.md quotes. `BATON_BENCH_SESSIONS` changes the size.

use std::io::Read;
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton::domain::board::Board;
use baton::store::Store;
use baton::store::generate::{generate_history, generate_seed_history};
use baton::store::snapshot::load_board;
use baton::tui::action::{Action, Command as UiCommand};
use baton::tui::app::App;
use baton::tui::theme::Theme;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

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

struct Stats {
    median: Duration,
    p90: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    Stats {
        median: samples[samples.len() / 2],
        p90: samples[(samples.len() * 9 / 10).min(samples.len() - 1)],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs `cmd` `n` times (after one warm-up) and times each whole process.
fn time(n: usize, mut make: impl FnMut() -> Command) -> Stats {
    let run = |c: &mut Command| {
        let status = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("runs");
        assert!(status.success(), "{c:?} failed");
    };
    run(&mut make());
    stats(
        (0..n)
            .map(|_| {
                let mut c = make();
                let start = Instant::now();
                run(&mut c);
                start.elapsed()
            })
            .collect(),
    )
}

fn row(what: &str, s: &Stats, baseline: Option<&Stats>) {
    let ratio = baseline
        .map(|b| format!("{:.2}×", s.median.as_secs_f64() / b.median.as_secs_f64()))
        .unwrap_or_default();
    println!("| {what} | {} | {} | {ratio} |", ms(s.median), ms(s.p90));
}

fn main() {
    let n: usize = std::env::var("BATON_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let bin = binary();
    let tmp = tempfile::tempdir().unwrap();
    let baton_dir = tmp.path().join("baton/docs/sessions");
    let seed_dir = tmp.path().join("seed/docs/sessions");
    let t = Instant::now();
    generate_history(&baton_dir, n).unwrap();
    generate_seed_history(&seed_dir, n).unwrap();
    eprintln!(
        "generated 2 × {n} sessions in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let baton = |dir: &Path, args: &[&str]| {
        let mut c = Command::new(&bin);
        c.arg("--dir")
            .arg(dir)
            .args(args)
            .env_remove("BATON_SESSION")
            .env_remove("BATON_DIR");
        c
    };

    println!("\n### Commands at {n} sessions\n");
    println!("| command | median | p90 | vs. baseline |\n|---|---|---|---|");
    for (label, dir) in [("seed layout", &seed_dir), ("baton layout", &baton_dir)] {
        let shell = format!(
            "cat {d}/UNIFIED_KNOWLEDGE.json; cat {d}/SESSION_HANDOFFS/$(ls -t {d}/SESSION_HANDOFFS/ | head -1); grep -A5 pending_work {d}/UNIFIED_KNOWLEDGE.json",
            d = dir.display()
        );
        let base = time(30, || {
            let mut c = Command::new("sh");
            c.arg("-c").arg(&shell);
            c
        });
        row(
            &format!("seed's start-of-session shell commands ({label})"),
            &base,
            None,
        );
        let ctx = time(30, || baton(dir, &["context", "--no-health"]));
        row(
            &format!("`baton context --no-health` ({label})"),
            &ctx,
            Some(&base),
        );
        // The first read after the decision cache is lost (or baton never ran here): every
        // decision is read, and the cache is written.
        let cache = dir.join(".baton/decisions.cache");
        let cold = time(15, || {
            let _ = std::fs::remove_file(&cache);
            baton(dir, &["context", "--no-health"])
        });
        row(
            &format!("`baton context --no-health` ({label}), no decision cache"),
            &cold,
            Some(&base),
        );
    }

    // A process start, the lock, one appended line.
    let out = baton(&baton_dir, &["start", "--quiet", "--id", "bench-log"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = time(50, || {
        baton(
            &baton_dir,
            &[
                "--session",
                "bench-log",
                "log",
                "decision",
                "a decision worth keeping",
                "--why",
                "measured",
            ],
        )
    });
    row("`baton log decision`", &log, None);

    // `end` on the full history: each sample starts a session, logs, and times the end alone.
    let mut samples = Vec::new();
    for i in 0..15 {
        let id = format!("bench-end-{i}");
        assert!(
            baton(&baton_dir, &["start", "--quiet", "--id", &id])
                .output()
                .unwrap()
                .status
                .success()
        );
        assert!(
            baton(
                &baton_dir,
                &["--session", &id, "log", "decision", "ship it"]
            )
            .output()
            .unwrap()
            .status
            .success()
        );
        let mut c = baton(&baton_dir, &["--session", &id, "end", "--summary", "done"]);
        let start = Instant::now();
        let status = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        samples.push(start.elapsed());
        assert!(status.success());
    }
    row("`baton end`", &stats(samples), None);

    let startup = time(50, || {
        let mut c = Command::new(&bin);
        c.arg("--version");
        c
    });
    row("`baton --version` (process start)", &startup, None);
    let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    println!("\nRelease binary: {:.1} MB.", size as f64 / 1_048_576.0);

    dashboard(&bin, &baton_dir, n);
}

/// First frame and memory of the real dashboard, and the cost of frames over 25,000 decisions.
fn dashboard(bin: &Path, dir: &Path, n: usize) {
    println!("\n### Dashboard at {n} sessions\n");
    let mut firsts = Vec::new();
    let mut peak_kb = 0u64;
    for _ in 0..5 {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(bin);
        cmd.arg("--dir");
        cmd.arg(dir);
        cmd.env("TERM", "xterm-256color");
        let start = Instant::now();
        let mut child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let pid = child.process_id().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(40).unwrap(),
            NonZeroU16::new(120).unwrap(),
            0,
        )));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let p = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(k) = reader.read(&mut buf) {
                if k == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..k]);
            }
        });
        // The first frame that shows the data (not just the empty layout).
        while !parser
            .lock()
            .unwrap()
            .screen()
            .contents()
            .contains("_session_")
        {
            assert!(start.elapsed() < Duration::from_secs(20), "no first frame");
            std::thread::sleep(Duration::from_micros(200));
        }
        firsts.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        peak_kb = peak_kb.max(hwm);
        let _ = child.kill();
        let _ = child.wait();
    }
    let first = stats(firsts);
    println!("| measure | result |\n|---|---|");
    println!(
        "| first frame with data (process start → screen) | median {}, p90 {} |",
        ms(first.median),
        ms(first.p90)
    );
    println!(
        "| peak memory (VmHWM) | {:.1} MB |",
        peak_kb as f64 / 1024.0
    );

    // Frames over the whole decision timeline, in-process: update + draw per key.
    let board = load_board(&Store::open(dir).unwrap()).unwrap();
    let decisions = board.decisions.len();
    let mut app = App::new(
        dir.to_path_buf(),
        chrono::Utc::now(),
        120,
        40,
        Theme { color: true },
    );
    app.update(Action::Loaded(Box::new(Ok::<Board, String>(board))));
    app.on_command(UiCommand::Focus(baton::tui::pane::Pane::Decisions));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let mut frames = Vec::new();
    for i in 0..400 {
        let command = if i % 50 == 49 {
            UiCommand::PageDown
        } else {
            UiCommand::Down
        };
        let start = Instant::now();
        app.on_command(command);
        terminal.draw(|f| baton::tui::ui::render(&app, f)).unwrap();
        frames.push(start.elapsed());
    }
    let f = stats(frames);
    println!(
        "| moving through {decisions} decisions (update + full frame) | median {}, p90 {} |",
        ms(f.median),
        ms(f.p90)
    );
}
