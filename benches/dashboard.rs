//! Dashboard measurements (issue: idle cost and watch-to-screen delay), run with
//! `cargo bench --bench dashboard`. Spawns the release binary in a pseudo-terminal on a
//! copy of the seed's examples and reports:
//! - CPU time (user+system, from /proc/PID/stat) used over 30 s with nothing happening;
//! - the delay from a handoff written on disk to the screen showing it (20 samples).
//!
//! Set BATON_BENCH_IDLE_SECS to shorten the idle window, and BATON_BENCH_SESSIONS=N to run on a
//! generated history of N sessions in the seed's layout instead (10,000: the size).

use std::io::Read;
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "baton"])
        .current_dir(root)
        .status()
        .expect("cargo");
    assert!(status.success());
    root.join("target/release/baton")
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    utime + stime
}

fn ticks_per_second() -> u64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok();
    out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

fn main() {
    let bin = binary();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    let sessions: usize = std::env::var("BATON_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let first_seen = if sessions > 0 {
        baton::store::generate::generate_seed_history(&dir, sessions).unwrap();
        println!("on a generated history of {sessions} sessions (seed layout)");
        "_session_"
    } else {
        std::fs::create_dir_all(dir.join("SESSION_HANDOFFS")).unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
        std::fs::copy(
            fixtures.join("UNIFIED_KNOWLEDGE.repaired.json"),
            dir.join("UNIFIED_KNOWLEDGE.json"),
        )
        .unwrap();
        std::fs::copy(
            fixtures.join("handoff_section3.md"),
            dir.join("SESSION_HANDOFFS/2025-11-15_session_1.md"),
        )
        .unwrap();
        "2025-11-15_session_1.md"
    };

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(&bin);
    cmd.arg("--dir");
    cmd.arg(&dir);
    cmd.env("TERM", "xterm-256color");
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
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.lock().unwrap().process(&buf[..n]);
        }
    });
    let wait_for = |what: &str| -> Duration {
        let start = Instant::now();
        while !parser.lock().unwrap().screen().contents().contains(what) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "never saw {what}"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        start.elapsed()
    };
    wait_for(first_seen);

    let idle_secs: u64 = std::env::var("BATON_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    // The whole history is read after the first frame; idle starts after that.
    std::thread::sleep(Duration::from_secs(if sessions > 0 { 3 } else { 1 }));
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(idle_secs));
    let used = cpu_ticks(pid) - before;
    let ms = used as f64 * 1000.0 / ticks_per_second() as f64;
    println!(
        "idle: {ms:.0} ms of CPU over {idle_secs} s ({:.3}% of one core)",
        ms / (idle_secs as f64 * 10.0)
    );

    let mut samples = Vec::new();
    for i in 0..20 {
        let name = format!("2099-12-{:02}_session_1.md", i + 1);
        std::fs::write(
            dir.join("SESSION_HANDOFFS").join(&name),
            format!("# Session Handoff\n\n## Quick Summary\nsample {i}\n"),
        )
        .unwrap();
        samples.push(wait_for(&name));
        std::thread::sleep(Duration::from_millis(150));
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "watch-to-screen: median {:.1} ms, p95 {:.1} ms, max {:.1} ms (20 handoffs written)",
        ms(samples[10]),
        ms(samples[18]),
        ms(samples[19])
    );
    let _ = child.kill();
}
