//! The dashboard's state and its one transition function, `update(Action) -> Vec<Effect>`.
//! No I/O happens here: the runtime feeds actions in and runs the effects that come out,
//! and render functions read `&App`. Time arrives as data (`Tick`), so tests pin it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use crate::domain::board::Board;
use crate::domain::text::normalize;
use crate::domain::time::short_age;

use super::action::{Action, Command, Effect, WriteOp};
use super::app_forms::NO_SESSION;
use super::form::{Form, FormEvent, build};
use super::keymap::command_for;
use super::layout::{self, Areas};
use super::pane::Pane;
use super::rows;
use super::theme::Theme;
use crate::store::edit::PendingEdit;

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter for the focused pane.
    Filtering,
    Help,
    /// The full-screen handoff reader, scrolled by this many lines.
    Reader {
        scroll: u16,
    },
    /// Every field of the selected pending item or decision.
    Detail,
    /// A form is open (`App::form`).
    Form,
    /// A yes/no question before a write.
    Confirm {
        prompt: String,
        op: Box<WriteOp>,
    },
    /// The active session's template checklist, with a cursor.
    Checklist {
        cursor: usize,
    },
    /// The session browser (`t`), newest first, with a cursor.
    Browser {
        cursor: usize,
    },
    /// One session: its context, handoff, decisions and commits (`index` into the history).
    Session {
        index: usize,
        scroll: u16,
    },
    /// The search box and its results (`s`), with a cursor on the results.
    Search {
        cursor: usize,
    },
    /// The browser's dated timeline (`Tab` in the browser), newest first, with a cursor
    /// (`tui/timeline.rs`).
    Timeline {
        cursor: usize,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    /// Index into the pane's visible rows.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    pub filter: String,
    /// Identity of the selected item, to find it again after a reload.
    pub key: Option<String>,
}

/// The last change the watcher reported, for the footer.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub what: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct App {
    pub dir: PathBuf,
    pub board: Board,
    /// False until the first load arrives.
    pub loaded: bool,
    pub load_error: Option<String>,
    pub focus: Pane,
    pub lists: [ListState; 4],
    /// Row indices per pane after filtering (into the board's collections; decisions and
    /// handoffs newest first).
    pub rows: [Vec<usize>; 4],
    pub mode: Mode,
    pub width: u16,
    pub height: u16,
    pub now: DateTime<Utc>,
    pub last_change: Option<Change>,
    /// Service health: trackers, the plan of checks, what the Health pane shows.
    pub health: super::health::HealthState,
    /// Time travel and search: the history, the as-of step shown, the search box.
    pub travel: super::timetravel::TimeTravel,
    /// The timeline and the session view's content, read through the store.
    pub views: super::timeline::Views,
    /// The selected handoff's text: (file name, text).
    pub preview: Option<(String, String)>,
    pub theme: Theme,
    /// The open form, when `mode` is `Mode::Form`.
    pub form: Option<Form>,
    /// Form drafts found on disk (by form name), offered when that form opens.
    pub drafts: Vec<(String, serde_json::Value)>,
    /// A one-line message for the footer (what a save did, why it failed), until the next key.
    pub notice: Option<String>,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// A delivery of the memory-server outbox is asked for (`Effect::Sync`) and not back yet.
    pub sync_scheduled: bool,
    /// What the clock-dependent text read at the last frame; a tick redraws only if it moved.
    clock_face: String,
}

impl App {
    pub fn new(dir: PathBuf, now: DateTime<Utc>, width: u16, height: u16, theme: Theme) -> App {
        App {
            dir,
            board: Board::default(),
            loaded: false,
            load_error: None,
            focus: Pane::Pending,
            lists: Default::default(),
            rows: Default::default(),
            mode: Mode::Normal,
            width,
            height,
            now,
            last_change: None,
            health: Default::default(),
            travel: Default::default(),
            views: Default::default(),
            preview: None,
            theme,
            form: None,
            drafts: Vec::new(),
            notice: None,
            dirty: true,
            sync_scheduled: false,
            clock_face: String::new(),
        }
    }

    /// The effects to run when the dashboard starts.
    pub fn init(&self) -> Vec<Effect> {
        vec![Effect::Load, Effect::LoadDrafts]
    }

    pub fn areas(&self) -> Areas {
        let header = layout::header_height(
            self.board.active.len(),
            !self.board.problems.is_empty(),
            self.height,
        );
        layout::areas(self.width, self.height, header, self.focus)
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Key(key) => self.on_key(key),
            Action::Mouse(mouse) => self.on_mouse(mouse),
            Action::Paste(text) if self.mode == Mode::Form => {
                let event = self
                    .form
                    .as_mut()
                    .map_or(FormEvent::Nothing, |f| f.on_paste(&text));
                self.on_form_event(event)
            }
            Action::Written(result) => self.on_written(result),
            Action::DraftsLoaded(drafts) => {
                if let Some((name, _)) = drafts.first() {
                    self.notice = Some(format!(
                        "a draft of the {name} form is kept: open that form to continue it"
                    ));
                    self.dirty = true;
                }
                self.drafts = drafts;
                Vec::new()
            }
            Action::GitCaptured {
                session_id,
                commits,
                files,
            } => {
                if let Some(form) = self.form.as_mut()
                    && form.kind == super::form::FormKind::End
                    && form.session_id.as_deref() == Some(session_id.as_str())
                {
                    build::fill_git(form, &commits, &files);
                    self.dirty = true;
                }
                Vec::new()
            }
            Action::ExternalEdited(text) => {
                self.dirty = true;
                match (text, self.form.as_mut()) {
                    (Some(text), Some(form)) => {
                        form.set_focused_text(&text);
                        self.on_form_event(FormEvent::Edited)
                    }
                    (None, Some(form)) => {
                        form.note = Some("the editor did not save; the field is unchanged".into());
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
            Action::Paste(text) => {
                if self.mode == Mode::Filtering {
                    let list = &mut self.lists[self.focus.index()];
                    list.filter
                        .push_str(text.lines().next().unwrap_or_default());
                    self.refilter(self.focus);
                    self.dirty = true;
                }
                Vec::new()
            }
            Action::Resize(w, h) => {
                (self.width, self.height) = (w, h);
                self.clamp_all();
                self.dirty = true;
                Vec::new()
            }
            Action::Tick(now) => {
                self.now = now;
                let face = self.clock_face();
                if face != self.clock_face {
                    self.clock_face = face;
                    self.dirty = true;
                }
                Vec::new()
            }
            Action::FilesChanged {
                paths,
                removed,
                rescan,
                at,
            } => {
                if let Some(what) = describe_change(&self.dir, &paths, &removed, rescan) {
                    self.last_change = Some(Change { what, at });
                    self.dirty = true;
                }
                let mut effects = vec![Effect::Load];
                effects.extend(self.forget_history());
                self.forget_views(&mut effects);
                effects
            }
            Action::Loaded(result) => self.on_loaded(*result),
            Action::LoadedPreview(result) if !self.loaded => self.on_loaded(*result),
            Action::LoadedPreview(_) => Vec::new(),
            Action::HistoryLoaded(result) => self.on_history(*result),
            Action::SessionViewLoaded { id, view } => self.on_session_view(&id, *view),
            Action::TimelineLoaded(result) => self.on_timeline(*result),
            Action::SearchResults { query, result } => self.on_search_results(query, *result),
            Action::Synced(report) => self.on_synced(*report),
            Action::HealthChecked {
                service,
                generation,
                result,
            } => self.on_health_checked(service, generation, *result),
            Action::HandoffLoaded { file, text } => {
                if self.selected_handoff().is_some_and(|h| h == file) {
                    self.preview = Some((file, text));
                    self.dirty = true;
                }
                Vec::new()
            }
        }
    }

    fn on_loaded(&mut self, result: Result<Board, String>) -> Vec<Effect> {
        self.dirty = true;
        match result {
            Err(e) => {
                self.load_error = Some(e);
                Vec::new()
            }
            Ok(board) => {
                self.loaded = true;
                self.load_error = None;
                if self.in_past() {
                    // The past stays on screen; the live board waits for Esc.
                    self.travel.live = Some(Box::new(board));
                } else {
                    self.set_board(board);
                }
                // SERVICES.json may be what changed: re-plan the checks (a no-op if not).
                let mut effects = self.health.plan(&self.board.services);
                effects.extend(self.sync_effects());
                // Re-read the selected handoff: its text may be what changed.
                effects.extend(self.selected_handoff().map(Effect::LoadHandoff));
                effects
            }
        }
    }

    /// Shows `board`, re-deriving every pane's rows (selections follow their items).
    pub fn set_board(&mut self, board: Board) {
        self.board = board;
        for pane in Pane::ALL {
            self.refilter(pane);
        }
        self.clamp_all();
        self.dirty = true;
    }

    /// Selects row `pos` of `pane` (and remembers the item, for reloads).
    pub fn select_row(&mut self, pane: Pane, pos: usize) {
        let len = self.rows[pane.index()].len();
        if len == 0 {
            return;
        }
        self.lists[pane.index()].selected = pos.min(len - 1);
        self.remember_key(pane);
        self.scroll_into_view(pane);
    }

    /// Focuses `pane` and selects the item whose selection key is `key` (a handoff's file
    /// name, a decision's or pending item's normalized text), clearing the pane's filter if
    /// it hides the item; asks for a handoff's text. `None` (nothing changed) when the board
    /// has no such item.
    pub fn focus_item(&mut self, pane: Pane, key: &str) -> Option<Vec<Effect>> {
        let len = match pane {
            Pane::Pending => self.board.pending.len(),
            Pane::Decisions => self.board.decisions.len(),
            Pane::Handoffs => self.board.handoffs.len(),
            Pane::Health => self.board.services.len(),
        };
        if !(0..len).any(|i| self.key_matches(pane, i, key)) {
            return None;
        }
        let find = |app: &App| {
            app.rows[pane.index()]
                .iter()
                .position(|&i| app.key_matches(pane, i, key))
        };
        let pos = match find(self) {
            Some(pos) => pos,
            None => {
                self.lists[pane.index()].filter.clear();
                self.refilter(pane);
                find(self)?
            }
        };
        self.focus = pane;
        self.clamp_all();
        self.select_row(pane, pos);
        self.dirty = true;
        Some(if pane == Pane::Handoffs {
            self.handoff_effects()
        } else {
            Vec::new()
        })
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        self.notice = None;
        match &self.mode {
            Mode::Filtering => return self.on_filter_key(key),
            Mode::Form => {
                if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                    return vec![Effect::Quit];
                }
                let event = self
                    .form
                    .as_mut()
                    .map_or(FormEvent::Cancel, |f| f.on_key(key));
                return self.on_form_event(event);
            }
            Mode::Confirm { op, .. } => {
                let op = (**op).clone();
                self.mode = Mode::Normal;
                self.dirty = true;
                return match key.code {
                    KeyCode::Char('y' | 'Y') | KeyCode::Enter => vec![Effect::Write(op)],
                    _ => Vec::new(),
                };
            }
            Mode::Checklist { cursor } => return self.on_checklist_key(*cursor, key),
            Mode::Browser { cursor } if super::timeline::switches_view(&key) => {
                return self.open_timeline(*cursor);
            }
            Mode::Browser { cursor } => return self.on_browser_key(*cursor, key),
            Mode::Timeline { cursor } => return self.on_timeline_key(*cursor, key),
            Mode::Session { index, scroll } => return self.on_session_key(*index, *scroll, key),
            Mode::Search { cursor } => return self.on_search_key(*cursor, key),
            _ => {}
        }
        if self.mode == Mode::Help {
            self.mode = Mode::Normal;
            self.dirty = true;
            return Vec::new();
        }
        let Some(command) = command_for(&key) else {
            return Vec::new();
        };
        self.dirty = true;
        self.on_command(command)
    }

    pub fn on_command(&mut self, command: Command) -> Vec<Effect> {
        match (&self.mode, command) {
            (_, Command::Quit) if key_quits(&self.mode) => return vec![Effect::Quit],
            (Mode::Help, _) => self.mode = Mode::Normal,
            (Mode::Reader { scroll }, c) => {
                let page = self.height.saturating_sub(4).max(1);
                let scroll = *scroll;
                self.mode = match c {
                    Command::Back | Command::Open => Mode::Normal,
                    Command::Up => Mode::Reader {
                        scroll: scroll.saturating_sub(1),
                    },
                    Command::Down => Mode::Reader {
                        scroll: scroll.saturating_add(1).min(self.reader_max_scroll()),
                    },
                    Command::PageUp => Mode::Reader {
                        scroll: scroll.saturating_sub(page),
                    },
                    Command::PageDown => Mode::Reader {
                        scroll: scroll.saturating_add(page).min(self.reader_max_scroll()),
                    },
                    Command::Top => Mode::Reader { scroll: 0 },
                    Command::Bottom => Mode::Reader {
                        scroll: self.reader_max_scroll(),
                    },
                    Command::Quit => return vec![Effect::Quit],
                    _ => Mode::Reader { scroll },
                };
            }
            (Mode::Detail, Command::Back | Command::Open) => self.mode = Mode::Normal,
            (Mode::Detail, _) => {}
            (
                Mode::Form
                | Mode::Confirm { .. }
                | Mode::Checklist { .. }
                | Mode::Filtering
                | Mode::Browser { .. }
                | Mode::Session { .. }
                | Mode::Search { .. }
                | Mode::Timeline { .. },
                _,
            ) => {}
            // The past is read-only: an edit would write today's files from a past row.
            (_, c) if self.in_past() && edits(c, self.focus) => {
                self.notice = Some(READ_ONLY.into());
                // Enter on a pending item still shows it, without its edit form.
                if c == Command::Open && !self.rows[Pane::Pending.index()].is_empty() {
                    self.mode = Mode::Detail;
                }
            }
            (_, Command::WriteHandoff) => return self.open_handoff_form(),
            (_, Command::EndSession) => return self.open_end_form(),
            (_, Command::LogDecision) => return self.open_decision_form(),
            (_, Command::NewPending) => return self.open_form(build::pending(None)),
            (_, Command::PendingDone) => {
                if let Some(item) = self.selected_pending().cloned() {
                    self.focus = Pane::Pending;
                    self.mode = Mode::Confirm {
                        prompt: format!("Mark {:?} done? It leaves pending work. y / n", item.task),
                        op: Box::new(WriteOp::Pending(PendingEdit::Done { task: item.task })),
                    };
                }
            }
            (_, Command::CyclePriority) => {
                if let Some(item) = self.selected_pending() {
                    let next = match item.priority {
                        crate::domain::items::Priority::High => {
                            crate::domain::items::Priority::Medium
                        }
                        crate::domain::items::Priority::Medium => {
                            crate::domain::items::Priority::Low
                        }
                        crate::domain::items::Priority::Low => crate::domain::items::Priority::High,
                    };
                    let task = item.task.clone();
                    self.notice = Some(format!("priority of {task:?} → {}", next.as_str()));
                    return vec![Effect::Write(WriteOp::Pending(PendingEdit::SetPriority {
                        task,
                        priority: next,
                    }))];
                }
            }
            (_, Command::Checklist) => match self.target_session() {
                Some(s) if !s.record.checklist.is_empty() => {
                    self.mode = Mode::Checklist { cursor: 0 }
                }
                Some(_) => {
                    self.notice = Some(
                        "this session has no template checklist (`baton start --template …`)"
                            .into(),
                    )
                }
                None => self.notice = Some(NO_SESSION.into()),
            },
            (_, Command::Quit) => return vec![Effect::Quit],
            (_, Command::Help) => self.mode = Mode::Help,
            (_, Command::Recheck) => return self.health.recheck(),
            (_, Command::FocusNext) => return self.focus_pane(self.focus.next()),
            (_, Command::FocusPrev) => return self.focus_pane(self.focus.prev()),
            (_, Command::Focus(p)) => return self.focus_pane(p),
            (_, Command::Up) => return self.move_by(-1),
            (_, Command::Down) => return self.move_by(1),
            (_, Command::PageUp) => return self.move_by(-(self.page_rows() as isize)),
            (_, Command::PageDown) => return self.move_by(self.page_rows() as isize),
            (_, Command::Top) => return self.move_by(isize::MIN / 2),
            (_, Command::Bottom) => return self.move_by(isize::MAX / 2),
            (_, Command::Filter) => self.mode = Mode::Filtering,
            (_, Command::Back) => {
                let pane = self.focus;
                if !self.lists[pane.index()].filter.is_empty() {
                    self.lists[pane.index()].filter.clear();
                    self.refilter(pane);
                } else if self.in_past() {
                    self.back_to_now();
                    return self.handoff_effects();
                }
            }
            (_, Command::Browse) => return self.open_browser(),
            (_, Command::StepBack) => return self.step_time(true),
            (_, Command::StepForward) => return self.step_time(false),
            (_, Command::Search) => return self.open_search(),
            (_, Command::Open) => match self.focus {
                Pane::Handoffs if self.selected_handoff().is_some() => {
                    self.mode = Mode::Reader { scroll: 0 }
                }
                Pane::Pending => {
                    if let Some(item) = self.selected_pending().cloned() {
                        return self.open_form(build::pending(Some(&item)));
                    }
                }
                Pane::Decisions | Pane::Health if !self.rows[self.focus.index()].is_empty() => {
                    self.mode = Mode::Detail
                }
                _ => {}
            },
        }
        Vec::new()
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let pane = self.focus;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => return vec![Effect::Quit],
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Esc => {
                self.lists[pane.index()].filter.clear();
                self.mode = Mode::Normal;
                self.refilter(pane);
            }
            KeyCode::Backspace => {
                self.lists[pane.index()].filter.pop();
                self.refilter(pane);
            }
            KeyCode::Char('u') if ctrl => {
                self.lists[pane.index()].filter.clear();
                self.refilter(pane);
            }
            KeyCode::Char(c) if !ctrl => {
                self.lists[pane.index()].filter.push(c);
                self.refilter(pane);
            }
            KeyCode::Up | KeyCode::Down => {
                let delta = if key.code == KeyCode::Up { -1 } else { 1 };
                self.dirty = true;
                return self.move_by(delta);
            }
            _ => return Vec::new(),
        }
        self.dirty = true;
        if pane == Pane::Handoffs {
            self.handoff_effects()
        } else {
            Vec::new()
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if !matches!(self.mode, Mode::Normal | Mode::Reader { .. }) {
            return Vec::new();
        }
        if let Mode::Reader { .. } = self.mode {
            return match mouse.kind {
                MouseEventKind::ScrollUp => self.on_command(Command::Up),
                MouseEventKind::ScrollDown => self.on_command(Command::Down),
                _ => Vec::new(),
            };
        }
        let areas = self.areas();
        if let Some(tabs) = areas.tabs
            && mouse.kind == MouseEventKind::Down(MouseButton::Left)
            && mouse.row == tabs.y
        {
            let slot =
                (mouse.column.saturating_sub(tabs.x) as usize * 4) / tabs.width.max(1) as usize;
            self.dirty = true;
            return self.focus_pane(Pane::from_index(slot.min(3)));
        }
        let Some(pane) = areas.pane_at(mouse.column, mouse.row) else {
            return Vec::new();
        };
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let mut effects = self.focus_pane(pane);
                let area = areas.pane(pane).unwrap_or_default();
                let row = mouse.row as isize - area.y as isize - 1;
                if row >= 0 {
                    let target = self.lists[pane.index()].offset + row as usize;
                    if target < self.rows[pane.index()].len() {
                        let delta = target as isize - self.lists[pane.index()].selected as isize;
                        effects.extend(self.move_by(delta));
                    }
                }
                self.dirty = true;
                effects
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let delta = if mouse.kind == MouseEventKind::ScrollUp {
                    -3
                } else {
                    3
                };
                let mut effects = self.focus_pane(pane);
                effects.extend(self.move_by(delta));
                self.dirty = true;
                effects
            }
            _ => Vec::new(),
        }
    }

    fn focus_pane(&mut self, pane: Pane) -> Vec<Effect> {
        self.focus = pane;
        self.clamp_all();
        Vec::new()
    }

    fn move_by(&mut self, delta: isize) -> Vec<Effect> {
        let pane = self.focus;
        let len = self.rows[pane.index()].len();
        if len == 0 {
            return Vec::new();
        }
        let list = &mut self.lists[pane.index()];
        let target = (list.selected as isize)
            .saturating_add(delta)
            .clamp(0, len as isize - 1) as usize;
        if target == list.selected {
            return Vec::new();
        }
        list.selected = target;
        self.remember_key(pane);
        self.scroll_into_view(pane);
        if pane == Pane::Handoffs {
            self.handoff_effects()
        } else {
            Vec::new()
        }
    }

    /// Asks for the selected handoff's text unless it is already shown.
    pub(super) fn handoff_effects(&mut self) -> Vec<Effect> {
        match self.selected_handoff() {
            Some(file) if self.preview.as_ref().is_none_or(|(f, _)| *f != file) => {
                vec![Effect::LoadHandoff(file)]
            }
            _ => Vec::new(),
        }
    }

    pub fn selected_handoff(&self) -> Option<String> {
        let i = self.selected_index(Pane::Handoffs)?;
        self.board.handoffs.get(i).map(|h| h.file_name.clone())
    }

    /// Index into the board's collection of the selected row of `pane`.
    pub fn selected_index(&self, pane: Pane) -> Option<usize> {
        let list = &self.lists[pane.index()];
        self.rows[pane.index()].get(list.selected).copied()
    }

    fn page_rows(&self) -> usize {
        self.areas()
            .pane(self.focus)
            .map_or(10, layout::inner_rows)
            .max(1)
    }

    fn scroll_into_view(&mut self, pane: Pane) {
        let visible = self.areas().pane(pane).map_or(1, layout::inner_rows).max(1);
        let len = self.rows[pane.index()].len();
        let list = &mut self.lists[pane.index()];
        if list.selected < list.offset {
            list.offset = list.selected;
        } else if list.selected >= list.offset + visible {
            list.offset = list.selected + 1 - visible;
        }
        list.offset = list.offset.min(len.saturating_sub(visible));
    }

    fn clamp_all(&mut self) {
        for pane in Pane::ALL {
            let len = self.rows[pane.index()].len();
            let list = &mut self.lists[pane.index()];
            list.selected = list.selected.min(len.saturating_sub(1));
            self.scroll_into_view(pane);
        }
    }

    fn remember_key(&mut self, pane: Pane) {
        let key = self.selected_index(pane).map(|i| self.item_key(pane, i));
        self.lists[pane.index()].key = key;
    }

    fn item_key(&self, pane: Pane, i: usize) -> String {
        if pane == Pane::Decisions
            && let Some(k) = self.travel.decision_key(i)
        {
            return k.to_string();
        }
        match pane {
            Pane::Pending => self.board.pending.get(i).map(|p| normalize(&p.task)),
            Pane::Decisions => self.board.decisions.get(i).map(|d| normalize(&d.decision)),
            Pane::Handoffs => self.board.handoffs.get(i).map(|h| h.file_name.clone()),
            Pane::Health => self.board.services.get(i).map(|s| s.name.clone()),
        }
        .unwrap_or_default()
    }

    /// `item_key(pane, i) == key`, without building a key where none is needed.
    fn key_matches(&self, pane: Pane, i: usize, key: &str) -> bool {
        match pane {
            Pane::Handoffs => self
                .board
                .handoffs
                .get(i)
                .is_some_and(|h| h.file_name == key),
            Pane::Health => self.board.services.get(i).is_some_and(|s| s.name == key),
            Pane::Decisions if self.travel.decision_key(i).is_some() => {
                self.travel.decision_key(i) == Some(key)
            }
            _ => self.item_key(pane, i) == key,
        }
    }

    /// Recomputes a pane's rows from the board and its filter, keeping the selected item
    /// selected when it is still there.
    fn refilter(&mut self, pane: Pane) {
        let filter = self.lists[pane.index()].filter.clone();
        self.rows[pane.index()] = rows::visible_rows(&self.board, pane, &filter);
        let key = self.lists[pane.index()].key.clone();
        if let Some(key) = key
            && let Some(pos) = self.rows[pane.index()]
                .iter()
                .position(|&i| self.key_matches(pane, i, &key))
        {
            self.lists[pane.index()].selected = pos;
        }
        let len = self.rows[pane.index()].len();
        let list = &mut self.lists[pane.index()];
        list.selected = list.selected.min(len.saturating_sub(1));
        if list.key.is_none() {
            self.remember_key(pane);
        }
        self.scroll_into_view(pane);
    }

    fn reader_max_scroll(&self) -> u16 {
        let lines = self.preview.as_ref().map_or(0, |(_, t)| t.lines().count());
        u16::try_from(lines.saturating_sub(3)).unwrap_or(u16::MAX)
    }

    /// Every clock-dependent string on screen; a tick redraws only when one changes.
    fn clock_face(&self) -> String {
        let mut face = String::new();
        for a in &self.board.active {
            if let Some(start) = a.record.started() {
                face.push_str(&elapsed((self.now - start).num_seconds()));
            }
        }
        if let Some(c) = &self.last_change {
            face.push_str(&short_age((self.now - c.at).num_seconds()));
        }
        face.push_str(&self.health.clock_face(self.now));
        face
    }
}

/// What an edit key says while the as-of view is shown.
pub const READ_ONLY: &str = "viewing the past (read-only) — Esc returns to now";

/// Commands that open a form or write (DESIGN.md's `h`, `e`, `d`, `n`, `x`, `p`, the
/// checklist, and Enter on a pending item, which opens its edit form).
fn edits(command: Command, focus: Pane) -> bool {
    matches!(
        command,
        Command::WriteHandoff
            | Command::EndSession
            | Command::LogDecision
            | Command::NewPending
            | Command::PendingDone
            | Command::CyclePriority
            | Command::Checklist
    ) || (command == Command::Open && focus == Pane::Pending)
}

fn key_quits(mode: &Mode) -> bool {
    matches!(mode, Mode::Normal)
}

/// "12 m" / "1 h 05 m" / "3 d": a session's elapsed time (minutes are enough for a header;
/// past two days only days matter).
pub fn elapsed(seconds: i64) -> String {
    let m = seconds.max(0) / 60;
    match m {
        0..60 => format!("{m} m"),
        60..2880 => format!("{} h {:02} m", m / 60, m % 60),
        _ => format!("{} d", m / 1440),
    }
}

/// "handoff 2025-11-20_session_1.md changed": what the footer says about a change.
pub fn describe_change(
    root: &Path,
    paths: &[PathBuf],
    removed: &[PathBuf],
    rescan: bool,
) -> Option<String> {
    if rescan {
        return Some("directory rescanned".into());
    }
    let path = paths.iter().find(|p| !is_private(root, p))?;
    let rel = path.strip_prefix(root).unwrap_or(path);
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| rel.display().to_string());
    let parent = rel
        .parent()
        .and_then(|p| p.file_name())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = match (parent.as_str(), name.as_str()) {
        ("SESSION_HANDOFFS", _) => "handoff",
        ("ACTIVE_SESSIONS", _) => "session",
        ("SESSION_LOGS", _) => "archive",
        (_, "UNIFIED_KNOWLEDGE.json") => "knowledge base",
        (_, "SERVICES.json") => "services",
        _ if name.ends_with(".json") || name.ends_with(".log") => "log",
        _ => "file",
    };
    let more = if paths.len() > 1 {
        format!(" (+{} more)", paths.len() - 1)
    } else {
        String::new()
    };
    let verb = if removed.contains(path) {
        "removed"
    } else {
        "changed"
    };
    Some(format!("{kind} {name} {verb}{more}"))
}

fn is_private(root: &Path, p: &Path) -> bool {
    p.strip_prefix(root)
        .is_ok_and(|r| r.starts_with(crate::store::layout::PRIVATE))
}
