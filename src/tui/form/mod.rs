//! Keyboard forms: end a session, write a handoff, log a decision, add or edit pending
//! work. A form is plain state; `App::update` feeds it keys and turns a save into the same
//! store request the CLI makes.

pub mod build;
pub mod field;
pub mod submit;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use field::{Field, FieldKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum FormKind {
    Decision,
    /// A new pending item, or the one whose task is `editing`.
    Pending {
        editing: Option<String>,
    },
    Handoff {
        file_name: String,
    },
    End,
}

impl FormKind {
    /// The draft's file name in `.baton/drafts/`: one draft per kind of form.
    pub fn draft_name(&self) -> &'static str {
        match self {
            FormKind::Decision => "decision",
            FormKind::Pending { .. } => "pending",
            FormKind::Handoff { .. } => "handoff",
            FormKind::End => "end",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            FormKind::Decision => "Log a decision",
            FormKind::Pending { editing: None } => "New pending item",
            FormKind::Pending { editing: Some(_) } => "Edit pending item",
            FormKind::Handoff { .. } => "Write the handoff",
            FormKind::End => "End the session",
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    /// Nothing visible changed.
    Nothing,
    /// Cursor, focus or a prompt changed: redraw.
    Moved,
    /// A value changed: redraw and keep the draft.
    Edited,
    Save,
    Cancel,
    /// Open the focused field in `$EDITOR`.
    EditExternally,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub session_id: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// "Discard what you typed?" is showing.
    pub confirm_cancel: bool,
    /// The handoff preview on narrow terminals (always beside the form on wide ones).
    pub show_preview: bool,
    /// A line for the user: a restored draft, what was redacted, why a save failed.
    pub note: Option<String>,
    /// A save is in flight; keys wait.
    pub saving: bool,
    initial: Vec<String>,
}

impl Form {
    pub fn new(kind: FormKind, session_id: Option<String>, fields: Vec<Field>) -> Form {
        let initial = fields.iter().map(Field::text).collect();
        let focus = fields.iter().position(Field::editable).unwrap_or(0);
        Form {
            kind,
            session_id,
            fields,
            focus,
            confirm_cancel: false,
            show_preview: false,
            note: None,
            saving: false,
            initial,
        }
    }

    /// Something was typed since the form opened (or since its draft was restored).
    pub fn is_dirty(&self) -> bool {
        self.fields
            .iter()
            .map(Field::text)
            .ne(self.initial.iter().cloned())
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn field_mut(&mut self, key: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.key == key)
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> FormEvent {
        if self.saving {
            return FormEvent::Nothing;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.confirm_cancel {
            self.confirm_cancel = false;
            return match key.code {
                KeyCode::Char('y' | 'Y') => FormEvent::Cancel,
                _ => FormEvent::Moved,
            };
        }
        match key.code {
            KeyCode::Char('s') if ctrl => return FormEvent::Save,
            KeyCode::Char('e') if ctrl => {
                return if self.focused().is_some_and(|f| {
                    matches!(
                        f.kind,
                        FieldKind::Line | FieldKind::Text | FieldKind::List { .. }
                    )
                }) {
                    FormEvent::EditExternally
                } else {
                    FormEvent::Nothing
                };
            }
            KeyCode::Char('p') if ctrl => {
                self.show_preview = !self.show_preview;
                return FormEvent::Moved;
            }
            KeyCode::Esc => {
                if self.is_dirty() {
                    self.confirm_cancel = true;
                    return FormEvent::Moved;
                }
                return FormEvent::Cancel;
            }
            KeyCode::Tab => return self.step(1),
            KeyCode::BackTab => return self.step(-1),
            _ => {}
        }
        let single = self.focused().is_some_and(|f| {
            matches!(
                f.kind,
                FieldKind::Line | FieldKind::Choice(_) | FieldKind::Info
            )
        });
        if single {
            match key.code {
                KeyCode::Enter | KeyCode::Down => return self.step(1),
                KeyCode::Up => return self.step(-1),
                _ => {}
            }
        }
        let Some(field) = self.fields.get_mut(self.focus) else {
            return FormEvent::Nothing;
        };
        let before = field.text();
        field.on_key(key);
        if field.text() != before {
            field.error = None;
            self.note = None;
            FormEvent::Edited
        } else {
            FormEvent::Moved
        }
    }

    pub fn on_paste(&mut self, text: &str) -> FormEvent {
        match self.fields.get_mut(self.focus).map(|f| f.paste(text)) {
            Some(true) => FormEvent::Edited,
            _ => FormEvent::Nothing,
        }
    }

    /// Moves focus to the next (or previous) editable field, wrapping around.
    fn step(&mut self, delta: isize) -> FormEvent {
        let n = self.fields.len() as isize;
        if n == 0 {
            return FormEvent::Nothing;
        }
        let mut i = self.focus as isize;
        for _ in 0..n {
            i = (i + delta).rem_euclid(n);
            if self.fields[i as usize].editable() {
                break;
            }
        }
        self.focus = i as usize;
        FormEvent::Moved
    }

    /// Replaces the focused field's text (after `$EDITOR`).
    pub fn set_focused_text(&mut self, text: &str) {
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.set_text(text.trim_end_matches('\n'));
        }
    }

    /// The draft kept on disk while typing.
    pub fn draft(&self, saved_at: DateTime<Utc>) -> Value {
        let fields: Map<String, Value> = self
            .fields
            .iter()
            .filter(|f| f.editable())
            .map(|f| (f.key.to_string(), Value::String(f.text())))
            .collect();
        let mut doc = match serde_json::to_value(&self.kind) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        doc.insert(
            "session_id".into(),
            self.session_id.clone().map_or(Value::Null, Value::String),
        );
        doc.insert(
            "saved_at".into(),
            Value::String(crate::domain::time::format_timestamp(saved_at)),
        );
        doc.insert("fields".into(), Value::Object(fields));
        Value::Object(doc)
    }

    /// Fills the form from a draft of the same kind and session; false if it does not fit.
    pub fn restore(&mut self, draft: &Value) -> bool {
        let kind: Option<FormKind> = serde_json::from_value(draft.clone()).ok();
        let session = draft
            .get("session_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        if kind.as_ref() != Some(&self.kind) || session != self.session_id {
            return false;
        }
        let Some(fields) = draft.get("fields").and_then(Value::as_object) else {
            return false;
        };
        for f in self.fields.iter_mut().filter(|f| f.editable()) {
            if let Some(text) = fields.get(f.key).and_then(Value::as_str) {
                f.set_text(text);
            }
        }
        let at = draft
            .get("saved_at")
            .and_then(Value::as_str)
            .unwrap_or("earlier");
        self.note = Some(format!("restored your draft from {at}"));
        true
    }
}
