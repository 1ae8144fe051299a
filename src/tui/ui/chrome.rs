//! Header (active sessions, knowledge totals, problems), tab bar and footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::time::short_age;
use crate::tui::app::{App, Mode, elapsed};
use crate::tui::pane::Pane;

use super::fit::{fit, width};

pub fn header(app: &App, frame: &mut Frame<'_>, area: Rect) {
    if area.height == 0 {
        return;
    }
    let t = app.theme;
    let w = area.width as usize;
    let mut lines = Vec::new();

    let totals = app.board.totals();
    let mut right = format!(
        "{} sessions · {} h",
        totals.sessions,
        trim_hours(totals.hours)
    );
    if let Some(u) = app.board.knowledge.last_updated().filter(|u| !u.is_empty()) {
        right.push_str(&format!(
            " · updated {}",
            u.chars().take(10).collect::<String>()
        ));
    }
    let dir = app.dir.display().to_string();
    let left_room = w.saturating_sub(width(&right) + 9);
    let mut first = vec![
        Span::styled(" baton ", t.title()),
        Span::styled(fit(&dir, left_room), t.dim()),
    ];
    let used = 7 + width(&fit(&dir, left_room));
    if w > used + width(&right) + 1 {
        first.push(Span::raw(" ".repeat(w - used - width(&right) - 1)));
        first.push(Span::raw(right));
    }
    lines.push(Line::from(first));

    if app.in_past() {
        lines.push(Line::styled(
            fit(
                &format!(
                    " ◀ {} · [ ] step · t browse · Esc back to now",
                    app.travel.banner
                ),
                w,
            ),
            t.warning(),
        ));
    } else if !app.board.exists && app.loaded {
        lines.push(Line::styled(
            fit(
                " Directory does not exist yet: `baton init` creates it (watching for it)",
                w,
            ),
            t.warning(),
        ));
    } else if app.board.active.is_empty() {
        lines.push(Line::styled(
            fit(" No active session · `baton start --goal …` begins one", w),
            t.dim(),
        ));
    }
    for a in app.board.active.iter().take(3) {
        let r = &a.record;
        let c = r.counts();
        let since = r
            .started()
            .map(|s| elapsed((app.now - s).num_seconds()))
            .unwrap_or_else(|| "?".into());
        let goal = if r.primary_goal.is_empty() {
            "(no goal)"
        } else {
            &r.primary_goal
        };
        let tail = format!(
            " · {since} · {}d {}i {}a {}n",
            c.decisions, c.insights, c.achievements, c.next_steps
        );
        let head = format!(" ● {} ", r.session_id);
        let goal_room = w.saturating_sub(width(&head) + width(&tail));
        lines.push(Line::from(vec![
            Span::styled(fit(&head, w), t.ok()),
            Span::styled(fit(goal, goal_room), t.bold()),
            Span::styled(
                fit(
                    &tail,
                    w.saturating_sub(width(&head) + width(&fit(goal, goal_room))),
                ),
                t.dim(),
            ),
        ]));
    }
    if app.board.active.len() > 3 {
        lines.push(Line::styled(
            format!("   +{} more active sessions", app.board.active.len() - 3),
            t.dim(),
        ));
    }
    if let Some(first) = app.board.problems.first() {
        let n = app.board.problems.len();
        let label = if n == 1 {
            " ⚠ ".to_string()
        } else {
            format!(" ⚠ {n} problems · ")
        };
        lines.push(Line::from(vec![
            Span::styled(label.clone(), t.warning()),
            Span::styled(
                fit(&first.to_string(), w.saturating_sub(width(&label))),
                t.warning(),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

pub fn tabs(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let t = app.theme;
    let slot = (area.width / 4) as usize;
    let spans: Vec<Span<'_>> = Pane::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let label = super::fit::pad(&format!(" {} {}", i + 1, p.title()), slot);
            if *p == app.focus {
                Span::styled(label, t.selected())
            } else {
                Span::styled(label, t.dim())
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn footer(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let t = app.theme;
    let w = area.width as usize;
    let hints = match app.mode {
        Mode::Filtering => format!(
            " filter: {}▏ Enter keep · Esc clear",
            app.lists[app.focus.index()].filter
        ),
        Mode::Help => " any key closes help".to_string(),
        Mode::Reader { .. } => " j/k scroll · PgUp/PgDn · Esc back".to_string(),
        Mode::Detail => " Esc back".to_string(),
        Mode::Form => {
            " Tab next · Shift-Tab back · Ctrl-S save · Esc cancel · Ctrl-E $EDITOR · Ctrl-Z undo"
                .to_string()
        }
        Mode::Confirm { .. } => " y yes · n no".to_string(),
        Mode::Checklist { .. } => " j/k move · Space toggle · Esc close".to_string(),
        Mode::Browser { .. } => {
            " j/k move · Tab timeline · Enter open as it stood · Esc close".to_string()
        }
        Mode::Timeline { .. } => {
            " j/k move · Tab sessions · Enter open as it stood · Esc close".to_string()
        }
        Mode::Session { .. } => " j/k scroll · Esc back · [ ] step · t browse".to_string(),
        Mode::Search { .. } => " type to search · \"phrase\" · kind:decision · ↑↓ pick · Enter open · Esc close".to_string(),
        Mode::Normal if w >= 110 => {
            " ? help · Tab pane · Enter open · / filter · h handoff · e end · d decision · n new · q quit".to_string()
        }
        Mode::Normal => " ? help · h handoff · e end · d decision · q quit".to_string(),
    };
    let status = if let Some(n) = &app.notice {
        Span::styled(format!("{n} "), t.warning())
    } else if let Some(e) = &app.load_error {
        Span::styled(format!("read failed: {e} "), t.error())
    } else if let Some(c) = &app.last_change {
        Span::styled(
            format!(
                "{} {} ago ",
                c.what,
                short_age((app.now - c.at).num_seconds())
            ),
            t.dim(),
        )
    } else if !app.loaded {
        Span::styled("loading… ".to_string(), t.dim())
    } else {
        Span::raw("")
    };
    // What waits for the memory server goes first (nothing is said when nothing waits).
    let status = match app.board.outbox_waiting {
        0 => status,
        n if status.content.is_empty() => {
            Span::styled(format!("{n} waiting to sync "), t.warning())
        }
        n => Span::styled(
            format!("{n} waiting to sync · {}", status.content),
            status.style,
        ),
    };
    // The hints keep at least half the line (a notice, which answers what the user just
    // did, may take more); the status takes what is left.
    let room = if app.notice.is_some() {
        w.saturating_sub(12)
    } else {
        w / 2
    };
    let status_w = width(&status.content).min(room);
    let status = Span::styled(fit(&status.content, status_w), status.style);
    let hint_room = w.saturating_sub(status_w + 1);
    let hints = fit(&hints, hint_room);
    let gap = w.saturating_sub(width(&hints) + status_w);
    let line = Line::from(vec![
        Span::styled(hints, t.dim()),
        Span::raw(" ".repeat(gap)),
        status,
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn trim_hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}
