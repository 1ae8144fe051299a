//! `baton validate` through the real binary: every file checked, `PATH:LINE:COL: message`,
//! secrets in hand-written files, stale sessions, unsafe names, unfinished merges, and
//! hostile directories (deep nesting, huge files, symlink loops, FIFOs, unreadable files,
//! invalid UTF-8) reported without a crash or a hang.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::Value;

/// A sessions directory made by `baton init`, with the paths tests poke at.
struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn init() -> Dir {
        let d = Dir {
            tmp: tempfile::tempdir().unwrap(),
        };
        stdout_of(&mut d.baton(&["init"]));
        d
    }

    fn path(&self) -> PathBuf {
        self.tmp.path().join("sessions")
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.file(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    fn baton(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = baton_cmd();
        cmd.current_dir(self.tmp.path())
            .arg("--dir")
            .arg(self.path())
            .args(args)
            .timeout(Duration::from_secs(60));
        cmd
    }

    fn validate(&self) -> Outcome {
        self.validate_env(&[])
    }

    fn validate_env(&self, env: &[(&str, &str)]) -> Outcome {
        let mut cmd = self.baton(&["validate"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Outcome::of(cmd.output().expect("runs"))
    }

    fn validate_json(&self) -> (Option<i32>, Value) {
        let out = self
            .baton(&["validate", "--format", "json"])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("validate --format json printed invalid JSON ({e}):\n{stdout}")
        });
        (out.status.code(), json)
    }
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn of(out: std::process::Output) -> Outcome {
        let o = Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !o.stderr.contains("panicked"),
            "baton panicked:\n{}",
            o.stderr
        );
        o
    }

    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// The one output line about `path`+`needle`.
    fn line_with(&self, path_prefix: &str, needle: &str) -> &str {
        self.lines()
            .into_iter()
            .find(|l| l.starts_with(path_prefix) && l.contains(needle))
            .unwrap_or_else(|| {
                panic!(
                    "no line starting {path_prefix:?} containing {needle:?} in:\n{}",
                    self.stdout
                )
            })
    }
}

fn set_mtime(path: &Path, ago: Duration) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - ago).unwrap();
}

fn ghp() -> String {
    format!("ghp_{}", "A1b2".repeat(9))
}

fn aws() -> String {
    format!("AKIA{}", "Z7QW2R5T9Y3U6I8P")
}

fn slack() -> String {
    format!(
        "xoxb-{}-{}-{}",
        "1234567890", "9876543210", "q1W2e3R4t5Y6u7I8o9P0a1S2"
    )
}

#[test]
fn a_directory_baton_wrote_validates_silently() {
    let d = Dir::init();
    stdout_of(&mut d.baton(&["start", "--id", "s1", "-q", "--goal", "ship it"]));
    stdout_of(&mut d.baton(&["log", "decision", "use rust", "--why", "speed"]));
    stdout_of(&mut d.baton(&["log", "insight", "fsync the directory", "--practice"]));
    stdout_of(&mut d.baton(&["log", "next", "write docs", "--priority", "high"]));
    stdout_of(&mut d.baton(&["log", "code", "src/main.rs", "--note", "entry"]));
    stdout_of(&mut d.baton(&["end", "--summary", "done"]));
    stdout_of(&mut d.baton(&["start", "--id", "s2", "-q"]));
    stdout_of(&mut d.baton(&["log", "decision", "keep going"]));

    let out = d.validate();
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.starts_with("ok: "), "{}", out.stderr);
    let (code, json) = d.validate_json();
    assert_eq!(code, Some(0));
    assert_eq!(json["problems"], Value::Array(vec![]));
    // KB, the archive, the handoff, DECISIONS_LOG, CODE_REGISTRY, INSIGHTS_DB, INSIGHTS.log,
    // the active session's events.
    assert!(json["files_checked"].as_u64().unwrap() >= 8, "{json}");
}

#[test]
fn the_seed_made_directory_validates() {
    let home = SeedHome::immediate_setup();
    home.run_seed_script("during_session.sh");
    let out = Outcome::of(home.baton(&["validate"]).output().unwrap());
    // The seed's `echo '{"decision": "..."}'` lines are fine; the mojibake is valid UTF-8.
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn a_malformed_knowledge_base_is_reported_at_its_exact_place() {
    let d = Dir::init();
    d.write(
        "UNIFIED_KNOWLEDGE.json",
        fixture_text("UNIFIED_KNOWLEDGE.malformed.json"),
    );
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    assert!(
        out.lines()[0].starts_with("UNIFIED_KNOWLEDGE.json:5:4: control character"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("1 problem found"), "{}", out.stderr);
    let (code, json) = d.validate_json();
    assert_eq!(code, Some(1));
    let p = &json["problems"][0];
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["path", "line", "column", "severity", "message", "kind"]
    );
    assert_eq!(p["path"], "UNIFIED_KNOWLEDGE.json");
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(5), Some(4))
    );
    assert_eq!(p["severity"], "error");
    assert_eq!(p["kind"], "syntax");
}

#[test]
fn every_kind_of_file_is_checked_with_line_and_column() {
    let d = Dir::init();
    d.write(
        "CURRENT_SESSION.json",
        "{\n  \"session_id\": \"2025-11-15-001\",\n  \"achievements\": [\"a\",]\n}\n",
    );
    d.write(
        "SERVICES.json",
        "{\"services\": [\n  {\"name\": \"api\", \"url\": \"http://127.0.0.1:9/health\"},\n  {\"name\": \"db\"}\n]}\n",
    );
    d.write(
        "SESSION_LOGS/old.json",
        "{\"session_id\": \"old\",\n\"ended_at\": }\n",
    );
    d.write(
        "SESSION_LOGS/renamed.json",
        "{\"session_id\": \"other\", \"ended_at\": \"2025-11-15T20:00:00Z\"}\n",
    );
    d.write(
        "ACTIVE_SESSIONS/live.jsonl",
        format!(
            "{{\"at\":\"{}\",\"kind\":\"start\",\"session_id\":\"live\"}}\n{{\"at\":\"x\",\"kind\":\"nonsense\"}}\n{{\"at\":\"x\",\"kind\":\"decision\",\"decision\":\"d\"}}\n{{\"at\":\"x\",\"kind\"",
            chrono::Utc::now().to_rfc3339()
        ),
    );
    d.write(
        "DECISIONS_LOG.json",
        "{\"decision\": \"a\"}\n{\"decision\": \"b\",}\n\"just a string\"\n{\"decision\": \"to",
    );
    d.write("CODE_REGISTRY.json", "[{\"path\": \"a\"}, {\"path\": ]");
    d.write(
        ".baton/config.json",
        "{\"redact\": {\"allow\": [\"x\"],}}\n",
    );

    let out = d.validate();
    assert_eq!(out.code, Some(1));
    let expect = [
        ".baton/config.json:1:28: trailing comma",
        "ACTIVE_SESSIONS/live.jsonl:2:1: not a baton event",
        "ACTIVE_SESSIONS/live.jsonl:4:",
        "CODE_REGISTRY.json:1:26: expected value",
        "CURRENT_SESSION.json:3:24: trailing comma",
        "DECISIONS_LOG.json:2:18: trailing comma",
        "DECISIONS_LOG.json:3:1: an entry that is a string",
        "DECISIONS_LOG.json:4:",
        "SERVICES.json:3:3: services[1] has no \"url\"",
        "SESSION_LOGS/old.json:2:13: expected value",
        "SESSION_LOGS/renamed.json:1:2: session_id \"other\" differs from the file name",
    ];
    for e in expect {
        assert!(
            out.lines().iter().any(|l| l.starts_with(e)),
            "missing {e:?} in:\n{}",
            out.stdout
        );
    }
    assert!(
        out.line_with("DECISIONS_LOG.json:4:", "torn last line")
            .contains("interrupted write")
    );
    assert_eq!(out.lines().len(), expect.len(), "{}", out.stdout);
    // A broken config is one of the problems, not a reason to stop (exit 1, not 2) …
    let (code, json) = d.validate_json();
    assert_eq!(code, Some(1));
    let kinds: Vec<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"syntax") && kinds.contains(&"schema"),
        "{kinds:?}"
    );
    // … while the commands that write still refuse to run on it.
    d.baton(&["start", "-q"]).assert().code(2);
}

#[test]
fn secrets_in_files_baton_did_not_write_are_found_but_never_printed() {
    let d = Dir::init();
    let (gh, aws, slack) = (ghp(), aws(), slack());
    d.write(
        "SESSION_HANDOFFS/2025-11-15_handoff.md",
        format!("# Session Handoff - 2025-11-15\n\n## Accomplished\n- pushed with {gh}\n"),
    );
    d.write(
        "UNIFIED_KNOWLEDGE.json",
        format!("{{\n  \"total_sessions\": 1,\n  \"notes\": \"aws {aws}\"\n}}\n"),
    );
    d.write(
        "DECISIONS_LOG.json",
        format!("{{\"decision\": \"ok\"}}\n{{\"decision\": \"token {slack}\"}}\n"),
    );
    d.write(
        "INSIGHTS.log",
        format!("Insight: plain\nInsight: key {gh}\n"),
    );
    d.write("notes/todo.txt", format!("remember {aws}\n"));
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    assert!(
        out.line_with(
            "SESSION_HANDOFFS/2025-11-15_handoff.md:4:",
            "possible secret"
        )
        .contains("github-pat")
    );
    assert!(
        out.line_with("UNIFIED_KNOWLEDGE.json:3:", "possible secret")
            .contains("aws-access-key")
    );
    assert!(
        out.line_with("DECISIONS_LOG.json:2:", "possible secret")
            .contains("slack-token")
    );
    assert!(
        out.line_with("INSIGHTS.log:2:", "possible secret")
            .contains("github-pat")
    );
    assert!(
        out.line_with("notes/todo.txt:1:", "possible secret")
            .contains("aws-access-key")
    );
    let (_, json) = d.validate_json();
    let all = format!("{}{}{json}", out.stdout, out.stderr);
    for secret in [&gh, &aws, &slack] {
        assert!(!all.contains(secret.as_str()), "a secret was printed");
    }
    assert!(
        json["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["kind"] == "secret")
    );

    // What the config allows is not reported.
    d.write(
        ".baton/config.json",
        format!(
            "{{\"redact\": {{\"allow\": [\"{gh}\"], \"allow_patterns\": [\"^xoxb-1234567890-\"]}}}}"
        ),
    );
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    assert!(!out.stdout.contains("github-pat"), "{}", out.stdout);
    assert!(!out.stdout.contains("slack-token"), "{}", out.stdout);
    assert_eq!(
        out.lines().len(),
        2,
        "only the AWS keys remain:\n{}",
        out.stdout
    );
}

#[test]
fn active_sessions_idle_for_over_a_day_are_reported_with_how_to_end_or_resume() {
    let d = Dir::init();
    stdout_of(&mut d.baton(&["start", "--id", "quiet", "-q"]));
    stdout_of(&mut d.baton(&["log", "decision", "something"]));
    assert_eq!(d.validate().code, Some(0), "fresh is fine");

    let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let out = d.validate_env(&[("BATON_NOW", &later)]);
    assert_eq!(out.code, Some(1));
    let line = out.line_with("ACTIVE_SESSIONS/quiet.jsonl:2:1:", "quiet");
    assert!(line.contains("3 d"), "{line}");
    assert!(line.contains("baton end --session quiet"), "{line}");
    assert!(line.contains("baton log"), "{line}");
    let (_, json) = {
        let mut cmd = d.baton(&["validate", "--format", "json"]);
        cmd.env("BATON_NOW", &later);
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        )
    };
    assert_eq!(json["problems"][0]["kind"], "stale-session");
    assert_eq!(json["problems"][0]["severity"], "warning");

    // The seed's CURRENT_SESSION.json without ended_at, untouched for two days.
    let d = Dir::init();
    d.write(
        "CURRENT_SESSION.json",
        "{\"session_id\": \"2025-11-15-001\", \"started_at\": \"2025-11-15T20:00:00Z\", \"primary_goal\": \"x\"}",
    );
    set_mtime(
        &d.file("CURRENT_SESSION.json"),
        Duration::from_secs(2 * 86_400 + 60),
    );
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    assert!(
        out.line_with("CURRENT_SESSION.json:1:1:", "2025-11-15-001")
            .contains("baton end --session 2025-11-15-001")
    );
}

#[test]
fn unsafe_names_and_ids_are_reported() {
    let d = Dir::init();
    d.write(
        "SESSION_LOGS/bad:name.json",
        "{\"session_id\": \"bad:name\", \"ended_at\": \"2025-11-15T20:00:00Z\"}",
    );
    d.write(
        "ACTIVE_SESSIONS/tab\there.jsonl",
        format!(
            "{{\"at\":\"{}\",\"kind\":\"start\",\"session_id\":\"tab\\there\"}}\n",
            chrono::Utc::now().to_rfc3339()
        ),
    );
    d.write(
        "CURRENT_SESSION.json",
        "{\n  \"session_id\": \"../../escape\",\n  \"primary_goal\": \"x\"\n}",
    );
    d.write("SESSION_HANDOFFS/bell\u{7}.md", "# Session Handoff\n");
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    assert!(
        out.line_with("SESSION_LOGS/bad:name.json:1:1:", "unsafe file name")
            .contains("not allowed in file names")
    );
    assert!(
        out.line_with("ACTIVE_SESSIONS/tab\there.jsonl:1:1:", "unsafe file name")
            .contains("control character")
    );
    assert!(
        out.line_with("CURRENT_SESSION.json:2:3:", "`..`")
            .contains("session id")
    );
    out.line_with(
        "SESSION_HANDOFFS/bell\u{7}.md:1:1:",
        "control character U+0007",
    );
    let (_, json) = d.validate_json();
    assert!(
        json["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == "unsafe-name")
            .count()
            >= 4,
        "{json}"
    );
}

#[test]
fn a_session_left_unmerged_says_baton_merge_finishes_it() {
    let d = Dir::init();
    stdout_of(&mut d.baton(&["start", "--id", "s1", "-q"]));
    stdout_of(&mut d.baton(&["log", "decision", "d1"]));
    let good = fs::read_to_string(d.file("UNIFIED_KNOWLEDGE.json")).unwrap();
    d.write("UNIFIED_KNOWLEDGE.json", "{\"total_sessions\": 1,,}");
    d.baton(&["end"]).assert().code(2);
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    assert!(
        out.lines()[0].starts_with("UNIFIED_KNOWLEDGE.json:1:22:"),
        "{}",
        out.stdout
    );
    let line = out.line_with(".baton/unmerged/s1:1:1:", "s1");
    assert!(line.contains("`baton merge` finishes it"), "{line}");
    // Fixed and merged: nothing left to say.
    d.write("UNIFIED_KNOWLEDGE.json", good);
    stdout_of(&mut d.baton(&["merge"]));
    let out = d.validate();
    assert_eq!(out.code, Some(0), "{}", out.stdout);
}

#[test]
fn hostile_files_are_reported_never_a_crash_or_a_hang() {
    let d = Dir::init();
    // Deep nesting: in a document, in a JSON line, and in a handoff's Markdown.
    d.write(
        "UNIFIED_KNOWLEDGE.json",
        format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000)),
    );
    d.write(
        "INSIGHTS_DB.json",
        format!("{{\"ok\": 1}}\n{}\n", "[".repeat(50_000)),
    );
    d.write(
        "SESSION_HANDOFFS/deep.md",
        format!("{}## x\n{}\n", "> ".repeat(20_000), "- ".repeat(20_000)),
    );
    // Huge: a sparse file past the read limit is reported, not read.
    let huge = fs::File::create(d.file("DECISIONS_LOG.json")).unwrap();
    huge.set_len(baton::store::fsio::MAX_READ_BYTES + 1)
        .unwrap();
    drop(huge);
    // Invalid UTF-8 in a known file and in a handoff.
    d.write(
        "INSIGHTS.log",
        b"Insight: ok\nInsight: caf\xe9\n".as_slice(),
    );
    d.write(
        "SESSION_HANDOFFS/latin1.md",
        b"# Handoff\n\n- na\xefve\n".as_slice(),
    );
    // Symlink loops: a link to itself, one back to its own directory, one to the root.
    std::os::unix::fs::symlink("self", d.file("self")).unwrap();
    std::os::unix::fs::symlink("..", d.file("SESSION_HANDOFFS/up")).unwrap();
    std::os::unix::fs::symlink(".", d.file("SESSION_LOGS_LINK")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.file("SESSION_HANDOFFS/dangling.md")).unwrap();
    fs::remove_dir(d.file("ACTIVE_SESSIONS")).unwrap();
    std::os::unix::fs::symlink(".", d.file("ACTIVE_SESSIONS")).unwrap();
    // A deep directory tree outside the layout.
    let mut deep = d.file("attic");
    for i in 0..40 {
        deep = deep.join(format!("d{i}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("note.txt"), "deep").unwrap();
    // FIFOs: one where a file is expected (opening it would block forever), one elsewhere.
    for name in ["CURRENT_SESSION.json", "pipe"] {
        let status = std::process::Command::new("mkfifo")
            .arg(d.file(name))
            .status()
            .unwrap();
        assert!(status.success());
    }
    // A directory where a file is expected, and binary junk.
    let _ = fs::remove_file(d.file("SERVICES.json")); // `init` writes an example
    fs::create_dir(d.file("SERVICES.json")).unwrap();
    d.write("blob.bin", [0u8, 159, 146, 150, 0, 255].repeat(1000));

    let out = d.validate();
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.line_with("UNIFIED_KNOWLEDGE.json:1:", "nesting deeper")
            .contains("100 levels")
    );
    out.line_with("INSIGHTS_DB.json:2:", "recursion limit");
    assert!(
        out.line_with("DECISIONS_LOG.json:1:1:", "over the 256 MB baton reads")
            .contains(&format!("{} bytes", baton::store::fsio::MAX_READ_BYTES + 1))
    );
    out.line_with("INSIGHTS.log:2:13:", "not valid UTF-8");
    out.line_with("SESSION_HANDOFFS/latin1.md:3:5:", "not valid UTF-8");
    out.line_with("self:1:1:", "symlink loop");
    out.line_with("SESSION_HANDOFFS/up:1:1:", "symlink loop");
    out.line_with("SESSION_LOGS_LINK:1:1:", "symlink loop");
    out.line_with("ACTIVE_SESSIONS:1:1:", "symlink loop");
    out.line_with("SESSION_HANDOFFS/dangling.md:1:1:", "broken symlink");
    out.line_with(
        "attic/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15",
        "nested deeper",
    );
    out.line_with("CURRENT_SESSION.json:1:1:", "not a regular file");
    out.line_with("pipe:1:1:", "not a regular file");
    out.line_with(
        "SERVICES.json:1:1:",
        "a directory where baton expects a file",
    );
    assert!(
        !out.stdout.contains("blob.bin"),
        "binary files are not scanned"
    );
    let (code, json) = d.validate_json();
    assert_eq!(code, Some(1));
    let kinds: std::collections::BTreeSet<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    for k in ["syntax", "too-large", "encoding", "symlink", "unreadable"] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
}

/// Tests run as root here, and chmod 000 does not stop root from reading: then the file is
/// simply checked. As any other user it is reported as unreadable.
#[test]
fn unreadable_files_are_reported_or_read_never_a_crash() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::init();
    d.write(
        "SESSION_LOGS/x.json",
        "{\"session_id\": \"x\", \"ended_at\": \"2025-11-15T20:00:00Z\"}",
    );
    let kb = d.file("UNIFIED_KNOWLEDGE.json");
    let logs = d.file("SESSION_LOGS");
    fs::set_permissions(&kb, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(&logs, fs::Permissions::from_mode(0o000)).unwrap();
    let root_reads_anyway = fs::read(&kb).is_ok();
    let out = d.validate();
    fs::set_permissions(&kb, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&logs, fs::Permissions::from_mode(0o755)).unwrap();
    if root_reads_anyway {
        assert_eq!(out.code, Some(0), "{}", out.stdout);
    } else {
        assert_eq!(out.code, Some(1));
        out.line_with("UNIFIED_KNOWLEDGE.json:1:1:", "cannot be read");
        out.line_with("SESSION_LOGS:1:1:", "cannot list");
    }
}

#[test]
fn leftover_temp_files_are_reported_once_old() {
    let d = Dir::init();
    d.write(".UNIFIED_KNOWLEDGE.json.baton-tmp-99-0", "{\"half");
    d.write("SESSION_LOGS/.s1.json.baton-tmp-99-1", "");
    assert_eq!(
        d.validate().code,
        Some(0),
        "fresh ones may be writes in progress"
    );
    set_mtime(
        &d.file(".UNIFIED_KNOWLEDGE.json.baton-tmp-99-0"),
        Duration::from_secs(7200),
    );
    set_mtime(
        &d.file("SESSION_LOGS/.s1.json.baton-tmp-99-1"),
        Duration::from_secs(7200),
    );
    let out = d.validate();
    assert_eq!(out.code, Some(1));
    out.line_with(
        ".UNIFIED_KNOWLEDGE.json.baton-tmp-99-0:1:1:",
        "interrupted write",
    );
    out.line_with(
        "SESSION_LOGS/.s1.json.baton-tmp-99-1:1:1:",
        "interrupted write",
    );
}

#[test]
fn a_missing_directory_is_one_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Outcome::of(
        baton_cmd()
            .arg("--dir")
            .arg(tmp.path().join("nope"))
            .arg("validate")
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("baton init"), "{}", out.stdout);
    assert!(
        !tmp.path().join("nope").exists(),
        "validate creates nothing"
    );
}
