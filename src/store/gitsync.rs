//! Team sync over git (`baton sync --git`): commit baton's changes, pull with rebase,
//! push. Git is the engine (the `git` binary, run with `std::process::Command`); baton only
//! keeps the layout mergeable and merges the one file git cannot:
//!
//! - every session has files of its own (`SESSION_LOGS/<id>.json`, its handoff), and with
//!   machine ids (`2025-11-15-001-alice`, turned on by the first sync) no two machines ever
//!   create the same one;
//! - the JSON-lines and plain logs are `merge=union` in the sessions directory's
//!   `.gitattributes`: both sides' appended lines are kept;
//! - `UNIFIED_KNOWLEDGE.json` is `-merge` there, so git never merges it as text: when both
//!   sides changed it, the rebase stops and baton merges the three versions field by field
//!   (`domain::knowledge_sync`) and continues;
//! - running sessions (`ACTIVE_SESSIONS/`) and baton's private state (`.baton/`, except its
//!   `config.json` and `.gitignore`) stay on their machine.
//!
//! Anything else that conflicts (a hand-written handoff edited on both sides, `SERVICES.json`,
//! a field of the knowledge base changed differently on both sides) stops the sync: the
//! rebase is aborted, the commit this run made is undone, and the working tree is left as it
//! was. The network (fetch, push) runs outside the directory lock; the commit and the rebase
//! hold it, so no `end` writes the directory while git rewrites it.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::ids::machine_tag;
use crate::domain::json_doc::parse_object_strict;
use crate::domain::knowledge::Knowledge;
use crate::domain::knowledge_sync::merge_three_way;
use crate::domain::text::decode;

use super::config;
use super::fsio::{atomic_write, lock, lock_timeout, read_optional};
use super::layout::{self, Layout};
use super::outbox::{SyncKind, record_run};
use super::{StoreError, ops::Store};

/// The sessions directory's `.gitattributes`, as `init` writes it (and `sync --git` makes
/// sure of, line by line).
pub const GITATTRIBUTES: &str = "\
DECISIONS_LOG.json merge=union
CODE_REGISTRY.json merge=union
INSIGHTS_DB.json merge=union
INSIGHTS.log merge=union
CODE_CHANGES.log merge=union
# baton merges the knowledge base field by field (`baton sync --git`), never as text.
UNIFIED_KNOWLEDGE.json -merge
";

/// What `.baton/.gitignore` must hold: everything private to one machine (`init` writes it,
/// `sync --git` adds what an older file lacks). Caches are rebuilt from the files.
pub const PRIVATE_IGNORES: [&str; 10] = [
    "lock",
    "*.baton-tmp-*",
    "drafts/",
    "outbox/",
    "outbox.lock",
    "unmerged/",
    "sync.json",
    "dashboard.log",
    "remind/",
    "decisions.cache",
];

/// This machine's name: `$BATON_MACHINE`, else the host name.
pub fn machine_name() -> String {
    if let Ok(m) = std::env::var("BATON_MACHINE")
        && !m.trim().is_empty()
    {
        return m.trim().to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| {
            Command::new("hostname")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        })
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// The tag new session ids carry (`-alice`), when the directory's config turns machine ids
/// on (`{"sync": {"machine_ids": true}}`).
pub fn machine_ids(layout: &Layout) -> Option<String> {
    let (c, _) = config::load(layout).ok()?;
    c.sync
        .machine_ids
        .unwrap_or(false)
        .then(|| machine_tag(&machine_name()))
}

/// What a sync did, for the command's report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GitReport {
    /// The commit made: (short hash, message).
    pub committed: Option<(String, String)>,
    /// Commits pulled in.
    pub pulled: usize,
    /// How many times the knowledge base was merged field by field.
    pub knowledge_merged: usize,
    /// `remote/branch` pushed to.
    pub pushed: Option<String>,
    /// Anything else worth a line: the layout files fixed, why nothing was pushed.
    pub notes: Vec<String>,
}

#[derive(Debug)]
pub enum GitSyncError {
    /// Not in a repository, a detached HEAD, a rebase in progress: nothing was done (exit 2).
    Refused(String),
    /// A conflict baton cannot resolve: the rebase was aborted, nothing changed (exit 2).
    Conflict(String),
    /// Git or the network failed (exit 1).
    Failed(String),
    Store(StoreError),
}

impl std::fmt::Display for GitSyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GitSyncError::Refused(m) | GitSyncError::Conflict(m) | GitSyncError::Failed(m) => {
                f.write_str(m)
            }
            GitSyncError::Store(e) => e.fmt(f),
        }
    }
}

impl From<StoreError> for GitSyncError {
    fn from(e: StoreError) -> Self {
        GitSyncError::Store(e)
    }
}

impl From<super::fsio::FsError> for GitSyncError {
    fn from(e: super::fsio::FsError) -> Self {
        GitSyncError::Store(e.into())
    }
}

/// The `git` binary, run at the top of the work tree.
struct Git {
    top: PathBuf,
    /// `-c user.name=… -c user.email=…` when the repository has no identity configured.
    identity: Vec<String>,
}

impl Git {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.top);
        cmd.args(&self.identity);
        cmd.args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_EDITOR", "true")
            .env("GIT_MERGE_AUTOEDIT", "no")
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        cmd
    }

    /// stdout when git succeeds, else its message.
    fn run(&self, args: &[&str]) -> Result<String, String> {
        self.run_with(args, None)
    }

    fn run_with(&self, args: &[&str], input: Option<&[u8]>) -> Result<String, String> {
        let mut cmd = self.command(args);
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run git: {e}; is git installed?"))?;
        if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            let _ = stdin.write_all(bytes);
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let mut msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if msg.is_empty() {
                msg = String::from_utf8_lossy(&out.stdout).trim().to_string();
            }
            Err(msg)
        }
    }

    fn line(&self, args: &[&str]) -> Option<String> {
        self.run(args)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    fn in_progress(&self) -> Option<&'static str> {
        for (path, what) in [
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase"),
            ("MERGE_HEAD", "a merge"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ] {
            if let Some(p) = self.line(&["rev-parse", "--git-path", path])
                && self.top.join(p).exists()
            {
                return Some(what);
            }
        }
        None
    }
}

/// Where to pull from and push to.
struct Remote {
    name: String,
    branch: String,
    /// `refs/remotes/<name>/<branch>`.
    tracking: String,
    /// The branch tracks it already (`git push -u` otherwise).
    configured: bool,
}

/// Runs one team sync of the directory `store` works on.
pub fn sync(store: &Store, now: DateTime<Utc>) -> Result<GitReport, GitSyncError> {
    let result = run(store);
    let outcome = match &result {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    if !matches!(result, Err(GitSyncError::Refused(_))) {
        let outcome = outcome.as_ref().map(|_| ()).map_err(String::as_str);
        let _ = record_run(&store.layout, SyncKind::Git, outcome, now);
    }
    result
}

fn run(store: &Store) -> Result<GitReport, GitSyncError> {
    let layout = &store.layout;
    let root = &layout.root;
    if !root.is_dir() {
        return Err(GitSyncError::Refused(format!(
            "{} does not exist; `baton init` creates it",
            root.display()
        )));
    }
    let probe = Git {
        top: root.clone(),
        identity: Vec::new(),
    };
    let top = probe
        .line(&["rev-parse", "--show-toplevel"])
        .map(PathBuf::from)
        .ok_or_else(|| {
            GitSyncError::Refused(format!(
                "{} is not inside a git repository; run `git init` (and `git remote add origin URL`) \
                 in your project, then `baton sync --git` again",
                root.display()
            ))
        })?;
    let rel = relative(root, &top)?;
    let mut git = Git {
        top,
        identity: Vec::new(),
    };
    if git.line(&["config", "user.name"]).is_none() || git.line(&["config", "user.email"]).is_none()
    {
        let machine = machine_tag(&machine_name());
        git.identity = vec![
            "-c".into(),
            "user.name=baton".into(),
            "-c".into(),
            format!("user.email=baton@{machine}"),
        ];
    }
    let branch = git
        .line(&["symbolic-ref", "--short", "-q", "HEAD"])
        .ok_or_else(|| {
            GitSyncError::Refused(
                "HEAD is detached; check out a branch, then `baton sync --git` again".into(),
            )
        })?;
    if let Some(what) = git.in_progress() {
        return Err(GitSyncError::Refused(format!(
            "{what} is in progress in {}; finish or abort it (`git rebase --abort`, `git merge \
             --abort`), then `baton sync --git` again",
            git.top.display()
        )));
    }
    let remote = remote_of(&git, &branch);

    let mut report = GitReport::default();
    // 1. Under the lock: the layout's own files, then one commit of the directory.
    let made = {
        let _guard = lock(&layout.lock(), lock_timeout())?;
        report.notes.extend(ensure_layout(layout)?);
        commit(&git, layout, &rel)?
    };
    if let Some(c) = &made {
        report.committed = Some((c.short.clone(), c.message.clone()));
    }
    let Some(remote) = remote else {
        report.notes.push(
            "no remote configured: committed locally only; add one with `git remote add origin \
             URL` and sync again to share"
                .into(),
        );
        return Ok(report);
    };
    // 2. Fetch, rebase (locked), push; again if someone pushed in between.
    for _attempt in 0..3 {
        git.run(&["fetch", "--quiet", &remote.name]).map_err(|e| {
            GitSyncError::Failed(format!(
                "git fetch {} failed: {e}\nbaton: {}; sync again when the remote can be reached",
                remote.name,
                match &made {
                    Some(c) => format!("baton's changes are committed locally ({})", c.short),
                    None => "nothing was changed".into(),
                }
            ))
        })?;
        let upstream_exists = git
            .line(&["rev-parse", "--verify", "-q", &remote.tracking])
            .is_some();
        if upstream_exists {
            let behind: usize = git
                .line(&["rev-list", "--count", &format!("HEAD..{}", remote.tracking)])
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if behind > 0 {
                let _guard = lock(&layout.lock(), lock_timeout())?;
                // The user's own uncommitted work (outside the directory) is set aside with
                // its staged part, and put back exactly so.
                let stash = Stash::save(&git)?;
                let rebased = rebase(&git, &remote.tracking, &rel);
                if rebased.is_err() {
                    undo(&git, made.as_ref());
                }
                if let Some(note) = stash.restore(&git) {
                    report.notes.push(note);
                }
                let merged = rebased.map_err(|stop| stop.into_error(&remote.tracking))?;
                report.pulled += behind;
                report.knowledge_merged += merged.knowledge;
                report.notes.extend(merged.notes);
            }
        }
        // 3. Push what is ahead, if it is only the sessions directory's.
        let range = if upstream_exists {
            format!("{}..HEAD", remote.tracking)
        } else {
            "HEAD".to_string()
        };
        let ahead: usize = git
            .line(&["rev-list", "--count", &range])
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if ahead == 0 {
            return Ok(report);
        }
        let outside = commits_outside(&git, &range, &rel);
        if !outside.is_empty() {
            report.notes.push(format!(
                "not pushed: {} has commits that change files outside {} ({}); push them yourself \
                 with `git push`",
                branch,
                if rel.is_empty() { "." } else { &rel },
                outside.join(", ")
            ));
            return Ok(report);
        }
        let target = format!("HEAD:refs/heads/{}", remote.branch);
        let mut args = vec!["push", "--quiet"];
        if !remote.configured {
            args.push("--set-upstream");
        }
        args.extend([remote.name.as_str(), target.as_str()]);
        match git.run(&args) {
            Ok(_) => {
                report.pushed = Some(format!("{}/{}", remote.name, remote.branch));
                return Ok(report);
            }
            Err(e) if is_rejected(&e) => continue,
            Err(e) => {
                return Err(GitSyncError::Failed(format!(
                    "git push {} failed: {e}\nbaton: the changes are committed locally; sync again \
                     to push them",
                    remote.name
                )));
            }
        }
    }
    Err(GitSyncError::Failed(
        "the remote kept moving while baton pushed (rejected three times); sync again".into(),
    ))
}

/// The sessions directory relative to the work tree's top, with `/` (empty at the top).
fn relative(root: &Path, top: &Path) -> Result<String, GitSyncError> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, top) = (canon(root), canon(top));
    let rel = root.strip_prefix(&top).map_err(|_| {
        GitSyncError::Refused(format!(
            "{} is not inside the work tree {}",
            root.display(),
            top.display()
        ))
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

fn remote_of(git: &Git, branch: &str) -> Option<Remote> {
    let configured = git.line(&["config", &format!("branch.{branch}.remote")]);
    let merge = git.line(&["config", &format!("branch.{branch}.merge")]);
    if let (Some(name), Some(merge)) = (&configured, &merge)
        && name != "."
    {
        let remote_branch = merge
            .strip_prefix("refs/heads/")
            .unwrap_or(merge)
            .to_string();
        return Some(Remote {
            tracking: format!("refs/remotes/{name}/{remote_branch}"),
            name: name.clone(),
            branch: remote_branch,
            configured: true,
        });
    }
    let remotes: Vec<String> = git
        .run(&["remote"])
        .ok()?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let name = if remotes.iter().any(|r| r == "origin") {
        "origin".to_string()
    } else if remotes.len() == 1 {
        remotes[0].clone()
    } else {
        return None;
    };
    Some(Remote {
        tracking: format!("refs/remotes/{name}/{branch}"),
        name,
        branch: branch.to_string(),
        configured: false,
    })
}

/// Makes sure of the layout's own files: the union/`-merge` lines of `.gitattributes`, the
/// private entries of `.baton/.gitignore`, and machine ids in the config (unless set to
/// `false`). Only adds; returns what it changed, in words.
fn ensure_layout(layout: &Layout) -> Result<Vec<String>, GitSyncError> {
    let mut notes = Vec::new();
    let attributes: Vec<&str> = GITATTRIBUTES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    if add_lines(&layout.path(".gitattributes"), GITATTRIBUTES, &attributes)? {
        notes.push(
            "updated .gitattributes (merge rules for the logs and the knowledge base)".into(),
        );
    }
    let ignores = PRIVATE_IGNORES.join("\n") + "\n";
    if add_lines(
        &layout.private_dir().join(".gitignore"),
        &ignores,
        &PRIVATE_IGNORES,
    )? {
        notes.push("updated .baton/.gitignore (what stays on this machine)".into());
    }
    let path = layout.config();
    let mut doc: Map<String, Value> = match read_optional(&path)? {
        None => Map::new(),
        Some(bytes) => parse_object_strict(&layout.display(&path), &decode(&bytes).0)
            .map_err(|p| StoreError::Refused(vec![p]))?,
    };
    let sync = doc
        .entry("sync")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(sync) = sync
        && !sync.contains_key("machine_ids")
    {
        sync.insert("machine_ids".into(), Value::Bool(true));
        let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        bytes.push(b'\n');
        atomic_write(&path, &bytes)?;
        notes.push(format!(
            "new session ids now carry the machine's name ({}), so sessions on different \
             machines never collide; set sync.machine_ids to false in .baton/config.json to stop",
            crate::domain::ids::session_id_for(chrono::Utc::now().date_naive(), 1)
                + "-"
                + &machine_tag(&machine_name())
        ));
    }
    Ok(notes)
}

/// Adds the `wanted` lines a file lacks (creating it with `fresh` if missing). True if it
/// wrote.
fn add_lines(path: &Path, fresh: &str, wanted: &[&str]) -> Result<bool, GitSyncError> {
    let Some(bytes) = read_optional(path)? else {
        atomic_write(path, fresh.as_bytes())?;
        return Ok(true);
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let have: HashSet<&str> = text.lines().map(str::trim).collect();
    let missing: Vec<&&str> = wanted.iter().filter(|w| !have.contains(**w)).collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut out = text.clone();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for line in missing {
        out.push_str(line);
        out.push('\n');
    }
    atomic_write(path, out.as_bytes())?;
    Ok(true)
}

/// A commit this run made, and what it staged that was not staged before (to undo it).
struct Made {
    sha: String,
    short: String,
    message: String,
    newly_staged: Vec<String>,
    has_parent: bool,
}

/// The pathspecs of what sync commits, as two sets (an exclusion applies to a whole set):
/// the directory without running sessions and private state; and the private files meant
/// to travel (the config, and `.baton/.gitignore`).
fn pathspecs(layout: &Layout, rel: &str) -> [Vec<String>; 2] {
    let dir = if rel.is_empty() { "." } else { rel };
    let tree = vec![
        format!(":(literal){dir}"),
        format!(":(exclude,literal){}", join(rel, layout::ACTIVE)),
        format!(":(exclude,literal){}", join(rel, layout::PRIVATE)),
    ];
    let private = ["config.json", ".gitignore"]
        .iter()
        .filter(|name| layout.private_dir().join(name).is_file())
        .map(|name| {
            format!(
                ":(literal){}",
                join(rel, &format!("{}/{name}", layout::PRIVATE))
            )
        })
        .collect();
    [tree, private]
}

fn nul_list(items: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i.as_bytes());
        out.push(0);
    }
    out
}

fn staged(git: &Git, specs: &[Vec<String>; 2]) -> Result<Vec<(char, String)>, String> {
    let mut list = Vec::new();
    for set in specs.iter().filter(|s| !s.is_empty()) {
        let mut args = vec![
            "diff",
            "--cached",
            "--name-status",
            "-z",
            "--no-renames",
            "--",
        ];
        args.extend(set.iter().map(String::as_str));
        let out = git.run(&args)?;
        let mut fields = out.split('\0').filter(|f| !f.is_empty());
        while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
            list.push((status.chars().next().unwrap_or('M'), path.to_string()));
        }
    }
    Ok(list)
}

fn commit(git: &Git, layout: &Layout, rel: &str) -> Result<Option<Made>, GitSyncError> {
    let specs = pathspecs(layout, rel);
    let failed = |e: String| GitSyncError::Failed(format!("git: {e}"));
    let before: HashSet<String> = staged(git, &specs)
        .map_err(failed)?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    for set in specs.iter().filter(|s| !s.is_empty()) {
        let mut add = vec!["add", "-A", "--"];
        add.extend(set.iter().map(String::as_str));
        git.run(&add).map_err(failed)?;
    }
    let now_staged = staged(git, &specs).map_err(failed)?;
    if now_staged.is_empty() {
        return Ok(None);
    }
    let archive_dir = join(rel, layout::ARCHIVE) + "/";
    let mut sessions = 0;
    let mut decisions = 0;
    for (status, path) in &now_staged {
        if *status == 'A'
            && let Some(name) = path.strip_prefix(&archive_dir)
            && name.ends_with(".json")
            && !name.contains('/')
        {
            sessions += 1;
            let mut ignored = Vec::new();
            if let Ok(Some(a)) =
                super::read::read_archived(layout, name.trim_end_matches(".json"), &mut ignored)
            {
                decisions += a.record.decisions_made.len();
            }
        }
    }
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let host = machine_name();
    let message = if sessions > 0 {
        format!(
            "baton: sync {}, {} from {host}",
            plural(sessions, "session"),
            plural(decisions, "decision")
        )
    } else {
        format!("baton: sync knowledge and handoffs from {host}")
    };
    let paths: Vec<String> = now_staged.iter().map(|(_, p)| p.clone()).collect();
    let has_parent = git.line(&["rev-parse", "--verify", "-q", "HEAD"]).is_some();
    git.run_with(
        &[
            "commit",
            "--quiet",
            "--only",
            "-m",
            &message,
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
        ],
        Some(&nul_list(&paths)),
    )
    .map_err(|e| GitSyncError::Failed(format!("git commit failed: {e}")))?;
    let sha = git.line(&["rev-parse", "HEAD"]).unwrap_or_default();
    Ok(Some(Made {
        short: sha.chars().take(7).collect(),
        sha,
        message,
        newly_staged: paths.into_iter().filter(|p| !before.contains(p)).collect(),
        has_parent,
    }))
}

/// Undoes the commit this run made (after an aborted rebase): HEAD and the index as they
/// were; the working tree is never touched.
fn undo(git: &Git, made: Option<&Made>) {
    let Some(made) = made else { return };
    if git.line(&["rev-parse", "HEAD"]).as_deref() != Some(made.sha.as_str()) || !made.has_parent {
        return;
    }
    if git.run(&["reset", "--quiet", "--soft", "HEAD~1"]).is_ok() && !made.newly_staged.is_empty() {
        let _ = git.run_with(
            &[
                "reset",
                "--quiet",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
            ],
            Some(&nul_list(&made.newly_staged)),
        );
    }
}

/// The user's uncommitted changes to tracked files, set aside during the rebase. (Git's
/// own `--autostash` would give the staged part back unstaged.)
struct Stash {
    made: bool,
}

impl Stash {
    fn save(git: &Git) -> Result<Stash, GitSyncError> {
        let before = git.line(&["rev-parse", "-q", "--verify", "refs/stash"]);
        git.run(&[
            "stash",
            "push",
            "--quiet",
            "-m",
            "baton sync: your uncommitted changes",
        ])
        .map_err(|e| {
            GitSyncError::Failed(format!(
                "could not set your uncommitted changes aside (git stash): {e}; nothing was \
                     pulled"
            ))
        })?;
        let after = git.line(&["rev-parse", "-q", "--verify", "refs/stash"]);
        Ok(Stash {
            made: after.is_some() && after != before,
        })
    }

    /// Puts the changes back, staged part staged; a note if they no longer fit.
    fn restore(self, git: &Git) -> Option<String> {
        if !self.made {
            return None;
        }
        match git.run(&["stash", "pop", "--index", "--quiet"]) {
            Ok(_) => None,
            Err(e) => Some(format!(
                "your uncommitted changes did not fit on what was pulled ({e}); they are kept in \
                 `git stash list` (stash@{{0}})"
            )),
        }
    }
}

/// Why a rebase stopped.
enum Stop {
    Conflict(Vec<String>, String),
    Failed(String),
}

impl Stop {
    fn into_error(self, upstream: &str) -> GitSyncError {
        let upstream = upstream.trim_start_matches("refs/remotes/");
        match self {
            Stop::Conflict(files, why) => GitSyncError::Conflict(format!(
                "cannot merge with {upstream}: {why}\n{}\nbaton: nothing was changed (the rebase \
                 was aborted and baton's commit undone). Resolve it by hand (`git pull --rebase`, \
                 fix the files, `git rebase --continue`), then `baton sync --git` again",
                files
                    .iter()
                    .map(|f| format!("baton:   {f}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
            Stop::Failed(e) => GitSyncError::Failed(format!(
                "git rebase onto {upstream} failed: {e}\nbaton: nothing was changed (the rebase \
                 was aborted)"
            )),
        }
    }
}

#[derive(Default)]
struct Rebased {
    knowledge: usize,
    notes: Vec<String>,
}

fn rebase(git: &Git, upstream: &str, rel: &str) -> Result<Rebased, Stop> {
    let knowledge = join(rel, layout::KNOWLEDGE);
    let mut done = Rebased::default();
    let mut step = git.run(&["rebase", "--quiet", upstream]);
    loop {
        let message = match step {
            Ok(_) => return Ok(done),
            Err(e) => e,
        };
        if git.in_progress().is_none() {
            return Err(Stop::Failed(message));
        }
        let conflicted: Vec<String> = git
            .run(&["diff", "--name-only", "--diff-filter=U", "-z"])
            .unwrap_or_default()
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let stop = |s: Stop| {
            let _ = git.run(&["rebase", "--abort"]);
            s
        };
        if conflicted.is_empty() {
            // Resolved to nothing new (the change was already upstream): drop the commit.
            if git.run(&["diff", "--cached", "--quiet"]).is_ok() {
                step = git.run(&["rebase", "--skip"]);
                continue;
            }
            return Err(stop(Stop::Failed(message)));
        }
        if conflicted != [knowledge.clone()] {
            let why = if conflicted.len() == 1 {
                "this file was changed on both sides".to_string()
            } else {
                "these files were changed on both sides".to_string()
            };
            return Err(stop(Stop::Conflict(conflicted, why)));
        }
        if let Err(why) = merge_knowledge(git, &knowledge) {
            return Err(stop(Stop::Conflict(vec![knowledge], why)));
        }
        done.knowledge += 1;
        if let Err(e) = git.run(&["add", "--", &knowledge]) {
            return Err(stop(Stop::Failed(e)));
        }
        step = git.run(&["rebase", "--continue"]);
    }
}

/// Merges the three versions of the knowledge base the rebase stopped on (1: base,
/// 2: upstream with the commits replayed so far, 3: this machine's commit) and writes the
/// result into the work tree.
fn merge_knowledge(git: &Git, path: &str) -> Result<(), String> {
    let version = |stage: u8| -> Result<Option<Map<String, Value>>, String> {
        let Ok(text) = git.run(&["show", &format!(":{stage}:{path}")]) else {
            return Ok(None);
        };
        parse_object_strict(path, &text)
            .map(Some)
            .map_err(|p| format!("{p} (in the version {})", side(stage)))
    };
    let base = version(1)?.unwrap_or_default();
    let (Some(upstream), Some(local)) = (version(2)?, version(3)?) else {
        return Err("the knowledge base was deleted on one side".into());
    };
    let merged = merge_three_way(&base, &upstream, &local).map_err(|fields| {
        format!(
            "the knowledge base's {} changed differently on both sides",
            fields
                .iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let text = Knowledge::new(merged).to_pretty_json();
    atomic_write(&git.top.join(path), text.as_bytes()).map_err(|e| e.to_string())
}

fn side(stage: u8) -> &'static str {
    match stage {
        1 => "both sides started from",
        2 => "pulled",
        _ => "of this machine",
    }
}

/// Short hashes of commits in `range` that change files outside the sessions directory.
fn commits_outside(git: &Git, range: &str, rel: &str) -> Vec<String> {
    if rel.is_empty() {
        return Vec::new();
    }
    let prefix = format!("{rel}/");
    let Ok(out) = git.run(&["log", "--format=%x1e%h", "--name-only", "-z", range]) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for record in out
        .split('\x1e')
        .filter(|r| !r.trim_matches('\0').is_empty())
    {
        let mut parts = record.split(['\n', '\0']).filter(|p| !p.is_empty());
        let Some(hash) = parts.next() else { continue };
        if parts.any(|p| !p.starts_with(&prefix)) {
            found.push(hash.to_string());
        }
    }
    found
}

fn is_rejected(message: &str) -> bool {
    ["[rejected]", "non-fast-forward", "fetch first"]
        .iter()
        .any(|w| message.contains(w))
}
