//! Everything the dashboard and the context pack show about a directory, as plain data:
//! loaded by the store in one pass, rendered without further I/O.

use chrono::{DateTime, NaiveDate, Utc};

use super::items::{Decision, PendingItem};
use super::knowledge::{Component, Knowledge, Totals};
use super::problem::Problem;
use super::services::ServiceConfig;
use super::session::SessionRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct HandoffRef {
    pub file_name: String,
    /// From the file name, else the modification day.
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActiveRef {
    pub record: SessionRecord,
    pub last_activity: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    /// The sessions directory exists (a missing one is shown as such and watched for).
    pub exists: bool,
    /// The knowledge base without its `core_decisions`, which are in `decisions`.
    pub knowledge: Knowledge,
    /// Pending work, high priority first, file order within a priority.
    pub pending: Vec<PendingItem>,
    /// Decisions from the knowledge base, the log and active sessions, one each, by date.
    pub decisions: Vec<Decision>,
    /// Newest first.
    pub handoffs: Vec<HandoffRef>,
    pub active: Vec<ActiveRef>,
    pub services: Vec<ServiceConfig>,
    /// Files that did not parse (or were read lossily), as `PATH:LINE:COL: message`.
    pub problems: Vec<Problem>,
    /// Items in the memory-server outbox, not yet delivered (the footer says so).
    pub outbox_waiting: usize,
}

impl Board {
    pub fn totals(&self) -> Totals {
        self.knowledge.totals()
    }

    pub fn architecture(&self) -> Vec<Component> {
        self.knowledge.architecture()
    }
}
