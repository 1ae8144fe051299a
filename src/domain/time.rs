//! Timestamps as they appear in files: RFC 3339 mostly, sometimes a bare date or a local
//! time without offset. Parsing is pure; "now" is always passed in by the caller.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    parse_date(text)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// The one format baton writes: RFC 3339, UTC, whole seconds (`2025-11-15T22:30:00Z`).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// "3 s", "4 m", "2 h", "5 d": compact ages for narrow panes.
pub fn short_age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} m", s / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_shapes_seen_in_files() {
        assert!(parse_timestamp("2025-11-15T22:30:00Z").is_some());
        assert!(parse_timestamp("2025-11-15T22:30:00+02:00").is_some());
        assert!(parse_timestamp("2025-11-15 22:30").is_some());
        assert_eq!(
            format_timestamp(parse_timestamp("2025-11-15").unwrap()),
            "2025-11-15T00:00:00Z"
        );
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn ages() {
        assert_eq!(short_age(3), "3 s");
        assert_eq!(short_age(250), "4 m");
        assert_eq!(short_age(90_000), "1 d");
    }
}
