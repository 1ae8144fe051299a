//! The dashboard: `App` (state + `update`), a runtime that feeds it actions and runs its
//! effects, and render functions of `&App`.

pub mod action;
pub mod app;
mod app_forms;
mod app_sync;
mod drafts;
pub mod form;
pub mod health;
pub mod keymap;
pub mod layout;
mod memory;
pub mod pane;
pub mod rows;
mod runtime;
pub mod theme;
pub mod timeline;
pub mod timetravel;
pub mod ui;
pub mod watch;
pub mod write;

use std::io::stdout;
use std::path::Path;

use chrono::Utc;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;

use crate::store::Store;

use app::App;
use theme::Theme;

/// Opens the dashboard on `dir` and returns when the user quits (or on SIGTERM/SIGHUP).
/// The terminal is restored on every way out, panics included.
pub fn run(dir: &Path, store: Store) -> color_eyre::Result<()> {
    // color-eyre's hooks first, so ratatui's restore wraps them: a panic restores the
    // terminal, then reports.
    let _ = color_eyre::install();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
        previous(info);
    }));
    let terminal = ratatui::try_init()?;
    let _ = execute!(stdout(), EnableMouseCapture, EnableBracketedPaste);
    let size = terminal.size().unwrap_or_default();
    let theme = Theme::from_env(std::env::var("NO_COLOR").ok().as_deref());
    let mut app = App::new(
        dir.to_path_buf(),
        Utc::now(),
        size.width,
        size.height,
        theme,
    );
    // `BATON_BELL=1` rings the bell on status changes; "up since" reads in local time.
    app.health = health::HealthState::from_env();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(2)
        .build()
        .map_err(color_eyre::Report::from)
        .and_then(|rt| {
            rt.block_on(runtime::run(terminal, app, store))
                .map_err(color_eyre::Report::from)
        });
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::restore();
    result
}

/// Takes the terminal back after `$EDITOR` (or anything else that ran in it).
pub(crate) fn resume_terminal() -> std::io::Result<ratatui::DefaultTerminal> {
    // A new terminal starts with empty buffers, so its first draw repaints every cell
    // (no `clear()`: that asks the terminal for the cursor position, which not all answer).
    let terminal = ratatui::try_init()?;
    let _ = execute!(stdout(), EnableMouseCapture, EnableBracketedPaste);
    Ok(terminal)
}
