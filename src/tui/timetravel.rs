//! Time travel in the dashboard: the session browser (`t`), the as-of view (`[`/`]`, Esc
//! back to now) and search (`s`). The history is read on first use (an effect) and dropped
//! when files change; the as-of view swaps the board the panes draw for one built from the
//! step's state, so every pane, filter and key works the same in the past.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::asof::AsOfIndex;
use crate::domain::board::{Board, HandoffRef};
use crate::domain::catalog::Kind;
use crate::domain::history::{DecisionEntry, HandoffInfo, History};
use crate::domain::items::Decision;
use crate::domain::knowledge::Knowledge;
use crate::domain::search::{Hit, SearchResults};
use crate::domain::text::normalize;

use super::action::Effect;
use super::app::{App, Mode};
use super::pane::Pane;

/// What the history-dependent view was asked for, to open once the history arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    Browser,
    /// `[` (true) or `]` (false) from now.
    Step(bool),
    /// Enter on a search hit: the jump to it in its context.
    Hit(Box<Hit>),
}

/// The history and its as-of index, read on first use (shared with the timeline's read).
#[derive(Debug, Clone, Default)]
pub struct TimeTravel {
    pub history: Option<Arc<History>>,
    pub index: Arc<AsOfIndex>,
    /// Asked for before the history arrived.
    pub wanted: Option<Want>,
    /// A read of the history is on its way (its answer serves every ask meanwhile).
    reading: bool,
    /// Files changed since that read began: what it brings is read again.
    reread: bool,
    /// The as-of step shown, and the live board kept aside meanwhile.
    pub step: Option<usize>,
    pub live: Option<Box<Board>>,
    pub banner: String,
    /// The search box and its last answer.
    pub query: String,
    pub results: Option<Box<SearchResults>>,
    pub searching: bool,
    /// The board on screen was built by [`App::show_step`] from this history: its
    /// decisions are a prefix of the history's, its handoffs one reversed, so the next step
    /// only adds or drops the difference.
    as_of_board: bool,
    /// The selection key (normalized text) of each of the history's decisions: the as-of
    /// board's decision `i` is the history's, and keeping a selection across steps compares
    /// keys of every row.
    decision_keys: Vec<String>,
}

impl TimeTravel {
    /// The selection key of the shown board's decision `i`, while that board is an as-of
    /// one.
    pub fn decision_key(&self, i: usize) -> Option<&str> {
        if !self.as_of_board {
            return None;
        }
        self.decision_keys.get(i).map(String::as_str)
    }
}

/// A decision as the as-of board lists it: dated, and with its session, when the entry
/// knows them.
fn as_of_decision(d: &DecisionEntry) -> Decision {
    let mut decision = d.decision.clone();
    decision.date = decision
        .date
        .or_else(|| d.at.map(|w| w.date().format("%Y-%m-%d").to_string()));
    decision.session_id = decision.session_id.or_else(|| d.session_id.clone());
    decision
}

fn handoff_ref(h: &HandoffInfo) -> HandoffRef {
    HandoffRef {
        file_name: h.file.clone(),
        date: h.at.map(|w| w.date()),
    }
}

impl App {
    /// The board as it is now (the live one, also while looking at the past).
    pub fn live_board(&self) -> &Board {
        self.travel.live.as_deref().unwrap_or(&self.board)
    }

    pub fn in_past(&self) -> bool {
        self.travel.step.is_some()
    }

    /// `t`: the session browser.
    pub fn open_browser(&mut self) -> Vec<Effect> {
        self.dirty = true;
        match &self.travel.history {
            Some(h) => {
                // Newest first; start on the session shown, else the newest.
                let current = self
                    .travel
                    .step
                    .and_then(|s| self.travel.index.session_index(s))
                    .map(|i| h.sessions.len() - 1 - i)
                    .unwrap_or(0);
                self.mode = Mode::Browser { cursor: current };
                Vec::new()
            }
            None => {
                self.travel.wanted = Some(Want::Browser);
                self.notice = Some("reading the history…".into());
                self.ask_history()
            }
        }
    }

    /// `[` / `]`.
    pub fn step_time(&mut self, back: bool) -> Vec<Effect> {
        self.dirty = true;
        if self.travel.history.is_none() {
            self.travel.wanted = Some(Want::Step(back));
            self.notice = Some("reading the history…".into());
            return self.ask_history();
        }
        let target = match (self.travel.step, back) {
            (None, true) => self.travel.index.latest(),
            (None, false) => None,
            (Some(s), true) => self.travel.index.prev(s).or(Some(s)),
            (Some(s), false) => self.travel.index.next(s),
        };
        match target {
            Some(step) => self.show_step(step),
            None => self.back_to_now(),
        }
        // The handoff now selected (the step's own) is the one to preview.
        self.handoff_effects()
    }

    /// Shows the directory as it stood after `step`.
    pub fn show_step(&mut self, step: usize) {
        let Some(history) = self.travel.history.as_deref() else {
            return;
        };
        let Some(state) = self.travel.index.state(history, step) else {
            return;
        };
        let live = self
            .travel
            .live
            .take()
            .unwrap_or_else(|| Box::new(std::mem::take(&mut self.board)));
        let mut knowledge = Knowledge::default();
        knowledge
            .doc
            .insert("total_sessions".into(), state.totals.sessions.into());
        knowledge
            .doc
            .insert("total_hours".into(), serde_json::json!(state.totals.hours));
        knowledge
            .doc
            .insert("last_updated".into(), state.at.to_text().into());
        // Decisions oldest first (the pane lists them newest first), handoffs newest first:
        // from the board on screen when it is an as-of board of this history (a step adds
        // or drops only the difference), else built.
        let (mut decisions, mut handoffs) = if self.travel.as_of_board {
            (
                std::mem::take(&mut self.board.decisions),
                std::mem::take(&mut self.board.handoffs),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let n = state.decisions.len();
        if n <= decisions.len() {
            decisions.truncate(n);
        } else {
            let from = decisions.len();
            decisions.extend(state.decisions[from..].iter().map(as_of_decision));
        }
        let (n, had) = (state.handoffs.len(), handoffs.len());
        if n <= had {
            handoffs.drain(..had - n);
        } else {
            handoffs.splice(0..0, state.handoffs[had..].iter().rev().map(handoff_ref));
        }
        let board = Board {
            exists: true,
            knowledge,
            pending: {
                let mut items: Vec<_> = state.pending.iter().map(|p| (**p).clone()).collect();
                items.sort_by_key(|i| i.priority);
                items
            },
            decisions,
            handoffs,
            active: Vec::new(),
            services: live.services.clone(),
            problems: Vec::new(),
            ..Board::default()
        };
        self.travel.banner = state.banner();
        let session_handoff = state.session.handoff_file.clone();
        if self.travel.decision_keys.len() != history.decisions.len() {
            self.travel.decision_keys = history
                .decisions
                .iter()
                .map(|d| normalize(&d.decision.decision))
                .collect();
        }
        self.travel.step = Some(step);
        self.travel.live = Some(live);
        self.travel.as_of_board = true;
        self.set_board(board);
        // The step's own handoff is the one to read.
        if let Some(file) = session_handoff
            && let Some(pos) = self.board.handoffs.iter().position(|h| h.file_name == file)
        {
            self.select_row(Pane::Handoffs, pos);
        }
    }

    /// Esc in the past: back to the live board.
    pub fn back_to_now(&mut self) {
        if let Some(live) = self.travel.live.take() {
            self.travel.step = None;
            self.travel.as_of_board = false;
            self.set_board(*live);
        }
        self.dirty = true;
    }

    /// The history's read, unless one is on its way.
    pub(super) fn ask_history(&mut self) -> Vec<Effect> {
        if std::mem::replace(&mut self.travel.reading, true) {
            Vec::new()
        } else {
            vec![Effect::LoadHistory]
        }
    }

    pub fn on_history(&mut self, result: Result<History, String>) -> Vec<Effect> {
        self.travel.reading = false;
        let outdated = std::mem::take(&mut self.travel.reread);
        let mut effects = self.take_history(result);
        if outdated {
            // Shown meanwhile, read again; a timeline waiting for it waits for the new one.
            effects.extend(self.ask_history());
        } else {
            // A timeline read waiting for this history goes on (or gives up with it).
            effects.extend(self.timeline_after_history());
        }
        effects
    }

    fn take_history(&mut self, result: Result<History, String>) -> Vec<Effect> {
        self.dirty = true;
        self.notice = None;
        match result {
            Err(e) => {
                self.notice = Some(format!("history not read: {e}"));
                Vec::new()
            }
            Ok(history) => {
                self.travel.index = Arc::new(AsOfIndex::build(&history));
                self.travel.history = Some(Arc::new(history));
                // The board on screen (if in the past) and the keys are of the old one.
                self.travel.as_of_board = false;
                self.travel.decision_keys = Vec::new();
                match self.travel.wanted.take() {
                    Some(Want::Browser) => self.open_browser(),
                    Some(Want::Step(back)) => self.step_time(back),
                    // Unless the user went on to something else meanwhile (a form, the
                    // search box again…): that stays.
                    Some(Want::Hit(hit)) if self.mode == Mode::Normal => self.jump_to_hit(&hit),
                    Some(Want::Hit(_)) | None => {
                        // Re-read after a change while in the past: stay on the same session.
                        if let Some(step) = self.travel.step {
                            let step = step.min(self.travel.index.len().saturating_sub(1));
                            self.show_step(step);
                        }
                        Vec::new()
                    }
                }
            }
        }
    }

    /// Files changed: the history is stale; re-read it now only if the past is on screen.
    pub fn forget_history(&mut self) -> Vec<Effect> {
        let shown = self.travel.history.is_some()
            && (self.in_past() || matches!(self.mode, Mode::Browser { .. }));
        self.travel.history = None;
        self.travel.reread = self.travel.reading;
        self.travel.as_of_board = false;
        self.travel.decision_keys = Vec::new();
        if shown {
            self.ask_history()
        } else {
            Vec::new()
        }
    }

    pub fn on_browser_key(&mut self, cursor: usize, key: KeyEvent) -> Vec<Effect> {
        self.dirty = true;
        let Some(history) = self.travel.history.as_deref() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        let n = history.sessions.len();
        let last = n.saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 't') => self.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => {
                self.mode = Mode::Browser {
                    cursor: (cursor + 1).min(last),
                }
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.mode = Mode::Browser {
                    cursor: cursor.saturating_sub(1),
                }
            }
            KeyCode::PageDown => {
                self.mode = Mode::Browser {
                    cursor: (cursor + 10).min(last),
                }
            }
            KeyCode::PageUp => {
                self.mode = Mode::Browser {
                    cursor: cursor.saturating_sub(10),
                }
            }
            KeyCode::Char('g') | KeyCode::Home => self.mode = Mode::Browser { cursor: 0 },
            KeyCode::Char('G') | KeyCode::End => self.mode = Mode::Browser { cursor: last },
            KeyCode::Enter => {
                // The list is newest first; sessions are stored oldest first.
                let Some(index) = last.checked_sub(cursor) else {
                    return Vec::new();
                };
                let id = history.sessions[index].id.clone();
                match self.travel.index.step_of_session(&id) {
                    Some(step) => {
                        self.show_step(step);
                        self.mode = Mode::Session { index, scroll: 0 };
                    }
                    // Still running: its view, over the live dashboard.
                    None => self.mode = Mode::Session { index, scroll: 0 },
                }
                return self.view_effects(index);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Asks for what the session view shows that the history does not hold: the session's
    /// handoff text (for the Handoffs pane), and the session as `baton show` has it
    /// (`tui/timeline.rs`: `session_view_effects`).
    pub(super) fn view_effects(&mut self, index: usize) -> Vec<Effect> {
        let Some(s) = self
            .travel
            .history
            .as_deref()
            .and_then(|h| h.sessions.get(index))
        else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        if let Some(f) = &s.handoff_file
            && self.preview.as_ref().is_none_or(|(p, _)| p != f)
        {
            effects.push(Effect::LoadHandoff(f.clone()));
        }
        effects.extend(self.session_view_effects(&s.id));
        effects
    }

    pub fn on_session_key(&mut self, index: usize, scroll: u16, key: KeyEvent) -> Vec<Effect> {
        self.dirty = true;
        self.mode = match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => Mode::Session {
                index,
                scroll: scroll.saturating_add(1),
            },
            KeyCode::Char('k') | KeyCode::Up => Mode::Session {
                index,
                scroll: scroll.saturating_sub(1),
            },
            KeyCode::PageDown => Mode::Session {
                index,
                scroll: scroll.saturating_add(10),
            },
            KeyCode::PageUp => Mode::Session {
                index,
                scroll: scroll.saturating_sub(10),
            },
            _ => Mode::Session { index, scroll },
        };
        Vec::new()
    }

    /// `s`: the search box.
    pub fn open_search(&mut self) -> Vec<Effect> {
        self.mode = Mode::Search { cursor: 0 };
        self.dirty = true;
        Vec::new()
    }

    pub fn on_search_key(&mut self, cursor: usize, key: KeyEvent) -> Vec<Effect> {
        self.dirty = true;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let hits = self.travel.results.as_ref().map_or(0, |r| r.hits.len());
        match key.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Down => {
                self.mode = Mode::Search {
                    cursor: (cursor + 1).min(hits.saturating_sub(1)),
                }
            }
            KeyCode::Up => {
                self.mode = Mode::Search {
                    cursor: cursor.saturating_sub(1),
                }
            }
            KeyCode::Enter if self.travel.results.is_some() && !self.travel.searching => {
                return self.open_hit(cursor);
            }
            KeyCode::Backspace => {
                self.travel.query.pop();
                return self.run_search();
            }
            KeyCode::Char('u') if ctrl => {
                self.travel.query.clear();
                self.travel.results = None;
            }
            KeyCode::Char(c) if !ctrl => {
                self.travel.query.push(c);
                return self.run_search();
            }
            _ => {}
        }
        Vec::new()
    }

    fn run_search(&mut self) -> Vec<Effect> {
        self.mode = Mode::Search { cursor: 0 };
        if self.travel.query.trim().is_empty() {
            self.travel.results = None;
            return Vec::new();
        }
        self.travel.searching = true;
        vec![Effect::Search(self.travel.query.clone())]
    }

    pub fn on_search_results(
        &mut self,
        query: String,
        result: Result<SearchResults, String>,
    ) -> Vec<Effect> {
        // An answer to an older query is dropped: the newer one is on its way.
        if query != self.travel.query {
            return Vec::new();
        }
        self.travel.searching = false;
        self.dirty = true;
        match result {
            Ok(r) => self.travel.results = Some(Box::new(r)),
            Err(e) => {
                self.travel.results = None;
                self.notice = Some(format!("search: {e}"));
            }
        }
        Vec::new()
    }

    /// Enter on a hit: [`App::jump_to_hit`], once the history is read.
    fn open_hit(&mut self, cursor: usize) -> Vec<Effect> {
        let Some(hit) = self
            .travel
            .results
            .as_ref()
            .and_then(|r| r.hits.get(cursor))
            .cloned()
        else {
            return Vec::new();
        };
        self.mode = Mode::Normal;
        if self.travel.history.is_none() {
            self.travel.wanted = Some(Want::Hit(Box::new(hit)));
            self.notice = Some("reading the history…".into());
            return self.ask_history();
        }
        self.travel.wanted = None;
        self.jump_to_hit(&hit)
    }

    /// The step a hit belongs to: its session's (a hand-made handoff is a session of its
    /// own in the history, found by its file), else the last one at or before its date.
    /// `None`: now (a running session, or nothing ended by then).
    fn hit_step(&self, hit: &Hit) -> Option<usize> {
        let history = self.travel.history.as_deref()?;
        let index = &self.travel.index;
        let id = hit.session_id.clone().or_else(|| {
            let file = hit_file(hit)?;
            history
                .handoffs
                .iter()
                .find(|h| h.file == file)?
                .session_id
                .clone()
        });
        if let Some(id) = &id {
            if let Some(step) = index.step_of(history, id) {
                return Some(step);
            }
            if history.session(id).is_some_and(|s| s.is_active()) {
                return None;
            }
        }
        let when = hit.date?;
        if when.day_only {
            index.step_on(when.date())
        } else {
            index.step_at(when.at)
        }
    }

    /// Shows a search hit in its context: the directory as it stood at the hit's session
    /// (or date), with a decision or handoff selected in its pane (a handoff previewed), or
    /// the session view of a session record, insight or blocker. An item the board of
    /// that time does not hold is looked for now.
    pub fn jump_to_hit(&mut self, hit: &Hit) -> Vec<Effect> {
        self.mode = Mode::Normal;
        self.dirty = true;
        let step = self.hit_step(hit);
        match step {
            Some(step) => self.show_step(step),
            None => self.back_to_now(),
        }
        let target = match hit.kind {
            Kind::Decision => Some((Pane::Decisions, normalize(&hit.title))),
            Kind::Handoff => hit_file(hit).map(|f| (Pane::Handoffs, f.to_string())),
            _ => None,
        };
        if let Some((pane, key)) = target {
            if let Some(effects) = self.focus_item(pane, &key) {
                return effects;
            }
            if self.in_past() {
                self.back_to_now();
                if let Some(effects) = self.focus_item(pane, &key) {
                    return effects;
                }
                if let Some(step) = step {
                    self.show_step(step);
                }
            }
            self.notice = Some(format!("{}: {}", hit.kind.as_str(), hit.title));
            return Vec::new();
        }
        let index = hit.session_id.as_deref().and_then(|id| {
            self.travel
                .history
                .as_deref()
                .and_then(|h| h.session_index(id))
        });
        match index {
            Some(index) => {
                self.mode = Mode::Session { index, scroll: 0 };
                self.view_effects(index)
            }
            None => {
                self.notice = Some(format!("{}: {}", hit.kind.as_str(), hit.title));
                Vec::new()
            }
        }
    }
}

/// A handoff hit's file name.
fn hit_file(hit: &Hit) -> Option<&str> {
    let file = &hit.source.file;
    (hit.kind == Kind::Handoff).then(|| file.rsplit('/').next().unwrap_or(file))
}
