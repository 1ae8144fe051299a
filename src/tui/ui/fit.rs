//! Fitting text into columns by display width (wide characters take two cells).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cuts `text` to at most `width` cells, ending in `…` when cut. Control characters
/// (a stray `\t` or `\r` from a hand-written file) become spaces so they cannot garble.
pub fn fit(text: &str, width: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.width() <= width {
        return clean;
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in clean.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Like [`fit`], then padded with spaces to exactly `width` cells.
pub fn pad(text: &str, width: usize) -> String {
    let mut s = fit(text, width);
    let w = s.width();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    s
}

pub fn width(text: &str) -> usize {
    text.width()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit("a\tb", 5), "a b");
        assert_eq!(fit("abc", 0), "");
    }
}
