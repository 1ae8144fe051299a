//! The demo history shipped inside the binary (`assets/demo/`, embedded by `build.rs`;
//! regenerate it with `scripts/make-demo.sh`).

use std::path::{Path, PathBuf};

use super::fsio::{FsError, atomic_write};

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// Where a demo file goes inside `dir` (its path is stored with `/` separators).
fn target(dir: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|c| !c.is_empty())
        .fold(dir.to_path_buf(), |p, c| p.join(c))
}

/// Writes the shipped demo history into `dir` (created if missing), each file atomically.
/// Files of the same name are replaced; nothing else in `dir` is touched.
pub fn install_demo(dir: &Path) -> Result<(), FsError> {
    for (rel, bytes) in DEMO_FILES {
        atomic_write(&target(dir, rel), bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_embedded_sorted_and_relative() {
        assert!(
            DEMO_FILES
                .iter()
                .any(|(p, _)| *p == "UNIFIED_KNOWLEDGE.json"),
            "assets/demo/ was not embedded"
        );
        assert!(DEMO_FILES.windows(2).all(|w| w[0].0 < w[1].0));
        for (rel, _) in DEMO_FILES {
            assert!(!rel.starts_with('/') && !rel.contains('\\') && !rel.contains(".."));
            assert_ne!(*rel, ".baton/lock");
        }
    }

    #[test]
    fn installs_every_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        install_demo(&dir).unwrap();
        for (rel, bytes) in DEMO_FILES {
            assert_eq!(std::fs::read(target(&dir, rel)).unwrap(), *bytes, "{rel}");
        }
    }
}
