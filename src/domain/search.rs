//! Full-text search over the catalog's records: the query language, matching, ranking and
//! grouping. Pure; the store's index only narrows the records down to candidates, and the
//! same functions here decide what matches, how it scores and what gets highlighted.
//!
//! Query language:
//! - words separated by spaces must all match (anywhere in the title or body, as a
//!   case-insensitive substring: `auth` finds `OAuth` and `authentication`, as `grep -i`);
//! - `"an exact phrase"` must match as written (case-insensitive);
//! - `kind:decision` (also `handoff`, `session`, `insight`, `blocker`; plural too; repeat or
//!   comma-separate for several) keeps only those kinds;
//! - `since:2025-11-01` and `until:2025-11-30` (or RFC 3339 times) keep only records dated
//!   in that range, both ends inclusive; undated records are then left out.
//!
//! Case-insensitive means Unicode case folding ([`super::fold`]): `É` finds `é`, `STRASSE`
//! finds `Straße`.
//!
//! Ranking is BM25 over words (a title word counts [`TITLE_WEIGHT`] times), best first; equal
//! scores put the more recent record first. Decisions and insights that appear in several
//! files (the log, the knowledge base, `INSIGHTS.log`) are shown once.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::catalog::{Kind, Record, Source, When};
use super::fold::{Folded, find_all, fold, tokens};
use super::time::parse_timestamp;

/// A title word counts this many times a body word.
pub const TITLE_WEIGHT: u32 = 3;
/// BM25's parameters (the usual ones).
pub const K1: f64 = 1.2;
pub const B: f64 = 0.75;
/// At most this many highlighted ranges per field.
pub const MAX_MATCHES: usize = 64;

/// One end of a date filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `2025-11-15`: that whole day (UTC) is inside.
    Day(NaiveDate),
    /// An RFC 3339 time.
    At(DateTime<Utc>),
}

/// Parses `YYYY-MM-DD` or an RFC 3339 time; the message says what is expected.
pub fn parse_bound(text: &str) -> Result<Bound, String> {
    let t = text.trim();
    if t.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
    {
        return Ok(Bound::Day(d));
    }
    if t.len() > 10
        && let Some(at) = parse_timestamp(t)
    {
        return Ok(Bound::At(at));
    }
    Err(format!(
        "{t:?} is not a date: use YYYY-MM-DD (e.g. 2025-11-15) or an RFC 3339 time (e.g. 2025-11-15T10:00:00Z)"
    ))
}

/// Both ends inclusive; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    pub since: Option<Bound>,
    pub until: Option<Bound>,
}

impl DateRange {
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether `when` lies in the range. A day-only date is compared by day, so
    /// `--until 2025-11-15T08:00:00Z` still includes a decision dated 2025-11-15. Undated
    /// things are inside only an open range.
    pub fn contains(&self, when: Option<When>) -> bool {
        if self.is_open() {
            return true;
        }
        let Some(w) = when else { return false };
        let after = match self.since {
            None => true,
            Some(Bound::Day(d)) => w.date() >= d,
            Some(Bound::At(t)) if w.day_only => w.date() >= t.date_naive(),
            Some(Bound::At(t)) => w.at >= t,
        };
        let before = match self.until {
            None => true,
            Some(Bound::Day(d)) => w.date() <= d,
            Some(Bound::At(t)) if w.day_only => w.date() <= t.date_naive(),
            Some(Bound::At(t)) => w.at <= t,
        };
        after && before
    }
}

/// A word or a phrase of the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// As typed.
    pub raw: String,
    pub folded: String,
    /// The words in it (what the index looks up).
    pub tokens: Vec<String>,
    pub phrase: bool,
}

impl Term {
    fn new(raw: &str, phrase: bool) -> Option<Term> {
        let folded = fold(raw);
        let folded = if phrase {
            folded.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            folded
        };
        if folded.is_empty() {
            return None;
        }
        Some(Term {
            raw: raw.to_string(),
            tokens: tokens(&folded).map(str::to_string).collect(),
            folded,
            phrase,
        })
    }

    /// One word and nothing else: any word of a record containing it is a match, so the
    /// index answers exactly, without reading text.
    pub fn is_simple(&self) -> bool {
        self.tokens.len() == 1 && self.tokens[0] == self.folded
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
    /// Empty: every searched kind.
    pub kinds: Vec<Kind>,
    pub range: DateRange,
}

impl Query {
    /// Parses the query language described in the module documentation.
    pub fn parse(text: &str) -> Result<Query, String> {
        let mut q = Query::default();
        let mut rest = text;
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            if let Some(after) = rest.strip_prefix('"') {
                let (inner, next) = match after.find('"') {
                    Some(end) => (&after[..end], &after[end + 1..]),
                    None => (after, ""),
                };
                if let Some(t) = Term::new(inner, true) {
                    q.terms.push(t);
                }
                rest = next;
                continue;
            }
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            rest = &rest[end..];
            if let Some((key, value)) = word.split_once(':')
                && !value.is_empty()
            {
                match key.to_ascii_lowercase().as_str() {
                    "kind" | "type" | "in" => {
                        for k in value.split(',').filter(|k| !k.is_empty()) {
                            let kind = Kind::parse(k)
                                .filter(|k| Kind::SEARCHED.contains(k))
                                .ok_or_else(|| unknown_kind(k))?;
                            if !q.kinds.contains(&kind) {
                                q.kinds.push(kind);
                            }
                        }
                        continue;
                    }
                    "since" | "after" | "from" => {
                        q.range.since = Some(parse_bound(value)?);
                        continue;
                    }
                    "until" | "before" | "to" => {
                        q.range.until = Some(parse_bound(value)?);
                        continue;
                    }
                    _ => {}
                }
            }
            if let Some(t) = Term::new(word, false) {
                q.terms.push(t);
            }
        }
        Ok(q)
    }

    pub fn wants(&self, kind: Kind) -> bool {
        Kind::SEARCHED.contains(&kind) && (self.kinds.is_empty() || self.kinds.contains(&kind))
    }

    /// Whether a record of this kind and date passes the filters (not the words).
    pub fn accepts(&self, kind: Kind, when: Option<When>) -> bool {
        self.wants(kind) && self.range.contains(when)
    }
}

pub fn unknown_kind(k: &str) -> String {
    format!("unknown kind {k:?}: use decision, handoff, session, insight or blocker")
}

/// How well a record matched, and where.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matched {
    /// Byte ranges of the title and body (original text), sorted, not overlapping.
    pub title: Vec<Range<usize>>,
    pub body: Vec<Range<usize>>,
    /// Per query term: its weighted frequency (title words count [`TITLE_WEIGHT`] times).
    pub tf: Vec<u32>,
    /// Number of words of title and body (BM25's document length).
    pub len: u32,
}

/// Words counted for BM25's document length.
pub fn word_count(title: &str, body: &str) -> u32 {
    (tokens(&fold(title)).count() + tokens(&fold(body)).count()) as u32
}

fn count_containing(folded: &str, needle: &str) -> u32 {
    tokens(folded).filter(|t| t.contains(needle)).count() as u32
}

/// Checks every term against the record's title and body; `None` if one is missing.
pub fn match_text(query: &Query, title: &str, body: &str) -> Option<Matched> {
    let ft = Folded::new(title);
    let fb = Folded::new(body);
    let mut m = Matched {
        len: (tokens(&ft.text).count() + tokens(&fb.text).count()) as u32,
        ..Matched::default()
    };
    for term in &query.terms {
        let in_title = find_all(&ft.text, &term.folded);
        let in_body = find_all(&fb.text, &term.folded);
        if in_title.is_empty() && in_body.is_empty() {
            return None;
        }
        let tf = if term.is_simple() {
            TITLE_WEIGHT * count_containing(&ft.text, &term.folded)
                + count_containing(&fb.text, &term.folded)
        } else {
            TITLE_WEIGHT * in_title.len() as u32 + in_body.len() as u32
        };
        m.tf.push(tf.max(1));
        m.title
            .extend(in_title.into_iter().map(|r| ft.original_range(title, r)));
        m.body
            .extend(in_body.into_iter().map(|r| fb.original_range(body, r)));
    }
    m.title = merge_ranges(m.title);
    m.body = merge_ranges(m.body);
    Some(m)
}

/// Whether every term occurs in the title or body, and each term's weighted frequency: what
/// [`match_text`] says, without byte ranges or word counts (cheaper, for checking many
/// candidates; ranges are computed for the hits shown).
pub fn verify(query: &Query, title: &str, body: &str) -> Option<Vec<u32>> {
    let (ft, fb) = (fold(title), fold(body));
    let mut tf = Vec::with_capacity(query.terms.len());
    for term in &query.terms {
        let (in_title, in_body) = if term.is_simple() {
            (
                count_containing(&ft, &term.folded),
                count_containing(&fb, &term.folded),
            )
        } else {
            (
                memchr::memmem::find_iter(ft.as_bytes(), term.folded.as_bytes()).count() as u32,
                memchr::memmem::find_iter(fb.as_bytes(), term.folded.as_bytes()).count() as u32,
            )
        };
        if in_title == 0 && in_body == 0 {
            return None;
        }
        tf.push((TITLE_WEIGHT * in_title + in_body).max(1));
    }
    Some(tf)
}

fn merge_ranges(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out.truncate(MAX_MATCHES);
    out
}

/// BM25's inverse document frequency.
pub fn idf(docs: f64, df: f64) -> f64 {
    (1.0 + (docs - df + 0.5) / (df + 0.5)).ln()
}

/// One term's BM25 contribution.
pub fn bm25(idf: f64, tf: f64, len: f64, avg_len: f64) -> f64 {
    let norm = K1 * (1.0 - B + B * len / avg_len.max(1.0));
    idf * tf * (K1 + 1.0) / (tf + norm)
}

/// Identifies the "same" decision or insight across files: kind and normalised title.
pub fn dedupe_key(kind: Kind, title: &str) -> u64 {
    if title.is_ascii() {
        return dedupe_key_ascii(kind, title.as_bytes());
    }
    dedupe_key_chars(kind, title)
}

fn dedupe_key_chars(kind: Kind, title: &str) -> u64 {
    let mut h = Fnv::default();
    h.write(&[kind.to_u8()]);
    // The bytes of `normalize(title)`, without building it (this runs for every record).
    let mut word = String::new();
    let mut first = true;
    for w in title.split_whitespace() {
        word.clear();
        for c in w.chars() {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '$' | '%' | ':') {
                if c.is_ascii() {
                    word.push(c.to_ascii_lowercase());
                } else {
                    word.extend(c.to_lowercase());
                }
            }
        }
        let cleaned = word.trim_matches(|c| matches!(c, '.' | ':'));
        if cleaned.is_empty() {
            continue;
        }
        if !first {
            h.write(b" ");
        }
        h.write(cleaned.as_bytes());
        first = false;
    }
    h.finish()
}

/// [`dedupe_key`] of ASCII text, byte by byte (a history of 10,000 sessions keys 37,000
/// decisions and insights per load). The same bytes, written in the same pieces.
fn dedupe_key_ascii(kind: Kind, title: &[u8]) -> u64 {
    // What `char::is_whitespace` and the kept characters are, for ASCII.
    const fn space(b: u8) -> bool {
        matches!(b, b' ' | b'\t'..=b'\r')
    }
    const fn kept(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.' | b'$' | b'%' | b':')
    }
    let mut h = Fnv::default();
    h.write(&[kind.to_u8()]);
    let mut word: Vec<u8> = Vec::with_capacity(32);
    let mut first = true;
    for w in title.split(|b| space(*b)) {
        word.clear();
        word.extend(w.iter().filter(|b| kept(**b)).map(u8::to_ascii_lowercase));
        let trim = |b: &u8| matches!(b, b'.' | b':');
        let start = word.iter().position(|b| !trim(b)).unwrap_or(word.len());
        let end = word.iter().rposition(|b| !trim(b)).map_or(start, |i| i + 1);
        let cleaned = &word[start..end.max(start)];
        if cleaned.is_empty() {
            continue;
        }
        if !first {
            h.write(b" ");
        }
        h.write(cleaned);
        first = false;
    }
    h.finish()
}

/// Identifies a session id (0: none).
pub fn session_key(session: Option<&str>) -> u64 {
    match session.filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => {
            let mut h = Fnv::default();
            s.hash(&mut h);
            h.finish().max(1)
        }
    }
}

/// FNV-1a: stable across runs and versions (the index stores these keys).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A scored candidate, before deduplication and the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored<T> {
    pub item: T,
    pub kind: Kind,
    pub score: f64,
    pub when: Option<When>,
    pub key: u64,
    pub session: u64,
}

/// Best first; equal scores: more recent first, then kind.
pub fn rank<T>(list: &mut [Scored<T>]) {
    list.sort_by(|a, b| {
        let (sa, sb) = (round(a.score), round(b.score));
        sb.total_cmp(&sa)
            .then_with(|| b.when.cmp(&a.when))
            .then_with(|| a.kind.cmp(&b.kind))
    });
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Drops repeats of the same decision or insight: entries without a session give way to
/// one with a session, and one entry per session is kept (the best ranked). `list` must be
/// ranked.
pub fn dedupe<T>(list: Vec<Scored<T>>) -> Vec<Scored<T>> {
    let mut with_session: HashMap<u64, bool> = HashMap::new();
    for s in &list {
        if matches!(s.kind, Kind::Decision | Kind::Insight) && s.session != 0 {
            with_session.insert(s.key, true);
        }
    }
    let mut seen: std::collections::HashSet<(u64, u64)> = std::collections::HashSet::new();
    list.into_iter()
        .filter(|s| {
            if !matches!(s.kind, Kind::Decision | Kind::Insight) {
                return true;
            }
            if s.session == 0 && with_session.contains_key(&s.key) {
                return false;
            }
            seen.insert((s.key, s.session))
        })
        .collect()
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub kind: Kind,
    pub score: f64,
    /// `YYYY-MM-DD` or RFC 3339 in JSON.
    pub date: Option<When>,
    pub session_id: Option<String>,
    pub title: String,
    /// The record's searchable text besides the title (a handoff's whole Markdown).
    pub body: String,
    /// Byte ranges to highlight in `title` and `body`.
    pub title_matches: Vec<Range<usize>>,
    pub body_matches: Vec<Range<usize>>,
    /// The file (relative to the sessions directory) and 1-based line it came from (0: the
    /// whole file).
    pub source: Source,
}

impl Hit {
    /// The line of `body` with the first match (or the first line), for one-line listings.
    pub fn snippet(&self, max_chars: usize) -> Snippet {
        snippet(&self.body, &self.body_matches, max_chars)
    }
}

/// Everything that matched, ranked.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SearchResults {
    /// Best first, at most the limit asked for.
    pub hits: Vec<Hit>,
    /// How many records matched in all (after removing repeats), before the limit.
    pub total: usize,
    /// Matches per kind (before the limit), in [`Kind::SEARCHED`] order, kinds with none
    /// left out.
    pub per_kind: Vec<KindCount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub kind: Kind,
    pub count: usize,
}

/// Hits of one kind, in rank order.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<'a> {
    pub kind: Kind,
    /// All matches of this kind, including those past the limit.
    pub total: usize,
    pub hits: Vec<&'a Hit>,
}

impl SearchResults {
    /// The hits grouped by kind; groups ordered by their best hit.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = Vec::new();
        for hit in &self.hits {
            match groups.iter_mut().find(|g| g.kind == hit.kind) {
                Some(g) => g.hits.push(hit),
                None => groups.push(Group {
                    kind: hit.kind,
                    total: self
                        .per_kind
                        .iter()
                        .find(|c| c.kind == hit.kind)
                        .map_or(0, |c| c.count),
                    hits: vec![hit],
                }),
            }
        }
        groups
    }
}

/// Counts per kind of a deduplicated, ranked list.
pub fn per_kind<T>(list: &[Scored<T>]) -> Vec<KindCount> {
    Kind::SEARCHED
        .iter()
        .map(|&kind| KindCount {
            kind,
            count: list.iter().filter(|s| s.kind == kind).count(),
        })
        .filter(|c| c.count > 0)
        .collect()
}

/// Turns a record and its match into a hit.
pub fn hit(record: &Record, score: f64, m: Matched) -> Hit {
    Hit {
        kind: record.kind,
        score: round(score),
        date: record.when,
        session_id: record.session_id.clone(),
        title: record.title.clone(),
        body: record.body.clone(),
        title_matches: m.title,
        body_matches: m.body,
        source: record.source.clone(),
    }
}

/// Searches records directly, without an index: for small sets (active sessions, the
/// dashboard's own data) and as the reference the index is tested against.
pub fn search_records(records: &[Record], query: &Query, limit: usize) -> SearchResults {
    let searched: Vec<&Record> = records
        .iter()
        .filter(|r| Kind::SEARCHED.contains(&r.kind))
        .collect();
    let docs = searched.len() as f64;
    let mut total_len = 0f64;
    let mut df = vec![0f64; query.terms.len()];
    let mut matched: Vec<(usize, Option<Matched>)> = Vec::new();
    for (i, r) in searched.iter().enumerate() {
        let ft = fold(&r.title);
        let fb = fold(&r.body);
        total_len += (tokens(&ft).count() + tokens(&fb).count()) as f64;
        for (t, term) in query.terms.iter().enumerate() {
            if ft.contains(&term.folded) || fb.contains(&term.folded) {
                df[t] += 1.0;
            }
        }
        if query.terms.is_empty() || !query.accepts(r.kind, r.when) {
            continue;
        }
        matched.push((i, match_text(query, &r.title, &r.body)));
    }
    let avg = if docs > 0.0 { total_len / docs } else { 1.0 };
    let mut scored: Vec<Scored<(usize, Matched)>> = matched
        .into_iter()
        .filter_map(|(i, m)| {
            let m = m?;
            let r = searched[i];
            let score = score(query, &m.tf, f64::from(m.len), docs, &df, avg);
            Some(Scored {
                kind: r.kind,
                score,
                when: r.when,
                key: dedupe_key(r.kind, &r.title),
                session: session_key(r.session_id.as_deref()),
                item: (i, m),
            })
        })
        .collect();
    rank(&mut scored);
    let scored = dedupe(scored);
    SearchResults {
        total: scored.len(),
        per_kind: per_kind(&scored),
        hits: scored
            .into_iter()
            .take(limit)
            .map(|s| {
                let (i, m) = s.item;
                hit(searched[i], s.score, m)
            })
            .collect(),
    }
}

/// BM25 of a document given its per-term frequencies.
pub fn score(query: &Query, tf: &[u32], len: f64, docs: f64, df: &[f64], avg_len: f64) -> f64 {
    query
        .terms
        .iter()
        .enumerate()
        .map(|(t, _)| {
            let f = f64::from(tf.get(t).copied().unwrap_or(0));
            bm25(
                idf(docs, df.get(t).copied().unwrap_or(1.0)),
                f,
                len,
                avg_len,
            )
        })
        .sum()
}

/// One line of text around a match, with the match ranges relative to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub text: String,
    pub matches: Vec<Range<usize>>,
    /// 1-based line of `body` the snippet comes from.
    pub line: usize,
}

/// The line holding the first match (else the first non-empty line), cut to about
/// `max_chars` characters around the match, `…` marking cuts.
pub fn snippet(body: &str, matches: &[Range<usize>], max_chars: usize) -> Snippet {
    let anchor = matches.first().map_or_else(
        || body.find(|c: char| !c.is_whitespace()).unwrap_or(0),
        |r| r.start,
    );
    let anchor = anchor.min(body.len());
    let line_start = body[..anchor].rfind('\n').map_or(0, |i| i + 1);
    let line_end = body[anchor..].find('\n').map_or(body.len(), |i| anchor + i);
    let line_no = body[..line_start].matches('\n').count() + 1;
    let line = &body[line_start..line_end];
    // Window of at most max_chars characters, starting a little before the anchor.
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let rel_anchor = anchor - line_start;
    let anchor_char = chars.partition_point(|(i, _)| *i < rel_anchor);
    let lead = max_chars / 4;
    let first = if chars.len() <= max_chars {
        0
    } else {
        anchor_char
            .saturating_sub(lead)
            .min(chars.len().saturating_sub(max_chars))
    };
    let last = (first + max_chars).min(chars.len());
    let from = chars.get(first).map_or(line.len(), |(i, _)| *i);
    let to = chars.get(last).map_or(line.len(), |(i, _)| *i);
    let mut text = String::new();
    let prefix = if from > 0 { "…" } else { "" };
    text.push_str(prefix);
    text.push_str(&line[from..to]);
    if to < line.len() {
        text.push('…');
    }
    let shift = prefix.len() as isize - (line_start + from) as isize;
    let matches = matches
        .iter()
        .filter(|r| r.start >= line_start + from && r.end <= line_start + to)
        .map(|r| ((r.start as isize + shift) as usize)..((r.end as isize + shift) as usize))
        .collect();
    Snippet {
        text: text.trim_end().to_string(),
        matches,
        line: line_no,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII path gives exactly the keys of the general one (the index stores them).
    #[test]
    fn ascii_dedupe_keys_equal_the_general_ones() {
        let mut texts: Vec<String> = [
            "",
            " ",
            "Use Redis",
            "  use   REDIS  ",
            "...:x:..",
            ". : .",
            "a.b: c:d.",
            "tab\tsep\nline\x0bvt\x0cff\rcr",
            "\x1c\x1dnot-space\x1f",
            "Keep $5 and 10% of src/app.rs_v2 (ROTA-40092)!",
            "#hash @at [brackets] {braces} \"quotes\" 'single'",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every ASCII byte, alone and between words.
        for b in 0u8..128 {
            let c = b as char;
            texts.push(format!("{c}"));
            texts.push(format!("ab{c}cd ef"));
            texts.push(format!("{c}.x{c}:"));
        }
        for t in &texts {
            for kind in [Kind::Decision, Kind::Insight] {
                assert_eq!(
                    dedupe_key_ascii(kind, t.as_bytes()),
                    dedupe_key_chars(kind, t),
                    "{t:?}"
                );
            }
        }
    }

    use crate::domain::catalog::{Data, Record};
    use crate::domain::text::normalize;

    fn rec(kind: Kind, title: &str, body: &str, when: &str, session: Option<&str>) -> Record {
        Record {
            kind,
            when: When::parse(when),
            session_id: session.map(str::to_string),
            title: title.into(),
            body: body.into(),
            source: Source::default(),
            data: Data::None,
        }
    }

    #[test]
    fn query_language() {
        let q = Query::parse(r#"redis "keyset cursors" kind:decision,insight since:2025-11-01"#)
            .unwrap();
        assert_eq!(q.terms.len(), 2);
        assert_eq!(q.terms[1].folded, "keyset cursors");
        assert!(q.terms[1].phrase);
        assert!(q.terms[0].is_simple());
        assert!(!q.terms[1].is_simple());
        assert_eq!(q.kinds, vec![Kind::Decision, Kind::Insight]);
        assert_eq!(
            q.range.since,
            Some(Bound::Day(NaiveDate::from_ymd_opt(2025, 11, 1).unwrap()))
        );
        assert!(
            Query::parse("kind:nope")
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!(
            Query::parse("since:yesterday")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        // An unclosed quote runs to the end; a colon inside a word is just text.
        let q = Query::parse(r#"http://x "open phrase"#).unwrap();
        assert_eq!(q.terms[0].folded, "http://x");
        assert_eq!(q.terms[1].folded, "open phrase");
    }

    #[test]
    fn dates_are_inclusive_and_day_aware() {
        let r = DateRange {
            since: Some(parse_bound("2025-11-15").unwrap()),
            until: Some(parse_bound("2025-11-16").unwrap()),
        };
        assert!(r.contains(When::parse("2025-11-15")));
        assert!(r.contains(When::parse("2025-11-16T23:59:59Z")));
        assert!(!r.contains(When::parse("2025-11-17T00:00:00Z")));
        assert!(!r.contains(None));
        let r = DateRange {
            since: None,
            until: Some(parse_bound("2025-11-15T08:00:00Z").unwrap()),
        };
        assert!(r.contains(When::parse("2025-11-15")));
        assert!(!r.contains(When::parse("2025-11-15T09:00:00Z")));
    }

    #[test]
    fn all_words_must_match_anywhere_case_insensitively() {
        let records = vec![
            rec(
                Kind::Decision,
                "Use Redis for caching",
                "Why: speed",
                "2025-11-15",
                Some("a"),
            ),
            rec(
                Kind::Decision,
                "Use Postgres",
                "Why: REDIS was slow",
                "2025-11-16",
                Some("b"),
            ),
            rec(
                Kind::Insight,
                "Caching is hard",
                "",
                "2025-11-17",
                Some("c"),
            ),
        ];
        let q = Query::parse("redis caching").unwrap();
        let r = search_records(&records, &q, 10);
        assert_eq!(r.total, 1);
        assert_eq!(r.hits[0].title, "Use Redis for caching");
        assert_eq!(r.hits[0].title_matches, vec![4..9, 14..21]);
        let r = search_records(&records, &Query::parse("redis").unwrap(), 10);
        assert_eq!(r.total, 2);
        // The title match ranks first.
        assert_eq!(r.hits[0].title, "Use Redis for caching");
        assert_eq!(r.hits[1].body_matches, vec![5..10]);
    }

    #[test]
    fn phrases_and_non_ascii() {
        let records = vec![
            rec(
                Kind::Handoff,
                "Übergabe",
                "Die Straße war gesperrt.\nCafé offen",
                "2025-11-15",
                None,
            ),
            rec(
                Kind::Handoff,
                "Other",
                "the street was closed",
                "2025-11-16",
                None,
            ),
        ];
        let r = search_records(&records, &Query::parse("STRASSE").unwrap(), 10);
        assert_eq!(r.total, 1);
        let h = &r.hits[0];
        assert_eq!(&h.body[h.body_matches[0].clone()], "Straße");
        assert_eq!(
            search_records(&records, &Query::parse("übergabe").unwrap(), 10).total,
            1
        );
        assert_eq!(
            search_records(&records, &Query::parse("CAFÉ").unwrap(), 10).total,
            1
        );
        let r = search_records(
            &records,
            &Query::parse(r#""street was closed""#).unwrap(),
            10,
        );
        assert_eq!(r.total, 1);
        let r = search_records(
            &records,
            &Query::parse(r#""closed was street""#).unwrap(),
            10,
        );
        assert_eq!(r.total, 0);
    }

    #[test]
    fn repeats_across_files_are_shown_once() {
        let records = vec![
            rec(
                Kind::Insight,
                "Check deps early",
                "",
                "2025-11-15",
                Some("s1"),
            ),
            rec(Kind::Insight, "Check deps early", "", "", None),
            rec(
                Kind::Insight,
                "check deps early.",
                "",
                "2025-11-20",
                Some("s2"),
            ),
            rec(Kind::Decision, "Use Redis", "", "2025-11-15", Some("s1")),
            rec(Kind::Decision, "Use Redis", "", "2025-11-15", Some("s1")),
        ];
        let r = search_records(&records, &Query::parse("deps").unwrap(), 10);
        assert_eq!(r.total, 2, "{r:#?}");
        // Equal scores: the more recent first.
        assert_eq!(r.hits[0].session_id.as_deref(), Some("s2"));
        assert_eq!(
            search_records(&records, &Query::parse("redis").unwrap(), 10).total,
            1
        );
    }

    #[test]
    fn kind_and_date_filters() {
        let records = vec![
            rec(Kind::Decision, "Use Redis", "", "2025-11-15", Some("a")),
            rec(Kind::Insight, "Redis is fast", "", "2025-11-20", Some("b")),
        ];
        let r = search_records(&records, &Query::parse("redis kind:insight").unwrap(), 10);
        assert_eq!(r.total, 1);
        assert_eq!(
            r.per_kind,
            vec![KindCount {
                kind: Kind::Insight,
                count: 1
            }]
        );
        let r = search_records(
            &records,
            &Query::parse("redis until:2025-11-16").unwrap(),
            10,
        );
        assert_eq!(r.hits[0].kind, Kind::Decision);
        let r = search_records(&records, &Query::parse("redis").unwrap(), 1);
        assert_eq!(r.hits.len(), 1);
        assert_eq!(r.total, 2);
        assert_eq!(
            r.groups()[0].total,
            r.per_kind
                .iter()
                .find(|c| c.kind == r.hits[0].kind)
                .unwrap()
                .count
        );
    }

    #[test]
    fn verify_agrees_with_match_text() {
        for (q, title, body) in [
            ("redis", "Use Redis", "redis again"),
            ("\"keyset cursors\" api", "Keyset cursors", "the API"),
            ("straße", "x", "Die STRASSE"),
            ("nope", "a", "b"),
        ] {
            let q = Query::parse(q).unwrap();
            assert_eq!(
                verify(&q, title, body),
                match_text(&q, title, body).map(|m| m.tf)
            );
        }
    }

    #[test]
    fn dedupe_keys_follow_normalize() {
        for t in [
            "✅ Deploy   Dashboard.",
            "deploy dashboard",
            "Use Redis (ROTA-12): fast",
            "Ünïcode ÉTÉ",
        ] {
            let mut h = Fnv::default();
            h.write(&[Kind::Decision.to_u8()]);
            h.write(normalize(t).as_bytes());
            assert_eq!(dedupe_key(Kind::Decision, t), h.finish(), "{t}");
        }
        assert_eq!(
            dedupe_key(Kind::Insight, "✅ Deploy Dashboard."),
            dedupe_key(Kind::Insight, "deploy   dashboard")
        );
        assert_ne!(
            dedupe_key(Kind::Insight, "a"),
            dedupe_key(Kind::Decision, "a")
        );
    }

    #[test]
    fn snippets_cut_around_the_first_match() {
        let body =
            "first line\nsecond line with the word redis in the middle of a rather long sentence\n";
        let at = body.find("redis").unwrap();
        let found = std::iter::once(at..at + 5).collect::<Vec<_>>();
        let s = snippet(body, &found, 30);
        assert_eq!(s.line, 2);
        assert!(s.text.starts_with('…'));
        assert_eq!(&s.text[s.matches[0].clone()], "redis");
        let s = snippet("short", &[], 30);
        assert_eq!(s.text, "short");
        assert!(s.matches.is_empty());
    }
}
