//! `baton health`, `context`'s health section and `init`'s SERVICES.json, through the real
//! binary, against real HTTP servers on 127.0.0.1.

mod common;
#[path = "common/http.rs"]
mod http;

use std::time::{Duration, Instant};

use common::*;
use http::{Reply, Server, closed_port};
use serde_json::{Value, json};

fn services(home: &SeedHome, list: Value) {
    home.write("SERVICES.json", &json!({ "services": list }).to_string());
}

fn run(home: &SeedHome, args: &[&str]) -> (i32, String, String) {
    let out = home.baton(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn all_up_or_degraded_exits_0_with_the_documented_json() {
    let home = SeedHome::empty();
    let ok = Server::start(Reply::ok("{\"status\":\"ok\"}"));
    let slow = Server::start(Reply::slow(Duration::from_millis(250), "ok"));
    services(
        &home,
        json!([
            {"name": "api", "url": ok.url("/health"), "json_pointer": "/status", "json_equals": "ok"},
            {"name": "slow", "url": slow.url("/"), "degraded_ms": 100},
            {"name": "off", "url": "http://127.0.0.1:9/", "enabled": false}
        ]),
    );
    let (code, out, err) = run(&home, &["health", "--format", "json"]);
    assert_eq!(code, 0, "degraded is not down; stderr: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let list = doc["services"].as_array().unwrap();
    assert_eq!(
        doc.as_object().unwrap().len(),
        1,
        "{{\"services\": […]}} only"
    );
    assert_eq!(list.len(), 2, "disabled services are not checked");
    for s in list {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "url",
                "status",
                "reason",
                "latency_ms",
                "checked_at",
                "since"
            ]
        );
        assert!(chrono::DateTime::parse_from_rfc3339(s["checked_at"].as_str().unwrap()).is_ok());
        assert!(chrono::DateTime::parse_from_rfc3339(s["since"].as_str().unwrap()).is_ok());
    }
    assert_eq!(list[0]["name"], "api");
    assert_eq!(list[0]["url"], ok.url("/health"));
    assert_eq!(list[0]["status"], "up");
    assert_eq!(list[0]["reason"], Value::Null);
    assert!(list[0]["latency_ms"].as_u64().unwrap() < 800);
    assert_eq!(list[1]["status"], "degraded");
    assert!(list[1]["reason"].as_str().unwrap().starts_with("slow: "));
}

#[test]
fn any_down_exits_1_and_the_table_says_why() {
    let home = SeedHome::empty();
    let ok = Server::start(Reply::ok("ok"));
    let broken = Server::start(Reply::status(500, "boom"));
    let nothing = closed_port();
    services(
        &home,
        json!([
            {"name": "I PROACTIVE", "url": ok.url("/health")},
            {"name": "I MATCH", "url": broken.url("/health")},
            {"name": "Ollama", "url": format!("http://{nothing}/api/tags")}
        ]),
    );
    let (code, out, err) = run(&home, &["health"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("2 of 3 services down"), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("NAME"));
    assert!(lines[0].contains("STATUS") && lines[0].contains("LATENCY"));
    assert!(lines[1].starts_with("I PROACTIVE  up "), "{out}");
    assert!(lines[1].trim_end().ends_with(" ms"), "{out}");
    assert!(
        lines[2].starts_with("I MATCH      down ")
            && lines[2].ends_with("HTTP 500 (expected 200-299)"),
        "{out}"
    );
    assert!(lines[3].ends_with("—  connection refused"), "{out}");

    let (code, out, _) = run(&home, &["health", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["services"][2]["status"], "down");
    assert_eq!(doc["services"][2]["reason"], "connection refused");
    assert_eq!(doc["services"][2]["latency_ms"], Value::Null);
}

#[test]
fn it_takes_the_longest_timeout_not_the_sum() {
    let home = SeedHome::empty();
    let hang = Server::start(Reply::Hang);
    services(
        &home,
        json!([
            {"name": "a", "url": hang.url("/a"), "timeout_ms": 700},
            {"name": "b", "url": hang.url("/b"), "timeout_ms": 700},
            {"name": "c", "url": hang.url("/c"), "timeout_ms": 700},
            {"name": "d", "url": hang.url("/d"), "timeout_ms": 300}
        ]),
    );
    let start = Instant::now();
    let (code, out, _) = run(&home, &["health", "--format", "json"]);
    let took = start.elapsed();
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["services"][0]["reason"],
        "timeout: no answer within 700 ms"
    );
    assert!(
        took < Duration::from_millis(2000),
        "took {took:?}, not ~0.7 s"
    );
}

#[test]
fn no_services_is_0_with_a_note_and_a_broken_file_is_2() {
    let home = SeedHome::empty();
    let (code, out, _) = run(&home, &["health"]);
    assert_eq!(code, 0);
    assert!(out.contains("no services to check"), "{out}");
    let (code, out, err) = run(&home, &["health", "--format", "json"]);
    assert_eq!((code, out.as_str()), (0, "{\n  \"services\": []\n}\n"));
    assert!(err.contains("no SERVICES.json"), "{err}");

    services(
        &home,
        json!([{"name": "x", "url": "http://127.0.0.1:9/", "enabled": false}]),
    );
    let (code, out, _) = run(&home, &["health"]);
    assert_eq!(code, 0);
    assert!(out.contains("disabled"), "{out}");

    home.write(
        "SERVICES.json",
        "{\"services\": [\n  {\"name\": \"x\",, }\n]}\n",
    );
    let (code, _, err) = run(&home, &["health"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SERVICES.json:2:"), "PATH:LINE:COL: {err}");
}

#[test]
fn context_includes_health_unless_told_not_to() {
    let home = SeedHome::empty();
    let ok = Server::start(Reply::ok("ok"));
    let hang = Server::start(Reply::Hang);
    services(
        &home,
        json!([
            {"name": "api", "url": ok.url("/")},
            {"name": "stuck", "url": hang.url("/"), "timeout_ms": 500}
        ]),
    );
    let start = Instant::now();
    let md = stdout_of(&mut home.baton(&["context"]));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "bounded by the timeout"
    );
    assert!(md.contains("## Service health"), "{md}");
    assert!(md.contains("- api: up ("), "{md}");
    assert!(
        md.contains("- stuck: down: timeout: no answer within 500 ms"),
        "{md}"
    );
    let json: Value = serde_json::from_str(&stdout_of(
        &mut home.baton(&["context", "--format", "json"]),
    ))
    .unwrap();
    assert_eq!(json["health"].as_array().unwrap().len(), 2);

    let before = ok.hits.load(std::sync::atomic::Ordering::SeqCst);
    let md = stdout_of(&mut home.baton(&["context", "--no-health"]));
    assert!(!md.contains("Service health"), "{md}");
    let json: Value = serde_json::from_str(&stdout_of(&mut home.baton(&[
        "context",
        "--format",
        "json",
        "--no-health",
    ])))
    .unwrap();
    assert!(json.get("health").is_none());
    assert_eq!(
        ok.hits.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "nothing checked"
    );

    // Without SERVICES.json the section is skipped silently.
    std::fs::remove_file(home.dir().join("SERVICES.json")).unwrap();
    let out = home.baton(&["context"]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Service health"));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn init_writes_the_seeds_services_disabled_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    let out = stdout_of(baton_cmd().current_dir(tmp.path()).arg("init"));
    assert!(out.contains("SERVICES.json"), "{out}");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("SERVICES.json")).unwrap()).unwrap();
    assert!(doc["_comment"].as_str().unwrap().contains("disabled"));
    let list = doc["services"].as_array().unwrap();
    let names: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["url"].as_str().unwrap(),
                s["enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("I PROACTIVE", "http://127.0.0.1:8400/health", false),
            ("I MATCH", "http://127.0.0.1:8401/health", false),
            ("Ollama", "http://127.0.0.1:11434/api/tags", false)
        ]
    );
    // It parses as services (the comment is ignored) and nothing is checked.
    let out = baton_cmd()
        .current_dir(tmp.path())
        .args(["health"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("all 3 in SERVICES.json are disabled"));
    // validate accepts it.
    let out = baton_cmd()
        .current_dir(tmp.path())
        .arg("validate")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("SERVICES.json"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    std::fs::write(dir.join("SERVICES.json"), "{\"services\": []}").unwrap();
    stdout_of(baton_cmd().current_dir(tmp.path()).arg("init"));
    assert_eq!(
        std::fs::read_to_string(dir.join("SERVICES.json")).unwrap(),
        "{\"services\": []}"
    );
}
