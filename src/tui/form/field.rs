//! One form field: a line, a multi-line text, a list (one item per line), or a choice.
//! Text editing (cursor, word jumps, undo, wide characters) is ratatui-textarea's.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// One line; Enter moves to the next field.
    Line,
    /// Free text; Enter is a new line.
    Text,
    /// One item per line; `hint` says the line's shape (e.g. "decision | why | impact").
    List { hint: &'static str },
    /// One of fixed options; ←/→ or Space cycle.
    Choice(Vec<String>),
    /// Shown, not edited (e.g. the commits git found).
    Info,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub editor: TextArea<'static>,
    pub choice: usize,
    /// The validation message shown under the field, if any.
    pub error: Option<String>,
    /// Earlier states (lines, cursor) for Ctrl-Z, newest last; Ctrl-R re-applies undone ones.
    undo: Vec<(Vec<String>, (usize, usize))>,
    redo: Vec<(Vec<String>, (usize, usize))>,
}

/// How many edits Ctrl-Z can take back.
const UNDO_DEPTH: usize = 200;

impl Field {
    pub fn new(key: &'static str, label: &'static str, kind: FieldKind, text: &str) -> Field {
        let lines: Vec<String> = if text.is_empty() {
            vec![String::new()]
        } else {
            text.lines().map(str::to_string).collect()
        };
        let last = lines.len() - 1;
        let end = lines[last].chars().count();
        let choice = match &kind {
            FieldKind::Choice(options) => options.iter().position(|o| o == text).unwrap_or(0),
            _ => 0,
        };
        let mut field = Field {
            key,
            label,
            kind,
            required: false,
            editor: TextArea::default(),
            choice,
            error: None,
            undo: Vec::new(),
            redo: Vec::new(),
        };
        field.load(lines, last, end);
        field
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// The field's value: the text, or the chosen option.
    pub fn text(&self) -> String {
        match &self.kind {
            FieldKind::Choice(options) => options.get(self.choice).cloned().unwrap_or_default(),
            _ => self.editor.lines().join("\n").trim().to_string(),
        }
    }

    /// Non-empty trimmed lines (for list fields).
    pub fn items(&self) -> Vec<String> {
        self.editor
            .lines()
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    pub fn set_text(&mut self, text: &str) {
        match &self.kind {
            FieldKind::Choice(options) => {
                if let Some(i) = options.iter().position(|o| o == text.trim()) {
                    self.choice = i;
                }
            }
            _ => {
                let mut fresh = Field::new(self.key, self.label, self.kind.clone(), text);
                fresh.required = self.required;
                *self = fresh;
            }
        }
    }

    pub fn editable(&self) -> bool {
        self.kind != FieldKind::Info
    }

    /// Handles a key meant for this field; returns whether the value changed.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('z') if ctrl => return self.step_history(true),
            KeyCode::Char('r') if ctrl => return self.step_history(false),
            _ => {}
        }
        let before = self.state();
        let changed = self.apply_key(key);
        if changed {
            self.remember(before);
        }
        changed
    }

    fn apply_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match &self.kind {
            FieldKind::Info => false,
            FieldKind::Choice(options) => {
                let n = options.len().max(1);
                match key.code {
                    KeyCode::Left => self.choice = (self.choice + n - 1) % n,
                    KeyCode::Right | KeyCode::Char(' ') => self.choice = (self.choice + 1) % n,
                    KeyCode::Char(c) => match options.iter().position(|o| o.starts_with(c)) {
                        Some(i) => self.choice = i,
                        None => return false,
                    },
                    _ => return false,
                }
                true
            }
            FieldKind::List { .. } if alt && matches!(key.code, KeyCode::Up | KeyCode::Down) => {
                self.move_line(key.code == KeyCode::Up)
            }
            FieldKind::List { .. } if ctrl && key.code == KeyCode::Char('d') => self.delete_line(),
            // The text area's own undo keys are ours (Ctrl-Z / Ctrl-R), so that reorders and
            // deletions undo in one step too.
            _ if ctrl && key.code == KeyCode::Char('u') => false,
            FieldKind::Line if key.code == KeyCode::Enter => false,
            _ => self.editor.input(key),
        }
    }

    fn state(&self) -> (Vec<String>, (usize, usize)) {
        let c = self.editor.cursor();
        (self.editor.lines().to_vec(), (c.0, c.1))
    }

    fn remember(&mut self, before: (Vec<String>, (usize, usize))) {
        self.undo.push(before);
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    fn step_history(&mut self, back: bool) -> bool {
        let (from, to) = if back {
            (&mut self.undo, &mut self.redo)
        } else {
            (&mut self.redo, &mut self.undo)
        };
        let Some((lines, (row, col))) = from.pop() else {
            return false;
        };
        let c = self.editor.cursor();
        to.push((self.editor.lines().to_vec(), (c.0, c.1)));
        self.load(lines, row, col);
        true
    }

    /// Replaces the text area's content, keeping its settings.
    fn load(&mut self, lines: Vec<String>, row: usize, col: usize) {
        let mut editor = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        editor.set_wrap_mode(WrapMode::WordOrGlyph);
        editor.set_cursor_line_style(ratatui::style::Style::new());
        editor.move_cursor(CursorMove::Jump(
            row.min(u16::MAX as usize) as u16,
            col.min(u16::MAX as usize) as u16,
        ));
        self.editor = editor;
    }

    /// Bracketed paste: one line fields take it as one line.
    pub fn paste(&mut self, text: &str) -> bool {
        let before = self.state();
        let changed = match self.kind {
            FieldKind::Line => self
                .editor
                .insert_str(text.split_whitespace().collect::<Vec<_>>().join(" ")),
            FieldKind::Text | FieldKind::List { .. } => self
                .editor
                .insert_str(text.replace("\r\n", "\n").replace('\r', "\n")),
            _ => false,
        };
        if changed {
            self.remember(before);
        }
        changed
    }

    /// Reorders a list: the cursor's line swaps with the one above or below.
    fn move_line(&mut self, up: bool) -> bool {
        let cursor = self.editor.cursor();
        let (row, col) = (cursor.0, cursor.1);
        let mut lines: Vec<String> = self.editor.lines().to_vec();
        let target = if up {
            row.checked_sub(1)
        } else {
            Some(row + 1).filter(|r| *r < lines.len())
        };
        let Some(target) = target else { return false };
        lines.swap(row, target);
        self.replace_lines(lines, target, col);
        true
    }

    /// Removes the cursor's line from a list.
    fn delete_line(&mut self) -> bool {
        let row = self.editor.cursor().0;
        let mut lines: Vec<String> = self.editor.lines().to_vec();
        if lines.len() == 1 {
            if lines[0].is_empty() {
                return false;
            }
            lines[0].clear();
        } else {
            lines.remove(row);
        }
        let row = row.min(lines.len() - 1);
        self.replace_lines(lines, row, 0);
        true
    }

    fn replace_lines(&mut self, lines: Vec<String>, row: usize, col: usize) {
        self.load(lines, row, col);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn list_lines_reorder_and_delete_with_undo() {
        let mut f = Field::new(
            "items",
            "Items",
            FieldKind::List {
                hint: "one per line",
            },
            "a\nb\nc",
        );
        f.editor.move_cursor(CursorMove::Jump(2, 0));
        assert!(f.on_key(KeyEvent::new(KeyCode::Up, KeyModifiers::ALT)));
        assert_eq!(f.items(), vec!["a", "c", "b"]);
        assert!(f.on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)));
        assert_eq!(f.items(), vec!["a", "b"]);
        f.on_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
        assert_eq!(f.items(), vec!["a", "c", "b"]);
    }

    #[test]
    fn typing_wide_characters_and_words() {
        let mut f = Field::new("t", "T", FieldKind::Text, "");
        for c in "日本 語".chars() {
            f.on_key(key(KeyCode::Char(c)));
        }
        f.on_key(KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        f.on_key(key(KeyCode::Char('x')));
        assert_eq!(f.text(), "日本 x語");
    }

    #[test]
    fn line_fields_ignore_enter_and_flatten_paste() {
        let mut f = Field::new("l", "L", FieldKind::Line, "");
        assert!(!f.on_key(key(KeyCode::Enter)));
        f.paste("two\nlines");
        assert_eq!(f.text(), "two lines");
    }

    #[test]
    fn choices_cycle_and_jump_by_letter() {
        let opts = vec!["high".to_string(), "medium".to_string(), "low".to_string()];
        let mut f = Field::new("p", "Priority", FieldKind::Choice(opts), "medium");
        assert_eq!(f.text(), "medium");
        f.on_key(key(KeyCode::Right));
        assert_eq!(f.text(), "low");
        f.on_key(key(KeyCode::Left));
        assert_eq!(f.text(), "medium");
        f.on_key(key(KeyCode::Char('h')));
        assert_eq!(f.text(), "high");
        assert!(!f.on_key(key(KeyCode::Char('z'))));
    }
}
