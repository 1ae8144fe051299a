//! Turning bytes from disk into text, tolerantly: files written by hand or by `echo` may carry
//! a byte-order mark, CRLF line ends or invalid UTF-8, and none of that may crash a reader.

use std::borrow::Cow;

/// Decodes bytes as UTF-8, replacing invalid sequences (shown lossily, never an error) and
/// dropping a leading byte-order mark. Returns whether anything had to be replaced.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => (Cow::Borrowed(s), false),
        Cow::Owned(s) => (Cow::Owned(s), true),
    }
}

/// Lines without their `\n` or `\r\n`, numbered from 1.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// Collapses whitespace, lowercases and drops leading check marks and punctuation, so that
/// "✅ Deploy dashboard." and "deploy  dashboard" compare equal.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let cleaned: String = word
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '$' | '%' | ':'))
            .flat_map(char::to_lowercase)
            .collect();
        let cleaned = cleaned.trim_matches(|c| matches!(c, '.' | ':'));
        if cleaned.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(cleaned);
    }
    out
}

/// Shortens to at most `max` characters, marking the cut with `…`.
pub fn ellipsize(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = text.chars().take(keep).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped_and_invalid_utf8_is_replaced() {
        let (text, lossy) = decode(b"\xEF\xBB\xBF{\"a\": \"\xff\"}");
        assert!(lossy);
        assert_eq!(text, "{\"a\": \"\u{FFFD}\"}");
        let (text, lossy) = decode(b"plain");
        assert!(!lossy);
        assert_eq!(text, "plain");
    }

    #[test]
    fn crlf_lines_are_split_cleanly() {
        let lines: Vec<_> = numbered_lines("a\r\nb\n").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "")]);
    }

    #[test]
    fn normalize_ignores_marks_case_and_spacing() {
        assert_eq!(normalize("✅ Deploy   Dashboard."), "deploy dashboard");
        assert_eq!(normalize("deploy dashboard"), "deploy dashboard");
    }

    #[test]
    fn ellipsize_counts_characters_not_bytes() {
        assert_eq!(ellipsize("héllo wörld", 6), "héllo…");
        assert_eq!(ellipsize("short", 10), "short");
    }
}
