//! The part of `App::update` that opens forms, feeds them, and turns their saves into
//! effects. Still no I/O: writes leave as `Effect::Write`, answers return as actions.

use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::board::ActiveRef;
use crate::domain::events::EventKind;
use crate::domain::ids::handoff_file_name;
use crate::domain::items::PendingItem;

use super::action::{Effect, WriteOp};
use super::app::{App, Mode};
use super::form::{Form, FormEvent, FormKind, build, submit};
use super::pane::Pane;

pub const NO_SESSION: &str = "no active session: `baton start --goal …` begins one";

impl App {
    /// The session forms act on: the only active one, else the most recently started.
    pub fn target_session(&self) -> Option<&ActiveRef> {
        self.board
            .active
            .iter()
            .max_by(|a, b| a.record.started_at.cmp(&b.record.started_at))
    }

    pub fn selected_pending(&self) -> Option<&PendingItem> {
        self.selected_index(Pane::Pending)
            .and_then(|i| self.board.pending.get(i))
    }

    /// Opens `form`, restoring its draft when one of the same kind and session is kept.
    pub fn open_form(&mut self, mut form: Form) -> Vec<Effect> {
        let name = form.kind.draft_name();
        if let Some((_, draft)) = self.drafts.iter().find(|(n, _)| n == name) {
            form.restore(draft);
        }
        self.form = Some(form);
        self.mode = Mode::Form;
        self.dirty = true;
        Vec::new()
    }

    pub fn open_decision_form(&mut self) -> Vec<Effect> {
        match self.target_session().map(|s| s.record.session_id.clone()) {
            Some(id) => self.open_form(build::decision(&id)),
            None => self.tell(NO_SESSION),
        }
    }

    pub fn open_handoff_form(&mut self) -> Vec<Effect> {
        let Some(session) = self.target_session() else {
            return self.tell(NO_SESSION);
        };
        let record = session.record.clone();
        let date = record.started().unwrap_or(self.now).date_naive();
        let file = handoff_file_name(&record.session_id, date);
        let pending = self.board.knowledge.pending_after(&record);
        self.open_form(build::handoff(&record, &pending, &file))
    }

    pub fn open_end_form(&mut self) -> Vec<Effect> {
        let Some(session) = self.target_session() else {
            return self.tell(NO_SESSION);
        };
        let record = session.record.clone();
        let since = record.started().unwrap_or(self.now);
        let mut effects = self.open_form(build::end(&record));
        effects.push(Effect::CaptureGit {
            session_id: record.session_id,
            since,
        });
        effects
    }

    fn tell(&mut self, text: &str) -> Vec<Effect> {
        self.notice = Some(text.to_string());
        self.dirty = true;
        Vec::new()
    }

    pub fn on_form_event(&mut self, event: FormEvent) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            return Vec::new();
        };
        match event {
            FormEvent::Nothing => Vec::new(),
            FormEvent::Moved => {
                self.dirty = true;
                Vec::new()
            }
            FormEvent::Edited => {
                self.dirty = true;
                vec![Effect::SaveDraft {
                    name: form.kind.draft_name().to_string(),
                    draft: form.draft(self.now),
                }]
            }
            FormEvent::EditExternally => {
                let text = form.focused().map(|f| f.text()).unwrap_or_default();
                vec![Effect::EditExternally(text)]
            }
            FormEvent::Cancel => {
                let name = form.kind.draft_name().to_string();
                self.close_form();
                self.drafts.retain(|(n, _)| *n != name);
                vec![Effect::DeleteDraft(name)]
            }
            FormEvent::Save => {
                self.dirty = true;
                let base = form
                    .session_id
                    .as_deref()
                    .and_then(|id| self.board.active.iter().find(|a| a.record.session_id == id))
                    .map(|a| a.record.clone());
                let Some(form) = self.form.as_mut() else {
                    return Vec::new();
                };
                if form.kind == FormKind::End && base.is_none() {
                    form.note = Some("this session is no longer active".into());
                    return Vec::new();
                }
                match submit::request(form, base.as_ref()) {
                    Some(op) => {
                        form.saving = true;
                        form.note = Some("saving…".into());
                        vec![Effect::Write(op)]
                    }
                    None => {
                        form.note = Some("fix the fields marked below, then Ctrl-S".into());
                        if let Some(i) = form.fields.iter().position(|f| f.error.is_some()) {
                            form.focus = i;
                        }
                        Vec::new()
                    }
                }
            }
        }
    }

    fn close_form(&mut self) {
        self.form = None;
        self.mode = Mode::Normal;
        self.dirty = true;
    }

    pub fn on_written(&mut self, result: Result<String, String>) -> Vec<Effect> {
        self.dirty = true;
        let saving = self.form.as_ref().is_some_and(|f| f.saving);
        match (result, saving) {
            (Ok(message), true) => {
                let name = self
                    .form
                    .as_ref()
                    .map(|f| f.kind.draft_name().to_string())
                    .unwrap_or_default();
                self.close_form();
                self.drafts.retain(|(n, _)| *n != name);
                self.notice = Some(message);
                vec![Effect::DeleteDraft(name), Effect::Load]
            }
            (Err(message), true) => {
                if let Some(form) = self.form.as_mut() {
                    form.saving = false;
                    form.note = Some(format!("not saved: {message}"));
                }
                Vec::new()
            }
            (Ok(message), false) => {
                self.notice = Some(message);
                vec![Effect::Load]
            }
            (Err(message), false) => {
                self.notice = Some(format!("not saved: {message}"));
                Vec::new()
            }
        }
    }

    pub fn on_checklist_key(&mut self, cursor: usize, key: KeyEvent) -> Vec<Effect> {
        self.dirty = true;
        let Some(session) = self.target_session() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        let items = &session.record.checklist;
        let last = items.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 'c') => self.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => {
                self.mode = Mode::Checklist {
                    cursor: (cursor + 1).min(last),
                }
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.mode = Mode::Checklist {
                    cursor: cursor.saturating_sub(1),
                }
            }
            KeyCode::Char(' ') | KeyCode::Enter | KeyCode::Char('x') => {
                if let Some(item) = items.get(cursor) {
                    let op = WriteOp::Log {
                        session_id: session.record.session_id.clone(),
                        kind: EventKind::Check {
                            index: cursor,
                            done: !item.done,
                        },
                    };
                    return vec![Effect::Write(op)];
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
