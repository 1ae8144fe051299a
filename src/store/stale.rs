//! The facts staleness needs about files named in the history: which are gone, and when
//! each last changed (the newest commit touching it, or an uncommitted edit), from the git
//! repository the sessions directory sits in. Paths are taken relative to the project root:
//! the repository's top level, else the directory holding `docs/sessions`, else the sessions
//! directory's parent. Marking is pure (`domain::stale`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};

use crate::domain::catalog::When;
use crate::domain::session::Commit;
use crate::domain::stale::FileFacts;
use crate::domain::time::{format_timestamp, parse_timestamp};

use super::layout::Layout;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn existing(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|p| p.is_dir())
}

/// Whether git could find a repository from `dir`: a `.git` (directory, or file for
/// worktrees and submodules) in it or above it, or git told where one is. Spares starting
/// `git` for a directory in no repository.
fn maybe_in_repo(dir: &Path) -> bool {
    if std::env::var_os("GIT_DIR").is_some() || std::env::var_os("GIT_WORK_TREE").is_some() {
        return true;
    }
    match dir.canonicalize() {
        Ok(abs) => abs.ancestors().any(|p| p.join(".git").exists()),
        Err(_) => true,
    }
}

/// The repository's top level, if the directory is in one.
pub fn repo_root(layout: &Layout) -> Option<PathBuf> {
    let start = existing(&layout.root)?;
    if !maybe_in_repo(start) {
        return None;
    }
    git(start, &["rev-parse", "--show-toplevel"])
        .map(|s| PathBuf::from(s.trim()))
        .filter(|p| !p.as_os_str().is_empty())
}

/// Where named paths are relative to.
pub fn project_root(layout: &Layout) -> PathBuf {
    project_root_in(layout, repo_root(layout).as_deref())
}

fn project_root_in(layout: &Layout, repo: Option<&Path>) -> PathBuf {
    if let Some(top) = repo {
        return top.to_path_buf();
    }
    let root = &layout.root;
    let docs_sessions = root.ends_with("docs/sessions");
    let up = if docs_sessions { 2 } else { 1 };
    root.ancestors()
        .nth(up)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn safe(path: &str) -> bool {
    !path.is_empty() && !path.contains('\0') && path.len() < 4096
}

/// Facts about `paths` (as named, with the time each was named): which do not exist,
/// and for the others the last change after the earliest naming.
pub fn file_facts(layout: &Layout, paths: &[(String, When)]) -> FileFacts {
    file_facts_in(layout, repo_root(layout).as_deref(), paths)
}

/// [`file_facts`] when the repository's top level (or its absence) is already known.
pub fn file_facts_in(layout: &Layout, repo: Option<&Path>, paths: &[(String, When)]) -> FileFacts {
    let mut facts = FileFacts::default();
    let root = project_root_in(layout, repo);
    let unique: HashSet<&str> = paths
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| safe(p))
        .collect();
    for p in &unique {
        let full = if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            root.join(p)
        };
        if !full.exists() {
            facts.missing.insert((*p).to_string());
        }
    }
    let Some(top) = repo.map(Path::to_path_buf) else {
        return facts;
    };
    let Some(earliest) = paths.iter().map(|(_, w)| w.at).min() else {
        return facts;
    };
    let wanted: HashSet<&str> = unique
        .iter()
        .filter(|p| !facts.missing.contains(**p))
        .map(|p| p.trim_end_matches('/'))
        .collect();
    if wanted.is_empty() {
        return facts;
    }
    // Newest first: the first time a file shows up is its last change.
    let since = format!(
        "--since={}",
        format_timestamp(earliest - chrono::Duration::days(1))
    );
    if let Some(log) = git(
        &top,
        &[
            "log",
            "--no-color",
            "--format=%x1e%aI",
            "--name-only",
            &since,
        ],
    ) {
        let mut changed: HashMap<String, DateTime<Utc>> = HashMap::new();
        for record in log.split('\x1e').filter(|r| !r.trim().is_empty()) {
            let mut lines = record.lines();
            let Some(at) = lines.next().and_then(parse_timestamp) else {
                continue;
            };
            for file in lines.map(str::trim).filter(|l| !l.is_empty()) {
                changed.entry(file.to_string()).or_insert(at);
            }
        }
        for w in &wanted {
            // A directory changed when anything under it did.
            let prefix = format!("{w}/");
            let last = changed
                .iter()
                .filter(|(f, _)| f.as_str() == *w || f.starts_with(&prefix))
                .map(|(_, t)| *t)
                .max();
            if let Some(t) = last {
                facts.last_change.insert((*w).to_string(), t);
            }
        }
    }
    // Uncommitted edits count as changes now (their modification time).
    if let Some(status) = git(&top, &["status", "--porcelain=v1", "--untracked-files=no"]) {
        for line in status.lines() {
            let file = line.get(3..).unwrap_or_default().trim();
            let file = file.rsplit(" -> ").next().unwrap_or(file);
            if wanted.contains(file)
                && let Ok(m) = std::fs::metadata(top.join(file)).and_then(|m| m.modified())
            {
                let t = DateTime::<Utc>::from(m);
                let slot = facts.last_change.entry(file.to_string()).or_insert(t);
                *slot = (*slot).max(t);
            }
        }
    }
    // Keys as named (a directory may have been named with a trailing `/`).
    for (p, _) in paths {
        let bare = p.trim_end_matches('/');
        if bare != p
            && let Some(t) = facts.last_change.get(bare).copied()
        {
            facts.last_change.insert(p.clone(), t);
        }
    }
    facts
}

/// Commits of the repository between `since` and `until` (none outside a repository).
pub fn repo_commits(layout: &Layout, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Commit> {
    super::git::capture(&layout.root, since, until).commits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str], date: &str) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn missing_and_changed_files_from_a_real_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        run(repo, &["init", "-q"], "2025-11-10T10:00:00Z");
        std::fs::create_dir_all(repo.join("src")).unwrap();
        std::fs::create_dir_all(repo.join("docs/sessions")).unwrap();
        std::fs::write(repo.join("src/a.rs"), "a").unwrap();
        std::fs::write(repo.join("src/b.rs"), "b").unwrap();
        run(repo, &["add", "."], "2025-11-10T10:00:00Z");
        run(repo, &["commit", "-qm", "one"], "2025-11-10T10:00:00Z");
        std::fs::write(repo.join("src/a.rs"), "a2").unwrap();
        run(repo, &["commit", "-qam", "two"], "2025-11-20T10:00:00Z");
        let layout = Layout::new(repo.join("docs/sessions"));
        let named = When::parse("2025-11-15").unwrap();
        let facts = file_facts(
            &layout,
            &[
                ("src/a.rs".into(), named),
                ("src/b.rs".into(), named),
                ("src/gone.rs".into(), named),
                ("src/".into(), named),
            ],
        );
        assert!(facts.missing.contains("src/gone.rs"));
        assert!(!facts.missing.contains("src/a.rs"));
        assert_eq!(
            facts
                .last_change
                .get("src/a.rs")
                .map(|t| format_timestamp(*t)),
            Some("2025-11-20T10:00:00Z".into())
        );
        // Only changes around and after the earliest naming are looked up.
        assert_eq!(facts.last_change.get("src/b.rs"), None);
        assert!(facts.last_change.contains_key("src/"));
        let s = crate::domain::stale::staleness(&["src/a.rs".into()], Some(named), &facts);
        assert!(s.is_some());
        let s = crate::domain::stale::staleness(&["src/b.rs".into()], Some(named), &facts);
        assert!(s.is_none());
    }
}
