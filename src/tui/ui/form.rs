//! Forms: fields stacked top to bottom (scrolled so the focused one shows), the handoff's
//! live preview beside them on wide terminals (Ctrl-P on narrow ones), and the prompts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::form::field::{Field, FieldKind};
use crate::tui::form::{Form, FormKind, submit};

use super::fit::fit;
use super::markdown;

/// From this width the handoff preview sits beside the form.
const SIDE_PREVIEW_WIDTH: u16 = 100;

pub fn render(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let Some(form) = &app.form else { return };
    let t = app.theme;
    frame.render_widget(Clear, area);
    let session = form
        .session_id
        .as_deref()
        .map(|s| format!(" — {s}"))
        .unwrap_or_default();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(t.focused_border())
        .title(Span::styled(
            format!(" {}{session} ", form.kind.title()),
            t.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [note_area, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let note = match &form.note {
        Some(n) if n.starts_with("not saved") || n.starts_with("fix") => {
            Span::styled(fit(n, note_area.width as usize), t.error())
        }
        Some(n) => Span::styled(fit(n, note_area.width as usize), t.warning()),
        None => Span::styled(fit(hint_for(form), note_area.width as usize), t.dim()),
    };
    frame.render_widget(Paragraph::new(Line::from(note)), note_area);

    let is_handoff = matches!(form.kind, FormKind::Handoff { .. });
    if is_handoff && body.width >= SIDE_PREVIEW_WIDTH {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        fields(app, form, frame, left);
        preview(app, form, frame, right);
    } else if is_handoff && form.show_preview {
        preview(app, form, frame, body);
    } else {
        fields(app, form, frame, body);
    }
    if form.confirm_cancel {
        confirm(app, frame, area, "Discard what you typed? y / n");
    }
}

fn hint_for(form: &Form) -> &'static str {
    match form.kind {
        FormKind::Handoff { .. } => {
            "Items one per line · Alt-↑↓ reorder · Ctrl-D delete line · Ctrl-P preview"
        }
        FormKind::End => {
            "Lists: one item per line · Alt-↑↓ reorder · Ctrl-D delete line · saving ends the session"
        }
        _ => "Tab moves between fields · Ctrl-S saves",
    }
}

fn field_height(f: &Field) -> u16 {
    let lines = f.editor.lines().len() as u16;
    let body = match f.kind {
        FieldKind::Line | FieldKind::Choice(_) => 1,
        FieldKind::Info => lines.clamp(1, 4),
        FieldKind::Text | FieldKind::List { .. } => (lines + 1).clamp(2, 8),
    };
    body + 2 + u16::from(f.error.is_some())
}

fn fields(app: &App, form: &Form, frame: &mut Frame<'_>, area: Rect) {
    let heights: Vec<u16> = form.fields.iter().map(field_height).collect();
    // Scroll so the focused field is on screen.
    let mut start = 0;
    while start < form.focus && heights[start..=form.focus].iter().sum::<u16>() > area.height {
        start += 1;
    }
    let mut y = area.y;
    for (i, f) in form.fields.iter().enumerate().skip(start) {
        let h = heights[i].min(area.bottom().saturating_sub(y));
        if h < 3 {
            break;
        }
        let rect = Rect {
            x: area.x,
            y,
            width: area.width,
            height: h,
        };
        field(app, f, i == form.focus, frame, rect);
        y += h;
    }
}

fn field(app: &App, f: &Field, focused: bool, frame: &mut Frame<'_>, area: Rect) {
    let t = app.theme;
    let mut title = vec![Span::styled(
        format!(" {}{} ", f.label, if f.required { " *" } else { "" }),
        if focused { t.title() } else { t.bold() },
    )];
    if let FieldKind::List { hint } = f.kind {
        title.push(Span::styled(format!("{hint} "), t.dim()));
    }
    let error_h = u16::from(f.error.is_some());
    let box_area = Rect {
        height: area.height - error_h,
        ..area
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused {
            t.focused_border()
        } else {
            t.border()
        })
        .title(Line::from(title));
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    match &f.kind {
        FieldKind::Choice(options) => {
            let spans: Vec<Span<'_>> = options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    if i == f.choice {
                        Span::styled(format!("[{o}]"), t.selected())
                    } else {
                        Span::styled(format!(" {o} "), t.dim())
                    }
                })
                .collect();
            frame.render_widget(Paragraph::new(Line::from(spans)), inner);
        }
        _ if focused && f.editable() => frame.render_widget(&f.editor, inner),
        _ => {
            let lines: Vec<Line<'_>> = f
                .editor
                .lines()
                .iter()
                .map(|l| Line::raw(l.as_str()))
                .collect();
            let style = if f.kind == FieldKind::Info {
                t.dim()
            } else {
                ratatui::style::Style::new()
            };
            frame.render_widget(
                Paragraph::new(lines)
                    .style(style)
                    .wrap(Wrap { trim: false }),
                inner,
            );
        }
    }
    if let Some(e) = &f.error {
        let line = Rect {
            y: area.bottom() - 1,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&format!("  {e}"), area.width as usize),
                t.error(),
            )),
            line,
        );
    }
}

fn preview(app: &App, form: &Form, frame: &mut Frame<'_>, area: Rect) {
    let t = app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(t.border())
        .title(Span::styled(" Preview ", t.bold()));
    let lines = markdown::render(&submit::handoff_text(form), t);
    let inner_h = block.inner(area).height as usize;
    // The preview follows nothing but the top: show the start, as the file begins.
    let lines: Vec<Line<'_>> = lines.into_iter().take(inner_h * 2).collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

pub fn confirm(app: &App, frame: &mut Frame<'_>, area: Rect, prompt: &str) {
    let t = app.theme;
    let width = (super::fit::width(prompt) as u16 + 4)
        .min(area.width)
        .max(3);
    // Room for the prompt wrapped at this width, plus the border.
    let inner = width.saturating_sub(2).max(1) as usize;
    let lines = super::fit::width(prompt).div_ceil(inner).max(1) as u16;
    let height = (lines + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(t.warning());
    frame.render_widget(
        Paragraph::new(Span::styled(prompt.to_string(), t.bold()))
            .block(block)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

pub fn checklist(app: &App, frame: &mut Frame<'_>, cursor: usize) {
    let t = app.theme;
    let Some(session) = app.target_session() else {
        return;
    };
    let items = &session.record.checklist;
    let area = frame.area();
    let height = (items.len() as u16 + 4).min(area.height.saturating_sub(1));
    let width = area.width.saturating_sub(4).min(70);
    let rect = Rect {
        x: (area.width - width) / 2,
        y: (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let mut lines = Vec::new();
    let mut section = "";
    for (i, item) in items.iter().enumerate() {
        if item.section != section {
            section = &item.section;
            lines.push(Line::styled(section.to_string(), t.accent()));
        }
        let mark = if item.done { "[x]" } else { "[ ]" };
        let line = Line::from(vec![
            Span::raw(format!(" {mark} ")),
            Span::raw(item.item.clone()),
        ]);
        lines.push(if i == cursor {
            line.patch_style(t.selected())
        } else {
            line
        });
    }
    let title = format!(
        " Checklist ({}) — Space toggles, Esc closes ",
        session.record.template.as_deref().unwrap_or("template")
    );
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(t.focused_border())
        .title(Span::styled(title, t.title()));
    // Keep the cursor's line in view on short terminals.
    let inner_h = rect.height.saturating_sub(2) as usize;
    let cursor_line = lines
        .iter()
        .position(|l| l.style == t.selected())
        .unwrap_or(0);
    let scroll = cursor_line.saturating_sub(inner_h.saturating_sub(1)) as u16;
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}
