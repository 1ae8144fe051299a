//! What an ended session leaves in `SESSION_LOGS/<id>.json`: its record plus what time
//! travel needs (the pending list and totals as they stood right after it was merged).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::knowledge::Totals;
use super::session::SessionRecord;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AsOf {
    pub total_sessions: u64,
    pub total_hours: f64,
    /// `pending_work` after the merge, exactly as the knowledge base held it.
    pub pending_work: Vec<Value>,
}

impl AsOf {
    pub fn totals(&self) -> Totals {
        Totals {
            sessions: self.total_sessions,
            hours: self.total_hours,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArchivedSession {
    #[serde(flatten)]
    pub record: SessionRecord,
    /// The handoff's file name in `SESSION_HANDOFFS/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_file: Option<String>,
    /// Absent when the knowledge base could not be read at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOf>,
}
