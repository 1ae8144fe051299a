//! Everything that can happen to the dashboard (actions, fed to `App::update`) and
//! everything it can ask for (effects, run by the runtime). Both are plain data.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use serde::Deserialize;

use crate::domain::board::Board;
use crate::domain::events::EventKind;
use crate::domain::session::{Commit, SessionRecord};
use crate::store::edit::PendingEdit;

use super::pane::Pane;

/// What a key means, independent of which key it is: keymaps map keys to these, so they
/// are deserializable for a user keymap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command", content = "pane")]
pub enum Command {
    Quit,
    FocusNext,
    FocusPrev,
    Focus(Pane),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    Help,
    /// Forms and quick edits (DESIGN.md's `h`, `e`, `d`, `n`, `x`, `p`) and the checklist.
    WriteHandoff,
    EndSession,
    LogDecision,
    NewPending,
    PendingDone,
    CyclePriority,
    Checklist,
    /// `r`: check every service now.
    Recheck,
    /// Time travel: the session browser, a step back, a step forward; search.
    Browse,
    StepBack,
    StepForward,
    Search,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The once-a-second clock (elapsed times, "changed 3 s ago").
    Tick(DateTime<Utc>),
    /// The watcher saw these paths change (debounced); `removed` are the ones that no
    /// longer exist; `rescan` when the watcher lost track and everything is re-read.
    FilesChanged {
        paths: Vec<PathBuf>,
        removed: Vec<PathBuf>,
        rescan: bool,
        at: DateTime<Utc>,
    },
    Loaded(Box<Result<Board, String>>),
    /// The first read's quick part: everything but the older decisions (`load_board_newest`),
    /// so the first frame does not wait for the whole decision timeline. Ignored once a full
    /// read has arrived.
    LoadedPreview(Box<Result<Board, String>>),
    HandoffLoaded {
        file: String,
        text: String,
    },
    /// The history (for time travel), read on first use.
    HistoryLoaded(Box<Result<crate::domain::history::History, String>>),
    /// A session as it stood, read when its view opens: what `baton show ID` prints
    /// (`None`: no session of that id).
    SessionViewLoaded {
        id: String,
        view: Box<Result<Option<crate::domain::show::SessionView>, String>>,
    },
    /// The dated timeline (the browser's other view), with stale marks.
    TimelineLoaded(Box<Result<crate::domain::timeline::Timeline, String>>),
    /// The answer to a search of `query`.
    SearchResults {
        query: String,
        result: Box<Result<crate::domain::search::SearchResults, String>>,
    },
    /// A write finished: what to tell the user (redactions included), or why it failed.
    Written(Result<String, String>),
    /// Drafts found on disk at start (by form name).
    DraftsLoaded(Vec<(String, serde_json::Value)>),
    /// Commits and changed files of a session's window, for the end form.
    GitCaptured {
        session_id: String,
        commits: Vec<Commit>,
        files: Vec<String>,
    },
    /// `$EDITOR` returned this text (`None`: it failed or was cancelled).
    ExternalEdited(Option<String>),
    /// An attempt to deliver the memory-server outbox finished.
    Synced(Box<crate::sync::memory::FlushReport>),
    /// A health check finished (`generation` tells results of an outdated plan apart).
    HealthChecked {
        service: String,
        generation: u64,
        result: Box<crate::health::CheckResult>,
    },
}

/// A change to the directory, made through the same store functions as the CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// `baton log …`
    Log { session_id: String, kind: EventKind },
    /// `baton pending …`
    Pending(PendingEdit),
    /// `baton handoff` with the text the user wrote.
    Handoff { file_name: String, text: String },
    /// `baton end` with the record as the user edited it.
    End {
        session_id: String,
        record: Box<SessionRecord>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Re-read the directory into a new board.
    Load,
    /// Read one handoff's text for the preview and the reader.
    LoadHandoff(String),
    Write(WriteOp),
    /// Read every session's history (time travel).
    LoadHistory,
    /// Read one session as it stood for its view (`store::history::session_view`, the
    /// same as `baton show`).
    LoadSessionView(String),
    /// Read the dated timeline from the history held (`store::timeline::timeline_of`).
    LoadTimeline(TimelineBase),
    /// Search the history.
    Search(String),
    SaveDraft {
        name: String,
        draft: serde_json::Value,
    },
    DeleteDraft(String),
    LoadDrafts,
    /// Read the commits and changed files since `since` (for the end form).
    CaptureGit {
        session_id: String,
        since: DateTime<Utc>,
    },
    /// Suspend the dashboard and edit this text in `$EDITOR`.
    EditExternally(String),
    /// (Re)schedule or stop health checks, ring the bell.
    Health(super::health::HealthEffect),
    /// Deliver what is due in the memory-server outbox after this long (asked for only
    /// while items wait: an empty outbox sets no timer).
    Sync(std::time::Duration),
    Quit,
}

/// The history the dashboard holds and its as-of index, shared with the timeline's read
/// (which reads only what the history leaves out). Equal when they are the same ones.
#[derive(Debug, Clone)]
pub struct TimelineBase {
    pub history: std::sync::Arc<crate::domain::history::History>,
    pub index: std::sync::Arc<crate::domain::asof::AsOfIndex>,
}

impl PartialEq for TimelineBase {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.history, &other.history)
            && std::sync::Arc::ptr_eq(&self.index, &other.index)
    }
}
