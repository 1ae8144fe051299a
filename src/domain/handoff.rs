//! Session handoff documents (seed section 3, "Session Handoff Document").
//!
//! Parsing is tolerant because handoffs are also written by hand: other headings
//! (`## Accomplished`, `## Next Session`), emoji and mojibake (`ðŸš€`), CRLF, a BOM,
//! unfilled templates. Rendering writes the seed's layout exactly, so people and scripts
//! that `cat` these files keep working. Pure: no I/O, never panics, linear in the input.

use std::fmt::Write as _;

use chrono::NaiveDate;

/// What a `## ` section of a handoff is about, whatever its heading says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    QuickSummary,
    Accomplished,
    CurrentState,
    PendingItems,
    KeyCommands,
    ImportantContext,
    Decisions,
    CodeLocations,
    NextSessionStart,
    KeyLearnings,
    Other,
}

/// Heading phrases (normalised tokens) and what they mean, checked in this order: earlier
/// rules win, so "Important Context for Next Session" is context, not next session.
const RULES: &[(&[&str], SectionKind)] = &[
    (&["quick", "summary"], SectionKind::QuickSummary),
    (&["summary"], SectionKind::QuickSummary),
    (&["tl", "dr"], SectionKind::QuickSummary),
    (&["tldr"], SectionKind::QuickSummary),
    (&["overview"], SectionKind::QuickSummary),
    (&["important", "context"], SectionKind::ImportantContext),
    (&["key", "context"], SectionKind::ImportantContext),
    (&["context"], SectionKind::ImportantContext),
    (&["next", "session"], SectionKind::NextSessionStart),
    (&["next", "sessions"], SectionKind::NextSessionStart),
    (&["next", "steps"], SectionKind::NextSessionStart),
    (&["next", "step"], SectionKind::NextSessionStart),
    (&["start", "with"], SectionKind::NextSessionStart),
    (&["pending"], SectionKind::PendingItems),
    (&["todo"], SectionKind::PendingItems),
    (&["todos"], SectionKind::PendingItems),
    (&["to", "do"], SectionKind::PendingItems),
    (&["what", "s", "next"], SectionKind::PendingItems),
    (&["whats", "next"], SectionKind::PendingItems),
    (&["open", "items"], SectionKind::PendingItems),
    (&["remaining"], SectionKind::PendingItems),
    (&["outstanding"], SectionKind::PendingItems),
    (&["decisions"], SectionKind::Decisions),
    (&["decision"], SectionKind::Decisions),
    (&["learnings"], SectionKind::KeyLearnings),
    (&["learning"], SectionKind::KeyLearnings),
    (&["learned"], SectionKind::KeyLearnings),
    (&["insights"], SectionKind::KeyLearnings),
    (&["insight"], SectionKind::KeyLearnings),
    (&["lessons"], SectionKind::KeyLearnings),
    (&["lesson"], SectionKind::KeyLearnings),
    (&["commands"], SectionKind::KeyCommands),
    (&["command"], SectionKind::KeyCommands),
    (&["code"], SectionKind::CodeLocations),
    (&["files"], SectionKind::CodeLocations),
    (&["file"], SectionKind::CodeLocations),
    (&["accomplished"], SectionKind::Accomplished),
    (&["accomplishments"], SectionKind::Accomplished),
    (&["achievements"], SectionKind::Accomplished),
    (&["achieved"], SectionKind::Accomplished),
    (&["done"], SectionKind::Accomplished),
    (&["completed"], SectionKind::Accomplished),
    (&["current", "state"], SectionKind::CurrentState),
    (&["status"], SectionKind::CurrentState),
    (&["state"], SectionKind::CurrentState),
];

/// Only this much of a heading is classified: real headings are short, and it keeps a
/// pathological megabyte-long heading line cheap.
const CLASSIFY_MAX_CHARS: usize = 200;

impl SectionKind {
    /// The seed's nine sections, in the seed's order (what [`HandoffDraft::render`] writes).
    pub const SEED_ORDER: [SectionKind; 9] = [
        SectionKind::QuickSummary,
        SectionKind::Accomplished,
        SectionKind::CurrentState,
        SectionKind::PendingItems,
        SectionKind::KeyCommands,
        SectionKind::ImportantContext,
        SectionKind::Decisions,
        SectionKind::CodeLocations,
        SectionKind::NextSessionStart,
    ];

    /// Canonical heading, as the seed writes it.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::QuickSummary => "Quick Summary",
            SectionKind::Accomplished => "What Was Accomplished",
            SectionKind::CurrentState => "Current State",
            SectionKind::PendingItems => "Pending Items",
            SectionKind::KeyCommands => "Key Commands",
            SectionKind::ImportantContext => "Important Context for Next Session",
            SectionKind::Decisions => "Decisions Made This Session",
            SectionKind::CodeLocations => "Code Locations",
            SectionKind::NextSessionStart => "Next Session Should Start With",
            SectionKind::KeyLearnings => "Key Learnings",
            SectionKind::Other => "Other",
        }
    }

    /// Tolerant heading classification: case-insensitive; emoji, mojibake, punctuation and
    /// leading numbering are ignored (only ASCII letters and digits are looked at, so `ðŸš€`
    /// or `🎯` vanish); synonyms of hand-written handoffs are known.
    pub fn classify(heading: &str) -> SectionKind {
        let norm: String = heading
            .chars()
            .take(CLASSIFY_MAX_CHARS)
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    ' '
                }
            })
            .collect();
        let all: Vec<&str> = norm.split_whitespace().collect();
        // "3. Decisions" or "2) Next steps": the number is numbering, not a name.
        let skip = all
            .iter()
            .take_while(|t| t.bytes().all(|b| b.is_ascii_digit()))
            .count();
        let tokens = all.get(skip..).unwrap_or_default();
        if tokens == ["next"] {
            return SectionKind::NextSessionStart;
        }
        RULES
            .iter()
            .find(|(phrase, _)| contains_phrase(tokens, phrase))
            .map_or(SectionKind::Other, |&(_, kind)| kind)
    }
}

fn contains_phrase(tokens: &[&str], phrase: &[&str]) -> bool {
    // `windows(0)` panics; no rule is empty, but stay safe.
    !phrase.is_empty() && tokens.windows(phrase.len()).any(|w| w == phrase)
}

/// One section: a heading at the section level and everything up to the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub kind: SectionKind,
    /// The heading as written, without the `#`s (nor a closing `#` sequence).
    pub heading: String,
    /// Raw Markdown, without surrounding blank lines; line content as in the file (CRLF → LF).
    pub body: String,
}

impl Section {
    /// The section's list items; see [`Handoff::items`].
    pub fn items(&self) -> Vec<String> {
        body_items(&self.body)
    }
}

/// A parsed handoff document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Handoff {
    /// Text of the first level-1 heading (if it comes before any level-2 heading).
    pub title: Option<String>,
    /// The first valid `YYYY-MM-DD` in the title (the seed's template leaves
    /// `$(date +%Y-%m-%d)` there unexpanded: then `None`).
    pub date: Option<NaiveDate>,
    /// From a `**Session:** <id>` (or `Session: <id>`, `Session ID: <id>`) line before the
    /// first section.
    pub session_id: Option<String>,
    /// Text before the first section, without the title line.
    pub preamble: String,
    /// In file order.
    pub sections: Vec<Section>,
}

impl Handoff {
    /// Parses any text; never fails and never panics.
    ///
    /// - Sections start at level-2 headings; with none, at level-1 headings after the title;
    ///   with neither, at the shallowest deeper level present. Deeper headings (and, when
    ///   sections are level 2, stray level-1 headings) stay in the body.
    /// - Headings inside fenced code blocks (``` or ~~~, any length ≥ 3, closed by the same
    ///   character at least as long) are not headings: the seed's "Key Commands" has
    ///   `# Deploy dashboard` comments inside a ```` ```bash ```` fence. A fence that is never
    ///   closed is taken as plain text rather than hiding the rest of the file.
    /// - ATX headings only (`## x`, up to three spaces of indent); setext underlines are text.
    pub fn parse(text: &str) -> Handoff {
        let lines = split_lines(text);
        let code = code_mask(&lines);
        let headings: Vec<Option<(usize, &str)>> = lines
            .iter()
            .zip(&code)
            .map(|(line, &in_code)| if in_code { None } else { atx_heading(line) })
            .collect();

        let mut title_idx = None;
        for (i, heading) in headings.iter().enumerate() {
            match heading {
                Some((1, _)) => {
                    title_idx = Some(i);
                    break;
                }
                Some((2, _)) => break,
                _ => {}
            }
        }
        // Level 2 when present (stray level-1 lines then stay in bodies), else the
        // shallowest level besides the title.
        let levels = || {
            headings
                .iter()
                .enumerate()
                .filter(|&(i, _)| Some(i) != title_idx)
                .filter_map(|(_, h)| h.map(|(level, _)| level))
        };
        let section_level = if levels().any(|l| l == 2) {
            Some(2)
        } else {
            levels().min()
        };
        let starts: Vec<usize> = match section_level {
            Some(level) => headings
                .iter()
                .enumerate()
                .filter(|&(i, h)| Some(i) != title_idx && matches!(h, Some((l, _)) if *l == level))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        let first_section = starts.first().copied().unwrap_or(lines.len());

        let title = title_idx
            .and_then(|i| headings.get(i).copied().flatten())
            .map(|(_, t)| t.to_string())
            .filter(|t| !t.is_empty());
        let date = title.as_deref().and_then(find_date);

        // Lines `from..to` without the title line (which may sit anywhere when sections
        // are deeper than level 2).
        let range = |from: usize, to: usize| {
            (from..to)
                .filter(move |&i| Some(i) != title_idx)
                .filter_map(|i| lines.get(i).copied())
        };
        let session_id = (0..first_section)
            .filter(|&i| Some(i) != title_idx && !code.get(i).copied().unwrap_or(false))
            .filter_map(|i| lines.get(i).copied())
            .find_map(session_value)
            .map(str::to_string);
        let preamble = join_trimmed(range(0, first_section));

        let mut sections = Vec::with_capacity(starts.len());
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            let heading = headings
                .get(start)
                .copied()
                .flatten()
                .map_or("", |(_, t)| t);
            sections.push(Section {
                kind: SectionKind::classify(heading),
                heading: heading.to_string(),
                body: join_trimmed(range(start + 1, end)),
            });
        }

        Handoff {
            title,
            date,
            session_id,
            preamble,
            sections,
        }
    }

    /// The first section of that kind.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// List items of the first section of that kind.
    ///
    /// Lines starting with `-`, `*`, `+`, `1.` or `1)` are items: marker removed, then a
    /// leading `[ ]`/`[x]` checkbox, then a leading ✅/✔/✓/☑ (also as mojibake, `âœ…`).
    /// Indented lines, and unindented ones right under an item, continue it (joined with a
    /// space); nested items are items of their own. A section without any list gives each
    /// non-empty paragraph line as an item. Code fences, headings and rules are skipped, and
    /// so are placeholders: `(none)` (what empty lists render as) and a lone `[...]` (the
    /// seed's template, `[List accomplishments]`).
    pub fn items(&self, kind: SectionKind) -> Vec<String> {
        self.section(kind).map(Section::items).unwrap_or_default()
    }

    /// The one-paragraph summary: the first paragraph of Quick Summary, else of What Was
    /// Accomplished, else of the preamble (the session line skipped). A paragraph that is a
    /// list gives its items joined with "; ".
    pub fn summary(&self) -> Option<String> {
        let of = |kind| self.section(kind).and_then(|s| first_paragraph(&s.body));
        of(SectionKind::QuickSummary)
            .or_else(|| of(SectionKind::Accomplished))
            .or_else(|| first_paragraph(&self.preamble))
    }

    /// The fields baton writes, as read back from this document (e.g. to prefill the
    /// handoff form). Sections baton does not write (Key Learnings, Other) are left out.
    /// `Handoff::parse(&d.render()).to_draft() == d.normalized()` for every draft.
    pub fn to_draft(&self) -> HandoffDraft {
        let quick_summary = self
            .section(SectionKind::QuickSummary)
            .map(|s| {
                if s.body.trim().eq_ignore_ascii_case(NONE) {
                    String::new()
                } else {
                    s.body
                        .split('\n')
                        .map(unescape_block_line)
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            })
            .unwrap_or_default();
        let key_commands = self
            .section(SectionKind::KeyCommands)
            .map(|s| {
                let blocks = fenced_contents(&s.body);
                if blocks.is_empty() {
                    s.items().join("\n")
                } else {
                    blocks.join("\n\n")
                }
            })
            .unwrap_or_default();
        HandoffDraft {
            date: self.date,
            session_id: self.session_id.clone().unwrap_or_default(),
            quick_summary,
            accomplished: self.items(SectionKind::Accomplished),
            current_state: self.items(SectionKind::CurrentState),
            pending: self.items(SectionKind::PendingItems),
            key_commands,
            important_context: self.items(SectionKind::ImportantContext),
            decisions: self.items(SectionKind::Decisions),
            code_locations: self.items(SectionKind::CodeLocations),
            next_session_start: self.items(SectionKind::NextSessionStart),
        }
    }
}

/// What baton writes: the seed's format exactly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandoffDraft {
    pub date: Option<NaiveDate>,
    pub session_id: String,
    pub quick_summary: String,
    pub accomplished: Vec<String>,
    pub current_state: Vec<String>,
    pub pending: Vec<String>,
    pub key_commands: String,
    pub important_context: Vec<String>,
    pub decisions: Vec<String>,
    pub code_locations: Vec<String>,
    pub next_session_start: Vec<String>,
}

/// What an empty list or summary renders as (and what parsing drops again).
const NONE: &str = "(none)";

#[derive(Clone, Copy)]
enum ListStyle {
    Bullet,
    Numbered,
    Done,
}

impl HandoffDraft {
    /// The draft as [`render`](Self::render) stores it: list items on one line each (line
    /// breaks become spaces, blank items dropped), the session id on one line without
    /// surrounding backticks, text blocks with LF line ends, no trailing spaces and no
    /// surrounding blank lines.
    pub fn normalized(&self) -> HandoffDraft {
        let list = |items: &[String]| -> Vec<String> {
            items
                .iter()
                .map(|s| normalize_item(s))
                .filter(|s| !s.is_empty())
                .collect()
        };
        let session_id = self
            .session_id
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let session_id = strip_backticks(&session_id).trim().to_string();
        let code_lines = split_lines(&self.key_commands);
        HandoffDraft {
            date: self.date,
            session_id,
            quick_summary: join_trimmed(
                split_lines(&self.quick_summary)
                    .into_iter()
                    .map(str::trim_end),
            ),
            accomplished: list(&self.accomplished),
            current_state: list(&self.current_state),
            pending: list(&self.pending),
            key_commands: join_trimmed(code_lines.into_iter()),
            important_context: list(&self.important_context),
            decisions: list(&self.decisions),
            code_locations: list(&self.code_locations),
            next_session_start: list(&self.next_session_start),
        }
    }

    /// `# Session Handoff - YYYY-MM-DD` (`# Session Handoff` without a date), a
    /// `**Session:** id` line (when there is an id),
    /// then the nine `## ` sections in [`SectionKind::SEED_ORDER`]. Item text that parsing
    /// would otherwise alter (a leading checkbox or ✅, `(none)`, a rule) gets a Markdown
    /// backslash escape, so the round trip is exact.
    pub fn render(&self) -> String {
        let d = self.normalized();
        let mut out = String::with_capacity(2048);
        match d.date {
            Some(date) => {
                let _ = writeln!(out, "# Session Handoff - {date}");
            }
            None => out.push_str("# Session Handoff\n"),
        }
        out.push('\n');
        if !d.session_id.is_empty() {
            let _ = writeln!(out, "**Session:** {}\n", d.session_id);
        }
        for (i, kind) in SectionKind::SEED_ORDER.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "## {}", kind.title());
            match kind {
                SectionKind::QuickSummary => push_block(&mut out, &d.quick_summary),
                SectionKind::Accomplished => push_list(&mut out, &d.accomplished, ListStyle::Done),
                SectionKind::CurrentState => {
                    push_list(&mut out, &d.current_state, ListStyle::Bullet)
                }
                SectionKind::PendingItems => push_list(&mut out, &d.pending, ListStyle::Numbered),
                SectionKind::KeyCommands => push_code(&mut out, &d.key_commands),
                SectionKind::ImportantContext => {
                    push_list(&mut out, &d.important_context, ListStyle::Bullet)
                }
                SectionKind::Decisions => push_list(&mut out, &d.decisions, ListStyle::Numbered),
                SectionKind::CodeLocations => {
                    push_list(&mut out, &d.code_locations, ListStyle::Bullet)
                }
                SectionKind::NextSessionStart => {
                    push_list(&mut out, &d.next_session_start, ListStyle::Numbered)
                }
                SectionKind::KeyLearnings | SectionKind::Other => {}
            }
        }
        out
    }
}

fn push_block(out: &mut String, text: &str) {
    if text.is_empty() {
        out.push_str(NONE);
        out.push('\n');
        return;
    }
    if text.eq_ignore_ascii_case(NONE) {
        // Would read back as "no summary".
        out.push('\\');
        out.push_str(text);
        out.push('\n');
        return;
    }
    for line in text.split('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let (lead, rest) = line.split_at(indent);
        out.push_str(lead);
        // A line that could open a heading or a fence would cut the document apart.
        if rest.starts_with(['#', '`', '~', '\\']) {
            out.push('\\');
        }
        out.push_str(rest);
        out.push('\n');
    }
}

/// Undoes `push_block`'s escape (a backslash before `#`, `` ` ``, `~`, `\` or `(`).
fn unescape_block_line(line: &str) -> String {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let (lead, rest) = line.split_at(indent);
    match rest.strip_prefix('\\') {
        Some(r) if r.starts_with(['#', '`', '~', '\\', '(']) => format!("{lead}{r}"),
        _ => line.to_string(),
    }
}

fn push_list(out: &mut String, items: &[String], style: ListStyle) {
    if items.is_empty() {
        out.push_str("- ");
        out.push_str(NONE);
        out.push('\n');
        return;
    }
    for (i, item) in items.iter().enumerate() {
        let prefix = match style {
            ListStyle::Bullet => "- ".to_string(),
            ListStyle::Numbered => format!("{}. ", i + 1),
            ListStyle::Done => format!("{}. ✅ ", i + 1),
        };
        let plain = format!("{prefix}{item}");
        // Escape only when needed: a backslash before `code` would break its rendering.
        if item_of_line(&plain).as_deref() == Some(item.as_str()) {
            out.push_str(&plain);
        } else {
            out.push_str(&prefix);
            out.push('\\');
            out.push_str(item);
        }
        out.push('\n');
    }
}

fn push_code(out: &mut String, code: &str) {
    if code.is_empty() {
        out.push_str("- ");
        out.push_str(NONE);
        out.push('\n');
        return;
    }
    // Longer than any backtick run inside, so a pasted ``` block cannot close ours.
    let longest = code
        .split('\n')
        .map(|l| {
            l.trim_start_matches([' ', '\t'])
                .bytes()
                .take_while(|&b| b == b'`')
                .count()
        })
        .max()
        .unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{fence}bash\n{code}\n{fence}");
}

fn normalize_item(s: &str) -> String {
    split_lines(s)
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parsed name of a file in `SESSION_HANDOFFS/`: `2025-11-15_session_1.md`,
/// `2025-11-15_handoff.md`, `2025-11-15_2025-11-15-003.md`, `notes.md`.
///
/// The derived order is the "newest last" key (date, seq, stem): sort and reverse for
/// newest first; callers add the mtime for undated names (which sort first).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandoffName {
    /// The first valid `YYYY-MM-DD` in the name.
    pub date: Option<NaiveDate>,
    /// The number in `session_N` (also `session-N`, `sessionN`).
    pub seq: Option<u32>,
    /// The file name without directories and extension.
    pub stem: String,
}

impl HandoffName {
    pub fn parse(file_name: &str) -> HandoffName {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        // Only a short alphabetic extension is one: "v1.2" keeps its dot.
        let stem = match base.rfind('.') {
            Some(i) if i > 0 => {
                let ext = base.get(i + 1..).unwrap_or("");
                if (1..=8).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphabetic()) {
                    base.get(..i).unwrap_or(base)
                } else {
                    base
                }
            }
            _ => base,
        };
        HandoffName {
            date: find_date(stem),
            seq: find_session_seq(stem),
            stem: stem.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Line-level Markdown, just enough for handoffs (not CommonMark: tolerant where it matters).

/// Lines without their `\n` / `\r\n`; a leading BOM is dropped.
fn split_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Joins lines with `\n`, leaving out leading and trailing blank lines.
fn join_trimmed<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let lines: Vec<&str> = lines.collect();
    let Some(first) = lines.iter().position(|l| !is_blank(l)) else {
        return String::new();
    };
    let last = lines.iter().rposition(|l| !is_blank(l)).unwrap_or(first);
    lines.get(first..=last).unwrap_or_default().join("\n")
}

#[derive(Clone, Copy)]
struct Fence {
    ch: u8,
    len: usize,
}

fn fence_open(line: &str) -> Option<Fence> {
    // Any indentation: fences inside list items are indented, and their `# comment`
    // lines must still not count as headings.
    let t = line.trim_start_matches([' ', '\t']);
    let ch = *t.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = t.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    // ``` foo `bar` ``` is inline code, not a fence.
    if ch == b'`' && t.get(len..).is_some_and(|info| info.contains('`')) {
        return None;
    }
    Some(Fence { ch, len })
}

fn fence_close(line: &str) -> Option<Fence> {
    let t = line.trim_matches([' ', '\t']);
    let ch = *t.as_bytes().first()?;
    if (ch != b'`' && ch != b'~') || t.len() < 3 || !t.bytes().all(|b| b == ch) {
        return None;
    }
    Some(Fence { ch, len: t.len() })
}

/// Where a line stands with respect to fenced code blocks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Code {
    Text,
    Opener,
    Content,
    Closer,
}

/// Classifies lines against fenced code blocks. An opener is taken only if a closer follows
/// somewhere, known from suffix maxima: one unclosed ``` must not swallow the rest of a
/// handoff, and this keeps the scan linear.
fn code_lines(lines: &[&str]) -> Vec<Code> {
    // (backtick, tilde): the longest closer at or after each line.
    let mut longest_after = vec![(0usize, 0usize); lines.len() + 1];
    let mut acc = (0, 0);
    for (i, line) in lines.iter().enumerate().rev() {
        if let Some(f) = fence_close(line) {
            if f.ch == b'`' {
                acc.0 = f.len.max(acc.0);
            } else {
                acc.1 = f.len.max(acc.1);
            }
        }
        if let Some(slot) = longest_after.get_mut(i) {
            *slot = acc;
        }
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut open: Option<Fence> = None;
    for (i, line) in lines.iter().enumerate() {
        let kind = match open {
            Some(f) => {
                if fence_close(line).is_some_and(|c| c.ch == f.ch && c.len >= f.len) {
                    open = None;
                    Code::Closer
                } else {
                    Code::Content
                }
            }
            None => match fence_open(line) {
                Some(f) => {
                    let (bt, tl) = longest_after.get(i + 1).copied().unwrap_or((0, 0));
                    if (if f.ch == b'`' { bt } else { tl }) >= f.len {
                        open = Some(f);
                        Code::Opener
                    } else {
                        Code::Text
                    }
                }
                None => Code::Text,
            },
        };
        out.push(kind);
    }
    out
}

/// Which lines belong to a fenced code block, fence lines included.
fn code_mask(lines: &[&str]) -> Vec<bool> {
    code_lines(lines)
        .into_iter()
        .map(|c| c != Code::Text)
        .collect()
}

/// The contents of each fenced block, without the fence lines.
fn fenced_contents(body: &str) -> Vec<String> {
    let lines = split_lines(body);
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for (line, kind) in lines.iter().zip(code_lines(&lines)) {
        match kind {
            Code::Opener => current.clear(),
            Code::Content => current.push(line),
            Code::Closer => blocks.push(current.join("\n")),
            Code::Text => {}
        }
    }
    blocks
}

fn atx_heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    if indent > 3 {
        return None;
    }
    let rest = line.get(indent..)?;
    let level = rest.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let after = rest.get(level..)?;
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None; // "#hashtag"
    }
    let text = after.trim_matches([' ', '\t']);
    // A closing sequence ("## Pending ##") is dropped; "C#" keeps its '#'.
    let stripped = text.trim_end_matches('#');
    let text = if stripped.is_empty() {
        ""
    } else if stripped.ends_with([' ', '\t']) {
        stripped.trim_end_matches([' ', '\t'])
    } else {
        text
    };
    Some((level, text))
}

fn is_thematic_break(line: &str) -> bool {
    let mut marker = None;
    let mut count = 0;
    for c in line.chars() {
        match c {
            ' ' | '\t' => {}
            '-' | '*' | '_' => {
                if marker.is_some_and(|m| m != c) {
                    return false;
                }
                marker = Some(c);
                count += 1;
            }
            _ => return false,
        }
    }
    count >= 3
}

/// The text after a list marker (`-`, `*`, `+`, `1.`, `1)`), trimmed.
fn list_item(line: &str) -> Option<&str> {
    let t = line.trim_start_matches([' ', '\t']);
    let bytes = t.as_bytes();
    let marker_len = match bytes.first()? {
        b'-' | b'*' | b'+' => 1,
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(bytes.get(digits), Some(b'.' | b')')) {
                return None;
            }
            digits + 1
        }
        _ => return None,
    };
    let rest = t.get(marker_len..)?;
    if rest.is_empty() || rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None // "**bold**", "---", "1.5 GB"
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// Leading check marks people put before done items, including their mojibake (UTF-8 read
/// as Windows-1252), which real handoff files contain.
const CHECK_MARKS: &[&str] = &[
    "✅",
    "✔",
    "✓",
    "☑",
    "\u{e2}\u{153}\u{2026}", // ✅ as mojibake: "âœ…"
    "\u{e2}\u{153}\u{201d}", // ✔: "âœ”"
    "\u{e2}\u{153}\u{201c}", // ✓: "âœ“"
    "\u{e2}\u{2dc}\u{2018}", // ☑: "â˜‘"
    "\u{e2}\u{9c}\u{85}",    // ✅ read as Latin-1
    "\u{e2}\u{9c}\u{94}",    // ✔ read as Latin-1
];

fn strip_checkbox(t: &str) -> &str {
    for box_ in ["[ ]", "[x]", "[X]"] {
        if let Some(rest) = t.strip_prefix(box_)
            && (rest.is_empty() || rest.starts_with(char::is_whitespace))
        {
            return rest;
        }
    }
    t
}

fn strip_check_mark(t: &str) -> &str {
    for mark in CHECK_MARKS {
        if let Some(rest) = t.strip_prefix(mark) {
            // Emoji presentation selector, right after the mark only.
            return rest.strip_prefix('\u{fe0f}').unwrap_or(rest);
        }
    }
    t
}

fn is_placeholder(t: &str) -> bool {
    if t.eq_ignore_ascii_case(NONE) {
        return true;
    }
    // "[List accomplishments]": the seed's unfilled template. Links and "[a][b]" are not.
    t.len() >= 2
        && t.starts_with('[')
        && t.ends_with(']')
        && !t
            .get(1..t.len() - 1)
            .is_some_and(|inner| inner.contains(['[', ']']))
}

/// Item text as the reader means it: checkbox and check mark gone, placeholders dropped,
/// and a render-side backslash escape undone.
fn clean_item(raw: &str) -> Option<String> {
    let t = strip_checkbox(raw.trim()).trim_start();
    let t = strip_check_mark(t).trim_start();
    if t.is_empty() || is_placeholder(t) {
        return None;
    }
    if let Some(rest) = t.strip_prefix('\\')
        && (rest.starts_with(|c: char| c.is_ascii_punctuation())
            || CHECK_MARKS.iter().any(|m| rest.starts_with(m)))
    {
        return Some(rest.to_string());
    }
    Some(t.to_string())
}

/// The item a single rendered line reads back as.
fn item_of_line(line: &str) -> Option<String> {
    if is_thematic_break(line) {
        return None;
    }
    list_item(line).and_then(clean_item)
}

fn strip_blockquote(mut t: &str) -> &str {
    while let Some(rest) = t.strip_prefix('>') {
        t = rest.strip_prefix(' ').unwrap_or(rest);
    }
    t
}

fn body_items(body: &str) -> Vec<String> {
    let lines = split_lines(body);
    let code = code_mask(&lines);
    let plain = |i: usize, line: &str| {
        !code.get(i).copied().unwrap_or(false)
            && atx_heading(line).is_none()
            && !is_thematic_break(line)
    };
    let has_list = lines
        .iter()
        .enumerate()
        .any(|(i, l)| plain(i, l) && list_item(l).is_some());
    let mut items = Vec::new();

    if !has_list {
        for (i, line) in lines.iter().enumerate() {
            if plain(i, line) && !is_blank(line) {
                items.extend(clean_item(strip_blockquote(line.trim())));
            }
        }
        return items;
    }

    let mut current: Option<String> = None;
    let mut after_blank = false;
    let mut finish = |current: &mut Option<String>| {
        if let Some(text) = current.take() {
            items.extend(clean_item(&text));
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if code.get(i).copied().unwrap_or(false) {
            // An unindented fence is not part of the item above; an indented one is, and
            // text after it may continue the item.
            if indent_of(line) == 0 {
                finish(&mut current);
            }
            continue;
        }
        if is_blank(line) {
            after_blank = true;
            continue;
        }
        if atx_heading(line).is_some() || is_thematic_break(line) {
            finish(&mut current);
        } else if let Some(text) = list_item(line) {
            finish(&mut current);
            current = Some(text.to_string());
        } else {
            match current.as_mut() {
                Some(text) if !after_blank || indent_of(line) > 0 => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(line.trim());
                }
                // Text outside the list (a label such as "Top priority:") is not an item.
                _ => finish(&mut current),
            }
        }
        after_blank = false;
    }
    finish(&mut current);
    items
}

fn first_paragraph(body: &str) -> Option<String> {
    let lines = split_lines(body);
    let code = code_mask(&lines);
    let mut block: Vec<&str> = Vec::new();
    for (line, &in_code) in lines.iter().zip(&code) {
        let skip = in_code
            || is_blank(line)
            || atx_heading(line).is_some()
            || is_thematic_break(line)
            || session_value(line).is_some();
        if skip {
            if let Some(p) = paragraph_text(&block) {
                return Some(p);
            }
            block.clear();
        } else {
            block.push(line);
        }
    }
    paragraph_text(&block)
}

fn paragraph_text(block: &[&str]) -> Option<String> {
    let first = block.first()?;
    let text = if list_item(first).is_some() {
        body_items(&block.join("\n")).join("; ")
    } else {
        block
            .iter()
            .map(|l| unescape_block_line(strip_blockquote(l.trim())))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let text = text.trim();
    (!text.is_empty() && !is_placeholder(text)).then(|| text.to_string())
}

/// The value of a `**Session:** id` style line: also `Session: id`, `**Session**: id`,
/// `- **Session ID:** id`, `session_id: id`; surrounding backticks dropped.
fn session_value(line: &str) -> Option<&str> {
    let mut t = line.trim();
    if let Some(rest) = t.strip_prefix(['-', '*', '+'])
        && rest.starts_with([' ', '\t'])
    {
        t = rest.trim_start();
    }
    let emph_len = t.bytes().take_while(|&b| b == b'*' || b == b'_').count();
    let (emph, rest) = t.split_at(emph_len);
    let mut rest = strip_prefix_ci(rest, "session")?;
    let after_sep = rest.strip_prefix([' ', '_', '-']).unwrap_or(rest);
    if let Some(r) = strip_prefix_ci(after_sep, "id") {
        rest = r;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let (rest, closed) = match rest.strip_prefix(emph).filter(|_| !emph.is_empty()) {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let rest = rest.strip_prefix(':')?;
    let rest = if closed || emph.is_empty() {
        rest
    } else {
        rest.strip_prefix(emph).unwrap_or(rest)
    };
    let value = strip_backticks(rest.trim()).trim();
    (!value.is_empty()).then_some(value)
}

fn strip_backticks(s: &str) -> &str {
    s.strip_prefix('`')
        .and_then(|r| r.strip_suffix('`'))
        .unwrap_or(s)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// The first valid `YYYY-MM-DD` not glued to other digits.
fn find_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let num = |from: usize, len: usize| -> u32 {
        b.get(from..from + len)
            .unwrap_or_default()
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    for i in 0..b.len().saturating_sub(9) {
        let shape = (0..10).all(|k| match k {
            4 | 7 => b.get(i + k) == Some(&b'-'),
            _ => digit(i + k),
        });
        if !shape || (i > 0 && digit(i - 1)) || digit(i + 10) {
            continue;
        }
        let year = i32::try_from(num(i, 4)).ok()?;
        if let Some(date) = NaiveDate::from_ymd_opt(year, num(i + 5, 2), num(i + 8, 2)) {
            return Some(date);
        }
    }
    None
}

/// The number in `session_N` (or `session-N`, `sessionN`), where "session" starts a word.
fn find_session_seq(stem: &str) -> Option<u32> {
    let lower = stem.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|s| s.find("session")) {
        let start = from + pos;
        from = start + 1;
        if start > 0 && b.get(start - 1).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let mut i = start + "session".len();
        if matches!(b.get(i), Some(b'_' | b'-')) {
            i += 1;
        }
        let digits = b.get(i..).unwrap_or_default();
        let n = digits.iter().take_while(|d| d.is_ascii_digit()).count();
        if n > 0 {
            return lower.get(i..i + n).and_then(|d| d.parse().ok());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seed section 3, as a real file holds it (the seed wraps it in a ```markdown fence).
    const SEED_HANDOFF: &str = r##"# Session Handoff - 2025-11-15

## Quick Summary
Built complete sovereign AI system with 5 agents, autonomous operations, and optimization engine. All running on local Llama 3.1 8B at $0/month cost.

## What Was Accomplished
1. ✅ Deployed Ollama + Llama 3.1 8B
2. ✅ Made CrewAI agents sovereign (all 5)
3. ✅ Built optimization engine (caching + monitoring)
4. ✅ Activated autonomous operations
5. ✅ Created sovereign dashboard
6. ✅ Documented complete architecture

## Current State
- **Services Running:** I PROACTIVE (8400), I MATCH (8401), Ollama (11434)
- **Autonomy:** 65% sovereign, autonomous ops active
- **Cost:** $0/month for AI (was $250-1,200)
- **Next Phase:** Cost optimization, automation, revenue

## Pending Items
1. Dashboard needs deployment (files ready at /agents/services/i-proactive/app/templates/)
2. Service needs restart to load dashboard endpoint
3. Optimization strategy created, ready to execute

## Key Commands
```bash
# Deploy dashboard
~/Development/agents/services/deploy-sovereign-dashboard.sh

# Check system
curl http://198.54.123.234:8400/health

# Submit task to agents
curl -X POST http://198.54.123.234:8400/tasks/execute -d '[{...}]'
```

## Important Context for Next Session
- All documentation in ~/Development/agents/services/
- Key files: FULL_SOVEREIGNTY_ACHIEVED.md, OPTIMIZATION_STRATEGY_COMPLETE.md
- Dashboard HTML ready but not deployed yet
- Focus should be: Deploy dashboard, then execute optimization strategy

## Decisions Made This Session
1. Use Llama 3.1 8B for everything (sovereignty + cost)
2. Integrate LiteLLM for CrewAI (required dependency)
3. Three-phase optimization: Cost → Automation → Revenue
4. Target: $20K/month revenue at 95% margin

## Code Locations
- Sovereign agents: /agents/services/i-proactive/app/crew_manager.py
- Optimization: /agents/services/i-proactive/app/optimization_engine.py
- Dashboard: /agents/services/i-proactive/app/templates/sovereign_dashboard.html

## Next Session Should Start With
1. Read FULL_SOVEREIGNTY_ACHIEVED.md for complete context
2. Deploy dashboard if not done
3. Execute Phase 1 of optimization strategy (cost reduction)
4. Track first migrations from Claude to sovereign agents
"##;

    /// The same, as it appears in the raw seed: UTF-8 read as Windows-1252.
    const SEED_HANDOFF_MOJIBAKE: &str = r##"# Session Handoff - 2025-11-15

## Quick Summary
Built complete sovereign AI system with 5 agents, autonomous operations, and optimization engine. All running on local Llama 3.1 8B at $0/month cost.

## What Was Accomplished
1. âœ… Deployed Ollama + Llama 3.1 8B
2. âœ… Made CrewAI agents sovereign (all 5)
3. âœ… Built optimization engine (caching + monitoring)
4. âœ… Activated autonomous operations
5. âœ… Created sovereign dashboard
6. âœ… Documented complete architecture

## Current State
- **Services Running:** I PROACTIVE (8400), I MATCH (8401), Ollama (11434)
- **Autonomy:** 65% sovereign, autonomous ops active
- **Cost:** $0/month for AI (was $250-1,200)
- **Next Phase:** Cost optimization, automation, revenue

## Pending Items
1. Dashboard needs deployment (files ready at /agents/services/i-proactive/app/templates/)
2. Service needs restart to load dashboard endpoint
3. Optimization strategy created, ready to execute

## Key Commands
```bash
# Deploy dashboard
~/Development/agents/services/deploy-sovereign-dashboard.sh

# Check system
curl http://198.54.123.234:8400/health

# Submit task to agents
curl -X POST http://198.54.123.234:8400/tasks/execute -d '[{...}]'
```

## Important Context for Next Session
- All documentation in ~/Development/agents/services/
- Key files: FULL_SOVEREIGNTY_ACHIEVED.md, OPTIMIZATION_STRATEGY_COMPLETE.md
- Dashboard HTML ready but not deployed yet
- Focus should be: Deploy dashboard, then execute optimization strategy

## Decisions Made This Session
1. Use Llama 3.1 8B for everything (sovereignty + cost)
2. Integrate LiteLLM for CrewAI (required dependency)
3. Three-phase optimization: Cost â†’ Automation â†’ Revenue
4. Target: $20K/month revenue at 95% margin

## Code Locations
- Sovereign agents: /agents/services/i-proactive/app/crew_manager.py
- Optimization: /agents/services/i-proactive/app/optimization_engine.py
- Dashboard: /agents/services/i-proactive/app/templates/sovereign_dashboard.html

## Next Session Should Start With
1. Read FULL_SOVEREIGNTY_ACHIEVED.md for complete context
2. Deploy dashboard if not done
3. Execute Phase 1 of optimization strategy (cost reduction)
4. Track first migrations from Claude to sovereign agents
"##;

    /// "Ending Session": the heredoc is quoted, so `$(date …)` stays literally in the title.
    const ENDING_TEMPLATE: &str = r##"# Session Handoff - $(date +%Y-%m-%d)

## What Was Done
[List accomplishments]

## Current State
[System status]

## Pending Items
[What's next]

## Key Learnings
[Insights gained]

## Next Session Should
[Specific actions]
"##;

    /// "Immediate Setup": the hand-written first handoff.
    const IMMEDIATE_SETUP: &str = r##"# Session Handoff - 2025-11-15

## Accomplished
- Built sovereign AI system (5 agents, local Llama)
- Created optimization strategy (cost → automation → revenue)
- Designed unified session system

## Current State
- All services running and sovereign
- Autonomous ops active
- Ready to execute optimization

## Next Session
- Deploy dashboard
- Start Phase 1: Cost optimization
- Track Claude → Sovereign migrations

## Key Context
- All docs in ~/Development/agents/services/
- Focus: Cost reduction, then automation, then revenue
"##;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn kinds(h: &Handoff) -> Vec<SectionKind> {
        h.sections.iter().map(|s| s.kind).collect()
    }

    /// The seed's handoff as a draft; rendering it must give the seed's text back.
    fn seed_draft() -> HandoffDraft {
        HandoffDraft {
            date: Some(date(2025, 11, 15)),
            session_id: String::new(),
            quick_summary: "Built complete sovereign AI system with 5 agents, autonomous operations, and optimization engine. All running on local Llama 3.1 8B at $0/month cost.".into(),
            accomplished: strings(&[
                "Deployed Ollama + Llama 3.1 8B",
                "Made CrewAI agents sovereign (all 5)",
                "Built optimization engine (caching + monitoring)",
                "Activated autonomous operations",
                "Created sovereign dashboard",
                "Documented complete architecture",
            ]),
            current_state: strings(&[
                "**Services Running:** I PROACTIVE (8400), I MATCH (8401), Ollama (11434)",
                "**Autonomy:** 65% sovereign, autonomous ops active",
                "**Cost:** $0/month for AI (was $250-1,200)",
                "**Next Phase:** Cost optimization, automation, revenue",
            ]),
            pending: strings(&[
                "Dashboard needs deployment (files ready at /agents/services/i-proactive/app/templates/)",
                "Service needs restart to load dashboard endpoint",
                "Optimization strategy created, ready to execute",
            ]),
            key_commands: "# Deploy dashboard\n~/Development/agents/services/deploy-sovereign-dashboard.sh\n\n# Check system\ncurl http://198.54.123.234:8400/health\n\n# Submit task to agents\ncurl -X POST http://198.54.123.234:8400/tasks/execute -d '[{...}]'".into(),
            important_context: strings(&[
                "All documentation in ~/Development/agents/services/",
                "Key files: FULL_SOVEREIGNTY_ACHIEVED.md, OPTIMIZATION_STRATEGY_COMPLETE.md",
                "Dashboard HTML ready but not deployed yet",
                "Focus should be: Deploy dashboard, then execute optimization strategy",
            ]),
            decisions: strings(&[
                "Use Llama 3.1 8B for everything (sovereignty + cost)",
                "Integrate LiteLLM for CrewAI (required dependency)",
                "Three-phase optimization: Cost → Automation → Revenue",
                "Target: $20K/month revenue at 95% margin",
            ]),
            code_locations: strings(&[
                "Sovereign agents: /agents/services/i-proactive/app/crew_manager.py",
                "Optimization: /agents/services/i-proactive/app/optimization_engine.py",
                "Dashboard: /agents/services/i-proactive/app/templates/sovereign_dashboard.html",
            ]),
            next_session_start: strings(&[
                "Read FULL_SOVEREIGNTY_ACHIEVED.md for complete context",
                "Deploy dashboard if not done",
                "Execute Phase 1 of optimization strategy (cost reduction)",
                "Track first migrations from Claude to sovereign agents",
            ]),
        }
    }

    // ---- the seed's own examples -------------------------------------------------------

    #[test]
    fn seed_handoff_structure() {
        let h = Handoff::parse(SEED_HANDOFF);
        assert_eq!(h.title.as_deref(), Some("Session Handoff - 2025-11-15"));
        assert_eq!(h.date, Some(date(2025, 11, 15)));
        assert_eq!(h.session_id, None);
        assert_eq!(h.preamble, "");
        assert_eq!(kinds(&h), SectionKind::SEED_ORDER.to_vec());
        for (section, kind) in h.sections.iter().zip(SectionKind::SEED_ORDER) {
            assert_eq!(section.heading, kind.title());
        }
    }

    #[test]
    fn seed_key_commands_comments_are_not_headings() {
        let h = Handoff::parse(SEED_HANDOFF);
        assert_eq!(h.sections.len(), 9);
        let commands = h.section(SectionKind::KeyCommands).expect("key commands");
        assert!(commands.body.starts_with("```bash\n# Deploy dashboard\n"));
        assert!(commands.body.ends_with("-d '[{...}]'\n```"));
        assert!(commands.body.contains("# Submit task to agents"));
        // Code is not a list of items.
        assert!(h.items(SectionKind::KeyCommands).is_empty());
    }

    #[test]
    fn seed_handoff_items() {
        let h = Handoff::parse(SEED_HANDOFF);
        let d = seed_draft();
        assert_eq!(h.items(SectionKind::Accomplished), d.accomplished);
        assert_eq!(h.items(SectionKind::CurrentState), d.current_state);
        assert_eq!(h.items(SectionKind::PendingItems), d.pending);
        assert_eq!(h.items(SectionKind::ImportantContext), d.important_context);
        assert_eq!(h.items(SectionKind::Decisions), d.decisions);
        assert_eq!(h.items(SectionKind::CodeLocations), d.code_locations);
        assert_eq!(h.items(SectionKind::NextSessionStart), d.next_session_start);
        assert_eq!(
            h.items(SectionKind::QuickSummary),
            vec![d.quick_summary.clone()]
        );
        assert!(h.items(SectionKind::KeyLearnings).is_empty());
        assert_eq!(h.summary(), Some(d.quick_summary));
    }

    #[test]
    fn seed_handoff_renders_byte_for_byte() {
        assert_eq!(seed_draft().render(), SEED_HANDOFF);
    }

    #[test]
    fn seed_handoff_to_draft_and_back_is_identity() {
        let h = Handoff::parse(SEED_HANDOFF);
        assert_eq!(h.to_draft(), seed_draft());
        assert_eq!(h.to_draft().render(), SEED_HANDOFF);
    }

    #[test]
    fn seed_handoff_as_mojibake() {
        let h = Handoff::parse(SEED_HANDOFF_MOJIBAKE);
        assert_eq!(kinds(&h), SectionKind::SEED_ORDER.to_vec());
        assert_eq!(
            h.items(SectionKind::Accomplished),
            seed_draft().accomplished
        );
        assert_eq!(
            h.items(SectionKind::Decisions).get(2).map(String::as_str),
            Some(
                "Three-phase optimization: Cost \u{e2}\u{2020}\u{2019} Automation \u{e2}\u{2020}\u{2019} Revenue"
            )
        );
    }

    #[test]
    fn seed_doc_form_with_nested_fences_does_not_panic() {
        // In the seed itself the handoff sits in a ```markdown fence that the inner ```bash
        // fence's closer ends; only the real-file form matters, this must merely not break.
        let wrapped = format!(
            "### 3. Session Handoff Document\n\n```markdown\n{SEED_HANDOFF}```\n\n---\n\n## Usage\n"
        );
        let h = Handoff::parse(&wrapped);
        assert!(!h.sections.is_empty());
    }

    #[test]
    fn ending_session_template() {
        let h = Handoff::parse(ENDING_TEMPLATE);
        assert_eq!(
            h.title.as_deref(),
            Some("Session Handoff - $(date +%Y-%m-%d)")
        );
        assert_eq!(h.date, None);
        assert_eq!(
            kinds(&h),
            vec![
                SectionKind::Accomplished,
                SectionKind::CurrentState,
                SectionKind::PendingItems,
                SectionKind::KeyLearnings,
                SectionKind::NextSessionStart,
            ]
        );
        assert_eq!(h.sections[0].heading, "What Was Done");
        assert_eq!(h.sections[0].body, "[List accomplishments]");
        assert_eq!(h.sections[4].heading, "Next Session Should");
        // Unfilled placeholders are not items, and there is nothing to summarise.
        for kind in kinds(&h) {
            assert!(h.items(kind).is_empty(), "{kind:?}");
        }
        assert_eq!(h.summary(), None);
    }

    #[test]
    fn immediate_setup_handoff() {
        let h = Handoff::parse(IMMEDIATE_SETUP);
        assert_eq!(h.date, Some(date(2025, 11, 15)));
        assert_eq!(
            kinds(&h),
            vec![
                SectionKind::Accomplished,
                SectionKind::CurrentState,
                SectionKind::NextSessionStart,
                SectionKind::ImportantContext,
            ]
        );
        let headings: Vec<&str> = h.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(
            headings,
            [
                "Accomplished",
                "Current State",
                "Next Session",
                "Key Context"
            ]
        );
        assert_eq!(
            h.items(SectionKind::Accomplished),
            strings(&[
                "Built sovereign AI system (5 agents, local Llama)",
                "Created optimization strategy (cost → automation → revenue)",
                "Designed unified session system",
            ])
        );
        assert_eq!(
            h.items(SectionKind::NextSessionStart),
            strings(&[
                "Deploy dashboard",
                "Start Phase 1: Cost optimization",
                "Track Claude → Sovereign migrations",
            ])
        );
        assert_eq!(
            h.items(SectionKind::ImportantContext),
            strings(&[
                "All docs in ~/Development/agents/services/",
                "Focus: Cost reduction, then automation, then revenue",
            ])
        );
        assert!(h.items(SectionKind::PendingItems).is_empty());
        assert_eq!(
            h.summary().as_deref(),
            Some(
                "Built sovereign AI system (5 agents, local Llama); Created optimization strategy (cost → automation → revenue); Designed unified session system"
            )
        );
        let draft = h.to_draft();
        assert_eq!(draft.accomplished.len(), 3);
        assert_eq!(draft.next_session_start.len(), 3);
        assert!(draft.quick_summary.is_empty());
    }

    // ---- classification ----------------------------------------------------------------

    #[test]
    fn classify_canonical_titles_round_trip() {
        for kind in SectionKind::SEED_ORDER
            .into_iter()
            .chain([SectionKind::KeyLearnings, SectionKind::Other])
        {
            assert_eq!(SectionKind::classify(kind.title()), kind, "{kind:?}");
        }
        assert_eq!(SectionKind::SEED_ORDER.len(), 9);
        assert_eq!(SectionKind::SEED_ORDER[0], SectionKind::QuickSummary);
        assert_eq!(SectionKind::SEED_ORDER[8], SectionKind::NextSessionStart);
    }

    #[test]
    fn classify_synonyms_emoji_mojibake_numbering() {
        use SectionKind::*;
        let cases = [
            ("Accomplished", Accomplished),
            ("What Was Done", Accomplished),
            ("Achievements", Accomplished),
            ("Done", Accomplished),
            ("✅ DONE:", Accomplished),
            ("Next Session", NextSessionStart),
            ("Next Session Should", NextSessionStart),
            ("Next Steps", NextSessionStart),
            ("Start With", NextSessionStart),
            ("\u{f0}\u{178}\u{161}\u{20ac} Next Steps", NextSessionStart), // "ðŸš€ Next Steps"
            ("Next", NextSessionStart),
            ("Key Context", ImportantContext),
            ("Important Context", ImportantContext),
            ("Context", ImportantContext),
            ("Pending", PendingItems),
            ("pending items", PendingItems),
            ("What's next", PendingItems),
            ("What’s Next?", PendingItems),
            ("TODO", PendingItems),
            ("Summary", QuickSummary),
            ("TL;DR", QuickSummary),
            ("🎯 Quick Summary", QuickSummary),
            ("Decisions", Decisions),
            ("Key Decisions", Decisions),
            ("Key Learnings", KeyLearnings),
            ("Learnings", KeyLearnings),
            ("Insights", KeyLearnings),
            ("Lessons", KeyLearnings),
            ("Commands", KeyCommands),
            ("Key Commands", KeyCommands),
            ("Code", CodeLocations),
            ("Code Locations", CodeLocations),
            ("Files", CodeLocations),
            ("Current State", CurrentState),
            ("Status", CurrentState),
            ("State", CurrentState),
            ("3. Decisions Made This Session", Decisions),
            ("2) next steps", NextSessionStart),
            ("**Current State**", CurrentState),
            (
                "\u{f0}\u{178}\u{8f}\u{2014}\u{ef}\u{b8}\u{8f} Architecture",
                Other,
            ), // "ðŸ—ï¸"
            ("Architecture", Other),
            ("Session Handoff - 2025-11-15", Other),
            ("", Other),
            ("🎉🎉", Other),
            ("12", Other),
        ];
        for (heading, kind) in cases {
            assert_eq!(SectionKind::classify(heading), kind, "{heading:?}");
        }
    }

    // ---- parsing rules -----------------------------------------------------------------

    #[test]
    fn never_panics_on_odd_input() {
        let inputs = [
            "",
            "\n",
            "\n\n\n",
            "#",
            "##",
            "# ",
            "\u{feff}",
            "\u{feff}#",
            "```",
            "~~~~",
            "- ",
            "1.",
            "*",
            "**Session:**",
            "Session:",
            "# \u{0}\u{1}\u{7f}\u{fffd}",
            "\u{0}\u{0}\u{0}## x\u{0}",
            "## ✅\n- ✅\n- [x]\n- [ ]\n- \\",
            "\r\r\r\n\r",
            "# 2025-99-99 9999-12-31x 0000-00-00",
            "## a\n```\n## b",
            "## é\n1234567890. x\n99999999999) y",
            "ðŸ—ï¸\u{80}\u{81}\u{8d}",
        ];
        for input in inputs {
            let h = Handoff::parse(input);
            let _ = h.summary();
            let _ = h.to_draft();
            for kind in SectionKind::SEED_ORDER {
                let _ = h.items(kind);
            }
            let _ = HandoffName::parse(input);
        }
        assert_eq!(Handoff::parse(""), Handoff::default());
        assert_eq!(
            Handoff::parse("no headings at all\n").preamble,
            "no headings at all"
        );
    }

    #[test]
    fn only_a_title() {
        let h = Handoff::parse("# Session Handoff - 2025-11-15\n");
        assert_eq!(h.title.as_deref(), Some("Session Handoff - 2025-11-15"));
        assert_eq!(h.date, Some(date(2025, 11, 15)));
        assert!(h.sections.is_empty());
        assert_eq!(h.summary(), None);
    }

    #[test]
    fn crlf_and_bom_parse_like_lf() {
        let crlf = format!("\u{feff}{}", SEED_HANDOFF.replace('\n', "\r\n"));
        assert_eq!(Handoff::parse(&crlf), Handoff::parse(SEED_HANDOFF));
        let crlf = IMMEDIATE_SETUP.replace('\n', "\r\n");
        assert_eq!(Handoff::parse(&crlf), Handoff::parse(IMMEDIATE_SETUP));
    }

    #[test]
    fn level1_headings_are_sections_without_level2() {
        let h =
            Handoff::parse("# Handoff 2025-01-02\nintro\n# Accomplished\n- a\n# Next Steps\n- b\n");
        assert_eq!(h.title.as_deref(), Some("Handoff 2025-01-02"));
        assert_eq!(h.date, Some(date(2025, 1, 2)));
        assert_eq!(h.preamble, "intro");
        assert_eq!(
            kinds(&h),
            vec![SectionKind::Accomplished, SectionKind::NextSessionStart]
        );
        assert_eq!(h.items(SectionKind::NextSessionStart), strings(&["b"]));
    }

    #[test]
    fn deeper_headings_stay_in_the_body() {
        let text = "# T\n## Pending\n### Backend\n- a\n### Frontend\n- b\n# stray comment\n- c\n## Decisions\n- d\n";
        let h = Handoff::parse(text);
        assert_eq!(
            kinds(&h),
            vec![SectionKind::PendingItems, SectionKind::Decisions]
        );
        let pending = h.section(SectionKind::PendingItems).expect("pending");
        assert!(pending.body.contains("### Frontend") && pending.body.contains("# stray comment"));
        assert_eq!(
            h.items(SectionKind::PendingItems),
            strings(&["a", "b", "c"])
        );
    }

    #[test]
    fn only_level3_headings_become_sections() {
        let h = Handoff::parse("# T\n### Done\n- a\n### TODO\n- b\n");
        assert_eq!(
            kinds(&h),
            vec![SectionKind::Accomplished, SectionKind::PendingItems]
        );
    }

    #[test]
    fn heading_syntax() {
        let h = Handoff::parse(
            "# T #\n## Pending ##\n- a\n   ## C#\n- b\n    ## indented code\n#hashtag\n##\tTabbed\n",
        );
        assert_eq!(h.title.as_deref(), Some("T"));
        let headings: Vec<&str> = h.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["Pending", "C#", "Tabbed"]);
        assert!(h.sections[1].body.contains("#hashtag"));
    }

    #[test]
    fn fences_of_all_kinds_hide_headings() {
        let text = "# T\n## Key Commands\n~~~~\n## not a section\n~~~\n```\n## still not\n~~~~\n````sh\n```\n# nope\n````\n## Pending\n- a\n";
        let h = Handoff::parse(text);
        assert_eq!(
            kinds(&h),
            vec![SectionKind::KeyCommands, SectionKind::PendingItems]
        );
        assert_eq!(
            fenced_contents(&h.sections[0].body),
            strings(&["## not a section\n~~~\n```\n## still not", "```\n# nope"])
        );
    }

    #[test]
    fn inline_triple_backticks_are_not_a_fence() {
        let h = Handoff::parse("## A\n``` x `y` ```\n## Pending\n- a\n```\n");
        assert_eq!(
            kinds(&h),
            vec![SectionKind::Other, SectionKind::PendingItems]
        );
    }

    #[test]
    fn unclosed_fence_does_not_swallow_the_rest() {
        let h = Handoff::parse("# T\n## Key Commands\n```bash\n# deploy\n## Pending Items\n- a\n");
        assert_eq!(
            kinds(&h),
            vec![SectionKind::KeyCommands, SectionKind::PendingItems]
        );
        assert_eq!(h.items(SectionKind::PendingItems), strings(&["a"]));
    }

    #[test]
    fn title_date_must_be_valid() {
        let h = Handoff::parse("# Handoff 2025-02-30 (really 2025-03-01)\n");
        assert_eq!(h.date, Some(date(2025, 3, 1)));
        assert_eq!(Handoff::parse("# Build 12025-01-01\n").date, None);
        assert_eq!(Handoff::parse("# 2025-1-1\n").date, None);
        // A date in the preamble is not the title's.
        assert_eq!(Handoff::parse("# Handoff\n2025-01-01\n").date, None);
    }

    #[test]
    fn session_id_variants() {
        let cases = [
            (
                "# T\n\n**Session:** 2025-11-15-003\n\n## A\n",
                Some("2025-11-15-003"),
            ),
            ("# T\nSession: abc\n", Some("abc")),
            ("# T\n**Session**: abc\n", Some("abc")),
            ("# T\n- **Session ID:** `abc-1`\n", Some("abc-1")),
            ("---\nsession_id: abc\n---\n# T\n", Some("abc")),
            ("# T\n_Session:_ x y\n", Some("x y")),
            ("# T\n**Session:**\n", None),
            ("# T\nSession Handoff: x\n", None),
            ("# T\nSessions: 3\n", None),
            ("# T\n## A\n**Session:** late\n", None),
            ("# T\n```\nSession: in-code\n```\n", None),
        ];
        for (text, want) in cases {
            assert_eq!(Handoff::parse(text).session_id.as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn first_section_of_a_kind_wins() {
        let h = Handoff::parse("## Pending\n- a\n## TODO\n- b\n");
        assert_eq!(h.sections.len(), 2);
        assert_eq!(h.items(SectionKind::PendingItems), strings(&["a"]));
        assert_eq!(h.sections[1].items(), strings(&["b"]));
        assert!(h.section(SectionKind::Decisions).is_none());
        assert!(h.items(SectionKind::Decisions).is_empty());
    }

    // ---- items ---------------------------------------------------------------------------

    #[test]
    fn item_markers_checkboxes_and_check_marks() {
        let body = "- [ ] open task\n- [x] closed task\n* star\n+ plus\n1) paren\n12. twelve\n- ✅ done\n- ✔ ticked\n- ✔\u{fe0f} ticked emoji\n- ☑ boxed\n- \u{e2}\u{153}\u{2026} mojibake\n- \u{e2}\u{9c}\u{85} latin1\n- [X] ✅ both\n-\ttab\n";
        let h = Handoff::parse(&format!("## Pending\n{body}"));
        assert_eq!(
            h.items(SectionKind::PendingItems),
            strings(&[
                "open task",
                "closed task",
                "star",
                "plus",
                "paren",
                "twelve",
                "done",
                "ticked",
                "ticked emoji",
                "boxed",
                "mojibake",
                "latin1",
                "both",
                "tab",
            ])
        );
    }

    #[test]
    fn item_continuations_and_nesting() {
        let body = "Top priority:\n1. Deploy the\n   dashboard\n2. Lazy\ncontinuation\n3. Run:\n   ```bash\n   # not a heading\n   ./deploy.sh\n   ```\n   then check\n   - nested detail\n\n   indented after blank\n\nNot part of the list.\n-\n  empty marker, text below\n";
        let h = Handoff::parse(&format!("## Next Steps\n{body}"));
        assert_eq!(
            h.items(SectionKind::NextSessionStart),
            strings(&[
                "Deploy the dashboard",
                "Lazy continuation",
                "Run: then check",
                "nested detail indented after blank",
                "empty marker, text below",
            ])
        );
    }

    #[test]
    fn items_without_a_list_are_paragraph_lines() {
        let h = Handoff::parse(
            "## Key Learnings\nCrewAI needs LiteLLM.\n\n> > Cache everything:\n---\n✅ Ollama is fast\n[Insights gained]\n(none)\n",
        );
        assert_eq!(
            h.items(SectionKind::KeyLearnings),
            strings(&[
                "CrewAI needs LiteLLM.",
                "Cache everything:",
                "Ollama is fast"
            ])
        );
    }

    #[test]
    fn bold_lines_rules_and_numbers_are_not_list_markers() {
        let h = Handoff::parse("## Status\n**Bold:** text\n1.5 GB free\n+1 vote\n***\n- - -\n");
        assert_eq!(
            h.items(SectionKind::CurrentState),
            strings(&["**Bold:** text", "1.5 GB free", "+1 vote"])
        );
    }

    #[test]
    fn single_line_multi_item_text_stays_one_item() {
        let h = Handoff::parse("## Pending Items\n1. a 2. b - c * d; e\n");
        assert_eq!(
            h.items(SectionKind::PendingItems),
            strings(&["a 2. b - c * d; e"])
        );
        // A whole handoff squeezed onto one line: still a title, a date, no panic.
        let one =
            "# Session Handoff - 2025-11-15 ## Quick Summary Did things ## Pending Items - a - b";
        let h = Handoff::parse(one);
        assert_eq!(h.date, Some(date(2025, 11, 15)));
        assert!(h.sections.is_empty());
        assert_eq!(h.title.as_deref(), Some(&one[2..]));
    }

    // ---- summary -------------------------------------------------------------------------

    #[test]
    fn summary_fallbacks() {
        let quick = Handoff::parse(
            "## Quick Summary\nLine one\nline two.\n\nSecond paragraph.\n## Done\n- x\n",
        );
        assert_eq!(quick.summary().as_deref(), Some("Line one line two."));
        let accomplished =
            Handoff::parse("## Quick Summary\n(none)\n## Done\nShipped it.\n\nMore.\n");
        assert_eq!(accomplished.summary().as_deref(), Some("Shipped it."));
        let preamble =
            Handoff::parse("# T\n**Session:** s1\n\nWorked on the parser.\n\n## Other\nx\n");
        assert_eq!(preamble.summary().as_deref(), Some("Worked on the parser."));
        let code_first = Handoff::parse("## Summary\n```\ncode\n```\nAfter code.\n");
        assert_eq!(code_first.summary().as_deref(), Some("After code."));
        assert_eq!(Handoff::parse("# T\n**Session:** s1\n").summary(), None);
    }

    // ---- rendering -----------------------------------------------------------------------

    #[test]
    fn render_empty_draft() {
        let want = "# Session Handoff\n\n## Quick Summary\n(none)\n\n## What Was Accomplished\n- (none)\n\n## Current State\n- (none)\n\n## Pending Items\n- (none)\n\n## Key Commands\n- (none)\n\n## Important Context for Next Session\n- (none)\n\n## Decisions Made This Session\n- (none)\n\n## Code Locations\n- (none)\n\n## Next Session Should Start With\n- (none)\n";
        let draft = HandoffDraft::default();
        assert_eq!(draft.render(), want);
        let h = Handoff::parse(want);
        assert_eq!(kinds(&h), SectionKind::SEED_ORDER.to_vec());
        assert_eq!(h.summary(), None);
        assert_eq!(h.to_draft(), draft);
    }

    #[test]
    fn render_session_line_and_styles() {
        let draft = HandoffDraft {
            date: Some(date(2025, 11, 15)),
            session_id: "2025-11-15-003".into(),
            accomplished: strings(&["a"]),
            current_state: strings(&["b"]),
            pending: strings(&["c", "d"]),
            ..HandoffDraft::default()
        };
        let text = draft.render();
        assert!(text.starts_with(
            "# Session Handoff - 2025-11-15\n\n**Session:** 2025-11-15-003\n\n## Quick Summary\n"
        ));
        assert!(text.contains("## What Was Accomplished\n1. ✅ a\n\n"));
        assert!(text.contains("## Current State\n- b\n\n"));
        assert!(text.contains("## Pending Items\n1. c\n2. d\n\n"));
        let h = Handoff::parse(&text);
        assert_eq!(h.session_id.as_deref(), Some("2025-11-15-003"));
        assert_eq!(h.preamble, "**Session:** 2025-11-15-003");
    }

    fn tricky_draft() -> HandoffDraft {
        let tricky = strings(&[
            "Run `cargo test` first:",
            "Key files:",
            "Zürich → 東京 ✅ done; naïve café",
            "[x] looks like a checkbox",
            "[ ]",
            "✅ starts with a check mark",
            "\u{e2}\u{153}\u{2026} mojibake check",
            "(none)",
            "(None)",
            "[Placeholder]",
            "---",
            "- -",
            "***",
            "\\[escaped] already",
            "\\",
            "1. looks numbered",
            "- looks bulleted",
            "# looks like a heading",
            "```rust",
            "a **bold** [link](http://x) and <html>",
            "trailing backslash \\",
        ]);
        HandoffDraft {
            date: Some(date(2024, 2, 29)),
            session_id: "  `s-1`  ".into(),
            quick_summary: "First line\n## Injected heading\n```\n~~~\n\\ backslash\n(none)\n  # indented hash\n\n\nlast  ".into(),
            accomplished: tricky.clone(),
            current_state: tricky.clone(),
            pending: tricky.clone(),
            key_commands: "\n\n```bash\ncargo test\n```\n````\n# comment\r\n~~~\n\ttabbed  \n\n".into(),
            important_context: strings(&["multi\nline\r\nitem", "  padded  ", "", "\n"]),
            decisions: tricky.clone(),
            code_locations: tricky.clone(),
            next_session_start: tricky,
        }
    }

    #[test]
    fn round_trip_keeps_items_of_every_section() {
        let draft = tricky_draft();
        let text = draft.render();
        let h = Handoff::parse(&text);
        assert_eq!(kinds(&h), SectionKind::SEED_ORDER.to_vec(), "{text}");
        let norm = draft.normalized();
        assert_eq!(h.items(SectionKind::Accomplished), norm.accomplished);
        assert_eq!(h.items(SectionKind::CurrentState), norm.current_state);
        assert_eq!(h.items(SectionKind::PendingItems), norm.pending);
        assert_eq!(h.items(SectionKind::Decisions), norm.decisions);
        assert_eq!(h.items(SectionKind::CodeLocations), norm.code_locations);
        assert_eq!(
            h.items(SectionKind::NextSessionStart),
            norm.next_session_start
        );
        assert_eq!(
            h.items(SectionKind::ImportantContext),
            strings(&["multi line item", "padded"])
        );
        assert_eq!(h.to_draft(), norm, "{text}");
        assert_eq!(h.session_id.as_deref(), Some("s-1"));
        assert_eq!(h.date, Some(date(2024, 2, 29)));
        // Escapes only where needed: `code` stays code.
        assert!(text.contains("1. Run `cargo test` first:\n"));
        assert!(text.contains("- \\[x] looks like a checkbox\n"));
        assert!(text.contains("4. ✅ [x] looks like a checkbox\n"));
    }

    #[test]
    fn round_trip_quick_summary_and_key_commands() {
        let draft = tricky_draft();
        let norm = draft.normalized();
        assert_eq!(
            norm.quick_summary,
            "First line\n## Injected heading\n```\n~~~\n\\ backslash\n(none)\n  # indented hash\n\n\nlast"
        );
        assert_eq!(
            norm.key_commands,
            "```bash\ncargo test\n```\n````\n# comment\n~~~\n\ttabbed  "
        );
        let text = draft.render();
        assert!(text.contains("`````bash\n```bash\ncargo test\n"));
        let back = Handoff::parse(&text).to_draft();
        assert_eq!(back.quick_summary, norm.quick_summary);
        assert_eq!(back.key_commands, norm.key_commands);
        // A summary that is literally "(none)" survives too.
        let d = HandoffDraft {
            quick_summary: "(none)".into(),
            ..HandoffDraft::default()
        };
        assert_eq!(
            Handoff::parse(&d.render()).to_draft().quick_summary,
            "(none)"
        );
    }

    #[test]
    fn normalized_is_idempotent_and_render_uses_it() {
        let draft = tricky_draft();
        let norm = draft.normalized();
        assert_eq!(norm.normalized(), norm);
        assert_eq!(norm.render(), draft.render());
        let seed = seed_draft();
        assert_eq!(seed.normalized(), seed);
    }

    // ---- file names ----------------------------------------------------------------------

    #[test]
    fn handoff_names() {
        let n = HandoffName::parse("2025-11-15_session_1.md");
        assert_eq!(
            n,
            HandoffName {
                date: Some(date(2025, 11, 15)),
                seq: Some(1),
                stem: "2025-11-15_session_1".into()
            }
        );
        let n = HandoffName::parse("2025-11-15_handoff.md");
        assert_eq!(
            (n.date, n.seq, n.stem.as_str()),
            (Some(date(2025, 11, 15)), None, "2025-11-15_handoff")
        );
        let n = HandoffName::parse("2025-11-15_2025-11-15-003.md");
        assert_eq!(
            (n.date, n.seq, n.stem.as_str()),
            (Some(date(2025, 11, 15)), None, "2025-11-15_2025-11-15-003")
        );
        let n = HandoffName::parse("notes.md");
        assert_eq!((n.date, n.seq, n.stem.as_str()), (None, None, "notes"));
        let n = HandoffName::parse("docs/sessions/SESSION_HANDOFFS/2025-01-02_Session-7.MD");
        assert_eq!(
            (n.date, n.seq, n.stem.as_str()),
            (Some(date(2025, 1, 2)), Some(7), "2025-01-02_Session-7")
        );
        let n = HandoffName::parse("C:\\x\\session12 v1.2");
        assert_eq!(
            (n.date, n.seq, n.stem.as_str()),
            (None, Some(12), "session12 v1.2")
        );
        assert_eq!(
            HandoffName::parse("2025-13-45_session_99999999999.md").date,
            None
        );
        assert_eq!(
            HandoffName::parse("2025-13-45_session_99999999999.md").seq,
            None
        );
        assert_eq!(HandoffName::parse("presession_3.md").seq, None);
        assert_eq!(HandoffName::parse(".md").stem, ".md");
        assert_eq!(HandoffName::parse("").stem, "");
    }

    #[test]
    fn handoff_names_order_newest_first() {
        let mut names: Vec<HandoffName> = [
            "notes.md",
            "2025-11-15_session_2.md",
            "2025-11-15_session_10.md",
            "2025-11-14_session_9.md",
            "2025-11-15_handoff.md",
            "2025-11-15_2025-11-15-003.md",
            "2025-11-15_2025-11-15-004.md",
        ]
        .iter()
        .map(|n| HandoffName::parse(n))
        .collect();
        names.sort_by(|a, b| b.cmp(a));
        let stems: Vec<&str> = names.iter().map(|n| n.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "2025-11-15_session_10",
                "2025-11-15_session_2",
                "2025-11-15_handoff",
                "2025-11-15_2025-11-15-004",
                "2025-11-15_2025-11-15-003",
                "2025-11-14_session_9",
                "notes",
            ]
        );
    }

    // ---- size ----------------------------------------------------------------------------

    #[test]
    fn megabyte_inputs_parse() {
        const MB: usize = 1 << 20;
        // Many sections with lists, fences and continuations.
        let unit = "## Pending Items\n1. item with `code`\n   continued\n```bash\n# comment\n```\n";
        let big = unit.repeat(MB / unit.len() + 1);
        let h = Handoff::parse(&big);
        assert_eq!(h.sections.len(), MB / unit.len() + 1);
        assert_eq!(
            h.items(SectionKind::PendingItems),
            strings(&["item with `code` continued"])
        );

        // One huge section: a long list and one very long item.
        let list = format!("## Pending\n{}", "- a\n  b\n".repeat(MB / 8));
        assert_eq!(
            Handoff::parse(&list).items(SectionKind::PendingItems).len(),
            MB / 8
        );
        let continued = format!("## Pending\n- start\n{}", "  more\n".repeat(MB / 7));
        let items = Handoff::parse(&continued).items(SectionKind::PendingItems);
        assert_eq!(items.len(), 1);

        // A single 1 MB line, as title, as heading and as plain text.
        let line = "x ".repeat(MB / 2);
        assert!(Handoff::parse(&format!("# {line}")).title.is_some());
        assert_eq!(Handoff::parse(&format!("## {line}\n- a")).sections.len(), 1);
        assert_eq!(Handoff::parse(&line).preamble.len(), line.len());
        assert_eq!(HandoffName::parse(&line).seq, None);

        // Unclosed fences of decreasing length: every opener must be rejected cheaply.
        let mut fences = String::new();
        let mut len = 1500;
        while fences.len() < MB && len >= 3 {
            fences.push_str(&"`".repeat(len));
            fences.push('\n');
            fences.push_str("## heading\n");
            len -= 1;
        }
        let h = Handoff::parse(&fences);
        assert!(h.sections.len() > 1000);

        // Blank lines and headings only.
        assert!(Handoff::parse(&"\n".repeat(MB)).sections.is_empty());
        assert_eq!(
            Handoff::parse(&"## \n".repeat(MB / 4)).sections.len(),
            MB / 4
        );
    }
}
