//! The pure core: types and logic with no I/O. Everything here is a function of its inputs
//! (the current time included), so it is tested without a disk, a clock or a terminal.

pub mod archive;
pub mod asof;
pub mod board;
pub mod catalog;
pub mod check;
pub mod compose;
pub mod context;
pub mod decision_head;
pub mod events;
pub mod fast_hash;
pub mod fold;
pub mod handoff;
pub mod history;
pub mod hooks_settings;
pub mod ids;
pub mod items;
pub mod json_doc;
pub mod knowledge;
pub mod knowledge_sync;
pub mod logs;
pub mod outbox;
pub mod problem;
pub mod raw_list;
pub mod redact;
pub mod repeats;
pub mod scrub;
pub mod search;
pub mod services;
pub mod session;
pub mod show;
pub mod stale;
pub mod template;
pub mod text;
pub mod time;
pub mod timeline;
