//! The context pack reads decisions as texts and dates and builds only the ten it shows
//! (`load_board_newest`); the dashboard reads them all (`load_board`). Both must agree on
//! every directory shape: generated histories in both layouts, repeats in other words,
//! undated and oddly shaped decisions, a log kept as a JSON array, active sessions.

mod common;

use std::fs;
use std::path::Path;

use baton::store::generate::{generate_history, generate_seed_history};
use baton::store::ops::Store;
use baton::store::snapshot::{load_board, load_board_newest};
use common::SeedHome;

fn assert_newest_agree(dir: &Path) {
    let store = Store::open(dir).unwrap();
    let full = load_board(&store).unwrap();
    for n in [0, 1, 3, 10, 25, full.decisions.len() + 5] {
        let newest = load_board_newest(&store, n).unwrap();
        let tail = &full.decisions[full.decisions.len().saturating_sub(n)..];
        assert_eq!(newest.decisions, tail, "{} newest in {}", n, dir.display());
        assert_eq!(newest.problems, full.problems);
        assert_eq!(newest.pending, full.pending);
        assert_eq!(newest.handoffs, full.handoffs);
    }
}

#[test]
fn generated_histories_in_both_layouts_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let (baton, seed) = (tmp.path().join("baton"), tmp.path().join("seed"));
    generate_history(&baton, 150).unwrap();
    generate_seed_history(&seed, 150).unwrap();
    assert_newest_agree(&baton);
    assert_newest_agree(&seed);
}

#[test]
fn hand_made_oddities_agree() {
    let home = SeedHome::immediate_setup();
    let dir = home.dir();
    let log = [
        r#"{"decision": "Use Redis", "date": "2025-11-20"}"#,
        r#"{"decision": "✅ use  redis.", "date": "2025-11-21", "reasoning": "fast"}"#,
        r#""A bare string decision""#,
        r#"{"title": "Titled", "date": 20251122, "why": "numbers as dates"}"#,
        r#"{"decision": "Undated"}"#,
        r#"{"decision": "undated", "date": "2025-11-23", "impact": "dated by a repeat"}"#,
        r#"{"decision": {"nested": true}, "text": "Text wins", "date": "2025-11-19"}"#,
        r#"not json at all"#,
        r#"42"#,
        r#"{"decision": "Esc\"aped é", "date": "2025-11-24"}"#,
    ];
    fs::write(dir.join("DECISIONS_LOG.json"), log.join("\n") + "\n").unwrap();
    home.baton(&["start", "--quiet", "--id", "2025-11-25-001"])
        .assert()
        .success();
    home.baton(&[
        "log",
        "decision",
        "Use redis",
        "--why",
        "from the live session",
    ])
    .assert()
    .success();
    home.baton(&["log", "decision", "Only in the live session"])
        .assert()
        .success();
    assert_newest_agree(&dir);

    // The same log kept as a JSON array.
    let array: Vec<serde_json::Value> = log
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    fs::write(
        dir.join("DECISIONS_LOG.json"),
        serde_json::to_string_pretty(&array).unwrap(),
    )
    .unwrap();
    assert_newest_agree(&dir);

    // The seed's own malformed knowledge base: shown as salvaged, its decisions too.
    fs::write(
        dir.join("UNIFIED_KNOWLEDGE.json"),
        common::fixture_text("UNIFIED_KNOWLEDGE.malformed.json"),
    )
    .unwrap();
    assert_newest_agree(&dir);
}
