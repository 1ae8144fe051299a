//! The session browser's second view (`Tab` in `t`): one dated timeline of everything, stale
//! marks included, read through the store (`Effect::LoadTimeline` →
//! `store::timeline::timeline_of`, the same as `baton history --timeline`, built from the
//! history the dashboard holds, which is read first when it is not) the first time it is
//! shown, and dropped with the history when files change (re-read at once while it is on
//! screen). Enter on a row shows the directory as it stood then: a session's row opens that
//! session's view over its as-of board, as the browser does; a row of no session (a commit of
//! the repository) the as-of board of the last session ended by then.
//!
//! Also the session view's content: the `SessionView` `baton show` prints
//! (`Effect::LoadSessionView` → `store::history::session_view`), kept for the session shown.

use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::show::SessionView;
use crate::domain::timeline::{EntryKind, Timeline};

use super::action::{Effect, TimelineBase};
use super::app::{App, Mode};

/// What the timeline and the session view show, read through the store.
#[derive(Debug, Clone, Default)]
pub struct Views {
    /// The timeline, newest first.
    pub timeline: Option<Timeline>,
    /// A read of the timeline is on its way.
    pub timeline_loading: bool,
    /// Files changed while it was on its way: read once more when it arrives.
    timeline_again: bool,
    /// The read waits for the history (the timeline is built from it).
    timeline_waits: bool,
    /// The session the timeline opens on once it arrives.
    timeline_focus: Option<String>,
    /// The session view's content (for the session it names; another session's view until
    /// the new one arrives).
    pub session: Option<Box<SessionView>>,
}

/// The key that switches the browser between sessions and the timeline.
pub fn switches_view(key: &KeyEvent) -> bool {
    matches!(
        key.code,
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Char('v')
    )
}

/// Where a session sits in the timeline: its end, else its newest entry.
fn position_of(entries: &Timeline, id: &str) -> Option<usize> {
    let of = |i: &usize| entries.session_id(*i) == Some(id);
    (0..entries.len())
        .find(|i| entries.kind(*i) == Some(EntryKind::SessionEnded) && of(i))
        .or_else(|| (0..entries.len()).find(of))
}

impl App {
    /// Tab in the browser: the timeline, on the selected session's end.
    pub fn open_timeline(&mut self, browser_cursor: usize) -> Vec<Effect> {
        self.dirty = true;
        let id = self.travel.history.as_deref().and_then(|h| {
            let index = h.sessions.len().checked_sub(1 + browser_cursor)?;
            Some(h.sessions[index].id.clone())
        });
        if let Some(entries) = &self.views.timeline {
            let cursor = id
                .as_deref()
                .and_then(|id| position_of(entries, id))
                .unwrap_or(0);
            self.mode = Mode::Timeline { cursor };
            return Vec::new();
        }
        self.mode = Mode::Timeline { cursor: 0 };
        self.views.timeline_focus = id;
        if self.views.timeline_loading {
            return Vec::new();
        }
        self.views.timeline_loading = true;
        self.read_timeline()
    }

    /// The timeline's read, from the history held; without one, the history's read first
    /// (the read goes on when it arrives: [`App::timeline_after_history`]).
    fn read_timeline(&mut self) -> Vec<Effect> {
        match &self.travel.history {
            Some(history) => vec![Effect::LoadTimeline(TimelineBase {
                history: history.clone(),
                index: self.travel.index.clone(),
            })],
            None => {
                self.views.timeline_waits = true;
                self.ask_history()
            }
        }
    }

    /// The history arrived (or failed): the timeline read waiting for it goes on.
    pub(super) fn timeline_after_history(&mut self) -> Vec<Effect> {
        if !std::mem::take(&mut self.views.timeline_waits) {
            return Vec::new();
        }
        if self.travel.history.is_none() {
            self.views.timeline_loading = false;
            self.views.timeline_again = false;
            return Vec::new();
        }
        self.read_timeline()
    }

    /// Tab in the timeline: back to the sessions, on the selected entry's session.
    fn timeline_to_browser(&mut self, cursor: usize) -> Vec<Effect> {
        let id = self
            .views
            .timeline
            .as_ref()
            .and_then(|t| t.session_id(cursor))
            .map(str::to_string);
        let Some(history) = self.travel.history.as_deref() else {
            return self.open_browser();
        };
        let n = history.sessions.len();
        let cursor = id
            .and_then(|id| history.session_index(&id))
            .map_or(0, |i| n - 1 - i);
        self.mode = Mode::Browser { cursor };
        self.dirty = true;
        Vec::new()
    }

    pub fn on_timeline(&mut self, result: Result<Timeline, String>) -> Vec<Effect> {
        self.dirty = true;
        let again = std::mem::take(&mut self.views.timeline_again);
        self.views.timeline_loading = again;
        let effects = if again {
            self.read_timeline()
        } else {
            Vec::new()
        };
        let entries = match result {
            Ok(entries) => entries,
            Err(e) => {
                self.notice = Some(format!("timeline not read: {e}"));
                return effects;
            }
        };
        if let Mode::Timeline { cursor } = self.mode {
            // Stay on the entry shown (a re-read adds entries above it), else open on the
            // session the browser had selected.
            let kept = self.views.timeline.as_ref().and_then(|old| {
                let key = (old.at(cursor)?, old.kind(cursor)?, old.title(cursor)?);
                (0..entries.len()).find(|&i| {
                    entries.at(i) == Some(key.0)
                        && entries.kind(i) == Some(key.1)
                        && entries.title(i) == Some(key.2)
                })
            });
            let focus = self.views.timeline_focus.take();
            let cursor = kept
                .or_else(|| focus.and_then(|id| position_of(&entries, &id)))
                .unwrap_or(cursor)
                .min(entries.len().saturating_sub(1));
            self.mode = Mode::Timeline { cursor };
        }
        self.views.timeline = Some(entries);
        effects
    }

    pub fn on_timeline_key(&mut self, cursor: usize, key: KeyEvent) -> Vec<Effect> {
        self.dirty = true;
        if switches_view(&key) {
            return self.timeline_to_browser(cursor);
        }
        let last = self
            .views
            .timeline
            .as_ref()
            .map_or(0, |t| t.len().saturating_sub(1));
        // A page: the rows the overlay shows (the screen less borders, footer, detail line).
        let page = usize::from(self.height.saturating_sub(4)).max(1);
        let cursor = match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 't') => {
                self.mode = Mode::Normal;
                return Vec::new();
            }
            KeyCode::Enter => return self.open_entry(cursor),
            KeyCode::Char('j') | KeyCode::Down => cursor + 1,
            KeyCode::Char('k') | KeyCode::Up => cursor.saturating_sub(1),
            KeyCode::PageDown => cursor + page,
            KeyCode::PageUp => cursor.saturating_sub(page),
            KeyCode::Char('g') | KeyCode::Home => 0,
            KeyCode::Char('G') | KeyCode::End => last,
            _ => cursor,
        };
        self.mode = Mode::Timeline {
            cursor: cursor.min(last),
        };
        Vec::new()
    }

    /// Enter on a timeline row: the directory as it stood then (see the module's
    /// documentation).
    fn open_entry(&mut self, cursor: usize) -> Vec<Effect> {
        let Some((id, at)) = self.views.timeline.as_ref().and_then(|t| {
            let at = t.at(cursor)?;
            Some((t.session_id(cursor).map(str::to_string), at))
        }) else {
            return Vec::new();
        };
        let Some(history) = self.travel.history.as_deref() else {
            // Files changed: the history is on its way (asked for with the timeline).
            self.notice = Some("reading the history…".into());
            return Vec::new();
        };
        let index = &self.travel.index;
        let session = id.as_deref().and_then(|id| history.session_index(id));
        let running = session.is_some_and(|i| history.sessions[i].is_active());
        let step = match id.as_deref().and_then(|id| index.step_of(history, id)) {
            Some(step) => Some(step),
            None if running => None,
            None if at.day_only => index.step_on(at.date()),
            None => index.step_at(at.at),
        };
        match (step, session) {
            (Some(step), Some(i)) => {
                self.show_step(step);
                self.mode = Mode::Session {
                    index: i,
                    scroll: 0,
                };
                self.view_effects(i)
            }
            // Still running: its view, over the live dashboard.
            (None, Some(i)) => {
                self.back_to_now();
                self.mode = Mode::Session {
                    index: i,
                    scroll: 0,
                };
                self.view_effects(i)
            }
            (Some(step), None) => {
                self.show_step(step);
                self.mode = Mode::Normal;
                Vec::new()
            }
            (None, None) => {
                self.notice = Some("no session had ended by then: nothing to show as of it".into());
                Vec::new()
            }
        }
    }

    /// What the session view of `id` still needs: its `SessionView`, unless it is held.
    pub fn session_view_effects(&self, id: &str) -> Vec<Effect> {
        if self
            .views
            .session
            .as_ref()
            .is_some_and(|v| v.session.id == id)
        {
            Vec::new()
        } else {
            vec![Effect::LoadSessionView(id.to_string())]
        }
    }

    pub fn on_session_view(
        &mut self,
        id: &str,
        result: Result<Option<SessionView>, String>,
    ) -> Vec<Effect> {
        match result {
            Ok(Some(view)) => {
                self.views.session = Some(Box::new(view));
                self.dirty = true;
            }
            Ok(None) => self.notice = Some(format!("session {id} is not in the directory")),
            Err(e) => self.notice = Some(format!("session {id} not read: {e}")),
        }
        Vec::new()
    }

    /// Files changed: what the timeline and the session view show may be out of date. On
    /// screen, they are read again (the old one shown meanwhile); else dropped.
    pub fn forget_views(&mut self, effects: &mut Vec<Effect>) {
        match self.mode {
            Mode::Timeline { .. } => {
                if self.views.timeline_loading {
                    self.views.timeline_again = true;
                } else {
                    self.views.timeline_loading = true;
                    // Files changing dropped the history: the timeline reads after it.
                    for effect in self.read_timeline() {
                        if !effects.contains(&effect) {
                            effects.push(effect);
                        }
                    }
                }
            }
            _ => {
                self.views.timeline = None;
                self.views.timeline_again = self.views.timeline_loading;
            }
        }
        match (&self.mode, &self.views.session) {
            (Mode::Session { .. }, Some(v)) => {
                effects.push(Effect::LoadSessionView(v.session.id.clone()))
            }
            _ => self.views.session = None,
        }
    }
}
