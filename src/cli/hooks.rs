//! `baton hooks …`: wiring baton into Claude Code's session lifecycle.
//!
//! `install`/`uninstall` merge baton's hooks into Claude Code's settings file (the merge
//! itself is `domain::hooks_settings`, pure). `session-start` and `remind` are what those
//! hooks run: Claude Code adds a SessionStart hook's stdout to the model's context, and a
//! Stop hook that prints `{"decision": "block", "reason": …}` makes the model read the reason
//! and carry on.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use crate::domain::hooks_settings::{
    Changes, HookKind, Settings, WantedHook, hook_command, install, parse_settings, render,
    uninstall,
};
use crate::domain::problem::Problem;
use crate::domain::session::SessionRecord;
use crate::domain::time::{format_timestamp, parse_timestamp, short_age};
use crate::store::discover;
use crate::store::fsio::{atomic_write, read_optional};
use crate::store::ops::StartRequest;
use crate::store::read::list_dir;

use super::context::{PackFormat, pack_text_with};
use super::{Cli, CliResult, Env, Failure, print, report_redactions};

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Add baton's hooks to Claude Code's settings: at SessionStart the context (and a session
    /// when none is active), at Stop a reminder to log and to end with a handoff
    Install(TargetArgs),
    /// Remove exactly the hooks `install` added (nothing else in the file changes)
    Uninstall(TargetArgs),
    /// What the SessionStart hook runs: starts a session when none is active, then prints
    /// how to log and the context pack (Claude Code adds it to the model's context)
    SessionStart(SessionStartArgs),
    /// What the Stop hook runs: once in a while, asks the agent to log what it has not
    /// logged yet and to end the session with a handoff when the work is done
    Remind(RemindArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Agent {
    /// Claude Code (`.claude/settings.json`)
    Claude,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Whose settings to change
    #[arg(value_enum)]
    pub agent: Agent,
    /// The project's `.claude/settings.json`: at the git top level, else here (the default;
    /// the file is usually committed, and the hooks name this machine's baton)
    #[arg(long, group = "scope")]
    pub project: bool,
    /// The project's `.claude/settings.local.json` (not committed)
    #[arg(long, group = "scope")]
    pub local: bool,
    /// `~/.claude/settings.json`, for every project (the hooks do nothing where there is no
    /// sessions directory)
    #[arg(long, group = "scope")]
    pub user: bool,
    /// Print the settings as they would be, and write nothing
    #[arg(long)]
    pub print: bool,
}

/// Claude Code keeps at most this many characters of a hook's output in the model's context
/// (more is replaced by a short preview), so the SessionStart output stays under it.
pub const HOOK_OUTPUT_LIMIT: usize = 9_500;

#[derive(Debug, Args)]
pub struct SessionStartArgs {
    /// Trim the context pack to about this many tokens (4 characters ≈ 1 token); the whole
    /// output is kept under Claude Code's 10,000-character limit for hook output either way
    #[arg(long, value_name = "TOKENS", default_value_t = 2000)]
    pub budget: usize,
}

#[derive(Debug, Args)]
pub struct RemindArgs {
    /// Remind at most once per this many minutes of a session (0: at every stop)
    #[arg(long, value_name = "MINUTES", default_value_t = 30)]
    pub every: u64,
}

pub fn run(cli: &Cli, cmd: &HooksCommand) -> CliResult {
    match cmd {
        HooksCommand::Install(args) => change_settings(cli, args, true),
        HooksCommand::Uninstall(args) => change_settings(cli, args, false),
        HooksCommand::SessionStart(args) => session_start(cli, args),
        HooksCommand::Remind(args) => remind(cli, args),
    }
}

fn cwd() -> Result<PathBuf, Failure> {
    std::env::current_dir().map_err(|e| Failure {
        code: 3,
        message: format!("current directory: {e}"),
    })
}

/// Where the settings file is for the chosen scope.
fn settings_path(args: &TargetArgs) -> Result<PathBuf, Failure> {
    let Agent::Claude = args.agent;
    if args.user {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                Failure::usage("--user: HOME is not set, so there is no ~/.claude/settings.json")
            })?;
        return Ok(PathBuf::from(home).join(".claude").join("settings.json"));
    }
    let cwd = cwd()?;
    let root = git_toplevel(&cwd).unwrap_or(cwd);
    let name = if args.local {
        "settings.local.json"
    } else {
        "settings.json"
    };
    Ok(root.join(".claude").join(name))
}

fn git_toplevel(cwd: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(cwd)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let top = String::from_utf8(out.stdout).ok()?;
    let top = top.trim();
    (out.status.success() && !top.is_empty()).then(|| PathBuf::from(top))
}

/// The hooks to install: this very binary, and `--dir` when one was given.
fn wanted(cli: &Cli) -> Result<Vec<WantedHook>, Failure> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| Failure {
            code: 3,
            message: format!("cannot tell where this baton binary is: {e}"),
        })?;
    let dir = match &cli.dir {
        Some(d) => {
            let abs = discover::resolve_dir(Some(d), None, &cwd()?);
            Some(std::fs::canonicalize(&abs).unwrap_or(abs))
        }
        None => None,
    };
    let exe = exe.to_string_lossy().into_owned();
    let dir = dir.map(|d| d.to_string_lossy().into_owned());
    Ok(HookKind::ALL
        .into_iter()
        .map(|kind| WantedHook {
            kind,
            command: hook_command(&exe, kind, dir.as_deref()),
        })
        .collect())
}

/// Reads and parses the settings file; refuses (exit 2, file untouched) what is not JSON.
fn read_settings(path: &Path) -> Result<(Option<String>, Settings), Failure> {
    let shown = path.display().to_string();
    let text = match read_optional(path)? {
        None => None,
        Some(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Failure::usage(
                Problem::error(
                    &shown,
                    1,
                    1,
                    "not valid UTF-8; fix it or merge by hand; nothing was changed",
                )
                .to_string(),
            )
        })?),
    };
    let settings =
        parse_settings(&shown, text.as_deref()).map_err(|p| Failure::usage(p.to_string()))?;
    Ok((text, settings))
}

fn change_settings(cli: &Cli, args: &TargetArgs, add: bool) -> CliResult {
    let mut path = settings_path(args)?;
    // A settings file kept as a symlink (dotfiles) is changed where it really is.
    if let Ok(real) = std::fs::canonicalize(&path) {
        path = real;
    }
    let wanted = if add { wanted(cli)? } else { Vec::new() };
    // Claude Code may write the same file; if it changed while we merged, merge again.
    for _ in 0..3 {
        let (before, mut settings) = read_settings(&path)?;
        let changes = if add {
            install(&mut settings, &wanted)
        } else {
            uninstall(&mut settings)
        };
        let after = render(&settings);
        let summary = describe(&changes, add, &path);
        if args.print {
            eprintln!("baton: {summary} (--print: nothing was written)");
            return print(&after);
        }
        if !changes.any() {
            return print(&format!("{summary}\n"));
        }
        let (again, _) = read_settings(&path)?;
        if again != before {
            continue;
        }
        atomic_write(&path, after.as_bytes())?;
        return print(&format!("{summary}\n"));
    }
    Err(Failure {
        code: 3,
        message: format!(
            "{} kept changing while baton merged into it; nothing was changed, try again",
            path.display()
        ),
    })
}

fn describe(c: &Changes, add: bool, path: &Path) -> String {
    let path = path.display();
    let hooks = |n: usize| if n == 1 { "hook" } else { "hooks" };
    if !c.any() {
        return if add {
            format!("baton's hooks are already in {path}; nothing changed")
        } else {
            format!("no baton hooks in {path}; nothing changed")
        };
    }
    let mut parts = Vec::new();
    if c.added > 0 {
        parts.push(format!("added {} {}", c.added, hooks(c.added)));
    }
    if c.updated > 0 {
        parts.push(format!("updated {} {}", c.updated, hooks(c.updated)));
    }
    if c.removed > 0 {
        parts.push(format!("removed {} {}", c.removed, hooks(c.removed)));
    }
    let what = if add {
        " (SessionStart: `baton hooks session-start`; Stop: `baton hooks remind`)"
    } else {
        ""
    };
    format!("{} in {path}{what}", parts.join(", "))
}

/// The directory the hooks act on, and whether the user named it (`--dir`, `$BATON_DIR`).
fn hook_dir(cli: &Cli) -> Result<(PathBuf, bool), Failure> {
    let env_dir = std::env::var("BATON_DIR")
        .ok()
        .filter(|d| !d.trim().is_empty());
    let named = cli.dir.is_some() || env_dir.is_some();
    Ok((
        discover::resolve_dir(cli.dir.as_deref(), env_dir.as_deref(), &cwd()?),
        named,
    ))
}

fn session_start(cli: &Cli, args: &SessionStartArgs) -> CliResult {
    let (root, named) = hook_dir(cli)?;
    if !root.is_dir() {
        // Installed for every project (`--user`): say nothing where baton is not used.
        if named {
            return print(&format!(
                "baton: there is no sessions directory at {}; `baton init` creates it.\n",
                root.display()
            ));
        }
        return Ok(());
    }
    let env = Env::resolve(cli)?;
    let mut problems = Vec::new();
    let active = env.store.active_sessions(&mut problems)?;
    let mut head = String::from("# baton: this project keeps a log of its AI sessions\n\n");
    match env.session.as_deref() {
        Some(id) => match env.store.select_session(Some(id)) {
            Ok(s) => head.push_str(&format!(
                "You are continuing baton session {id} ({}).\n",
                goal_of(&s.record)
            )),
            // A session named (BATON_SESSION) but not begun yet is begun under that name.
            Err(_) if !env.store.layout.archived(id).exists() => {
                let req = StartRequest {
                    id: Some(id.to_string()),
                    ..StartRequest::default()
                };
                let (id, notes) = env.store.start(req, env.now)?;
                report_redactions(&notes);
                head.push_str(&format!(
                    "baton session {id} was started for this conversation.\n"
                ));
            }
            Err(e) => return Err(e.into()),
        },
        None if active.is_empty() => {
            let (id, notes) = env.store.start(StartRequest::default(), env.now)?;
            report_redactions(&notes);
            head.push_str(&format!(
                "baton session {id} was started for this conversation.\n"
            ));
        }
        None if active.len() == 1 => {
            let r = &active[0].record;
            head.push_str(&format!(
                "baton session {} ({}) is active; you are continuing it.\n",
                r.session_id,
                goal_of(r)
            ));
        }
        None => {
            let ids: Vec<String> = active
                .iter()
                .map(|s| format!("{} ({})", s.record.session_id, goal_of(&s.record)))
                .collect();
            head.push_str(&format!(
                "Several baton sessions are active: {}. Add `--session ID` to every baton \
                 command below (or set BATON_SESSION=ID) with the one this conversation \
                 continues.\n",
                ids.join(", ")
            ));
        }
    }
    head.push_str(
        "As you work, log what the next session must know (from the shell, or with the baton \
         MCP tools if they are connected):\n\
         - `baton log decision \"…\" --why \"…\" --impact \"…\"`: every decision, with its reason\n\
         - `baton log insight \"…\"`, `baton log blocker \"…\" --solution \"…\"`, \
         `baton log achievement \"…\"`, `baton log code PATH --note \"…\"`\n\
         - `baton log next \"…\" --priority high|medium|low`: work left for later\n\
         When the work is done, end the session with a handoff for the next one: \
         `baton end --summary \"…\" --notes \"…\"`.\n\n",
    );
    let pack = pack_text_with(&env, PackFormat::Markdown, Some(args.budget), false)?;
    print(&fit_hook_output(&head, &pack))
}

fn goal_of(r: &SessionRecord) -> &str {
    if r.primary_goal.trim().is_empty() {
        "no goal set"
    } else {
        &r.primary_goal
    }
}

/// `head` then as much of `pack` as keeps the whole under [`HOOK_OUTPUT_LIMIT`] characters,
/// cut at a line end and saying so.
fn fit_hook_output(head: &str, pack: &str) -> String {
    let note =
        "\n… (cut to fit Claude Code's limit on hook output; `baton context` prints all of it)\n";
    let total = head.chars().count() + pack.chars().count();
    if total <= HOOK_OUTPUT_LIMIT {
        return format!("{head}{pack}");
    }
    let room = HOOK_OUTPUT_LIMIT.saturating_sub(head.chars().count() + note.chars().count());
    let cut: String = pack.chars().take(room).collect();
    let cut = match cut.rfind('\n') {
        Some(i) => &cut[..=i],
        None => "",
    };
    format!("{head}{cut}{note}")
}

/// The JSON Claude Code passes a hook on stdin, if any arrives promptly.
fn hook_input() -> Option<Value> {
    if std::io::stdin().is_terminal() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::stdin().take(1 << 20).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    let bytes = rx.recv_timeout(Duration::from_secs(2)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn remind(cli: &Cli, args: &RemindArgs) -> CliResult {
    // Claude Code sets this when the agent is already carrying on because of a Stop hook.
    if hook_input().is_some_and(|v| v["stop_hook_active"] == Value::Bool(true)) {
        return Ok(());
    }
    let (root, _) = hook_dir(cli)?;
    if !root.is_dir() {
        return Ok(());
    }
    let env = Env::resolve(cli)?;
    let state_dir = env.store.layout.private_dir().join("remind");
    forget_ended(&env, &state_dir);
    // No session, or several and none named: nothing this hook can name.
    let Ok(session) = env.store.select_session(env.session.as_deref()) else {
        return Ok(());
    };
    let record = &session.record;
    let state = state_dir.join(&record.session_id);
    let last =
        read_optional(&state)?.and_then(|b| parse_timestamp(String::from_utf8_lossy(&b).trim()));
    let since: Option<DateTime<Utc>> = match (record.started(), last) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let every = chrono::Duration::minutes(i64::try_from(args.every).unwrap_or(i64::MAX / 60_000));
    if since.is_some_and(|s| env.now - s < every) {
        return Ok(());
    }
    atomic_write(
        &state,
        format!("{}\n", format_timestamp(env.now)).as_bytes(),
    )?;
    let age = record
        .started()
        .map(|s| short_age((env.now - s).num_seconds()))
        .unwrap_or_else(|| "a while".into());
    let c = record.counts();
    let logged: Vec<String> = [
        (c.decisions, "decision"),
        (c.insights, "insight"),
        (c.achievements, "achievement"),
        (c.blockers, "blocker"),
        (c.next_steps, "next step"),
        (c.code, "code entry"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| match (n, what) {
        (1, _) => format!("1 {what}"),
        (_, "code entry") => format!("{n} code entries"),
        _ => format!("{n} {what}s"),
    })
    .collect();
    let logged = if logged.is_empty() {
        "nothing logged yet".to_string()
    } else {
        format!("logged so far: {}", logged.join(", "))
    };
    let reason = format!(
        "baton: session {} has run {age} ({logged}). Before you stop, log what this stretch \
         decided, learned or left to do that is not logged yet (`baton log decision \"…\" \
         --why \"…\"`, `baton log insight \"…\"`, `baton log next \"…\" --priority high`, …). \
         If the work is finished, end the session with a handoff: `baton end --summary \"…\" \
         --notes \"…\"`. If everything is logged already, just stop.",
        record.session_id,
    );
    let out = serde_json::json!({"decision": "block", "reason": reason});
    print(&format!("{out}\n"))
}

/// Reminder times of sessions that have ended are dropped (best effort).
fn forget_ended(env: &Env, dir: &Path) {
    let Ok(entries) = list_dir(dir) else {
        return;
    };
    for e in entries {
        if env.store.layout.archived(&e.name).exists() {
            let _ = std::fs::remove_file(&e.path);
        }
    }
}
