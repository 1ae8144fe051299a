//! Embeds the shipped demo history (`assets/demo/`) in the binary, so `baton demo` works
//! wherever the binary is copied. Generates `$OUT_DIR/demo_files.rs` with
//! `DEMO_FILES: &[(relative path, bytes)]`, sorted by path, paths with `/` separators.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const DEMO_DIR: &str = "assets/demo";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={DEMO_DIR}");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let root = manifest.join(DEMO_DIR);

    let mut files = Vec::new();
    if root.is_dir() {
        collect(&root, &root, &mut files).expect("assets/demo is readable");
    }
    files.sort();

    let mut code = String::from(
        "/// The shipped demo history: (path relative to the sessions directory, contents).\n\
         pub static DEMO_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, abs) in &files {
        code.push_str(&format!("    ({rel:?}, include_bytes!({abs:?})),\n"));
    }
    code.push_str("];\n");
    fs::write(out_dir.join("demo_files.rs"), code).expect("OUT_DIR is writable");
}

/// Every regular file under `dir`, as (`a/b.json`, absolute path). Baton's lock file and
/// temp files are skipped (they are never part of a history).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(root, &path, out)?;
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let rel: Vec<String> = path
            .strip_prefix(root)
            .expect("under root")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if rel == ".baton/lock" || name.contains(".baton-tmp-") {
            continue;
        }
        let abs = fs::canonicalize(&path)?;
        out.push((rel, abs.to_string_lossy().into_owned()));
    }
    Ok(())
}
