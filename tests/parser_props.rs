//! Property tests over everything that reads text or JSON from the sessions directory:
//! none of it may panic on any input, problems point inside the text, and handoffs baton
//! renders read back as they were written.
//!
//! The number of cases follows `PROPTEST_CASES` (proptest's default, 256, when unset);
//! for a long run: `PROPTEST_CASES=20000 cargo test --test parser_props`.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Map, Value};

use baton::domain::archive::ArchivedSession;
use baton::domain::check;
use baton::domain::events::{Event, fold};
use baton::domain::handoff::{Handoff, HandoffDraft, HandoffName, SectionKind};
use baton::domain::items::{Blocker, Decision, PendingItem};
use baton::domain::json_doc::{Doc, parse_lines, parse_log, parse_object};
use baton::domain::knowledge::Knowledge;
use baton::domain::redact::{Allowlist, redact};
use baton::domain::session::SessionRecord;

// ---------------------------------------------------------------------------------------
// Strategies

/// Pieces handoffs are made of, so generated documents hit headings, fences, lists,
/// checkboxes, placeholders and escapes far more often than random text would.
fn markdown_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("# Session Handoff - 2025-11-15".to_string()),
        Just("# Title $(date +%Y-%m-%d)".to_string()),
        Just("## Quick Summary".to_string()),
        Just("## What Was Accomplished".to_string()),
        Just("## Accomplished".to_string()),
        Just("## Pending Items".to_string()),
        Just("## Key Commands".to_string()),
        Just("## Next Session Should Start With".to_string()),
        Just("### deeper".to_string()),
        Just("#hashtag".to_string()),
        Just("**Session:** 2025-11-15-001".to_string()),
        Just("Session ID: `abc`".to_string()),
        Just("```bash".to_string()),
        Just("```".to_string()),
        Just("````".to_string()),
        Just("~~~".to_string()),
        Just("``` inline `code` ```".to_string()),
        Just("- (none)".to_string()),
        Just("- [ ] todo".to_string()),
        Just("- [x] done".to_string()),
        Just("1. ✅ shipped".to_string()),
        Just("2) âœ… mojibake".to_string()),
        Just("* star".to_string()),
        Just("  - nested".to_string()),
        Just("    continuation".to_string()),
        Just("> quoted".to_string()),
        Just("---".to_string()),
        Just("[List accomplishments]".to_string()),
        Just("\\# escaped".to_string()),
        Just(String::new()),
        Just("\r".to_string()),
        Just("\u{feff}".to_string()),
        "[ -~]{0,30}",
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
    ]
}

fn markdown_doc() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(markdown_fragment(), 0..40),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(lines, eol)| lines.join(eol))
}

/// Item text as people type it: words, Markdown punctuation, marks, line breaks.
fn item_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 .,:;!?'\"()/_-]{0,40}",
        2 => "[a-z #`~*+>\\[\\]()\\\\x✅✔☑âœ…\t0-9.)-]{0,30}",
        1 => Just("(none)".to_string()),
        1 => Just("[ ] not done".to_string()),
        1 => Just("✅ already marked".to_string()),
        1 => Just("---".to_string()),
        1 => Just("[...]".to_string()),
        1 => "[a-z ]{0,10}\n[a-z ]{0,10}",
        1 => any::<String>().prop_map(|s| s.chars().take(30).collect()),
    ]
}

fn block_text() -> impl Strategy<Value = String> {
    prop::collection::vec(item_text(), 0..5).prop_map(|lines| lines.join("\n"))
}

fn items() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(item_text(), 0..5)
}

fn draft() -> impl Strategy<Value = HandoffDraft> {
    (
        prop::option::of((2000i32..2100, 1u32..13, 1u32..29)),
        prop_oneof!["[a-zA-Z0-9_.-]{0,20}", item_text()],
        block_text(),
        (items(), items(), items()),
        block_text(),
        (items(), items(), items(), items()),
    )
        .prop_map(
            |(date, session_id, quick_summary, (a, c, p), key_commands, (i, d, l, n))| {
                HandoffDraft {
                    date: date.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                    session_id,
                    quick_summary,
                    accomplished: a,
                    current_state: c,
                    pending: p,
                    key_commands,
                    important_context: i,
                    decisions: d,
                    code_locations: l,
                    next_session_start: n,
                }
            },
        )
}

/// Arbitrary JSON values, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Floats that serde_json reads back exactly (without its `float_roundtrip` feature
        // some 17-digit values come back one unit in the last place off).
        (any::<i32>(), 0i32..20).prop_map(|(m, e)| Value::from(f64::from(m) / 2f64.powi(e))),
        any::<String>().prop_map(Value::String),
        "[a-z_]{0,12}".prop_map(Value::String),
        Just(Value::String("2025-11-15T20:00:00Z".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Keys: mostly the ones baton's types look for, so deserialization goes deep.
fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "kind",
            "at",
            "session_id",
            "primary_goal",
            "decision",
            "reasoning",
            "impact",
            "task",
            "priority",
            "text",
            "practice",
            "path",
            "note",
            "index",
            "done",
            "started_at",
            "ended_at",
            "duration_hours",
            "achievements",
            "decisions_made",
            "code_created",
            "insights_gained",
            "blockers_encountered",
            "next_steps",
            "files_modified",
            "metrics",
            "handoff_notes",
            "template",
            "checklist",
            "commits",
            "completed",
            "best_practices",
            "summary",
            "key_commands",
            "handoff_file",
            "as_of",
            "total_sessions",
            "total_hours",
            "pending_work",
            "core_decisions",
            "architecture_state",
            "last_merged_session",
            "blocker",
            "solution",
            "lesson",
            "status",
            "services",
            "name",
            "url",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,6}",
    ]
}

/// A JSON object whose `kind` is one of the event kinds, so `Event` parsing gets past the tag.
fn event_like() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "start",
            "goal",
            "decision",
            "insight",
            "achievement",
            "blocker",
            "next",
            "code",
            "done",
            "check",
            "service",
            "notes",
            "bogus",
        ]),
        prop::collection::vec((json_key(), json_value()), 0..8),
    )
        .prop_map(|(kind, fields)| {
            let mut map: Map<String, Value> = fields.into_iter().collect();
            map.insert("kind".into(), Value::String(kind.into()));
            map.entry("at")
                .or_insert_with(|| Value::String("2025-11-15T20:00:00Z".into()));
            Value::Object(map)
        })
}

/// JSON-ish text: valid JSON, then possibly cut or spliced, with JSON's own punctuation
/// and control characters thrown in.
fn jsonish_text() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| serde_json::to_string_pretty(&v).unwrap()),
        (json_value(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let s = serde_json::to_string_pretty(&v).unwrap();
            let chars: Vec<char> = s.chars().collect();
            let at = cut.index(chars.len() + 1);
            chars[..at].iter().collect()
        }),
        (
            json_value(),
            any::<prop::sample::Index>(),
            "[\\[\\]{}\",:\\\\\n\r\t\u{0}\u{1f}é]{1,3}"
        )
            .prop_map(|(v, at, junk)| {
                let s = serde_json::to_string(&v).unwrap();
                let chars: Vec<char> = s.chars().collect();
                let at = at.index(chars.len() + 1);
                let mut out: String = chars[..at].iter().collect();
                out.push_str(&junk);
                out.extend(&chars[at..]);
                out
            }),
        "[\\[\\]{}\",:\\\\ \n\r\t0-9a-z\u{0}-\u{1f}é\u{feff}]{0,120}",
        any::<String>(),
        (1usize..300).prop_map(|n| format!("{{\"a\": {}{}}}", "[".repeat(n), "]".repeat(n))),
        (1usize..300).prop_map(|n| "[".repeat(n)),
    ]
}

fn jsonl_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop_oneof![
                3 => json_value().prop_map(|v| serde_json::to_string(&v).unwrap()),
                1 => event_like().prop_map(|v| serde_json::to_string(&v).unwrap()),
                1 => jsonish_text().prop_map(|t| t.replace('\n', " ")),
                1 => Just(String::new()),
            ],
            0..12,
        ),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(lines, newline_at_end, cut)| {
            let mut text = lines.join("\n");
            if newline_at_end {
                text.push('\n');
            } else {
                // A torn write: cut somewhere in the last line.
                let chars: Vec<char> = text.chars().collect();
                let start = text
                    .rfind('\n')
                    .map_or(0, |i| text[..i].chars().count() + 1);
                let at = start + cut.index(chars.len() - start + 1);
                text = chars[..at].iter().collect();
            }
            text
        })
}

fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

// ---------------------------------------------------------------------------------------
// Handoffs

proptest! {
    #[test]
    fn handoff_parse_never_panics_on_markdown(doc in markdown_doc()) {
        exercise_handoff(&doc);
    }

    #[test]
    fn handoff_parse_never_panics_on_any_string(doc in any::<String>()) {
        exercise_handoff(&doc);
    }

    #[test]
    fn rendered_drafts_read_back_as_written(d in draft()) {
        let text = d.render();
        let back = Handoff::parse(&text).to_draft();
        prop_assert_eq!(back, d.normalized(), "rendered:\n{}", text);
    }

    #[test]
    fn normalizing_is_idempotent(d in draft()) {
        prop_assert_eq!(d.normalized().normalized(), d.normalized());
    }

    #[test]
    fn handoff_names_never_panic(name in any::<String>()) {
        let _ = HandoffName::parse(&name);
    }
}

fn exercise_handoff(doc: &str) {
    let h = Handoff::parse(doc);
    for kind in [
        SectionKind::QuickSummary,
        SectionKind::Accomplished,
        SectionKind::CurrentState,
        SectionKind::PendingItems,
        SectionKind::KeyCommands,
        SectionKind::ImportantContext,
        SectionKind::Decisions,
        SectionKind::CodeLocations,
        SectionKind::NextSessionStart,
        SectionKind::KeyLearnings,
        SectionKind::Other,
    ] {
        let _ = h.items(kind);
    }
    let _ = h.summary();
    for s in &h.sections {
        let _ = s.items();
    }
    // Whatever was read can be written and read again.
    let draft = h.to_draft();
    let again = Handoff::parse(&draft.render()).to_draft();
    assert_eq!(again, draft.normalized());
}

// ---------------------------------------------------------------------------------------
// JSON documents and logs

proptest! {
    #[test]
    fn parse_object_never_panics_and_points_inside_the_text(text in jsonish_text()) {
        let lines = line_count(&text);
        match parse_object("F.json", &text) {
            Doc::Ok(map) => {
                let strict: Value = serde_json::from_str(&text).expect("Ok means it parses");
                prop_assert_eq!(strict, Value::Object(map));
            }
            Doc::Broken { problem, salvaged } => {
                prop_assert!(problem.line >= 1 && problem.line <= lines,
                    "line {} of {}: {}", problem.line, lines, problem);
                prop_assert!(problem.column >= 1, "{}", problem);
                prop_assert!(problem.to_string().starts_with("F.json:"));
                if let Some(map) = salvaged {
                    // Salvage is for display; it must still be a real object.
                    let _ = serde_json::to_string(&map).unwrap();
                }
            }
        }
    }

    #[test]
    fn parse_log_never_panics_and_points_inside_the_text(text in prop_oneof![jsonl_text(), jsonish_text()]) {
        let lines = line_count(&text);
        let log = parse_log("L.json", &text);
        for p in &log.problems {
            prop_assert!(p.line >= 1 && p.line <= lines, "line {} of {}: {}", p.line, lines, p);
            prop_assert!(p.column >= 1, "{}", p);
        }
        if !log.is_array {
            for r in &log.records {
                prop_assert!(r.line >= 1 && r.line <= lines);
            }
            // At most the last line is reported as torn, and only as a warning.
            let torn: Vec<_> = log.problems.iter().filter(|p| p.message.starts_with("torn")).collect();
            prop_assert!(torn.len() <= 1);
            if let Some(t) = torn.first() {
                prop_assert_eq!(t.line, lines);
            }
        }
        let _ = parse_lines(&text);
    }

    #[test]
    fn validate_checks_never_panic_and_point_inside_the_text(text in prop_oneof![jsonl_text(), jsonish_text(), markdown_doc()]) {
        let lines = line_count(&text);
        let now = chrono::DateTime::parse_from_rfc3339("2025-11-20T00:00:00Z").unwrap().to_utc();
        let mut issues = Vec::new();
        issues.extend(check::knowledge("K", &text));
        issues.extend(check::current_session("C", &text).0);
        issues.extend(check::services("S", &text));
        issues.extend(check::archive("A", "a", &text));
        issues.extend(check::json_log("J", &text));
        issues.extend(check::config_syntax("G", &text));
        let events = check::events("E", "e", &text);
        if let Some((at, _)) = events.last_event {
            issues.extend(check::stale("E", 1, &events.session_id, at, now));
        }
        issues.extend(events.issues);
        issues.extend(check::encoding("B", text.as_bytes()));
        for i in &issues {
            let p = &i.problem;
            prop_assert!(p.line <= lines, "line {} of {}: {}", p.line, lines, p);
        }
        for path in [
            vec![check::Seg::Key("services"), check::Seg::Index(0), check::Seg::Key("url")],
            vec![check::Seg::Key("a")],
            vec![check::Seg::Index(3)],
        ] {
            if let Some((line, column)) = check::locate(&text, &path) {
                prop_assert!(line >= 1 && line <= lines && column >= 1);
            }
        }
    }

    #[test]
    fn invalid_utf8_is_located_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Some(issue) = check::encoding("B", &bytes) {
            prop_assert!(std::str::from_utf8(&bytes).is_err());
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            prop_assert!(issue.problem.line >= 1 && issue.problem.line <= lines);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_object("F", &text);
        let _ = parse_log("L", &text);
        let _ = Handoff::parse(&text);
    }
}

// ---------------------------------------------------------------------------------------
// Records from arbitrary JSON

proptest! {
    #[test]
    fn events_and_records_deserialize_without_panicking(v in prop_oneof![json_value(), event_like()]) {
        if let Ok(e) = serde_json::from_value::<Event>(v.clone()) {
            // What parses folds, and writes back to a line that parses again.
            let _ = fold(std::slice::from_ref(&e));
            let back: Event = serde_json::from_str(&e.to_line()).expect("own line parses");
            let as_value = |e: &Event| serde_json::from_str::<Value>(&e.to_line()).unwrap();
            prop_assert_eq!(as_value(&back), as_value(&e));
        }
        if let Value::Object(map) = v.clone()
            && let Ok(r) = SessionRecord::from_map(map)
        {
            let _ = r.counts();
            let _ = r.started();
            let mut k = Knowledge::default();
            k.merge_session(&r);
            let _ = k.to_pretty_json();
        }
        let _ = serde_json::from_value::<ArchivedSession>(v.clone());
        let _ = Decision::from_value(v.clone()).to_value();
        let _ = PendingItem::from_value(v.clone()).to_value();
        let _ = Blocker::from_value(v.clone()).to_value();
    }

    #[test]
    fn any_knowledge_base_reads_and_merges(doc in prop::collection::vec((json_key(), json_value()), 0..12),
                                           session in json_value()) {
        let mut k = Knowledge::new(doc.into_iter().collect());
        let _ = (k.totals(), k.pending_by_priority(), k.core_decisions(), k.best_practices());
        let _ = (k.architecture(), k.other_fields(), k.last_updated());
        let mut map = match session {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        map.insert("session_id".into(), Value::String("s1".into()));
        if let Ok(r) = SessionRecord::from_map(map) {
            k.merge_session(&r);
            let once = k.clone();
            k.merge_session(&r);
            prop_assert_eq!(k, once, "merging the same session twice changed the KB");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Redaction (its public API): never panics, and what it writes is stable.

proptest! {
    #[test]
    fn redaction_never_panics_and_is_idempotent(text in prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9_=:\"' .-]{0,80}",
        ("(api_key|token|secret|password|Authorization: Bearer)", "[=: ]{1,2}", "[A-Za-z0-9+/=_-]{0,40}")
            .prop_map(|(k, s, v)| format!("{k}{s}{v}")),
    ]) {
        let allow = Allowlist::default();
        let (once, _) = redact(&text, &allow);
        let (twice, again) = redact(&once, &allow);
        prop_assert_eq!(&twice, &once, "redacting twice changed {:?}", text);
        prop_assert!(again.is_empty());
    }
}
