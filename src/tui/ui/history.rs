//! Time travel's overlays: the session browser (by date), one session as it stood, search.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::domain::history::SessionInfo;
use crate::tui::app::App;

use super::fit::{fit, pad, width};
use super::markdown;

fn frame_block(app: &App, title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(app.theme.focused_border())
        .title(Span::styled(title, app.theme.title()))
}

/// Everything but the footer.
fn overlay_area(frame: &Frame<'_>) -> Rect {
    let a = frame.area();
    Rect {
        height: a.height.saturating_sub(1),
        ..a
    }
}

fn session_line(s: &SessionInfo, w: usize) -> String {
    let c = s.counts;
    let hours = s
        .hours()
        .map(|h| format!("{h:.1} h"))
        .unwrap_or_else(|| "running".into());
    let counts = format!(
        " · {hours} · {}d {}i {}a {}n",
        c.decisions, c.insights, c.achievements, c.next_steps
    );
    let goal = if s.goal.is_empty() {
        "(no goal)"
    } else {
        s.goal.as_str()
    };
    let head = format!("{} ", s.id);
    let room = w.saturating_sub(width(&head) + width(&counts));
    format!("{head}{}{counts}", pad(goal, room))
}

/// The browser: sessions newest first, a date line above each day's sessions.
pub fn browser(app: &App, frame: &mut Frame<'_>, cursor: usize) {
    let t = app.theme;
    let area = overlay_area(frame);
    frame.render_widget(Clear, area);
    let Some(history) = app.travel.history.as_deref() else {
        return;
    };
    let block = frame_block(
        app,
        format!(
            " Sessions ({}) — Enter shows one as it stood ",
            history.sessions.len()
        ),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let rows = inner.height as usize;
    // Only the rows around the cursor are built: 10,000 sessions cost what a screen costs.
    let n = history.sessions.len();
    let start = cursor
        .saturating_sub(rows / 2)
        .min(n.saturating_sub(rows / 2));
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(rows);
    let mut last_day = None;
    for pos in start..n {
        if lines.len() >= rows {
            break;
        }
        let s = &history.sessions[n - 1 - pos];
        let day = s.when().map(|w| w.date());
        if day != last_day || pos == start {
            last_day = day;
            let label = day
                .map(|d| d.format("%A %Y-%m-%d").to_string())
                .unwrap_or_else(|| "undated".into());
            lines.push(Line::styled(fit(&label, w), t.accent()));
            if lines.len() >= rows {
                break;
            }
        }
        let line = Line::raw(fit(
            &format!("  {}", session_line(s, w.saturating_sub(2))),
            w,
        ));
        lines.push(if pos == cursor {
            line.patch_style(t.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One session: what it was for, what it decided and committed, and its handoff.
pub fn session(app: &App, frame: &mut Frame<'_>, index: usize, scroll: u16) {
    let t = app.theme;
    let area = overlay_area(frame);
    frame.render_widget(Clear, area);
    let Some(s) = app
        .travel
        .history
        .as_deref()
        .and_then(|h| h.sessions.get(index))
    else {
        return;
    };
    let history = app.travel.history.as_deref().expect("checked above");
    let block = frame_block(app, format!(" Session {} ", s.id));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let field =
        |k: &str, v: String| Line::from(vec![Span::styled(pad(k, 10), t.bold()), Span::raw(v)]);
    lines.push(field(
        "goal",
        if s.goal.is_empty() {
            "(none)".into()
        } else {
            s.goal.clone()
        },
    ));
    lines.push(field(
        "started",
        s.started
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "?".into()),
    ));
    lines.push(field(
        "ended",
        s.ended
            .map(|w| w.to_text())
            .unwrap_or_else(|| "running".into()),
    ));
    if let Some(h) = s.hours() {
        lines.push(field("duration", format!("{h:.2} h")));
    }
    let c = s.counts;
    lines.push(field(
        "logged",
        format!(
            "{} decisions, {} insights, {} achievements, {} next steps",
            c.decisions, c.insights, c.achievements, c.next_steps
        ),
    ));
    if let Some(state) = app
        .travel
        .step
        .and_then(|step| app.travel.index.state(history, step))
        && state.session.id == s.id
    {
        lines.push(field(
            "then",
            format!(
                "{} sessions, {} pending",
                state.totals.sessions,
                state.pending.len()
            ),
        ));
    }

    let decisions: Vec<_> = history
        .decisions
        .iter()
        .filter(|d| d.session_id.as_deref() == Some(s.id.as_str()))
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(
        format!("Decisions ({})", decisions.len()),
        t.accent(),
    ));
    for d in decisions {
        let mut text = d.decision.decision.clone();
        if let Some(r) = &d.decision.reasoning {
            text.push_str(&format!(" — {r}"));
        }
        lines.push(Line::raw(format!("• {text}")));
    }
    lines.push(Line::default());
    if s.details {
        lines.push(Line::styled(
            format!("Commits ({})", s.commits.len()),
            t.accent(),
        ));
        for commit in &s.commits {
            lines.push(Line::raw(format!("• {}", commit.oneline())));
        }
        if !s.files_modified.is_empty() {
            lines.push(Line::styled(
                format!("  changed: {}", s.files_modified.join(", ")),
                t.dim(),
            ));
        }
    } else {
        lines.push(Line::styled("Commits loading…", t.dim()));
    }
    lines.push(Line::default());
    match (&s.handoff_file, &app.preview) {
        (Some(file), Some((shown, text))) if file == shown => {
            lines.push(Line::styled(format!("Handoff ({file})"), t.accent()));
            lines.extend(markdown::render(text, t));
        }
        (Some(file), _) => lines.push(Line::styled(format!("Handoff ({file}) loading…"), t.dim())),
        (None, _) => lines.push(Line::styled("No handoff.", t.dim())),
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// The search box, then results grouped by kind with the matched words highlighted.
pub fn search(app: &App, frame: &mut Frame<'_>, cursor: usize) {
    let t = app.theme;
    let area = overlay_area(frame);
    frame.render_widget(Clear, area);
    let block = frame_block(app, " Search ".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [input, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(inner);
    let status = if app.travel.searching {
        "searching…".to_string()
    } else {
        match &app.travel.results {
            Some(r) => format!("{} matches", r.total),
            None => "words all match · \"a phrase\" · kind:decision · since:2025-11-01".into(),
        }
    };
    let w = input.width as usize;
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("/ ", t.accent()),
                Span::raw(fit(&app.travel.query, w.saturating_sub(3))),
                Span::styled("▏", t.dim()),
            ]),
            Line::styled(fit(&status, w), t.dim()),
        ]),
        input,
    );
    let Some(results) = &app.travel.results else {
        return;
    };
    let w = body.width as usize;
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut index = 0;
    let mut cursor_line = 0;
    for group in results.groups() {
        lines.push(Line::styled(
            format!("{} ({})", group.kind.as_str(), group.total),
            t.accent(),
        ));
        for hit in group.hits {
            let date = hit
                .date
                .map(|d| d.date().format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let mut spans = vec![Span::styled(pad(&date, 11), t.dim())];
            spans.extend(highlighted(
                &hit.title,
                &hit.title_matches,
                w.saturating_sub(11),
                t.code(),
            ));
            let mut line = Line::from(spans);
            if index == cursor {
                line = line.patch_style(t.selected());
                cursor_line = lines.len();
            }
            lines.push(line);
            let snippet = hit.snippet(w.saturating_sub(13));
            if !snippet.text.is_empty() && snippet.text != hit.title {
                let mut spans = vec![Span::raw(" ".repeat(13))];
                spans.extend(highlighted(
                    &snippet.text,
                    &snippet.matches,
                    w.saturating_sub(13),
                    t.code(),
                ));
                lines.push(Line::from(spans).patch_style(t.dim()));
            }
            index += 1;
        }
    }
    let rows = body.height as usize;
    let scroll = cursor_line.saturating_sub(rows.saturating_sub(2)) as u16;
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
}

/// `text` cut to `w` cells with the byte ranges `marks` in `style`.
fn highlighted(
    text: &str,
    marks: &[std::ops::Range<usize>],
    w: usize,
    style: Style,
) -> Vec<Span<'static>> {
    let text = fit(text, w);
    let mut spans = Vec::new();
    let mut at = 0;
    for m in marks {
        let (start, end) = (m.start.min(text.len()), m.end.min(text.len()));
        if start < at || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        spans.push(Span::raw(text[at..start].to_string()));
        spans.push(Span::styled(
            text[start..end].to_string(),
            style.add_modifier(ratatui::style::Modifier::BOLD),
        ));
        at = end;
    }
    spans.push(Span::raw(text[at..].to_string()));
    spans
}
