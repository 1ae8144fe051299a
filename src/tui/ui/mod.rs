//! Pure render functions of `&App`: they read state and draw, nothing else.

mod chrome;
pub mod fit;
mod form;
mod history;
pub mod markdown;
mod overlay;
mod panes;

use ratatui::Frame;

use super::app::{App, Mode};
use super::pane::Pane;

pub fn render(app: &App, frame: &mut Frame<'_>) {
    let areas = app.areas();
    chrome::header(app, frame, areas.header);
    if let Some(tabs) = areas.tabs {
        chrome::tabs(app, frame, tabs);
    }
    for pane in Pane::ALL {
        if let Some(area) = areas.pane(pane) {
            panes::render(app, pane, frame, area);
        }
    }
    chrome::footer(app, frame, areas.footer);
    match app.mode {
        Mode::Help => overlay::help(app, frame),
        Mode::Reader { scroll } => overlay::reader(app, frame, scroll),
        Mode::Detail => overlay::detail(app, frame),
        Mode::Form => {
            let area = frame.area();
            form::render(
                app,
                frame,
                ratatui::layout::Rect {
                    height: area.height.saturating_sub(1),
                    ..area
                },
            );
        }
        Mode::Confirm { ref prompt, .. } => form::confirm(app, frame, frame.area(), prompt),
        Mode::Checklist { cursor } => form::checklist(app, frame, cursor),
        Mode::Browser { cursor } => history::browser(app, frame, cursor),
        Mode::Session { index, scroll } => history::session(app, frame, index, scroll),
        Mode::Search { cursor } => history::search(app, frame, cursor),
        Mode::Timeline { cursor } => history::timeline(app, frame, cursor),
        Mode::Normal | Mode::Filtering => {}
    }
}
