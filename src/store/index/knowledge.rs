//! The knowledge base's part of the index: its `core_decisions` that the decision log does
//! not hold, read again when it or the log changes.

use std::collections::HashSet;
use std::path::Path;

use crate::domain::catalog::{Kind, Record};

use super::segment::Segment;
use super::sources::{self, Found, Stamp};
use super::{FileState, IndexError, UnitRef, hash, live_units, read_file};

/// The knowledge base as a refresh finds it.
pub(super) struct KnowledgeRead {
    /// Its state (`None`: it could not be read).
    pub state: Option<FileState>,
    /// Its records, when read again: a new unit.
    pub records: Option<Vec<Record>>,
    /// It was read.
    pub read: bool,
}

/// Checks the knowledge base `f` against `prev` and reads it again when it (or the
/// decision log, `log_dep`) changed: its decisions that the log (keys from `in_log`) lacks.
pub(super) fn read_knowledge(
    root: &Path,
    f: &Found,
    prev: Option<FileState>,
    log_dep: Option<(u64, Stamp)>,
    now: Stamp,
    in_log: impl FnOnce() -> Result<HashSet<u64>, IndexError>,
) -> Result<KnowledgeRead, IndexError> {
    if prev
        .as_ref()
        .is_some_and(|p| p.same_stat(f) && p.dep == log_dep)
    {
        return Ok(KnowledgeRead {
            state: prev,
            records: None,
            read: false,
        });
    }
    let Some(bytes) = read_file(root, f)? else {
        return Ok(KnowledgeRead {
            state: None,
            records: None,
            read: false,
        });
    };
    let h = hash(&bytes);
    let mut state = FileState::read_now(f, bytes.len(), now, log_dep);
    let unchanged = prev
        .as_ref()
        .is_some_and(|p| p.dep == log_dep && p.units.len() == 1 && p.units[0].hash == h);
    let mut records = None;
    if unchanged {
        state.units = prev.map(|p| p.units).unwrap_or_default();
    } else {
        records = Some(sources::knowledge_records(&f.path, &bytes, &in_log()?));
        state.units.push(UnitRef {
            seg: u64::MAX,
            unit: 0,
            start: 0,
            end: state.size,
            hash: h,
        });
    }
    Ok(KnowledgeRead {
        state: Some(state),
        records,
        read: true,
    })
}

/// Dedupe keys of the decision log's current decisions (to leave the knowledge base's
/// copies out): those indexed and still live, and `new` (the new segment's).
pub(super) fn log_keys(
    segments: &[(u64, Segment)],
    states: &[FileState],
    new: &HashSet<u64>,
) -> HashSet<u64> {
    let mut keys = new.clone();
    let live = live_units(segments, states);
    for (i, (_, seg)) in segments.iter().enumerate() {
        for s in &seg.stats {
            if s.kind == Kind::Decision
                && live[i].get(s.unit as usize).copied().unwrap_or(false)
                && seg.units[s.unit as usize].file == crate::store::layout::DECISIONS_LOG
            {
                keys.insert(s.key);
            }
        }
    }
    keys
}
