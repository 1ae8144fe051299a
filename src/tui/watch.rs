//! One watcher on the sessions directory. Every event is only a hint to re-read; the
//! runtime debounces hints itself, so an idle dashboard has no timer ticking here (the
//! debouncer crates poll on a fixed tick, which is exactly the idle cost we avoid).
//!
//! A directory that does not exist yet is waited for by watching its nearest existing
//! ancestor; when it appears (or disappears) the watch is re-planned.

use std::path::{Path, PathBuf};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use crate::store::fsio::TEMP_MARKER;
use crate::store::layout::PRIVATE;

#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    Paths(Vec<PathBuf>),
    /// The watcher lost events or failed: re-read everything.
    Rescan,
}

pub struct DirWatcher {
    root: PathBuf,
    watcher: RecommendedWatcher,
    /// What is watched now, and whether it is the root itself (recursively).
    watching: Option<(PathBuf, bool)>,
}

impl DirWatcher {
    pub fn new(root: PathBuf, tx: UnboundedSender<Hint>) -> notify::Result<DirWatcher> {
        let filter_root = root.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let hint = match event {
                Err(_) => Some(Hint::Rescan),
                Ok(e) if e.need_rescan() => Some(Hint::Rescan),
                // Reads (ours included) are not changes.
                Ok(e) if matches!(e.kind, EventKind::Access(_)) => None,
                Ok(e) => {
                    let paths: Vec<PathBuf> = e
                        .paths
                        .into_iter()
                        .filter(|p| relevant(&filter_root, p))
                        .collect();
                    (!paths.is_empty()).then_some(Hint::Paths(paths))
                }
            };
            if let Some(h) = hint {
                let _ = tx.send(h);
            }
        })?;
        let mut w = DirWatcher {
            root,
            watcher,
            watching: None,
        };
        w.replan();
        Ok(w)
    }

    /// Watches the root recursively if it exists, else its nearest existing ancestor.
    /// Returns true when what is watched changed (the caller then re-reads).
    pub fn replan(&mut self) -> bool {
        let target = if self.root.is_dir() {
            (self.root.clone(), true)
        } else {
            match self.root.ancestors().skip(1).find(|p| p.is_dir()) {
                Some(a) => (a.to_path_buf(), false),
                None => return false,
            }
        };
        if self.watching.as_ref() == Some(&target) {
            return false;
        }
        if let Some((old, _)) = self.watching.take() {
            let _ = self.watcher.unwatch(&old);
        }
        let mode = if target.1 {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        if self.watcher.watch(&target.0, mode).is_ok() {
            self.watching = Some(target);
        }
        true
    }
}

/// Changes under the sessions directory that could change what is shown: not baton's temp
/// files (their rename shows as a change of the real name) and not its private state.
fn relevant(root: &Path, path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // baton's own temp files, and editors' swap, backup and probe files (vim writes `4913`).
    let scratch = name.contains(TEMP_MARKER)
        || (name.starts_with('.') && name != PRIVATE)
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913";
    if scratch {
        return false;
    }
    match path.strip_prefix(root) {
        Ok(rel) => !rel.starts_with(PRIVATE),
        // Outside the root: only the root's own appearance or removal matters.
        Err(_) => {
            root.starts_with(path) || path.starts_with(root) || root.parent() == path.parent()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_and_private_files_are_not_changes() {
        let root = Path::new("/p/docs/sessions");
        assert!(relevant(
            root,
            Path::new("/p/docs/sessions/SESSION_HANDOFFS/a.md")
        ));
        assert!(!relevant(
            root,
            Path::new("/p/docs/sessions/.UNIFIED_KNOWLEDGE.json.baton-tmp-1-0")
        ));
        assert!(!relevant(root, Path::new("/p/docs/sessions/.baton/lock")));
        assert!(!relevant(
            root,
            Path::new("/p/docs/sessions/.UNIFIED_KNOWLEDGE.json.swp")
        ));
        assert!(!relevant(
            root,
            Path::new("/p/docs/sessions/SESSION_HANDOFFS/4913")
        ));
        assert!(relevant(root, Path::new("/p/docs/sessions")));
        assert!(!relevant(root, Path::new("/p/src/main.rs")));
    }
}
