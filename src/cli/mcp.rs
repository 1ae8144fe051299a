//! `baton mcp`: the MCP server (`crate::mcp`) with the command line's own functions behind
//! its tools, so that `log_decision` is `baton log decision`, `end_session` is `baton end`,
//! and an error is the message `baton` would print.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::{Value, json};

use crate::domain::context::PendingView;
use crate::domain::scrub::{RedactionNote, scrub_text, scrub_value};
use crate::mcp::{Backend, LogEntry, Op, ReadError, ResourceId};
use crate::store::ops::{EndRequest, StartRequest};
use crate::store::read::{handoffs, read_text};
use crate::store::snapshot::{context_pack, handoff_text};
use crate::store::{Store, discover};

use super::context::{PackFormat, pack_text, pack_text_with};
use super::log::{LogCommand, event_of};
use super::{Cli, CliResult, Env, Failure, now, report_redactions};

#[derive(Debug, Args)]
pub struct McpArgs {}

pub fn run(cli: &Cli, _args: &McpArgs) -> CliResult {
    let cwd = std::env::current_dir().map_err(|e| Failure {
        code: 3,
        message: format!("current directory: {e}"),
    })?;
    let env_dir = std::env::var("BATON_DIR").ok();
    let root = discover::resolve_dir(cli.dir.as_deref(), env_dir.as_deref(), &cwd);
    // Fail at once on a config that does not parse, rather than at every call.
    Store::open(&root)?;
    let session = cli.session.clone().or_else(|| {
        std::env::var("BATON_SESSION")
            .ok()
            .filter(|s| !s.is_empty())
    });
    crate::mcp::serve(Arc::new(CliBackend { root, session }))
        .map_err(|message| Failure { code: 3, message })
}

/// The directory and default session are fixed when the server starts; the store (and its
/// redaction config) and the clock are fresh for every call, as for every `baton` command.
struct CliBackend {
    root: PathBuf,
    session: Option<String>,
}

impl CliBackend {
    fn env(&self) -> Result<Env, Failure> {
        Ok(Env {
            store: Store::open(&self.root)?,
            session: self.session.clone(),
            now: now()?,
        })
    }

    fn run(&self, op: Op) -> Result<String, Failure> {
        let env = self.env()?;
        match op {
            Op::Context { budget, health } => {
                let text = pack_text_with(&env, PackFormat::Markdown, budget, health)?;
                super::sync::retry_due(&env);
                Ok(redacted(&env, &text, "context"))
            }
            Op::Start { goal, template, id } => {
                let req = StartRequest {
                    goal: goal.unwrap_or_default(),
                    template,
                    id,
                };
                let (id, notes) = env.store.start(req, env.now)?;
                report_redactions(&notes);
                let pack = pack_text(&env, PackFormat::Markdown, None).map_err(|f| Failure {
                    code: f.code,
                    message: format!("started {id}, but {}", f.message),
                })?;
                let pack = redacted(&env, &pack, "context");
                super::sync::retry_due(&env);
                Ok(format!("{id}\n{}\n{pack}", notes_text(&notes)))
            }
            Op::Log { session, entry } => {
                let (what, cmd) = log_command(entry);
                let kind = event_of(&cmd)?;
                let wanted = session.or_else(|| env.session.clone());
                let session = env.store.select_session(wanted.as_deref())?;
                let notes = env.store.log(&session, kind, env.now)?;
                report_redactions(&notes);
                Ok(format!(
                    "logged {what} into {}\n{}",
                    session.record.session_id,
                    notes_text(&notes)
                ))
            }
            Op::End {
                session,
                summary,
                notes,
            } => {
                let wanted = session.or_else(|| env.session.clone());
                let session = env.store.select_session(wanted.as_deref())?;
                let req = EndRequest {
                    summary,
                    notes,
                    from: None,
                    edited: None,
                };
                let outcome = env.store.end(Some(&session), req, env.now)?;
                report_redactions(&outcome.notes);
                // Queued for the memory server, as `baton end` does (a bounded attempt).
                super::sync::retry_due(&env);
                let path = outcome.handoff.display().to_string();
                if outcome.refused.is_empty() {
                    return Ok(format!(
                        "ended {}; handoff: {path}\n{}",
                        outcome.session_id,
                        notes_text(&outcome.notes)
                    ));
                }
                // What `baton end` prints, stdout then stderr.
                let problems: Vec<String> =
                    outcome.refused.iter().map(ToString::to_string).collect();
                Err(Failure::usage(format!(
                    "{}\nbaton: session {} is saved ({} and its handoff), but the files above were left untouched.\n\
                     baton: fix them, then run `baton merge` to finish.\n(handoff: {path})",
                    problems.join("\nbaton: "),
                    outcome.session_id,
                    env.store.layout.display(&outcome.archive)
                )))
            }
            Op::Search { query, limit } => {
                let query = crate::domain::search::Query::parse(&query).map_err(Failure::usage)?;
                let results =
                    crate::store::history::search(&env.store, &query, limit.unwrap_or(20))?;
                let mut out = format!("{} matches\n", results.total);
                for group in results.groups() {
                    out.push_str(&format!("\n{} ({})\n", group.kind.as_str(), group.total));
                    for hit in group.hits {
                        let date = hit.date.map(|d| d.to_text()).unwrap_or_default();
                        let session = hit
                            .session_id
                            .as_deref()
                            .map(|s| format!(" [{s}]"))
                            .unwrap_or_default();
                        out.push_str(&format!("- {date} {}{session}\n", hit.title));
                        let snippet = hit.snippet(160);
                        if !snippet.text.is_empty() && snippet.text != hit.title {
                            out.push_str(&format!("  {}\n", snippet.text));
                        }
                    }
                }
                Ok(out)
            }
            Op::Show { session } => {
                let views = crate::store::history::session_views(
                    &env.store,
                    &super::show::target(&session)?,
                )?;
                let parts: Vec<String> = views.iter().map(super::show::render).collect();
                Ok(parts.join("\n────────\n\n"))
            }
        }
    }

    fn read(&self, which: ResourceId) -> Result<String, ReadError> {
        let failed = |f: Failure| ReadError::Failed(format!("baton: {}", f.message));
        let env = self.env().map_err(failed)?;
        let store = &env.store;
        match which {
            ResourceId::Knowledge => {
                let path = store.layout.knowledge();
                let mut ignored = Vec::new();
                match read_text(&store.layout, &path, &mut ignored).map_err(|e| failed(e.into()))? {
                    Some(text) => Ok(redacted(&env, &text, "knowledge base")),
                    None => Err(ReadError::Missing(format!(
                        "baton: {} does not exist yet; `baton init` creates it",
                        path.display()
                    ))),
                }
            }
            ResourceId::LatestHandoff => {
                let list = handoffs(&store.layout).map_err(|e| failed(e.into()))?;
                let Some(latest) = list.first() else {
                    return Err(ReadError::Missing(format!(
                        "baton: no handoff yet in {}",
                        store.layout.handoffs().display()
                    )));
                };
                let text = handoff_text(store, &latest.file_name).map_err(|e| failed(e.into()))?;
                Ok(redacted(&env, &text, "handoff"))
            }
            ResourceId::Pending => {
                let pack = context_pack(store).map_err(|e| failed(e.into()))?;
                let mut problems = Vec::new();
                let active = store
                    .active_sessions(&mut problems)
                    .map_err(|e| failed(e.into()))?;
                let mut doc = json!({
                    "pending": pack.pending,
                    "active_sessions": active.iter().map(|s| json!({
                        "session_id": s.record.session_id,
                        "goal": s.record.primary_goal,
                        "next_steps": s.record.next_steps.iter().map(PendingView::from).collect::<Vec<_>>(),
                    })).collect::<Vec<Value>>(),
                    "problems": pack.problems,
                });
                let mut notes = Vec::new();
                scrub_value(&mut doc, &store.allow, "pending work", &mut notes);
                report_redactions(&notes);
                let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                text.push('\n');
                Ok(text)
            }
        }
    }
}

impl Backend for CliBackend {
    fn call(&self, op: Op) -> Result<String, String> {
        self.run(op).map_err(|f| format!("baton: {}", f.message))
    }

    fn read(&self, resource: ResourceId) -> Result<String, ReadError> {
        CliBackend::read(self, resource)
    }

    fn has_history(&self) -> bool {
        true
    }
}

/// The `baton log …` command a log tool stands for, and what to call it in the answer.
fn log_command(entry: LogEntry) -> (&'static str, LogCommand) {
    match entry {
        LogEntry::Decision { text, why, impact } => {
            ("a decision", LogCommand::Decision { text, why, impact })
        }
        LogEntry::Insight { text, practice } => {
            ("an insight", LogCommand::Insight { text, practice })
        }
        LogEntry::Achievement { text } => ("an achievement", LogCommand::Achievement { text }),
        LogEntry::Blocker {
            text,
            solution,
            lesson,
        } => (
            "a blocker",
            LogCommand::Blocker {
                text,
                solution,
                lesson,
            },
        ),
        LogEntry::Next { text, priority } => ("a next step", LogCommand::Next { text, priority }),
        LogEntry::Code { path, note } => ("a code entry", LogCommand::Code { path, note }),
        LogEntry::Done { task } => ("a finished item", LogCommand::Done { task }),
    }
}

/// Text sent to the client passes through redaction first (DESIGN.md's rule 5: nothing is
/// sent with a secret in it, whoever wrote the file it came from).
fn redacted(env: &Env, text: &str, place: &str) -> String {
    let mut notes = Vec::new();
    let clean = scrub_text(text, &env.store.allow, place, &mut notes);
    report_redactions(&notes);
    clean
}

/// What was redacted, one line each, for the tool's answer (also printed on stderr).
fn notes_text(notes: &[RedactionNote]) -> String {
    notes.iter().map(|n| format!("{n}\n")).collect()
}
