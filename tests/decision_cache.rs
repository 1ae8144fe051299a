//! The decision cache (`.baton/decisions.cache`) lets the context pack skip re-reading
//! decisions whose bytes it has seen. It must never change what is shown: after every kind of
//! change to the files (appends, a torn line, edits in the middle, a hand edit that keeps the
//! size and modification time, an `end`, a damaged cache), the newest decisions read through
//! it equal the tail of the full read, which does not use it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use baton::store::decision_cache::DecisionCache;
use baton::store::generate::generate_seed_history;
use baton::store::ops::Store;
use baton::store::snapshot::{load_board, load_board_newest};

fn cache_file(dir: &Path) -> PathBuf {
    dir.join(".baton").join("decisions.cache")
}

/// Reads the newest decisions twice (the second read uses what the first cached) and checks
/// both against the full read. Returns the newest decision's text.
fn assert_agree(dir: &Path) -> String {
    let store = Store::open(dir).unwrap();
    let full = load_board(&store).unwrap();
    for round in 0..2 {
        for n in [1, 10, full.decisions.len() + 1] {
            let newest = load_board_newest(&store, n).unwrap();
            let tail = &full.decisions[full.decisions.len().saturating_sub(n)..];
            assert_eq!(newest.decisions, tail, "{n} newest, round {round}");
            assert_eq!(newest.problems, full.problems, "round {round}");
        }
    }
    full.decisions.last().unwrap().decision.clone()
}

fn append(path: &Path, text: &str) {
    let mut all = fs::read_to_string(path).unwrap();
    all.push_str(text);
    fs::write(path, all).unwrap();
}

/// Replaces the first `from` in the file with `to`, keeping its modification time.
fn edit_in_place(path: &Path, from: &str, to: &str) {
    let modified = fs::metadata(path).unwrap().modified().unwrap();
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} in {}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(modified).unwrap();
}

#[test]
fn the_cache_follows_every_change_to_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_seed_history(&dir, 40).unwrap();
    let log = dir.join("DECISIONS_LOG.json");
    let kb = dir.join("UNIFIED_KNOWLEDGE.json");

    assert_agree(&dir);
    assert!(cache_file(&dir).is_file(), "the first read leaves a cache");

    // Appended lines: a repeat of an old decision in other words, a bad line, a newest one,
    // and a torn last line (the cache covers whole lines only).
    append(
        &log,
        concat!(
            "{\"decision\": \"drop THE custom code for database backups in favour of the library default (ROTA-100)!\", \"reasoning\": \"again\"}\n",
            "not json\n",
            "{\"decision\": \"Newest of all\", \"date\": \"2099-01-02\"}\n",
            "{\"decision\": \"Torn",
        ),
    );
    assert_eq!(assert_agree(&dir), "Newest of all");
    append(&log, " no more\", \"date\": \"2099-01-03\"}\n");
    assert_eq!(assert_agree(&dir), "Torn no more");

    // An edit in the middle of the log: the cached prefix no longer matches.
    edit_in_place(
        &log,
        "{\"decision\":\"Drop the custom code",
        "{\"date\":\"2100-01-01\",\"decision\":\"Dropped the custom code",
    );
    assert!(assert_agree(&dir).starts_with("Dropped the custom code"));

    // A hand edit of the knowledge base that keeps its size and modification time.
    let text = fs::read_to_string(&kb).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = &doc["core_decisions"][0];
    let (first_text, first_date) = (first["decision"].as_str().unwrap(), &first["date"]);
    let id_and_date = format!("\"id\": \"decision-001\",\n      \"date\": {first_date}");
    edit_in_place(
        &kb,
        &id_and_date,
        "\"id\": \"decision-001\",\n      \"date\": \"2101-01-14\"",
    );
    assert_eq!(fs::read_to_string(&kb).unwrap().len(), text.len());
    assert_eq!(assert_agree(&dir), first_text);

    // A damaged cache is ignored and rewritten; a missing one is rebuilt.
    fs::write(cache_file(&dir), b"BATONDC4 but not really").unwrap();
    assert_agree(&dir);
    assert!(fs::read(cache_file(&dir)).unwrap().len() > 100);
    fs::remove_file(cache_file(&dir)).unwrap();
    assert_agree(&dir);
    assert!(cache_file(&dir).is_file());
}

#[test]
fn an_unchanged_directory_does_not_rewrite_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_seed_history(&dir, 20).unwrap();
    assert_agree(&dir);
    let before = fs::read(cache_file(&dir)).unwrap();
    let inode_time = fs::metadata(cache_file(&dir)).unwrap().modified().unwrap();
    assert_agree(&dir);
    assert_eq!(fs::read(cache_file(&dir)).unwrap(), before);
    assert_eq!(
        fs::metadata(cache_file(&dir)).unwrap().modified().unwrap(),
        inode_time
    );
}

/// The knowledge-base entry as text: keys by their text, not their numbers (which depend on
/// the order the cache met them in).
fn knowledge_entry(bytes: &[u8]) -> Option<String> {
    let cache = DecisionCache::decode(bytes);
    let k = cache.knowledge.as_ref()?;
    let keys = cache.keys.keys();
    let heads: Vec<(Option<&str>, Option<&str>)> = k
        .heads
        .iter()
        .map(|h| {
            let date = h.date.and_then(|d| cache.dates.get(d));
            (h.key.map(|i| keys[i as usize].as_ref()), date)
        })
        .collect();
    Some(format!(
        "{} {} {:?} {} {:?} {:?}",
        k.len, k.hash, k.span, k.list_hash, k.shape, heads
    ))
}

#[test]
fn end_keeps_the_cache_entry_of_the_file_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_seed_history(&dir, 30).unwrap();
    assert_agree(&dir);
    let run = |args: &[&str]| {
        let mut cmd = common::baton_cmd();
        cmd.arg("--dir").arg(&dir).args(args);
        common::stdout_of(&mut cmd)
    };
    run(&["start", "--quiet", "--id", "2099-01-01-001"]);
    run(&[
        "--session",
        "2099-01-01-001",
        "log",
        "decision",
        "Brand new",
        "--why",
        "x",
    ]);
    let old = load_board(&Store::open(&dir).unwrap()).unwrap().decisions[0]
        .decision
        .to_uppercase();
    run(&["--session", "2099-01-01-001", "log", "decision", &old]);
    run(&["--session", "2099-01-01-001", "end", "--summary", "done"]);

    // `end` left an entry for the file it wrote, equal to one built from scratch.
    let kb = fs::read_to_string(dir.join("UNIFIED_KNOWLEDGE.json")).unwrap();
    let after_end = fs::read(cache_file(&dir)).unwrap();
    assert!(
        DecisionCache::decode(&after_end)
            .knowledge_for(&kb)
            .is_some()
    );
    assert_agree(&dir);
    fs::remove_file(cache_file(&dir)).unwrap();
    assert_agree(&dir);
    let rebuilt = fs::read(cache_file(&dir)).unwrap();
    assert!(knowledge_entry(&after_end).is_some());
    assert_eq!(knowledge_entry(&after_end), knowledge_entry(&rebuilt));
}

/// Pending-work edits (`baton pending`, the dashboard's `n`, `x`, `p`) rewrite the knowledge
/// base too: the cache's entry follows them, so the next `context` reads no decision again.
#[test]
fn pending_edits_keep_the_cache_entry_of_the_file_they_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_seed_history(&dir, 20).unwrap();
    assert_agree(&dir);
    let mut cmd = common::baton_cmd();
    cmd.arg("--dir")
        .arg(&dir)
        .args(["pending", "add", "Write the runbook"]);
    common::stdout_of(&mut cmd);
    let kb = fs::read_to_string(dir.join("UNIFIED_KNOWLEDGE.json")).unwrap();
    assert!(kb.contains("Write the runbook"));
    let bytes = fs::read(cache_file(&dir)).unwrap();
    assert!(DecisionCache::decode(&bytes).knowledge_for(&kb).is_some());
    assert_agree(&dir);
}

/// A hand edit around `core_decisions` (here a pending item) changes the file but not the
/// list: the list's shape and heads are taken from the cache, not read again; an edit inside
/// the list is read again. Either way the newest decisions equal the full read's.
#[test]
fn an_edit_around_the_decisions_keeps_their_cached_heads() {
    use baton::store::read::{KnowledgeRead, read_knowledge_cached};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_seed_history(&dir, 20).unwrap();
    assert_agree(&dir);
    let kb = dir.join("UNIFIED_KNOWLEDGE.json");
    let how = |dir: &Path| {
        let store = Store::open(dir).unwrap();
        let bytes = fs::read(cache_file(dir)).unwrap();
        let cache = DecisionCache::decode(&bytes);
        read_knowledge_cached(&store.layout, &cache).unwrap().1
    };
    assert_eq!(how(&dir), KnowledgeRead::Cached);

    edit_in_place(
        &kb,
        "\"pending_work\": [",
        "\"pending_work\": [\n    \"Hand-added item\",",
    );
    assert!(matches!(
        how(&dir),
        KnowledgeRead::Parsed {
            entry: Some(_),
            list_cached: true
        }
    ));
    assert_agree(&dir);
    assert_eq!(how(&dir), KnowledgeRead::Cached, "the entry moved along");

    // Inside the list, keeping its length: only the list's hash tells.
    let text = fs::read_to_string(&kb).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first_date = &doc["core_decisions"][0]["date"];
    edit_in_place(
        &kb,
        &format!("\"id\": \"decision-001\",\n      \"date\": {first_date}"),
        "\"id\": \"decision-001\",\n      \"date\": \"2101-01-14\"",
    );
    assert!(matches!(
        how(&dir),
        KnowledgeRead::Parsed {
            list_cached: false,
            ..
        }
    ));
    let newest = assert_agree(&dir);
    assert_eq!(
        newest,
        doc["core_decisions"][0]["decision"].as_str().unwrap()
    );
    assert_eq!(how(&dir), KnowledgeRead::Cached);
}

/// Several processes reading (each may write the cache) while others edit pending work
/// (moving the cache's entry along under the lock): the cache is always whole, and what is
/// read through it still equals the full read.
#[test]
fn processes_writing_the_cache_at_once_leave_it_whole_and_right() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    generate_seed_history(&dir, 30).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("baton");
    let children: Vec<std::process::Child> = (0..12)
        .map(|i| {
            let mut cmd = std::process::Command::new(&bin);
            cmd.arg("--dir").arg(&dir).env_remove("BATON_SESSION");
            if i % 3 == 0 {
                cmd.args(["pending", "add", &format!("Parallel item {i}")]);
            } else {
                cmd.args(["context", "--no-health"]);
            }
            cmd.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let bytes = fs::read(cache_file(&dir)).unwrap();
    let cache = DecisionCache::decode(&bytes);
    assert!(cache.knowledge.is_some(), "a whole cache was left");
    let kb = fs::read_to_string(dir.join("UNIFIED_KNOWLEDGE.json")).unwrap();
    for i in (0..12).step_by(3) {
        assert!(kb.contains(&format!("Parallel item {i}")), "no edit lost");
    }
    assert_agree(&dir);
    assert!(
        !fs::read_dir(dir.join(".baton")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".baton-tmp-")),
        "no temp file left"
    );
}
