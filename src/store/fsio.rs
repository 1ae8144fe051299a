//! The only code that writes to the sessions directory. It keeps DESIGN.md's write rules:
//! whole files go temp → fsync → rename → fsync the directory; read-modify-writes hold an
//! exclusive lock on a sidecar file; appends are one `write` of one whole line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Suffix of baton's temporary files; the watcher and readers ignore them.
pub const TEMP_MARKER: &str = ".baton-tmp-";

/// Files larger than this are not read whole (a log that big is reported, not loaded).
pub const MAX_READ_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub enum FsError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// Another process held the lock for longer than we were willing to wait.
    LockTimeout {
        path: PathBuf,
        waited: Duration,
        holder: Option<String>,
    },
    TooLarge {
        path: PathBuf,
        size: u64,
    },
}

impl std::fmt::Display for FsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FsError::LockTimeout {
                path,
                waited,
                holder,
            } => write!(
                f,
                "{}: another baton process has held the lock for over {:.1} s{}; wait for it to finish, \
                 or set BATON_LOCK_TIMEOUT_MS to wait longer",
                path.display(),
                waited.as_secs_f64(),
                holder
                    .as_ref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            ),
            FsError::TooLarge { path, size } => write!(
                f,
                "{}: {} MB is larger than baton reads ({} MB); split or archive the file",
                path.display(),
                size / (1024 * 1024),
                MAX_READ_BYTES / (1024 * 1024)
            ),
        }
    }
}

impl std::error::Error for FsError {}

pub fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FsError + '_ {
    move |source| FsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a whole file; `Ok(None)` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FsError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(FsError::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let size = file.metadata().map_err(io_err(path))?.len();
    if size > MAX_READ_BYTES {
        return Err(FsError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.read_to_end(&mut bytes).map_err(io_err(path))?;
    Ok(Some(bytes))
}

/// The bytes from `offset` to the end (empty past the end); `Ok(None)` when the file does
/// not exist. Checking what was appended after a known length reads only that part.
pub fn read_from(path: &Path, offset: u64) -> Result<Option<Vec<u8>>, FsError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let size = file.metadata().map_err(io_err(path))?.len();
    if size.saturating_sub(offset) > MAX_READ_BYTES {
        return Err(FsError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let mut bytes = Vec::new();
    if offset < size {
        file.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
        file.read_to_end(&mut bytes).map_err(io_err(path))?;
    }
    Ok(Some(bytes))
}

/// The first byte that is not whitespace (after a byte-order mark), reading only as far as
/// it takes; `None` for a missing or blank file.
pub fn first_non_space(path: &Path) -> Result<Option<u8>, FsError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut reader = io::BufReader::new(file);
    let mut at_start = true;
    loop {
        let buf = io::BufRead::fill_buf(&mut reader).map_err(io_err(path))?;
        if buf.is_empty() {
            return Ok(None);
        }
        let mut skip = 0;
        if at_start && buf.starts_with(b"\xEF\xBB\xBF") {
            skip = 3;
        }
        at_start = false;
        let len = buf.len();
        if let Some(&b) = buf[skip..].iter().find(|b| !b.is_ascii_whitespace()) {
            return Ok(Some(b));
        }
        io::BufRead::consume(&mut reader, len);
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}{TEMP_MARKER}{}-{n}", std::process::id()))
}

/// Writes `parts`, one after the other, to a new temp file beside `path`, fsynced when
/// `durable`; the caller moves it into place (or removes it).
fn write_temp(path: &Path, parts: &[&[u8]], durable: bool) -> Result<PathBuf, FsError> {
    write_temp_with(path, durable, |file| {
        for part in parts {
            file.write_all(part)?;
        }
        Ok(())
    })
}

/// [`write_temp`] of what `write` writes (through a buffer).
fn write_temp_with(
    path: &Path,
    durable: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<PathBuf, FsError> {
    let dir = parent_of(path);
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let tmp = temp_path(path);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|file| {
            let mut out = io::BufWriter::with_capacity(1 << 16, file);
            write(&mut out)?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            if durable { file.sync_all() } else { Ok(()) }
        });
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(FsError::Io {
                path: tmp,
                source: e,
            })
        }
    }
}

/// Renames the temp file `tmp` over `path` (removing it if that fails).
fn move_into_place(tmp: &Path, path: &Path) -> Result<(), FsError> {
    fs::rename(tmp, path).map_err(|e| {
        let _ = fs::remove_file(tmp);
        FsError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

/// Writes a whole file so that a reader sees either the old or the new content, whoever
/// crashes when: temp file in the same directory → fsync → rename → fsync the directory.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    atomic_write_parts(path, &[bytes])
}

/// [`atomic_write`] of `parts` joined, without joining them in memory (a knowledge base is
/// megabytes, most of them one part kept as read).
pub fn atomic_write_parts(path: &Path, parts: &[&[u8]]) -> Result<(), FsError> {
    stage(path, parts)?.commit()
}

/// The first half of [`atomic_write_parts`]: `parts` written and fsynced to a temp file beside
/// `path`, not yet in place. `end` stages the knowledge base while it writes the session's
/// other files, then puts it in place last. Dropped without [`Staged::commit`], the temp
/// file is removed.
#[derive(Debug)]
pub struct Staged {
    tmp: Option<PathBuf>,
    path: PathBuf,
}

pub fn stage(path: &Path, parts: &[&[u8]]) -> Result<Staged, FsError> {
    Ok(Staged {
        tmp: Some(write_temp(path, parts, true)?),
        path: path.to_path_buf(),
    })
}

impl Staged {
    /// Renames the temp file over the destination and fsyncs the directory.
    pub fn commit(self) -> Result<(), FsError> {
        self.commit_keeping_replaced().map(drop)
    }

    /// [`Staged::commit`], returning the file it replaced still open. Its last handle frees
    /// its pages and blocks when dropped, milliseconds for megabytes: a caller with other
    /// work drops it beside that work rather than before it.
    pub fn commit_keeping_replaced(mut self) -> Result<Option<File>, FsError> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(None); // `commit` takes `self`: the temp file is always still there
        };
        let replaced = File::open(&self.path).ok();
        move_into_place(&tmp, &self.path)?;
        sync_dir(parent_of(&self.path))?;
        Ok(replaced)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// [`atomic_write`] of what `write` writes: a file too big to be built in memory first.
pub fn atomic_write_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), FsError> {
    Staged {
        tmp: Some(write_temp_with(path, true, write)?),
        path: path.to_path_buf(),
    }
    .commit()
}

/// Replaces a file that can be rebuilt (a cache): readers see the old or the new content,
/// but nothing is fsynced, so a crash may lose it (then it is rebuilt).
pub fn replace_unsynced(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    move_into_place(&write_temp(path, &[bytes], false)?, path)
}

/// Like [`atomic_write`] but refuses to replace an existing file (for immutable archives).
/// Returns `false` when the file already existed.
pub fn atomic_create(path: &Path, bytes: &[u8]) -> Result<bool, FsError> {
    let tmp = write_temp(path, &[bytes], true)?;
    // A hard link fails if the target exists, so creation is atomic and exclusive.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(parent_of(path))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(FsError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Appends one line (a newline is added) with a single `write`, first closing a torn last
/// line so the new entry never glues onto it. Call with the directory lock held.
pub fn append_line(path: &Path, line: &str) -> Result<(), FsError> {
    let dir = parent_of(path);
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let mut buf = Vec::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1)).map_err(io_err(path))?;
        file.read_exact(&mut last).map_err(io_err(path))?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    file.write_all(&buf).map_err(io_err(path))?;
    file.sync_data().map_err(io_err(path))?;
    if len == 0 {
        sync_dir(dir)?;
    }
    Ok(())
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a rename or a new file durable (the directory entry itself is data).
pub fn sync_dir(dir: &Path) -> Result<(), FsError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// An exclusive lock on a sidecar lock file, released on drop (and by the OS if the process
/// dies, so a killed writer never leaves the directory locked).
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// How long to wait for another process's lock: `BATON_LOCK_TIMEOUT_MS`, default 10 s.
pub fn lock_timeout() -> Duration {
    std::env::var("BATON_LOCK_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// Takes the exclusive lock at `path`, waiting at most `timeout`.
pub fn lock(path: &Path, timeout: Duration) -> Result<FileLock, FsError> {
    fs::create_dir_all(parent_of(path)).map_err(io_err(parent_of(path)))?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io_err(path))?;
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(FsError::LockTimeout {
                        path: path.to_path_buf(),
                        waited: start.elapsed(),
                        holder: (!holder.is_empty()).then(|| holder.to_string()),
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(FsError::Io {
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        }
    }
    // Say who holds it, for the timeout message of whoever waits next. Best effort.
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = write!(file, "pid {}", std::process::id());
    Ok(FileLock { file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_commit_hands_back_the_replaced_file_still_open() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        atomic_write(&p, b"old").unwrap();
        let staged = stage(&p, &[b"n", b"ew"]).unwrap();
        let mut replaced = staged.commit_keeping_replaced().unwrap().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        let mut old = String::new();
        replaced.read_to_string(&mut old).unwrap();
        assert_eq!(old, "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Nothing was there: nothing is handed back.
        let fresh = dir.path().join("fresh.json");
        let staged = stage(&fresh, &[b"x"]).unwrap();
        assert!(staged.commit_keeping_replaced().unwrap().is_none());
        assert_eq!(fs::read(&fresh).unwrap(), b"x");
    }

    #[test]
    fn atomic_create_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        assert!(atomic_create(&p, b"first").unwrap());
        assert!(!atomic_create(&p, b"second").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"first");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn append_closes_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.json");
        fs::write(&p, "{\"a\":1}\n{\"torn").unwrap();
        append_line(&p, "{\"b\":2}").unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "{\"a\":1}\n{\"torn\n{\"b\":2}\n"
        );
    }

    #[test]
    fn second_lock_times_out_with_holder() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lock");
        let _held = lock(&p, Duration::from_secs(1)).unwrap();
        let err = lock(&p, Duration::from_millis(50)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("another baton process"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
    }
}
