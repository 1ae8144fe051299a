//! The command line: parse → store/domain → print. Each command lives in its own module.

mod context;
mod demo;
mod end;
mod handoff;
mod health;
mod history;
mod hooks;
mod init;
mod log;
mod mcp;
mod merge;
mod pending;
mod search;
mod show;
mod start;
mod sync;
mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::domain::scrub::RedactionNote;
use crate::domain::time::parse_timestamp;
use crate::store::{Store, StoreError, discover};

#[derive(Debug, Parser)]
#[command(
    name = "baton",
    version,
    about = "Pass the baton between AI coding sessions",
    max_term_width = 100
)]
pub struct Cli {
    /// Sessions directory (default: $BATON_DIR, else the nearest docs/sessions upwards, else ./docs/sessions)
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Session to act on (default: $BATON_SESSION, else the only active one)
    #[arg(long, global = true, value_name = "ID")]
    pub session: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the sessions directory layout (idempotent; never overwrites)
    Init,
    /// Begin a session: prints its id, then the context pack
    Start(start::StartArgs),
    /// Print what a new session should load
    Context(context::ContextArgs),
    /// Log a decision, insight, achievement, blocker, next step or code into the session
    #[command(subcommand)]
    Log(log::LogCommand),
    /// End the session: archive, handoff, logs, knowledge base; prints the handoff's path
    End(end::EndArgs),
    /// Write (or print) a session's handoff
    Handoff(handoff::HandoffArgs),
    /// Edit pending work in the knowledge base: add, done, priority
    #[command(subcommand)]
    Pending(pending::PendingCommand),
    /// Finish merges left undone (after fixing a file that did not parse)
    Merge,
    /// Check every enabled service in SERVICES.json once; exit 1 if any is down
    Health(health::HealthArgs),
    /// Check every file: `PATH:LINE:COL: message`, secrets, stale sessions; exit 1 if any
    Validate(validate::ValidateArgs),
    /// Sessions, newest first: id, start and end, duration, goal, counts, handoff file.
    /// JSON: {"sessions": [{"id", "origin", "started", "ended", "duration_hours", "goal",
    /// "counts", "handoff_file"}]}. With --timeline: one dated timeline of everything
    /// (sessions, decisions, insights, handoffs, pending work, git commits), stale marks.
    History(history::HistoryArgs),
    /// A session as it stood (or every session of a day): the context as of its end, its
    /// handoff, the decisions and commits of its time window, stale marks.
    /// JSON: {"sessions": [{"session", "as_of", "handoff", "decisions", "insights",
    /// "blockers", "code", "commits", "files_modified", "next_steps", "finished"}]}
    Show(show::ShowArgs),
    /// Full-text search over handoffs, decisions, insights, session records and blockers:
    /// every word must match, "exact phrases", kind:K, since:/until:; ranked, grouped by kind.
    /// JSON: {"query", "total", "groups": [{"kind", "total", "hits": […]}]}
    Search(search::SearchArgs),
    /// Deliver ended sessions to a memory server (--memory), share the directory through
    /// git (--git: commit, pull with rebase, push)
    Sync(sync::SyncArgs),
    /// Copy the shipped demo history (or generate N sessions) into a fresh temporary
    /// directory and open the dashboard on it
    Demo(demo::DemoArgs),
    /// Wire baton into Claude Code: `hooks install claude` adds a SessionStart hook (the
    /// context, and a session when none is active) and a Stop hook (a reminder to log and
    /// hand off); `hooks uninstall claude` removes exactly those
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// Serve the session lifecycle over the Model Context Protocol (stdio): tools to get the
    /// context, start, log, and end with a handoff; the knowledge base, the last handoff and
    /// pending work as resources
    Mcp(mcp::McpArgs),
}

/// What a command failed with, and the exit code it maps to (DESIGN.md's contract).
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::Usage(_) | StoreError::Refused(_) => 2,
            StoreError::Fs(_) => 3,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<crate::store::fsio::FsError> for Failure {
    fn from(e: crate::store::fsio::FsError) -> Self {
        StoreError::Fs(e).into()
    }
}

pub type CliResult = Result<(), Failure>;

/// The sessions directory a command works on, and whether the user named it (`--dir` or
/// `$BATON_DIR`) rather than baton finding (or defaulting) it.
pub struct SessionsDir {
    pub path: PathBuf,
    pub named: bool,
}

pub fn sessions_dir(cli: &Cli) -> Result<SessionsDir, Failure> {
    let cwd = std::env::current_dir().map_err(|e| Failure {
        code: 3,
        message: format!("current directory: {e}"),
    })?;
    let env_dir = std::env::var("BATON_DIR")
        .ok()
        .filter(|d| !d.trim().is_empty());
    let named = cli.dir.is_some() || env_dir.is_some();
    let path = discover::resolve_dir(cli.dir.as_deref(), env_dir.as_deref(), &cwd);
    Ok(SessionsDir { path, named })
}

/// Everything a command needs from its environment, resolved once.
pub struct Env {
    pub store: Store,
    pub session: Option<String>,
    pub now: DateTime<Utc>,
}

impl Env {
    fn resolve(cli: &Cli) -> Result<Env, Failure> {
        let root = sessions_dir(cli)?.path;
        let session = cli.session.clone().or_else(|| {
            std::env::var("BATON_SESSION")
                .ok()
                .filter(|s| !s.is_empty())
        });
        Ok(Env {
            store: Store::open(root)?,
            session,
            now: now()?,
        })
    }
}

/// The current time; `BATON_NOW` (RFC 3339) pins it, for tests and generated histories.
pub fn now() -> Result<DateTime<Utc>, Failure> {
    match std::env::var("BATON_NOW") {
        Ok(v) if !v.trim().is_empty() => parse_timestamp(&v)
            .ok_or_else(|| Failure::usage(format!("BATON_NOW={v:?} is not an RFC 3339 time"))),
        _ => Ok(Utc::now()),
    }
}

/// Redaction notes go to stderr: the user must know, and stdout stays scriptable.
pub fn report_redactions(notes: &[RedactionNote]) {
    let mut err = std::io::stderr().lock();
    for n in notes {
        let _ = writeln!(err, "baton: {n}");
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        None => dashboard(&cli),
        Some(Command::Validate(args)) => validate::run(&cli, args),
        // The demo makes its own directory: nothing here depends on the current one.
        Some(Command::Demo(args)) => demo::run(args),
        Some(Command::Hooks(cmd)) => hooks::run(&cli, cmd),
        Some(Command::Mcp(args)) => mcp::run(&cli, args),
        Some(command) => Env::resolve(&cli).and_then(|env| dispatch(command, &env)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("baton: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(command: &Command, env: &Env) -> CliResult {
    match command {
        Command::Init => init::run(env),
        Command::Start(args) => start::run(env, args),
        Command::Context(args) => context::run(env, args),
        Command::Log(cmd) => log::run(env, cmd),
        Command::End(args) => end::run(env, args),
        Command::Handoff(args) => handoff::run(env, args),
        Command::Merge => merge::run(env),
        Command::Health(args) => health::run(env, args),
        Command::Pending(cmd) => pending::run(env, cmd),
        Command::Validate(args) => validate::check(&env.store.layout, args),
        Command::History(args) => history::run(env, args),
        Command::Show(args) => show::run(env, args),
        Command::Search(args) => search::run(env, args),
        Command::Sync(args) => sync::run(env, args),
        Command::Demo(_) => unreachable!("handled before the directory is resolved"),
        Command::Hooks(_) | Command::Mcp(_) => unreachable!("handled in `run`"),
    }
}

/// Writes to stdout; a closed pipe (`baton context | head`) is not an error.
pub fn print(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure {
            code: 3,
            message: format!("stdout: {e}"),
        }),
    }
}

/// `baton` alone: the dashboard on the sessions directory, or, when none was named and none
/// exists around here yet, on a copy of the shipped demo (saying so, and how to start).
fn dashboard(cli: &Cli) -> CliResult {
    let SessionsDir { path: root, named } = sessions_dir(cli)?;
    if !named && !root.is_dir() {
        eprintln!(
            "baton: no sessions directory here ({} does not exist); showing the demo. `baton init` creates yours.",
            root.display()
        );
        return demo::run(&demo::DemoArgs {
            sessions: None,
            seed_layout: false,
        });
    }
    open_dashboard(&root)
}

/// Opens the dashboard on `dir` (the default command, and `baton demo`).
pub fn open_dashboard(dir: &std::path::Path) -> CliResult {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(format!(
            "the dashboard needs a terminal; for text, try `baton --dir {} context`",
            dir.display()
        )));
    }
    let store = Store::open(dir)?;
    crate::tui::run(dir, store).map_err(|e| Failure {
        code: 3,
        message: format!("dashboard: {e}"),
    })
}
