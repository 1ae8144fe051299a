//! The real binary in a pseudo-terminal, read through a terminal emulator (vt100): what a
//! user sees, with no tmux needed. Waits are for correctness (fail after a generous limit),
//! never speed measurements.

mod common;

use std::time::Duration;

use common::pty::Tui;
use common::*;

fn seed_dir() -> SeedHome {
    let home = SeedHome::immediate_setup();
    home.write(
        "UNIFIED_KNOWLEDGE.json",
        &fixture_text("UNIFIED_KNOWLEDGE.repaired.json"),
    );
    home
}

#[test]
fn panes_live_updates_help_and_quit_restore_the_terminal() {
    let home = seed_dir();
    let mut tui = Tui::start(&home.dir(), 120, 40);
    for title in ["1 Pending work", "2 Decisions", "3 Handoffs", "4 Health"] {
        tui.wait_for(title);
    }
    tui.wait_for("Deploy sovereign dashboard");
    tui.wait_for("2025-11-15_handoff.md");

    // A handoff created from outside appears.
    std::fs::write(
        home.dir().join("SESSION_HANDOFFS/2025-11-20_session_1.md"),
        "# Session Handoff - 2025-11-20\n\n## Quick Summary\nWritten from outside.\n",
    )
    .unwrap();
    tui.wait_for("2025-11-20_session_1.md");
    tui.wait_for("handoff 2025-11-20_session_1.md changed");

    // A file saved by rename (as vim does) shows its new content.
    let kb = home.dir().join("UNIFIED_KNOWLEDGE.json");
    let text = std::fs::read_to_string(&kb)
        .unwrap()
        .replace("Deploy sovereign dashboard", "Deploy the renamed dashboard");
    let tmp = home.dir().join("UNIFIED_KNOWLEDGE.json.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &kb).unwrap();
    tui.wait_for("Deploy the renamed dashboard");

    // A file deleted disappears.
    std::fs::remove_file(home.dir().join("SESSION_HANDOFFS/2025-11-15_handoff.md")).unwrap();
    tui.wait_for("handoff 2025-11-15_handoff.md removed");
    tui.wait_for("3 Handoffs 1 ");

    tui.send("?");
    tui.wait_for("this help");
    tui.send("x");
    tui.wait_gone("this help");

    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(100));
    let screen = tui.screen.lock().unwrap();
    assert!(
        !screen.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert_eq!(
        screen.screen().mouse_protocol_mode(),
        vt100::MouseProtocolMode::None,
        "mouse capture off"
    );
    assert!(!screen.screen().bracketed_paste(), "bracketed paste off");
    let raw = tui.raw.lock().unwrap();
    assert!(
        raw.windows(8).any(|w| w == b"\x1b[?1049l"),
        "alternate screen left explicitly"
    );
}

#[test]
fn a_directory_that_appears_later_is_picked_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("docs/sessions");
    let mut tui = Tui::start(&dir, 100, 30);
    tui.wait_for("does not exist yet");
    std::fs::create_dir_all(dir.join("SESSION_HANDOFFS")).unwrap();
    std::fs::write(
        dir.join("SESSION_HANDOFFS/2025-11-21_session_1.md"),
        "# Session Handoff - 2025-11-21\n",
    )
    .unwrap();
    tui.wait_gone("does not exist yet");
    tui.wait_for("2025-11-21_session_1.md");
    tui.send("q");
    assert!(tui.wait_exit().success());
}

#[test]
fn ctrl_c_and_sigterm_quit_cleanly_in_a_narrow_split() {
    let home = seed_dir();
    let mut tui = Tui::start(&home.dir(), 60, 20);
    tui.wait_for("1 Pending work");
    tui.wait_for("2 Decisions");
    tui.send("\x03");
    assert!(tui.wait_exit().success());

    let mut tui = Tui::start(&home.dir(), 60, 20);
    tui.wait_for("Deploy sovereign dashboard");
    let pid = tui.child.process_id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(tui.wait_exit().success());
    std::thread::sleep(Duration::from_millis(100));
    assert!(!tui.screen.lock().unwrap().screen().alternate_screen());
}
