//! `baton validate [--format text|json]`: checks every file of the sessions directory.
//!
//! Text output (stdout): one `PATH:LINE:COL: message` per problem, PATH relative to the
//! sessions directory, LINE and COL 1-based (1:1 when the problem concerns a whole file).
//! Problems with the files come first (syntax, shape, encoding, size, unreadable files,
//! symlink loops, left-over temp files), then secrets found in files baton did not write
//! (the rule is named, the secret never printed), then active sessions with no activity for
//! over 24 hours, then unsafe file names or ids, then sessions not yet merged into the
//! knowledge base, then sync: outbox items stuck for a day or failing more than 8 times, a
//! git sync that failed or has not succeeded for 7 days. A summary goes to stderr: `ok: N files checked` when nothing was found.
//!
//! JSON output (`--format json`, stdout, always printed), a stable shape:
//! ```json
//! {
//!   "problems": [
//!     {"path": "UNIFIED_KNOWLEDGE.json", "line": 5, "column": 4,
//!      "severity": "error", "message": "…", "kind": "syntax"}
//!   ],
//!   "files_checked": 12
//! }
//! ```
//! `line`/`column` are 1-based, 0 when the problem concerns the whole file; `severity` is
//! `error` or `warning`; `kind` is one of `syntax`, `schema`, `encoding`, `too-large`,
//! `unreadable`, `symlink`, `temp-file`, `secret`, `stale-session`, `unsafe-name`,
//! `unmerged`, `outbox`, `sync`. `problems` is in the text output's order.
//!
//! Exit status: 0 when nothing was found, 1 when anything was (warnings included), 2 on a
//! usage error. A broken `.baton/config.json` is one of the problems reported, not a
//! reason to stop.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::domain::check::Issue;
use crate::store::layout::Layout;
use crate::store::validate::validate;

use super::{Cli, CliResult, Failure, now, print};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Output format. `json` prints `{"problems": [{"path", "line", "column", "severity",
    /// "message", "kind"}], "files_checked": N}`; line and column are 1-based, 0 for a whole
    /// file; severity is error|warning; kind is syntax, schema, encoding, too-large,
    /// unreadable, symlink, temp-file, secret, stale-session, unsafe-name, unmerged, outbox
    /// or sync
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    problems: Vec<JsonProblem<'a>>,
    files_checked: usize,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    severity: crate::domain::problem::Severity,
    message: &'a str,
    kind: crate::domain::check::Kind,
}

impl<'a> From<&'a Issue> for JsonProblem<'a> {
    fn from(i: &'a Issue) -> Self {
        JsonProblem {
            path: &i.problem.path,
            line: i.problem.line,
            column: i.problem.column,
            severity: i.problem.severity,
            message: &i.problem.message,
            kind: i.kind,
        }
    }
}

/// Runs without opening the store: a config that does not parse is something to report,
/// not a reason to refuse.
pub fn run(cli: &Cli, args: &ValidateArgs) -> CliResult {
    check(&Layout::new(super::sessions_dir(cli)?.path), args)
}

/// Validates the directory of `layout` and prints the report.
pub fn check(layout: &Layout, args: &ValidateArgs) -> CliResult {
    let report = validate(layout, now()?);
    match args.format {
        Format::Json => {
            let json = JsonReport {
                problems: report.issues.iter().map(JsonProblem::from).collect(),
                files_checked: report.files_checked,
            };
            let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
            text.push('\n');
            print(&text)?;
        }
        Format::Text => {
            let text: String = report.issues.iter().map(|i| format!("{i}\n")).collect();
            print(&text)?;
            let mut err = std::io::stderr().lock();
            let _ = if report.issues.is_empty() {
                writeln!(
                    err,
                    "ok: {} file{} checked",
                    report.files_checked,
                    if report.files_checked == 1 { "" } else { "s" }
                )
            } else {
                writeln!(
                    err,
                    "baton: {} problem{} found ({} files checked)",
                    report.issues.len(),
                    if report.issues.len() == 1 { "" } else { "s" },
                    report.files_checked
                )
            };
        }
    }
    if report.issues.is_empty() {
        Ok(())
    } else {
        Err(Failure {
            code: 1,
            message: String::new(),
        })
    }
}
