//! Memory-server sync against real HTTP servers on 127.0.0.1 (`common/memory_server.rs`),
//! through the real binary: both flavours, the server down then up, a 500, a slow server,
//! and a crash between the server's receipt and baton's acknowledgement. The test server
//! stores each item once per `Idempotency-Key` and records every request, so "delivered
//! once, nothing lost, nothing twice" is checked on what it received.

mod common;
#[path = "common/memory_server.rs"]
mod memory_server;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use common::*;
use memory_server::{MEM0_MEMORY, MemoryServer, Mode, SEED_CONTEXT, closed_port};
use serde_json::Value;

const NOW: &str = "2025-11-15T12:00:00Z";
const SECRET: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
const STORE: &str = "/memory/store-session";

/// A sessions directory in a temp dir, and the environment every command gets.
struct Dir {
    tmp: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Dir {
    fn new(env: &[(&str, &str)]) -> Dir {
        let d = Dir {
            tmp: tempfile::tempdir().unwrap(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        stdout_of(&mut d.baton(&["init"]));
        d
    }

    fn path(&self) -> PathBuf {
        self.tmp.path().join("sessions")
    }

    fn baton(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = baton_cmd();
        for k in [
            "BATON_MEMORY_URL",
            "BATON_MEMORY_KEY",
            "BATON_MEMORY_FLAVOUR",
            "BATON_SYNC_TIMEOUT_MS",
            "BATON_FAILPOINT",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("BATON_NOW", NOW)
            .arg("--dir")
            .arg(self.path())
            .args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// A session from start to end, with a secret in its decision; returns `end`'s stderr.
    fn session(&self, goal: &str, extra: &[(&str, &str)]) -> String {
        let run = |args: &[&str]| {
            let mut cmd = self.baton(args);
            for (k, v) in extra {
                cmd.env(k, v);
            }
            cmd.output().unwrap()
        };
        let started = run(&["start", "--goal", goal, "--quiet"]);
        assert!(started.status.success(), "{started:?}");
        for args in [
            vec![
                "log",
                "decision",
                "Use Axum",
                "--why",
                &format!("token {SECRET}"),
            ],
            vec!["log", "achievement", "Wrote /health"],
            vec!["log", "next", "Add TLS", "--priority", "high"],
        ] {
            assert!(run(&args).status.success());
        }
        let ended = run(&["end", "--summary", &format!("{goal}: done")]);
        assert!(
            ended.status.success(),
            "end must succeed whatever the server does: {ended:?}"
        );
        String::from_utf8_lossy(&ended.stderr).into_owned()
    }

    fn outbox(&self) -> Vec<Value> {
        let dir = self.path().join(".baton/outbox");
        let mut items: Vec<Value> = std::fs::read_dir(&dir)
            .map(|it| {
                it.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                    .map(|e| {
                        serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap()
                    })
                    .collect()
            })
            .unwrap_or_default();
        items.sort_by_key(|v| {
            v["payload"]["session_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        items
    }
}

fn keys(received: &[memory_server::Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or("").to_string())
        .collect()
}

#[test]
fn seed_flavour_delivers_each_session_once_redacted_and_reads_context() {
    let server = MemoryServer::start(Mode::Ok);
    // A generous budget: a loaded test machine must not turn a delivery into a retry.
    let d = Dir::new(&[
        ("BATON_MEMORY_URL", &server.url()),
        ("BATON_SYNC_TIMEOUT_MS", "20000"),
    ]);
    let stderr = d.session("Ship the health endpoint", &[]);
    assert!(!stderr.contains("waiting to sync"), "{stderr}");

    let posts = server.received_at(STORE);
    assert_eq!(posts.len(), 1, "end delivered the session once");
    let body = posts[0].json();
    assert_eq!(posts[0].method, "POST");
    assert_eq!(body["session_id"], "2025-11-15-001");
    assert_eq!(body["summary"], "Ship the health endpoint: done");
    assert_eq!(
        body["key_achievements"],
        serde_json::json!(["Wrote /health"])
    );
    assert_eq!(body["decisions"][0]["decision"], "Use Axum");
    assert_eq!(body["next_steps"][0]["task"], "Add TLS");
    assert!(!posts[0].body.contains(SECRET), "sent unredacted");
    assert!(posts[0].body.contains("[REDACTED:"), "{}", posts[0].body);
    let key = posts[0].header("idempotency-key").unwrap();
    assert!(key.starts_with("2025-11-15-001-"), "{key}");
    assert!(posts[0].header("x-api-key").is_none());
    assert!(d.outbox().is_empty(), "removed after the 2xx");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join(".baton/sync.json")).unwrap())
            .unwrap();
    assert_eq!(state["memory"]["last_success"], NOW);

    // `context` adds what the server knows.
    let pack = stdout_of(&mut d.baton(&["context", "--no-health"]));
    assert!(pack.contains("## Memory server"), "{pack}");
    for line in SEED_CONTEXT.lines() {
        assert!(pack.contains(&format!("- {line}")), "{pack}");
    }
    assert_eq!(server.received_at("/memory/get-context").len(), 1);
    let json = stdout_of(&mut d.baton(&["context", "--no-health", "--format", "json"]));
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["memory"][0], SEED_CONTEXT.lines().next().unwrap());
    assert!(
        !stdout_of(&mut d.baton(&["context", "--no-health", "--no-memory"]))
            .contains("Memory server")
    );

    // Nothing waits: an explicit sync sends nothing again.
    let out = stdout_of(&mut d.baton(&["sync"]));
    assert!(out.contains("delivered 0 items"), "{out}");
    assert_eq!(server.received_at(STORE).len(), 1);
    assert_eq!(server.stored().len(), 1);
}

#[test]
fn mem0_flavour_with_config_key_identity_and_search() {
    let server = MemoryServer::start(Mode::Ok);
    let d = Dir::new(&[
        ("BATON_MEMORY_KEY", "k-123"),
        ("BATON_SYNC_TIMEOUT_MS", "20000"),
    ]);
    std::fs::write(
        d.path().join(".baton/config.json"),
        serde_json::json!({"sync": {"memory_url": format!("{}/", server.url()),
                                    "flavour": "mem0", "user_id": "ana"}})
        .to_string(),
    )
    .unwrap();
    d.session("Wire the deploy", &[]);

    let posts = server.received_at("/memories");
    assert_eq!(posts.len(), 1);
    let body = posts[0].json();
    assert_eq!(body["user_id"], "ana");
    assert!(body.get("agent_id").is_none());
    assert_eq!(body["infer"], false);
    assert_eq!(body["metadata"]["session_id"], "2025-11-15-001");
    assert_eq!(body["metadata"]["source"], "baton");
    assert_eq!(
        body["metadata"]["baton_item_id"].as_str(),
        posts[0].header("idempotency-key")
    );
    assert_eq!(body["messages"][0]["role"], "user");
    let content = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        content.starts_with("Session 2025-11-15-001 (Wire the deploy)"),
        "{content}"
    );
    assert!(content.contains("Decisions: Use Axum"), "{content}");
    assert!(!posts[0].body.contains(SECRET));
    assert_eq!(posts[0].header("x-api-key"), Some("k-123"));

    // `context --query` searches; without a query Mem0 is not asked.
    let pack = stdout_of(&mut d.baton(&["context", "--no-health", "--query", "deploys"]));
    assert!(pack.contains(&format!("- {MEM0_MEMORY}")), "{pack}");
    let searches = server.received_at("/search");
    assert_eq!(searches.len(), 1);
    let search = searches[0].json();
    assert_eq!(search["query"], "deploys");
    assert_eq!(search["filters"]["user_id"], "ana");
    assert_eq!(searches[0].header("x-api-key"), Some("k-123"));
    stdout_of(&mut d.baton(&["context", "--no-health"]));
    assert_eq!(server.received_at("/search").len(), 1);
}

#[test]
fn server_down_then_up_delivers_everything_once() {
    let addr = closed_port();
    let d = Dir::new(&[("BATON_MEMORY_URL", &format!("http://{addr}"))]);
    let first = d.session("First", &[]);
    assert!(first.contains("1 waiting to sync"), "{first}");
    assert!(first.contains("connection refused"), "{first}");
    d.session("Second", &[]);
    let items = d.outbox();
    assert_eq!(items.len(), 2, "nothing lost while the server is down");
    assert_eq!(items[0]["payload"]["session_id"], "2025-11-15-001");
    assert_eq!(items[1]["payload"]["session_id"], "2025-11-15-002");
    // Backoff is in the item: the first was not retried by the second `end` (not due yet).
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["next_attempt_at"], "2025-11-15T12:00:30Z");

    let out = d.baton(&["sync", "--memory"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 waiting to sync"), "{err}");
    assert!(err.contains("nothing is lost"), "{err}");
    assert_eq!(d.outbox()[0]["attempts"], 2);

    let server = MemoryServer::start_on(addr, Mode::Ok);
    let out = stdout_of(&mut d.baton(&["sync", "--memory"]));
    assert!(out.contains("delivered 2 items"), "{out}");
    assert!(d.outbox().is_empty());
    let posts = server.received_at(STORE);
    assert_eq!(posts.len(), 2, "each sent once");
    let mut sessions: Vec<String> = server
        .stored()
        .into_iter()
        .map(|(_, v)| v["session_id"].as_str().unwrap().to_string())
        .collect();
    sessions.sort();
    assert_eq!(sessions, ["2025-11-15-001", "2025-11-15-002"]);
    let mut k = keys(&posts);
    k.sort();
    let mut ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(k, ids, "each item under its own key");

    // Later commands find nothing to send.
    stdout_of(&mut d.baton(&["sync", "--memory"]));
    stdout_of(&mut d.baton(&["context", "--no-health"]));
    assert_eq!(server.received_at(STORE).len(), 2);
}

#[test]
fn a_500_is_kept_and_retried_with_the_same_key() {
    let server = MemoryServer::start(Mode::Status(500));
    let d = Dir::new(&[("BATON_MEMORY_URL", &server.url())]);
    let err = d.session("Flaky", &[]);
    assert!(err.contains("HTTP 500"), "{err}");
    let item = &d.outbox()[0];
    assert_eq!(item["attempts"], 1);
    assert!(item["last_error"].as_str().unwrap().starts_with("HTTP 500"));
    assert_eq!(
        d.baton(&["sync", "--memory"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    assert_eq!(d.outbox()[0]["attempts"], 2);

    server.set_mode(Mode::Ok);
    let out = stdout_of(&mut d.baton(&["sync", "--memory"]));
    assert!(out.contains("delivered 1 item "), "{out}");
    assert!(d.outbox().is_empty());
    let k = keys(&server.received_at(STORE));
    assert_eq!(k.len(), 3);
    assert!(
        k.iter().all(|x| *x == k[0]),
        "one key for every attempt: {k:?}"
    );
    assert_eq!(server.stored().len(), 1);
}

#[test]
fn a_slow_server_never_holds_up_end() {
    let server = MemoryServer::start(Mode::Hold);
    let d = Dir::new(&[
        ("BATON_MEMORY_URL", &server.url()),
        ("BATON_SYNC_TIMEOUT_MS", "300"),
    ]);
    let err = d.session("Slow", &[]);
    // `end` returned (successfully) while the server still held its answer.
    assert_eq!(server.received_at(STORE).len(), 1, "the request was sent");
    assert_eq!(server.answered(), 0, "end did not wait for the answer");
    assert!(err.contains("no answer within"), "{err}");
    let item = &d.outbox()[0];
    assert_eq!(item["attempts"], 1);

    // The server finishes what it received; the next sync delivers again with the same key,
    // and the server, seeing the key, stores nothing twice.
    server.release();
    server.wait_stored(1);
    let out = stdout_of(&mut d.baton(&["sync", "--memory"]));
    assert!(out.contains("delivered 1 item "), "{out}");
    assert!(d.outbox().is_empty());
    let k = keys(&server.received_at(STORE));
    assert_eq!(k, [item["id"].as_str().unwrap(); 2]);
    assert_eq!(server.stored().len(), 1);
}

/// One session queued while the server is down.
fn queued(d: &Dir) -> Value {
    let down = format!("http://{}", closed_port());
    d.session("Queued", &[("BATON_MEMORY_URL", &down)]);
    let items = d.outbox();
    assert_eq!(items.len(), 1);
    items[0].clone()
}

fn sync_command(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("baton").unwrap();
    cmd.env_remove("BATON_MEMORY_URL")
        .env_remove("BATON_FAILPOINT")
        .env("BATON_NOW", NOW)
        .arg("--dir")
        .arg(dir)
        .args(["sync", "--memory", url]);
    cmd
}

#[test]
fn killed_after_the_server_received_the_item_sends_it_again_with_the_same_key() {
    let d = Dir::new(&[]);
    let item = queued(&d);
    let server = MemoryServer::start(Mode::Hold);
    let mut child = sync_command(&d.path(), &server.url()).spawn().unwrap();
    server.wait_for(STORE, 1);
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind
    child.wait().unwrap();
    assert_eq!(d.outbox().len(), 1, "not acknowledged, so still waiting");
    // The server completes the request it received (as if its answer was lost).
    server.release();
    server.wait_stored(1);

    let out = sync_command(&d.path(), &server.url()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(d.outbox().is_empty());
    let k = keys(&server.received_at(STORE));
    assert_eq!(k, [item["id"].as_str().unwrap(); 2], "sent again, same key");
    assert_eq!(server.stored().len(), 1, "the server stored it once");
}

#[test]
fn a_crash_after_the_servers_2xx_and_before_removal_is_delivered_exactly_once() {
    let d = Dir::new(&[]);
    let item = queued(&d);
    let server = MemoryServer::start(Mode::Ok);
    let crashed = sync_command(&d.path(), &server.url())
        .env("BATON_FAILPOINT", "sync-after-ack")
        .output()
        .unwrap();
    assert!(
        !crashed.status.success(),
        "the failpoint aborts the process"
    );
    assert_eq!(server.answered(), 1, "the server answered 200");
    assert_eq!(d.outbox().len(), 1, "but the item was never removed");

    let out = sync_command(&d.path(), &server.url()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(d.outbox().is_empty());
    let k = keys(&server.received_at(STORE));
    assert_eq!(k, [item["id"].as_str().unwrap(); 2]);
    assert_eq!(server.stored().len(), 1);
}

#[test]
fn resend_queues_a_session_that_ended_before_a_server_was_configured() {
    let d = Dir::new(&[]);
    d.session("Before", &[]);
    assert!(d.outbox().is_empty(), "nothing is queued without a server");
    let server = MemoryServer::start(Mode::Ok);
    let out = stdout_of(&mut d.baton(&[
        "sync",
        "--memory",
        &server.url(),
        "--resend",
        "2025-11-15-001",
    ]));
    assert!(out.contains("queued session 2025-11-15-001"), "{out}");
    assert!(out.contains("delivered 1 item "), "{out}");
    assert_eq!(server.stored()[0].1["session_id"], "2025-11-15-001");
    let bad = d
        .baton(&["sync", "--memory", &server.url(), "--resend", "nope"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let none = d.baton(&["sync"]).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("nothing to sync"));
}

#[test]
fn validate_reports_stuck_items_and_a_stale_sync() {
    let d = Dir::new(&[]);
    let item = queued(&d);
    let id = item["id"].as_str().unwrap();
    let ok = d.baton(&["validate"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ok.stdout).contains("outbox"),
        "a fresh item is fine"
    );
    // Two days later, the item is stuck.
    let later = d
        .baton(&["validate"])
        .env("BATON_NOW", "2025-11-17T13:00:00Z")
        .output()
        .unwrap();
    assert_eq!(later.status.code(), Some(1));
    let text = String::from_utf8_lossy(&later.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!(".baton/outbox/{id}.json")))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("session 2025-11-15-001 has waited 2 d"),
        "{line}"
    );
    assert!(line.contains("connection refused"), "{line}");

    // Failing too often is reported at once; and so is a git sync not run for long.
    let path = d.path().join(format!(".baton/outbox/{id}.json"));
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["attempts"] = 9.into();
    std::fs::write(&path, v.to_string()).unwrap();
    std::fs::write(
        d.path().join(".baton/sync.json"),
        r#"{"git": {"last_success": "2025-11-01T12:00:00Z", "last_attempt": "2025-11-01T12:00:00Z"}}"#,
    )
    .unwrap();
    let out = d.baton(&["validate", "--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<(&str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["kind"].as_str().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert!(
        kinds
            .iter()
            .any(|(k, m)| *k == "outbox" && m.contains("9 failed attempts")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(k, m)| *k == "sync" && m.contains("no git sync for 14 d")),
        "{kinds:?}"
    );
}
