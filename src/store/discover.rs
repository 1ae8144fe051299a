//! Which sessions directory a command works on: `--dir`, else `$BATON_DIR`, else the nearest
//! `docs/sessions` walking up from the current directory, else `./docs/sessions`.

use std::path::{Path, PathBuf};

pub const DEFAULT_RELATIVE: &str = "docs/sessions";

pub fn resolve_dir(flag: Option<&Path>, env: Option<&str>, cwd: &Path) -> PathBuf {
    if let Some(dir) = flag {
        return absolute(dir, cwd);
    }
    if let Some(dir) = env.filter(|d| !d.trim().is_empty()) {
        return absolute(Path::new(dir), cwd);
    }
    for ancestor in cwd.ancestors() {
        let candidate = ancestor.join(DEFAULT_RELATIVE);
        if candidate.is_dir() {
            return candidate;
        }
    }
    cwd.join(DEFAULT_RELATIVE)
}

fn absolute(dir: &Path, cwd: &Path) -> PathBuf {
    if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        cwd.join(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_then_env_then_nearest_then_default() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("proj/docs/sessions")).unwrap();
        std::fs::create_dir_all(root.join("proj/src/deep")).unwrap();
        let deep = root.join("proj/src/deep");
        assert_eq!(
            resolve_dir(Some(Path::new("x")), Some("/env"), &deep),
            deep.join("x")
        );
        assert_eq!(
            resolve_dir(None, Some("/env"), &deep),
            PathBuf::from("/env")
        );
        assert_eq!(
            resolve_dir(None, None, &deep),
            root.join("proj/docs/sessions")
        );
        let elsewhere = root.join("other");
        assert_eq!(
            resolve_dir(None, Some(""), &elsewhere),
            elsewhere.join("docs/sessions")
        );
    }
}
