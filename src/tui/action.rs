//! Everything that can happen to the dashboard (actions, fed to `App::update`) and
//! everything it can ask for (effects, run by the runtime). Both are plain data.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use serde::Deserialize;

use crate::domain::board::Board;

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
    HandoffLoaded {
        file: String,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Re-read the directory into a new board.
    Load,
    /// Read one handoff's text for the preview and the reader.
    LoadHandoff(String),
    Quit,
}
