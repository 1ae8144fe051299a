//! Commits and changed files of a session's time window, from the git repository the
//! sessions directory sits in (none when it is not in one, or git is missing).

use std::path::Path;
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Utc};

use crate::domain::session::Commit;
use crate::domain::time::format_timestamp;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GitWindow {
    pub commits: Vec<Commit>,
    pub files: Vec<String>,
}

/// Runs `git log --since --until` in `dir`. Any failure means "no repository": capture is
/// a bonus, never a reason for `end` to fail.
pub fn capture(dir: &Path, since: DateTime<Utc>, until: DateTime<Utc>) -> GitWindow {
    Capture::start(dir, since, until).finish()
}

/// A `git log` running in the background, so a caller can do its own reading meanwhile
/// (`end` reads the knowledge base while git looks for commits, on the other core).
/// Dropped unfinished, the process is killed and reaped: git only reads.
pub struct Capture(Option<Child>);

impl Capture {
    pub fn start(dir: &Path, since: DateTime<Utc>, until: DateTime<Utc>) -> Capture {
        let Some(start_dir) = existing_ancestor(dir) else {
            return Capture(None);
        };
        let child = Command::new("git")
            .arg("-C")
            .arg(start_dir)
            .args([
                "log",
                "--no-color",
                "--no-merges",
                "--name-only",
                "--format=%x1e%H%x1f%an%x1f%aI%x1f%s",
            ])
            .arg(format!("--since={}", format_timestamp(since)))
            .arg(format!("--until={}", format_timestamp(until)))
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        Capture(child.ok())
    }

    /// Waits for git and reads what it printed.
    pub fn finish(mut self) -> GitWindow {
        let Some(child) = self.0.take() else {
            return GitWindow::default();
        };
        match child.wait_with_output() {
            Ok(output) if output.status.success() => {
                parse_log(&String::from_utf8_lossy(&output.stdout))
            }
            _ => GitWindow::default(),
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn existing_ancestor(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|p| p.is_dir())
}

/// Parses the `--format` above: records separated by 0x1E, fields by 0x1F, then file names.
pub fn parse_log(text: &str) -> GitWindow {
    let mut window = GitWindow::default();
    for record in text.split('\x1e').filter(|r| !r.trim().is_empty()) {
        let mut lines = record.lines();
        let header = lines.next().unwrap_or_default();
        let fields: Vec<&str> = header.split('\x1f').collect();
        if fields.len() < 4 {
            continue;
        }
        window.commits.push(Commit {
            hash: fields[0].to_string(),
            author: fields[1].to_string(),
            date: fields[2].to_string(),
            subject: fields[3..].join(" "),
        });
        for file in lines.map(str::trim).filter(|l| !l.is_empty()) {
            if !window.files.iter().any(|f| f == file) {
                window.files.push(file.to_string());
            }
        }
    }
    // git prints newest first; a session reads better oldest first.
    window.commits.reverse();
    window
}
