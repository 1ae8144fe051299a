//! Turning bytes from disk into text, tolerantly: files written by hand or by `echo` may carry
//! a byte-order mark, CRLF line ends or invalid UTF-8, and none of that may crash a reader.

use std::borrow::Cow;

/// The UTF-8 byte-order mark some editors put first; never part of the text.
pub const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Decodes bytes as UTF-8, replacing invalid sequences (shown lossily, never an error) and
/// dropping a leading byte-order mark. Returns whether anything had to be replaced.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    let bytes = bytes.strip_prefix(BYTE_ORDER_MARK).unwrap_or(bytes);
    // The strict check is several times faster than the lossy one on valid text.
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(text), false);
    }
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
    // Built in place, one allocation: it keys every decision and pending item on each read.
    if text.is_ascii() {
        return normalize_ascii(text.as_bytes());
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if word.is_ascii() {
            // Most words of a text with one dash or accent are still plain ASCII.
            let ascii = normalize_ascii(word.as_bytes());
            if !ascii.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&ascii);
            }
            continue;
        }
        let start = out.len();
        if start > 0 {
            out.push(' ');
        }
        let body = out.len();
        for c in word.chars().filter(|c| kept(*c)) {
            // Leading dots and colons go (only those can be at the very start).
            if out.len() == body && matches!(c, '.' | ':') {
                continue;
            }
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
        while out.len() > body && out.ends_with(['.', ':']) {
            out.pop();
        }
        if out.len() == body {
            out.truncate(start);
        }
    }
    out
}

fn kept(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '$' | '%' | ':')
    } else {
        c.is_alphanumeric()
    }
}

/// [`normalize`] for ASCII text (nearly all of it), byte by byte.
fn normalize_ascii(text: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    for word in text
        .split(|b| b.is_ascii_whitespace() || *b == 0x0B)
        .filter(|w| !w.is_empty())
    {
        let start = out.len();
        if start > 0 {
            out.push(b' ');
        }
        let body = out.len();
        for &b in word {
            if !(b.is_ascii_alphanumeric() || b"-_/.$%:".contains(&b)) {
                continue;
            }
            if out.len() == body && matches!(b, b'.' | b':') {
                continue;
            }
            out.push(b.to_ascii_lowercase());
        }
        while out.len() > body && matches!(out.last(), Some(b'.' | b':')) {
            out.pop();
        }
        if out.len() == body {
            out.truncate(start);
        }
    }
    String::from_utf8(out).unwrap_or_default()
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
    fn normalize_trims_dots_and_colons_only_at_word_ends() {
        assert_eq!(normalize(":: v1.2: ... — Ünïcode. x"), "v1.2 ünïcode x");
        assert_eq!(normalize("..."), "");
        assert_eq!(normalize("  a  ::  b  "), "a b");
        assert_eq!(normalize("İstanbul"), "i\u{307}stanbul");
    }

    #[test]
    fn ascii_and_unicode_paths_agree() {
        let samples = [
            "Use keyset cursors for pagination.",
            "  ::Deploy\tthe\x0bdashboard:: (v2) -- now!  ",
            "a\u{c}b\rc\nd",
            "$5 / 10% _x_",
            "",
        ];
        for s in samples {
            // The same text with one non-ASCII letter appended takes the other path.
            let wide = format!("{s} é");
            let expected = format!("{} é", normalize(s)).trim_start().to_string();
            assert_eq!(normalize(&wide), expected, "{s:?}");
        }
    }

    #[test]
    fn ellipsize_counts_characters_not_bytes() {
        assert_eq!(ellipsize("héllo wörld", 6), "héllo…");
        assert_eq!(ellipsize("short", 10), "short");
    }
}
