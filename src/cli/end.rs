use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use crate::domain::json_doc::parse_object_strict;
use crate::domain::session::SessionRecord;
use crate::domain::text::decode;
use crate::store::StoreError;
use crate::store::ops::EndRequest;

use super::{CliResult, Env, Failure, print, report_redactions};

#[derive(Debug, Args)]
pub struct EndArgs {
    /// The handoff's Quick Summary
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// Handoff notes for the next session
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
    /// A whole session context in the seed's JSON schema (`-` for stdin)
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<PathBuf>,
}

fn read_from(path: &PathBuf) -> Result<SessionRecord, Failure> {
    let (shown, bytes) = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::usage(format!("stdin: {e}")))?;
        ("<stdin>".to_string(), buf)
    } else {
        let bytes =
            std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        (path.display().to_string(), bytes)
    };
    let (text, _) = decode(&bytes);
    let map = parse_object_strict(&shown, &text).map_err(|p| Failure::usage(p.to_string()))?;
    SessionRecord::from_map(map)
        .map_err(|e| Failure::usage(format!("{shown}:1:1: not a session context: {e}")))
}

pub fn run(env: &Env, args: &EndArgs) -> CliResult {
    let from = args.from.as_ref().map(read_from).transpose()?;
    // With --from naming a session that was never started here, end it directly.
    let session = match env.store.select_session(env.session.as_deref()) {
        Ok(s) => Some(s),
        Err(StoreError::Usage(_))
            if env.session.is_none() && from.as_ref().is_some_and(|f| !f.session_id.is_empty()) =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let req = EndRequest {
        summary: args.summary.clone(),
        notes: args.notes.clone(),
        from,
        edited: None,
    };
    let outcome = env.store.end(session.as_ref(), req, env.now)?;
    report_redactions(&outcome.notes);
    print(&format!("{}\n", outcome.handoff.display()))?;
    // The session is queued for the memory server (when one is configured): a short,
    // bounded attempt now; later commands and the dashboard retry.
    super::sync::retry_due(env);
    if outcome.refused.is_empty() {
        return Ok(());
    }
    let problems: Vec<String> = outcome.refused.iter().map(ToString::to_string).collect();
    Err(Failure::usage(format!(
        "{}\nbaton: session {} is saved ({} and its handoff), but the files above were left untouched.\n\
         baton: fix them, then run `baton merge` to finish.",
        problems.join("\nbaton: "),
        outcome.session_id,
        env.store.layout.display(&outcome.archive)
    )))
}
