//! Carries out a dashboard write with exactly the store functions the CLI uses, and says
//! what happened in one line (what was redacted included).

use chrono::{DateTime, Utc};

use crate::domain::scrub::RedactionNote;
use crate::store::Store;
use crate::store::ops::EndRequest;

use super::action::WriteOp;

pub fn run(store: &Store, op: WriteOp, now: DateTime<Utc>) -> Result<String, String> {
    let (done, notes): (String, Vec<RedactionNote>) = match op {
        WriteOp::Log { session_id, kind } => {
            let session = store
                .select_session(Some(&session_id))
                .map_err(|e| e.to_string())?;
            let what = format!("logged into {session_id}");
            (
                what,
                store.log(&session, kind, now).map_err(|e| e.to_string())?,
            )
        }
        WriteOp::Pending(edit) => (
            "pending work updated".into(),
            store.edit_pending(edit, now).map_err(|e| e.to_string())?,
        ),
        WriteOp::Handoff { file_name, text } => {
            let (path, notes) = store
                .write_handoff(&file_name, &text)
                .map_err(|e| e.to_string())?;
            (
                format!("handoff written to {}", store.layout.display(&path)),
                notes,
            )
        }
        WriteOp::End { session_id, record } => {
            let session = store
                .select_session(Some(&session_id))
                .map_err(|e| e.to_string())?;
            let req = EndRequest {
                edited: Some(*record),
                ..EndRequest::default()
            };
            let outcome = store
                .end(Some(&session), req, now)
                .map_err(|e| e.to_string())?;
            let mut what = format!(
                "ended {session_id}; handoff {}",
                store.layout.display(&outcome.handoff)
            );
            if let Some(p) = outcome.refused.first() {
                what.push_str(&format!(" — not merged: {p} (fix it, then `baton merge`)"));
            }
            (what, outcome.notes)
        }
    };
    if notes.is_empty() {
        return Ok(done);
    }
    let redacted: Vec<String> = notes.iter().map(ToString::to_string).collect();
    Ok(format!("{done}; {}", redacted.join("; ")))
}
