//! Helpers shared by the integration tests: temp sessions directories built from the
//! seed's own examples, and the real `baton` binary.
#![allow(dead_code)]

pub mod pty;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture exists")
}

/// A temp HOME with `~/Development/docs/sessions`, as the seed's commands make it.
pub struct SeedHome {
    pub home: tempfile::TempDir,
}

impl SeedHome {
    pub fn empty() -> SeedHome {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(
            home.path()
                .join("Development/docs/sessions/SESSION_HANDOFFS"),
        )
        .unwrap();
        SeedHome { home }
    }

    /// Runs the seed's "Immediate Setup" script verbatim, with HOME pointing here.
    pub fn immediate_setup() -> SeedHome {
        let s = SeedHome::empty();
        s.run_seed_script("immediate_setup.sh");
        s
    }

    /// Runs one of the seed's shell snippets with `bash`, HOME set to this directory.
    pub fn run_seed_script(&self, name: &str) {
        let status = Command::new("bash")
            .arg(fixture(name))
            .env("HOME", self.home.path())
            .current_dir(self.home.path().join("Development"))
            .status()
            .expect("bash runs");
        assert!(status.success(), "{name} failed");
    }

    pub fn dir(&self) -> PathBuf {
        self.home.path().join("Development/docs/sessions")
    }

    pub fn project(&self) -> PathBuf {
        self.home.path().join("Development")
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.dir().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn json(&self, rel: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// `baton --dir <this dir> ARGS`, from the project directory, with a pinned clock.
    pub fn baton(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = baton_cmd();
        cmd.current_dir(self.project())
            .arg("--dir")
            .arg(self.dir())
            .args(args);
        cmd
    }
}

/// The real binary, with the environment cleared of anything that could aim it elsewhere.
pub fn baton_cmd() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(Command::cargo_bin("baton").expect("binary built"));
    cmd.env_remove("BATON_DIR")
        .env_remove("BATON_SESSION")
        .env_remove("BATON_NOW");
    cmd
}

/// Output of a successful run, as text.
pub fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// An RFC 3339 time, for pinned clocks.
pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// What the dashboard draws for `app`, as plain text (one line per row, right-trimmed).
pub fn draw(app: &baton::tui::app::App) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(app.width, app.height))
            .expect("test backend");
    terminal
        .draw(|f| baton::tui::ui::render(app, f))
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
