//! The index: every record of the directory's archives, handoffs, logs and knowledge base
//! (see `domain::catalog`), with a full-text index over them, kept in `.baton/index/` so a
//! history of 10,000 sessions is not re-read for each `history`, `show` or `search`.
//!
//! **Never stale.** Every use starts with [`Catalog::open`], which lists the covered files
//! and compares each one's size and modification time with what the manifest recorded
//! ([`Catalog::open_scoped`] with [`Scope::Listing`] leaves out the handoffs an archive
//! names while no archive changed: `history` and `show` read only their names).
//! Anything new or different is read again (and hashed: a touched but unchanged file is not
//! re-indexed); files that are gone drop out. A file modified within two seconds of being
//! indexed is "racy" (a coarse clock could hide a second edit) and is re-hashed until it is
//! not. Append-only logs are indexed in parts of about 1 MB, each with a hash, so an append
//! re-reads only the new lines, and an edit in the middle re-reads from that part on. The
//! knowledge base contributes only the `core_decisions` the decision log lacks.
//!
//! **Incremental.** New records go into a new immutable segment, written as the files are
//! read (`build`, `writer`: a build from nothing never holds every record, or the segment,
//! in memory); the manifest says which units (files, or parts of logs) of which segments are
//! live. More than
//! [`MAX_SEGMENTS`] segments, or a segment mostly dead, are merged. A missing, corrupt or
//! older-version index is rebuilt from the files, transparently.
//!
//! Writes are atomic (temp, fsync, rename) under `.baton/index/lock`, never the directory's
//! own lock: indexing never holds up `end` or `log`. When the sessions directory cannot be
//! written, the index lives in the system's temp directory instead.

mod build;
mod codec;
mod knowledge;
mod merge;
mod segment;
pub mod sources;
mod writer;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::domain::catalog::{Kind, Record};
use crate::domain::fast_hash::FxBuildHasher;
use crate::domain::history::expected_handoff;
use crate::domain::search::{
    self, Query, Scored, SearchResults, dedupe_key, match_text, session_key, word_count,
};

use super::fsio::{self, FsError, atomic_write, io_err};
use build::{Build, Job, Limits};
pub use codec::Detail;
use codec::{Corrupt, Dec, Enc, Pool, hash};
use knowledge::{KnowledgeRead, log_keys, read_knowledge};
use merge::{merge, needs_merge};
use segment::Segment;
pub use segment::Stat;
use sources::{Found, SourceKind, Stamp};

const MAGIC: &[u8; 8] = b"BATONMF3";
/// The manifest before `named` (read, then rewritten with it).
const MAGIC_V2: &[u8; 8] = b"BATONMF2";
const MANIFEST: &str = "manifest";
/// More segments than this are merged into one (the largest is kept unless mostly dead).
pub const MAX_SEGMENTS: usize = 8;
/// A file modified this close to when it was read is re-checked by content next time.
const RACY_NS: i128 = 2_000_000_000;

#[derive(Debug, Clone, PartialEq)]
struct UnitRef {
    seg: u64,
    unit: u32,
    start: u64,
    end: u64,
    hash: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct FileState {
    path: String,
    kind: SourceKind,
    size: u64,
    mtime: Stamp,
    /// When its content was last read.
    verified: Stamp,
    /// The knowledge base depends on the decision log (size, modification time).
    dep: Option<(u64, Stamp)>,
    units: Vec<UnitRef>,
    /// A handoff whose content no listing needs: an archive names it as its handoff, the
    /// archive's session ended and no other archive claims it without an end (see
    /// [`named_handoffs`]). [`Scope::Listing`] does not `stat` it while no archive changed.
    named: bool,
}

fn ns(s: Stamp) -> i128 {
    i128::from(s.0) * 1_000_000_000 + i128::from(s.1)
}

impl FileState {
    /// The state of `f` just read whole (`size` bytes at `now`), before its units are known.
    fn read_now(f: &Found, size: usize, now: Stamp, dep: Option<(u64, Stamp)>) -> FileState {
        FileState {
            path: f.path.clone(),
            kind: f.kind,
            size: size as u64,
            mtime: f.mtime,
            verified: now,
            dep,
            units: Vec::new(),
            named: false,
        }
    }

    fn racy(&self) -> bool {
        ns(self.mtime) + RACY_NS >= ns(self.verified)
    }

    fn same_stat(&self, f: &Found) -> bool {
        self.kind == f.kind && self.size == f.size && self.mtime == f.mtime && !self.racy()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Manifest {
    next_gen: u64,
    segments: Vec<u64>,
    files: Vec<FileState>,
    /// `named` was worked out (false for a manifest of the previous version).
    named_known: bool,
}

fn enc_stamp(e: &mut Enc, s: Stamp) {
    e.i(s.0);
    e.u(u64::from(s.1));
}

fn dec_stamp(d: &mut Dec<'_>) -> Result<Stamp, Corrupt> {
    Ok((d.i()?, u32::try_from(d.u()?).map_err(|_| Corrupt)?))
}

impl Manifest {
    fn encode(&self) -> Vec<u8> {
        let mut e = Enc::default();
        e.buf.extend_from_slice(MAGIC);
        e.u(self.next_gen);
        e.u(self.segments.len() as u64);
        for g in &self.segments {
            e.u(*g);
        }
        e.u(self.files.len() as u64);
        for f in &self.files {
            e.s(&f.path);
            e.buf.push(f.kind.to_u8());
            e.buf.push(u8::from(f.named));
            e.u(f.size);
            enc_stamp(&mut e, f.mtime);
            enc_stamp(&mut e, f.verified);
            match f.dep {
                None => e.buf.push(0),
                Some((size, mtime)) => {
                    e.buf.push(1);
                    e.u(size);
                    enc_stamp(&mut e, mtime);
                }
            }
            e.u(f.units.len() as u64);
            for u in &f.units {
                e.u(u.seg);
                e.u(u64::from(u.unit));
                e.u(u.start);
                e.u(u.end);
                e.u64_le(u.hash);
            }
        }
        e.buf
    }

    fn decode(bytes: &[u8]) -> Result<Manifest, Corrupt> {
        let mut d = Dec::new(bytes);
        let named_known = match d.bytes(8)? {
            m if m == MAGIC => true,
            m if m == MAGIC_V2 => false,
            _ => return Err(Corrupt),
        };
        let next_gen = d.u()?;
        let n = d.count()?;
        let segments = (0..n)
            .map(|_| d.u())
            .collect::<Result<Vec<u64>, Corrupt>>()?;
        let n = d.count()?;
        let mut files = Vec::with_capacity(n);
        for _ in 0..n {
            let path = d.s()?;
            let kind = SourceKind::from_u8(d.bytes(1)?[0]).ok_or(Corrupt)?;
            let named = named_known && d.b()?;
            let size = d.u()?;
            let mtime = dec_stamp(&mut d)?;
            let verified = dec_stamp(&mut d)?;
            let dep = if d.b()? {
                Some((d.u()?, dec_stamp(&mut d)?))
            } else {
                None
            };
            let k = d.count()?;
            let mut units = Vec::with_capacity(k);
            for _ in 0..k {
                units.push(UnitRef {
                    seg: d.u()?,
                    unit: u32::try_from(d.u()?).map_err(|_| Corrupt)?,
                    start: d.u()?,
                    end: d.u()?,
                    hash: d.u64_le()?,
                });
            }
            files.push(FileState {
                path,
                kind,
                size,
                mtime,
                verified,
                dep,
                units,
                named,
            });
        }
        if d.pos != bytes.len() {
            return Err(Corrupt);
        }
        Ok(Manifest {
            next_gen,
            segments,
            files,
            named_known,
        })
    }
}

/// What the last [`Catalog::open`] had to do (for tests and measurements).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refresh {
    /// Files the index covers.
    pub files: usize,
    /// Files (or parts of logs) read again because they were new or changed.
    pub reread: usize,
    /// Records added to a new segment.
    pub records_added: usize,
    /// Built from nothing (no index yet, a corrupt one, or another version).
    pub rebuilt: bool,
    /// Segments were merged.
    pub merged: bool,
    /// Segments after the refresh.
    pub segments: usize,
    /// Handoffs taken as indexed without a `stat` ([`Scope::Listing`]).
    pub trusted: usize,
}

/// Which files [`Catalog::open_scoped`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every covered file: everything read from the catalog is current.
    All,
    /// Every file but the handoffs an archive names (`FileState::named`), while no archive
    /// is new, gone or changed: their records are as indexed. For readers that need only
    /// such a handoff's name (`history`, `show`), never its text, title or sections: an
    /// in-place edit of it changes nothing they show, and the next [`Scope::All`] open
    /// re-reads it.
    Listing,
}

/// Where a record is: segment and record number (valid for one open catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place(usize, u32);

/// An open, current index.
#[derive(Debug)]
pub struct Catalog {
    segments: Vec<(u64, Segment)>,
    /// Per segment, per unit: still current.
    live: Vec<Vec<bool>>,
    pub refresh: Refresh,
}

/// An error of the index: the disk, or an index that turned out unreadable mid-use (the
/// caller resets it and tries once more).
#[derive(Debug)]
pub enum IndexError {
    Fs(FsError),
    Corrupt,
}

impl From<FsError> for IndexError {
    fn from(e: FsError) -> Self {
        IndexError::Fs(e)
    }
}

impl From<Corrupt> for IndexError {
    fn from(_: Corrupt) -> Self {
        IndexError::Corrupt
    }
}

fn seg_name(gen_: u64) -> String {
    format!("seg-{gen_:08}.bin")
}

fn read_file(root: &Path, f: &Found) -> Result<Option<Vec<u8>>, FsError> {
    if f.size > fsio::MAX_READ_BYTES {
        return Ok(None);
    }
    let abs = f.abs(root);
    match fs::read(&abs) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::Io {
            path: abs,
            source: e,
        }),
    }
}

/// Whether a kept log part is still what was indexed: same bytes, and it still ends at a
/// line end (or at the end of the file: a torn last line that grew must be read again).
fn part_intact(bytes: &[u8], u: &UnitRef) -> bool {
    let (s, e) = (u.start as usize, u.end as usize);
    e <= bytes.len()
        && s <= e
        && hash(&bytes[s..e]) == u.hash
        && (e == bytes.len() || e > s && bytes[e - 1] == b'\n')
}

impl Catalog {
    /// Opens the index of the sessions directory `root`, bringing it up to date first.
    pub fn open(root: &Path) -> Result<Catalog, IndexError> {
        Self::open_scoped(root, Scope::All)
    }

    /// [`Catalog::open`], checking the files `scope` says.
    pub fn open_scoped(root: &Path, scope: Scope) -> Result<Catalog, IndexError> {
        Self::open_limited(root, scope, Limits::default())
    }

    /// [`Catalog::open_scoped`], a build holding what `limits` say at once.
    fn open_limited(root: &Path, scope: Scope, limits: Limits) -> Result<Catalog, IndexError> {
        if !root.is_dir() {
            return Ok(Catalog {
                segments: Vec::new(),
                live: Vec::new(),
                refresh: Refresh::default(),
            });
        }
        let (own, fallback) = sources::index_dirs(root);
        let dir = if prepare(&own).is_ok() {
            own
        } else {
            prepare(&fallback).map_err(IndexError::Fs)?;
            fallback
        };
        let _lock = fsio::lock(&dir.join("lock"), fsio::lock_timeout())?;
        match Self::refresh(root, &dir, scope, limits) {
            Err(IndexError::Corrupt) => {
                reset(&dir);
                Self::refresh(root, &dir, scope, limits)
            }
            other => other,
        }
    }

    fn refresh(
        root: &Path,
        dir: &Path,
        scope: Scope,
        limits: Limits,
    ) -> Result<Catalog, IndexError> {
        let mut report = Refresh::default();
        let stat_handoffs = scope == Scope::All;
        // Listing the files (a stat each) runs while the manifest and segments are read.
        let (mut found, bytes, mut segments) = std::thread::scope(|s| {
            let scan = s.spawn(|| sources::scan_names(root, stat_handoffs));
            let mut bytes = fs::read(dir.join(MANIFEST)).unwrap_or_default();
            let gens = manifest_segments(&bytes).unwrap_or_default();
            let mut segments: Vec<(u64, Segment)> = Vec::new();
            for g in gens {
                match Segment::open(&dir.join(seg_name(g))) {
                    Ok(s) => segments.push((g, s)),
                    Err(_) => {
                        bytes.clear();
                        segments.clear();
                        break;
                    }
                }
            }
            let found = scan
                .join()
                .unwrap_or_else(|_| sources::scan_names(root, stat_handoffs));
            (found, bytes, segments)
        });
        debug_assert!(found.is_sorted_by(|a, b| a.path <= b.path), "scan sorts");
        // Nothing changed (the usual case): read from the manifest's bytes, nothing built.
        if let Some(live) = unchanged(root, &bytes, &mut found, &segments, &mut report) {
            report.files = found.len();
            report.segments = segments.len();
            return Ok(Catalog {
                segments,
                live,
                refresh: report,
            });
        }
        let mut manifest = Manifest::decode(&bytes).unwrap_or_default();
        if manifest.segments.len() != segments.len() {
            // A segment did not open: everything is read again.
            manifest = Manifest::default();
            segments.clear();
        }
        report.trusted = 0;
        if manifest.segments.is_empty() && manifest.files.is_empty() {
            report.rebuilt = true;
        }
        report.files = found.len();
        let now = sources::stamp(SystemTime::now());
        // The manifest lists files sorted by path, like `found`: walk both together.
        let mut files = std::mem::take(&mut manifest.files);
        if !files.is_sorted_by(|a, b| a.path <= b.path) {
            files.sort_by(|a, b| a.path.cmp(&b.path));
        }
        if found.iter().any(|f| f.unstatted) {
            // Handoffs listed by name only: those an archive names stay as indexed while
            // every archive is as indexed; the others are checked like any file.
            let trust = manifest.named_known && archives_unchanged(&found, &files);
            // Both sorted by path: walked together.
            let mut named = files
                .iter()
                .filter(|f| trust && f.named)
                .map(|f| f.path.as_str())
                .peekable();
            found.retain_mut(|f| {
                if !f.unstatted {
                    return true;
                }
                while named.next_if(|n| *n < f.path.as_str()).is_some() {}
                named.peek() == Some(&f.path.as_str()) || f.stat(root)
            });
            report.trusted = found.iter().filter(|f| f.unstatted).count();
        }
        let log_dep = found
            .iter()
            .find(|f| f.kind == SourceKind::DecisionLog)
            .map(|f| (f.size, f.mtime));
        // The knowledge base is read as soon as the decision log is indexed (what it adds
        // depends on the log), while little else is held; its unit still comes last.
        let kb = found.iter().find(|f| f.kind == SourceKind::Knowledge);
        let mut prev_kb = kb.and_then(|k| {
            let i = files.binary_search_by(|o| o.path.cmp(&k.path)).ok()?;
            Some(files[i].clone())
        });
        let mut kb_read: Option<KnowledgeRead> = None;
        let mut old = files.into_iter().peekable();
        let mut gone = false;
        let mut states: Vec<FileState> = Vec::with_capacity(found.len());
        // New records stream into a new segment as files are read (see `build`).
        let mut build = Build::new(dir, limits);
        // (index into states, position of the unit among its file's units) per new unit.
        let mut job_slots: Vec<(usize, usize)> = Vec::new();
        let mut changed = false;

        for f in &found {
            if let Some(k) = kb
                && kb_read.is_none()
                && f.path.as_str() > crate::store::layout::DECISIONS_LOG
            {
                let in_log = || {
                    // The log's jobs are extracted first: its keys are complete.
                    build.flush()?;
                    Ok(log_keys(&segments, &states, &build.log_keys))
                };
                kb_read = Some(read_knowledge(
                    root,
                    k,
                    prev_kb.take(),
                    log_dep,
                    now,
                    in_log,
                )?);
            }
            while old.peek().is_some_and(|o| o.path < f.path) {
                old.next();
                gone = true;
            }
            let prev = old.next_if(|o| o.path == f.path);
            if f.kind == SourceKind::Knowledge {
                continue;
            }
            let prev = match prev {
                Some(p) if f.unstatted || p.same_stat(f) => {
                    states.push(p);
                    continue;
                }
                other => other,
            };
            changed = true;
            let Some(bytes) = read_file(root, f)? else {
                continue;
            };
            let bytes = Arc::new(bytes);
            let mut state = FileState::read_now(f, bytes.len(), now, None);
            let whole = !f.kind.is_log() || sources::is_array(&bytes);
            let kept: Vec<UnitRef> = match &prev {
                Some(p) if p.kind == f.kind && whole => p
                    .units
                    .iter()
                    .filter(|u| {
                        u.start == 0 && u.end == bytes.len() as u64 && part_intact(&bytes, u)
                    })
                    .take(1)
                    .cloned()
                    .collect(),
                Some(p) if p.kind == f.kind => {
                    let mut units = p.units.clone();
                    units.sort_by_key(|u| u.start);
                    let mut keep = Vec::new();
                    let mut at = 0u64;
                    for u in units {
                        if u.start != at || !part_intact(&bytes, &u) {
                            break;
                        }
                        at = u.end;
                        keep.push(u);
                    }
                    keep
                }
                _ => Vec::new(),
            };
            let from = kept.last().map_or(0, |u| u.end as usize);
            state.units = kept;
            let slot = states.len();
            let parts = if whole {
                if state.units.is_empty() {
                    vec![(0, bytes.len())]
                } else {
                    Vec::new()
                }
            } else {
                sources::chunks(&bytes, from)
            };
            for (start, end) in parts {
                let first_line = 1 + memchr::memchr_iter(b'\n', &bytes[..start]).count() as u32;
                job_slots.push((slot, state.units.len()));
                state.units.push(UnitRef {
                    seg: u64::MAX,
                    unit: 0,
                    start: start as u64,
                    end: end as u64,
                    hash: hash(&bytes[start..end]),
                });
                build.job(Job {
                    path: f.path.clone(),
                    kind: f.kind,
                    bytes: bytes.clone(),
                    start,
                    end,
                    first_line,
                    mtime: f.mtime,
                })?;
            }
            states.push(state);
        }
        report.reread = build.units() as usize;

        if let Some(kb) = kb_read {
            changed |= kb.read;
            if let Some(state) = kb.state {
                if let Some(records) = kb.records {
                    job_slots.push((states.len(), 0));
                    build.unit(&state.path, &records)?;
                    report.reread += 1;
                }
                states.push(state);
            }
        }
        if gone || old.next().is_some() {
            changed = true; // files that are gone
        }

        if changed || !manifest.named_known {
            if build.units() > 0 {
                let g = manifest.next_gen;
                manifest.next_gen += 1;
                report.records_added = build.records();
                build.finish(&dir.join(seg_name(g)))?;
                for (k, &(slot, pos)) in job_slots.iter().enumerate() {
                    let u = &mut states[slot].units[pos];
                    u.seg = g;
                    u.unit = k as u32;
                }
                segments.push((g, Segment::open(&dir.join(seg_name(g)))?));
            }
            states.sort_by(|a, b| a.path.cmp(&b.path));
            manifest.files = states;
            let live = live_units(&segments, &manifest.files);
            // Drop segments nothing refers to any more.
            let mut kept = Vec::new();
            for ((g, s), l) in segments.into_iter().zip(&live) {
                if l.iter().any(|x| *x) {
                    kept.push((g, s));
                }
            }
            segments = kept;
            if needs_merge(&segments, &live_units(&segments, &manifest.files)) {
                segments = merge(dir, segments, &mut manifest, limits)?;
                report.merged = true;
            }
            let named = named_handoffs(&segments, &live_units(&segments, &manifest.files))?;
            for f in &mut manifest.files {
                f.named = f.kind == SourceKind::Handoff && named.contains(f.path.as_str());
            }
            manifest.named_known = true;
            manifest.segments = segments.iter().map(|(g, _)| *g).collect();
            atomic_write(&dir.join(MANIFEST), &manifest.encode())?;
            remove_unused(dir, &manifest.segments);
        } else {
            manifest.files = states;
        }
        let live = live_units(&segments, &manifest.files);
        report.segments = segments.len();
        Ok(Catalog {
            segments,
            live,
            refresh: report,
        })
    }

    fn is_live(&self, seg: usize, stat: &Stat) -> bool {
        self.live
            .get(seg)
            .and_then(|l| l.get(stat.unit as usize))
            .copied()
            .unwrap_or(false)
    }

    /// Every current record whose stat `keep` accepts, in index order.
    pub fn records(
        &self,
        keep: impl Fn(&Stat) -> bool,
        detail: Detail,
        with_body: bool,
    ) -> Result<Vec<Record>, IndexError> {
        self.records_in(|s, _| keep(s), detail, with_body)
    }

    /// Like [`Catalog::records`], `keep` also seeing the file (relative to the sessions
    /// directory) each record came from.
    pub fn records_in(
        &self,
        keep: impl Fn(&Stat, &str) -> bool,
        detail: Detail,
        with_body: bool,
    ) -> Result<Vec<Record>, IndexError> {
        let mut out = Vec::new();
        self.records_into(&mut out, keep, detail, with_body)?;
        Ok(out)
    }

    /// [`Catalog::records_in`], appending to `out` (which grows by exactly what is added
    /// when it has no room: a history of 10,000 sessions is ~90,000 records).
    pub fn records_into(
        &self,
        out: &mut Vec<Record>,
        keep: impl Fn(&Stat, &str) -> bool,
        detail: Detail,
        with_body: bool,
    ) -> Result<(), IndexError> {
        out.reserve_exact(self.count(&keep));
        self.each_record(keep, detail, with_body, |r| out.push(r))
    }

    /// How many current records `keep` accepts (from their stats; none is read).
    pub fn count(&self, keep: impl Fn(&Stat, &str) -> bool) -> usize {
        self.stats_in().filter(|(_, s, file)| keep(s, file)).count()
    }

    /// Every current record `keep` accepts, in index order, handed to `f` as it is decoded:
    /// a reader that keeps part of each record never holds them all.
    pub fn each_record(
        &self,
        keep: impl Fn(&Stat, &str) -> bool,
        detail: Detail,
        with_body: bool,
        mut f: impl FnMut(Record),
    ) -> Result<(), IndexError> {
        let wanted = |i: usize, s: &Stat| {
            let (live, seg) = (&self.live[i], &self.segments[i].1);
            live.get(s.unit as usize).copied().unwrap_or(false)
                && seg
                    .units
                    .get(s.unit as usize)
                    .is_some_and(|u| keep(s, &u.file))
        };
        let mut pool = Pool::default();
        for (i, (_, seg)) in self.segments.iter().enumerate() {
            seg.each(
                |_, s| wanted(i, s),
                detail,
                with_body,
                &mut pool,
                |_, r| f(r),
            )?;
        }
        Ok(())
    }

    /// Every current record's place, stat and file (relative to the sessions directory),
    /// without reading any record.
    pub fn stats_in(&self) -> impl Iterator<Item = (Place, &Stat, &str)> + '_ {
        self.stats().filter_map(|(p, s)| {
            let file = self.segments[p.0].1.units.get(s.unit as usize)?;
            Some((p, s, file.file.as_str()))
        })
    }

    /// Every current record's place and stat, without reading any record.
    pub fn stats(&self) -> impl Iterator<Item = (Place, &Stat)> + '_ {
        self.segments
            .iter()
            .enumerate()
            .flat_map(move |(i, (_, seg))| {
                seg.stats
                    .iter()
                    .enumerate()
                    .filter(move |(_, s)| self.is_live(i, s))
                    .map(move |(d, s)| (Place(i, d as u32), s))
            })
    }

    /// The records at `places`, in index order.
    pub fn fetch(
        &self,
        places: &[Place],
        detail: Detail,
        with_body: bool,
    ) -> Result<Vec<Record>, IndexError> {
        let mut out = Vec::with_capacity(places.len());
        let mut pool = Pool::default();
        for (i, (_, seg)) in self.segments.iter().enumerate() {
            let wanted: HashSet<u32, FxBuildHasher> =
                places.iter().filter(|p| p.0 == i).map(|p| p.1).collect();
            if wanted.is_empty() {
                continue;
            }
            seg.each(
                |d, _| wanted.contains(&d),
                detail,
                with_body,
                &mut pool,
                |_, r| out.push(r),
            )?;
        }
        Ok(out)
    }

    /// How many current records of each kind.
    pub fn counts(&self) -> HashMap<Kind, usize> {
        let mut out = HashMap::new();
        for (i, (_, seg)) in self.segments.iter().enumerate() {
            for s in &seg.stats {
                if self.is_live(i, s) {
                    *out.entry(s.kind).or_insert(0) += 1;
                }
            }
        }
        out
    }

    /// Searches the index, plus `extra` records (running sessions) that are not in it.
    pub fn search(
        &mut self,
        query: &Query,
        limit: usize,
        extra: &[Record],
    ) -> Result<SearchResults, IndexError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Loc {
            Seg(usize, u32),
            Extra(usize),
        }
        let nterms = query.terms.len();
        // Corpus statistics over every current searched record.
        let mut docs = 0f64;
        let mut total_len = 0f64;
        for (i, (_, seg)) in self.segments.iter().enumerate() {
            for s in &seg.stats {
                if Kind::SEARCHED.contains(&s.kind) && self.is_live(i, s) {
                    docs += 1.0;
                    total_len += f64::from(s.len);
                }
            }
        }
        let extra_len: Vec<u32> = extra
            .iter()
            .map(|r| word_count(&r.title, &r.body))
            .collect();
        for (r, len) in extra.iter().zip(&extra_len) {
            if Kind::SEARCHED.contains(&r.kind) {
                docs += 1.0;
                total_len += f64::from(*len);
            }
        }
        let avg = if docs > 0.0 { total_len / docs } else { 1.0 };
        let needs_text = query.terms.iter().any(|t| !t.is_simple());

        let mut df = vec![0f64; nterms];
        // Candidates: location, per-term frequencies, length.
        let mut cands: Vec<(Loc, Vec<u32>, u32)> = Vec::new();
        for si in 0..self.segments.len() {
            let n = self.segments[si].1.records as usize;
            let mut per_term: Vec<Vec<u32>> = Vec::with_capacity(nterms);
            for term in &query.terms {
                let seg = &mut self.segments[si].1;
                let mut tf = vec![0u32; n];
                if term.is_simple() {
                    seg.accumulate(&term.tokens[0], &mut tf)?;
                } else if term.tokens.is_empty() {
                    tf.iter_mut().for_each(|x| *x = 1); // only the text can tell
                } else {
                    // Every word of the term must be there; the text decides the rest.
                    let mut all = vec![u32::MAX; n];
                    for tok in &term.tokens {
                        let mut one = vec![0u32; n];
                        seg.accumulate(tok, &mut one)?;
                        for (a, o) in all.iter_mut().zip(&one) {
                            *a = (*a).min(*o);
                        }
                    }
                    tf = all;
                }
                per_term.push(tf);
            }
            let seg = &self.segments[si].1;
            for (t, tf) in per_term.iter().enumerate() {
                df[t] += seg
                    .stats
                    .iter()
                    .zip(tf)
                    .filter(|(s, f)| {
                        **f > 0 && Kind::SEARCHED.contains(&s.kind) && self.is_live(si, s)
                    })
                    .count() as f64;
            }
            for (d, s) in seg.stats.iter().enumerate() {
                // The date only when a range asks (turning it into a time costs).
                let dated_ok = query.range.is_open() || query.range.contains(s.when());
                if !query.wants(s.kind) || !dated_ok || !self.is_live(si, s) {
                    continue;
                }
                if per_term.iter().all(|tf| tf[d] > 0) {
                    cands.push((
                        Loc::Seg(si, d as u32),
                        per_term.iter().map(|tf| tf[d]).collect(),
                        s.len,
                    ));
                }
            }
        }

        // Check the words the index cannot answer alone against the text.
        let mut matched: HashMap<(usize, u32), Vec<u32>> = HashMap::new();
        if needs_text && !query.terms.is_empty() {
            let mut by_seg: HashMap<usize, HashSet<u32>> = HashMap::new();
            for (loc, _, _) in &cands {
                if let Loc::Seg(si, d) = loc {
                    by_seg.entry(*si).or_default().insert(*d);
                }
            }
            for (si, wanted) in by_seg {
                let seg = &self.segments[si].1;
                let recs: Vec<(u32, Record)> = if wanted.len() > 256 {
                    seg.records(|d, _| wanted.contains(&d), Detail::Head, true)?
                } else {
                    let mut v = Vec::with_capacity(wanted.len());
                    for &d in &wanted {
                        v.push((d, seg.record(d)?));
                    }
                    v
                };
                for (d, r) in recs {
                    if let Some(tf) = search::verify(query, &r.title, &r.body) {
                        matched.insert((si, d), tf);
                    }
                }
            }
            cands.retain_mut(|(loc, tf, _)| match loc {
                Loc::Seg(si, d) => match matched.get(&(*si, *d)) {
                    Some(verified) => {
                        for (t, term) in query.terms.iter().enumerate() {
                            if !term.is_simple() {
                                tf[t] = verified[t];
                            }
                        }
                        true
                    }
                    None => false,
                },
                Loc::Extra(_) => true,
            });
        }
        for (i, r) in extra.iter().enumerate() {
            if !query.accepts(r.kind, r.when) {
                continue;
            }
            if query.terms.is_empty() {
                cands.push((Loc::Extra(i), Vec::new(), extra_len[i]));
            } else if let Some(m) = match_text(query, &r.title, &r.body) {
                for (t, term) in query.terms.iter().enumerate() {
                    if m.tf[t] > 0 && term.is_simple() {
                        df[t] += 1.0;
                    }
                }
                cands.push((Loc::Extra(i), m.tf.clone(), m.len));
            }
        }

        let mut scored: Vec<Scored<Loc>> = cands
            .into_iter()
            .map(|(loc, tf, len)| {
                let (kind, when, key, session) = match loc {
                    Loc::Seg(si, d) => {
                        let s = &self.segments[si].1.stats[d as usize];
                        (s.kind, s.when(), s.key, s.session)
                    }
                    Loc::Extra(i) => {
                        let r = &extra[i];
                        (
                            r.kind,
                            r.when,
                            dedupe_key(r.kind, &r.title),
                            session_key(r.session_id.as_deref()),
                        )
                    }
                };
                Scored {
                    item: loc,
                    kind,
                    score: search::score(query, &tf, f64::from(len), docs, &df, avg),
                    when,
                    key,
                    session,
                }
            })
            .collect();
        search::rank(&mut scored);
        let scored = search::dedupe(scored);
        let mut results = SearchResults {
            total: scored.len(),
            per_kind: search::per_kind(&scored),
            hits: Vec::new(),
        };
        for s in scored.into_iter().take(limit) {
            let record = match s.item {
                Loc::Seg(si, d) => self.segments[si].1.record(d)?,
                Loc::Extra(i) => extra[i].clone(),
            };
            let m = match_text(query, &record.title, &record.body).unwrap_or_default();
            results.hits.push(search::hit(&record, s.score, m));
        }
        Ok(results)
    }
}

/// Creates the index directory (and its `.gitignore`: an index is never shared).
fn prepare(dir: &Path) -> Result<(), FsError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        atomic_write(
            &ignore,
            b"# baton's search and history index: a cache, rebuilt when missing\n*\n",
        )?;
    }
    Ok(())
}

/// Forgets the index (its files are rebuilt on the next open).
fn reset(dir: &Path) {
    let _ = fs::remove_file(dir.join(MANIFEST));
    remove_unused(dir, &[]);
}

fn remove_unused(dir: &Path, keep: &[u64]) {
    let keep: HashSet<String> = keep.iter().map(|g| seg_name(*g)).collect();
    if let Ok(iter) = fs::read_dir(dir) {
        for e in iter.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("seg-") && !keep.contains(&name) || build::is_spill(&name) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

fn live_units(segments: &[(u64, Segment)], files: &[FileState]) -> Vec<Vec<bool>> {
    let pos: HashMap<u64, usize> = segments
        .iter()
        .enumerate()
        .map(|(i, (g, _))| (*g, i))
        .collect();
    let mut live: Vec<Vec<bool>> = segments
        .iter()
        .map(|(_, s)| vec![false; s.units.len()])
        .collect();
    for f in files {
        for u in &f.units {
            if let Some(&i) = pos.get(&u.seg)
                && let Some(slot) = live[i].get_mut(u.unit as usize)
            {
                *slot = true;
            }
        }
    }
    live
}

/// The segments a manifest lists (its header), `None` for no or another manifest.
fn manifest_segments(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut d = Dec::new(bytes);
    let m = d.bytes(8).ok()?;
    if m != MAGIC && m != MAGIC_V2 {
        return None;
    }
    d.u().ok()?;
    let n = d.count().ok()?;
    (0..n).map(|_| d.u().ok()).collect()
}

/// When every file found is the one the manifest (`bytes`, of the current version) lists,
/// unchanged and not racy (handoffs listed by name only: named, or stat-ed and unchanged),
/// and nothing is gone: which units of `segments` are live. `None`: anything else (the
/// full refresh decides). Reads the manifest in place, building nothing per file: a
/// directory of 10,000 sessions has 20,000 files, and this runs on every command.
fn unchanged(
    root: &Path,
    bytes: &[u8],
    found: &mut [Found],
    segments: &[(u64, Segment)],
    report: &mut Refresh,
) -> Option<Vec<Vec<bool>>> {
    let mut d = Dec::new(bytes);
    if d.bytes(8).ok()? != MAGIC {
        return None;
    }
    d.u().ok()?;
    if d.count().ok()? != segments.len() || segments.is_empty() {
        return None;
    }
    for (g, _) in segments {
        (d.u().ok()? == *g).then_some(())?;
    }
    let mut live: Vec<Vec<bool>> = segments
        .iter()
        .map(|(_, s)| vec![false; s.units.len()])
        .collect();
    let log_dep = found
        .iter()
        .find(|f| f.kind == SourceKind::DecisionLog)
        .map(|f| (f.size, f.mtime));
    if d.count().ok()? != found.len() {
        return None;
    }
    let mut trusted = 0;
    // A named handoff is taken as indexed only because every archive is: an archive that
    // differs ends this (archives come after handoffs in path order; nothing is kept).
    for f in found.iter_mut() {
        let path = d.str().ok()?;
        let kind = SourceKind::from_u8(d.bytes(1).ok()?[0])?;
        let named = d.b().ok()?;
        let size = d.u().ok()?;
        let mtime = dec_stamp(&mut d).ok()?;
        let verified = dec_stamp(&mut d).ok()?;
        let dep = if d.b().ok()? {
            Some((d.u().ok()?, dec_stamp(&mut d).ok()?))
        } else {
            None
        };
        if path != f.path || kind != f.kind {
            return None;
        }
        if f.unstatted && named {
            trusted += 1;
        } else {
            if f.unstatted && !f.stat(root) {
                return None; // gone
            }
            let racy = ns(mtime) + RACY_NS >= ns(verified);
            if size != f.size || mtime != f.mtime || racy {
                return None;
            }
            if kind == SourceKind::Knowledge && dep != log_dep {
                return None;
            }
        }
        let k = d.count().ok()?;
        for _ in 0..k {
            let seg = d.u().ok()?;
            let unit = usize::try_from(d.u().ok()?).ok()?;
            d.u().ok()?;
            d.u().ok()?;
            d.u64_le().ok()?;
            let i = segments.iter().position(|(g, _)| *g == seg)?;
            *live[i].get_mut(unit)? = true;
        }
    }
    (d.pos == bytes.len()).then_some(())?;
    report.trusted = trusted;
    Some(live)
}

/// Whether every archive found is the one indexed, unchanged (and none is gone).
fn archives_unchanged(found: &[Found], files: &[FileState]) -> bool {
    let now = found.iter().filter(|f| f.kind == SourceKind::Archive);
    let then = files.iter().filter(|f| f.kind == SourceKind::Archive);
    now.clone().count() == then.clone().count()
        && now
            .zip(then)
            .all(|(f, s)| s.path == f.path && s.same_stat(f))
}

/// The handoffs (paths in the sessions directory) whose content no listing needs: named
/// by an archive whose session ended and whose id no other archive has, and claimed by no
/// archive without an end (by name, or by the name `end` would give it). Every history
/// gives such a handoff to an archived session and dates it by that session's end, so
/// `history` and `show` read nothing of it but its name.
fn named_handoffs(
    segments: &[(u64, Segment)],
    live: &[Vec<bool>],
) -> Result<HashSet<String>, IndexError> {
    let mut sessions: Vec<Record> = Vec::new();
    let mut pool = Pool::default();
    for (i, (_, seg)) in segments.iter().enumerate() {
        let live = &live[i];
        seg.each(
            |_, s| s.kind == Kind::Session && live.get(s.unit as usize).copied().unwrap_or(false),
            Detail::Head,
            false,
            &mut pool,
            |_, r| sessions.push(r),
        )?;
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for r in &sessions {
        *ids.entry(r.session_id.as_deref().unwrap_or_default())
            .or_default() += 1;
    }
    let mut named = HashSet::new();
    let mut unsafe_names = HashSet::new();
    for r in &sessions {
        let Some(s) = r.session() else { continue };
        let id = r.session_id.as_deref().unwrap_or_default();
        if s.ended.is_none() {
            unsafe_names.extend(expected_handoff(id, s));
        } else if let Some(f) = &s.handoff_file
            && (id.is_empty() || ids.get(id) == Some(&1))
        {
            named.insert(f.clone());
        }
    }
    Ok(named
        .difference(&unsafe_names)
        .map(|f| format!("{}/{f}", crate::store::layout::HANDOFFS))
        .collect())
}

/// Where the index of `root` lives when the directory can be written.
pub fn index_dir(root: &Path) -> PathBuf {
    sources::index_dirs(root).0
}

/// Forgets the index of `root` (it is rebuilt on the next open), under its lock.
pub fn forget(root: &Path) -> Result<(), FsError> {
    for dir in [sources::index_dirs(root).0, sources::index_dirs(root).1] {
        if dir.is_dir() {
            let _lock = fsio::lock(&dir.join("lock"), fsio::lock_timeout())?;
            reset(&dir);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The no-change path reads the same live units the full refresh works out, and any
    /// change (in place, new, gone) takes the full path.
    #[test]
    fn an_unchanged_directory_is_read_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        crate::store::generate::generate_history(root, 20).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for sub in [
            ".",
            crate::store::layout::ARCHIVE,
            crate::store::layout::HANDOFFS,
        ] {
            for e in fs::read_dir(root.join(sub)).unwrap() {
                let path = e.unwrap().path();
                if path.is_file() {
                    let f = fs::File::options().write(true).open(path).unwrap();
                    f.set_modified(old).unwrap();
                }
            }
        }
        let built = Catalog::open(root).unwrap();
        assert!(built.refresh.rebuilt);
        let dir = sources::index_dirs(root).0;
        let bytes = fs::read(dir.join(MANIFEST)).unwrap();
        let manifest = Manifest::decode(&bytes).unwrap();
        for scope in [Scope::All, Scope::Listing] {
            let c = Catalog::open_scoped(root, scope).unwrap();
            assert_eq!(c.refresh.reread, 0);
            let mut found = sources::scan_names(root, scope == Scope::All);
            let mut report = Refresh::default();
            let live = unchanged(root, &bytes, &mut found, &c.segments, &mut report).unwrap();
            assert_eq!(live, live_units(&c.segments, &manifest.files));
            assert_eq!(live, c.live);
            let trusted = if scope == Scope::All { 0 } else { 20 };
            assert_eq!((report.trusted, c.refresh.trusted), (trusted, trusted));
        }
        // An archive edited in place: not unchanged.
        let archive = fs::read_dir(root.join(crate::store::layout::ARCHIVE))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut text = fs::read_to_string(&archive).unwrap();
        text.push(' ');
        fs::write(&archive, text).unwrap();
        let c = Catalog::open_scoped(root, Scope::Listing).unwrap();
        let takes_full_path = |bytes: &[u8], all: bool| {
            let mut found = sources::scan_names(root, all);
            let read = unchanged(
                root,
                bytes,
                &mut found,
                &c.segments,
                &mut Refresh::default(),
            );
            read.is_none()
        };
        assert!(takes_full_path(&bytes, false));
        assert_eq!((c.refresh.reread, c.refresh.trusted), (1, 0));
        // A file gone, and one new.
        let handoff = fs::read_dir(root.join(crate::store::layout::HANDOFFS))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        fs::remove_file(&handoff).unwrap();
        let bytes = fs::read(dir.join(MANIFEST)).unwrap();
        assert!(takes_full_path(&bytes, true));
    }

    #[test]
    fn manifest_round_trips_and_rejects_garbage() {
        let m = Manifest {
            next_gen: 3,
            segments: vec![1, 2],
            files: vec![FileState {
                path: "SESSION_LOGS/a.json".into(),
                kind: SourceKind::Archive,
                size: 10,
                mtime: (100, 5),
                verified: (200, 0),
                dep: Some((4, (1, 2))),
                units: vec![UnitRef {
                    seg: 2,
                    unit: 0,
                    start: 0,
                    end: 10,
                    hash: 99,
                }],
                named: true,
            }],
            named_known: true,
        };
        let bytes = m.encode();
        assert_eq!(Manifest::decode(&bytes).unwrap(), m);
        assert!(Manifest::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(Manifest::decode(b"garbage!").is_err());
    }
}
