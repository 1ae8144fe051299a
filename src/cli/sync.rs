//! `baton sync [--memory [URL]] [--flavour seed|mem0] [--resend ID] [--git]`.
//!
//! `--memory` delivers every item of the outbox now (backoff ignored) to the memory server:
//! URL, else `$BATON_MEMORY_URL`, else `sync.memory_url` of `.baton/config.json`.
//! `--git` commits the sessions directory, pulls with rebase and pushes (`store::gitsync`).
//! With neither, the configured memory server. One line per thing done on stdout.
//!
//! Exit status: 0 when everything was delivered and synced; 1 when items are still waiting
//! or git/the network failed; 2 when refused (no memory server, not a git repository, a
//! conflict baton cannot resolve: then nothing was changed).

use std::time::Duration;

use clap::Args;

use crate::domain::outbox::Flavour;
use crate::store::gitsync::{self, GitSyncError};
use crate::store::outbox;
use crate::sync::memory::{self, FlushOptions};

use super::{CliResult, Env, Failure, print};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Deliver the outbox to a memory server now: URL, else $BATON_MEMORY_URL, else
    /// sync.memory_url in .baton/config.json ($BATON_MEMORY_KEY is sent as X-API-Key)
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub memory: Option<String>,
    /// The memory server's API: seed (POST /memory/store-session) or mem0 (POST /memories);
    /// default: $BATON_MEMORY_FLAVOUR, else sync.flavour, else seed
    #[arg(long, value_name = "seed|mem0", value_parser = parse_flavour)]
    pub flavour: Option<Flavour>,
    /// Queue an ended session for the memory server again (or for the first time, when it
    /// ended before a server was configured)
    #[arg(long, value_name = "SESSION")]
    pub resend: Vec<String>,
    /// Team sync: commit the sessions directory, pull with rebase, push
    #[arg(long)]
    pub git: bool,
}

fn parse_flavour(s: &str) -> Result<Flavour, String> {
    Flavour::parse(s).ok_or_else(|| format!("unknown flavour {s:?}; use seed or mem0"))
}

/// How long `baton sync` keeps delivering before it leaves the rest for later.
const SYNC_BUDGET: Duration = Duration::from_secs(120);

pub fn run(env: &Env, args: &SyncArgs) -> CliResult {
    let layout = &env.store.layout;
    let memory_asked = args.memory.is_some() || !args.resend.is_empty() || args.flavour.is_some();
    let configured = outbox::configured(layout);
    if !args.git && !memory_asked && !configured {
        return Err(Failure::usage(
            "nothing to sync: `baton sync --memory URL` (or set $BATON_MEMORY_URL, or \
             sync.memory_url in .baton/config.json) delivers to a memory server; `baton sync \
             --git` shares the directory through git",
        ));
    }
    let mut out = String::new();
    let mut failure: Option<Failure> = None;
    if (memory_asked || (!args.git && configured))
        && let Err(f) = sync_memory(env, args, &mut out)
    {
        failure = Some(f);
    }
    if args.git {
        match gitsync::sync(&env.store, env.now) {
            Ok(report) => {
                match &report.committed {
                    Some((hash, message)) => {
                        out.push_str(&format!("git: committed {hash} \"{message}\"\n"))
                    }
                    None => out.push_str("git: nothing new to commit\n"),
                }
                if report.pulled > 0 {
                    out.push_str(&format!(
                        "git: pulled {} commit{}{}\n",
                        report.pulled,
                        if report.pulled == 1 { "" } else { "s" },
                        if report.knowledge_merged > 0 {
                            " (UNIFIED_KNOWLEDGE.json merged field by field)"
                        } else {
                            ""
                        }
                    ));
                }
                if let Some(to) = &report.pushed {
                    out.push_str(&format!("git: pushed to {to}\n"));
                }
                for note in &report.notes {
                    out.push_str(&format!("git: {note}\n"));
                }
            }
            Err(e) => {
                let f = match e {
                    GitSyncError::Refused(m) | GitSyncError::Conflict(m) => Failure {
                        code: 2,
                        message: m,
                    },
                    GitSyncError::Failed(m) => Failure {
                        code: 1,
                        message: m,
                    },
                    GitSyncError::Store(s) => Failure::from(s),
                };
                failure = Some(match failure {
                    Some(before) => Failure {
                        code: before.code.max(f.code),
                        message: format!("{}\nbaton: {}", before.message, f.message),
                    },
                    None => f,
                });
            }
        }
    }
    print(&out)?;
    failure.map_or(Ok(()), Err)
}

fn sync_memory(env: &Env, args: &SyncArgs, out: &mut String) -> CliResult {
    let layout = &env.store.layout;
    let target = outbox::target(layout, args.memory.as_deref(), args.flavour)
        .map_err(Failure::usage)?
        .ok_or_else(|| {
            Failure::usage(
                "no memory server: give one with `baton sync --memory URL`, $BATON_MEMORY_URL, \
                 or sync.memory_url in .baton/config.json",
            )
        })?;
    for id in &args.resend {
        match memory::enqueue_archived(&env.store, id, env.now) {
            Ok(true) => out.push_str(&format!("memory: queued session {id}\n")),
            Ok(false) => out.push_str(&format!("memory: session {id} is already waiting\n")),
            Err(e) => return Err(Failure::usage(e)),
        }
    }
    let opts = FlushOptions {
        force: true,
        budget: SYNC_BUDGET,
        wait_for_lock: true,
    };
    let report = memory::flush(&env.store, &target, opts, env.now);
    let sent = report.sent.len();
    if sent > 0 || report.waiting == 0 {
        out.push_str(&format!(
            "memory: delivered {sent} item{} to {} ({})\n",
            if sent == 1 { "" } else { "s" },
            target.url,
            target.flavour.as_str()
        ));
    }
    if report.busy {
        return Err(Failure {
            code: 1,
            message: "another baton process is delivering the outbox; try again in a moment".into(),
        });
    }
    if report.waiting == 0 {
        return Ok(());
    }
    Err(Failure {
        code: 1,
        message: format!(
            "memory: {}; nothing is lost: they stay in .baton/outbox/ and are retried by later \
             commands (`baton sync --memory` retries now)",
            report.summary()
        ),
    })
}

/// Automatic delivery after `start`, `context` and `end`: only what is due, within
/// `$BATON_SYNC_TIMEOUT_MS`; one line on stderr if an attempt failed, nothing otherwise.
pub fn retry_due(env: &Env) {
    if let Some(report) = memory::flush_due(&env.store, env.now)
        && (!report.failed.is_empty() || report.error.is_some())
    {
        eprintln!(
            "baton: {}; `baton sync --memory` retries now",
            report.summary()
        );
    }
}
