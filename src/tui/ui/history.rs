//! Time travel's overlays: the session browser (by date) and its dated timeline, one
//! session as it stood (the `SessionView` `baton show` prints), search.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::domain::catalog::{Origin, When};
use crate::domain::history::{SessionInfo, SessionRow};
use crate::domain::show::{DecisionRow, HandoffText};
use crate::domain::stale::{Stale, StaleReason};
use crate::domain::timeline::TimelineEntry;
use crate::tui::app::App;
use crate::tui::theme::Theme;

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

/// `1 decision`, `2 decisions`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn session_line(s: &SessionInfo, w: usize) -> String {
    let c = s.counts;
    // Unknown hours mean "running" only for a running session; a hand-made handoff's
    // session has a day but no times.
    let hours = match (s.hours(), s.origin) {
        (Some(h), _) => format!("{h:.1} h"),
        (None, Origin::Active) => "running".into(),
        (None, _) => "? h".into(),
    };
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

/// `2025-11-15T09:00:00Z` as `2025-11-15 09:00 UTC`; a day stays a day.
fn stamp(text: &str) -> String {
    match When::parse(text) {
        Some(w) if w.day_only => w.to_text(),
        Some(w) => w.at.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => text.to_string(),
    }
}

fn stale_span(stale: &Option<Stale>, t: Theme) -> Option<Span<'static>> {
    stale
        .as_ref()
        .map(|s| Span::styled(format!("  [stale: {}]", s.describe()), t.warning()))
}

fn decision_line(d: &DecisionRow, t: Theme) -> Line<'static> {
    marked_bullet(&d.decision, d.reasoning.as_deref(), &d.stale, t)
}

/// `• text — note`, with the stale mark when there is one.
fn marked_bullet(text: &str, note: Option<&str>, stale: &Option<Stale>, t: Theme) -> Line<'static> {
    let mut line = format!("• {text}");
    if let Some(note) = note {
        line.push_str(" — ");
        line.push_str(note);
    }
    let mut spans = vec![Span::raw(line)];
    spans.extend(stale_span(stale, t));
    Line::from(spans)
}

/// A titled list, left out when empty.
fn section<T>(
    lines: &mut Vec<Line<'static>>,
    t: Theme,
    title: &str,
    items: &[T],
    line: impl Fn(&T) -> Line<'static>,
) {
    if items.is_empty() {
        return;
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        format!("{title} ({})", items.len()),
        t.accent(),
    ));
    lines.extend(items.iter().map(line));
}

/// One session as it stood: the `SessionView` `baton show` prints (its context then, the
/// decisions, commits, code, insights and blockers of its time window with stale marks,
/// what it finished and left, its handoff), read when the view opens; until then, what the
/// history knows of it.
pub fn session(app: &App, frame: &mut Frame<'_>, index: usize, scroll: u16) {
    let t = app.theme;
    let area = overlay_area(frame);
    frame.render_widget(Clear, area);
    let info = app
        .travel
        .history
        .as_deref()
        .and_then(|h| h.sessions.get(index));
    let view = app
        .views
        .session
        .as_deref()
        .filter(|v| info.is_none_or(|s| s.id == v.session.id));
    let from_history;
    let row: &SessionRow = match (view, info) {
        (Some(v), _) => &v.session,
        (None, Some(s)) => {
            from_history = SessionRow::from(s);
            &from_history
        }
        (None, None) => return,
    };
    let block = frame_block(app, format!(" Session {} ", row.id));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let field =
        |k: &str, v: String| Line::from(vec![Span::styled(pad(k, 10), t.bold()), Span::raw(v)]);
    lines.push(field(
        "goal",
        if row.goal.is_empty() {
            "(none)".into()
        } else {
            row.goal.clone()
        },
    ));
    lines.push(field(
        "started",
        row.started.as_deref().map_or_else(|| "?".into(), stamp),
    ));
    lines.push(field(
        "ended",
        match (row.ended.as_deref(), row.origin) {
            (Some(at), _) => stamp(at),
            (None, Origin::Active) => "running".into(),
            (None, _) => "?".into(),
        },
    ));
    if let Some(h) = row.duration_hours {
        lines.push(field("duration", format!("{h:.2} h")));
    }
    let c = row.counts;
    lines.push(field(
        "logged",
        [
            counted(c.decisions, "decision", "decisions"),
            counted(c.insights, "insight", "insights"),
            counted(c.achievements, "achievement", "achievements"),
            counted(c.next_steps, "next step", "next steps"),
        ]
        .join(", "),
    ));
    let Some(v) = view else {
        lines.push(Line::default());
        lines.push(Line::styled("Reading the session as it stood…", t.dim()));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    };
    match &v.as_of {
        Some(a) => {
            lines.push(field(
                "then",
                format!(
                    "step {}/{} · {} sessions, {:.1} h · {} pending · {} decisions · {} handoffs",
                    a.step + 1,
                    a.steps,
                    a.totals.sessions,
                    a.totals.hours,
                    a.pending.len(),
                    a.decisions_so_far,
                    a.handoffs_so_far
                ),
            ));
        }
        None => lines.push(field("then", "running: its context is now".into())),
    }
    section(&mut lines, t, "Decisions", &v.decisions, |d| {
        decision_line(d, t)
    });
    section(&mut lines, t, "Commits", &v.commits, |c| {
        Line::raw(format!("• {}", c.oneline()))
    });
    if !v.files_modified.is_empty() {
        lines.push(Line::styled(
            format!("  changed: {}", v.files_modified.join(", ")),
            t.dim(),
        ));
    }
    section(&mut lines, t, "Code", &v.code, |c| {
        marked_bullet(&c.path, c.note.as_deref(), &c.stale, t)
    });
    section(&mut lines, t, "Insights", &v.insights, |i| {
        Line::raw(format!("• {i}"))
    });
    section(&mut lines, t, "Blockers", &v.blockers, |b| {
        Line::raw(match &b.solution {
            Some(fix) => format!("• {} — solution: {fix}", b.blocker),
            None => format!("• {}", b.blocker),
        })
    });
    section(&mut lines, t, "Finished", &v.finished, |f| {
        Line::raw(format!("• {f}"))
    });
    section(&mut lines, t, "Next steps", &v.next_steps, |p| {
        Line::raw(format!("• [{}] {}", p.priority, p.task))
    });
    if let Some(a) = &v.as_of {
        section(&mut lines, t, "Pending work then", &a.pending, |p| {
            Line::raw(format!("• [{}] {}", p.priority, p.task))
        });
        section(
            &mut lines,
            t,
            "Latest decisions then",
            &a.recent_decisions,
            |d| decision_line(d, t),
        );
    }
    lines.push(Line::default());
    match &v.handoff {
        Some(HandoffText {
            file,
            text: Some(text),
        }) => {
            lines.push(Line::styled(format!("Handoff ({file})"), t.accent()));
            lines.extend(markdown::render(text, t));
        }
        Some(HandoffText { file, text: None }) => lines.push(Line::styled(
            format!("Handoff {file}: the file is gone"),
            t.dim(),
        )),
        None => lines.push(Line::styled("No handoff.", t.dim())),
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// One row of the timeline: the date (on a day's first row), the time, the kind, the text,
/// and a stale mark, which keeps at least half of the room it needs.
fn timeline_row(
    e: &TimelineEntry,
    w: usize,
    show_day: bool,
    narrow: bool,
    t: Theme,
) -> Line<'static> {
    let day_w = if narrow { 5 } else { 10 };
    let day = if show_day {
        let f = if narrow { "%m-%d" } else { "%Y-%m-%d" };
        e.at.date().format(f).to_string()
    } else {
        String::new()
    };
    let time = if e.at.day_only {
        String::new()
    } else {
        e.at.at.format("%H:%M").to_string()
    };
    let mut spans = vec![
        Span::styled(pad(&day, day_w + 1), t.accent()),
        Span::styled(pad(&time, 6), t.dim()),
        Span::styled(pad(e.kind.label(), 9), t.dim()),
    ];
    let room = w.saturating_sub(day_w + 1 + 6 + 9);
    let text = e.text();
    match &e.stale {
        Some(stale) => {
            // The longest mark that leaves the text half the room: with the path (unless
            // the text shows it), with the reason only, or just "stale" (the last line
            // says it all for the selected row).
            let (full, reason) = (e.stale_mark().unwrap_or_default(), stale_reason(stale));
            let keep = width(&text).min(room / 2);
            let fits = |m: &String| width(m) + 2 + keep <= room;
            let mark = [(!text.contains(&stale.path)).then_some(full), Some(reason)]
                .into_iter()
                .flatten()
                .find(fits)
                .unwrap_or_else(|| "stale".to_string());
            let mark = format!("  {mark}");
            let mark_w = width(&mark).min(room);
            spans.push(Span::raw(fit(&text, room - mark_w)));
            spans.push(Span::styled(fit(&mark, mark_w), t.warning()));
        }
        None => spans.push(Span::raw(fit(&text, room))),
    }
    Line::from(spans)
}

/// `stale: missing`, `stale: changed 2025-11-18`.
fn stale_reason(s: &Stale) -> String {
    match &s.reason {
        StaleReason::Missing => "stale: missing".to_string(),
        StaleReason::Changed { at } => format!("stale: changed {}", at.get(..10).unwrap_or(at)),
    }
}

/// The browser's other view: everything dated, newest first (only the visible rows are
/// built), and the selected entry's session and stale mark in full on the last line.
pub fn timeline(app: &App, frame: &mut Frame<'_>, cursor: usize) {
    let t = app.theme;
    let area = overlay_area(frame);
    frame.render_widget(Clear, area);
    let entries = app.views.timeline.as_ref();
    let title = match entries {
        Some(e) => format!(" Timeline ({}) — Enter shows it as it stood ", e.len()),
        None => " Timeline ".to_string(),
    };
    let block = frame_block(app, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(entries) = entries else {
        let text = if app.views.timeline_loading {
            "reading the timeline…"
        } else {
            "the timeline could not be read · Tab sessions"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, t.dim())), inner);
        return;
    };
    if entries.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("nothing dated yet", t.dim())),
            inner,
        );
        return;
    }
    let w = inner.width as usize;
    let narrow = w < 80;
    let rows = (inner.height as usize).saturating_sub(1).max(1);
    let n = entries.len();
    let cursor = cursor.min(n - 1);
    let start = cursor.saturating_sub(rows / 2).min(n.saturating_sub(rows));
    let mut lines: Vec<Line<'static>> = Vec::with_capacity(rows + 1);
    let mut last_day = None;
    for pos in start..n.min(start + rows) {
        let Some(e) = entries.entry(pos) else { break };
        let day = e.at.date();
        let line = timeline_row(&e, w, last_day != Some(day), narrow, t);
        last_day = Some(day);
        lines.push(if pos == cursor {
            line.patch_style(t.selected())
        } else {
            line
        });
    }
    lines.resize(rows, Line::default());
    if let Some(e) = entries.entry(cursor) {
        let mut about = match &e.session_id {
            Some(id) => format!("session {id}"),
            None => "no session (a commit of the repository)".to_string(),
        };
        match e.stale_note() {
            Some(note) => {
                about.push_str(" · ");
                about.push_str(&note);
            }
            None if !e.paths.is_empty() => {
                about.push_str(" · names ");
                about.push_str(&e.paths.join(", "));
            }
            None => {}
        }
        let style = if e.is_stale() { t.warning() } else { t.dim() };
        lines.push(Line::styled(fit(&about, w), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
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
