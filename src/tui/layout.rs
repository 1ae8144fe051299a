//! Screen geometry as a pure function of the terminal size and what is open. Rendering and
//! mouse hit-testing both use it, so a click lands where the eye saw the pane.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

use super::pane::Pane;

/// From this width the four panes sit in a 2×2 grid.
pub const GRID_MIN_WIDTH: u16 = 80;
/// Below this width the handoff preview gives its room to the list.
pub const PREVIEW_MIN_WIDTH: u16 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    /// The tab bar, in the narrow layout only.
    pub tabs: Option<Rect>,
    /// Where each pane is drawn, in `Pane::ALL` order; `None` when hidden (narrow layout).
    pub panes: [Option<Rect>; 4],
    pub footer: Rect,
}

impl Areas {
    pub fn pane(&self, pane: Pane) -> Option<Rect> {
        self.panes[pane.index()]
    }

    /// The pane under a screen position, if any.
    pub fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        Pane::ALL.into_iter().find(|p| {
            self.pane(*p).is_some_and(|r| {
                column >= r.x && column < r.right() && row >= r.y && row < r.bottom()
            })
        })
    }

    pub fn is_narrow(&self) -> bool {
        self.tabs.is_some()
    }
}

/// Lines the header needs: one for the title and totals, one per active session (at most 3,
/// then a "+N more" line), one for a problem badge.
pub fn header_height(active_sessions: usize, has_problems: bool, height: u16) -> u16 {
    let sessions = match active_sessions {
        0 => 1,
        1..=3 => active_sessions,
        _ => 4,
    };
    let wanted = 1 + sessions as u16 + u16::from(has_problems);
    // Small terminals keep room for the panes: the header shrinks first.
    wanted.min(height.saturating_sub(6).max(1))
}

pub fn areas(width: u16, height: u16, header_lines: u16, focus: Pane) -> Areas {
    let screen = Rect::new(0, 0, width, height);
    let narrow = width < GRID_MIN_WIDTH;
    let tab_lines = u16::from(narrow);
    let [header, tabs, body, footer] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(header_lines),
            Constraint::Length(tab_lines),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(screen);
    let mut panes = [None; 4];
    if narrow {
        panes[focus.index()] = Some(body);
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        let split = |r: Rect| -> [Rect; 2] {
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(r)
        };
        let [a, b] = split(top);
        let [c, d] = split(bottom);
        panes = [Some(a), Some(b), Some(c), Some(d)];
    }
    Areas {
        header,
        tabs: narrow.then_some(tabs),
        panes,
        footer,
    }
}

/// Rows of list content inside a bordered pane.
pub fn inner_rows(area: Rect) -> usize {
    area.height.saturating_sub(2) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_is_a_grid_and_narrow_shows_only_the_focused_pane() {
        let wide = areas(120, 40, 2, Pane::Pending);
        assert!(wide.panes.iter().all(Option::is_some));
        assert_eq!(wide.pane_at(100, 30), Some(Pane::Health));
        let narrow = areas(60, 20, 2, Pane::Handoffs);
        assert!(narrow.is_narrow());
        assert_eq!(narrow.panes.iter().filter(|p| p.is_some()).count(), 1);
        assert_eq!(narrow.pane_at(10, 10), Some(Pane::Handoffs));
    }

    #[test]
    fn tiny_terminals_do_not_underflow() {
        for (w, h) in [(0, 0), (1, 1), (50, 15), (20, 3)] {
            let a = areas(w, h, header_height(5, true, h), Pane::Decisions);
            assert!(a.footer.bottom() <= h.max(1));
        }
    }
}
