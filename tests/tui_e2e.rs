//! The real binary in a pseudo-terminal, read through a terminal emulator (vt100): what a
//! user sees, with no tmux needed. Waits are for correctness (fail after a generous limit),
//! never speed measurements.

mod common;

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const LIMIT: Duration = Duration::from_secs(20);

struct Tui {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Tui {
    fn start(dir: &Path, cols: u16, rows: u16) -> Tui {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(assert_cmd::cargo::cargo_bin("baton"));
        cmd.arg("--dir");
        cmd.arg(dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("BATON_DIR");
        cmd.env_remove("BATON_SESSION");
        let child = pair.slave.spawn_command(cmd).expect("spawn baton");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(rows).unwrap(),
            NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Tui {
            screen,
            raw,
            writer,
            child,
            _master: pair.master,
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) {
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            if self.text().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("never saw {what:?}; screen:\n{}", self.text());
    }

    fn wait_gone(&self, what: &str) {
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            if !self.text().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{what:?} never went away; screen:\n{}", self.text());
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("baton did not exit; screen:\n{}", self.text());
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

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
