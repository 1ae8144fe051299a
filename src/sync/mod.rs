//! Beyond one machine: delivering the outbox to a memory server (`memory`) and reading
//! context back from it. Team sync over git lives in `store::gitsync` (it rewrites the
//! directory, so it belongs to the store). Used by `cli` and `tui`; uses `store` and
//! `domain`.

pub mod memory;
