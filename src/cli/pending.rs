//! `baton pending add|done|priority`: edit the knowledge base's pending work directly (the
//! dashboard's `n`, `x` and `p` do the same through the same store function).

use clap::Subcommand;

use crate::domain::items::Priority;
use crate::store::edit::PendingEdit;

use super::{CliResult, Env, report_redactions};

#[derive(Debug, Subcommand)]
pub enum PendingCommand {
    /// Add an item of pending work
    Add {
        #[arg(allow_hyphen_values = true)]
        task: String,
        #[arg(long, value_name = "high|medium|low", value_parser = parse_priority, default_value = "medium")]
        priority: Priority,
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        status: Option<String>,
    },
    /// Mark an item done: it leaves pending work
    Done {
        #[arg(allow_hyphen_values = true)]
        task: String,
    },
    /// Change an item's priority
    Priority {
        #[arg(allow_hyphen_values = true)]
        task: String,
        #[arg(value_name = "high|medium|low", value_parser = parse_priority)]
        priority: Priority,
    },
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| format!("unknown priority {s:?}; use high, medium or low"))
}

pub fn run(env: &Env, cmd: &PendingCommand) -> CliResult {
    let edit = match cmd {
        PendingCommand::Add {
            task,
            priority,
            status,
        } => PendingEdit::Add {
            task: task.clone(),
            priority: *priority,
            status: status.clone(),
        },
        PendingCommand::Done { task } => PendingEdit::Done { task: task.clone() },
        PendingCommand::Priority { task, priority } => PendingEdit::SetPriority {
            task: task.clone(),
            priority: *priority,
        },
    };
    let notes = env.store.edit_pending(edit, env.now)?;
    report_redactions(&notes);
    Ok(())
}
