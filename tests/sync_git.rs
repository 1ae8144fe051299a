//! Team sync over git with real repositories: a bare repository and two clones in temp
//! dirs ("alice" and "bob"), sessions ending on both sides, `baton sync --git` in both
//! orders. Afterwards both clones hold every session, decision and handoff, and the
//! knowledge base counts them all; hand edits survive; a conflict baton cannot resolve stops
//! and leaves everything as it was. Git runs without the user's global or system config.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SESSIONS: &str = "docs/sessions";

fn isolate(cmd: &mut Command) {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
}

/// Runs git in `dir` (as the user "Dev"), asserting success; its stdout.
fn git_out(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    isolate(&mut cmd);
    let out = cmd
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One machine: a clone, and who works there.
struct Clone {
    dir: PathBuf,
    machine: &'static str,
}

impl Clone {
    fn sessions(&self) -> PathBuf {
        self.dir.join(SESSIONS)
    }

    fn baton_at(&self, now: &str, args: &[&str]) -> Output {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("baton"));
        isolate(&mut cmd);
        for k in ["BATON_DIR", "BATON_SESSION", "BATON_MEMORY_URL"] {
            cmd.env_remove(k);
        }
        cmd.current_dir(&self.dir)
            .env("BATON_MACHINE", self.machine)
            .env("BATON_NOW", now)
            .arg("--dir")
            .arg(self.sessions())
            .args(args)
            .output()
            .expect("baton runs")
    }

    fn baton(&self, args: &[&str]) -> String {
        let out = self.baton_at("2025-11-15T18:00:00Z", args);
        assert!(
            out.status.success(),
            "baton {args:?} on {}: exit {:?}\n{}\n{}",
            self.machine,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn sync(&self) -> String {
        self.baton(&["sync", "--git"])
    }

    /// A session from `start` (hour `h`) to `end` an hour later, with one decision, one
    /// achievement and one next step named after the machine and `n`.
    fn session(&self, n: u32, h: u32) {
        let start = format!("2025-11-15T{h:02}:00:00Z");
        let end = format!("2025-11-15T{:02}:00:00Z", h + 1);
        let who = self.machine;
        let run = |now: &str, args: &[&str]| {
            let out = self.baton_at(now, args);
            assert!(out.status.success(), "{args:?}: {out:?}");
        };
        run(
            &start,
            &["start", "--goal", &format!("{who} work {n}"), "-q"],
        );
        run(&start, &["log", "decision", &format!("Decision {who} {n}")]);
        run(&start, &["log", "next", &format!("Next step {who} {n}")]);
        run(&start, &["log", "achievement", &format!("Built {who} {n}")]);
        run(&end, &["end", "--summary", &format!("{who} {n} done")]);
    }

    fn knowledge(&self) -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(self.sessions().join("UNIFIED_KNOWLEDGE.json")).unwrap(),
        )
        .unwrap()
    }

    fn names(&self, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.sessions().join(sub))
            .map(|it| {
                it.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn head(&self) -> String {
        git_out(&self.dir, &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    }

    fn status(&self) -> String {
        git_out(
            &self.dir,
            &["status", "--porcelain", "--untracked-files=all"],
        )
    }

    /// Every file of the work tree (not `.git`), with its bytes.
    fn tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                if p.is_dir() {
                    walk(&p, root, out);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_path_buf();
                    // baton's own bookkeeping (the lock's holder, the last sync's outcome)
                    // is not the user's work tree.
                    let private = rel.starts_with(Path::new(SESSIONS).join(".baton"))
                        && rel
                            .file_name()
                            .is_some_and(|n| n == "lock" || n == "sync.json");
                    if !private {
                        out.insert(rel, std::fs::read(&p).unwrap());
                    }
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.dir, &self.dir, &mut out);
        out
    }
}

/// A bare repository and two clones: alice set the directory up and pushed it, bob cloned
/// it and synced once.
struct Team {
    _root: tempfile::TempDir,
    alice: Clone,
    bob: Clone,
}

fn team() -> Team {
    let root = tempfile::tempdir().unwrap();
    git_out(
        root.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    git_out(root.path(), &["clone", "-q", "remote.git", "alice"]);
    let alice = Clone {
        dir: root.path().join("alice"),
        machine: "alice",
    };
    git_out(&alice.dir, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    std::fs::write(alice.dir.join("README.md"), "# project\n").unwrap();
    std::fs::write(alice.dir.join("TODO.md"), "- ship\n").unwrap();
    git_out(&alice.dir, &["add", "README.md", "TODO.md"]);
    git_out(&alice.dir, &["commit", "-q", "-m", "project"]);
    git_out(&alice.dir, &["push", "-q", "-u", "origin", "main"]);
    alice.baton(&["init"]);
    let first = alice.sync();
    assert!(first.contains("git: pushed to origin/main"), "{first}");
    assert!(first.contains("machine's name"), "{first}");
    git_out(root.path(), &["clone", "-q", "remote.git", "bob"]);
    let bob = Clone {
        dir: root.path().join("bob"),
        machine: "bob",
    };
    let out = bob.sync();
    assert!(out.contains("nothing new to commit"), "{out}");
    Team {
        _root: root,
        alice,
        bob,
    }
}

/// Both clones hold all four sessions, decisions, next steps and handoffs, and count them.
fn assert_complete(c: &Clone) {
    let who = c.machine;
    let archives = c.names("SESSION_LOGS");
    assert_eq!(
        archives,
        [
            "2025-11-15-001-alice.json",
            "2025-11-15-001-bob.json",
            "2025-11-15-002-alice.json",
            "2025-11-15-002-bob.json"
        ],
        "{who}"
    );
    let handoffs = c.names("SESSION_HANDOFFS");
    assert_eq!(
        handoffs,
        [
            "2025-11-15_session_1_alice.md",
            "2025-11-15_session_1_bob.md",
            "2025-11-15_session_2_alice.md",
            "2025-11-15_session_2_bob.md"
        ],
        "{who}"
    );
    let log = std::fs::read_to_string(c.sessions().join("DECISIONS_LOG.json")).unwrap();
    for d in ["alice 1", "alice 2", "bob 1", "bob 2"] {
        assert_eq!(
            log.matches(&format!("\"Decision {d}\"")).count(),
            1,
            "{who}: DECISIONS_LOG.json\n{log}"
        );
    }
    assert!(!log.contains("<<<<<<<"), "{log}");
    let k = c.knowledge();
    assert_eq!(k["total_sessions"], 4, "{who}: {k:#}");
    assert_eq!(k["total_hours"], 4, "{who}: {k:#}");
    let decisions: Vec<(String, String)> = k["core_decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(decisions.len(), 4, "{who}: {decisions:?}");
    let mut ids: Vec<&String> = decisions.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "decision ids stay unique: {decisions:?}");
    let tasks: Vec<&str> = k["pending_work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["task"].as_str().unwrap())
        .collect();
    for t in ["alice 1", "alice 2", "bob 1", "bob 2"] {
        assert!(
            tasks.contains(&format!("Next step {t}").as_str()),
            "{who}: {tasks:?}"
        );
    }
    assert_eq!(k["last_updated"], "2025-11-15T14:00:00Z", "{who}");
    let messages = git_out(&c.dir, &["log", "--format=%s"]);
    assert!(
        messages.contains("baton: sync 2 sessions, 2 decisions from alice"),
        "{messages}"
    );
    assert!(
        messages.contains("baton: sync 2 sessions, 2 decisions from bob"),
        "{messages}"
    );
    let v = c.baton_at("2025-11-15T18:00:00Z", &["validate"]);
    assert!(
        v.status.success(),
        "{who}: validate\n{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

fn two_sessions_each_then_sync(first: &Clone, second: &Clone) {
    let t = team_sessions_hours(first.machine);
    first.session(1, t[0]);
    first.session(2, t[1]);
    let t = team_sessions_hours(second.machine);
    second.session(1, t[0]);
    second.session(2, t[1]);
    let out = first.sync();
    assert!(out.contains("git: pushed to origin/main"), "{out}");
    let out = second.sync();
    assert!(out.contains("git: pulled 1 commit"), "{out}");
    assert!(out.contains("merged field by field"), "{out}");
    assert!(out.contains("git: pushed"), "{out}");
    let out = first.sync();
    assert!(out.contains("git: pulled 1 commit"), "{out}");
    assert!(!out.contains("pushed"), "nothing left to push: {out}");
}

/// alice works 10–11 and 12–13, bob 11–12 and 13–14.
fn team_sessions_hours(machine: &str) -> [u32; 2] {
    if machine == "alice" {
        [10, 12]
    } else {
        [11, 13]
    }
}

#[test]
fn alice_then_bob_both_end_up_with_everything() {
    let t = team();
    two_sessions_each_then_sync(&t.alice, &t.bob);
    assert_complete(&t.alice);
    assert_complete(&t.bob);
    assert_eq!(t.alice.head(), t.bob.head());
    assert_eq!(t.alice.status(), "");
    assert_eq!(t.bob.status(), "");
}

#[test]
fn bob_then_alice_both_end_up_with_everything() {
    let t = team();
    two_sessions_each_then_sync(&t.bob, &t.alice);
    assert_complete(&t.alice);
    assert_complete(&t.bob);
    assert_eq!(t.alice.head(), t.bob.head());
}

#[test]
fn running_sessions_and_private_state_stay_on_their_machine() {
    let t = team();
    t.alice.session(1, 10);
    let running = t.alice.baton(&["start", "--goal", "still going", "-q"]);
    let running = running.trim();
    t.alice.baton(&["context", "--no-health"]); // leaves the decision cache
    assert!(
        t.alice
            .dir
            .join(SESSIONS)
            .join(".baton/decisions.cache")
            .is_file()
    );
    t.alice.sync();
    t.bob.sync();
    assert_eq!(t.bob.names("SESSION_LOGS"), ["2025-11-15-001-alice.json"]);
    assert!(
        t.bob.names("ACTIVE_SESSIONS").is_empty(),
        "{running} stays with alice"
    );
    assert_eq!(
        t.alice.names("ACTIVE_SESSIONS"),
        [format!("{running}.jsonl")]
    );
    let tracked = git_out(&t.bob.dir, &["ls-files", SESSIONS]);
    assert!(
        tracked.contains("docs/sessions/.baton/config.json"),
        "{tracked}"
    );
    assert!(
        tracked.contains("docs/sessions/.gitattributes"),
        "{tracked}"
    );
    assert!(!tracked.contains(".baton/sync.json"), "{tracked}");
    // Not committed by `sync --git`, and ignored for a plain `git add -A` too.
    assert!(!tracked.contains("decisions.cache"), "{tracked}");
    let cache = format!("{SESSIONS}/.baton/decisions.cache");
    let ignored = git_out(&t.alice.dir, &["check-ignore", &cache]);
    assert_eq!(ignored.trim(), cache);
    assert!(!tracked.contains(".baton/lock"), "{tracked}");
    assert!(!tracked.contains("unmerged"), "{tracked}");
    // The running session is alice's: bob's `log` does not find it.
    let out = t
        .bob
        .baton_at("2025-11-15T18:00:00Z", &["log", "decision", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hand_edits_to_fields_baton_does_not_own_survive_on_both_sides() {
    let t = team();
    // Alice adds a field of her own by hand and ends a session; bob edits another by hand
    // and ends one too: both sides changed the knowledge base.
    let path = t.alice.sessions().join("UNIFIED_KNOWLEDGE.json");
    let mut k = t.alice.knowledge();
    k["revenue_streams"] = serde_json::json!({"consulting": "live"});
    std::fs::write(&path, serde_json::to_string_pretty(&k).unwrap()).unwrap();
    t.alice.session(1, 10);
    let path = t.bob.sessions().join("UNIFIED_KNOWLEDGE.json");
    let mut k = t.bob.knowledge();
    k["team_notes"] = serde_json::json!("Fridays: no deploys");
    std::fs::write(&path, serde_json::to_string_pretty(&k).unwrap()).unwrap();
    t.bob.session(1, 11);

    t.alice.sync();
    t.bob.sync();
    t.alice.sync();
    for c in [&t.alice, &t.bob] {
        let k = c.knowledge();
        assert_eq!(
            k["revenue_streams"]["consulting"], "live",
            "{}: {k:#}",
            c.machine
        );
        assert_eq!(k["team_notes"], "Fridays: no deploys", "{}", c.machine);
        assert_eq!(k["total_sessions"], 2, "{}", c.machine);
        assert_eq!(k["core_decisions"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn a_conflict_baton_cannot_resolve_stops_and_leaves_everything_as_it_was() {
    let t = team();
    let notes = "SESSION_HANDOFFS/2025-11-15_notes.md";
    std::fs::write(
        t.alice.sessions().join(notes),
        "# Notes\n\n## Next Session\n- check the backups\n",
    )
    .unwrap();
    t.alice.sync();
    t.bob.sync();
    // Both edit the same line of the hand-written handoff.
    std::fs::write(
        t.alice.sessions().join(notes),
        "# Notes\n\n## Next Session\n- check the backups (alice: done)\n",
    )
    .unwrap();
    t.alice.sync();
    std::fs::write(
        t.bob.sessions().join(notes),
        "# Notes\n\n## Next Session\n- check the backups (bob: failing)\n",
    )
    .unwrap();
    t.bob.session(1, 11);
    // Bob's own work in progress: one change staged, one not.
    std::fs::write(t.bob.dir.join("README.md"), "# project (bob)\n").unwrap();
    git_out(&t.bob.dir, &["add", "README.md"]);
    std::fs::write(t.bob.dir.join("TODO.md"), "- ship\n- test\n").unwrap();
    let (head, status, tree) = (t.bob.head(), t.bob.status(), t.bob.tree());
    assert!(
        status.contains("M  README.md") && status.contains(" M TODO.md"),
        "{status}"
    );

    let out = t.bob.baton_at("2025-11-15T18:00:00Z", &["sync", "--git"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot merge with origin/main"), "{err}");
    assert!(err.contains(&format!("docs/sessions/{notes}")), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");

    assert_eq!(t.bob.head(), head, "baton's commit was undone");
    assert_eq!(t.bob.status(), status, "the index is as it was");
    assert_eq!(t.bob.tree(), tree, "the working tree is as it was");
    let rebase = git_out(&t.bob.dir, &["rev-parse", "--git-path", "rebase-merge"]);
    assert!(
        !t.bob.dir.join(rebase.trim()).exists(),
        "no rebase left behind"
    );
    // validate says the git sync failed.
    let v = t.bob.baton_at("2025-11-15T18:00:00Z", &["validate"]);
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("the last git sync failed"),
        "{v:?}"
    );
}

#[test]
fn without_a_remote_it_commits_and_says_so_and_outside_a_repository_it_refuses() {
    let root = tempfile::tempdir().unwrap();
    let c = Clone {
        dir: root.path().join("solo"),
        machine: "alice",
    };
    std::fs::create_dir_all(&c.dir).unwrap();
    c.baton(&["init"]);
    let out = c.baton_at("2025-11-15T18:00:00Z", &["sync", "--git"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"),
        "{out:?}"
    );
    git_out(&c.dir, &["init", "-q", "-b", "main"]);
    c.session(1, 10);
    let out = c.sync();
    assert!(out.contains("no remote configured"), "{out}");
    assert!(
        out.contains("baton: sync 1 session, 1 decision from alice"),
        "{out}"
    );
    let again = c.sync();
    assert!(again.contains("nothing new to commit"), "{again}");
}

#[test]
fn your_own_work_in_progress_is_left_as_it_was_and_never_committed() {
    let t = team();
    t.alice.session(1, 10);
    t.alice.sync();
    t.bob.session(1, 11);
    std::fs::write(t.bob.dir.join("README.md"), "# project (bob)\n").unwrap();
    git_out(&t.bob.dir, &["add", "README.md"]);
    std::fs::write(t.bob.dir.join("TODO.md"), "- ship\n- test\n").unwrap();

    let out = t.bob.sync();
    assert!(out.contains("git: pulled 1 commit"), "{out}");
    assert!(out.contains("git: pushed to origin/main"), "{out}");
    assert_eq!(
        t.bob.status(),
        "M  README.md\n M TODO.md\n",
        "staged stays staged, unstaged stays unstaged"
    );
    let files = git_out(&t.bob.dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        files.lines().all(|f| f.starts_with("docs/sessions/")),
        "baton's commit holds only the sessions directory: {files}"
    );
    t.alice.sync();
    assert_eq!(
        std::fs::read_to_string(t.alice.dir.join("README.md")).unwrap(),
        "# project\n"
    );
    assert_eq!(t.alice.names("SESSION_LOGS").len(), 2);
}

#[test]
fn a_knowledge_field_edited_differently_on_both_sides_stops_too() {
    let t = team();
    for (c, value, h) in [(&t.alice, "live", 10), (&t.bob, "paused", 11)] {
        let path = c.sessions().join("UNIFIED_KNOWLEDGE.json");
        let mut k = c.knowledge();
        k["revenue_streams"] = serde_json::json!({ "consulting": value });
        std::fs::write(&path, serde_json::to_string_pretty(&k).unwrap()).unwrap();
        c.session(1, h);
    }
    t.alice.sync();
    let (head, status, tree) = (t.bob.head(), t.bob.status(), t.bob.tree());
    let out = t.bob.baton_at("2025-11-15T18:00:00Z", &["sync", "--git"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"revenue_streams\" changed differently on both sides"),
        "{err}"
    );
    assert!(
        err.contains("docs/sessions/UNIFIED_KNOWLEDGE.json"),
        "{err}"
    );
    assert_eq!(
        (t.bob.head(), t.bob.status(), t.bob.tree()),
        (head, status, tree)
    );
}
