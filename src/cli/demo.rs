//! `baton demo [--sessions N [--seed-layout]]`: a demo history in a fresh temporary
//! directory (left in place afterwards, so it can be explored with the other commands),
//! then the dashboard on it.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;

use crate::store::demo::install_demo;
use crate::store::generate::{generate_history, generate_seed_history};

use super::{CliResult, Failure, open_dashboard};

/// Generating more than this is surely a typo (10,000 is the benchmark size).
const MAX_SESSIONS: usize = 1_000_000;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Generate N sessions of a made-up project instead of the shipped demo history
    #[arg(long, value_name = "N", value_parser = parse_sessions)]
    pub sessions: Option<usize>,
    /// With --sessions: write the seed's hand-made layout (handoffs, knowledge base and
    /// echo-style logs; no SESSION_LOGS/)
    #[arg(long, requires = "sessions")]
    pub seed_layout: bool,
}

fn parse_sessions(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_SESSIONS).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of sessions from 1 to {MAX_SESSIONS}"
        )),
    }
}

pub fn run(args: &DemoArgs) -> CliResult {
    let dir = fresh_dir()?;
    let what = match args.sessions {
        None => {
            install_demo(&dir)?;
            format!("demo history copied to {}", dir.display())
        }
        Some(n) => {
            if args.seed_layout {
                generate_seed_history(&dir, n)?;
            } else {
                generate_history(&dir, n)?;
            }
            format!("generated {n} sessions in {}", dir.display())
        }
    };
    eprintln!("baton: {what}");
    open_dashboard(&dir)
}

/// `$TMPDIR/baton-demo-<pid>-<nanoseconds>`, created here (never an existing directory)
/// and never deleted by baton.
fn fresh_dir() -> Result<PathBuf, Failure> {
    let base = std::env::temp_dir();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let pid = std::process::id();
    let mut last_error = None;
    for attempt in 0..100u32 {
        let dir = base.join(format!("baton-demo-{pid}-{nanos}-{attempt}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(fs_failure(&dir, e)),
        }
    }
    Err(fs_failure(
        &base,
        last_error.unwrap_or_else(|| std::io::Error::other("no free name")),
    ))
}

fn fs_failure(path: &std::path::Path, e: std::io::Error) -> Failure {
    Failure {
        code: 3,
        message: format!("{}: {e}", path.display()),
    }
}
