//! Forms in the real binary, in a pseudo-terminal: a handoff written entirely from the
//! keyboard, a session ended from its form, a draft surviving a killed dashboard, and a
//! field edited in `$EDITOR`.

mod common;

use common::pty::Tui;
use common::*;

fn home_with_session() -> SeedHome {
    let home = SeedHome::immediate_setup();
    stdout_of(
        home.baton(&["start", "-q", "--id", "s1", "--goal", "Write the runbook"])
            .env("BATON_NOW", "2025-11-16T09:00:00Z"),
    );
    home
}

#[test]
fn a_handoff_written_from_the_keyboard_lands_on_disk() {
    let home = home_with_session();
    let mut tui = Tui::start(&home.dir(), 120, 40);
    tui.wait_for("● s1 Write the runbook");
    tui.send("h");
    tui.wait_for("Write the handoff — s1");
    // Replace the prefilled summary, then fill the accomplished list.
    tui.send("\x01\x0b"); // Ctrl-A, Ctrl-K: start of line, delete to end
    tui.send("Runbook drafted from the keyboard ✍ 日本");
    tui.send("\t");
    tui.send("Wrote rollback steps\rListed alert owners");
    tui.wait_for("Listed alert owners");
    tui.send("\x13"); // Ctrl-S
    tui.wait_for("handoff written to SESSION_HANDOFFS/2025-11-16_s1.md");
    let text = home.read("SESSION_HANDOFFS/2025-11-16_s1.md");
    assert!(text.contains("**Session:** s1"), "{text}");
    assert!(
        text.contains(
            "## What Was Accomplished\n1. ✅ Wrote rollback steps\n2. ✅ Listed alert owners"
        ),
        "{text}"
    );
    assert!(text.contains("✍ 日本"), "{text}");
    tui.send("q");
    assert!(tui.wait_exit().success());
}

#[test]
fn a_session_ended_from_its_form_is_archived_and_merged() {
    let home = home_with_session();
    let mut tui = Tui::start(&home.dir(), 100, 30);
    tui.wait_for("● s1");
    tui.send("e");
    tui.wait_for("End the session — s1");
    tui.send("\t");
    tui.send("Runbook done");
    tui.send("\t");
    tui.send("Wrote the runbook");
    tui.send("\x13");
    tui.wait_for("ended s1");
    tui.wait_for("No active session");
    let archive = home.json("SESSION_LOGS/s1.json");
    assert_eq!(archive["summary"], "Runbook done");
    assert_eq!(archive["achievements"][0], "Wrote the runbook");
    assert_eq!(home.json("UNIFIED_KNOWLEDGE.json")["total_sessions"], 2);
    tui.send("q");
    assert!(tui.wait_exit().success());
}

#[test]
fn killing_the_dashboard_mid_form_keeps_the_draft() {
    let home = home_with_session();
    let mut tui = Tui::start(&home.dir(), 100, 30);
    tui.wait_for("● s1");
    tui.send("d");
    tui.wait_for("Log a decision — s1");
    tui.send("Rollbacks are one command");
    tui.wait_for("Rollbacks are one command");
    // Wait for the draft to reach the disk, then kill without warning.
    let draft = home.dir().join(".baton/drafts/decision.json");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&draft).is_ok_and(|t| t.contains("Rollbacks are one command")) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no draft written"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tui.child.kill().unwrap();
    tui.wait_exit();

    let mut tui = Tui::start(&home.dir(), 100, 30);
    tui.wait_for("a draft of the decision form is kept");
    // The form opens on the active session, which the first read brings.
    tui.wait_for("● s1");
    tui.send("d");
    tui.wait_for("restored your draft");
    tui.wait_for("Rollbacks are one command");
    tui.send("\x13");
    tui.wait_for("logged into s1");
    assert!(
        home.read("ACTIVE_SESSIONS/s1.jsonl")
            .contains("Rollbacks are one command")
    );
    // The draft is removed right after the save, on the dashboard's draft writer.
    let start = std::time::Instant::now();
    while draft.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "a saved form's draft is gone"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tui.send("q");
    assert!(tui.wait_exit().success());
}

#[test]
fn ctrl_e_edits_the_field_in_editor_and_comes_back() {
    let home = home_with_session();
    // A scripted "editor" that appends a line to the file it is given.
    let editor = home.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'written in the editor\\n' >> \"$1\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .unwrap();
    let mut tui = Tui::start_with_env(
        &home.dir(),
        100,
        30,
        &[("EDITOR", editor.to_str().unwrap()), ("VISUAL", "")],
    );
    tui.wait_for("● s1");
    tui.send("d");
    tui.wait_for("Log a decision — s1");
    tui.send("\t");
    tui.send("typed first");
    tui.send("\x05"); // Ctrl-E
    tui.wait_for("written in the editor");
    tui.wait_for("Log a decision — s1");
    tui.send("\x1b[Z"); // Shift-Tab back to the decision
    tui.send("Edited externally");
    tui.send("\x13");
    tui.wait_for("logged into s1");
    let log = home.read("ACTIVE_SESSIONS/s1.jsonl");
    assert!(
        log.contains("\"reasoning\":\"typed first\\nwritten in the editor\""),
        "{log}"
    );
    tui.send("q");
    assert!(tui.wait_exit().success());
}
