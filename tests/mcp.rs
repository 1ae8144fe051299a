//! `baton mcp`: the real server process driven over stdio with newline-delimited JSON-RPC,
//! and the files on disk afterwards.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use common::*;
use serde_json::{Value, json};

const NOW: &str = "2025-11-15T10:00:00Z";
const SECRET: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

/// A running `baton mcp`, and every line it wrote to stdout.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<Value>,
    next_id: u64,
}

impl Client {
    fn start(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Client {
        let mut cmd = Command::cargo_bin("baton").unwrap();
        cmd.env_remove("BATON_DIR")
            .env_remove("BATON_SESSION")
            .env("BATON_NOW", NOW)
            .arg("--dir")
            .arg(dir)
            .args(extra)
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("baton mcp starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut client = Client {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            next_id: 1,
        };
        let init = client.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "baton-tests", "version": "0"}
            }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "baton", "{init}");
        assert!(
            init["result"]["capabilities"]["tools"].is_object(),
            "{init}"
        );
        assert!(
            init["result"]["capabilities"]["resources"].is_object(),
            "{init}"
        );
        client.notify("notifications/initialized", json!({}));
        client
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for the response with its id (other lines are kept).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => panic!("no answer to {method} (id {id})"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("baton mcp exited before answering {method}")
                }
            };
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC; got {line:?}: {e}"));
            assert_eq!(value["jsonrpc"], "2.0", "{line}");
            self.seen.push(value.clone());
            if value["id"] == json!(id) {
                return value;
            }
        }
    }

    /// Calls a tool; returns its text and whether it is an error.
    fn call(&mut self, tool: &str, arguments: Value) -> (String, bool) {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        let result = &answer["result"];
        assert!(result.is_object(), "{tool}: {answer}");
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{tool}: {answer}"))
            .to_string();
        (text, result["isError"] == json!(true))
    }

    fn ok(&mut self, tool: &str, arguments: Value) -> String {
        let (text, error) = self.call(tool, arguments);
        assert!(!error, "{tool} failed: {text}");
        text
    }

    fn read(&mut self, uri: &str) -> Value {
        self.request("resources/read", json!({"uri": uri}))
    }

    /// Closes stdin; the server must exit cleanly. Returns its stderr.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        assert!(out.status.success(), "exit {:?}", out.status);
        // The reader thread ends at end of file: everything left was never asked for.
        let rest: Vec<String> = self.lines.iter().collect();
        assert!(
            rest.is_empty(),
            "unexpected output after the last answer: {rest:?}"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

fn init_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    stdout_of(baton_cmd().arg("--dir").arg(&dir).arg("init"));
    (tmp, dir)
}

fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    baton_cmd()
        .env("BATON_NOW", NOW)
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// What the command line prints on stderr for a failing command, without the newline.
fn cli_error(dir: &Path, args: &[&str]) -> String {
    let out = cli(dir, args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).trim_end().to_string()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

#[test]
fn a_whole_session_through_the_tools_lands_on_disk() {
    let (_tmp, dir) = init_dir();
    assert!(
        cli(
            &dir,
            &[
                "pending",
                "add",
                "Deploy the dashboard",
                "--priority",
                "high"
            ]
        )
        .status
        .success()
    );
    let earlier = "# Session Handoff\n\n## Quick Summary\nThe dashboard builds.\n";
    std::fs::write(
        dir.join("SESSION_HANDOFFS/2025-11-14_session_1.md"),
        earlier,
    )
    .unwrap();

    let mut c = Client::start(&dir, &[], &[]);

    let tools = c.request("tools/list", json!({}));
    let mut names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let mut expected = vec![
        "end_session",
        "get_context",
        "log_achievement",
        "log_blocker",
        "log_code",
        "log_decision",
        "log_done",
        "log_insight",
        "log_next",
        "start_session",
    ];
    // search and show_session are listed only when the build has the history commands.
    if names.contains(&"search") {
        expected.extend(["search", "show_session"]);
        expected.sort_unstable();
    }
    assert_eq!(names, expected);
    let log_next = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "log_next")
        .unwrap();
    assert_eq!(log_next["inputSchema"]["required"], json!(["text"]));

    let started = c.ok(
        "start_session",
        json!({"goal": "Ship the MCP server", "template": "development"}),
    );
    let id = started.lines().next().unwrap().to_string();
    assert!(id.starts_with("2025-11-15-"), "{started}");
    assert!(started.contains("# Session context"), "{started}");
    let events = dir.join(format!("ACTIVE_SESSIONS/{id}.jsonl"));
    assert!(events.exists());

    let answer = c.ok(
        "log_decision",
        json!({"text": "Use rmcp", "why": format!("token {SECRET} in a note"), "impact": "one SDK"}),
    );
    assert!(
        answer.starts_with(&format!("logged a decision into {id}")),
        "{answer}"
    );
    assert!(answer.contains("redacted a secret"), "{answer}");
    c.ok(
        "log_insight",
        json!({"text": "Tool errors are results", "practice": true}),
    );
    c.ok("log_achievement", json!({"text": "Wrote the server"}));
    c.ok(
        "log_blocker",
        json!({"text": "Schema mismatch", "solution": "enums", "lesson": "read the SDK"}),
    );
    c.ok(
        "log_next",
        json!({"text": "Add prompts", "priority": "high"}),
    );
    c.ok(
        "log_code",
        json!({"path": "src/mcp/server.rs", "note": "the server"}),
    );
    c.ok("log_done", json!({"task": "Deploy the dashboard"}));

    let lines: Vec<Value> = read(&events)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "start",
            "decision",
            "insight",
            "achievement",
            "blocker",
            "next",
            "code",
            "done"
        ]
    );
    assert_eq!(lines[1]["decision"], "Use rmcp");
    assert_eq!(lines[1]["impact"], "one SDK");
    assert_eq!(lines[2]["practice"], true);
    assert_eq!(lines[4]["solution"], "enums");
    assert_eq!(lines[5]["priority"], "high");
    assert_eq!(lines[6]["path"], "src/mcp/server.rs");
    let raw = read(&events);
    assert!(!raw.contains(SECRET), "secret written: {raw}");
    assert!(raw.contains("[REDACTED:"), "{raw}");

    let context = c.ok("get_context", json!({"budget": 3000, "health": false}));
    assert!(context.contains("[high] Deploy the dashboard"), "{context}");
    assert!(context.contains(&id), "active session listed:\n{context}");
    assert!(context.contains("The dashboard builds."), "{context}");

    let resources = c.request("resources/list", json!({}));
    let uris: Vec<&str> = resources["result"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "baton://knowledge",
            "baton://handoff/latest",
            "baton://pending"
        ]
    );

    let knowledge = c.read("baton://knowledge");
    let text = knowledge["result"]["contents"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        serde_json::from_str::<Value>(&read(dir.join("UNIFIED_KNOWLEDGE.json"))).unwrap()
    );
    assert_eq!(
        knowledge["result"]["contents"][0]["mimeType"],
        "application/json"
    );
    let latest = c.read("baton://handoff/latest");
    assert_eq!(latest["result"]["contents"][0]["text"], earlier);
    let pending = c.read("baton://pending");
    let pending: Value =
        serde_json::from_str(pending["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(pending["pending"][0]["task"], "Deploy the dashboard");
    assert_eq!(pending["active_sessions"][0]["session_id"], id.as_str());
    assert_eq!(
        pending["active_sessions"][0]["next_steps"][0]["task"],
        "Add prompts"
    );

    let ended = c.ok(
        "end_session",
        json!({"summary": "MCP server works", "notes": "Prompts are next"}),
    );
    let shown = ended
        .trim_end()
        .strip_prefix(&format!("ended {id}; handoff: "))
        .unwrap_or_else(|| panic!("{ended}"));
    let handoff = PathBuf::from(shown);
    assert_eq!(handoff.parent().unwrap(), dir.join("SESSION_HANDOFFS"));
    assert!(
        handoff
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("2025-11-15_")
    );
    assert!(!events.exists(), "the events file goes at the end");
    let archive: Value =
        serde_json::from_str(&read(dir.join(format!("SESSION_LOGS/{id}.json")))).unwrap();
    assert_eq!(archive["primary_goal"], "Ship the MCP server");
    assert_eq!(archive["decisions_made"][0]["decision"], "Use rmcp");
    let handoff_text = read(&handoff);
    assert!(handoff_text.contains("MCP server works"), "{handoff_text}");
    assert!(handoff_text.contains("Prompts are next"), "{handoff_text}");
    assert!(!handoff_text.contains(SECRET));
    let kb: Value = serde_json::from_str(&read(dir.join("UNIFIED_KNOWLEDGE.json"))).unwrap();
    assert_eq!(kb["total_sessions"], 1);
    let tasks: Vec<&str> = kb["pending_work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["task"].as_str().or(p.as_str()).unwrap())
        .collect();
    assert!(tasks.contains(&"Add prompts"), "{tasks:?}");
    assert!(
        !tasks.contains(&"Deploy the dashboard"),
        "done leaves pending: {tasks:?}"
    );
    assert!(
        kb["best_practices"]
            .to_string()
            .contains("Tool errors are results")
    );
    assert!(read(dir.join("DECISIONS_LOG.json")).contains("Use rmcp"));

    // The ended session is found by search and shown as it stood.
    let found = c.ok("search", json!({"query": "rmcp"}));
    assert!(found.contains("decision (1)"), "{found}");
    assert!(found.contains(&format!("Use rmcp [{id}]")), "{found}");
    let shown = c.ok("show_session", json!({"session": id}));
    assert!(shown.contains("Ship the MCP server"), "{shown}");
    assert!(shown.contains("Use rmcp"), "{shown}");
    let (missing, error) = c.call("show_session", json!({"session": "2099-01-01-001"}));
    assert!(error, "{missing}");

    // The resources follow the directory.
    let latest = c.read("baton://handoff/latest");
    assert_eq!(
        latest["result"]["contents"][0]["text"],
        handoff_text.as_str()
    );

    let stderr = c.finish();
    assert!(stderr.contains("redacted a secret"), "{stderr}");
}

#[test]
fn errors_are_the_messages_the_command_line_prints() {
    let (_tmp, dir) = init_dir();
    let mut c = Client::start(&dir, &[], &[]);

    let (text, error) = c.call("log_decision", json!({"text": "Use rmcp"}));
    assert!(error);
    assert_eq!(text, cli_error(&dir, &["log", "decision", "Use rmcp"]));
    assert_eq!(text, "baton: no active session; `baton start` begins one");

    let (text, error) = c.call("end_session", json!({"summary": "x"}));
    assert!(error);
    assert_eq!(text, cli_error(&dir, &["end", "--summary", "x"]));

    assert!(
        cli(&dir, &["start", "--quiet", "--goal", "one"])
            .status
            .success()
    );
    let (text, error) = c.call("log_insight", json!({"text": "   "}));
    assert!(error);
    assert_eq!(text, cli_error(&dir, &["log", "insight", "   "]));

    assert!(
        cli(&dir, &["start", "--quiet", "--goal", "two"])
            .status
            .success()
    );
    let (text, error) = c.call("log_next", json!({"text": "x"}));
    assert!(error);
    assert_eq!(text, cli_error(&dir, &["log", "next", "x"]));
    assert!(text.contains("several sessions are active"), "{text}");

    let (text, error) = c.call(
        "log_code",
        json!({"path": "a.rs", "session": "2025-11-15-009"}),
    );
    assert!(error);
    assert_eq!(
        text,
        cli_error(
            &dir,
            &["--session", "2025-11-15-009", "log", "code", "a.rs"]
        )
    );
    let (text, error) = c.call("start_session", json!({"id": "../escape"}));
    assert!(error);
    assert_eq!(text, cli_error(&dir, &["start", "--id", "../escape"]));

    // Arguments the schema rejects, unknown tools and resources: protocol-level answers.
    let (text, error) = c.call("log_next", json!({"text": "x", "priority": "urgent"}));
    assert!(error && text.contains("urgent"), "{text}");
    let answer = c.request("tools/call", json!({"name": "nope", "arguments": {}}));
    assert!(answer["error"].is_object(), "{answer}");
    let answer = c.read("baton://nothing");
    assert_eq!(answer["error"]["code"], -32002, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("baton://pending")
    );
    let answer = c.read("baton://handoff/latest");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("baton: no handoff yet"),
        "{answer}"
    );
    c.finish();
}

#[test]
fn the_session_is_chosen_as_on_the_command_line() {
    let (_tmp, dir) = init_dir();
    let a = String::from_utf8(cli(&dir, &["start", "--quiet", "--goal", "a"]).stdout).unwrap();
    let b = String::from_utf8(cli(&dir, &["start", "--quiet", "--goal", "b"]).stdout).unwrap();
    let (a, b) = (a.trim(), b.trim());

    // --session names the default; a tool's `session` argument overrides it.
    let mut c = Client::start(&dir, &["--session", a], &[]);
    assert!(c.ok("log_decision", json!({"text": "into a"})).contains(a));
    assert!(
        c.ok("log_decision", json!({"text": "into b", "session": b}))
            .contains(b)
    );
    c.finish();
    // So does BATON_SESSION.
    let mut c = Client::start(&dir, &[], &[("BATON_SESSION", b)]);
    assert!(
        c.ok("log_achievement", json!({"text": "b again"}))
            .contains(b)
    );
    c.finish();

    let events_a = read(dir.join(format!("ACTIVE_SESSIONS/{a}.jsonl")));
    let events_b = read(dir.join(format!("ACTIVE_SESSIONS/{b}.jsonl")));
    assert!(events_a.contains("into a") && !events_a.contains("into b"));
    assert!(events_b.contains("into b") && events_b.contains("b again"));
}
