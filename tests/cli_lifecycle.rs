//! The session lifecycle through the real binary, on directories made from the seed.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn init_creates_the_layout_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    let first = stdout_of(baton_cmd().current_dir(tmp.path()).arg("init"));
    assert!(first.contains("UNIFIED_KNOWLEDGE.json"));
    for sub in [
        "SESSION_HANDOFFS",
        "SESSION_LOGS",
        "ACTIVE_SESSIONS",
        ".baton",
    ] {
        assert!(dir.join(sub).is_dir(), "{sub} missing");
    }
    std::fs::write(dir.join("UNIFIED_KNOWLEDGE.json"), "{\"mine\": true}").unwrap();
    let second = stdout_of(baton_cmd().current_dir(tmp.path()).arg("init"));
    assert_eq!(second, "", "nothing new to create");
    assert_eq!(
        std::fs::read_to_string(dir.join("UNIFIED_KNOWLEDGE.json")).unwrap(),
        "{\"mine\": true}"
    );
}

#[test]
fn directory_is_found_walking_up_and_from_env() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("docs/sessions")).unwrap();
    std::fs::create_dir_all(tmp.path().join("src/deep")).unwrap();
    let id = stdout_of(
        baton_cmd()
            .current_dir(tmp.path().join("src/deep"))
            .args(["start", "--quiet"]),
    );
    assert!(
        tmp.path()
            .join(format!("docs/sessions/ACTIVE_SESSIONS/{}.jsonl", id.trim()))
            .exists()
    );
    let other = tempfile::tempdir().unwrap();
    let id2 = stdout_of(
        baton_cmd()
            .current_dir(tmp.path())
            .env("BATON_DIR", other.path())
            .args(["start", "-q"]),
    );
    assert!(
        other
            .path()
            .join(format!("ACTIVE_SESSIONS/{}.jsonl", id2.trim()))
            .exists()
    );
}

#[test]
fn context_on_the_immediate_setup_directory() {
    let home = SeedHome::immediate_setup();
    let md = stdout_of(&mut home.baton(&["context"]));
    assert!(md.contains("**Knowledge:** 1 sessions"), "{md}");
    assert!(md.contains("- Deploy sovereign dashboard\n"), "{md}");
    assert!(
        md.contains("## Last handoff (2025-11-15_handoff.md)"),
        "{md}"
    );
    assert!(md.contains("Start Phase 1: Cost optimization"), "{md}");
    assert!(md.contains("- sovereign_ai: deployed"), "{md}");
    let json: Value = serde_json::from_str(&stdout_of(
        &mut home.baton(&["context", "--format", "json"]),
    ))
    .unwrap();
    assert_eq!(json["totals"]["sessions"], 1);
    assert_eq!(json["pending"][1]["task"], "Execute optimization strategy");
    assert_eq!(json["last_handoff"]["file"], "2025-11-15_handoff.md");
    assert_eq!(json["active_sessions"], serde_json::json!([]));
}

#[test]
fn context_on_the_seed_knowledge_base_as_printed_reports_the_place_and_shows_the_rest() {
    let home = SeedHome::empty();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.malformed.json"),
    );
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        &fixture_text("handoff_section3.md"),
    );
    let md = stdout_of(&mut home.baton(&["context"]));
    assert!(
        md.contains("UNIFIED_KNOWLEDGE.json:5:4: control character"),
        "{md}"
    );
    assert!(md.contains("**Knowledge:** 15 sessions, 45 hours"), "{md}");
    assert!(
        md.contains("- [high] Deploy sovereign dashboard — files ready, needs restart"),
        "{md}"
    );
    assert!(md.contains("Transition to sovereign AI"), "{md}");
    assert!(md.contains("Built complete sovereign AI system"), "{md}");
}

#[test]
fn echo_appended_logs_are_read_as_json_lines() {
    let home = SeedHome::immediate_setup();
    git(&home.project(), &["init", "-q"]);
    git(
        &home.project(),
        &["commit", "-q", "--allow-empty", "-m", "first"],
    );
    home.run_seed_script("during_session.sh");
    home.run_seed_script("during_session.sh");
    let decisions = home.read("DECISIONS_LOG.json");
    assert_eq!(decisions.lines().count(), 2);
    let json: Value = serde_json::from_str(&stdout_of(
        &mut home.baton(&["context", "--format", "json"]),
    ))
    .unwrap();
    // The seed's placeholder decision "..." is read (twice appended, shown once).
    assert_eq!(json["recent_decisions"][0]["decision"], "...");
    assert_eq!(json["problems"], serde_json::json!([]));
}

#[test]
fn round_trip_everything_logged_reaches_the_next_sessions_context() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    let run = |args: &[&str], now: &str| {
        stdout_of(
            baton_cmd()
                .current_dir(tmp.path())
                .env("BATON_NOW", now)
                .args(args),
        )
    };
    run(&["init"], "2025-11-20T09:00:00Z");
    let out = run(
        &[
            "start",
            "--goal",
            "Ship the API",
            "--template",
            "development",
        ],
        "2025-11-20T09:00:00Z",
    );
    let id = out.lines().next().unwrap().to_string();
    assert_eq!(id, "2025-11-20-001");
    assert!(
        out.contains("# Session context"),
        "start prints the context pack after the id"
    );
    run(
        &[
            "log",
            "decision",
            "Use Axum",
            "--why",
            "tower middleware",
            "--impact",
            "one stack",
        ],
        "2025-11-20T09:10:00Z",
    );
    run(
        &[
            "log",
            "insight",
            "Axum extractors order matters",
            "--practice",
        ],
        "2025-11-20T09:20:00Z",
    );
    run(
        &["log", "insight", "sqlx offline mode needs a prepared cache"],
        "2025-11-20T09:25:00Z",
    );
    run(
        &["log", "achievement", "Wrote the /health endpoint"],
        "2025-11-20T09:30:00Z",
    );
    run(
        &[
            "log",
            "blocker",
            "cargo build OOM",
            "--solution",
            "-j1",
            "--lesson",
            "watch memory",
        ],
        "2025-11-20T09:40:00Z",
    );
    run(
        &["log", "next", "Add rate limiting", "--priority", "high"],
        "2025-11-20T09:50:00Z",
    );
    run(
        &["log", "next", "Write API docs", "--priority", "low"],
        "2025-11-20T09:51:00Z",
    );
    run(
        &[
            "log",
            "code",
            "src/api/health.rs",
            "--note",
            "health endpoint",
        ],
        "2025-11-20T09:55:00Z",
    );
    let handoff = run(
        &[
            "end",
            "--summary",
            "Health endpoint live",
            "--notes",
            "Deploy is manual",
        ],
        "2025-11-20T11:30:00Z",
    );
    assert_eq!(
        handoff.trim(),
        dir.join("SESSION_HANDOFFS/2025-11-20_session_1.md")
            .display()
            .to_string()
    );

    let archive: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("SESSION_LOGS/2025-11-20-001.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(archive["duration_hours"], 2.5);
    assert_eq!(archive["ended_at"], "2025-11-20T11:30:00Z");
    assert_eq!(archive["template"], "development");
    assert_eq!(archive["as_of"]["total_sessions"], 1);
    assert!(!dir.join("ACTIVE_SESSIONS/2025-11-20-001.jsonl").exists());

    let kb: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("UNIFIED_KNOWLEDGE.json")).unwrap())
            .unwrap();
    assert_eq!(kb["total_sessions"], 1);
    assert_eq!(kb["total_hours"], 2.5);
    assert_eq!(kb["core_decisions"][0]["decision"], "Use Axum");
    assert_eq!(
        kb["best_practices"],
        serde_json::json!(["Axum extractors order matters"])
    );
    assert_eq!(kb["pending_work"][0]["task"], "Add rate limiting");

    let logs = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert!(logs("DECISIONS_LOG.json").contains("\"decision\":\"Use Axum\""));
    assert!(logs("CODE_REGISTRY.json").contains("\"path\":\"src/api/health.rs\""));
    assert_eq!(logs("INSIGHTS_DB.json").lines().count(), 2);
    assert!(logs("INSIGHTS.log").contains("Insight: sqlx offline mode needs a prepared cache"));

    // The next session sees all of it.
    let out = run(
        &["start", "--goal", "Rate limiting"],
        "2025-11-21T09:00:00Z",
    );
    assert!(out.starts_with("2025-11-21-001\n"));
    for expected in [
        "**Knowledge:** 1 sessions, 2.5 hours",
        "- [high] Add rate limiting",
        "- [low] Write API docs",
        "## Last handoff (2025-11-20_session_1.md)",
        "Health endpoint live",
        "Wrote the /health endpoint",
        "cargo build OOM",
        "Deploy is manual",
        "Use Axum — tower middleware (impact: one stack)",
        "- Axum extractors order matters",
        "2025-11-21-001 — Rate limiting",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn several_active_sessions_need_a_name() {
    let home = SeedHome::empty();
    stdout_of(&mut home.baton(&["start", "--id", "frontend", "-q"]));
    stdout_of(&mut home.baton(&["start", "--id", "backend", "-q"]));
    home.baton(&["log", "decision", "x"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("several sessions are active")
                .and(predicate::str::contains("frontend")),
        );
    home.baton(&["--session", "backend", "log", "decision", "REST"])
        .assert()
        .success();
    home.baton(&["log", "decision", "React"])
        .env("BATON_SESSION", "frontend")
        .assert()
        .success();
    assert!(home.read("ACTIVE_SESSIONS/backend.jsonl").contains("REST"));
    assert!(
        home.read("ACTIVE_SESSIONS/frontend.jsonl")
            .contains("React")
    );
}

/// A named session is read from its own file: a parallel session's file that cannot be read
/// (here: over the 256 MB read limit) does not stop it, while an unnamed command, which has to
/// look at every session, reports that file.
#[test]
fn a_named_session_does_not_read_the_others_files() {
    let home = SeedHome::empty();
    stdout_of(&mut home.baton(&["start", "--id", "frontend", "-q"]));
    stdout_of(&mut home.baton(&["start", "--id", "backend", "-q"]));
    let other = home.dir().join("ACTIVE_SESSIONS/frontend.jsonl");
    std::fs::File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_len(300 * 1024 * 1024)
        .unwrap();
    home.baton(&["--session", "backend", "log", "decision", "REST"])
        .assert()
        .success();
    assert!(home.read("ACTIVE_SESSIONS/backend.jsonl").contains("REST"));
    home.baton(&["log", "decision", "x"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("frontend.jsonl"));
}

#[test]
fn usage_errors_exit_2() {
    let home = SeedHome::empty();
    home.baton(&["log", "decision", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no active session"));
    home.baton(&["start", "--id", "../evil"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`..`"));
    home.baton(&["start", "--id", "a/b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("path separator"));
    home.baton(&["start", "--template", "party"])
        .assert()
        .code(2);
    stdout_of(&mut home.baton(&["start", "--id", "s1", "-q"]));
    home.baton(&["start", "--id", "s1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    home.baton(&["log", "next", "x", "--priority", "soon"])
        .assert()
        .code(2);
    home.baton(&["log", "decision", "  "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    assert!(!home.dir().join("../evil.jsonl").exists());
}

#[test]
fn seed_current_session_keeps_working_for_one_session_at_a_time() {
    let home = SeedHome::immediate_setup();
    // Section 1's record, still running (no end time yet).
    let mut record: Value = serde_json::from_str(&fixture_text("CURRENT_SESSION.json")).unwrap();
    let obj = record.as_object_mut().unwrap();
    obj.remove("ended_at");
    obj.remove("duration_hours");
    obj.insert("team_note".into(), Value::String("kept".into()));
    home.write(
        "CURRENT_SESSION.json",
        &serde_json::to_string_pretty(&record).unwrap(),
    );

    home.baton(&["log", "decision", "Keep CURRENT_SESSION.json"])
        .env("BATON_NOW", "2025-11-15T21:00:00Z")
        .assert()
        .success();
    let current = home.json("CURRENT_SESSION.json");
    assert_eq!(current["decisions_made"].as_array().unwrap().len(), 3);
    assert_eq!(current["team_note"], "kept");

    stdout_of(
        home.baton(&["end"])
            .env("BATON_NOW", "2025-11-15T22:30:00Z"),
    );
    let current = home.json("CURRENT_SESSION.json");
    assert_eq!(current["ended_at"], "2025-11-15T22:30:00Z");
    assert_eq!(current["duration_hours"], 2.5);
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    assert_eq!(kb["total_sessions"], 2);
    // Its next steps became pending work; its decisions core decisions.
    let pending: Vec<String> = kb["pending_work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .map(String::from)
                .unwrap_or_else(|| p["task"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        pending.contains(&"Set up revenue tracking".to_string()),
        "{pending:?}"
    );
    assert_eq!(kb["core_decisions"].as_array().unwrap().len(), 3);
    home.baton(&["log", "decision", "late"]).assert().code(2);
}

#[test]
fn end_from_a_seed_session_context_without_start() {
    let home = SeedHome::empty();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    let out = stdout_of(&mut home.baton(&[
        "end",
        "--from",
        common::fixture("CURRENT_SESSION.json").to_str().unwrap(),
    ]));
    assert!(
        out.trim()
            .ends_with("SESSION_HANDOFFS/2025-11-15_session_1.md"),
        "{out}"
    );
    let handoff = home.read("SESSION_HANDOFFS/2025-11-15_session_1.md");
    assert!(
        handoff.contains("## Quick Summary\nSystem is fully sovereign."),
        "{handoff}"
    );
    assert!(handoff.contains("1. ✅ Deployed Llama 3.1 8B locally"));
    assert!(handoff.contains(
        "Use Llama 3.1 8B instead of Claude (Sovereignty + $0 cost) → $3,000-14,400/year savings"
    ));
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    assert_eq!(kb["total_sessions"], 16);
    assert_eq!(kb["total_hours"], 47.5);
    // Stdin works too, and the same session cannot end twice.
    home.baton(&["end", "--from", "-"])
        .write_stdin(fixture_text("CURRENT_SESSION.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already ended"));
    home.baton(&["end", "--from", "-"])
        .write_stdin("{\"session_id\": ")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<stdin>:1:"));
}

#[test]
fn unknown_knowledge_fields_survive_end_unchanged_in_value() {
    let home = SeedHome::empty();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    let mut before = home.json("UNIFIED_KNOWLEDGE.json");
    before.as_object_mut().unwrap().insert(
        "team".into(),
        serde_json::json!({"owners": ["kim", "lee"], "nested": {"deep": [1, 2.5, null, true, -1.2301093113161774e86, 0.1]}, "emoji": "🚀"}),
    );
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &serde_json::to_string_pretty(&before).unwrap(),
    );
    stdout_of(&mut home.baton(&["start", "-q"]));
    stdout_of(&mut home.baton(&["log", "decision", "x"]));
    stdout_of(&mut home.baton(&["end"]));
    let after = home.json("UNIFIED_KNOWLEDGE.json");
    for key in [
        "team",
        "revenue_streams",
        "code_patterns",
        "architecture_state",
    ] {
        assert_eq!(after[key], before[key], "{key} changed");
    }
    let old: Vec<&Value> = before["core_decisions"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        after["core_decisions"].as_array().unwrap()[..2]
            .iter()
            .collect::<Vec<_>>(),
        old
    );
    // Keys keep their order too.
    let keys_before: Vec<&String> = before.as_object().unwrap().keys().collect();
    let keys_after: Vec<&String> = after
        .as_object()
        .unwrap()
        .keys()
        .take(keys_before.len())
        .collect();
    assert_eq!(keys_before, keys_after);
}

#[test]
fn commits_of_the_session_window_reach_record_and_handoff() {
    let home = SeedHome::empty();
    let project = home.project();
    git(&project, &["init", "-q"]);
    std::fs::write(project.join("old.txt"), "old").unwrap();
    git(&project, &["add", "old.txt"]);
    git(
        &project,
        &[
            "commit",
            "-q",
            "-m",
            "before the session",
            "--date",
            "2020-01-01T00:00:00Z",
        ],
    );
    stdout_of(
        home.baton(&["start", "-q"])
            .env("BATON_NOW", "2021-01-01T10:00:00Z"),
    );
    std::fs::write(project.join("api.rs"), "fn main() {}").unwrap();
    git(&project, &["add", "api.rs"]);
    let mut commit = std::process::Command::new("git");
    commit
        .current_dir(&project)
        .args(["commit", "-q", "-m", "Add the API"])
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", "2021-01-01T11:00:00Z")
        .env("GIT_COMMITTER_DATE", "2021-01-01T11:00:00Z");
    assert!(commit.status().unwrap().success());
    let handoff_path = stdout_of(
        home.baton(&["end"])
            .env("BATON_NOW", "2021-01-01T12:00:00Z"),
    );
    let archive = home.json("SESSION_LOGS/2021-01-01-001.json");
    let commits = archive["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 1, "{commits:?}");
    assert_eq!(commits[0]["subject"], "Add the API");
    assert_eq!(archive["files_modified"], serde_json::json!(["api.rs"]));
    let handoff = std::fs::read_to_string(handoff_path.trim()).unwrap();
    assert!(handoff.contains("Add the API"), "{handoff}");
    assert!(handoff.contains("Changed: api.rs"), "{handoff}");
    assert!(home.read("CODE_CHANGES.log").contains("Add the API"));
}

#[test]
fn a_directory_outside_git_records_no_commits() {
    let home = SeedHome::empty();
    stdout_of(&mut home.baton(&["start", "-q", "--id", "nogit"]));
    stdout_of(&mut home.baton(&["end"]));
    let archive = home.json("SESSION_LOGS/nogit.json");
    assert!(archive.get("commits").is_none());
}

#[test]
fn handoff_print_and_rewrite() {
    let home = SeedHome::empty();
    stdout_of(
        home.baton(&["start", "-q", "--goal", "Docs"])
            .env("BATON_NOW", "2025-11-15T09:00:00Z"),
    );
    stdout_of(&mut home.baton(&["log", "achievement", "Wrote README"]));
    let preview = stdout_of(&mut home.baton(&["handoff", "--print"]));
    assert!(preview.contains("1. ✅ Wrote README"));
    stdout_of(
        home.baton(&["end"])
            .env("BATON_NOW", "2025-11-15T10:00:00Z"),
    );
    let file = home.dir().join("SESSION_HANDOFFS/2025-11-15_session_1.md");
    std::fs::write(&file, "scribbled over").unwrap();
    let printed = stdout_of(&mut home.baton(&["handoff", "2025-11-15-001", "--print"]));
    assert!(
        printed.starts_with("# Session Handoff - 2025-11-15\n"),
        "{printed}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "scribbled over",
        "--print writes nothing"
    );
    let out = stdout_of(&mut home.baton(&["handoff", "2025-11-15-001"]));
    assert_eq!(out.trim(), file.display().to_string());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed);
    // With no session named and none active: the last ended one.
    assert_eq!(stdout_of(&mut home.baton(&["handoff", "--print"])), printed);
}

#[test]
fn a_hand_written_handoff_with_the_same_name_is_never_overwritten() {
    let home = SeedHome::empty();
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        &fixture_text("handoff_section3.md"),
    );
    let id = stdout_of(
        home.baton(&["start", "-q"])
            .env("BATON_NOW", "2025-11-15T09:00:00Z"),
    );
    assert_eq!(
        id.trim(),
        "2025-11-15-002",
        "numbering continues past the hand-written handoff"
    );
    home.write("SESSION_HANDOFFS/2025-11-15_session_2.md", "mine");
    let out = stdout_of(
        home.baton(&["end"])
            .env("BATON_NOW", "2025-11-15T10:00:00Z"),
    );
    assert!(out.trim().ends_with("2025-11-15_session_2-2.md"), "{out}");
    assert_eq!(
        home.read("SESSION_HANDOFFS/2025-11-15_session_2.md"),
        "mine"
    );
    assert_eq!(
        home.read("SESSION_HANDOFFS/2025-11-15_session_1.md"),
        fixture_text("handoff_section3.md")
    );
}

#[test]
fn budget_keeps_pending_and_the_handoff_summary() {
    let home = SeedHome::empty();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        &fixture_text("handoff_section3.md"),
    );
    let full = stdout_of(&mut home.baton(&["context"]));
    let small = stdout_of(&mut home.baton(&["context", "--budget", "200"]));
    assert!(
        small.len() < full.len() / 2,
        "{} vs {}",
        small.len(),
        full.len()
    );
    assert!(small.contains("Migrate Claude workflows to sovereign agents"));
    assert!(small.contains("Built complete sovereign AI system with 5 agents"));
    assert!(small.contains("Trimmed to fit the token budget"));
    let json: Value = serde_json::from_str(&stdout_of(
        &mut home.baton(&["context", "--budget", "200", "--format", "json"]),
    ))
    .unwrap();
    assert_eq!(json["pending"].as_array().unwrap().len(), 3);
    assert!(json["last_handoff"]["text"].is_null());
}

#[test]
fn end_with_the_seed_knowledge_base_as_printed_saves_the_session_and_leaves_the_file_alone() {
    let home = SeedHome::empty();
    let malformed = fixture_text("UNIFIED_KNOWLEDGE.malformed.json");
    home.write("UNIFIED_KNOWLEDGE.json", &malformed);
    stdout_of(
        home.baton(&["start", "-q", "--goal", "Deploy"])
            .env("BATON_NOW", "2025-11-16T09:00:00Z"),
    );
    stdout_of(&mut home.baton(&["log", "decision", "Blue-green deploys"]));
    stdout_of(&mut home.baton(&["log", "next", "Retire the old box", "--priority", "high"]));
    let out = home
        .baton(&["end"])
        .env("BATON_NOW", "2025-11-16T10:00:00Z")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("UNIFIED_KNOWLEDGE.json:5:4: control character"),
        "{stderr}"
    );
    assert!(stderr.contains("baton merge"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2025-11-16_session_1.md"));
    // Byte for byte as it was; everything else saved.
    assert_eq!(
        std::fs::read(home.dir().join("UNIFIED_KNOWLEDGE.json")).unwrap(),
        malformed.as_bytes()
    );
    assert!(
        home.read("SESSION_LOGS/2025-11-16-001.json")
            .contains("Blue-green deploys")
    );
    assert!(
        home.read("DECISIONS_LOG.json")
            .contains("Blue-green deploys")
    );
    assert!(
        home.read("SESSION_HANDOFFS/2025-11-16_session_1.md")
            .contains("Blue-green deploys")
    );
    // `merge` refuses while it is broken, and finishes once it is fixed.
    home.baton(&["merge"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(":5:4:"));
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    let merged = stdout_of(&mut home.baton(&["merge"]));
    assert_eq!(merged, "merged 2025-11-16-001\n");
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    assert_eq!(kb["total_sessions"], 16);
    assert_eq!(kb["core_decisions"][2]["decision"], "Blue-green deploys");
    // The logs were appended once, not again by the merge.
    assert_eq!(home.read("DECISIONS_LOG.json").lines().count(), 1);
    assert_eq!(stdout_of(&mut home.baton(&["merge"])), "");
}

/// Files as editors and shells leave them: a byte-order mark, CRLF line ends, a torn last
/// JSON line, invalid UTF-8. Everything is read; nothing crashes; the problems are named.
#[test]
fn bom_crlf_torn_lines_and_invalid_utf8_are_read() {
    let home = SeedHome::empty();
    let kb = fixture_text("UNIFIED_KNOWLEDGE.repaired.json").replace('\n', "\r\n");
    std::fs::write(
        home.dir().join("UNIFIED_KNOWLEDGE.json"),
        [b"\xEF\xBB\xBF".as_slice(), kb.as_bytes()].concat(),
    )
    .unwrap();
    home.write(
        "DECISIONS_LOG.json",
        "{\"decision\": \"Use rsync\"}\r\n{\"decision\": \"Keep a changel",
    );
    let mut handoff =
        b"# Session Handoff - 2025-11-15\n\n## Accomplished\n- caf\xE9 menu fixed\n".to_vec();
    handoff.extend_from_slice(b"\n## Next Session\n- ship it\n");
    std::fs::write(
        home.dir().join("SESSION_HANDOFFS/2025-11-15_handoff.md"),
        handoff,
    )
    .unwrap();

    let md = stdout_of(&mut home.baton(&["context"]));
    assert!(md.contains("**Knowledge:** 15 sessions, 45 hours"), "{md}");
    assert!(md.contains("Use rsync"), "{md}");
    assert!(
        md.contains("DECISIONS_LOG.json:2:"),
        "the torn line is named: {md}"
    );
    assert!(
        md.contains("caf\u{FFFD} menu fixed"),
        "invalid UTF-8 shown lossily: {md}"
    );
    assert!(
        md.contains("2025-11-15_handoff.md:1:1: not valid UTF-8"),
        "{md}"
    );

    // Ending a session appends on a fresh line after the torn one and keeps the BOM file's data.
    stdout_of(&mut home.baton(&["start", "-q"]));
    stdout_of(&mut home.baton(&["log", "decision", "Fresh line"]));
    stdout_of(&mut home.baton(&["end"]));
    let log = home.read("DECISIONS_LOG.json");
    assert!(
        log.contains("\"decision\": \"Keep a changel\n{\"decision\":\"Fresh line\""),
        "{log}"
    );
    assert_eq!(home.json("UNIFIED_KNOWLEDGE.json")["total_sessions"], 16);
}

/// `end` writes the merged knowledge base to a temp file while it writes the session's own
/// files. When one of those fails, the knowledge base is untouched, no temp file is left, and
/// `merge` finishes the session once the cause is gone.
#[test]
fn an_end_that_fails_midway_leaves_the_knowledge_base_and_no_temp_file() {
    let home = SeedHome::immediate_setup();
    let before = std::fs::read(home.dir().join("UNIFIED_KNOWLEDGE.json")).unwrap();
    stdout_of(&mut home.baton(&["start", "--id", "s-fail", "-q"]));
    home.baton(&["--session", "s-fail", "log", "decision", "Staged writes"])
        .assert()
        .success();
    // The handoffs directory is a file: writing the handoff fails after the archive.
    let handoffs = home.dir().join("SESSION_HANDOFFS");
    std::fs::remove_dir_all(&handoffs).unwrap();
    std::fs::write(&handoffs, "in the way").unwrap();
    home.baton(&["--session", "s-fail", "end", "--summary", "done"])
        .assert()
        .failure();
    assert_eq!(
        std::fs::read(home.dir().join("UNIFIED_KNOWLEDGE.json")).unwrap(),
        before
    );
    let leftovers: Vec<String> = std::fs::read_dir(home.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".baton-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_file(&handoffs).unwrap();
    assert_eq!(stdout_of(&mut home.baton(&["merge"])), "merged s-fail\n");
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    let decisions = kb["core_decisions"].as_array().unwrap();
    assert!(
        decisions.iter().any(|d| d["decision"] == "Staged writes"),
        "{decisions:?}"
    );
    assert!(
        home.dir()
            .join("SESSION_HANDOFFS")
            .read_dir()
            .unwrap()
            .count()
            > 0
    );
}
