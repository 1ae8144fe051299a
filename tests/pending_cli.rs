//! `baton pending add|done|priority` on the seed's knowledge base shapes.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn add_prioritize_and_finish_keeping_the_seed_shapes() {
    let home = SeedHome::immediate_setup();
    stdout_of(
        home.baton(&[
            "pending",
            "add",
            "Write the runbook",
            "--priority",
            "high",
            "--status",
            "outline ready",
        ])
        .env("BATON_NOW", "2025-11-16T09:00:00Z"),
    );
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    // The seed's string items stay strings; the new one is an object.
    assert_eq!(kb["pending_work"][0], "Deploy sovereign dashboard");
    assert_eq!(kb["pending_work"][2]["task"], "Write the runbook");
    assert_eq!(kb["pending_work"][2]["priority"], "high");
    assert_eq!(kb["pending_work"][2]["status"], "outline ready");
    assert_eq!(kb["pending_work"][2]["added_at"], "2025-11-16T09:00:00Z");

    stdout_of(&mut home.baton(&["pending", "priority", "deploy sovereign dashboard", "low"]));
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    assert_eq!(
        kb["pending_work"][0],
        serde_json::json!({"priority": "low", "task": "Deploy sovereign dashboard"})
    );

    stdout_of(&mut home.baton(&["pending", "done", "Execute optimization strategy"]));
    let kb = home.json("UNIFIED_KNOWLEDGE.json");
    assert_eq!(kb["pending_work"].as_array().unwrap().len(), 2);
    assert_eq!(
        kb["architecture_state"]["sovereign_ai"], "deployed",
        "the rest is untouched"
    );

    home.baton(&["pending", "done", "never existed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no pending item"));
    home.baton(&["pending", "add", "Write the runbook"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already pending"));
}

#[test]
fn a_broken_knowledge_base_is_refused_and_left_alone() {
    let home = SeedHome::empty();
    let malformed = fixture_text("UNIFIED_KNOWLEDGE.malformed.json");
    home.write("UNIFIED_KNOWLEDGE.json", &malformed);
    home.baton(&["pending", "add", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("UNIFIED_KNOWLEDGE.json:5:4"));
    assert_eq!(home.read("UNIFIED_KNOWLEDGE.json"), malformed);
}
