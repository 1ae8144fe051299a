//! The four panes. Each renders only the rows that fit (a timeline of 25,000 decisions costs
//! what its visible rows cost).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use crate::domain::time::{parse_timestamp, short_age};
use crate::tui::app::App;
use crate::tui::pane::Pane;

use super::fit::{fit, pad, width};
use super::markdown;

/// Inner width from which the Handoffs pane shows the preview beside its list.
const SPLIT_PREVIEW_WIDTH: u16 = 50;

pub fn render(app: &App, pane: Pane, frame: &mut Frame<'_>, area: Rect) {
    let t = app.theme;
    let focused = app.focus == pane;
    let list = &app.lists[pane.index()];
    let shown = app.rows[pane.index()].len();
    let total = match pane {
        Pane::Pending => app.board.pending.len(),
        Pane::Decisions => app.board.decisions.len(),
        Pane::Handoffs => app.board.handoffs.len(),
        Pane::Health => app.board.services.len(),
    };
    let mut title = vec![Span::styled(
        format!(" {} {} ", pane.index() + 1, pane.title()),
        if focused { t.title() } else { t.bold() },
    )];
    let count = if shown == total {
        format!("{total} ")
    } else {
        format!("{shown}/{total} ")
    };
    title.push(Span::styled(count, t.dim()));
    if !list.filter.is_empty() {
        title.push(Span::styled(format!("/{} ", list.filter), t.accent()));
    }
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
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let (list_area, preview_area) = if pane == Pane::Handoffs && inner.width >= SPLIT_PREVIEW_WIDTH
    {
        let [l, p] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
            .areas(inner);
        (l, Some(p))
    } else {
        (inner, None)
    };
    let lines = if shown == 0 {
        empty_hint(app, pane, list_area.width as usize)
    } else {
        rows(app, pane, list_area)
    };
    frame.render_widget(Paragraph::new(lines), list_area);
    if let Some(p) = preview_area {
        preview(app, frame, p);
    }
}

fn empty_hint(app: &App, pane: Pane, w: usize) -> Vec<Line<'static>> {
    let t = app.theme;
    let text = if !app.loaded {
        "loading…"
    } else if !app.lists[pane.index()].filter.is_empty() {
        "nothing matches the filter (Esc clears it)"
    } else {
        match pane {
            Pane::Pending => "No pending work. `baton log next TEXT` adds some.",
            Pane::Decisions => "No decisions yet. `baton log decision TEXT --why …` records one.",
            Pane::Handoffs => "No handoffs yet. `baton end` writes one.",
            Pane::Health => "No services. List them in SERVICES.json (name, url).",
        }
    };
    textwrap(text, w)
        .into_iter()
        .map(|l| Line::styled(l, t.dim()))
        .collect()
}

fn textwrap(text: &str, w: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && width(last) + 1 + width(word) > w {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines.into_iter().map(|l| fit(&l, w)).collect()
}

fn rows(app: &App, pane: Pane, area: Rect) -> Vec<Line<'static>> {
    let list = &app.lists[pane.index()];
    let visible = area.height as usize;
    let w = area.width as usize;
    let t = app.theme;
    let indices = &app.rows[pane.index()];
    let end = (list.offset + visible).min(indices.len());
    (list.offset..end)
        .map(|row| {
            let i = indices[row];
            let selected = row == list.selected && app.focus == pane;
            let mut line = match pane {
                Pane::Pending => pending_row(app, i, w),
                Pane::Decisions => decision_row(app, row, i, w),
                Pane::Handoffs => handoff_row(app, i, w),
                Pane::Health => service_row(app, i, w),
            };
            if selected {
                line = line.patch_style(t.selected());
            } else if row == list.selected {
                line = line.patch_style(t.bold());
            }
            line
        })
        .collect()
}

fn pending_row(app: &App, i: usize, w: usize) -> Line<'static> {
    let t = app.theme;
    let p = &app.board.pending[i];
    let prio = if p.has_priority() {
        p.priority_raw
            .clone()
            .unwrap_or_else(|| p.priority.as_str().to_string())
    } else {
        "·".into()
    };
    let age = p
        .added_at()
        .and_then(parse_timestamp)
        .map(|a| short_age((app.now - a).num_seconds()))
        .unwrap_or_default();
    let prio_w = 7.min(w);
    let age_w = if age.is_empty() { 0 } else { width(&age) + 1 };
    let rest = w.saturating_sub(prio_w + age_w);
    let status = p
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| format!(" — {s}"))
        .unwrap_or_default();
    let task = fit(&p.task, rest);
    let status = fit(&status, rest.saturating_sub(width(&task)));
    let gap = rest.saturating_sub(width(&task) + width(&status));
    Line::from(vec![
        Span::styled(pad(&prio, prio_w), t.priority(p.priority)),
        Span::raw(task),
        Span::styled(status, t.dim()),
        Span::raw(" ".repeat(gap)),
        Span::styled(
            if age.is_empty() {
                String::new()
            } else {
                format!(" {age}")
            },
            t.dim(),
        ),
    ])
}

fn decision_row(app: &App, row: usize, i: usize, w: usize) -> Line<'static> {
    let t = app.theme;
    let d = &app.board.decisions[i];
    let date = d.date.clone().unwrap_or_default();
    // The date shows on the first row of each day: a timeline grouped by date.
    let prev_same = row > 0
        && app.rows[Pane::Decisions.index()]
            .get(row - 1)
            .is_some_and(|&j| app.board.decisions[j].date == d.date);
    let date_w = 11.min(w);
    let date_text = if prev_same {
        String::new()
    } else {
        date.chars().take(10).collect()
    };
    let mut detail = String::new();
    if let Some(r) = d.reasoning.as_deref().filter(|r| !r.is_empty()) {
        detail.push_str(&format!(" — {r}"));
    }
    if let Some(imp) = d
        .impact
        .as_deref()
        .or(d.results())
        .filter(|s| !s.is_empty())
    {
        detail.push_str(&format!(" → {imp}"));
    }
    let status = d
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| format!(" [{s}]"))
        .unwrap_or_default();
    let rest = w.saturating_sub(date_w);
    let text = fit(&d.decision, rest);
    let status = fit(&status, rest.saturating_sub(width(&text)));
    let detail = fit(&detail, rest.saturating_sub(width(&text) + width(&status)));
    Line::from(vec![
        Span::styled(pad(&date_text, date_w), t.accent()),
        Span::raw(text),
        Span::styled(detail, t.dim()),
        Span::styled(status, t.ok()),
    ])
}

fn handoff_row(app: &App, i: usize, w: usize) -> Line<'static> {
    let t = app.theme;
    let h = &app.board.handoffs[i];
    Line::from(vec![Span::styled(fit(&h.file_name, w), t.bold())])
}

/// Status glyph, name, latency, a sparkline of recent latency (a down service's reason
/// instead), and since when: "up since 10:02" / "down for 4 m".
fn service_row(app: &App, i: usize, w: usize) -> Line<'static> {
    use crate::health::Status;
    use crate::health::tracker::sparkline;
    use crate::tui::health::{glyph, latency_text, since_text};
    let t = app.theme;
    let s = &app.board.services[i];
    let watched = app.health.get(&s.name).filter(|_| s.enabled);
    let status = watched.and_then(|h| h.tracker.status());
    let style = match status {
        Some(Status::Up) => t.ok(),
        Some(Status::Degraded) => t.warning(),
        Some(Status::Down) => t.error(),
        None => t.dim(),
    };
    let since = match watched {
        Some(h) => since_text(h, app.now, app.health.offset),
        None if s.enabled => "checking…".into(),
        None => "disabled".into(),
    };
    let latency = watched
        .and_then(|h| h.tracker.last())
        .map(|r| latency_text(r.latency_ms))
        .unwrap_or_default();
    let middle = match watched {
        Some(h) if status == Some(Status::Down) => h.tracker.reason().unwrap_or("").to_string(),
        Some(h) => {
            let history: Vec<Option<u64>> = h.tracker.latencies().collect();
            sparkline(&history, 20, (s.degraded_ms / 8).max(1))
        }
        None => String::new(),
    };
    // Columns: glyph 2, name, latency 8, sparkline (when there is room), since 17.
    let since_w = if w >= 44 { 17 } else { 0 };
    let lat_w = 8.min(w.saturating_sub(2));
    let rest = w.saturating_sub(2 + lat_w + if since_w > 0 { since_w + 1 } else { 0 });
    let spark_w = if rest >= 24 {
        (rest / 2).min(21) - 1
    } else {
        0
    };
    let name_w = rest.saturating_sub(if spark_w > 0 { spark_w + 1 } else { 0 });
    // The sparkline keeps its newest end.
    let middle = if status == Some(Status::Down) {
        fit(&middle, spark_w)
    } else {
        let skip = width(&middle).saturating_sub(spark_w);
        middle.chars().skip(skip).collect()
    };
    let glyph = if s.enabled { glyph(status) } else { "–" };
    // `?`: the last check disagrees with the shown status (being confirmed).
    let pending = watched.is_some_and(|h| h.tracker.pending().is_some());
    let mut spans = vec![
        Span::styled(format!("{glyph}{}", if pending { "?" } else { " " }), style),
        Span::styled(
            pad(&s.name, name_w),
            if s.enabled { t.bold() } else { t.dim() },
        ),
        Span::styled(format!("{latency:>lat_w$}"), t.dim()),
    ];
    if spark_w > 0 {
        spans.push(Span::styled(format!(" {}", pad(&middle, spark_w)), style));
    }
    if since_w > 0 {
        let since_style = if matches!(status, Some(Status::Down | Status::Degraded)) {
            style
        } else {
            t.dim()
        };
        spans.push(Span::styled(
            format!(" {}", pad(&since, since_w)),
            since_style,
        ));
    }
    Line::from(spans)
}

fn preview(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let t = app.theme;
    let block = Block::default()
        .borders(Borders::LEFT)
        .border_style(t.border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(selected) = app.selected_handoff() else {
        return;
    };
    let lines = match &app.preview {
        Some((file, text)) if *file == selected => markdown::render(text, t),
        _ => vec![Line::styled("loading…", t.dim())],
    };
    // Only what fits is kept: a long handoff costs no more than a short one here.
    let lines: Vec<Line<'_>> = lines.into_iter().take(inner.height as usize * 2).collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
