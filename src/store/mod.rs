//! The sessions directory on disk. The only part of baton that touches files: everything
//! else (CLI, dashboard) calls these functions, so there is one way to do each write.

pub mod binary;
pub mod config;
pub mod decision_cache;
pub mod demo;
pub mod discover;
pub mod drafts;
pub mod edit;
pub mod fsio;
pub mod generate;
pub mod git;
pub mod gitsync;
pub mod history;
pub mod index;
pub mod layout;
pub mod newest;
pub mod ops;
pub mod outbox;
pub mod read;
pub mod snapshot;
pub mod stale;
pub mod timeline;
pub mod validate;

use std::fmt;

use crate::domain::problem::Problem;

pub use layout::Layout;
pub use ops::Store;

#[derive(Debug)]
pub enum StoreError {
    /// Bad input, or an operation that makes no sense in the directory's state (exit 2).
    Usage(String),
    /// A file does not parse, so baton refused to overwrite it (exit 2).
    Refused(Vec<Problem>),
    Fs(fsio::FsError),
}

impl From<fsio::FsError> for StoreError {
    fn from(e: fsio::FsError) -> Self {
        StoreError::Fs(e)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Usage(m) => f.write_str(m),
            StoreError::Refused(problems) => {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                f.write_str(&lines.join("\n"))
            }
            StoreError::Fs(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {}
