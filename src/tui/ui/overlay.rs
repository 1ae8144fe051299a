//! Overlays drawn over the panes: help, the full-screen handoff reader, item details.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::keymap::HELP;
use crate::tui::pane::Pane;

use super::fit::pad;
use super::markdown;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}

fn boxed(app: &App, title: &str) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(app.theme.focused_border())
        .title(Span::styled(format!(" {title} "), app.theme.title()))
}

pub fn help(app: &App, frame: &mut Frame<'_>) {
    let t = app.theme;
    let area = centered(frame.area(), 64, HELP.len() as u16 + 4);
    let key_w = 18;
    let mut lines: Vec<Line<'_>> = HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(pad(k, key_w), t.bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(
        "baton watches the directory: changes show as they happen.",
        t.dim(),
    ));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(boxed(app, "Keys"))
            .wrap(Wrap { trim: false }),
        area,
    );
}

pub fn reader(app: &App, frame: &mut Frame<'_>, scroll: u16) {
    let area = frame.area();
    let area = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    let (title, lines) = match &app.preview {
        Some((file, text)) => (file.clone(), markdown::render(text, app.theme)),
        None => (
            "handoff".to_string(),
            vec![Line::styled("loading…", app.theme.dim())],
        ),
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(boxed(app, &title))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

pub fn detail(app: &App, frame: &mut Frame<'_>) {
    let t = app.theme;
    let mut fields: Vec<(&str, String)> = Vec::new();
    let title;
    match app.focus {
        Pane::Pending => {
            title = "Pending item";
            if let Some(p) = app
                .selected_index(Pane::Pending)
                .and_then(|i| app.board.pending.get(i))
            {
                fields.push(("task", p.task.clone()));
                fields.push((
                    "priority",
                    if p.has_priority() {
                        p.priority.as_str().into()
                    } else {
                        "(none)".into()
                    },
                ));
                if let Some(s) = &p.status {
                    fields.push(("status", s.clone()));
                }
                for (k, v) in &p.extra {
                    fields.push((k.as_str(), crate::domain::knowledge::compact(v)));
                }
            }
        }
        Pane::Decisions => {
            title = "Decision";
            if let Some(d) = app
                .selected_index(Pane::Decisions)
                .and_then(|i| app.board.decisions.get(i))
            {
                fields.push(("decision", d.decision.clone()));
                for (k, v) in [
                    ("date", &d.date),
                    ("reasoning", &d.reasoning),
                    ("impact", &d.impact),
                    ("status", &d.status),
                    ("id", &d.id),
                    ("session", &d.session_id),
                ] {
                    if let Some(v) = v {
                        fields.push((k, v.clone()));
                    }
                }
                for (k, v) in &d.extra {
                    fields.push((k.as_str(), crate::domain::knowledge::compact(v)));
                }
            }
        }
        Pane::Health | Pane::Handoffs => {
            title = "Service";
            if let Some(s) = app
                .selected_index(Pane::Health)
                .and_then(|i| app.board.services.get(i))
            {
                fields.push(("name", s.name.clone()));
                fields.push(("url", s.url.clone()));
                fields.push(("method", s.method.clone()));
                fields.push(("expect", s.expect_status.clone()));
                fields.push(("interval", format!("{} s", s.interval_s)));
                fields.push(("timeout", format!("{} ms", s.timeout_ms)));
                fields.push(("enabled", s.enabled.to_string()));
                fields.extend(health_fields(app, s));
            }
        }
    }
    let width = frame.area().width.saturating_sub(4).min(90);
    let area = centered(
        frame.area(),
        width,
        (fields.len() as u16 * 2 + 2).min(frame.area().height),
    );
    let lines: Vec<Line<'_>> = fields
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(pad(k, 11), t.bold()),
                Span::raw(v.clone()),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(boxed(app, title))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// A watched service's status, and its last checks with their errors, newest first.
fn health_fields(
    app: &App,
    s: &crate::domain::services::ServiceConfig,
) -> Vec<(&'static str, String)> {
    use crate::tui::health::{latency_text, since_text};
    let mut fields = Vec::new();
    if let Some(check) = &s.body_contains {
        fields.push(("body has", format!("{check:?}")));
    }
    if let Some(pointer) = &s.json_pointer {
        let wanted = s
            .json_equals
            .as_ref()
            .map(|v| format!(" = {v}"))
            .unwrap_or_default();
        fields.push(("json", format!("{pointer}{wanted}")));
    }
    let Some(w) = app.health.get(&s.name).filter(|_| s.enabled) else {
        return fields;
    };
    let mut status = since_text(w, app.now, app.health.offset);
    if let Some(r) = w.tracker.reason() {
        status.push_str(&format!(" — {r}"));
    }
    fields.push(("status", status));
    if let Some(p) = w.tracker.pending() {
        fields.push(("", format!("last check: {p} (confirming before it shows)")));
    }
    let offset = app
        .health
        .offset
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"));
    for (i, r) in w.tracker.log().enumerate() {
        // "10:12:03 down     connection refused" / "10:00:00 up       30 ms · HTTP 200"
        let mut parts = Vec::new();
        if r.latency_ms.is_some() {
            parts.push(latency_text(r.latency_ms));
        }
        match (&r.reason, r.http_status) {
            (Some(reason), _) => parts.push(reason.clone()),
            (None, Some(code)) => parts.push(format!("HTTP {code}")),
            (None, None) => {}
        }
        let line = format!(
            "{} {:<9}{}",
            r.checked_at.with_timezone(&offset).format("%H:%M:%S"),
            r.status.as_str(),
            parts.join(" · ")
        );
        fields.push((if i == 0 { "checks" } else { "" }, line));
    }
    fields
}
