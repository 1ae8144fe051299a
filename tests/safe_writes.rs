//! DESIGN.md's write rules, shown with real processes: parallel writers lose nothing, a
//! writer killed with SIGKILL at any moment leaves every file parseable (old or new content,
//! never half of each) and no lock held, a reader never sees a half-written file, a lock held
//! too long gives a clear error, and ids that would escape the directory are refused.
//!
//! Where the test needs many writes inside one process (16 processes × 100 decisions), it
//! re-runs its own test binary as a worker process (see [`worker_process`]) that calls the
//! same `Store` functions the `baton` binary calls; everything else drives `baton` itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use baton::domain::events::EventKind;
use baton::domain::items::Decision;
use baton::domain::json_doc::{Doc, parse_log};
use baton::domain::problem::Severity;
use baton::store::Store;
use baton::store::layout::Layout;
use baton::store::ops::{EndRequest, StartRequest};
use baton::store::read::read_knowledge;
use serde_json::Value;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

/// A fresh sessions directory (`<tmp>/sessions`, made by `baton init`) inside a temp dir
/// whose other contents show whether anything escaped.
struct Sessions {
    tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Sessions {
    fn new() -> Sessions {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("sessions");
        let s = Sessions { tmp, dir };
        s.ok(&["init"]);
        s
    }

    /// `baton --dir DIR ARGS`, with nothing from the environment aiming it elsewhere.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BATON);
        c.current_dir(self.tmp.path())
            .env_remove("BATON_DIR")
            .env_remove("BATON_SESSION")
            .env_remove("BATON_NOW")
            .env("BATON_LOCK_TIMEOUT_MS", "20000")
            .arg("--dir")
            .arg(&self.dir)
            .args(args)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        run_bounded(self.cmd(args))
    }

    /// Runs and insists on success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "baton {args:?} failed: exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn knowledge(&self) -> Value {
        let text = fs::read_to_string(self.path("UNIFIED_KNOWLEDGE.json")).expect("KB exists");
        serde_json::from_str(&text).expect("KB parses")
    }

    /// Starts a session through the library (the same code `baton start` runs): cheap
    /// set-up for tests whose subject is something else.
    fn start_in_process(&self, id: &str) {
        let store = Store::open(&self.dir).expect("store opens");
        store
            .start(
                StartRequest {
                    goal: format!("goal of {id}"),
                    id: Some(id.to_string()),
                    ..StartRequest::default()
                },
                chrono::Utc::now(),
            )
            .expect("start");
    }

    fn end_in_process(&self, id: &str) {
        let store = Store::open(&self.dir).expect("store opens");
        let session = store.select_session(Some(id)).expect("session");
        let outcome = store
            .end(Some(&session), EndRequest::default(), chrono::Utc::now())
            .expect("end");
        assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    }

    fn log_in_process(&self, id: &str, decision: &str) {
        let store = Store::open(&self.dir).expect("store opens");
        let session = store.select_session(Some(id)).expect("session");
        store
            .log(
                &session,
                EventKind::Decision {
                    decision: Decision::new(decision),
                },
                chrono::Utc::now(),
            )
            .expect("log");
    }
}

/// Spawns, retrying for a few seconds while the binary is missing or busy: on a machine
/// where others run `cargo build` in the same target directory, it is briefly absent while
/// being relinked.
fn spawn(cmd: &mut Command) -> std::process::Child {
    let start = Instant::now();
    loop {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e)
                if (e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(26))
                    && start.elapsed() < Duration::from_secs(20) =>
            {
                thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("spawn {cmd:?}: {e}"),
        }
    }
}

/// Runs a command to completion, killing it (and failing) if it hangs for a minute.
fn run_bounded(mut cmd: Command) -> Output {
    let child = spawn(cmd.stdout(Stdio::piped()).stderr(Stdio::piped()));
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::SeqCst) {
                if start.elapsed() > Duration::from_secs(60) {
                    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                    return true;
                }
                thread::sleep(Duration::from_millis(20));
            }
            false
        })
    };
    let out = child.wait_with_output().expect("wait");
    done.store(true, Ordering::SeqCst);
    assert!(
        !watchdog.join().unwrap(),
        "process {pid} hung and was killed"
    );
    out
}

/// The decision texts of a JSON-lines log (or KB list), with how often each occurs.
fn counts<'a>(texts: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for t in texts {
        *map.entry(t.to_string()).or_insert(0) += 1;
    }
    map
}

fn log_values(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let log = parse_log(&path.display().to_string(), &text);
    log.records.into_iter().map(|r| r.value).collect()
}

fn decision_counts_in_log(path: &Path) -> BTreeMap<String, usize> {
    let values = log_values(path);
    counts(values.iter().filter_map(|v| v["decision"].as_str()))
}

fn decision_counts_in_kb(kb: &Value) -> BTreeMap<String, usize> {
    let list = kb["core_decisions"].as_array().cloned().unwrap_or_default();
    let texts: Vec<String> = list
        .iter()
        .filter_map(|v| v["decision"].as_str().map(str::to_string))
        .collect();
    counts(texts.iter().map(String::as_str))
}

/// Every file in the directory parses: JSON documents whole, JSON-lines logs line by line
/// with at most a torn last line (a warning, as baton reads it), handoffs as UTF-8 text.
fn assert_all_parse(dir: &Path, context: &str) {
    let layout = Layout::new(dir);
    let kb = read_knowledge(&layout).expect("KB readable");
    match kb.doc {
        Some(Doc::Ok(_)) => {}
        other => panic!("{context}: knowledge base does not parse: {other:?}"),
    }
    for sub in ["SESSION_LOGS", ".baton/unmerged"] {
        for entry in fs::read_dir(dir.join(sub)).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(".baton-tmp-") {
                continue;
            }
            let text = fs::read_to_string(entry.path())
                .unwrap_or_else(|e| panic!("{context}: {sub}/{name}: {e}"));
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{context}: {sub}/{name} does not parse: {e}"));
            assert!(v.is_object(), "{context}: {sub}/{name} is not an object");
        }
    }
    let mut logs: Vec<PathBuf> = [
        "DECISIONS_LOG.json",
        "CODE_REGISTRY.json",
        "INSIGHTS_DB.json",
    ]
    .iter()
    .map(|n| dir.join(n))
    .collect();
    logs.extend(
        fs::read_dir(dir.join("ACTIVE_SESSIONS"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl")),
    );
    for path in logs {
        let Ok(bytes) = fs::read(&path) else { continue };
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|_| panic!("{context}: {} is not UTF-8", path.display()));
        let log = parse_log(&path.display().to_string(), &text);
        for p in &log.problems {
            assert_eq!(
                p.severity,
                Severity::Warning,
                "{context}: {} has a bad line: {p}",
                path.display()
            );
        }
        assert!(
            log.problems.len() <= 1,
            "{context}: {} has several torn lines",
            path.display()
        );
    }
    for entry in fs::read_dir(dir.join("SESSION_HANDOFFS"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(".baton-tmp-") {
            continue;
        }
        let text = fs::read_to_string(entry.path())
            .unwrap_or_else(|e| panic!("{context}: handoff {name}: {e}"));
        assert!(
            text.starts_with("# Session Handoff"),
            "{context}: handoff {name} is incomplete: {text:?}"
        );
    }
}

/// The directory lock can be taken within `wait` (a killed writer's lock is released by
/// the OS; a child it was forking may hold the descriptor for a moment until it `exec`s).
/// Returns whether it had to wait at all.
fn assert_lock_free(dir: &Path, wait: Duration, context: &str) -> bool {
    let path = dir.join(".baton/lock");
    let Ok(file) = File::options().read(true).write(true).open(&path) else {
        return false; // never taken yet
    };
    let start = Instant::now();
    let mut waited = false;
    loop {
        match file.try_lock() {
            Ok(()) => {
                file.unlock().expect("unlock");
                return waited;
            }
            Err(e) if start.elapsed() > wait => {
                panic!(
                    "{context}: the lock is still held {wait:?} after the writer died: {e}; holders: {:?}",
                    holders(&path)
                )
            }
            Err(_) => {
                waited = true;
                thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// Processes with `path` open (Linux /proc), for a failure message.
fn holders(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for proc_entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let fd_dir = proc_entry.path().join("fd");
        for fd in fs::read_dir(&fd_dir).into_iter().flatten().flatten() {
            if fs::read_link(fd.path()).is_ok_and(|t| t == path) {
                let cmdline = fs::read(proc_entry.path().join("cmdline")).unwrap_or_default();
                out.push(format!(
                    "{}: {}",
                    proc_entry.file_name().to_string_lossy(),
                    String::from_utf8_lossy(&cmdline).replace('\0', " ")
                ));
            }
        }
    }
    out
}

/// A small xorshift generator seeded from the clock (no crate needed).
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed = nanos ^ (Instant::now().elapsed().as_nanos() as u64) ^ 0x9E37_79B9_7F4A_7C15;
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ---------------------------------------------------------------------------------------
// A worker process: this test binary run again with BATON_TEST_WORKER set.

const WORKER_ENV: &str = "BATON_TEST_WORKER";

/// Not a test of its own: the body of a worker process. With `BATON_TEST_WORKER` set to
/// `DIR\tSESSION\tPREFIX\tCOUNT`, logs COUNT decisions `PREFIX-N` into SESSION through the
/// same `Store` calls as `baton log decision`, each one taking and releasing the lock.
#[test]
fn worker_process() {
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('\t').collect();
    let [dir, session, prefix, count] = parts[..] else {
        panic!("bad worker spec {spec:?}");
    };
    let count: usize = count.parse().expect("count");
    for j in 0..count {
        let store = Store::open(dir).expect("store opens");
        let s = store.select_session(Some(session)).expect("session");
        store
            .log(
                &s,
                EventKind::Decision {
                    decision: Decision::new(format!("{prefix}-{j:03}")),
                },
                chrono::Utc::now(),
            )
            .expect("log");
    }
}

fn spawn_worker(dir: &Path, session: &str, prefix: &str, count: usize) -> std::process::Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "worker_process",
            "--test-threads",
            "1",
            "--quiet",
        ])
        .env(
            WORKER_ENV,
            format!("{}\t{session}\t{prefix}\t{count}", dir.display()),
        )
        .env("BATON_LOCK_TIMEOUT_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker spawns")
}

// ---------------------------------------------------------------------------------------

#[test]
fn sixteen_processes_logging_100_decisions_each_lose_nothing() {
    let s = Sessions::new();
    s.ok(&["start", "--id", "shared", "-q"]);
    let workers: Vec<_> = (0..16)
        .map(|w| spawn_worker(&s.dir, "shared", &format!("w{w:02}"), 100))
        .collect();
    for (w, child) in workers.into_iter().enumerate() {
        let out = child.wait_with_output().expect("worker ends");
        assert!(
            out.status.success(),
            "worker {w} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_all_parse(&s.dir, "after 16 workers");
    let events = s.path("ACTIVE_SESSIONS/shared.jsonl");
    let values = log_values(&events);
    assert_eq!(values.len(), 1 + 16 * 100, "start + every decision");
    let logged = counts(values.iter().filter_map(|v| v["decision"].as_str()));
    let expected: BTreeSet<String> = (0..16)
        .flat_map(|w| (0..100).map(move |j| format!("w{w:02}-{j:03}")))
        .collect();
    assert_eq!(logged.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(logged.values().all(|&n| n == 1), "an entry appears twice");

    // Ending merges all of them, once.
    s.ok(&["end", "--summary", "many writers"]);
    assert_all_parse(&s.dir, "after end");
    let kb = s.knowledge();
    let in_kb = decision_counts_in_kb(&kb);
    assert_eq!(in_kb.len(), 1600);
    assert!(in_kb.values().all(|&n| n == 1));
    let in_log = decision_counts_in_log(&s.path("DECISIONS_LOG.json"));
    assert_eq!(in_log.len(), 1600);
    assert!(in_log.values().all(|&n| n == 1));
}

#[test]
fn sixteen_baton_log_processes_at_once_lose_nothing() {
    let s = Arc::new(Sessions::new());
    s.ok(&["start", "--id", "cli", "-q"]);
    let per_thread = 6;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let s = s.clone();
            thread::spawn(move || {
                for j in 0..per_thread {
                    let text = format!("t{t:02}-{j}");
                    s.ok(&["--session", "cli", "log", "decision", &text]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_all_parse(&s.dir, "after parallel baton log");
    let logged = counts(
        log_values(&s.path("ACTIVE_SESSIONS/cli.jsonl"))
            .iter()
            .filter_map(|v| v["decision"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    assert_eq!(logged.len(), 16 * per_thread);
    assert!(logged.values().all(|&n| n == 1));
}

#[test]
fn eight_parallel_sessions_logging_and_ending_at_once_merge_everything_once() {
    let s = Arc::new(Sessions::new());
    let per_session = 12;
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|k| {
            let s = s.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                let id = format!("p{k}");
                s.ok(&["start", "--id", &id, "-q", "--goal", &format!("stream {k}")]);
                barrier.wait();
                for j in 0..per_session {
                    s.ok(&[
                        "--session",
                        &id,
                        "log",
                        "decision",
                        &format!("{id}-d{j:02}"),
                    ]);
                }
                s.ok(&["--session", &id, "log", "next", &format!("{id} follow-up")]);
                barrier.wait();
                s.ok(&["--session", &id, "end", "--summary", &format!("{id} done")]);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_all_parse(&s.dir, "after 8 ends");
    let kb = s.knowledge();
    assert_eq!(kb["total_sessions"], 8);
    let expected: BTreeSet<String> = (0..8)
        .flat_map(|k| (0..per_session).map(move |j| format!("p{k}-d{j:02}")))
        .collect();
    let in_kb = decision_counts_in_kb(&kb);
    assert_eq!(in_kb.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(in_kb.values().all(|&n| n == 1), "{in_kb:?}");
    let in_log = decision_counts_in_log(&s.path("DECISIONS_LOG.json"));
    assert_eq!(in_log.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(in_log.values().all(|&n| n == 1), "{in_log:?}");
    let pending: Vec<String> = kb["pending_work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["task"].as_str().unwrap_or_default().to_string())
        .collect();
    for k in 0..8 {
        assert!(pending.contains(&format!("p{k} follow-up")), "{pending:?}");
        assert!(s.path(&format!("SESSION_LOGS/p{k}.json")).is_file());
    }
    assert_eq!(fs::read_dir(s.path("ACTIVE_SESSIONS")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(s.path("SESSION_HANDOFFS")).unwrap().count(), 8);
    let out = s.run(&["validate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate after parallel ends:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// How the state looked right after a kill, for the summary.
#[derive(Debug, Default)]
struct KillStats {
    finished_before_kill: usize,
    nothing_written: usize,
    marker_only: usize,
    archived_unmerged: usize,
    merged: usize,
    log_landed: usize,
    log_lost: usize,
    torn_lines: usize,
    lock_briefly_held: usize,
}

#[test]
fn sigkill_at_random_moments_leaves_every_file_whole_and_no_lock_held() {
    let iterations: usize = std::env::var("BATON_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let s = Sessions::new();
    let started = Instant::now();

    // How long an uninterrupted `end` takes here: kills are spread over that span (and a
    // bit past it), so they land before, during and after the writes.
    let calibrate = Sessions::new();
    let mut took: Vec<u64> = (0..3)
        .map(|k| {
            let id = format!("cal{k}");
            calibrate.start_in_process(&id);
            calibrate.log_in_process(&id, "calibrate");
            let t0 = Instant::now();
            calibrate.ok(&["--session", &id, "end"]);
            t0.elapsed().as_micros() as u64
        })
        .collect();
    took.sort_unstable();
    let span_us = took[1].max(15_000);

    let mut rng = Rng::seeded();
    let mut stats = KillStats::default();
    for i in 0..iterations {
        let id = format!("c{i:03}");
        let ctx = format!("iteration {i} ({id})");
        s.start_in_process(&id);
        // The "following `baton log` succeeds promptly" check for the previous kill.
        // Every 4th time through `baton log` with a short lock timeout: the "a following
        // `baton log` succeeds promptly" check for the previous kill.
        if i % 4 == 1 {
            let out = s.run_with_timeout_ms(
                &[
                    "--session",
                    &id,
                    "log",
                    "decision",
                    &format!("{id} keep"),
                    "--why",
                    "crash test",
                ],
                2000,
            );
            assert!(
                out.status.success(),
                "{ctx}: log after a kill failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            s.log_in_process(&id, &format!("{id} keep"));
        }
        s.log_in_process(&id, &format!("{id} second"));
        let kb_before = fs::read(s.path("UNIFIED_KNOWLEDGE.json")).expect("KB");
        let total_before = i as u64;

        let killing_end = i % 4 != 0;
        let mut cmd = if killing_end {
            s.cmd(&[
                "--session",
                &id,
                "end",
                "--summary",
                &format!("{id} ended"),
                "--notes",
                "next: carry on",
            ])
        } else {
            s.cmd(&["--session", &id, "log", "decision", &format!("{id} maybe")])
        };
        let mut child = spawn(cmd.stdout(Stdio::null()).stderr(Stdio::null()));
        thread::sleep(Duration::from_micros(rng.below(span_us)));
        if child.try_wait().expect("try_wait").is_some() {
            stats.finished_before_kill += 1;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");

        // Right after the kill: every file whole, the knowledge base old or new, no lock.
        assert_all_parse(&s.dir, &ctx);
        if assert_lock_free(&s.dir, Duration::from_secs(2), &ctx) {
            stats.lock_briefly_held += 1;
            eprintln!(
                "{ctx}: lock briefly held after the kill; holders now: {:?}",
                holders(&s.path(".baton/lock"))
            );
        }
        let kb_after = fs::read(s.path("UNIFIED_KNOWLEDGE.json")).expect("KB");
        let kb: Value = serde_json::from_slice(&kb_after).expect("KB parses");
        if kb_after != kb_before {
            assert_eq!(
                kb["total_sessions"],
                total_before + 1,
                "{ctx}: KB is neither old nor new"
            );
            assert_eq!(kb["last_merged_session"], id.as_str(), "{ctx}");
        }
        let archived = s.path(&format!("SESSION_LOGS/{id}.json")).exists();
        let marker = s.path(&format!(".baton/unmerged/{id}")).exists();
        if killing_end {
            match (archived, marker) {
                (false, false) => stats.nothing_written += 1,
                (false, true) => stats.marker_only += 1,
                (true, true) => stats.archived_unmerged += 1,
                (true, false) => stats.merged += 1,
            }
        } else {
            let events = log_values(&s.path(&format!("ACTIVE_SESSIONS/{id}.jsonl")));
            let n = events
                .iter()
                .filter(|v| v["decision"] == format!("{id} maybe").as_str())
                .count();
            assert!(n <= 1, "{ctx}: a killed log wrote its entry {n} times");
            if n == 1 {
                stats.log_landed += 1;
            } else {
                stats.log_lost += 1;
            }
        }
        for name in [
            "DECISIONS_LOG.json",
            "CODE_REGISTRY.json",
            "INSIGHTS_DB.json",
        ] {
            let text = fs::read_to_string(s.path(name)).unwrap_or_default();
            if !text.is_empty() && !text.ends_with('\n') {
                stats.torn_lines += 1;
            }
        }

        // Recovery: `baton merge` finishes an interrupted end; a session the kill stopped
        // before it was archived is ended again.
        let out = s.run_with_timeout_ms(&["merge"], 2000);
        assert!(
            out.status.success(),
            "{ctx}: merge failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !s.path(&format!("SESSION_LOGS/{id}.json")).exists() {
            s.end_in_process(&id);
        }

        // The session is counted once and its decisions are in once.
        let kb = s.knowledge();
        assert_eq!(
            kb["total_sessions"],
            total_before + 1,
            "{ctx}: counted wrongly"
        );
        let in_kb = decision_counts_in_kb(&kb);
        let in_log = decision_counts_in_log(&s.path("DECISIONS_LOG.json"));
        for text in [format!("{id} keep"), format!("{id} second")] {
            assert_eq!(in_kb.get(&text), Some(&1), "{ctx}: {text:?} in the KB");
            assert_eq!(
                in_log.get(&text),
                Some(&1),
                "{ctx}: {text:?} in DECISIONS_LOG"
            );
        }
        let maybe = format!("{id} maybe");
        assert!(in_kb.get(&maybe).copied().unwrap_or(0) <= 1, "{ctx}");
        assert_eq!(
            in_kb.get(&maybe).copied().unwrap_or(0),
            in_log.get(&maybe).copied().unwrap_or(0),
            "{ctx}: the KB and DECISIONS_LOG disagree"
        );
        let archive: Value = serde_json::from_str(
            &fs::read_to_string(s.path(&format!("SESSION_LOGS/{id}.json"))).unwrap(),
        )
        .unwrap();
        let handoff = archive["handoff_file"].as_str().expect("handoff named");
        assert!(
            s.path(&format!("SESSION_HANDOFFS/{handoff}")).is_file(),
            "{ctx}: the handoff {handoff} was never written"
        );
        assert!(
            !s.path(&format!("ACTIVE_SESSIONS/{id}.jsonl")).exists(),
            "{ctx}"
        );
        let left: Vec<String> = fs::read_dir(s.path(".baton/unmerged"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.contains(".baton-tmp-"))
            .collect();
        assert!(left.is_empty(), "{ctx}: merges left: {left:?}");
    }
    // The last kill too is followed by a successful log.
    s.start_in_process("after");
    let out = s.run_with_timeout_ms(&["--session", "after", "log", "decision", "fine"], 2000);
    assert!(out.status.success());
    assert_all_parse(&s.dir, "at the end");
    let out = s.run(&["validate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate after the crash loop:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    eprintln!(
        "crash test: {iterations} SIGKILLs in {:.1} s (kill delay 0-{} ms): {stats:?}",
        started.elapsed().as_secs_f64(),
        span_us / 1000
    );
}

impl Sessions {
    fn run_with_timeout_ms(&self, args: &[&str], lock_ms: u64) -> Output {
        let mut c = self.cmd(args);
        c.env("BATON_LOCK_TIMEOUT_MS", lock_ms.to_string());
        run_bounded(c)
    }
}

#[test]
fn a_reader_in_a_tight_loop_never_sees_an_invalid_knowledge_base_during_100_ends() {
    let s = Arc::new(Sessions::new());
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let bad: Arc<Mutex<Vec<String>>> = Arc::default();
    let reader = {
        let (dir, stop, reads, bad) = (s.dir.clone(), stop.clone(), reads.clone(), bad.clone());
        thread::spawn(move || {
            let layout = Layout::new(&dir);
            let kb = layout.knowledge();
            while !stop.load(Ordering::SeqCst) {
                // Raw bytes, parsed strictly…
                match fs::read(&kb) {
                    Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                        Ok(Value::Object(_)) => {}
                        Ok(other) => bad.lock().unwrap().push(format!("not an object: {other}")),
                        Err(e) => bad
                            .lock()
                            .unwrap()
                            .push(format!("{e}: {} bytes", bytes.len())),
                    },
                    Err(e) => bad.lock().unwrap().push(format!("read failed: {e}")),
                }
                // …and through baton's own reader.
                match read_knowledge(&layout) {
                    Ok(k) if matches!(k.doc, Some(Doc::Ok(_))) && k.problems.is_empty() => {}
                    Ok(k) => bad
                        .lock()
                        .unwrap()
                        .push(format!("baton read: {:?}", k.problems)),
                    Err(e) => bad.lock().unwrap().push(format!("baton read failed: {e}")),
                }
                reads.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let streams = 2;
    let per_stream = 50;
    let writers: Vec<_> = (0..streams)
        .map(|t| {
            let s = s.clone();
            thread::spawn(move || {
                for k in 0..per_stream {
                    let id = format!("r{t}-{k:02}");
                    s.start_in_process(&id);
                    s.log_in_process(&id, &format!("{id} decided"));
                    s.ok(&["--session", &id, "end", "--summary", "reader test"]);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    stop.store(true, Ordering::SeqCst);
    reader.join().expect("reader");
    let bad = bad.lock().unwrap();
    assert!(
        bad.is_empty(),
        "the reader saw {} bad reads: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
    assert!(reads.load(Ordering::SeqCst) > 0);
    let kb = s.knowledge();
    assert_eq!(kb["total_sessions"], streams * per_stream);
    assert_eq!(decision_counts_in_kb(&kb).len(), streams * per_stream);
    eprintln!(
        "reader test: {} reads during {} ends, none invalid",
        reads.load(Ordering::SeqCst),
        streams * per_stream
    );
}

#[test]
fn a_lock_held_too_long_fails_clearly_naming_the_lock() {
    let s = Sessions::new();
    s.ok(&["start", "--id", "held", "-q"]);
    let lock_path = s.path(".baton/lock");
    let lock = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .unwrap();
    lock.lock().expect("test takes the lock");

    let mut cmd = s.cmd(&["--session", "held", "log", "decision", "blocked"]);
    cmd.env("BATON_LOCK_TIMEOUT_MS", "300");
    let out = run_bounded(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().expect("exited, not killed");
    assert!(
        !matches!(code, 0..=2),
        "a lock timeout is an unexpected failure (>2), got {code}: {stderr}"
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(".baton/lock"), "{stderr}");
    assert!(stderr.contains("another baton process"), "{stderr}");
    assert!(stderr.contains("BATON_LOCK_TIMEOUT_MS"), "{stderr}");
    let events = fs::read_to_string(s.path("ACTIVE_SESSIONS/held.jsonl")).unwrap();
    assert!(
        !events.contains("blocked"),
        "nothing written while locked out"
    );

    // `end` and `start` wait for the same lock.
    for args in [
        vec!["--session", "held", "end"],
        vec!["start", "--id", "other", "-q"],
    ] {
        let mut cmd = s.cmd(&args);
        cmd.env("BATON_LOCK_TIMEOUT_MS", "300");
        let out = run_bounded(cmd);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
    }
    assert!(!s.path("SESSION_LOGS/held.json").exists());

    // Released: the same command goes through, once.
    lock.unlock().unwrap();
    drop(lock);
    s.ok(&["--session", "held", "log", "decision", "blocked"]);
    let events = fs::read_to_string(s.path("ACTIVE_SESSIONS/held.jsonl")).unwrap();
    assert_eq!(events.matches("blocked").count(), 1);
}

/// Every file under `root` with its content (the lock file's content excluded: it names
/// the last process that held it).
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                out.insert(p.clone(), Vec::new());
                stack.push(p);
            } else {
                let content = if p.ends_with(".baton/lock") {
                    Vec::new()
                } else {
                    fs::read(&p).unwrap_or_default()
                };
                out.insert(p, content);
            }
        }
    }
    out
}

#[test]
fn ids_that_would_escape_the_directory_are_refused_with_exit_2() {
    let s = Sessions::new();
    s.ok(&["start", "--id", "good", "-q"]);
    s.ok(&["--session", "good", "log", "decision", "fine"]);
    let before = tree(s.tmp.path());

    let bad_ids = [
        "../escape",
        "../../escape",
        "a/b",
        "/tmp/escape",
        "..",
        ".hidden",
        "a\\b",
        "tab\there",
        "line\nbreak",
        "bell\u{7}",
    ];
    for id in bad_ids {
        // --id on start
        let out = s.run(&["start", "--id", id, "-q"]);
        assert_eq!(out.status.code(), Some(2), "start --id {id:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("session id"),
            "start --id {id:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // --session on log and end
        for args in [
            vec!["--session", id, "log", "decision", "x"],
            vec!["--session", id, "end"],
        ] {
            let out = s.run(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
        }
        // BATON_SESSION
        let mut cmd = s.cmd(&["log", "decision", "x"]);
        cmd.env("BATON_SESSION", id);
        let out = run_bounded(cmd);
        assert_eq!(out.status.code(), Some(2), "BATON_SESSION={id:?}");
    }

    // A NUL cannot even be passed in an argument or the environment: the OS refuses.
    assert!(s.cmd(&["start", "--id", "a\0b"]).output().is_err());
    let mut cmd = s.cmd(&["log", "decision", "x"]);
    cmd.env("BATON_SESSION", "a\0b");
    assert!(cmd.output().is_err());
    let after = tree(s.tmp.path());
    let added: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    let removed: Vec<&PathBuf> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(added.is_empty(), "created: {added:?}");
    assert!(removed.is_empty(), "removed: {removed:?}");
    let changed: Vec<&PathBuf> = before
        .iter()
        .filter(|(p, c)| after.get(*p) != Some(c))
        .map(|(p, _)| p)
        .collect();
    assert!(changed.is_empty(), "changed: {changed:?}");
    // Nothing named after the bad ids appeared anywhere around the directory.
    assert!(!s.tmp.path().join("escape").exists());
    assert!(!s.tmp.path().join("escape.json").exists());
    assert!(!Path::new("/tmp/escape.jsonl").exists());
}

#[test]
fn end_from_json_with_an_unsafe_session_id_is_refused_with_exit_2() {
    // No active session, so `end --from` takes the session id from the JSON, which (unlike
    // an argument or the environment) can even carry a NUL.
    let s = Sessions::new();
    s.ok(&["start", "--id", "done", "-q"]);
    s.ok(&["end"]);
    let from = s.tmp.path().join("from.json");
    for id in [
        "a\u{0}b",
        "../escape",
        "x/../../escape",
        "/tmp/escape",
        "..",
        "a\nb",
    ] {
        let json =
            serde_json::json!({"session_id": id, "primary_goal": "g", "decisions_made": ["d"]});
        fs::write(&from, json.to_string()).unwrap();
        let before = tree(s.tmp.path());
        let out = s.run(&["end", "--from", from.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "end --from with session_id {id:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("session id"));
        let after = tree(s.tmp.path());
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{id:?}: files created or removed"
        );
        assert!(
            before.iter().all(|(p, c)| after.get(p) == Some(c)),
            "{id:?}: a file changed"
        );
    }
    assert!(!s.tmp.path().join("escape.json").exists());
    assert!(!Path::new("/tmp/escape.json").exists());
}

/// The state a SIGKILL can leave mid-`end` (archive written; handoff not yet; the logs half
/// appended; the knowledge base not merged), rebuilt deterministically: `baton merge`
/// finishes it with every line once and the handoff written.
#[test]
fn merge_finishes_an_end_killed_half_way_through_its_appends_exactly_once() {
    let s = Sessions::new();
    s.ok(&["start", "--id", "s0", "-q"]);
    s.ok(&["log", "decision", "earlier decision"]);
    s.ok(&["log", "insight", "earlier insight"]);
    s.ok(&["end"]);
    s.ok(&["start", "--id", "s1", "-q"]);
    for d in ["first", "second", "third"] {
        s.ok(&["log", "decision", d]);
    }
    s.ok(&["log", "insight", "an insight"]);
    s.ok(&["log", "next", "a next step"]);
    let logs = [
        "DECISIONS_LOG.json",
        "CODE_REGISTRY.json",
        "INSIGHTS_DB.json",
        "INSIGHTS.log",
        "CODE_CHANGES.log",
    ];
    let size = |name: &str| fs::metadata(s.path(name)).map_or(0, |m| m.len());
    let offsets: serde_json::Map<String, Value> = logs
        .iter()
        .map(|n| (n.to_string(), size(n).into()))
        .collect();
    let kb_before = fs::read(s.path("UNIFIED_KNOWLEDGE.json")).unwrap();
    s.ok(&["end", "--summary", "finished"]);
    let handoff_name = fs::read_dir(s.path("SESSION_HANDOFFS"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.contains("s1"))
        .expect("handoff of s1");
    let handoff_text =
        fs::read_to_string(s.path(&format!("SESSION_HANDOFFS/{handoff_name}"))).unwrap();
    let full_decisions = fs::read_to_string(s.path("DECISIONS_LOG.json")).unwrap();

    // Rewind to "killed after the first of s1's decision lines".
    let off = offsets["DECISIONS_LOG.json"].as_u64().unwrap() as usize;
    let first_line_end = off + full_decisions[off..].find('\n').unwrap() + 1;
    fs::write(
        s.path("DECISIONS_LOG.json"),
        &full_decisions[..first_line_end],
    )
    .unwrap();
    for name in &logs[1..] {
        let bytes = fs::read(s.path(name)).unwrap_or_default();
        let keep = offsets[*name].as_u64().unwrap() as usize;
        fs::write(s.path(name), &bytes[..keep.min(bytes.len())]).unwrap();
    }
    fs::remove_file(s.path(&format!("SESSION_HANDOFFS/{handoff_name}"))).unwrap();
    fs::write(s.path("UNIFIED_KNOWLEDGE.json"), &kb_before).unwrap();
    fs::write(
        s.path(".baton/unmerged/s1"),
        serde_json::json!({"logs": false, "offsets": offsets}).to_string(),
    )
    .unwrap();

    assert_eq!(s.ok(&["merge"]), "merged s1\n");
    let in_log = decision_counts_in_log(&s.path("DECISIONS_LOG.json"));
    for d in ["earlier decision", "first", "second", "third"] {
        assert_eq!(in_log.get(d), Some(&1), "{d} in DECISIONS_LOG: {in_log:?}");
    }
    assert_eq!(
        fs::read_to_string(s.path("DECISIONS_LOG.json")).unwrap(),
        full_decisions
    );
    let insights = fs::read_to_string(s.path("INSIGHTS.log")).unwrap();
    assert_eq!(
        insights.matches("Insight: an insight").count(),
        1,
        "{insights}"
    );
    let kb = s.knowledge();
    assert_eq!(kb["total_sessions"], 2);
    assert_eq!(decision_counts_in_kb(&kb).values().sum::<usize>(), 4);
    assert_eq!(
        fs::read_to_string(s.path(&format!("SESSION_HANDOFFS/{handoff_name}"))).unwrap(),
        handoff_text,
        "the handoff is written as `end` would have"
    );
    // Running it again changes nothing.
    assert_eq!(s.ok(&["merge"]), "");
    assert_eq!(
        fs::read_to_string(s.path("DECISIONS_LOG.json")).unwrap(),
        full_decisions
    );
}
