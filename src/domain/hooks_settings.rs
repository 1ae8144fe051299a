//! Claude Code's settings file (`.claude/settings.json`): merging baton's hooks in and taking
//! them out again, as pure functions of the file's text.
//!
//! Claude Code keeps hooks as `{"hooks": {"<Event>": [{"matcher": …, "hooks": [{"type":
//! "command", "command": "…"}]}]}}`. baton's entries carry no extra field (Claude Code
//! validates the settings file, and an unknown key could make it reject the whole file): they
//! are recognised by their command, which runs a program named `baton` with `hooks
//! session-start` or `hooks remind`. Everything else in the file — other keys, other tools'
//! hooks, their order — is kept as it was.

use serde::Serialize;
use serde_json::{Map, Value};

use super::problem::Problem;

/// One of the hook commands baton installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// `baton hooks session-start`: the context pack, and a session started when none is.
    SessionStart,
    /// `baton hooks remind`: reminds the agent to log and to end with a handoff.
    Remind,
}

impl HookKind {
    pub const ALL: [HookKind; 2] = [HookKind::SessionStart, HookKind::Remind];

    /// The Claude Code event the hook runs on.
    pub fn event(self) -> &'static str {
        match self {
            HookKind::SessionStart => "SessionStart",
            HookKind::Remind => "Stop",
        }
    }

    /// The `baton hooks …` subcommand it runs.
    pub fn subcommand(self) -> &'static str {
        match self {
            HookKind::SessionStart => "session-start",
            HookKind::Remind => "remind",
        }
    }

    fn from_subcommand(s: &str) -> Option<HookKind> {
        HookKind::ALL.into_iter().find(|k| k.subcommand() == s)
    }
}

/// A hook baton wants in the settings: what it is and the exact command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedHook {
    pub kind: HookKind,
    pub command: String,
}

/// The command line of a baton hook: `BATON hooks SUBCOMMAND [--dir DIR]`, shell-quoted.
pub fn hook_command(baton: &str, kind: HookKind, dir: Option<&str>) -> String {
    let mut cmd = format!("{} hooks {}", shell_quote(baton), kind.subcommand());
    if let Some(dir) = dir {
        cmd.push_str(" --dir ");
        cmd.push_str(&shell_quote(dir));
    }
    cmd
}

/// Quotes a word for a POSIX shell (Claude Code runs hook commands through one), only when
/// it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '@' | ',' | '=')
        });
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Splits a command line into words the way a POSIX shell would for simple commands (quotes
/// and backslashes; no expansions). `None` if a quote is left open.
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            // Anything that makes this more than one simple command is not baton's.
            ';' | '&' | '|' | '<' | '>' | '`' | '(' | ')' => return None,
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// Which baton hook a command line runs, if it is one: a program named `baton` (any path),
/// optionally baton's global flags, then `hooks session-start` or `hooks remind`.
pub fn baton_hook_kind(command: &str) -> Option<HookKind> {
    let words = shell_words(command)?;
    let mut rest = words.iter().map(String::as_str);
    let program = rest.next()?;
    let name = program.rsplit(['/', '\\']).next().unwrap_or(program);
    if name != "baton" && name != "baton.exe" {
        return None;
    }
    let mut word = rest.next()?;
    while matches!(word, "--dir" | "--session")
        || word.starts_with("--dir=")
        || word.starts_with("--session=")
    {
        if !word.contains('=') {
            rest.next()?;
        }
        word = rest.next()?;
    }
    if word != "hooks" {
        return None;
    }
    HookKind::from_subcommand(rest.next()?)
}

/// The settings file as read: its object, and how to write it back in the same style.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub doc: Map<String, Value>,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// One level of indentation, as the file had it (two spaces by default).
    pub indent: String,
    pub crlf: bool,
    pub bom: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            indent: "  ".into(),
            crlf: false,
            bom: false,
        }
    }
}

const NOTHING_CHANGED: &str = "nothing was changed";

/// Parses a settings file. `None` (no file) and an empty file are an empty object. Anything
/// that is not a JSON object — JSONC comments in particular — is a located problem, and the
/// caller must leave the file alone.
pub fn parse_settings(shown: &str, text: Option<&str>) -> Result<Settings, Problem> {
    let Some(raw) = text else {
        return Ok(Settings {
            doc: Map::new(),
            style: Style::default(),
        });
    };
    let bom = raw.starts_with('\u{FEFF}');
    let text = raw.strip_prefix('\u{FEFF}').unwrap_or(raw);
    let style = Style {
        indent: detect_indent(text),
        crlf: text.contains("\r\n"),
        bom,
    };
    if text.trim().is_empty() {
        return Ok(Settings {
            doc: Map::new(),
            style,
        });
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => {
            check_shape(shown, text, &doc)?;
            Ok(Settings { doc, style })
        }
        Ok(_) => Err(Problem::error(
            shown,
            1,
            1,
            format!("the settings are not a JSON object {{…}}; merge by hand; {NOTHING_CHANGED}"),
        )),
        Err(e) => {
            if let Some((line, column, kind)) = find_comment(text) {
                return Err(Problem::error(
                    shown,
                    line,
                    column,
                    format!(
                        "`{kind}` comments are not JSON; remove them or merge by hand; {NOTHING_CHANGED}"
                    ),
                ));
            }
            let full = e.to_string();
            let msg = full
                .rsplit_once(" at line ")
                .map_or(full.as_str(), |(m, _)| m);
            Err(Problem::error(
                shown,
                e.line().max(1),
                e.column().max(1),
                format!("{msg}; fix the JSON or merge by hand; {NOTHING_CHANGED}"),
            ))
        }
    }
}

/// `hooks` must be an object of arrays of objects for baton to merge into it.
fn check_shape(shown: &str, text: &str, doc: &Map<String, Value>) -> Result<(), Problem> {
    let Some(hooks) = doc.get("hooks") else {
        return Ok(());
    };
    let at = |key: &str| locate(text, &format!("\"{key}\""));
    let Some(events) = hooks.as_object() else {
        let (line, column) = at("hooks");
        return Err(Problem::error(
            shown,
            line,
            column,
            format!("\"hooks\" is not an object; merge by hand; {NOTHING_CHANGED}"),
        ));
    };
    for (event, groups) in events {
        let ok = groups.as_array().is_some_and(|g| {
            g.iter().all(|group| {
                group.is_object()
                    && group.get("hooks").is_none_or(|h| {
                        h.as_array().is_some_and(|h| h.iter().all(Value::is_object))
                    })
            })
        });
        if !ok {
            let (line, column) = at(event);
            return Err(Problem::error(
                shown,
                line,
                column,
                format!(
                    "\"hooks\".\"{event}\" is not a list of {{\"matcher\", \"hooks\": [...]}} groups; merge by hand; {NOTHING_CHANGED}"
                ),
            ));
        }
    }
    Ok(())
}

/// 1-based line and column of the first occurrence of `needle` (1:1 when absent).
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let Some(at) = text.find(needle) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The first `//` or `/*` outside a string, with its 1-based line and column.
fn find_comment(text: &str) -> Option<(usize, usize, &'static str)> {
    let (mut line, mut column) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => in_string = true,
            ('/', Some('/')) => return Some((line, column, "//")),
            ('/', Some('*')) => return Some((line, column, "/* */")),
            _ => {}
        }
    }
    None
}

/// The indentation of the first indented line; two spaces when there is none.
fn detect_indent(text: &str) -> String {
    for line in text.lines().skip(1) {
        let ws: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if ws.is_empty() || ws.len() == line.len() {
            continue;
        }
        if ws.starts_with('\t') {
            return "\t".into();
        }
        if ws.len() <= 8 {
            return ws;
        }
        break;
    }
    "  ".into()
}

/// Writes the settings back: pretty JSON in the file's own indentation and line ends.
pub fn render(settings: &Settings) -> String {
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(settings.style.indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    settings
        .doc
        .serialize(&mut ser)
        .expect("a JSON map always serializes");
    let mut text = String::from_utf8(bytes).expect("serde_json writes UTF-8");
    text.push('\n');
    if settings.style.crlf {
        text = text.replace('\n', "\r\n");
    }
    if settings.style.bom {
        text.insert(0, '\u{FEFF}');
    }
    text
}

/// What a merge changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: usize,
    /// baton entries whose command changed (another path to baton, other flags).
    pub updated: usize,
    pub removed: usize,
}

impl Changes {
    pub fn any(&self) -> bool {
        self.added + self.updated + self.removed > 0
    }
}

/// Makes the settings hold exactly `wanted` among baton's hooks: an entry already there is
/// kept (its command updated if it differs), stale or duplicate baton entries are removed,
/// and missing ones are appended as their own group at the end of their event's list.
/// Installing twice changes nothing the second time.
pub fn install(settings: &mut Settings, wanted: &[WantedHook]) -> Changes {
    let mut changes = Changes::default();
    let mut placed = vec![false; wanted.len()];
    if let Some(Value::Object(events)) = settings.doc.get_mut("hooks") {
        let mut emptied = Vec::new();
        for (event, groups) in events.iter_mut() {
            let removed = retain_baton_entries(groups, |kind, command| {
                let slot = (0..wanted.len()).find(|&i| {
                    !placed[i] && wanted[i].kind == kind && wanted[i].kind.event() == event
                });
                let Some(i) = slot else {
                    return false;
                };
                placed[i] = true;
                if command.as_str() != Some(wanted[i].command.as_str()) {
                    *command = Value::String(wanted[i].command.clone());
                    changes.updated += 1;
                }
                true
            });
            changes.removed += removed;
            if removed > 0 && groups.as_array().is_some_and(Vec::is_empty) {
                emptied.push(event.clone());
            }
        }
        for event in emptied {
            events.shift_remove(&event);
        }
    }
    for (i, w) in wanted.iter().enumerate() {
        if placed[i] {
            continue;
        }
        let events = settings
            .doc
            .entry("hooks")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("checked by parse_settings");
        let groups = events
            .entry(w.kind.event())
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .expect("checked by parse_settings");
        groups.push(serde_json::json!({
            "hooks": [{"type": "command", "command": w.command}]
        }));
        changes.added += 1;
    }
    changes
}

/// Removes every baton hook, and the groups, event lists and `hooks` object that only held
/// baton's entries. Nothing else is touched (an empty list the user wrote stays).
pub fn uninstall(settings: &mut Settings) -> Changes {
    let mut changes = Changes::default();
    let Some(Value::Object(events)) = settings.doc.get_mut("hooks") else {
        return changes;
    };
    let mut emptied = Vec::new();
    for (event, groups) in events.iter_mut() {
        let removed = retain_baton_entries(groups, |_, _| false);
        changes.removed += removed;
        if removed > 0 && groups.as_array().is_some_and(Vec::is_empty) {
            emptied.push(event.clone());
        }
    }
    for event in emptied {
        events.shift_remove(&event);
    }
    if changes.removed > 0 && events.is_empty() {
        settings.doc.shift_remove("hooks");
    }
    changes
}

/// Walks one event's groups; `keep(kind, command)` decides for each baton entry (and may
/// rewrite its command). Groups emptied by removals are dropped, other groups never are.
/// Returns how many entries were removed.
fn retain_baton_entries(
    groups: &mut Value,
    mut keep: impl FnMut(HookKind, &mut Value) -> bool,
) -> usize {
    let Some(list) = groups.as_array_mut() else {
        return 0;
    };
    let mut removed = 0;
    list.retain_mut(|group| {
        let Some(entries) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
            return true;
        };
        let before = entries.len();
        entries.retain_mut(|entry| {
            let kind = entry
                .get("command")
                .and_then(Value::as_str)
                .and_then(baton_hook_kind);
            match (kind, entry.get_mut("command")) {
                (Some(kind), Some(command)) => keep(kind, command),
                _ => true,
            }
        });
        let gone = before - entries.len();
        removed += gone;
        !(gone > 0 && entries.is_empty())
    });
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BATON: &str = "/opt/bin/baton";

    fn wanted() -> Vec<WantedHook> {
        HookKind::ALL
            .into_iter()
            .map(|kind| WantedHook {
                kind,
                command: hook_command(BATON, kind, None),
            })
            .collect()
    }

    fn parse(text: &str) -> Settings {
        parse_settings("settings.json", Some(text)).expect("parses")
    }

    #[test]
    fn commands_are_recognised_by_program_and_subcommand() {
        assert_eq!(
            baton_hook_kind("/opt/bin/baton hooks session-start"),
            Some(HookKind::SessionStart)
        );
        assert_eq!(
            baton_hook_kind("'/home/a b/baton' --dir '/x y' hooks remind"),
            Some(HookKind::Remind)
        );
        assert_eq!(
            baton_hook_kind("baton --dir=/x hooks remind --every 5"),
            Some(HookKind::Remind)
        );
        assert_eq!(baton_hook_kind("baton hooks install claude"), None);
        assert_eq!(baton_hook_kind("baton context --budget 4000"), None);
        assert_eq!(baton_hook_kind("/usr/bin/not-baton hooks remind"), None);
        assert_eq!(baton_hook_kind("baton hooks remind; rm -rf /"), None);
        assert_eq!(baton_hook_kind("echo 'baton hooks remind'"), None);
        assert_eq!(baton_hook_kind("'unclosed"), None);
    }

    #[test]
    fn quoting_round_trips() {
        for word in ["/usr/bin/baton", "/a b/c", "it's", "", "$HOME"] {
            let cmd = format!("{} x", shell_quote(word));
            assert_eq!(shell_words(&cmd).unwrap()[0], word, "{cmd}");
        }
        let cmd = hook_command("/tmp/it's here/baton", HookKind::Remind, Some("/d d"));
        assert_eq!(baton_hook_kind(&cmd), Some(HookKind::Remind));
    }

    #[test]
    fn install_into_nothing_then_uninstall_leaves_nothing() {
        let mut s = parse_settings("s", None).unwrap();
        let c = install(&mut s, &wanted());
        assert_eq!(c.added, 2);
        assert_eq!(
            Value::Object(s.doc.clone()),
            json!({"hooks": {
                "SessionStart": [{"hooks": [{"type": "command", "command": "/opt/bin/baton hooks session-start"}]}],
                "Stop": [{"hooks": [{"type": "command", "command": "/opt/bin/baton hooks remind"}]}]
            }})
        );
        assert_eq!(install(&mut s, &wanted()), Changes::default());
        assert_eq!(uninstall(&mut s).removed, 2);
        assert!(s.doc.is_empty());
    }

    #[test]
    fn other_keys_and_hooks_survive_in_order() {
        let text = r#"{
    "model": "opus",
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}],
        "SessionStart": [{"matcher": "startup", "hooks": [{"type": "command", "command": "echo hi"}]}]
    },
    "permissions": {"allow": ["Bash(ls)"]}
}"#;
        let original = parse(text);
        let mut s = original.clone();
        install(&mut s, &wanted());
        let keys: Vec<&String> = s.doc.keys().collect();
        assert_eq!(keys, ["model", "hooks", "permissions"]);
        let start = &s.doc["hooks"]["SessionStart"];
        assert_eq!(start[0]["hooks"][0]["command"], "echo hi");
        assert_eq!(
            start[1]["hooks"][0]["command"],
            "/opt/bin/baton hooks session-start"
        );
        let events: Vec<&String> = s.doc["hooks"].as_object().unwrap().keys().collect();
        assert_eq!(events, ["PreToolUse", "SessionStart", "Stop"]);
        assert_eq!(s.style.indent, "    ");
        assert!(render(&s).contains("\n    \"model\": \"opus\""));
        uninstall(&mut s);
        assert_eq!(s, original);
    }

    #[test]
    fn a_moved_binary_is_updated_not_duplicated() {
        let mut s = parse_settings("s", None).unwrap();
        install(&mut s, &wanted());
        let moved: Vec<WantedHook> = HookKind::ALL
            .into_iter()
            .map(|kind| WantedHook {
                kind,
                command: hook_command("/new/baton", kind, None),
            })
            .collect();
        let c = install(&mut s, &moved);
        assert_eq!((c.added, c.updated, c.removed), (0, 2, 0));
        assert_eq!(
            s.doc["hooks"]["Stop"][0]["hooks"][0]["command"],
            "/new/baton hooks remind"
        );
    }

    #[test]
    fn a_group_shared_with_another_tool_keeps_the_other_tool() {
        let mut s = parse(
            r#"{"hooks": {"Stop": [{"hooks": [
                {"type": "command", "command": "notify-send done"},
                {"type": "command", "command": "/old/baton hooks remind"},
                {"type": "command", "command": "/old/baton hooks remind"}
            ]}]}}"#,
        );
        let c = install(&mut s, &wanted());
        assert_eq!((c.added, c.updated, c.removed), (1, 1, 1));
        assert_eq!(
            s.doc["hooks"]["Stop"][0]["hooks"].as_array().unwrap().len(),
            2
        );
        uninstall(&mut s);
        assert_eq!(
            Value::Object(s.doc),
            json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}})
        );
    }

    #[test]
    fn comments_are_refused_where_they_are() {
        let text = "{\n  \"model\": \"a//b\",\n  // mine\n  \"x\": 1\n}\n";
        let p = parse_settings(".claude/settings.json", Some(text)).unwrap_err();
        assert_eq!(
            p.to_string(),
            ".claude/settings.json:3:3: `//` comments are not JSON; remove them or merge by hand; nothing was changed"
        );
        let p = parse_settings("s", Some("{ /* a */ }")).unwrap_err();
        assert!(p.to_string().starts_with("s:1:3: `/* */` comments"), "{p}");
    }

    #[test]
    fn other_syntax_errors_and_shapes_are_refused() {
        let p = parse_settings("s", Some("{\"a\": 1,}")).unwrap_err();
        assert!(p.to_string().contains("nothing was changed"), "{p}");
        let p = parse_settings("s", Some("[]")).unwrap_err();
        assert!(p.to_string().contains("not a JSON object"), "{p}");
        let p = parse_settings("s", Some("{\n \"hooks\": []\n}")).unwrap_err();
        assert!(
            p.to_string()
                .starts_with("s:2:2: \"hooks\" is not an object"),
            "{p}"
        );
        let p = parse_settings("s", Some("{\"hooks\": {\"Stop\": {}}}")).unwrap_err();
        assert!(p.to_string().contains("\"Stop\" is not a list"), "{p}");
    }

    #[test]
    fn style_is_kept() {
        let mut s = parse("\u{FEFF}{\r\n\t\"a\": 1\r\n}\r\n");
        install(&mut s, &wanted());
        let out = render(&s);
        assert!(
            out.starts_with("\u{FEFF}{\r\n\t\"a\": 1,\r\n\t\"hooks\""),
            "{out:?}"
        );
        assert!(!out.replace("\r\n", "").contains('\n'));
        assert_eq!(render(&parse("")), "{}\n");
    }
}
