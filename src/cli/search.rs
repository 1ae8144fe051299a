//! `baton search QUERY… [--limit N] [--kind K] [--since DATE] [--until DATE]
//! [--format text|json]`: full text over handoffs, decisions, insights, session records and
//! blockers.
//!
//! Every word must match (case-insensitively, Unicode-aware: `É` finds `é`, `STRASSE` finds
//! `Straße`), anywhere in a word (`auth` finds `OAuth`); `"an exact phrase"` must match as
//! written; `kind:decision` and `since:`/`until:` may also be written in the query. Results
//! are ranked (BM25, recent first on ties), grouped by kind (groups in the order of their
//! best hit), at most `--limit` in all (default 20). No match is not an error (exit 0).
//!
//! The search reads the index in `.baton/index/`, brought up to date first (see
//! `store::index`), so it never misses an edit.
//!
//! JSON (`--format json`), a stable shape:
//! ```json
//! {"query": "redis cache", "total": 12,
//!  "groups": [
//!   {"kind": "decision", "total": 9, "hits": [
//!     {"kind": "decision", "score": 7.31, "date": "2025-11-15", "session_id": "2025-11-15-001",
//!      "title": "Cache week views in Redis for 30 s", "title_matches": [[17, 22]],
//!      "snippet": {"text": "Why: the same query ran…", "matches": [[0, 3]], "line": 1},
//!      "source": {"file": "DECISIONS_LOG.json", "line": 12}}]}]}
//! ```
//! `total` counts every match (past the limit too), a group's `total` every match of its
//! kind; `hits` are those within the limit. Matches are byte ranges `[start, end)` of
//! `title` and of the snippet's `text`; `line` is the snippet's line in the record's body
//! (a handoff's line in its file). `source.line` is 0 when the record is a whole file.

use std::io::IsTerminal;

use clap::Args;
use serde::Serialize;

use crate::domain::catalog::Kind;
use crate::domain::search::{Hit, Query, Snippet, unknown_kind};
use crate::store::history::search;

use super::history::{Format, date_range};
use super::{CliResult, Env, Failure, print};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (all must match), "exact phrases", kind:K, since:DATE, until:DATE
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// At most this many results in all
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Only these kinds: decision, handoff, session, insight, blocker (repeat, or separate
    /// with commas)
    #[arg(long, value_name = "K", value_delimiter = ',')]
    pub kind: Vec<String>,
    /// Only records dated on or after this (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records dated on or before this (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// `json` prints {"query", "total", "groups": [{"kind", "total", "hits": [{"kind",
    /// "score", "date", "session_id", "title", "title_matches", "snippet": {"text",
    /// "matches", "line"}, "source": {"file", "line"}}]}]}
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

const SNIPPET_CHARS: usize = 100;

#[derive(Serialize)]
struct JsonHit<'a> {
    kind: Kind,
    score: f64,
    date: Option<String>,
    session_id: Option<&'a str>,
    title: &'a str,
    title_matches: Vec<[usize; 2]>,
    snippet: JsonSnippet,
    source: &'a crate::domain::catalog::Source,
}

#[derive(Serialize)]
struct JsonSnippet {
    text: String,
    matches: Vec<[usize; 2]>,
    line: usize,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    kind: Kind,
    total: usize,
    hits: Vec<JsonHit<'a>>,
}

#[derive(Serialize)]
struct JsonResults<'a> {
    query: String,
    total: usize,
    groups: Vec<JsonGroup<'a>>,
}

fn pairs(r: &[std::ops::Range<usize>]) -> Vec<[usize; 2]> {
    r.iter().map(|r| [r.start, r.end]).collect()
}

fn json_hit(h: &Hit) -> JsonHit<'_> {
    let s: Snippet = h.snippet(SNIPPET_CHARS);
    JsonHit {
        kind: h.kind,
        score: h.score,
        date: h.date.map(|d| d.to_text()),
        session_id: h.session_id.as_deref(),
        title: &h.title,
        title_matches: pairs(&h.title_matches),
        snippet: JsonSnippet {
            text: s.text,
            matches: pairs(&s.matches),
            line: s.line,
        },
        source: &h.source,
    }
}

/// `text` with `ranges` in bold (on a terminal, unless NO_COLOR).
fn highlight(text: &str, ranges: &[std::ops::Range<usize>], color: bool) -> String {
    if !color || ranges.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut at = 0;
    for r in ranges {
        let (Some(before), Some(m)) = (text.get(at..r.start), text.get(r.start..r.end)) else {
            continue;
        };
        out.push_str(before);
        out.push_str("\x1b[1;4m");
        out.push_str(m);
        out.push_str("\x1b[0m");
        at = r.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

pub fn run(env: &Env, args: &SearchArgs) -> CliResult {
    let text = args.query.join(" ");
    let mut query = Query::parse(&text).map_err(Failure::usage)?;
    for k in args.kind.iter().filter(|k| !k.trim().is_empty()) {
        let kind = Kind::parse(k)
            .filter(|k| Kind::SEARCHED.contains(k))
            .ok_or_else(|| Failure::usage(format!("--kind: {}", unknown_kind(k))))?;
        if !query.kinds.contains(&kind) {
            query.kinds.push(kind);
        }
    }
    let flags = date_range(args.since.as_deref(), args.until.as_deref())?;
    query.range.since = flags.since.or(query.range.since);
    query.range.until = flags.until.or(query.range.until);
    if query.terms.is_empty() && query.kinds.is_empty() && query.range.is_open() {
        return Err(Failure::usage("nothing to search for: give a word"));
    }
    let results = search(&env.store, &query, args.limit)?;
    match args.format {
        Format::Json => {
            let groups = results
                .groups()
                .into_iter()
                .map(|g| JsonGroup {
                    kind: g.kind,
                    total: g.total,
                    hits: g.hits.into_iter().map(json_hit).collect(),
                })
                .collect();
            let json = JsonResults {
                query: text,
                total: results.total,
                groups,
            };
            let mut out = serde_json::to_string_pretty(&json).unwrap_or_default();
            out.push('\n');
            print(&out)
        }
        Format::Text => {
            if results.total == 0 {
                eprintln!("baton: no matches for {text}");
                return Ok(());
            }
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut out = String::new();
            for g in results.groups() {
                out.push_str(&format!(
                    "{} ({} match{})\n",
                    g.kind.as_str(),
                    g.total,
                    if g.total == 1 { "" } else { "es" }
                ));
                for h in g.hits {
                    let date = h
                        .date
                        .map(|d| d.date().to_string())
                        .unwrap_or_else(|| "–".into());
                    let session = h.session_id.as_deref().unwrap_or("–");
                    out.push_str(&format!(
                        "  {date}  {session}  {}\n",
                        highlight(&h.title.replace('\n', " "), &h.title_matches, color)
                    ));
                    let s = h.snippet(SNIPPET_CHARS);
                    if !s.text.is_empty() && !s.matches.is_empty() {
                        out.push_str(&format!(
                            "      {}\n",
                            highlight(&s.text, &s.matches, color)
                        ));
                    }
                    let place = if h.source.line > 0 {
                        format!("{}:{}", h.source.file, h.source.line)
                    } else if h.kind == Kind::Handoff && !s.matches.is_empty() {
                        format!("{}:{}", h.source.file, s.line)
                    } else {
                        h.source.file.clone()
                    };
                    out.push_str(&format!("      {place}\n"));
                }
            }
            if results.hits.len() < results.total {
                out.push_str(&format!(
                    "({} of {} shown; --limit N for more)\n",
                    results.hits.len(),
                    results.total
                ));
            }
            print(&out)
        }
    }
}
