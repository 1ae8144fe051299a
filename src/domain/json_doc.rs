//! Parsing the directory's JSON files: whole-object documents and JSON-lines logs.
//!
//! Nothing here fails hard. A document that does not parse yields a [`Problem`] with the
//! exact line and column, and, for display only, a best-effort salvage of what it holds:
//! the seed's own knowledge-base example is malformed, and users still want to see it.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::problem::Problem;
use super::text::numbered_lines;

/// Nesting deeper than this is refused before parsing (serde_json's own limit is 128, but
/// we want a clear message rather than "recursion limit exceeded").
pub const MAX_DEPTH: usize = 100;

/// The result of reading a whole-object JSON document: `T` is the map itself, or a typed
/// document read from it (the knowledge base).
#[derive(Debug, Clone)]
pub enum Doc<T = Map<String, Value>> {
    /// Parsed cleanly; safe to rewrite.
    Ok(T),
    /// Did not parse. `salvaged` is what could be recovered by dropping the offending lines,
    /// shown to the user but never written back.
    Broken {
        problem: Problem,
        salvaged: Option<Map<String, Value>>,
    },
}

impl Doc {
    pub fn map(&self) -> Option<&Map<String, Value>> {
        match self {
            Doc::Ok(m) => Some(m),
            Doc::Broken { salvaged, .. } => salvaged.as_ref(),
        }
    }
}

impl<T> Doc<T> {
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Doc::Ok(_) => None,
            Doc::Broken { problem, .. } => Some(problem),
        }
    }
}

/// Parses `text` (already decoded) as one JSON object. `path` is used in problems.
pub fn parse_object(path: &str, text: &str) -> Doc {
    match parse_object_strict(path, text) {
        Ok(map) => Doc::Ok(map),
        Err(problem) => {
            let salvaged = salvage(text);
            Doc::Broken { problem, salvaged }
        }
    }
}

/// Strict parse: an object or a located problem.
pub fn parse_object_strict(path: &str, text: &str) -> Result<Map<String, Value>, Problem> {
    if let Some((line, column)) = too_deep(text) {
        return Err(Problem::error(
            path,
            line,
            column,
            format!("nesting deeper than {MAX_DEPTH} levels; flatten the file"),
        ));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Problem::error(
            path,
            1,
            1,
            format!("expected a JSON object {{…}}, found {}", kind_name(&other)),
        )),
        Err(e) => {
            let (line, column) = position(text, &e);
            Err(Problem::error(path, line, column, describe(&e)))
        }
    }
}

/// serde_json reports an error on a newline as column 0 of the next line; people (and
/// editors) expect the end of the line where the problem is.
fn position(text: &str, e: &serde_json::Error) -> (usize, usize) {
    let (line, column) = (e.line(), e.column());
    if column > 0 || line <= 1 {
        return (line, column.max(1));
    }
    let prev = text.split('\n').nth(line - 2).unwrap_or_default();
    (
        line - 1,
        prev.strip_suffix('\r').unwrap_or(prev).chars().count() + 1,
    )
}

fn describe(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; we already say where.
    let full = e.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    format!("{msg}; fix the JSON by hand (baton never rewrites a file that does not parse)")
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Finds the first place where bracket nesting exceeds [`MAX_DEPTH`], ignoring strings.
/// Works on bytes (every byte it looks for is ASCII) and skips string bodies with memchr:
/// it runs over every knowledge base read, which reaches megabytes.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    too_deep_inside(text, 0).map(|offset| line_column(text, offset))
}

/// Where nesting first exceeds [`MAX_DEPTH`] in `text` that sits `outer` levels deep (the
/// byte offset), if it does.
pub fn too_deep_inside(text: &str, outer: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (outer, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // To the closing quote, stepping over escapes.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', bytes.get(i..)?) {
                        Some(k) if bytes[i + k] == b'\\' => i += k + 2,
                        Some(k) => {
                            i += k;
                            break;
                        }
                        None => return None,
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |k| k + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Drops the line of each error and retries, a few times. Recovers the common hand-editing
/// slips (a stray quote, a half-deleted line) well enough to show the rest of the file.
fn salvage(text: &str) -> Option<Map<String, Value>> {
    let mut lines: Vec<&str> = numbered_lines(text).map(|(_, l)| l).collect();
    for _ in 0..5 {
        let joined = lines.join("\n");
        match serde_json::from_str::<Value>(&joined) {
            Ok(Value::Object(map)) => return Some(map),
            Ok(_) => return None,
            Err(e) => {
                let idx = position(&joined, &e).0.checked_sub(1)?;
                if idx >= lines.len() || e.is_eof() {
                    return None;
                }
                lines.remove(idx);
            }
        }
    }
    None
}

/// One record of a JSON-lines log, with the line it came from. `T` is what each line is
/// decoded as: a [`Value`], or a typed item read straight from the text (much cheaper for
/// logs of tens of thousands of lines).
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T = Value> {
    pub line: usize,
    pub value: T,
}

/// The result of reading a log file such as `DECISIONS_LOG.json`.
#[derive(Debug, Clone)]
pub struct Log<T = Value> {
    pub records: Vec<Record<T>>,
    pub problems: Vec<Problem>,
    /// The file is a JSON array rather than JSON lines: appending must rewrite it whole.
    pub is_array: bool,
    /// The last line has no newline (a torn write or an editor that strips it): the next
    /// append must start on a fresh line.
    pub ends_without_newline: bool,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log {
            records: Vec::new(),
            problems: Vec::new(),
            is_array: false,
            ends_without_newline: false,
        }
    }
}

/// Reads JSON lines (`echo '{…}' >> FILE.json`), or a JSON array if the file is one.
/// Bad lines are reported and skipped; a torn last line is a warning, not an error.
pub fn parse_log(path: &str, text: &str) -> Log {
    parse_log_as(path, text)
}

/// [`parse_log`], decoding each record as `T`. `T` must accept any JSON value, as
/// [`Value`] does, so that the two report exactly the same problems.
pub fn parse_log_as<'a, T: Deserialize<'a>>(path: &str, text: &'a str) -> Log<T> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return parse_array_log(path, text);
    }
    parse_lines_as(path, text, 0)
}

/// The JSON lines of `text`, which follow `lines_before` lines of the same log (records and
/// problems carry line numbers of the whole log): how a log's unread tail is read.
pub fn parse_lines_as<'a, T: Deserialize<'a>>(
    path: &str,
    text: &'a str,
    lines_before: usize,
) -> Log<T> {
    let mut log = Log {
        ends_without_newline: !text.is_empty() && !text.ends_with('\n'),
        ..Log::default()
    };
    let total = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    for (line_no, line) in numbered_lines(text) {
        let body = line.trim();
        if body.is_empty() {
            continue;
        }
        match serde_json::from_str::<T>(body) {
            Ok(value) => log.records.push(Record {
                line: lines_before + line_no,
                value,
            }),
            Err(e) => {
                let column = line.len() - line.trim_start().len() + e.column();
                let last = line_no == total && log.ends_without_newline;
                let line_no = lines_before + line_no;
                let problem = if last && e.is_eof() {
                    Problem::warning(
                        path,
                        line_no,
                        column,
                        "torn last line (an interrupted write); it is skipped",
                    )
                } else {
                    Problem::error(
                        path,
                        line_no,
                        column,
                        format!("{}; fix or delete this line", describe_line(&e)),
                    )
                };
                log.problems.push(problem);
            }
        }
    }
    log
}

fn describe_line(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

fn parse_array_log<'a, T: Deserialize<'a>>(path: &str, text: &'a str) -> Log<T> {
    let mut log = Log {
        is_array: true,
        ..Log::default()
    };
    if let Some((line, column)) = too_deep(text) {
        log.problems.push(Problem::error(
            path,
            line,
            column,
            format!("nesting deeper than {MAX_DEPTH} levels"),
        ));
        return log;
    }
    match serde_json::from_str::<Vec<T>>(text) {
        Ok(items) => {
            log.records = items
                .into_iter()
                .map(|value| Record { line: 0, value })
                .collect();
        }
        Err(e) => {
            let (line, column) = position(text, &e);
            log.problems
                .push(Problem::error(path, line, column, describe(&e)));
        }
    }
    log
}

/// Reads a plain-text log (`INSIGHTS.log`, `CODE_CHANGES.log`): one entry per non-empty line.
pub fn parse_lines(text: &str) -> Vec<(usize, String)> {
    numbered_lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (n, l.trim_end().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MALFORMED: &str =
        include_str!("../../tests/fixtures/seed/UNIFIED_KNOWLEDGE.malformed.json");

    #[test]
    fn seed_knowledge_example_is_reported_at_its_exact_place_and_salvaged() {
        let doc = parse_object("UNIFIED_KNOWLEDGE.json", MALFORMED);
        let problem = doc.problem().expect("the seed example is malformed");
        assert_eq!((problem.line, problem.column), (5, 4));
        assert!(
            problem
                .to_string()
                .starts_with("UNIFIED_KNOWLEDGE.json:5:4: control character")
        );
        let salvaged = doc.map().expect("salvage recovers the rest");
        assert_eq!(salvaged["total_sessions"], 15);
        assert!(salvaged["pending_work"].is_array());
    }

    #[test]
    fn crlf_and_unknown_fields_parse() {
        let doc = parse_object(
            "k.json",
            "{\r\n  \"x\": 1,\r\n  \"mine\": {\"a\": [1]}\r\n}\r\n",
        );
        assert_eq!(doc.map().unwrap()["mine"]["a"][0], 1);
    }

    #[test]
    fn non_object_is_a_problem() {
        let doc = parse_object("k.json", "[1,2]");
        assert!(
            doc.problem()
                .unwrap()
                .message
                .contains("expected a JSON object")
        );
    }

    #[test]
    fn deep_nesting_is_refused_with_a_place() {
        let text = format!("{{\"a\": {}{}}}", "[".repeat(500), "]".repeat(500));
        let problem = parse_object_strict("deep.json", &text).unwrap_err();
        assert!(problem.message.contains("nesting deeper"));
    }

    #[test]
    fn json_lines_with_torn_last_line() {
        let log = parse_log(
            "D.json",
            "{\"decision\": \"a\"}\n{\"decision\": \"b\"}\n{\"decis",
        );
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.problems.len(), 1);
        assert_eq!(
            log.problems[0].severity,
            super::super::problem::Severity::Warning
        );
        assert!(log.ends_without_newline);
    }

    #[test]
    fn json_lines_bad_middle_line_is_an_error_with_column() {
        let log = parse_log("D.json", "{\"a\": 1}\n  {\"b\": }\n{\"c\": 3}\n");
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.problems[0].line, 2);
        assert_eq!(log.problems[0].column, 9);
    }

    #[test]
    fn json_array_log_is_accepted() {
        let log = parse_log("D.json", "[{\"a\": 1}, {\"a\": 2}]");
        assert!(log.is_array);
        assert_eq!(log.records.len(), 2);
    }
}
