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
        let section_level = headings
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != title_idx)
            .filter_map(|(_, h)| h.map(|(level, _)| level))
            .min();
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

        let not_title = |&(i, _): &(usize, &&str)| Some(i) != title_idx;
        let session_id = lines
            .iter()
            .enumerate()
            .take(first_section)
            .filter(not_title)
            .filter(|&(i, _)| !code.get(i).copied().unwrap_or(false))
            .find_map(|(_, line)| session_value(line))
            .map(str::to_string);
        let preamble = join_trimmed(
            lines
                .iter()
                .enumerate()
                .take(first_section)
                .filter(not_title)
                .map(|(_, l)| *l),
        );

        let mut sections = Vec::with_capacity(starts.len());
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            let heading = headings
                .get(start)
                .copied()
                .flatten()
                .map_or("", |(_, t)| t);
            let body_lines = lines
                .iter()
                .enumerate()
                .take(end)
                .skip(start + 1)
                .filter(not_title)
                .map(|(_, l)| *l);
            sections.push(Section {
                kind: SectionKind::classify(heading),
                heading: heading.to_string(),
                body: join_trimmed(body_lines),
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
        let session_id = self.session_id.split_whitespace().collect::<Vec<_>>().join(" ");
        let session_id = strip_backticks(&session_id).trim().to_string();
        let code_lines = split_lines(&self.key_commands);
        HandoffDraft {
            date: self.date,
            session_id,
            quick_summary: join_trimmed(split_lines(&self.quick_summary).into_iter().map(str::trim_end)),
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

    /// `# Session Handoff - YYYY-MM-DD`, a `**Session:** id` line (when there is an id),
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
    code_lines(lines).into_iter().map(|c| c != Code::Text).collect()
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

fn strip_blockquote(t: &str) -> &str {
    let t = t.trim_start_matches('>');
    t.strip_prefix(' ').unwrap_or(t)
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
