use clap::Args;

use crate::domain::compose::handoff_draft;
use crate::domain::ids::handoff_file_name;
use crate::domain::items::PendingItem;
use crate::domain::session::SessionRecord;
use crate::store::fsio::atomic_write;
use crate::store::read::{list_dir, read_archived};

use super::{CliResult, Env, Failure, print};

#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// Session id (default: the active session, else the last ended one)
    pub session: Option<String>,
    /// Print the handoff instead of writing the file
    #[arg(long)]
    pub print: bool,
}

pub fn run(env: &Env, args: &HandoffArgs) -> CliResult {
    let wanted = args.session.clone().or_else(|| env.session.clone());
    let (record, pending, file) = find(env, wanted.as_deref())?;
    let text = handoff_draft(&record, &pending).render();
    if args.print {
        return print(&text);
    }
    let path = env.store.layout.handoff(&file);
    atomic_write(&path, text.as_bytes()).map_err(|e| Failure {
        code: 3,
        message: e.to_string(),
    })?;
    print(&format!("{}\n", path.display()))
}

/// The session's record, the pending work after it, and its handoff file name.
fn find(
    env: &Env,
    wanted: Option<&str>,
) -> Result<(SessionRecord, Vec<PendingItem>, String), Failure> {
    let layout = &env.store.layout;
    let mut problems = Vec::new();
    let id = match wanted {
        Some(id) => {
            crate::domain::ids::validate_id(id).map_err(Failure::usage)?;
            Some(id.to_string())
        }
        None => None,
    };
    if let Some(id) = &id
        && let Some(a) = read_archived(layout, id, &mut problems)?
    {
        return Ok(from_archive(a, env));
    }
    match env.store.select_session(id.as_deref()) {
        Ok(s) => {
            let date = s.record.started().unwrap_or(env.now).date_naive();
            let file = handoff_file_name(&s.record.session_id, date);
            // What will be pending once this session is merged, as `end` would list it.
            let knowledge = crate::store::snapshot::load_board(&env.store)?.knowledge;
            let pending = knowledge.pending_after(&s.record);
            Ok((s.record, pending, file))
        }
        Err(e) if id.is_none() => {
            // No active session: the most recently ended one.
            let newest = list_dir(&layout.archive_dir())?
                .into_iter()
                .filter_map(|e| {
                    read_archived(layout, e.name.trim_end_matches(".json"), &mut problems)
                        .ok()
                        .flatten()
                })
                .max_by(|a, b| a.record.ended_at.cmp(&b.record.ended_at));
            newest.map(|a| from_archive(a, env)).ok_or_else(|| e.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn from_archive(
    a: crate::domain::archive::ArchivedSession,
    env: &Env,
) -> (SessionRecord, Vec<PendingItem>, String) {
    let pending = a
        .as_of
        .map(|s| {
            s.pending_work
                .into_iter()
                .map(PendingItem::from_value)
                .collect()
        })
        .unwrap_or_default();
    let date = a
        .record
        .ended()
        .or(a.record.started())
        .unwrap_or(env.now)
        .date_naive();
    let file = a
        .handoff_file
        .unwrap_or_else(|| handoff_file_name(&a.record.session_id, date));
    (a.record, pending, file)
}
