//! Default keys (DESIGN.md's list) → commands.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Command;
use super::pane::Pane;

pub fn command_for(key: &KeyEvent) -> Option<Command> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Command::Quit,
        KeyCode::Char('q') => Command::Quit,
        KeyCode::Tab => Command::FocusNext,
        KeyCode::BackTab => Command::FocusPrev,
        KeyCode::Char(c @ '1'..='4') => Command::Focus(Pane::from_index(c as usize - '1' as usize)),
        KeyCode::Char('k') | KeyCode::Up => Command::Up,
        KeyCode::Char('j') | KeyCode::Down => Command::Down,
        KeyCode::PageUp => Command::PageUp,
        KeyCode::PageDown => Command::PageDown,
        KeyCode::Char('u') if ctrl => Command::PageUp,
        KeyCode::Char('d') if ctrl => Command::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Command::Top,
        KeyCode::End | KeyCode::Char('G') => Command::Bottom,
        KeyCode::Enter => Command::Open,
        KeyCode::Esc => Command::Back,
        KeyCode::Char('/') => Command::Filter,
        KeyCode::Char('?') => Command::Help,
        KeyCode::Char('h') => Command::WriteHandoff,
        KeyCode::Char('e') => Command::EndSession,
        KeyCode::Char('d') if !ctrl => Command::LogDecision,
        KeyCode::Char('n') => Command::NewPending,
        KeyCode::Char('x') => Command::PendingDone,
        KeyCode::Char('p') => Command::CyclePriority,
        KeyCode::Char('c') => Command::Checklist,
        KeyCode::Char('t') => Command::Browse,
        KeyCode::Char('[') => Command::StepBack,
        KeyCode::Char(']') => Command::StepForward,
        KeyCode::Char('s') => Command::Search,
        KeyCode::Char('r') => Command::Recheck,
        _ => return None,
    })
}

/// The help overlay's content: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "next / previous pane"),
    ("1 2 3 4", "Pending, Decisions, Handoffs, Health"),
    ("j k ↑ ↓", "move"),
    ("PgUp PgDn", "page"),
    ("g G Home End", "first / last"),
    ("Enter", "open: reader, details; edit a pending item"),
    ("h", "write the handoff (form)"),
    ("e", "end the session (form)"),
    ("d", "log a decision"),
    ("n  x  p", "new pending item, done, change priority"),
    ("c", "the session's template checklist"),
    ("t", "browse past sessions by date"),
    ("[  ]", "step back / forward in time (Esc: now)"),
    ("s", "search handoffs, decisions, insights, sessions"),
    ("r", "re-check every service now"),
    ("Esc", "back; clears a filter"),
    ("/", "filter the focused pane"),
    ("?", "this help"),
    ("q Ctrl-C", "quit"),
    ("mouse", "click focuses and selects; wheel scrolls"),
];
