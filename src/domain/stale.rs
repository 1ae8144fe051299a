//! Staleness: a decision or a code-registry entry that names a file which no longer exists,
//! or which changed (a git commit touched it) after the decision was made, may no longer
//! hold. Finding the facts is the store's job (`store::stale`); here they are applied.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::catalog::When;

/// What is known about the files named in the history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileFacts {
    /// Named paths that do not exist (relative to the project root, as named).
    pub missing: HashSet<String>,
    /// For named paths: the last time a commit (or an uncommitted edit) changed them.
    pub last_change: HashMap<String, DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "lowercase")]
pub enum StaleReason {
    /// The file does not exist any more.
    Missing,
    /// It changed after the decision (RFC 3339 time of the change).
    Changed { at: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    pub path: String,
    #[serde(flatten)]
    pub reason: StaleReason,
}

impl Stale {
    /// "src/a.rs no longer exists", "src/a.rs changed on 2025-11-20".
    pub fn describe(&self) -> String {
        match &self.reason {
            StaleReason::Missing => format!("{} no longer exists", self.path),
            StaleReason::Changed { at } => {
                format!("{} changed on {}", self.path, at.get(..10).unwrap_or(at))
            }
        }
    }
}

const EXTENSIONS: &[&str] = &[
    "rs",
    "py",
    "ts",
    "tsx",
    "js",
    "jsx",
    "mjs",
    "cjs",
    "go",
    "java",
    "kt",
    "rb",
    "php",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "swift",
    "md",
    "json",
    "jsonl",
    "toml",
    "yaml",
    "yml",
    "sh",
    "bash",
    "sql",
    "html",
    "css",
    "scss",
    "vue",
    "svelte",
    "lock",
    "txt",
    "cfg",
    "ini",
    "conf",
    "xml",
    "gradle",
    "tf",
    "proto",
    "env",
    "ex",
    "exs",
    "erl",
    "hs",
    "ml",
    "scala",
    "lua",
    "r",
    "ipynb",
    "csv",
    "dockerfile",
];

fn has_known_extension(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

/// File paths named in free text: words with a `/` whose last part has an extension (or
/// that end in `/`), and bare file names with a known extension (`main.rs`). URLs, options
/// and `and/or` are not paths.
pub fn paths_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '(' | ')' | ',' | ';' | '"' | '\'' | '`' | '[' | ']' | '<' | '>' | '{' | '}'
            )
    }) {
        let word = raw.trim_end_matches(['.', ':', '!', '?']);
        if word.is_empty() || word.contains("://") || word.starts_with('-') || word.contains('@') {
            continue;
        }
        if !word
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~'))
        {
            continue;
        }
        let last = word
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(word);
        let is_path = if word.contains('/') {
            last.chars().any(char::is_alphabetic)
                && (word.ends_with('/') && word.len() > 1
                    || last.rsplit_once('.').is_some_and(|(s, e)| {
                        !s.is_empty()
                            && (1..=10).contains(&e.len())
                            && e.chars().all(char::is_alphanumeric)
                    }))
        } else {
            has_known_extension(word)
        };
        if is_path && !out.iter().any(|p| p == word) {
            out.push(word.to_string());
        }
    }
    out
}

/// Whether something made at `since` that names `paths` is stale, and why (the first path
/// that makes it so). Missing files always do; a change does when it came after `since` (a
/// day-only `since`: after that day).
pub fn staleness(paths: &[String], since: Option<When>, facts: &FileFacts) -> Option<Stale> {
    for p in paths {
        if facts.missing.contains(p) {
            return Some(Stale {
                path: p.clone(),
                reason: StaleReason::Missing,
            });
        }
    }
    let since = since?;
    for p in paths {
        if let Some(changed) = facts.last_change.get(p) {
            let after = if since.day_only {
                changed.date_naive() > since.date()
            } else {
                *changed > since.at
            };
            if after {
                return Some(Stale {
                    path: p.clone(),
                    reason: StaleReason::Changed {
                        at: When::at(*changed).to_text(),
                    },
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_paths_not_prose() {
        assert_eq!(
            paths_in(
                "Moved auth to src/api/auth.rs (see docs/ARCH.md), and/or main.rs; clinics.features"
            ),
            vec!["src/api/auth.rs", "docs/ARCH.md", "main.rs"]
        );
        assert!(paths_in("see https://x.dev/a.rs and --dir=a/b.c").is_empty());
        assert_eq!(
            paths_in("handlers in `web/src/routes/`."),
            vec!["web/src/routes/"]
        );
        assert!(paths_in("?after=<id>; 1/2 of the time; v1.2").is_empty());
    }

    #[test]
    fn missing_beats_changed_and_changes_count_after_the_date() {
        let mut facts = FileFacts::default();
        facts.missing.insert("gone.rs".into());
        facts.last_change.insert(
            "a.rs".into(),
            When::parse("2025-11-16T10:00:00Z").unwrap().at,
        );
        let paths = vec!["a.rs".to_string(), "gone.rs".to_string()];
        assert_eq!(
            staleness(&paths, None, &facts).unwrap().reason,
            StaleReason::Missing
        );
        let a = vec!["a.rs".to_string()];
        assert!(staleness(&a, When::parse("2025-11-16"), &facts).is_none());
        let s = staleness(&a, When::parse("2025-11-15"), &facts).unwrap();
        assert_eq!(s.describe(), "a.rs changed on 2025-11-16");
        assert!(staleness(&a, When::parse("2025-11-16T11:00:00Z"), &facts).is_none());
        assert!(staleness(&a, When::parse("2025-11-16T09:00:00Z"), &facts).is_some());
    }
}
