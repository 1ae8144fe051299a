//! The four panes, in their fixed order (keys `1`–`4`).

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    Pending,
    Decisions,
    Handoffs,
    Health,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Pending, Pane::Decisions, Pane::Handoffs, Pane::Health];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Pane {
        Pane::ALL[i % 4]
    }

    pub fn next(self) -> Pane {
        Pane::from_index(self.index() + 1)
    }

    pub fn prev(self) -> Pane {
        Pane::from_index(self.index() + 3)
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Pending => "Pending work",
            Pane::Decisions => "Decisions",
            Pane::Handoffs => "Handoffs",
            Pane::Health => "Health",
        }
    }
}
