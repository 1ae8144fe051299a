//! Secrets given to baton never reach the disk: every text a command writes is redacted to
//! `[REDACTED:<rule>]` first, and stderr says what was redacted where. The config allowlist
//! lets listed false positives through.
//!
//! Fake tokens are built by concatenation, so no token-shaped literal sits in the source.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

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

    fn baton(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = baton_cmd();
        cmd.current_dir(self.tmp.path())
            .arg("--dir")
            .arg(self.path())
            .args(args);
        cmd
    }

    /// Runs a command that must succeed; returns its stderr.
    fn stderr_of(&self, args: &[&str]) -> String {
        let out = self.baton(args).output().unwrap();
        assert!(
            out.status.success(),
            "baton {args:?}: exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Every file under the whole temp dir (the sessions directory and anything beside it),
    /// as bytes.
    fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for e in fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if e.file_type().unwrap().is_dir() {
                    walk(&p, out);
                } else {
                    out.push((p.clone(), fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.tmp.path(), &mut out);
        out
    }

    fn assert_nowhere(&self, secrets: &[&str], except: &[&Path]) {
        for (path, bytes) in self.all_files() {
            if except.contains(&path.as_path()) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for s in secrets {
                assert!(
                    !text.contains(s),
                    "{} holds a raw secret ({}…)",
                    path.display(),
                    &s[..6]
                );
            }
        }
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Text of every file in the sessions directory, concatenated.
    fn everything(&self) -> String {
        self.all_files()
            .into_iter()
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }
}

/// Real-shaped fake tokens, one per rule exercised, keyed by the rule that must catch them.
fn tokens() -> Vec<(&'static str, String)> {
    let b64 = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
    vec![
        ("github-pat", format!("ghp_{}", "A1b2".repeat(9))),
        (
            "github-fine-grained-pat",
            format!("github_pat_{}", "11AbCdEfG0".repeat(9)),
        ),
        ("gitlab-pat", format!("glpat-{}", "x9Yz8Wv7Ut6Sr5Qp4On3")),
        ("aws-access-key", format!("AKIA{}", "Z7QW2R5T9Y3U6I8P")),
        (
            "openai-api-key",
            format!("sk-proj-{}", "Ab3dEf6hJk9mNp2rSt5v".repeat(2)),
        ),
        (
            "anthropic-api-key",
            format!("sk-ant-api03-{}", "Xy7_Qz9-Lm4Kp2Wn".repeat(3)),
        ),
        (
            "slack-token",
            format!(
                "xoxb-{}-{}-{}",
                "1234567890", "9876543210", "q1W2e3R4t5Y6u7I8o9P0a1S2"
            ),
        ),
        ("stripe-key", format!("sk_live_{}", "Zq8Xw2Lp5Nr7Tb4K")),
        (
            "gcp-api-key",
            format!("AIza{}", "SyD3f5G7h9J1k3L5z7X9c1V3b5N7m9Q1w3E"),
        ),
        (
            "huggingface-token",
            format!("hf_{}", "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"),
        ),
        (
            "jwt",
            format!(
                "{}.{}.{}",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
                "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ",
                "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
            ),
        ),
        (
            "private-key",
            format!(
                "-----BEGIN RSA {}-----\n{b64}\n{b64}\n-----END RSA {}-----",
                "PRIVATE KEY", "PRIVATE KEY"
            ),
        ),
    ]
}

#[test]
fn secrets_given_to_every_command_never_reach_the_disk() {
    let d = Dir::init();
    let t = tokens();
    let tok = |rule: &str| t.iter().find(|(r, _)| *r == rule).unwrap().1.clone();
    let bearer_value = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";
    let generic_value = "q8Vz2Lm4Xn7Rb1Tk9Wc3";

    let mut notes = String::new();
    notes += &d.stderr_of(&[
        "start",
        "--id",
        "s1",
        "-q",
        "--goal",
        &format!("rotate {}", tok("gitlab-pat")),
    ]);
    notes += &d.stderr_of(&[
        "log",
        "decision",
        &format!("use token {}", tok("github-pat")),
        "--why",
        &format!("the old one was {}", tok("github-fine-grained-pat")),
        "--impact",
        &format!("curl -H 'Authorization: Bearer {bearer_value}'"),
    ]);
    notes += &d.stderr_of(&[
        "log",
        "insight",
        &format!("aws key {} still works", tok("aws-access-key")),
        "--practice",
    ]);
    notes += &d.stderr_of(&[
        "log",
        "blocker",
        &format!("openai rejected {}", tok("openai-api-key")),
        "--solution",
        &format!("use {}", tok("anthropic-api-key")),
        "--lesson",
        &format!("api_key={generic_value}"),
    ]);
    notes += &d.stderr_of(&["log", "next", &format!("revoke {}", tok("slack-token"))]);
    notes += &d.stderr_of(&[
        "log",
        "code",
        "src/pay.rs",
        "--note",
        &format!("stripe {}", tok("stripe-key")),
    ]);
    notes += &d.stderr_of(&[
        "log",
        "achievement",
        &format!("shipped with {}", tok("gcp-api-key")),
    ]);
    let from = d.tmp.path().join("context.json");
    fs::write(
        &from,
        serde_json::json!({
            "session_id": "s1",
            "decisions_made": [{"decision": "sign requests", "reasoning": format!("jwt {}", tok("jwt"))}],
            "insights_gained": [format!("hf {}", tok("huggingface-token"))],
            "custom_field": {"deep": [tok("private-key")]},
        })
        .to_string(),
    )
    .unwrap();
    let end = d.baton(&[
        "end",
        "--summary",
        &format!("summary {}", tok("github-pat")),
        "--notes",
        &format!("notes {}", tok("aws-access-key")),
        "--from",
        from.to_str().unwrap(),
    ]);
    let out = { end }.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    notes += &String::from_utf8_lossy(&out.stderr);

    // Nothing baton wrote holds a raw token (the --from input file is the user's own).
    let mut raw: Vec<String> = t.iter().map(|(_, v)| v.clone()).collect();
    raw.push(bearer_value.to_string());
    raw.push(generic_value.to_string());
    // The key block is checked by its base64 body, which is what must not leak.
    raw.push("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun".into());
    let raw_refs: Vec<&str> = raw.iter().map(String::as_str).collect();
    d.assert_nowhere(&raw_refs, &[from.as_path()]);

    // Each rule left its mark, and stderr said what was redacted where.
    let everything = d.everything();
    for (rule, _) in &t {
        assert!(
            everything.contains(&format!("[REDACTED:{rule}]")),
            "no [REDACTED:{rule}] anywhere"
        );
        assert!(
            notes.contains(&format!("redacted a secret ({rule})")),
            "stderr never mentioned {rule}:\n{notes}"
        );
    }
    for rule in ["bearer", "generic-api-key"] {
        assert!(everything.contains(&format!("[REDACTED:{rule}]")), "{rule}");
    }
    for place in [
        "goal",
        "decision",
        "insight",
        "blocker",
        "next step",
        "code entry",
        "achievement",
    ] {
        assert!(
            notes.contains(&format!(") in {place}")),
            "stderr never named {place}:\n{notes}"
        );
    }
    assert!(
        !notes.contains(&tok("github-pat")),
        "stderr echoed a secret"
    );

    // The redacted texts are where they belong, still readable.
    let handoff = fs::read_dir(d.path().join("SESSION_HANDOFFS"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let handoff = fs::read_to_string(handoff).unwrap();
    assert!(
        handoff.contains("summary [REDACTED:github-pat]"),
        "{handoff}"
    );
    assert!(
        handoff.contains("use token [REDACTED:github-pat]"),
        "{handoff}"
    );
    let kb = d.read("UNIFIED_KNOWLEDGE.json");
    assert!(kb.contains("revoke [REDACTED:slack-token]"), "{kb}");
    assert!(
        kb.contains("aws key [REDACTED:aws-access-key] still works"),
        "{kb}"
    );
    let decisions = d.read("DECISIONS_LOG.json");
    assert!(
        decisions.contains("Bearer [REDACTED:bearer]"),
        "{decisions}"
    );
    let archive = d.read("SESSION_LOGS/s1.json");
    assert!(archive.contains("[REDACTED:private-key]"), "{archive}");
    assert!(
        archive.contains("hf [REDACTED:huggingface-token]"),
        "{archive}"
    );

    // And `baton validate` finds nothing left to report.
    let out = d.baton(&["validate"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn text_that_only_looks_technical_is_left_alone() {
    let d = Dir::init();
    d.stderr_of(&["start", "--id", "plain", "-q"]);
    let texts = [
        "Fixed commit 3f2a9c1e8b7d6f5a4c3b2a1f0e9d8c7b6a5f4e3d in the parser",
        "Session 550e8400-e29b-41d4-a716-446655440000 reproduced it",
        "Set the token expiry to 3600 seconds and the api key name to `primary`",
        "Password reset flow now works; see src/auth/password_reset.rs",
        "The bearer of bad news was the CI",
    ];
    let mut stderr = String::new();
    for t in texts {
        stderr += &d.stderr_of(&["log", "decision", t]);
    }
    stderr += &d.stderr_of(&["end", "--summary", "ordinary words"]);
    assert!(!stderr.contains("redacted"), "{stderr}");
    let everything = d.everything();
    assert!(!everything.contains("[REDACTED"), "something was redacted");
    for t in texts {
        assert!(d.read("DECISIONS_LOG.json").contains(t), "{t:?} changed");
    }
}

#[test]
fn the_config_allowlist_lets_listed_strings_through() {
    let d = Dir::init();
    let allowed = format!("ghp_{}", "Test".repeat(9));
    let by_pattern = format!("sk_test_{}", "Fixture0123456789");
    let still_secret = format!("ghp_{}", "Z9y8".repeat(9));
    fs::write(
        d.path().join(".baton/config.json"),
        serde_json::json!({"redact": {"allow": [allowed], "allow_patterns": ["^sk_test_Fixture"]}})
            .to_string(),
    )
    .unwrap();
    d.stderr_of(&["start", "--id", "a1", "-q"]);
    let stderr = d.stderr_of(&[
        "log",
        "decision",
        &format!("fixture token {allowed} and stripe {by_pattern}"),
    ]);
    assert_eq!(stderr, "", "nothing to redact: {stderr}");
    let stderr = d.stderr_of(&["log", "decision", &format!("real one {still_secret}")]);
    assert!(
        stderr.contains("redacted a secret (github-pat) in decision"),
        "{stderr}"
    );
    d.stderr_of(&["end"]);
    let kb = d.read("UNIFIED_KNOWLEDGE.json");
    assert!(kb.contains(&allowed), "allowed string kept");
    assert!(kb.contains(&by_pattern), "pattern-allowed string kept");
    assert!(kb.contains("real one [REDACTED:github-pat]"), "{kb}");
    d.assert_nowhere(&[&still_secret], &[]);
}

/// The rules not exercised above, each through `baton log decision`: redacted in what is
/// written, named on stderr.
#[test]
fn every_other_rule_is_redacted_on_the_way_in() {
    let d = Dir::init();
    d.stderr_of(&["start", "--id", "r1", "-q"]);
    let alnum36 = "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8";
    let cases: Vec<(&str, String, String)> = vec![
        ("github-oauth", format!("gho_{alnum36}"), String::new()),
        ("github-app-token", format!("ghs_{alnum36}"), String::new()),
        (
            "github-refresh-token",
            format!("ghr_{alnum36}"),
            String::new(),
        ),
        (
            "gitlab-token",
            format!("glptt-{}", "a1B2c3D4e5F6g7H8i9J0"),
            String::new(),
        ),
        (
            "gitlab-session-cookie",
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0".to_string(),
            "_gitlab_session=".to_string(),
        ),
        (
            "aws-secret-key",
            format!("{}{}", "wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYz1A2B3C4D5"),
            "aws_secret_access_key=".to_string(),
        ),
        (
            "anthropic-admin-key",
            format!("sk-ant-admin01-{}", "Zx9_Yw8-Vu7Ts6Rq5Po4"),
            String::new(),
        ),
        (
            "slack-webhook-url",
            format!(
                "hooks.slack.com/services/{}",
                "T0A1B2C3D/B4E5F6G7H/q8R9s0T1u2V3"
            ),
            "https://".to_string(),
        ),
        ("npm-access-token", format!("npm_{alnum36}"), String::new()),
        (
            "pypi-upload-token",
            format!(
                "pypi-AgEIcHlwaS5vcmc{}",
                "Cj8kZ2Vu_ZXJpYy10b2tlbi1kZW1v".repeat(2)
            ),
            String::new(),
        ),
        (
            "sendgrid-api-key",
            format!(
                "SG.{}.{}",
                "aB3dE5fG7hJ9kL1mN3pQ5r", "sT7uV9wX1yZ3aB5cD7eF9gH1iJ3kL5mN7oP9qR1sT3u"
            ),
            String::new(),
        ),
        (
            "basic-auth",
            "dXNlcjpodW50ZXIyMDI0".to_string(),
            "Authorization: Basic ".to_string(),
        ),
        (
            "url-credentials",
            "Xk9#mQ2vL7pZ".replace('#', "-"),
            "postgres://app:".to_string(),
        ),
    ];
    for (rule, secret, prefix) in &cases {
        let suffix = if *rule == "url-credentials" {
            "@db.internal:5432/app"
        } else {
            ""
        };
        let stderr = d.stderr_of(&[
            "log",
            "decision",
            &format!("config {prefix}{secret}{suffix} for now"),
        ]);
        assert!(
            stderr.contains(&format!("redacted a secret ({rule}) in decision")),
            "{rule}: {stderr}"
        );
        let events = d.read("ACTIVE_SESSIONS/r1.jsonl");
        assert!(
            events.contains(&format!("[REDACTED:{rule}]")),
            "{rule}: {events}"
        );
        assert!(!events.contains(secret.as_str()), "{rule} reached the disk");
    }
    d.stderr_of(&["end"]);
    let secrets: Vec<&str> = cases.iter().map(|(_, s, _)| s.as_str()).collect();
    d.assert_nowhere(&secrets, &[]);
}
