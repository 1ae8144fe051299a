//! The shipped demo history (`assets/demo/`, embedded in the binary) and generated
//! histories: they install, every file reads back, and `baton context` works on them.
//! The dashboard itself is never opened here.

mod common;

use std::path::{Path, PathBuf};

use baton::domain::archive::ArchivedSession;
use baton::domain::events::Event;
use baton::domain::handoff::{Handoff, HandoffName};
use baton::domain::redact::{Allowlist, scan};
use baton::store::demo::{DEMO_FILES, install_demo};
use baton::store::generate::{generate_history, generate_seed_history, last_day};
use common::*;
use serde_json::Value;

/// Every regular file under `dir`, as (`a/b.json` relative path, absolute path), sorted.
fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel: Vec<String> = path
                    .strip_prefix(root)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((rel.join("/"), path));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A `.json` file is one JSON value, or JSON lines (the seed's `echo >>` logs).
fn parse_json_or_lines(rel: &str, text: &str) -> Vec<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return vec![v];
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{rel}:{}: neither JSON nor JSON lines: {e}", i + 1))
        })
        .collect()
}

fn context_json(dir: &Path) -> Value {
    let out = stdout_of(baton_cmd().arg("--dir").arg(dir).args([
        "context",
        "--format",
        "json",
        "--no-health",
    ]));
    serde_json::from_str(&out).unwrap()
}

fn priorities(pack: &Value) -> Vec<String> {
    pack["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["priority"].as_str().unwrap_or("").to_string())
        .collect()
}

fn knowledge(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("UNIFIED_KNOWLEDGE.json")).unwrap())
        .unwrap()
}

fn count_in(dir: &Path, ext: &str) -> usize {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(ext)
            })
            .count(),
        Err(_) => 0,
    }
}

#[test]
fn shipped_demo_installs_and_context_shows_pending_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    install_demo(&dir).unwrap();

    let md = stdout_of(
        baton_cmd()
            .arg("--dir")
            .arg(&dir)
            .args(["context", "--no-health"]),
    );
    assert!(md.contains("**Knowledge:** 15 sessions"), "{md}");
    assert!(md.contains("## Pending work\n- [high] "), "{md}");
    assert!(
        md.contains("- [high] Handle invoice.payment_failed: 7-day grace period, then read-only"),
        "{md}"
    );
    assert!(
        md.contains("## Last handoff (2025-11-20_session_1.md)"),
        "{md}"
    );

    let pack = context_json(&dir);
    let prios = priorities(&pack);
    for p in ["high", "medium", "low"] {
        assert!(
            prios.iter().any(|q| q == p),
            "no {p} pending work: {prios:?}"
        );
    }
    let active: Vec<&str> = pack["active_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["2025-11-21-001", "2025-11-21-002"]);
    assert!(pack["problems"].as_array().unwrap().is_empty(), "{pack}");
    assert!(
        pack["recent_decisions"].as_array().unwrap().len() >= 5,
        "{pack}"
    );
}

#[test]
fn shipped_demo_files_all_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    install_demo(tmp.path()).unwrap();
    let files = files_under(tmp.path());
    assert!(files.len() >= 30, "{files:?}");
    let no_allow = Allowlist::default();
    let (mut archives, mut handoffs, mut active) = (0, 0, 0);
    for (rel, path) in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let secrets = scan(&text, &no_allow);
        assert!(
            secrets.is_empty(),
            "{rel}: looks like a secret: {secrets:?}"
        );
        if rel.ends_with(".json") {
            let values = parse_json_or_lines(rel, &text);
            assert!(!values.is_empty(), "{rel} is empty");
        }
        if rel.starts_with("SESSION_LOGS/") {
            let a: ArchivedSession =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(format!("SESSION_LOGS/{}.json", a.record.session_id), *rel);
            assert!(a.record.ended_at.is_some(), "{rel}");
            assert!(a.as_of.is_some(), "{rel} has no as_of");
            let handoff = a.handoff_file.expect("archive names its handoff");
            assert!(
                files
                    .iter()
                    .any(|(r, _)| *r == format!("SESSION_HANDOFFS/{handoff}")),
                "{rel}: {handoff} missing"
            );
            archives += 1;
        }
        if rel.starts_with("ACTIVE_SESSIONS/") {
            assert!(rel.ends_with(".jsonl"), "{rel}");
            for line in text.lines() {
                serde_json::from_str::<Event>(line).unwrap_or_else(|e| panic!("{rel}: {e}"));
            }
            active += 1;
        }
        if rel.starts_with("SESSION_HANDOFFS/") {
            let h = Handoff::parse(&text);
            assert!(h.summary().is_some(), "{rel} has no summary");
            assert!(HandoffName::parse(rel).date.is_some(), "{rel}");
            handoffs += 1;
        }
    }
    assert_eq!((archives, active), (14, 2));
    assert_eq!(handoffs, 15, "14 written by baton, 1 by hand");
    assert!(files.iter().all(|(r, _)| r != ".baton/lock"));

    let kb = knowledge(tmp.path());
    assert_eq!(kb["total_sessions"], 15);
    assert!(kb["project"].is_object(), "unknown fields survive");
    let services = serde_json::from_str::<Value>(
        &std::fs::read_to_string(tmp.path().join("SERVICES.json")).unwrap(),
    )
    .unwrap();
    let services = services["services"].as_array().unwrap();
    assert_eq!(services.len(), 3);
    assert!(
        services
            .iter()
            .all(|s| s["url"].as_str().unwrap().starts_with("http://127.0.0.1:"))
    );
}

#[test]
fn embedded_demo_is_what_assets_demo_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let on_disk: Vec<(String, Vec<u8>)> = files_under(&root)
        .into_iter()
        .filter(|(rel, _)| rel != ".baton/lock")
        .map(|(rel, path)| (rel, std::fs::read(path).unwrap()))
        .collect();
    let embedded: Vec<(String, Vec<u8>)> = DEMO_FILES
        .iter()
        .map(|(rel, bytes)| (rel.to_string(), bytes.to_vec()))
        .collect();
    assert_eq!(
        embedded.iter().map(|(r, _)| r).collect::<Vec<_>>(),
        on_disk.iter().map(|(r, _)| r).collect::<Vec<_>>()
    );
    assert!(embedded == on_disk, "assets/demo changed since the build");
}

#[test]
fn generated_history_is_consistent_and_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate_history(dir, 50).unwrap();

    assert_eq!(count_in(&dir.join("SESSION_LOGS"), ".json"), 50);
    assert_eq!(count_in(&dir.join("SESSION_HANDOFFS"), ".md"), 50);
    let kb = knowledge(dir);
    assert_eq!(kb["total_sessions"], 50);
    let decisions = kb["core_decisions"].as_array().unwrap();
    assert!(
        (100..=150).contains(&decisions.len()),
        "{}",
        decisions.len()
    );
    for (i, d) in decisions.iter().enumerate() {
        assert_eq!(d["id"], format!("decision-{:03}", i + 1));
    }
    let log = std::fs::read_to_string(dir.join("DECISIONS_LOG.json")).unwrap();
    assert_eq!(log.lines().count(), decisions.len());

    for (rel, path) in files_under(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        if rel.ends_with(".json") {
            parse_json_or_lines(&rel, &text);
        }
        if rel.starts_with("SESSION_LOGS/") {
            let a: ArchivedSession =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(a.as_of.is_some());
            let size =
                std::fs::metadata(dir.join("SESSION_HANDOFFS").join(a.handoff_file.unwrap()))
                    .unwrap()
                    .len();
            assert!(
                (700..4096).contains(&size),
                "{rel}: handoff of {size} bytes"
            );
        }
    }

    let newest = format!("{}_session_", last_day());
    let pack = context_json(dir);
    assert_eq!(pack["totals"]["sessions"], 50);
    assert!(!pack["pending"].as_array().unwrap().is_empty(), "{pack}");
    assert!(
        pack["last_handoff"]["file"]
            .as_str()
            .unwrap()
            .starts_with(&newest),
        "{pack}"
    );
    assert!(pack["problems"].as_array().unwrap().is_empty(), "{pack}");
}

#[test]
fn generated_seed_layout_reads_and_baton_continues_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate_seed_history(dir, 50).unwrap();

    assert!(!dir.join("SESSION_LOGS").exists());
    assert!(!dir.join("ACTIVE_SESSIONS").exists());
    let names: Vec<String> = std::fs::read_dir(dir.join("SESSION_HANDOFFS"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 50);
    for n in &names {
        let parsed = HandoffName::parse(n);
        assert!(parsed.date.is_some() && parsed.seq.is_some(), "{n}");
        assert!(n.contains("_session_"), "{n}");
    }
    let kb = knowledge(dir);
    assert_eq!(kb["total_sessions"], 50);
    assert!(kb.get("last_merged_session").is_none());
    let log = std::fs::read_to_string(dir.join("DECISIONS_LOG.json")).unwrap();
    for line in log.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert!(keys[0] == "decision" && keys.len() <= 3, "{line}");
    }
    let current: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("CURRENT_SESSION.json")).unwrap())
            .unwrap();
    assert!(current["ended_at"].is_string());

    let pack = context_json(dir);
    assert_eq!(pack["totals"]["sessions"], 50);
    assert!(pack["last_handoff"]["summary"].is_string(), "{pack}");
    assert!(pack["problems"].as_array().unwrap().is_empty(), "{pack}");

    // baton picks up where the hand-made history stops.
    let now = format!("{}T21:00:00Z", last_day());
    let id = stdout_of(
        baton_cmd()
            .env("BATON_NOW", &now)
            .arg("--dir")
            .arg(dir)
            .args(["start", "-q", "--goal", "continue"]),
    );
    let id = id.trim();
    assert!(id.starts_with(&last_day().to_string()), "{id}");
    stdout_of(
        baton_cmd()
            .env("BATON_NOW", format!("{}T22:00:00Z", last_day()))
            .arg("--dir")
            .arg(dir)
            .args(["end", "--summary", "done"]),
    );
    assert_eq!(knowledge(dir)["total_sessions"], 51);
}

#[test]
fn demo_arguments_are_checked_before_anything_is_made() {
    for args in [
        &["demo", "--sessions", "0"][..],
        &["demo", "--sessions", "many"],
        &["demo", "--seed-layout"],
    ] {
        baton_cmd().args(args).assert().code(2);
    }
}
