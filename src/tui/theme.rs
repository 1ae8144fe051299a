//! Colours that read on dark and light terminals alike (the terminal's own palette, never
//! fixed RGB), and none at all under `NO_COLOR`: then emphasis is bold, dim and reverse.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::items::Priority;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
    pub fn from_env(no_color: Option<&str>) -> Theme {
        Theme {
            color: no_color.is_none_or(str::is_empty),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn focused_border(self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn border(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn accent(self) -> Style {
        self.fg(Color::Magenta)
    }

    pub fn code(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn priority(self, p: Priority) -> Style {
        match p {
            Priority::High => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Priority::Medium => self.fg(Color::Yellow),
            Priority::Low => self.dim(),
        }
    }
}
