//! Building a new segment while files are read: a batch of files at a time, their records
//! are extracted and prepared on every core and handed to a [`Writer`] on a thread of its
//! own, which spills their text. A build from nothing thus holds a few megabytes of source
//! text and records at any moment, not 20,000 files' worth, and reading and extracting the
//! next batch overlaps indexing the last.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::domain::catalog::Record;
use crate::store::fsio::{self, TEMP_MARKER, io_err};
use crate::store::layout::DECISIONS_LOG;

use super::IndexError;
use super::sources::{self, SourceKind, Stamp};
use super::writer::{Prepared, Writer};

/// How much a build holds at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Source bytes read before their records are extracted and indexed.
    pub batch_bytes: usize,
    /// Bytes of one kind's part of a spilled section (stats, heads, tails, bodies, words)
    /// kept before it goes to the spill file.
    pub block: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            batch_bytes: 1 << 20,
            block: 64 << 10,
        }
    }
}

/// One extraction to do: a whole file or a part of a log.
pub(super) struct Job {
    pub path: String,
    pub kind: SourceKind,
    pub bytes: Arc<Vec<u8>>,
    pub start: usize,
    pub end: usize,
    pub first_line: u32,
    pub mtime: Stamp,
}

/// A job's records, prepared for the writer here: the records themselves are freed on the
/// thread that made them.
fn run_job(j: &Job) -> io::Result<Prepared> {
    let part = &j.bytes[j.start..j.end];
    let records = match j.kind {
        SourceKind::Archive => sources::archive_records(&j.path, part),
        SourceKind::Handoff => vec![sources::handoff_record(&j.path, part, j.mtime)],
        SourceKind::Knowledge => Vec::new(),
        kind => sources::log_records(kind, &j.path, part, j.first_line),
    };
    prepare(&j.path, &records)
}

fn prepare(file: &str, records: &[Record]) -> io::Result<Prepared> {
    let mut p = Prepared::new(file.to_string());
    for r in records {
        p.add(r)?;
    }
    Ok(p)
}

/// Extracts on every core: an index of 10,000 sessions reads 20,000 files.
fn run_jobs(jobs: &[Job]) -> Vec<io::Result<Prepared>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let bytes: usize = jobs.iter().map(|j| j.end - j.start).sum();
    // Many small files, or a few big parts of a log.
    if threads <= 1 || jobs.len() < 2 || jobs.len() < 64 && bytes < (256 << 10) {
        return jobs.iter().map(run_job).collect();
    }
    let per = jobs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(run_job).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err(io::Error::other("index extraction panicked"))])
            })
            .collect()
    })
}

/// Units on their way to the writer, in unit order.
type Batch = Vec<Prepared>;

/// A segment being built: units go in (as jobs, or as records) in the order of their unit
/// numbers, and come out as one segment file.
pub(super) struct Build {
    dir: PathBuf,
    limits: Limits,
    jobs: Vec<Job>,
    job_bytes: usize,
    units: u32,
    records: usize,
    /// Dedupe keys of the decision log's new decisions (see `log_keys`).
    pub log_keys: HashSet<u64>,
    sink: Option<(SyncSender<Batch>, JoinHandle<io::Result<Writer>>)>,
}

impl Build {
    pub fn new(dir: &Path, limits: Limits) -> Build {
        Build {
            dir: dir.to_path_buf(),
            limits,
            jobs: Vec::new(),
            job_bytes: 0,
            units: 0,
            records: 0,
            log_keys: HashSet::new(),
            sink: None,
        }
    }

    /// Units so far (the next unit's number).
    pub fn units(&self) -> u32 {
        self.units
    }

    /// Records written or on their way.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Queues a job as the next unit; extracts the queue once it holds enough bytes.
    pub fn job(&mut self, job: Job) -> Result<(), IndexError> {
        self.units += 1;
        self.job_bytes += job.end - job.start;
        self.jobs.push(job);
        if self.job_bytes >= self.limits.batch_bytes {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds a unit of records already extracted (after every queued job).
    pub fn unit(&mut self, file: &str, records: &[Record]) -> Result<(), IndexError> {
        self.flush()?;
        self.units += 1;
        let p = prepare(file, records).map_err(io_err(&self.dir))?;
        self.send(vec![p])
    }

    /// Extracts the queued jobs and sends their records to the writer.
    pub fn flush(&mut self) -> Result<(), IndexError> {
        if self.jobs.is_empty() {
            return Ok(());
        }
        let jobs = std::mem::take(&mut self.jobs);
        self.job_bytes = 0;
        // The bytes read are freed with the jobs, before the records go to the writer.
        let batch = run_jobs(&jobs);
        drop(jobs);
        let batch = batch
            .into_iter()
            .collect::<io::Result<Batch>>()
            .map_err(io_err(&self.dir))?;
        self.send(batch)
    }

    fn send(&mut self, batch: Batch) -> Result<(), IndexError> {
        for p in &batch {
            self.records += p.len();
            if p.file == DECISIONS_LOG {
                // The log's records are all decisions: their keys are decisions' keys.
                self.log_keys.extend(p.keys());
            }
        }
        if self.sink.is_none() {
            let spill = spill_file(&self.dir).map_err(io_err(&self.dir))?;
            let writer = Writer::new(Box::new(spill), self.limits.block);
            // The writer indexes one batch while the next is read and extracted; that one
            // waits for it (no queue: every batch held is memory).
            let (tx, rx) = sync_channel::<Batch>(0);
            let handle = std::thread::spawn(move || write_all(writer, rx));
            self.sink = Some((tx, handle));
        }
        let Some((tx, _)) = &self.sink else {
            return Ok(());
        };
        if tx.send(batch).is_err() {
            // The writer stopped on an error: finishing reports it.
            return self.fail();
        }
        Ok(())
    }

    fn fail(&mut self) -> Result<(), IndexError> {
        match self.sink.take() {
            Some((tx, handle)) => {
                drop(tx);
                match handle.join() {
                    Ok(Err(e)) => Err(io_err(&self.dir)(e).into()),
                    _ => Err(io_err(&self.dir)(io::Error::other("index writer stopped")).into()),
                }
            }
            None => Ok(()),
        }
    }

    /// Writes the segment to `path`; `false` when there was no unit (nothing written).
    pub fn finish(mut self, path: &Path) -> Result<bool, IndexError> {
        self.flush()?;
        let Some((tx, handle)) = self.sink.take() else {
            return Ok(false);
        };
        drop(tx);
        let writer = match handle.join() {
            Ok(w) => w.map_err(io_err(&self.dir))?,
            Err(_) => {
                return Err(io_err(&self.dir)(io::Error::other("index writer panicked")).into());
            }
        };
        fsio::atomic_write_with(path, |out| writer.finish(out))?;
        Ok(true)
    }
}

/// The writer's thread: every batch's units, in order.
fn write_all(mut writer: Writer, rx: Receiver<Batch>) -> io::Result<Writer> {
    for batch in rx {
        for p in &batch {
            writer.add(p)?;
        }
    }
    Ok(writer)
}

/// A temp file for a build's spilled blocks, removed at once where the system allows (it
/// lives while open), else when the build is done.
pub(super) fn spill_file(dir: &Path) -> io::Result<SpillFile> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!(".spill{TEMP_MARKER}{}-{n}", std::process::id()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let left = fs::remove_file(&path).is_err().then_some(path);
    Ok(SpillFile {
        file: Some(file),
        left,
    })
}

/// The spill file; removes itself when dropped if it could not be removed while open.
pub(super) struct SpillFile {
    file: Option<File>,
    left: Option<PathBuf>,
}

impl SpillFile {
    fn file(&mut self) -> io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("spill file closed"))
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if let Some(p) = &self.left {
            let _ = fs::remove_file(p);
        }
    }
}

impl io::Read for SpillFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(self.file()?, buf)
    }
}

impl io::Write for SpillFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(self.file()?, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(self.file()?)
    }
}

impl io::Seek for SpillFile {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        io::Seek::seek(self.file()?, pos)
    }
}

/// Spill files a build left behind (a crash mid-build); removed with unused segments.
pub(super) fn is_spill(name: &str) -> bool {
    name.starts_with(".spill") && name.contains(TEMP_MARKER)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::super::*;
    use super::Limits;
    use crate::domain::search::{self, Query};

    /// Everything a catalog answers: every record in full, and searches.
    fn answers(c: &mut Catalog) -> (Vec<Record>, Vec<search::SearchResults>) {
        let records = c.records(|_| true, Detail::Full, true).unwrap();
        let searches = [
            "the",
            "fix",
            "cache kind:decision",
            "\"session cookies\"",
            "pilot",
        ]
        .iter()
        .map(|q| c.search(&Query::parse(q).unwrap(), 100_000, &[]).unwrap())
        .collect();
        (records, searches)
    }

    fn segment_bytes(root: &Path) -> Vec<Vec<u8>> {
        let dir = sources::index_dirs(root).0;
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("seg-"))
            .collect();
        names.sort();
        names.iter().map(|p| fs::read(p).unwrap()).collect()
    }

    /// Built a file at a time, its text spilled in blocks of a few bytes, the index is the
    /// one built holding everything at once: the same segment, byte for byte, the same
    /// answers. An incremental refresh in small batches answers like a fresh build.
    #[test]
    fn batched_builds_equal_builds_at_once() {
        let at_once = Limits {
            batch_bytes: usize::MAX,
            block: usize::MAX,
        };
        // A file per batch, every bit of text spilled at once; and some batches and blocks
        // spilled with a rest still buffered.
        let smalls = [
            Limits {
                batch_bytes: 1,
                block: 5,
            },
            Limits {
                batch_bytes: 20_000,
                block: 3_000,
            },
        ];
        for (seed, small) in [(false, smalls[0]), (true, smalls[0]), (false, smalls[1])] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path();
            if seed {
                crate::store::generate::generate_seed_history(root, 40).unwrap();
            } else {
                crate::store::generate::generate_history(root, 40).unwrap();
            }
            let mut whole = Catalog::open_limited(root, Scope::All, at_once).unwrap();
            assert!(whole.refresh.rebuilt);
            let expected = answers(&mut whole);
            let expected_bytes = segment_bytes(root);
            assert_eq!(expected_bytes.len(), 1);
            assert!(expected.0.len() > 100, "{}", expected.0.len());
            assert!(expected.1.iter().filter(|r| r.total > 0).count() >= 3);
            forget(root).unwrap();
            let mut batched = Catalog::open_limited(root, Scope::All, small).unwrap();
            assert!(batched.refresh.rebuilt);
            assert_eq!(batched.refresh.records_added, expected.0.len());
            assert!(
                segment_bytes(root) == expected_bytes,
                "{small:?}, seed layout: {seed}"
            );
            assert_eq!(answers(&mut batched), expected);
            let dir = sources::index_dirs(root).0;
            let left: Vec<String> = fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| build::is_spill(n))
                .collect();
            assert!(left.is_empty(), "{left:?}");

            // New and changed files, read in small batches into a second segment, then
            // merged: what a build from nothing gives.
            let log = root.join(crate::store::layout::DECISIONS_LOG);
            let mut text = fs::read_to_string(&log).unwrap();
            text.push_str("{\"decision\": \"Adopt the narwhal protocol\"}\n");
            fs::write(&log, text).unwrap();
            let handoff = root
                .join(crate::store::layout::HANDOFFS)
                .join("2030-01-01_session_1.md");
            fs::write(&handoff, "# Session handoff\n\nThe narwhal surfaced.\n").unwrap();
            let mut grown = Catalog::open_limited(root, Scope::All, small).unwrap();
            assert!(!grown.refresh.rebuilt && grown.refresh.reread >= 2);
            let incremental = answers(&mut grown);
            let dir_ = sources::index_dirs(root).0;
            let mut manifest = Manifest::decode(&fs::read(dir_.join(MANIFEST)).unwrap()).unwrap();
            let segments = std::mem::take(&mut grown.segments);
            assert_eq!(segments.len(), 2);
            let merged = merge(&dir_, segments, &mut manifest, small).unwrap();
            let mut merged = Catalog {
                live: live_units(&merged, &manifest.files),
                segments: merged,
                refresh: Refresh::default(),
            };
            let after_merge = answers(&mut merged);
            forget(root).unwrap();
            let mut fresh = Catalog::open_limited(root, Scope::All, at_once).unwrap();
            assert!(fresh.refresh.rebuilt);
            let fresh = answers(&mut fresh);
            assert!(fresh.1.iter().any(|r| r.total > 0));
            // In another order (records by segment; hits of equal rank by place).
            let sorted = |v: Vec<String>| {
                let mut v = v;
                v.sort();
                v
            };
            let unordered = |(records, searches): &(Vec<Record>, Vec<search::SearchResults>)| {
                let searches: Vec<_> = searches
                    .iter()
                    .map(|r| {
                        let hits = r.hits.iter().map(|h| format!("{h:?}")).collect();
                        (r.total, r.per_kind.clone(), sorted(hits))
                    })
                    .collect();
                (
                    sorted(records.iter().map(|r| format!("{r:?}")).collect()),
                    searches,
                )
            };
            assert!(
                unordered(&incremental) == unordered(&fresh),
                "seed layout: {seed}"
            );
            assert!(
                unordered(&after_merge) == unordered(&fresh),
                "seed layout: {seed}"
            );
        }
    }
}
