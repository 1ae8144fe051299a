//! Session ids become file names, so they are validated before any path is built from them.

use chrono::NaiveDate;

pub const MAX_ID_LEN: usize = 100;

/// Checks that `id` is safe as a single path component. The message says what to do.
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("session id is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("session id is longer than {MAX_ID_LEN} bytes"));
    }
    if id == "." || id == ".." || id.contains("..") {
        return Err(format!(
            "session id {id:?} contains `..`; use letters, digits, `-`, `_` and `.`"
        ));
    }
    if id.starts_with('.') {
        return Err(format!("session id {id:?} starts with `.`"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '\0') || c.is_control())
    {
        return Err(format!(
            "session id {:?} contains {}; use letters, digits, `-`, `_` and `.`",
            id,
            match c {
                '/' | '\\' => "a path separator".to_string(),
                '\0' => "a NUL byte".to_string(),
                other => format!("the control character U+{:04X}", other as u32),
            }
        ));
    }
    if id
        .chars()
        .any(|c| matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
    {
        return Err(format!(
            "session id {id:?} contains a character not allowed in file names"
        ));
    }
    Ok(())
}

/// `2025-11-15-001`: the seed's id shape, `n` being the session's number that day.
pub fn session_id_for(date: NaiveDate, n: u32) -> String {
    format!("{}-{n:03}", date.format("%Y-%m-%d"))
}

/// The day and number of an id in the seed's shape.
pub fn parse_session_id(id: &str) -> Option<(NaiveDate, u32)> {
    let date = NaiveDate::parse_from_str(id.get(..10)?, "%Y-%m-%d").ok()?;
    let n = id.get(10..)?.strip_prefix('-')?.parse().ok()?;
    Some((date, n))
}

/// File name of a session's handoff: the seed's `2025-11-15_session_1.md` for seed-shaped
/// ids, `2025-11-15_session_1_alice.md` for machine ids, `<date>_<id>.md` otherwise.
pub fn handoff_file_name(id: &str, date: NaiveDate) -> String {
    match parse_session_id(id) {
        Some((d, n)) => format!("{}_session_{n}.md", d.format("%Y-%m-%d")),
        None => match parse_machine_id(id) {
            Some((d, n, tag)) => format!("{}_session_{n}_{tag}.md", d.format("%Y-%m-%d")),
            None => format!("{}_{id}.md", date.format("%Y-%m-%d")),
        },
    }
}

/// A machine id, `2025-11-15-001-alice`: the seed's id and the machine's tag (see
/// [`machine_tag`]), which teams sharing a directory through git use so that sessions
/// started the same day on different machines never share an id or a file.
pub fn parse_machine_id(id: &str) -> Option<(NaiveDate, u32, &str)> {
    let (date, n) = parse_session_id(id.get(..14)?)?;
    let tag = id.get(14..)?.strip_prefix('-')?;
    let ok = !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some((date, n, tag))
}

/// The longest machine tag.
pub const MAX_TAG_LEN: usize = 24;

/// A machine's name as an id tag: lower-case letters, digits and `-`, at most
/// [`MAX_TAG_LEN`] characters (`"Ana's MacBook.local"` → `"ana-s-macbook"`).
pub fn machine_tag(name: &str) -> String {
    let name = name.trim();
    let name = name.strip_suffix(".local").unwrap_or(name);
    let mut tag = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            tag.push(c);
        } else if !tag.ends_with('-') {
            tag.push('-');
        }
    }
    let tag: String = tag.trim_matches('-').chars().take(MAX_TAG_LEN).collect();
    let tag = tag.trim_end_matches('-').to_string();
    if tag.is_empty() { "host".into() } else { tag }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_path_tricks() {
        for bad in [
            "../x", "a/b", "a\\b", "a\0b", "a\nb", "..", ".hidden", "", "a\u{7}b",
        ] {
            assert!(validate_id(bad).is_err(), "{bad:?} should be refused");
        }
        for good in ["2025-11-15-001", "frontend_A", "v1.2-review", "séance-été"] {
            assert!(validate_id(good).is_ok(), "{good:?} should pass");
        }
    }

    #[test]
    fn seed_ids_and_handoff_names() {
        let d = NaiveDate::from_ymd_opt(2025, 11, 15).unwrap();
        assert_eq!(session_id_for(d, 1), "2025-11-15-001");
        assert_eq!(parse_session_id("2025-11-15-012"), Some((d, 12)));
        assert_eq!(
            handoff_file_name("2025-11-15-001", d),
            "2025-11-15_session_1.md"
        );
        assert_eq!(handoff_file_name("frontend", d), "2025-11-15_frontend.md");
    }

    #[test]
    fn machine_ids_and_tags() {
        let d = NaiveDate::from_ymd_opt(2025, 11, 15).unwrap();
        assert_eq!(
            parse_machine_id("2025-11-15-003-alice"),
            Some((d, 3, "alice"))
        );
        assert_eq!(parse_machine_id("2025-11-15-003"), None);
        assert_eq!(parse_machine_id("2025-11-15-003-Bad_Tag"), None);
        assert_eq!(
            handoff_file_name("2025-11-15-003-alice", d),
            "2025-11-15_session_3_alice.md"
        );
        assert_eq!(machine_tag("Ana's MacBook.local"), "ana-s-macbook");
        assert_eq!(machine_tag("  "), "host");
        assert_eq!(machine_tag(&"x".repeat(40)).len(), MAX_TAG_LEN);
    }
}
