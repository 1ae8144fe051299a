//! Time travel, history, show and search: the as-of fold through real `start`/`log`/`end`
//! runs (parallel sessions that ended out of order included), directories made by hand,
//! search counts on generated histories checked against a brute-force search and against
//! the files themselves, the index never stale, and the commands' JSON shapes.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use baton::domain::asof::AsOfIndex;
use baton::domain::catalog::{Kind, Record};
use baton::domain::search::{Query, search_records};
use baton::store::Store;
use baton::store::generate::{generate_history, generate_seed_history};
use baton::store::history::{load_history, refresh_index, search, volatile_records};
use baton::store::index::sources::{self, SourceKind};
use common::{SeedHome, baton_cmd, stdout_of};
use serde_json::Value;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn tasks(v: &Value) -> Vec<String> {
    v["as_of"]["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["task"].as_str().unwrap().to_string())
        .collect()
}

fn step(home: &SeedHome, now: &str, session: Option<&str>, args: &[&str]) {
    let mut cmd = home.baton(args);
    cmd.env("BATON_NOW", now);
    if let Some(s) = session {
        cmd.env("BATON_SESSION", s);
    }
    stdout_of(&mut cmd);
}

#[test]
fn as_of_after_each_session_with_parallel_sessions_ended_out_of_order() {
    let home = SeedHome::empty();
    stdout_of(&mut home.baton(&["init"]));
    // A starts first and runs longest; B starts and ends inside A; C comes after both.
    step(
        &home,
        "2025-11-15T09:00:00Z",
        None,
        &["start", "-q", "--id", "A", "--goal", "Long"],
    );
    step(
        &home,
        "2025-11-15T09:10:00Z",
        Some("A"),
        &["log", "next", "task-a", "--priority", "high"],
    );
    step(
        &home,
        "2025-11-15T10:00:00Z",
        None,
        &["start", "-q", "--id", "B", "--goal", "Short"],
    );
    step(
        &home,
        "2025-11-15T10:10:00Z",
        Some("B"),
        &["log", "next", "task-b"],
    );
    step(
        &home,
        "2025-11-15T10:20:00Z",
        Some("B"),
        &["log", "decision", "Use Redis"],
    );
    step(&home, "2025-11-15T11:00:00Z", Some("B"), &["end"]);
    step(
        &home,
        "2025-11-15T11:30:00Z",
        Some("A"),
        &["log", "achievement", "task-b"],
    );
    step(
        &home,
        "2025-11-15T11:40:00Z",
        Some("A"),
        &["log", "decision", "Split src/app.rs"],
    );
    step(&home, "2025-11-15T12:00:00Z", Some("A"), &["end"]);
    step(
        &home,
        "2025-11-16T09:00:00Z",
        None,
        &["start", "-q", "--id", "C", "--goal", "Next day"],
    );
    step(
        &home,
        "2025-11-16T09:10:00Z",
        Some("C"),
        &["log", "next", "task-c", "--priority", "low"],
    );
    step(
        &home,
        "2025-11-16T09:20:00Z",
        Some("C"),
        &["log", "done", "task-a"],
    );
    step(&home, "2025-11-16T10:00:00Z", Some("C"), &["end"]);

    // history: newest first by end time, so A (ended 12:00) before B (ended 11:00).
    let h = json(&stdout_of(
        &mut home.baton(&["history", "--format", "json"]),
    ));
    let ids: Vec<&str> = h["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["C", "A", "B"]);

    let show = |id: &str| {
        json(&stdout_of(
            &mut home.baton(&["show", id, "--format", "json"]),
        ))["sessions"][0]
            .clone()
    };
    let b = show("B");
    assert_eq!(b["as_of"]["step"], 0);
    assert_eq!(tasks(&b), vec!["task-b"]);
    assert_eq!(b["as_of"]["decisions_so_far"], 1);
    assert_eq!(b["as_of"]["totals"]["sessions"], 1);
    let a = show("A");
    assert_eq!(a["as_of"]["step"], 1);
    assert_eq!(
        tasks(&a),
        vec!["task-a"],
        "A finished B's task and added its own"
    );
    assert_eq!(a["as_of"]["decisions_so_far"], 2);
    assert_eq!(a["as_of"]["handoffs_so_far"], 2);
    assert_eq!(a["decisions"][0]["decision"], "Split src/app.rs");
    // src/app.rs does not exist next to the sessions directory: stale.
    assert_eq!(a["decisions"][0]["stale"]["reason"], "missing");
    let c = show("C");
    assert_eq!(tasks(&c), vec!["task-c"]);
    assert_eq!(c["as_of"]["totals"]["sessions"], 3);
    assert_eq!(c["as_of"]["steps"], 3);

    // The same in process, stepping with the index the dashboard uses.
    let store = Store::open(home.dir()).unwrap();
    let history = load_history(&store).unwrap();
    let index = AsOfIndex::build(&history);
    let mut seen = Vec::new();
    let mut at = index.latest();
    while let Some(s) = at {
        let state = index.state(&history, s).unwrap();
        seen.push((
            state.session.id.clone(),
            state
                .pending
                .iter()
                .map(|p| p.task.clone())
                .collect::<Vec<_>>(),
        ));
        at = index.prev(s);
    }
    assert_eq!(
        seen,
        vec![
            ("C".to_string(), vec!["task-c".to_string()]),
            ("A".to_string(), vec!["task-a".to_string()]),
            ("B".to_string(), vec!["task-b".to_string()]),
        ]
    );

    // A day shows every session of that day.
    let day = json(&stdout_of(&mut home.baton(&[
        "show",
        "2025-11-15",
        "--format",
        "json",
    ])));
    assert_eq!(day["sessions"].as_array().unwrap().len(), 2);
}

fn set_mtime(path: &Path, t: SystemTime) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

#[test]
fn seed_made_directories_step_through_handoffs_dated_by_name_else_mtime() {
    let home = SeedHome::immediate_setup();
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        &common::fixture_text("handoff_section3.md"),
    );
    home.write(
        "SESSION_HANDOFFS/notes.md",
        "# Notes\n\n## Accomplished\n- Wrote notes\n\n## Pending\n- Deploy the dashboard (high)\n",
    );
    let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000); // 2025-11-24
    set_mtime(&home.dir().join("SESSION_HANDOFFS/notes.md"), later);

    // The seed's setup wrote a handoff too: three sessions known only from handoffs.
    let h = json(&stdout_of(
        &mut home.baton(&["history", "--format", "json"]),
    ));
    let sessions = h["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{h:#}");
    assert!(sessions.iter().all(|s| s["origin"] == "handoff"));
    assert_eq!(
        sessions[0]["id"], "notes",
        "newest first: the mtime-dated one"
    );
    assert_eq!(sessions[0]["ended"], "2025-11-24T16:00:00Z");
    assert_eq!(sessions[1]["ended"], "2025-11-15");
    assert_eq!(sessions[1]["id"], "2025-11-15_session_1");

    let notes = json(&stdout_of(
        &mut home.baton(&["show", "notes", "--format", "json"]),
    ))["sessions"][0]
        .clone();
    assert_eq!(notes["as_of"]["pending_source"], "handoff");
    assert_eq!(tasks(&notes), vec!["Deploy the dashboard"]);
    assert_eq!(notes["as_of"]["pending"][0]["priority"], "high");
    assert_eq!(notes["as_of"]["handoffs_so_far"], 3);
    assert_eq!(notes["as_of"]["steps"], 3);
    let first = json(&stdout_of(&mut home.baton(&[
        "show",
        "2025-11-15_session_1",
        "--format",
        "json",
    ])))["sessions"][0]
        .clone();
    assert_eq!(first["as_of"]["pending_source"], "handoff");
    assert!(
        !tasks(&first).is_empty(),
        "the seed's handoff lists pending items"
    );
    assert!(
        first["as_of"]["decisions_so_far"].as_u64().unwrap() >= 4,
        "its Decisions section"
    );

    // With the seed's session record (ended, 2025-11-15-001), that handoff is its.
    home.write(
        "CURRENT_SESSION.json",
        &common::fixture_text("CURRENT_SESSION.json"),
    );
    let h = json(&stdout_of(
        &mut home.baton(&["history", "--format", "json"]),
    ));
    let current: Vec<&Value> = h["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["origin"] == "current")
        .collect();
    assert_eq!(current.len(), 1, "{h:#}");
    assert_eq!(current[0]["id"], "2025-11-15-001");
    assert_eq!(current[0]["handoff_file"], "2025-11-15_session_1.md");
    let record = json(&stdout_of(&mut home.baton(&[
        "show",
        "2025-11-15-001",
        "--format",
        "json",
    ])))["sessions"][0]
        .clone();
    assert_eq!(record["as_of"]["pending_source"], "folded");
    assert!(
        record["handoff"]["text"]
            .as_str()
            .unwrap()
            .contains("Quick Summary")
    );

    // Search finds the hand-written text and the seed's knowledge base decisions.
    let s = json(&stdout_of(&mut home.baton(&[
        "search",
        "dashboard",
        "--kind",
        "handoff",
        "--format",
        "json",
    ])));
    assert!(s["total"].as_u64().unwrap() >= 2, "{s:#}");
}

/// Every record of a directory, read straight from its files (not through the index).
fn records_from_files(dir: &Path) -> Vec<Record> {
    let mut found = sources::scan(dir);
    found.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::new();
    let mut log_keys = HashSet::new();
    for f in &found {
        let bytes = std::fs::read(f.abs(dir)).unwrap();
        match f.kind {
            SourceKind::Archive => out.extend(sources::archive_records(&f.path, &bytes)),
            SourceKind::Handoff => out.push(sources::handoff_record(&f.path, &bytes, f.mtime)),
            SourceKind::Knowledge => {}
            kind => {
                let recs = sources::log_records(kind, &f.path, &bytes, 1);
                if kind == SourceKind::DecisionLog {
                    log_keys.extend(
                        recs.iter()
                            .map(|r| baton::domain::search::dedupe_key(Kind::Decision, &r.title)),
                    );
                }
                out.extend(recs);
            }
        }
    }
    if let Some(kb) = found.iter().find(|f| f.kind == SourceKind::Knowledge) {
        out.extend(sources::knowledge_records(
            &kb.path,
            &std::fs::read(kb.abs(dir)).unwrap(),
            &log_keys,
        ));
    }
    // Running sessions and the seed's CURRENT_SESSION.json are never indexed.
    out.extend(volatile_records(&Store::open(dir).unwrap()).unwrap());
    out
}

fn identities(
    r: &baton::domain::search::SearchResults,
) -> Vec<(Kind, String, Option<String>, String)> {
    let mut v: Vec<_> = r
        .hits
        .iter()
        .map(|h| {
            (
                h.kind,
                h.title.clone(),
                h.session_id.clone(),
                h.source.file.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn search_counts_on_generated_histories_match_a_brute_force_search() {
    for (flavor, sessions) in [("baton", 150), ("seed", 90)] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sessions");
        match flavor {
            "baton" => generate_history(&dir, sessions).unwrap(),
            _ => generate_seed_history(&dir, sessions).unwrap(),
        }
        let store = Store::open(&dir).unwrap();
        let all = records_from_files(&dir);
        for q in [
            "redis",
            "REDIS cache",
            "\"keyset cursors\"",
            "\"Keyset Cursors\" payroll",
            "rota-1",
            "the kind:decision",
            "kind:insight monday",
            "since:2025-11-01 until:2025-11-10 pagination",
            "kind:handoff,session tests",
            "kind:blocker ci",
            "zzzznotfound",
            "tomás",
            "?after=",
        ] {
            let query = Query::parse(q).unwrap();
            let indexed = search(&store, &query, usize::MAX).unwrap();
            let brute = search_records(&all, &query, usize::MAX);
            assert_eq!(indexed.total, brute.total, "{flavor}: {q}");
            assert_eq!(indexed.per_kind, brute.per_kind, "{flavor}: {q}");
            assert_eq!(identities(&indexed), identities(&brute), "{flavor}: {q}");
            // Every hit really contains every word, and its ranges point at them.
            for h in &indexed.hits {
                for r in h.title_matches.iter() {
                    assert!(h.title.get(r.clone()).is_some(), "{q}: bad range");
                }
            }
        }
    }
}

#[test]
fn exact_hit_counts_against_the_files_themselves() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_history(&dir, 120).unwrap();
    let store = Store::open(&dir).unwrap();

    // Decisions whose text says "keyset cursors", counted from the log's lines.
    let log = std::fs::read_to_string(dir.join("DECISIONS_LOG.json")).unwrap();
    let expected = log
        .lines()
        .filter(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let text =
                format!("{} {} {}", v["decision"], v["reasoning"], v["impact"]).to_lowercase();
            text.contains("keyset cursors")
        })
        .count();
    assert!(expected > 0);
    let r = search(
        &store,
        &Query::parse("\"keyset cursors\" kind:decision").unwrap(),
        5,
    )
    .unwrap();
    assert_eq!(r.total, expected);
    assert_eq!(r.hits.len(), 5);

    // Handoffs containing a word, counted like `grep -il` does.
    for word in ["redis", "ROTA-10", "Maya", "staging"] {
        let expected = std::fs::read_dir(dir.join("SESSION_HANDOFFS"))
            .unwrap()
            .filter(|e| {
                let text = std::fs::read_to_string(e.as_ref().unwrap().path()).unwrap();
                text.to_lowercase().contains(&word.to_lowercase())
            })
            .count();
        let q = Query::parse(&format!("{word} kind:handoff")).unwrap();
        assert_eq!(search(&store, &q, 1).unwrap().total, expected, "{word}");
    }

    // Several words: all must match; a date filter keeps the range, both ends inclusive.
    let both = search(&store, &Query::parse("redis cache").unwrap(), usize::MAX).unwrap();
    let redis = search(&store, &Query::parse("redis").unwrap(), usize::MAX).unwrap();
    assert!(both.total <= redis.total);
    for h in &both.hits {
        let text = format!("{} {}", h.title, h.body).to_lowercase();
        assert!(text.contains("redis") && text.contains("cache"));
    }
    let q = Query::parse("redis since:2025-11-20 until:2025-11-21").unwrap();
    for h in search(&store, &q, usize::MAX).unwrap().hits {
        let d = h.date.unwrap().date().to_string();
        assert!(("2025-11-20".."2025-11-22").contains(&d.as_str()), "{d}");
    }
}

#[test]
fn non_ascii_search_folds_case_and_length() {
    let home = SeedHome::empty();
    home.write(
        "SESSION_HANDOFFS/2025-11-15_session_1.md",
        "# Übergabe\n\n## Quick Summary\nDie Straße zur ÉCOLE ist gesperrt; Ελληνικά ΟΔΟΣ.\n",
    );
    home.write(
        "DECISIONS_LOG.json",
        "{\"decision\": \"Café über alles\", \"date\": \"2025-11-15\"}\n",
    );
    let store = Store::open(home.dir()).unwrap();
    for (q, n) in [
        ("strasse", 1),
        ("STRAẞE", 1),
        ("école", 1),
        ("ÉCOLE", 1),
        ("übergabe", 1),
        ("οδος", 1),
        ("CAFÉ", 1),
        ("cafe", 0),
    ] {
        let r = search(&store, &Query::parse(q).unwrap(), 10).unwrap();
        assert_eq!(r.total, n, "{q}");
    }
    let r = search(&store, &Query::parse("strasse").unwrap(), 10).unwrap();
    let h = &r.hits[0];
    assert_eq!(&h.body[h.body_matches[0].clone()], "Straße");
    let out = json(&stdout_of(
        &mut home.baton(&["search", "straße", "--format", "json"]),
    ));
    let hit = &out["groups"][0]["hits"][0];
    let text = hit["snippet"]["text"].as_str().unwrap();
    let m = &hit["snippet"]["matches"][0];
    let (s, e) = (
        m[0].as_u64().unwrap() as usize,
        m[1].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "Straße");
}

#[test]
fn the_index_is_never_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_history(&dir, 40).unwrap();
    let store = Store::open(&dir).unwrap();
    let count = |q: &str| {
        search(&store, &Query::parse(q).unwrap(), 100)
            .unwrap()
            .total
    };
    assert_eq!(count("zebra"), 0);
    assert!(refresh_index(&store).unwrap().segments >= 1);

    // A handoff edited by hand: found at once.
    let handoff = dir.join("SESSION_HANDOFFS/2025-11-21_session_1.md");
    let mut text = std::fs::read_to_string(&handoff).unwrap();
    text.push_str("\nA zebra crossed the deploy.\n");
    std::fs::write(&handoff, &text).unwrap();
    assert_eq!(count("zebra"), 1);
    let r = refresh_index(&store).unwrap();
    assert_eq!((r.reread, r.rebuilt), (0, false), "nothing more to read");

    // The same size, the same second: still seen (re-checked by content while racy).
    std::fs::write(&handoff, text.replace("zebra", "okapi")).unwrap();
    assert_eq!(count("zebra"), 0);
    assert_eq!(count("okapi"), 1);
    // An unchanged file touched: no new records.
    set_mtime(&handoff, SystemTime::now() + Duration::from_secs(5));
    let r = refresh_index(&store).unwrap();
    assert_eq!(r.records_added, 0, "{r:?}");

    // Appends to a log read only the new part; an edit in the middle is seen.
    let log = dir.join("DECISIONS_LOG.json");
    let before = std::fs::read_to_string(&log).unwrap();
    std::fs::write(
        &log,
        format!("{before}{{\"decision\": \"Adopt the narwhal protocol\"}}\n"),
    )
    .unwrap();
    assert_eq!(count("narwhal"), 1);
    let first_line = before.lines().next().unwrap().to_string();
    let edited = before.replacen(
        &first_line,
        &first_line.replace("\"decision\":\"", "\"decision\":\"Quokka "),
        1,
    );
    assert_ne!(edited, before);
    std::fs::write(
        &log,
        format!("{edited}{{\"decision\": \"Adopt the narwhal protocol\"}}\n"),
    )
    .unwrap();
    assert_eq!(count("quokka"), 1);
    assert_eq!(count("narwhal"), 1);

    // Files that go away leave the results.
    std::fs::remove_file(&handoff).unwrap();
    assert_eq!(count("okapi"), 0);

    // A new archive and handoff (what `end` writes) are found.
    let archive = dir.join("SESSION_LOGS/2025-11-21-001.json");
    let mut a: Value = serde_json::from_str(&std::fs::read_to_string(&archive).unwrap()).unwrap();
    a["session_id"] = "2025-11-22-001".into();
    a["primary_goal"] = "Teach the axolotl".into();
    std::fs::write(dir.join("SESSION_LOGS/2025-11-22-001.json"), a.to_string()).unwrap();
    assert_eq!(count("axolotl kind:session"), 1);

    // A corrupt index is rebuilt, transparently.
    let index = baton::store::index::index_dir(&dir);
    for e in std::fs::read_dir(&index).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("seg-") {
            let bytes = std::fs::read(&p).unwrap();
            std::fs::write(&p, &bytes[..bytes.len() / 3]).unwrap();
        }
    }
    assert_eq!(count("axolotl"), 1);
    assert_eq!(count("quokka"), 1);
    std::fs::write(index.join("manifest"), b"garbage").unwrap();
    assert_eq!(count("narwhal"), 1);
    assert!(refresh_index(&store).unwrap().reread == 0);
}

#[test]
fn many_small_changes_merge_segments_and_stay_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_history(&dir, 20).unwrap();
    let store = Store::open(&dir).unwrap();
    let mut merged = false;
    for i in 0..(baton::store::index::MAX_SEGMENTS + 4) {
        std::fs::write(
            dir.join(format!("SESSION_HANDOFFS/extra_{i}.md")),
            format!("# Extra {i}\n\nplatypus number {i}\n"),
        )
        .unwrap();
        let q = Query::parse("platypus").unwrap();
        assert_eq!(search(&store, &q, 100).unwrap().total, i + 1);
        let r = refresh_index(&store).unwrap();
        merged |= r.segments <= baton::store::index::MAX_SEGMENTS;
        assert!(r.segments <= baton::store::index::MAX_SEGMENTS + 1, "{r:?}");
    }
    assert!(merged);
    let all = records_from_files(&dir);
    let q = Query::parse("platypus number").unwrap();
    assert_eq!(
        search(&store, &q, 100).unwrap().total,
        search_records(&all, &q, 100).total
    );
}

#[test]
fn commands_json_shapes_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_history(&dir, 12).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = baton_cmd();
        cmd.arg("--dir").arg(&dir).args(args);
        cmd
    };
    let h = json(&stdout_of(&mut run(&[
        "history",
        "--format",
        "json",
        "--since",
        "2025-11-20",
    ])));
    let first = &h["sessions"][0];
    for key in [
        "id",
        "origin",
        "started",
        "ended",
        "duration_hours",
        "goal",
        "counts",
        "handoff_file",
    ] {
        assert!(first.get(key).is_some(), "history lacks {key}");
    }
    for s in h["sessions"].as_array().unwrap() {
        assert!(s["ended"].as_str().unwrap() >= "2025-11-20");
    }
    let id = first["id"].as_str().unwrap().to_string();
    let text = stdout_of(&mut run(&["history"]));
    assert!(text.starts_with(&id), "{text}");

    let s = json(&stdout_of(&mut run(&["show", &id, "--format", "json"])));
    let v = &s["sessions"][0];
    for key in [
        "session",
        "as_of",
        "handoff",
        "decisions",
        "insights",
        "blockers",
        "code",
        "commits",
        "next_steps",
        "finished",
    ] {
        assert!(v.get(key).is_some(), "show lacks {key}");
    }
    for key in [
        "step",
        "steps",
        "at",
        "banner",
        "totals",
        "pending_source",
        "pending",
        "decisions_so_far",
        "recent_decisions",
        "handoffs_so_far",
        "recent_handoffs",
    ] {
        assert!(v["as_of"].get(key).is_some(), "as_of lacks {key}");
    }
    assert!(
        v["handoff"]["text"]
            .as_str()
            .unwrap()
            .starts_with("# Session Handoff")
    );
    let text = stdout_of(&mut run(&["show", &id]));
    assert!(
        text.contains("Pending work then") && text.contains("Handoff ("),
        "{text}"
    );

    let r = json(&stdout_of(&mut run(&[
        "search", "redis", "--limit", "3", "--format", "json",
    ])));
    assert!(r["total"].as_u64().unwrap() >= 1);
    let g = &r["groups"][0];
    for key in ["kind", "total", "hits"] {
        assert!(g.get(key).is_some(), "group lacks {key}");
    }
    let hit = &g["hits"][0];
    for key in [
        "kind",
        "score",
        "date",
        "session_id",
        "title",
        "title_matches",
        "snippet",
        "source",
    ] {
        assert!(hit.get(key).is_some(), "hit lacks {key}");
    }
    let shown: usize = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["hits"].as_array().unwrap().len())
        .sum();
    assert!(shown <= 3);

    // Usage errors: exit 2 with a clear message.
    run(&["history", "--since", "15/11/2025"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("YYYY-MM-DD"));
    run(&["history", "--since", "2025-11-20", "--until", "2025-11-01"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--since is after --until"));
    run(&["show", "1999-01-01-001"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no session"));
    run(&["show", "../x"]).assert().code(2);
    run(&["search", "x", "--kind", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown kind"));
    run(&["search", "x", "--until", "tomorrow"])
        .assert()
        .code(2);
    // No match is not an error.
    run(&["search", "zzzznotfound"]).assert().success();
}

/// `git` in `dir` with author and committer dated `date`.
fn git_at(dir: &Path, args: &[&str], date: &str) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// A real git repository: `show` marks a decision stale when a commit changed the file it
/// names after it was made, and `history --timeline` joins sessions, decisions, code,
/// handoffs, pending work and the repository's commits (those no session recorded too),
/// newest first, with the same marks.
#[test]
fn show_and_the_timeline_mark_files_changed_in_git_since() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let dir = proj.join("docs/sessions");
    std::fs::create_dir_all(proj.join("src")).unwrap();
    git_at(&proj, &["init", "-q"], "2025-11-14T12:00:00Z");
    std::fs::write(proj.join("src/app.rs"), "fn main() {}\n").unwrap();
    std::fs::write(proj.join("src/lib.rs"), "\n").unwrap();
    git_at(&proj, &["add", "src"], "2025-11-14T12:00:00Z");
    git_at(&proj, &["commit", "-qm", "initial"], "2025-11-14T12:00:00Z");
    let baton = |now: &str, args: &[&str]| {
        let mut cmd = baton_cmd();
        cmd.current_dir(&proj)
            .env("BATON_NOW", now)
            .arg("--dir")
            .arg(&dir)
            .args(args);
        stdout_of(&mut cmd)
    };
    baton("2025-11-15T08:00:00Z", &["init"]);
    baton(
        "2025-11-15T09:00:00Z",
        &["start", "-q", "--id", "A", "--goal", "Split the app"],
    );
    std::fs::write(proj.join("src/lib.rs"), "pub mod app;\n").unwrap();
    git_at(
        &proj,
        &["commit", "-qam", "wip: lib"],
        "2025-11-15T09:30:00Z",
    );
    baton(
        "2025-11-15T09:40:00Z",
        &[
            "log",
            "decision",
            "Split src/app.rs into modules",
            "--why",
            "too long",
        ],
    );
    baton(
        "2025-11-15T09:45:00Z",
        &["log", "code", "src/lib.rs", "--note", "the modules"],
    );
    baton("2025-11-15T09:50:00Z", &["log", "next", "Write the docs"]);
    baton("2025-11-15T10:00:00Z", &["end"]);
    // After the session: src/app.rs changes (its decision goes stale), src/lib.rs does not.
    std::fs::write(proj.join("src/app.rs"), "fn main() { run() }\n").unwrap();
    git_at(
        &proj,
        &["commit", "-qam", "rewrite app"],
        "2025-11-18T12:00:00Z",
    );
    let now = "2025-11-20T00:00:00Z";

    // show: stale "changed", with when; the code entry is not stale; the window's commit
    // only.
    let v = json(&baton(now, &["show", "A", "--format", "json"]));
    let a = &v["sessions"][0];
    assert_eq!(
        a["decisions"][0]["decision"],
        "Split src/app.rs into modules"
    );
    let stale = &a["decisions"][0]["stale"];
    assert_eq!(stale["reason"], "changed", "{a}");
    assert_eq!(stale["path"], "src/app.rs");
    assert!(
        stale["at"].as_str().unwrap().starts_with("2025-11-18"),
        "{stale}"
    );
    assert_eq!(a["code"][0]["path"], "src/lib.rs");
    assert!(a["code"][0]["stale"].is_null(), "{a}");
    let subjects: Vec<&str> = a["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["wip: lib"]);
    let text = baton(now, &["show", "A"]);
    assert!(
        text.contains("Split src/app.rs into modules — why: too long  [stale: src/app.rs changed on 2025-11-18]"),
        "{text}"
    );

    // The timeline, as text: newest first; the repository's commit after the session (of
    // no session) first; the session's own commit once; nothing before the first session.
    let text = baton(now, &["history", "--timeline"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("2025-11-18 12:00  commit    ") && lines[0].ends_with(" rewrite app"),
        "{text}"
    );
    for want in [
        "2025-11-15 10:00  ended     Split the app (1.00 h)  · A",
        "2025-11-15 10:00  pending   [medium] Write the docs  · A",
        "2025-11-15 10:00  decision  Split src/app.rs into modules — why: too long  · A  [stale: src/app.rs changed on 2025-11-18]",
        "2025-11-15 10:00  code      src/lib.rs — the modules  · A",
        "2025-11-15 09:00  started   Split the app  · A",
    ] {
        assert!(lines.contains(&want), "{want:?} in\n{text}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with("wip: lib  · A"))
            .count(),
        1,
        "{text}"
    );
    assert!(lines.iter().any(|l| l.contains("  handoff   ")), "{text}");
    assert!(!text.contains("initial"), "{text}");

    // As JSON, with the range kept.
    let t = json(&baton(now, &["history", "--timeline", "--format", "json"]));
    let entries = t["entries"].as_array().unwrap();
    assert_eq!(entries.len(), lines.len());
    let first = &entries[0];
    assert_eq!(first["kind"], "commit");
    assert_eq!(first["title"], "rewrite app");
    assert!(first["session_id"].is_null());
    for key in [
        "at",
        "kind",
        "session_id",
        "title",
        "detail",
        "paths",
        "stale",
    ] {
        assert!(first.get(key).is_some(), "entry lacks {key}");
    }
    let decision = entries.iter().find(|e| e["kind"] == "decision").unwrap();
    assert_eq!(decision["session_id"], "A");
    assert_eq!(decision["paths"][0], "src/app.rs");
    assert_eq!(decision["stale"]["reason"], "changed");
    let since = json(&baton(
        now,
        &[
            "history",
            "--timeline",
            "--since",
            "2025-11-16",
            "--format",
            "json",
        ],
    ));
    let titles: Vec<&str> = since["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["rewrite app"]);
    let none = json(&baton(
        now,
        &[
            "history",
            "--timeline",
            "--until",
            "2025-11-14",
            "--format",
            "json",
        ],
    ));
    assert_eq!(none["entries"].as_array().unwrap().len(), 0);
    // The listing without --timeline is unchanged.
    let listing = json(&baton(now, &["history", "--format", "json"]));
    assert_eq!(listing["sessions"][0]["id"], "A");
}
