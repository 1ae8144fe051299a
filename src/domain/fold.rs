//! Case folding and words, for search: one definition shared by the index, the query and
//! highlighting, so that what the index finds and what gets highlighted always agree.
//!
//! Folding is Unicode lowercasing plus the full folds that change a word's length (German
//! `ß`/`ẞ` → `ss`, final sigma `ς` → `σ`, long s `ſ` → `s`), so "STRASSE" finds "Straße" and
//! "É" finds "é". A [`Folded`] text remembers where each of its bytes came from, so matches
//! found in folded text are reported as byte ranges of the original.
//!
//! Words ("tokens") are maximal runs of alphanumeric characters of the folded text.

use std::ops::Range;

/// Appends the case fold of `c` to `out`.
pub fn fold_char(c: char, out: &mut String) {
    match c {
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        c if c.is_ascii() => out.push(c),
        'ß' | 'ẞ' => out.push_str("ss"),
        'ς' => out.push('σ'),
        'ſ' => out.push('s'),
        c => out.extend(c.to_lowercase()),
    }
}

/// The case fold of `text`.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Folded text that maps back to the original.
#[derive(Debug, Clone)]
pub struct Folded {
    pub text: String,
    /// For every byte of `text`, the byte offset in the original of the character it came
    /// from; empty when the original is ASCII (the offsets are then the same).
    starts: Vec<u32>,
}

impl Folded {
    pub fn new(original: &str) -> Folded {
        if original.is_ascii() {
            return Folded {
                text: original.to_ascii_lowercase(),
                starts: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len() + 8);
        let mut starts = Vec::with_capacity(original.len() + 8);
        for (i, c) in original.char_indices() {
            let before = text.len();
            fold_char(c, &mut text);
            starts.resize(text.len(), i as u32);
            debug_assert!(text.len() >= before);
        }
        Folded { text, starts }
    }

    /// The range of `original` that the folded range `r` came from, widened to whole
    /// characters (a match on one `s` of the `ss` folded from `ß` covers the `ß`).
    pub fn original_range(&self, original: &str, r: Range<usize>) -> Range<usize> {
        if self.starts.is_empty() {
            return r;
        }
        if r.start >= r.end || r.end > self.starts.len() {
            return 0..0;
        }
        let start = self.starts[r.start] as usize;
        let last = self.starts[r.end - 1] as usize;
        let len = original
            .get(last..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8);
        start..last + len
    }
}

/// The words of folded text: maximal runs of alphanumeric characters.
pub fn tokens(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// Every place `needle` (already folded, non-empty) occurs in `folded`, as byte ranges of
/// `folded`, left to right, not overlapping.
pub fn find_all(folded: &str, needle: &str) -> Vec<Range<usize>> {
    if needle.is_empty() {
        return Vec::new();
    }
    memchr::memmem::find_iter(folded.as_bytes(), needle.as_bytes())
        .map(|at| at..at + needle.len())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_length_changing_letters() {
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("ÉCOLE"), "école");
        assert_eq!(fold("école"), "école");
        assert_eq!(fold("ΟΔΟΣ"), "οδοσ");
        assert_eq!(fold("οδος"), "οδοσ");
        assert_eq!(fold("Plain ASCII"), "plain ascii");
    }

    #[test]
    fn ranges_map_back_to_the_original() {
        let original = "Die Straße ist GRÜN";
        let f = Folded::new(original);
        let at = f.text.find("strasse").unwrap();
        let r = f.original_range(original, at..at + "strasse".len());
        assert_eq!(&original[r], "Straße");
        let at = f.text.find("grün").unwrap();
        let r = f.original_range(original, at..at + "grün".len());
        assert_eq!(&original[r], "GRÜN");
        // Half of the `ss` folded from `ß` highlights the whole `ß`.
        let at = f.text.find("ss").unwrap();
        let r = f.original_range(original, at..at + 1);
        assert_eq!(&original[r], "ß");
    }

    #[test]
    fn tokens_are_alphanumeric_runs() {
        let t: Vec<&str> = tokens("login_attempts (rota-80092) café").collect();
        assert_eq!(t, vec!["login", "attempts", "rota", "80092", "café"]);
    }

    #[test]
    fn find_all_does_not_overlap() {
        assert_eq!(find_all("aaaa", "aa"), vec![0..2, 2..4]);
        assert!(find_all("abc", "").is_empty());
    }
}
