use clap::Subcommand;

use crate::domain::events::EventKind;
use crate::domain::items::{Blocker, Decision, PendingItem, Priority};

use super::{CliResult, Env, Failure, report_redactions};

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// A decision, with why and what it changes
    Decision {
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        why: Option<String>,
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        impact: Option<String>,
    },
    /// Something learned
    Insight {
        #[arg(allow_hyphen_values = true)]
        text: String,
        /// Also a best practice (merged into the knowledge base's best_practices)
        #[arg(long)]
        practice: bool,
    },
    /// Something done (a pending item with the same text leaves the pending list)
    Achievement {
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
    /// Something that got in the way
    Blocker {
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        solution: Option<String>,
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        lesson: Option<String>,
    },
    /// A next step, which becomes pending work
    Next {
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[arg(long, value_name = "high|medium|low", value_parser = parse_priority, default_value = "medium")]
        priority: Priority,
    },
    /// Code created or changed
    Code {
        #[arg(allow_hyphen_values = true)]
        path: String,
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        note: Option<String>,
    },
    /// A pending item finished (it leaves pending work when the session ends)
    Done {
        #[arg(allow_hyphen_values = true)]
        task: String,
    },
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| format!("unknown priority {s:?}; use high, medium or low"))
}

fn required(text: &str, what: &str) -> Result<String, Failure> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Failure::usage(format!("the {what} is empty")));
    }
    Ok(t.to_string())
}

fn optional(text: &Option<String>) -> Option<String> {
    text.as_ref()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

pub fn event_of(cmd: &LogCommand) -> Result<EventKind, Failure> {
    Ok(match cmd {
        LogCommand::Decision { text, why, impact } => {
            let mut d = Decision::new(required(text, "decision")?);
            d.reasoning = optional(why);
            d.impact = optional(impact);
            EventKind::Decision { decision: d }
        }
        LogCommand::Insight { text, practice } => EventKind::Insight {
            text: required(text, "insight")?,
            practice: *practice,
        },
        LogCommand::Achievement { text } => EventKind::Achievement {
            text: required(text, "achievement")?,
        },
        LogCommand::Blocker {
            text,
            solution,
            lesson,
        } => {
            let mut b = Blocker::new(required(text, "blocker")?);
            b.solution = optional(solution);
            b.lesson = optional(lesson);
            EventKind::Blocker { blocker: b }
        }
        LogCommand::Next { text, priority } => EventKind::Next {
            item: PendingItem::new(required(text, "next step")?, *priority),
        },
        LogCommand::Code { path, note } => EventKind::Code {
            path: required(path, "path")?,
            note: optional(note),
        },
        LogCommand::Done { task } => EventKind::Done {
            task: required(task, "task")?,
        },
    })
}

pub fn run(env: &Env, cmd: &LogCommand) -> CliResult {
    let kind = event_of(cmd)?;
    let session = env.store.select_session(env.session.as_deref())?;
    let notes = env.store.log(&session, kind, env.now)?;
    report_redactions(&notes);
    Ok(())
}
