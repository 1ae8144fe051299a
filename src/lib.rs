//! baton passes the baton between AI coding sessions: a sessions directory in the seed's
//! layout, a command line to start, log and end sessions, and a live terminal dashboard.
//!
//! Dependencies flow one way: `cli`/`tui` → `store` → `domain`.

pub mod cli;
pub mod domain;
pub mod health;
pub mod mcp;
pub mod store;
pub mod sync;
pub mod tui;
