//! `baton hooks`: merging into Claude Code's settings through the real binary, and what the
//! installed hooks print.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::{Value, json};

/// A project directory (a git repository) with an initialised sessions directory, and a HOME
/// of its own so `--user` never touches the real one.
struct Project {
    tmp: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("repo/src/deep")).unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        git(&tmp.path().join("repo"), &["init", "-q"]);
        Project { tmp }
    }

    fn repo(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn settings(&self) -> PathBuf {
        self.repo().join(".claude/settings.json")
    }

    /// `baton ARGS` from a subdirectory of the repository, HOME pointed at the temp home.
    fn baton(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = baton_cmd();
        cmd.current_dir(self.repo().join("src/deep"))
            .env("HOME", self.home())
            .args(args);
        cmd
    }

    fn init_sessions(&self) {
        stdout_of(baton_cmd().current_dir(self.repo()).arg("init"));
    }
}

fn baton_path() -> String {
    let exe = assert_cmd::cargo::cargo_bin("baton");
    std::fs::canonicalize(exe)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const EXISTING: &str = r#"{
  "model": "claude-opus",
  "permissions": {
    "allow": ["Bash(cargo test:*)"]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [{"type": "command", "command": "~/bin/guard.sh", "timeout": 5}]
      }
    ],
    "SessionStart": [
      {
        "matcher": "startup",
        "hooks": [{"type": "command", "command": "other-tool context"}]
      }
    ]
  },
  "env": {"FOO": "1"}
}
"#;

#[test]
fn install_merges_into_existing_settings_and_keeps_everything_else() {
    let p = Project::new();
    write(&p.settings(), EXISTING);
    let out = stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    assert!(out.starts_with("added 2 hooks in "), "{out}");
    assert!(out.contains(&p.settings().canonicalize().unwrap().display().to_string()));

    let after = read_json(&p.settings());
    let before: Value = serde_json::from_str(EXISTING).unwrap();
    let keys: Vec<&String> = after.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["model", "permissions", "hooks", "env"],
        "key order kept"
    );
    for key in ["model", "permissions", "env"] {
        assert_eq!(after[key], before[key]);
    }
    assert_eq!(after["hooks"]["PreToolUse"], before["hooks"]["PreToolUse"]);
    let baton = baton_path();
    assert_eq!(
        after["hooks"]["SessionStart"],
        json!([
            {"matcher": "startup", "hooks": [{"type": "command", "command": "other-tool context"}]},
            {"hooks": [{"type": "command", "command": format!("{baton} hooks session-start")}]}
        ])
    );
    assert_eq!(
        after["hooks"]["Stop"],
        json!([{"hooks": [{"type": "command", "command": format!("{baton} hooks remind")}]}])
    );
    let text = std::fs::read_to_string(p.settings()).unwrap();
    assert!(
        text.contains("\n  \"model\": \"claude-opus\",\n"),
        "two-space pretty JSON:\n{text}"
    );
}

#[test]
fn install_twice_changes_nothing_the_second_time() {
    let p = Project::new();
    write(&p.settings(), EXISTING);
    stdout_of(&mut p.baton(&["hooks", "install", "claude", "--project"]));
    let first = std::fs::read(p.settings()).unwrap();
    let out = stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    assert!(out.starts_with("baton's hooks are already in "), "{out}");
    assert_eq!(std::fs::read(p.settings()).unwrap(), first, "byte for byte");
    let v = read_json(&p.settings());
    assert_eq!(v["hooks"]["SessionStart"].as_array().unwrap().len(), 2);
    assert_eq!(v["hooks"]["Stop"].as_array().unwrap().len(), 1);
}

#[test]
fn uninstall_removes_exactly_what_install_added() {
    let p = Project::new();
    write(&p.settings(), EXISTING);
    stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    let out = stdout_of(&mut p.baton(&["hooks", "uninstall", "claude"]));
    assert!(out.starts_with("removed 2 hooks in "), "{out}");
    assert_eq!(
        read_json(&p.settings()),
        serde_json::from_str::<Value>(EXISTING).unwrap()
    );
    let out = stdout_of(&mut p.baton(&["hooks", "uninstall", "claude"]));
    assert!(out.starts_with("no baton hooks in "), "{out}");
}

#[test]
fn uninstall_drops_the_hooks_object_baton_created() {
    let p = Project::new();
    write(&p.settings(), "{\n  \"model\": \"sonnet\"\n}\n");
    stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    assert!(read_json(&p.settings())["hooks"].is_object());
    stdout_of(&mut p.baton(&["hooks", "uninstall", "claude"]));
    assert_eq!(
        std::fs::read_to_string(p.settings()).unwrap(),
        "{\n  \"model\": \"sonnet\"\n}\n"
    );

    // No settings file at all: install creates one, uninstall leaves an empty object.
    let q = Project::new();
    stdout_of(&mut q.baton(&["hooks", "install", "claude"]));
    assert_eq!(
        read_json(&q.settings())["hooks"]["Stop"][0]["hooks"][0]["type"],
        "command"
    );
    stdout_of(&mut q.baton(&["hooks", "uninstall", "claude"]));
    assert_eq!(std::fs::read_to_string(q.settings()).unwrap(), "{}\n");
}

#[test]
fn jsonc_comments_are_refused_and_the_file_is_untouched() {
    let p = Project::new();
    let jsonc = "{\n  \"model\": \"opus\",\n  // keep this\n  \"hooks\": {}\n}\n";
    write(&p.settings(), jsonc);
    for verb in ["install", "uninstall"] {
        let out = p.baton(&["hooks", verb, "claude"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{verb}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let shown = p.settings().canonicalize().unwrap().display().to_string();
        assert_eq!(
            stderr.trim_end(),
            format!(
                "baton: {shown}:3:3: `//` comments are not JSON; remove them or merge by hand; nothing was changed"
            ),
            "{verb}"
        );
        assert!(out.stdout.is_empty());
        assert_eq!(std::fs::read_to_string(p.settings()).unwrap(), jsonc);
    }
    let leftovers: Vec<_> = std::fs::read_dir(p.repo().join(".claude"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp files: {leftovers:?}");
}

#[test]
fn other_invalid_settings_are_refused_too() {
    let p = Project::new();
    for bad in ["{\"a\": 1,}\n", "[1, 2]\n", "{\"hooks\": [\"x\"]}\n"] {
        write(&p.settings(), bad);
        let out = p.baton(&["hooks", "install", "claude"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("nothing was changed"),
            "{bad}"
        );
        assert_eq!(std::fs::read_to_string(p.settings()).unwrap(), bad);
    }
}

#[test]
fn print_shows_the_result_and_writes_nothing() {
    let p = Project::new();
    let out = p
        .baton(&["hooks", "install", "claude", "--print"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    assert_eq!(
        shown["hooks"]["SessionStart"][0]["hooks"][0]["command"],
        format!("{} hooks session-start", baton_path())
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    assert!(!p.settings().exists());
    assert!(!p.repo().join(".claude").exists());

    write(&p.settings(), EXISTING);
    stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    let installed = std::fs::read(p.settings()).unwrap();
    let out = stdout_of(&mut p.baton(&["hooks", "uninstall", "claude", "--print"]));
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        serde_json::from_str::<Value>(EXISTING).unwrap()
    );
    assert_eq!(std::fs::read(p.settings()).unwrap(), installed);
}

#[test]
fn user_and_local_scopes_write_their_own_files() {
    let p = Project::new();
    stdout_of(&mut p.baton(&["hooks", "install", "claude", "--user"]));
    let user = p.home().join(".claude/settings.json");
    assert!(read_json(&user)["hooks"]["SessionStart"].is_array());
    assert!(!p.settings().exists());

    stdout_of(&mut p.baton(&["hooks", "install", "claude", "--local"]));
    assert!(read_json(&p.repo().join(".claude/settings.local.json"))["hooks"]["Stop"].is_array());
    assert!(!p.settings().exists());

    stdout_of(&mut p.baton(&["hooks", "uninstall", "claude", "--user"]));
    assert_eq!(std::fs::read_to_string(&user).unwrap(), "{}\n");

    let out = p
        .baton(&["hooks", "install", "claude", "--user", "--project"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "one scope at a time");
}

#[test]
fn a_named_directory_goes_into_the_hook_commands() {
    let p = Project::new();
    let dir = p.tmp.path().join("elsewhere sessions");
    std::fs::create_dir_all(&dir).unwrap();
    let dir_arg = dir.to_string_lossy().into_owned();
    stdout_of(&mut p.baton(&["--dir", &dir_arg, "hooks", "install", "claude"]));
    let cmd = read_json(&p.settings())["hooks"]["SessionStart"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_string();
    let canonical = dir.canonicalize().unwrap();
    assert_eq!(
        cmd,
        format!(
            "{} hooks session-start --dir '{}'",
            baton_path(),
            canonical.display()
        )
    );
    // Installing again without --dir replaces it: one entry per hook, never two.
    let out = stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    assert!(out.starts_with("updated 2 hooks"), "{out}");
    assert_eq!(
        read_json(&p.settings())["hooks"]["SessionStart"][0]["hooks"][0]["command"],
        format!("{} hooks session-start", baton_path())
    );
}

/// Runs a hook's command the way Claude Code does: through a shell, in the project.
fn run_hook(p: &Project, event: &str, stdin: &str, now: &str) -> std::process::Output {
    let settings = read_json(&p.settings());
    let command = settings["hooks"][event][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&command)
        .current_dir(p.repo())
        .env_remove("BATON_DIR")
        .env_remove("BATON_SESSION")
        .env("BATON_NOW", now)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn active_ids(p: &Project) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(p.repo().join("docs/sessions/ACTIVE_SESSIONS"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".jsonl").map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_session_start_hook_starts_a_session_once_and_prints_the_context() {
    let p = Project::new();
    p.init_sessions();
    stdout_of(baton_cmd().current_dir(p.repo()).args([
        "pending",
        "add",
        "Ship the MCP server",
        "--priority",
        "high",
    ]));
    stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    let input = r#"{"session_id":"abc","hook_event_name":"SessionStart","source":"startup"}"#;

    let out = run_hook(&p, "SessionStart", input, "2025-11-15T10:00:00Z");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let ids = active_ids(&p);
    assert_eq!(ids.len(), 1, "one session started");
    let id = &ids[0];
    assert!(id.starts_with("2025-11-15-"), "{id}");
    assert!(
        text.contains(&format!(
            "baton session {id} was started for this conversation."
        )),
        "{text}"
    );
    assert!(text.contains("`baton log decision"), "{text}");
    assert!(text.contains("`baton end --summary"), "{text}");
    assert!(
        text.contains("# Session context"),
        "the context pack follows:\n{text}"
    );
    assert!(text.contains("[high] Ship the MCP server"), "{text}");

    // Resumed, cleared or compacted: the same session goes on; nothing new is started.
    let out = run_hook(&p, "SessionStart", input, "2025-11-15T11:00:00Z");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "baton session {id} (no goal set) is active; you are continuing it."
        )),
        "{text}"
    );
    assert_eq!(&active_ids(&p), &ids);

    // Two active sessions: none is guessed.
    stdout_of(
        baton_cmd()
            .current_dir(p.repo())
            .env("BATON_NOW", "2025-11-15T11:30:00Z")
            .args(["start", "--quiet", "--goal", "parallel work"]),
    );
    let out = run_hook(&p, "SessionStart", input, "2025-11-15T12:00:00Z");
    let text = String::from_utf8(out.stdout).unwrap();
    let both = active_ids(&p);
    assert_eq!(both.len(), 2);
    assert!(
        text.contains(&format!(
            "Several baton sessions are active: {} (no goal set), {} (parallel work)",
            both[0], both[1]
        )),
        "{text}"
    );
}

#[test]
fn the_session_start_output_fits_claude_codes_hook_limit() {
    let p = Project::new();
    p.init_sessions();
    let long: String = (0..400)
        .map(|i| format!("- line {i} of a very long handoff that goes on and on\n"))
        .collect();
    write(
        &p.repo()
            .join("docs/sessions/SESSION_HANDOFFS/2025-11-14_session_1.md"),
        &format!("# Handoff\n\n## Quick Summary\nDid a lot.\n\n## What Was Accomplished\n{long}"),
    );
    let pending: Vec<Value> = (0..200)
        .map(|i| json!({"task": format!("pending item number {i} with some words"), "priority": "high"}))
        .collect();
    write(
        &p.repo().join("docs/sessions/UNIFIED_KNOWLEDGE.json"),
        &json!({"total_sessions": 1, "pending_work": pending}).to_string(),
    );
    let out = stdout_of(&mut p.baton(&["hooks", "session-start"]));
    assert!(
        out.chars().count() <= 10_000,
        "{} characters",
        out.chars().count()
    );
    assert!(out.contains("`baton context` prints all of it"), "{out}");
}

#[test]
fn the_hooks_are_silent_where_there_is_no_sessions_directory() {
    let p = Project::new();
    for args in [["hooks", "session-start"], ["hooks", "remind"]] {
        let out = p.baton(&args).output().unwrap();
        assert!(out.status.success());
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(!p.repo().join("docs").exists(), "nothing created");
}

#[test]
fn the_stop_hook_reminds_at_most_once_per_interval() {
    let p = Project::new();
    p.init_sessions();
    stdout_of(&mut p.baton(&["hooks", "install", "claude"]));
    let stop = r#"{"session_id":"abc","hook_event_name":"Stop","stop_hook_active":false}"#;

    // No session: nothing to remind of.
    let out = run_hook(&p, "Stop", stop, "2025-11-15T10:00:00Z");
    assert!(out.status.success() && out.stdout.is_empty());

    let id = stdout_of(
        baton_cmd()
            .current_dir(p.repo())
            .env("BATON_NOW", "2025-11-15T10:00:00Z")
            .args(["start", "--quiet", "--goal", "hooks"]),
    );
    let id = id.trim();
    stdout_of(
        baton_cmd()
            .current_dir(p.repo())
            .env("BATON_NOW", "2025-11-15T10:05:00Z")
            .args(["log", "decision", "Use rmcp"]),
    );
    let out = run_hook(&p, "Stop", stop, "2025-11-15T10:10:00Z");
    assert!(out.stdout.is_empty(), "too early");

    let out = run_hook(&p, "Stop", stop, "2025-11-15T10:31:00Z");
    assert!(out.status.success());
    let answer: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(answer["decision"], "block");
    let reason = answer["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "baton: session {id} has run 31 m (logged so far: 1 decision)"
        )),
        "{reason}"
    );
    assert!(reason.contains("`baton end --summary"), "{reason}");

    // Carrying on because of that reminder: no second one.
    let active = r#"{"session_id":"abc","hook_event_name":"Stop","stop_hook_active":true}"#;
    assert!(
        run_hook(&p, "Stop", active, "2025-11-15T11:30:00Z")
            .stdout
            .is_empty()
    );
    // Within the interval of the last reminder: none.
    assert!(
        run_hook(&p, "Stop", stop, "2025-11-15T10:50:00Z")
            .stdout
            .is_empty()
    );
    // After it: again.
    assert!(
        !run_hook(&p, "Stop", stop, "2025-11-15T11:02:00Z")
            .stdout
            .is_empty()
    );

    // Once the session has ended, its reminder time goes and nothing is said.
    stdout_of(
        baton_cmd()
            .current_dir(p.repo())
            .env("BATON_NOW", "2025-11-15T11:10:00Z")
            .args(["end", "--summary", "done"]),
    );
    assert!(
        run_hook(&p, "Stop", stop, "2025-11-15T12:00:00Z")
            .stdout
            .is_empty()
    );
    let remind_dir = p.repo().join("docs/sessions/.baton/remind");
    assert_eq!(std::fs::read_dir(remind_dir).unwrap().count(), 0);
}
