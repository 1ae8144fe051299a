//! A problem found in a file: always reported as `PATH:LINE:COL: message`.

use std::fmt;

/// How bad a problem is. Errors block writes to that file; warnings only inform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Path as the user should see it (relative to the sessions directory when possible).
    pub path: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based; 0 when the problem concerns the whole file or line.
    pub column: usize,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    pub fn new(
        severity: Severity,
        path: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            path: path.into(),
            line,
            column,
            message: message.into(),
            severity,
        }
    }

    pub fn error(
        path: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Problem::new(Severity::Error, path, line, column, message)
    }

    pub fn warning(
        path: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Problem::new(Severity::Warning, path, line, column, message)
    }

    /// `PATH:LINE:COL` alone, for badges.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.path, self.line.max(1), self.column.max(1))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}
