//! Where everything lives inside a sessions directory. The seed's names are kept so that
//! people and scripts that `cat` these files keep working; what baton adds sits beside them.

use std::path::{Path, PathBuf};

pub const KNOWLEDGE: &str = "UNIFIED_KNOWLEDGE.json";
pub const CURRENT_SESSION: &str = "CURRENT_SESSION.json";
pub const HANDOFFS: &str = "SESSION_HANDOFFS";
pub const DECISIONS_LOG: &str = "DECISIONS_LOG.json";
pub const CODE_REGISTRY: &str = "CODE_REGISTRY.json";
pub const INSIGHTS_DB: &str = "INSIGHTS_DB.json";
pub const INSIGHTS_LOG: &str = "INSIGHTS.log";
pub const CODE_CHANGES_LOG: &str = "CODE_CHANGES.log";
pub const SERVICES: &str = "SERVICES.json";
/// One append-only events file per active session: parallel sessions never share a file.
pub const ACTIVE: &str = "ACTIVE_SESSIONS";
/// One immutable record per ended session, with what time travel needs.
pub const ARCHIVE: &str = "SESSION_LOGS";
/// baton's private state: the lock, unfinished merges, form drafts, config.
pub const PRIVATE: &str = ".baton";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    pub fn knowledge(&self) -> PathBuf {
        self.path(KNOWLEDGE)
    }

    pub fn current_session(&self) -> PathBuf {
        self.path(CURRENT_SESSION)
    }

    pub fn handoffs(&self) -> PathBuf {
        self.path(HANDOFFS)
    }

    pub fn handoff(&self, file_name: &str) -> PathBuf {
        self.handoffs().join(file_name)
    }

    pub fn active_dir(&self) -> PathBuf {
        self.path(ACTIVE)
    }

    pub fn active(&self, id: &str) -> PathBuf {
        self.active_dir().join(format!("{id}.jsonl"))
    }

    pub fn archive_dir(&self) -> PathBuf {
        self.path(ARCHIVE)
    }

    pub fn archived(&self, id: &str) -> PathBuf {
        self.archive_dir().join(format!("{id}.json"))
    }

    pub fn private_dir(&self) -> PathBuf {
        self.path(PRIVATE)
    }

    /// The sidecar lock every read-modify-write holds. Never the data files themselves.
    pub fn lock(&self) -> PathBuf {
        self.private_dir().join("lock")
    }

    /// Sessions archived but not yet merged into the knowledge base (an interrupted `end`,
    /// or a knowledge base that did not parse).
    pub fn unmerged_dir(&self) -> PathBuf {
        self.private_dir().join("unmerged")
    }

    pub fn unmerged(&self, id: &str) -> PathBuf {
        self.unmerged_dir().join(id)
    }

    pub fn config(&self) -> PathBuf {
        self.private_dir().join("config.json")
    }

    /// What waits to be delivered to the memory server: one file per item.
    pub fn outbox_dir(&self) -> PathBuf {
        self.private_dir().join("outbox")
    }

    pub fn outbox_item(&self, id: &str) -> PathBuf {
        self.outbox_dir().join(format!("{id}.json"))
    }

    /// Held while the outbox is being delivered, so two processes never send one item at
    /// the same time. Separate from [`Layout::lock`]: the network is slow, writers are not.
    pub fn outbox_lock(&self) -> PathBuf {
        self.private_dir().join("outbox.lock")
    }

    /// When each kind of sync last ran and last succeeded (`baton validate` reads it).
    pub fn sync_state(&self) -> PathBuf {
        self.private_dir().join("sync.json")
    }

    /// `path` relative to the sessions directory, for messages.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
