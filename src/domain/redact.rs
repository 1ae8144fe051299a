//! Secret redaction: every secret baton writes or sends becomes `[REDACTED:<rule>]`.
//!
//! The rules follow gitleaks' default configuration (`config/gitleaks.toml`): provider
//! tokens with a recognisable prefix are matched by shape, while keyword rules
//! (`api_key=…`, `Bearer …`) are gated by Shannon entropy so prose and code survive.
//! Only the secret itself is replaced; key names, separators and `Bearer ` stay, so a
//! redacted log still reads naturally.

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule name, e.g. `github-pat`; it is what appears in `[REDACTED:<rule>]`.
    pub rule: &'static str,
    /// 1-based line of the match start.
    pub line: usize,
    /// 1-based column of the match start, counted in characters.
    pub column: usize,
    /// Byte offset of the secret's first byte in the original text.
    pub start: usize,
    /// Byte offset just past the secret in the original text.
    pub end: usize,
}

/// Exact strings / regexes that must never be redacted (config allowlist for false positives).
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    exact: HashSet<String>,
    patterns: Vec<Regex>,
}

impl Allowlist {
    /// Builds an allowlist; `patterns` are unanchored regexes tested against the secret
    /// alone (not its surrounding line), like gitleaks' `regexTarget = "secret"`.
    pub fn new(exact: Vec<String>, patterns: Vec<String>) -> Result<Allowlist, regex::Error> {
        let patterns = patterns
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<Vec<_>, _>>()?;
        let exact = exact.into_iter().filter(|s| !s.is_empty()).collect();
        Ok(Allowlist { exact, patterns })
    }

    /// True when `secret` must be left as it is.
    pub fn allows(&self, secret: &str) -> bool {
        self.exact.contains(secret) || self.patterns.iter().any(|re| re.is_match(secret))
    }
}

/// Finds secrets without changing anything (used by `baton validate` on files baton did not write).
pub fn scan(text: &str, allow: &Allowlist) -> Vec<Finding> {
    let spans = merge(candidates(text, allow));
    locate(text, &spans)
}

/// Returns the redacted text and what was replaced. Each secret becomes `[REDACTED:<rule>]`.
pub fn redact(text: &str, allow: &Allowlist) -> (String, Vec<Finding>) {
    let findings = scan(text, allow);
    if findings.is_empty() {
        return (text.to_owned(), findings);
    }
    // Findings are sorted and disjoint, and every offset refers to the original text, so a
    // single forward copy is equivalent to splicing from the end, without quadratic shifting.
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for f in &findings {
        out.push_str(&text[pos..f.start]);
        out.push_str("[REDACTED:");
        out.push_str(f.rule);
        out.push(']');
        pos = f.end;
    }
    out.push_str(&text[pos..]);
    (out, findings)
}

/// What a raw match must also satisfy before it counts as a secret.
#[derive(Clone, Copy)]
enum Check {
    /// The shape alone is convincing (fixed prefix, fixed length, key block).
    Always,
    /// Shape, unless it is a placeholder such as `ghp_xxxx…` or `AKIAXXXXXXXXXXXXXXXX`.
    /// Deliberately not an entropy bar: patterned test fakes (`"A1b2".repeat(9)`) must
    /// still be redacted, so tests can build tokens without real-looking literals.
    NotPlaceholder,
    /// Keyword-introduced value: must look random rather than like a word, path or number.
    Generic,
    /// `Bearer <x>` outside an `Authorization` header, where prose is common.
    LooseBearer,
    /// Password part of `scheme://user:password@host`.
    UrlPassword,
    /// A PEM block must hold base64 key material, not just its BEGIN/END lines (code
    /// that defines both marker strings next to each other).
    KeyMaterial,
}

struct RuleSpec {
    name: &'static str,
    pattern: &'static str,
    /// Capture group holding the secret; 0 is the whole match.
    group: usize,
    /// Lower-case literals of which at least one must occur for the rule to run at all.
    keywords: &'static [&'static str],
    check: Check,
}

struct Rule {
    name: &'static str,
    pattern: &'static str,
    /// Compiled on first use, i.e. only once a text holds one of the rule's keywords:
    /// compiling all of them up front cost more than the rest of a `baton log`.
    re: OnceLock<Regex>,
    group: usize,
    check: Check,
}

impl Rule {
    fn re(&self) -> &Regex {
        self.re.get_or_init(|| {
            Regex::new(self.pattern).expect("built-in redaction pattern must compile")
        })
    }
}

/// Characters a keyword-introduced value may contain. Quotes, brackets, braces, commas,
/// semicolons, colons, `&`, `|` and backslashes end it, which keeps code (`Option<String>`,
/// `env::var(...)`), templates (`${{ secrets.X }}`), query strings, JSON escapes and
/// already redacted text (`[REDACTED:…]`) out of the value.
macro_rules! value_class {
    () => {
        r"[A-Za-z0-9!#$%*+./=?@^_~-]"
    };
}

/// Keywords that introduce a secret value (gitleaks' generic-api-key list, minus the
/// overly broad bare `key`/`access`, which mostly mean map keys and access modifiers).
macro_rules! secret_keyword {
    () => {
        r"(?:(?:api|access|secret|private|client|signing|encryption|master)[_.-]?key|secret|token|passw(?:or)?d|pwd|credentials?|creds|auth)"
    };
}

/// Optional closing quote of a key, also in its JSON-escaped form (`\"`), as found in
/// session logs that embed JSON inside JSON strings.
macro_rules! opt_quote {
    () => {
        r#"(?:\\?["'`])?"#
    };
}

// Earlier entries win ties (same start and length), so specific rules precede the
// keyword-based catch-alls.
const RULE_SPECS: &[RuleSpec] = &[
    RuleSpec {
        name: "private-key",
        // Whole PEM block up to its END line; a BEGIN followed by key material but no END
        // runs to the end of the text, since truncated keys are still secret. A header
        // alone (code that parses PEM) is not redacted.
        pattern: r"(?s)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|(?:\s|\\[rn])*[A-Za-z0-9+/=]{20}.*)",
        group: 0,
        keywords: &["private key"],
        check: Check::KeyMaterial,
    },
    RuleSpec {
        name: "github-fine-grained-pat",
        pattern: r"github_pat_[0-9A-Za-z_]{82,}",
        group: 0,
        keywords: &["github_pat_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "github-pat",
        pattern: r"ghp_[0-9A-Za-z]{36,}",
        group: 0,
        keywords: &["ghp_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "github-oauth",
        pattern: r"gho_[0-9A-Za-z]{36,}",
        group: 0,
        keywords: &["gho_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "github-app-token",
        pattern: r"gh[us]_[0-9A-Za-z]{36,}",
        group: 0,
        keywords: &["ghu_", "ghs_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "github-refresh-token",
        pattern: r"ghr_[0-9A-Za-z]{36,}",
        group: 0,
        keywords: &["ghr_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "gitlab-pat",
        // Classic 20-char form and the newer routable form with a `.xxxxxxxxx` suffix.
        pattern: r"glpat-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{9})?",
        group: 0,
        keywords: &["glpat-"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "gitlab-token",
        // Pipeline trigger, deploy, feed, incoming mail, agent, OAuth app secret, runner,
        // SCIM, feature flag, CI/CD job tokens and runner registration tokens.
        pattern: r"(?:gl(?:ptt|dt|ft|imt|agent|oas|rt|soat|ffct)-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{9})?|glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20,}|GR1348941[0-9A-Za-z_-]{20,})",
        group: 0,
        keywords: &[
            "glptt-",
            "gldt-",
            "glft-",
            "glimt-",
            "glagent-",
            "gloas-",
            "glrt-",
            "glsoat-",
            "glffct-",
            "glcbt-",
            "gr1348941",
        ],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "gitlab-session-cookie",
        pattern: r"_gitlab_session=([0-9a-z]{32,})",
        group: 1,
        keywords: &["_gitlab_session="],
        check: Check::Always,
    },
    RuleSpec {
        name: "aws-access-key",
        pattern: r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        group: 0,
        keywords: &["a3t", "akia", "asia", "abia", "acca"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "aws-secret-key",
        pattern: concat!(
            r"(?i)(?:aws_?)?secret_?access_?key",
            opt_quote!(),
            r"[ \t]*(?::=|=>|=|:)[ \t]*",
            opt_quote!(),
            r"([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"
        ),
        group: 1,
        keywords: &["secret"],
        check: Check::Always,
    },
    RuleSpec {
        name: "anthropic-admin-key",
        pattern: r"\bsk-ant-admin\d{2}-[0-9A-Za-z_-]{20,}",
        group: 0,
        keywords: &["sk-ant-"],
        check: Check::Always,
    },
    RuleSpec {
        name: "anthropic-api-key",
        // api03 keys, plus the sid/oat/ort session and OAuth tokens coding agents use.
        pattern: r"\bsk-ant-(?:api|sid|oat|ort)\d{2}-[0-9A-Za-z_-]{20,}",
        group: 0,
        keywords: &["sk-ant-"],
        check: Check::Always,
    },
    RuleSpec {
        name: "openai-api-key",
        // Project/service-account/admin keys, any key carrying the `T3BlbkFJ` marker
        // (base64 of "OpenAI"), and legacy `sk-` + 48 alphanumerics.
        pattern: r"\bsk-(?:(?:proj|svcacct|admin)-[0-9A-Za-z_-]{20,}|[0-9A-Za-z_-]*T3BlbkFJ[0-9A-Za-z_-]+|[0-9A-Za-z]{32,})",
        group: 0,
        keywords: &["sk-"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "slack-token",
        // Bot, user, workspace, refresh, legacy and config tokens, plus app-level tokens.
        // Real ones always start with a digit group, which keeps `xoxo-indieweb-1` out.
        pattern: r"\b(?:(?:xoxe\.)?xox[abeoprs]-\d+-[0-9A-Za-z-]{8,}|xapp-\d-[0-9A-Za-z-]{10,})",
        group: 0,
        keywords: &["xox", "xapp-"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "slack-webhook-url",
        pattern: r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}",
        group: 0,
        keywords: &["hooks.slack.com"],
        check: Check::Always,
    },
    RuleSpec {
        name: "stripe-key",
        // Publishable `pk_` keys are meant to be public, so they are left alone.
        pattern: r"\b(?:(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,}|whsec_[0-9A-Za-z+/=]{24,})",
        group: 0,
        keywords: &["_live_", "_test_", "_prod_", "whsec_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "gcp-api-key",
        pattern: r"\bAIza[0-9A-Za-z_-]{35,}",
        group: 0,
        keywords: &["aiza"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "huggingface-token",
        pattern: r"\b(?:hf_|api_org_)[A-Za-z]{34,}\b",
        group: 0,
        keywords: &["hf_", "api_org_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "npm-access-token",
        pattern: r"\bnpm_[0-9A-Za-z]{36}\b",
        group: 0,
        keywords: &["npm_"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "pypi-upload-token",
        // The fixed prefix is the base64 macaroon header naming pypi.org.
        pattern: r"pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,}",
        group: 0,
        keywords: &["pypi-ageichlwas5vcmc"],
        check: Check::Always,
    },
    RuleSpec {
        name: "sendgrid-api-key",
        pattern: r"\bSG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}",
        group: 0,
        keywords: &["sg."],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "jwt",
        // Header and payload are base64url JSON objects, hence both start with `eyJ`;
        // the signature may be empty for unsigned tokens.
        pattern: r"\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]*",
        group: 0,
        keywords: &["eyj"],
        check: Check::NotPlaceholder,
    },
    RuleSpec {
        name: "bearer",
        // Inside an Authorization header the token is a secret whatever it looks like.
        pattern: concat!(
            r"(?i)\bauthorization",
            opt_quote!(),
            r"[ \t]*[:=][ \t]*",
            opt_quote!(),
            r"bearer[ \t]+([0-9A-Za-z._~+/=-]{8,})"
        ),
        group: 1,
        keywords: &["bearer"],
        check: Check::Always,
    },
    RuleSpec {
        name: "bearer",
        // Elsewhere (`-H 'X-Auth: Bearer …'`, config strings) "bearer" is also a word.
        pattern: r"(?i)\bbearer[ \t]+([0-9A-Za-z._~+/=-]{16,})",
        group: 1,
        keywords: &["bearer"],
        check: Check::LooseBearer,
    },
    RuleSpec {
        name: "basic-auth",
        pattern: concat!(
            r"(?i)\bauthorization",
            opt_quote!(),
            r"[ \t]*[:=][ \t]*",
            opt_quote!(),
            r"basic[ \t]+([A-Za-z0-9+/]{8,}={0,2})"
        ),
        group: 1,
        keywords: &["basic"],
        check: Check::Always,
    },
    RuleSpec {
        name: "url-credentials",
        pattern: r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:@/?#"'`<>\[\]{}\\]*:([^\s:@/?#"'`<>\[\]{}\\]{3,})@"#,
        group: 1,
        keywords: &["://"],
        check: Check::UrlPassword,
    },
    RuleSpec {
        name: "generic-api-key",
        // `KEY=value`, `KEY: value`, `"key": "value"`, `key := value`, `'key' => 'value'`.
        pattern: concat!(
            "(?i)",
            secret_keyword!(),
            r"[A-Za-z0-9_.-]{0,40}",
            opt_quote!(),
            r"[ \t]*(?::=|=>|=|:)[ \t]*",
            opt_quote!(),
            "(",
            value_class!(),
            "{8,})"
        ),
        group: 1,
        keywords: &["key", "secret", "token", "pass", "pwd", "cred", "auth"],
        check: Check::Generic,
    },
    RuleSpec {
        name: "generic-api-key",
        // Command-line flags: `--token VALUE`, `--db-password 'VALUE'`.
        pattern: concat!(
            r"(?i)--[a-z0-9_-]*",
            secret_keyword!(),
            r#"[a-z0-9_-]*[ \t]+["']?("#,
            value_class!(),
            "{8,})"
        ),
        group: 1,
        keywords: &["--"],
        check: Check::Generic,
    },
];

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    RULE_SPECS
        .iter()
        .map(|s| Rule {
            name: s.name,
            pattern: s.pattern,
            re: OnceLock::new(),
            group: s.group,
            check: s.check,
        })
        .collect()
});

/// One bit per rule in [`RULES`] order.
type RuleSet = u64;
const _: () = assert!(RULE_SPECS.len() <= RuleSet::BITS as usize);

/// Every rule's keywords in one ASCII-case-insensitive automaton, so a text is scanned
/// once to learn which rules can match at all (most texts: none).
struct KeywordIndex {
    automaton: AhoCorasick,
    /// Per automaton pattern (a distinct keyword): the rules it enables.
    rules: Vec<RuleSet>,
}

static KEYWORDS: LazyLock<KeywordIndex> = LazyLock::new(|| {
    let mut words: Vec<&'static str> = Vec::new();
    let mut rules: Vec<RuleSet> = Vec::new();
    for (i, spec) in RULE_SPECS.iter().enumerate() {
        for &k in spec.keywords {
            let at = words.iter().position(|&w| w == k).unwrap_or_else(|| {
                words.push(k);
                rules.push(0);
                words.len() - 1
            });
            rules[at] |= 1 << i;
        }
    }
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&words)
        .expect("redaction keywords must build");
    KeywordIndex { automaton, rules }
});

/// Up to this many bytes a text is searched for each keyword directly, which costs about
/// a microsecond for a short text; building the automaton costs a few hundred, and only
/// pays off on long texts (files in `validate`, logs, whole documents).
const DIRECT_SEARCH_MAX: usize = 4096;

/// The rules whose keywords occur in `text`, ASCII case ignored. Keywords are lower-case
/// ASCII, so this is exactly "`text.to_ascii_lowercase()` contains one of them".
fn rules_present(text: &str) -> RuleSet {
    if text.len() <= DIRECT_SEARCH_MAX {
        rules_present_direct(text)
    } else {
        rules_present_automaton(text)
    }
}

fn rules_present_direct(text: &str) -> RuleSet {
    let lower = text.to_ascii_lowercase();
    let mut present: RuleSet = 0;
    for (i, spec) in RULE_SPECS.iter().enumerate() {
        if spec.keywords.iter().any(|k| lower.contains(k)) {
            present |= 1 << i;
        }
    }
    present
}

fn rules_present_automaton(text: &str) -> RuleSet {
    let index = &*KEYWORDS;
    let all: RuleSet = index.rules.iter().fold(0, |a, &r| a | r);
    let mut present: RuleSet = 0;
    // Overlapping, so a keyword inside another (`sk-` in `sk-ant-`) is still seen.
    for m in index.automaton.find_overlapping_iter(text) {
        present |= index.rules[m.pattern().as_usize()];
        if present == all {
            break;
        }
    }
    present
}

/// A raw match before overlaps are resolved.
struct Candidate {
    start: usize,
    end: usize,
    /// Index into `RULES`; lower wins ties.
    priority: usize,
}

fn candidates(text: &str, allow: &Allowlist) -> Vec<Candidate> {
    let mut out = Vec::new();
    if text.is_empty() {
        return out;
    }
    // One pass over the text finds which rules' literals occur; the others are skipped
    // (and never compiled), which is the common case for a decision or a large log.
    let present = rules_present(text);
    if present == 0 {
        return out;
    }
    for (priority, rule) in RULES.iter().enumerate() {
        if present & (1 << priority) == 0 {
            continue;
        }
        let re = rule.re();
        let mut push = |start: usize, end: usize| {
            let secret = &text[start..end];
            if start < end && passes(rule.check, secret) && !allow.allows(secret) {
                out.push(Candidate {
                    start,
                    end,
                    priority,
                });
            }
        };
        if rule.group == 0 {
            for m in re.find_iter(text) {
                push(m.start(), m.end());
            }
        } else {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(m)) = (caps.get(0), caps.get(rule.group)) else {
                    continue;
                };
                if matches!(rule.check, Check::Generic)
                    && !generic_key_ok(text, whole.start(), m.start())
                {
                    continue;
                }
                push(m.start(), m.end());
            }
        }
    }
    out
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'%' | b'+' | b'~')
}

/// Judges the key in front of a generic value. The regex match starts at the keyword, so
/// the whole identifier (`publicToken`, `csrf-token`) is recovered by walking back.
fn generic_key_ok(text: &str, match_start: usize, value_start: usize) -> bool {
    let bytes = text.as_bytes();
    let mut key_start = match_start;
    // Bounded so a pathological run of identifier characters cannot make this quadratic;
    // identifier bytes are ASCII, so the result stays on a char boundary.
    while key_start > 0 && match_start - key_start < 128 && is_ident_byte(bytes[key_start - 1]) {
        key_start -= 1;
    }
    // `https://oauth2:<pw>@host` reads as `auth…: value`; URL userinfo belongs to the
    // url-credentials rule, which stops at the `@`.
    if text[..key_start].ends_with("://") {
        return false;
    }
    let key = text[key_start..value_start].trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    !is_non_secret_key(key)
}

/// Keys that contain a secret keyword but name metadata about a secret (gitleaks'
/// generic-api-key allowlist): `credentialsId`, `SECRET_NAME`, `token_url`,
/// `key_file`, `publicToken`, `csrf-token`, `author`.
fn is_non_secret_key(key: &str) -> bool {
    const META_SUFFIXES: &[&str] = &[
        "id", "ids", "name", "names", "type", "file", "path", "dir", "url", "uri", "endpoint",
        "version", "length", "len", "size", "count", "limit", "ttl", "expiry", "header", "prefix",
        "format", "env", "var", "ref", "arn",
    ];
    let lower = key.to_ascii_lowercase();
    if ["csrf", "xsrf", "public"].iter().any(|w| lower.contains(w))
        || (lower.contains("author") && !lower.contains("authoriz"))
    {
        return true;
    }
    META_SUFFIXES.iter().any(|suffix| {
        let Some(idx) = lower.len().checked_sub(suffix.len()) else {
            return false;
        };
        if idx == 0 || !lower.ends_with(suffix) {
            return false;
        }
        // Only at a word boundary: `_id`, `-id`, `.id` or camelCase `Id`, not `android`.
        let (before, first) = (key.as_bytes()[idx - 1], key.as_bytes()[idx]);
        matches!(before, b'_' | b'-' | b'.')
            || (before.is_ascii_lowercase() && first.is_ascii_uppercase())
    })
}

/// A resolved, non-overlapping secret span.
struct Span {
    start: usize,
    end: usize,
    rule: &'static str,
    /// Length and priority of the candidate that named the span.
    best_len: usize,
    best_priority: usize,
}

/// Earliest start wins, then the longest match, then rule order. Candidates that overlap a
/// kept span are folded into it (extending it if they reach further) rather than dropped,
/// so a partial overlap can never leave the tail of a secret in clear text.
fn merge(mut cands: Vec<Candidate>) -> Vec<Span> {
    cands.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.priority.cmp(&b.priority))
    });
    let mut spans: Vec<Span> = Vec::with_capacity(cands.len());
    for c in cands {
        let len = c.end - c.start;
        if let Some(last) = spans.last_mut()
            && c.start < last.end
        {
            if len > last.best_len {
                last.rule = RULES[c.priority].name;
                last.best_len = len;
                last.best_priority = c.priority;
            } else if len == last.best_len && c.priority < last.best_priority {
                last.rule = RULES[c.priority].name;
                last.best_priority = c.priority;
            }
            last.end = last.end.max(c.end);
            continue;
        }
        spans.push(Span {
            start: c.start,
            end: c.end,
            rule: RULES[c.priority].name,
            best_len: len,
            best_priority: c.priority,
        });
    }
    spans
}

/// Adds line and column, walking the text once: recounting from each line start would be
/// quadratic on a 1 MB single-line JSON log with many secrets.
fn locate(text: &str, spans: &[Span]) -> Vec<Finding> {
    let mut findings = Vec::with_capacity(spans.len());
    let mut pos = 0;
    let mut line = 1;
    let mut column = 1;
    for s in spans {
        let gap = &text[pos..s.start];
        match gap.rfind('\n') {
            Some(last_nl) => {
                line += gap.bytes().filter(|&b| b == b'\n').count();
                column = gap[last_nl + 1..].chars().count() + 1;
            }
            None => column += gap.chars().count(),
        }
        findings.push(Finding {
            rule: s.rule,
            line,
            column,
            start: s.start,
            end: s.end,
        });
        pos = s.start;
    }
    findings
}

fn passes(check: Check, secret: &str) -> bool {
    match check {
        Check::Always => true,
        Check::NotPlaceholder => !is_placeholder(secret),
        Check::Generic => looks_random(secret),
        Check::LooseBearer => secret.bytes().any(|b| b.is_ascii_digit()) && looks_random(secret),
        Check::KeyMaterial => is_key_block(secret),
        // Words (`user:password@`), `$VARS` and masks (`:****@`) are not passwords.
        Check::UrlPassword => {
            !secret.bytes().all(|b| b.is_ascii_alphabetic())
                && !is_env_reference(secret)
                && shannon_entropy(secret) >= 1.0
        }
    }
}

/// A PEM match holds a key rather than code that mentions both markers: its body is
/// base64 with at most a little noise (line breaks, `\n` escapes, `Proc-Type`/`DEK-Info`
/// headers of encrypted keys). Without an END line the pattern itself already demanded
/// base64 right after BEGIN.
fn is_key_block(block: &str) -> bool {
    let body_start = match block.get(5..).and_then(|rest| rest.find("-----")) {
        Some(i) => i + 10,
        None => return false,
    };
    let Some(end) = block.rfind("-----END").filter(|&e| e >= body_start) else {
        return true;
    };
    let body = &block[body_start..end];
    let noise = body
        .bytes()
        .filter(|&b| {
            !(b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || b"+/=\\".contains(&b))
        })
        .count();
    noise * 20 <= body.len() && has_base64_run(body, 20)
}

/// One character filling at least half of the token: `ghp_xxxx…`, `glpat-XXXX-XXXX`.
fn is_placeholder(token: &str) -> bool {
    let mut counts = [0usize; 256];
    for b in token.bytes() {
        counts[usize::from(b)] += 1;
    }
    counts.iter().any(|&c| c * 2 >= token.len())
}

fn has_base64_run(s: &str, min: usize) -> bool {
    let mut run = 0;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') {
            run += 1;
            if run >= min {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Shannon entropy in bits per byte; the values tested are ASCII except, rarely, a URL
/// password, where counting bytes instead of chars changes nothing that matters.
fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Entropy a value needs to count as random: a little under what a random string of the
/// same length and character classes scores on average, capped at gitleaks' 3.5.
///
/// A flat 3.5 cannot work for short values: Shannon entropy never exceeds
/// log2(min(length, alphabet)), i.e. 3.0 for any 8-char value and 4.0 for hex of any
/// length, so it would never fire below 12 chars and would miss most 16-24 char hex
/// keys. Words never reach this test (see `is_identifier_like`); what stays below the
/// bar is repetition such as `aaaa1111` or `deadbeefdeadbeef`.
fn entropy_threshold(v: &str) -> f64 {
    let b = v.as_bytes();
    let alphabet = if b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        || b.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
    {
        16
    } else {
        let has = |class: fn(&u8) -> bool| b.iter().any(class);
        let mut size = 0;
        for (present, class_size) in [
            (has(u8::is_ascii_digit), 10),
            (has(u8::is_ascii_lowercase), 26),
            (has(u8::is_ascii_uppercase), 26),
            (has(|c| !c.is_ascii_alphanumeric()), 16),
        ] {
            if present {
                size += class_size;
            }
        }
        size
    };
    let (n, k) = (b.len() as f64, alphabet as f64);
    // Expected plug-in entropy of n uniform draws from k symbols (Miller-Madow bias).
    let expected = if n < k {
        n.log2() - (n - 1.0) / (2.0 * k * std::f64::consts::LN_2)
    } else {
        k.log2() - (k - 1.0) / (2.0 * n * std::f64::consts::LN_2)
    };
    (expected - 0.5).min(3.5)
}

/// Decides whether a keyword-introduced value is a secret rather than a word, identifier,
/// path, number, e-mail address or variable reference (gitleaks' generic allowlists).
fn looks_random(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 8 {
        return false;
    }
    // Counts, dates, versions, IPs: `4096`, `2024-01-15`, `1.2.3`.
    if b.iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_' | b'/' | b'+'))
    {
        return false;
    }
    // `--private-key --next-flag`: the "value" is the next option.
    if v.starts_with("--") || is_identifier_like(v) || is_env_reference(v) || is_email(v) {
        return false;
    }
    shannon_entropy(v) >= entropy_threshold(v)
}

/// Words, identifiers, macro calls, dotted references and paths: `changeme`,
/// `bracketed!`, `self.or1_token.clone`, `nl80211_auth_type`, `~/.aws/credentials`,
/// `+fmt.Sprintf` (string concatenation), `ed25519.Ed25519PrivateKey.from_private_bytes`.
///
/// Each piece between separators must read as words, acronyms and digit groups. Random
/// tokens strand single letters between digits or capitals and fail that almost always,
/// so the grammar is strictest where tokens are likeliest:
/// - no separators: a plain word, camelCase with two or more capitalised words
///   (`OAuth2AuthorizationCodeGrant`), or a sized type; `Summer2024` goes on to the
///   entropy test;
/// - `_`/`-` pieces (as in base64url): the strict grammar;
/// - dotted code and paths, which tokens rarely are: also two-letter capitalised words
///   such as `Ed` or `Id`.
fn is_identifier_like(v: &str) -> bool {
    static STRICT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[A-Za-z]|[a-z]?(?:[A-Z]?[a-z]{2,}|[A-Z]{2,}|[0-9]+)*)$")
            .expect("identifier grammar must compile")
    });
    static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[A-Za-z]|[a-z]?(?:[A-Z][a-z]+|[a-z]{2,}|[A-Z]{2,}|[0-9]+)*)$")
            .expect("identifier grammar must compile")
    });
    static CAMEL_WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Z][a-z]{2,}").expect("word pattern must compile"));
    // Type names with a width suffix: `AtomicU32`, `NonZeroI64`.
    static SIZED_TYPE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[A-Z][a-z]+)+[A-Z][0-9]+$").expect("type pattern must compile")
    });
    // In dotted code (`this.$rowTokens`, `r?r.index`) punctuation splits identifiers too.
    // Elsewhere it does not, nor do `+` and `=` ever, since passwords and base64 use them
    // and short random pieces would pass the grammar by chance.
    const PATH_SEPARATORS: [char; 4] = ['.', '/', '_', '-'];
    const CODE_SEPARATORS: [char; 11] = ['.', '/', '_', '-', '$', '?', '!', '*', '&', '~', '^'];
    let v = v
        .trim_end_matches(['!', '?', '+', '-', '*', ';'])
        .trim_start_matches(['+', '!', '*', '&', '@', '$', '~', '^', '/']);
    if v.is_empty() {
        return false;
    }
    if !v.contains(PATH_SEPARATORS) {
        return v.bytes().all(|c| c.is_ascii_alphabetic())
            || (STRICT.is_match(v) && CAMEL_WORD.find_iter(v).nth(1).is_some())
            || SIZED_TYPE.is_match(v);
    }
    if v.contains(['.', '/']) && !v.contains(['+', '=']) {
        let separators: &[char] = if v.contains('.') {
            &CODE_SEPARATORS
        } else {
            &PATH_SEPARATORS
        };
        v.split(separators).all(|p| LOOSE.is_match(p))
    } else {
        v.split(PATH_SEPARATORS).all(|p| STRICT.is_match(p))
    }
}

/// `$NAME` or `%NAME%`: a reference to where the secret lives, not the secret.
fn is_env_reference(v: &str) -> bool {
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
    if let Some(rest) = v.strip_prefix('$') {
        return ident(rest);
    }
    v.len() > 2 && v.starts_with('%') && v.ends_with('%') && ident(&v[1..v.len() - 1])
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const DIGITS: &str = "0123456789";

    fn alnum() -> String {
        format!("{UPPER}{LOWER}{DIGITS}")
    }

    /// Deterministic pseudo-random string, so fake tokens have a real token's entropy
    /// without any secret-looking literal in this file.
    fn fake(alphabet: &str, n: usize, seed: u64) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                chars[((x >> 33) % chars.len() as u64) as usize]
            })
            .collect()
    }

    fn red(text: &str) -> String {
        redact(text, &Allowlist::default()).0
    }

    /// Asserts the exact redaction and that every finding's range holds a real match.
    fn check(input: &str, expected: &str) {
        let (out, findings) = redact(input, &Allowlist::default());
        assert_eq!(out, expected, "input: {input}");
        assert_eq!(scan(input, &Allowlist::default()), findings);
        for f in &findings {
            assert!(f.start < f.end && f.end <= input.len());
        }
        assert_eq!(red(&out), out, "not idempotent for: {input}");
    }

    fn untouched(input: &str) {
        let (out, findings) = redact(input, &Allowlist::default());
        assert!(findings.is_empty(), "unexpected {findings:?} in {input:?}");
        assert_eq!(out, input);
    }

    // ---- provider tokens ----

    #[test]
    fn github_tokens() {
        for (prefix, rule) in [
            ("ghp_", "github-pat"),
            ("gho_", "github-oauth"),
            ("ghu_", "github-app-token"),
            ("ghs_", "github-app-token"),
            ("ghr_", "github-refresh-token"),
        ] {
            let tok = format!("{prefix}{}", fake(&alnum(), 36, 1));
            check(
                &format!("export GH={tok}\nnext line"),
                &format!("export GH=[REDACTED:{rule}]\nnext line"),
            );
        }
        let fine = format!(
            "github_pat_{}_{}",
            fake(&alnum(), 22, 2),
            fake(&alnum(), 59, 3)
        );
        check(
            &format!("GITHUB_TOKEN=\"{fine}\""),
            "GITHUB_TOKEN=\"[REDACTED:github-fine-grained-pat]\"",
        );
    }

    #[test]
    fn placeholder_tokens_are_untouched() {
        untouched(&format!("ghp_{}", "x".repeat(36)));
        untouched(&format!("glpat-{}-{}", "X".repeat(11), "X".repeat(8)));
        untouched(&format!("AIza{}", "a".repeat(35)));
        untouched(&format!("AKIA{}", "X".repeat(16)));
    }

    #[test]
    fn patterned_test_fakes_are_still_redacted() {
        // The way other modules' tests build tokens must keep working.
        check(
            &format!("token: ghp_{}\n", "A1b2".repeat(9)),
            "token: [REDACTED:github-pat]\n",
        );
        check(
            &format!("id AKIA{} and sk-{}", "ABCD".repeat(4), "A1b2".repeat(12)),
            "id [REDACTED:aws-access-key] and [REDACTED:openai-api-key]",
        );
    }

    #[test]
    fn github_pat_wins_over_generic_keyword_rule() {
        let tok = format!("ghp_{}", fake(&alnum(), 36, 4));
        let input = format!("GITHUB_TOKEN={tok}");
        let (out, findings) = redact(&input, &Allowlist::default());
        assert_eq!(out, "GITHUB_TOKEN=[REDACTED:github-pat]");
        assert_eq!(findings.len(), 1);
        assert_eq!(&input[findings[0].start..findings[0].end], tok);
    }

    #[test]
    fn gitlab_tokens() {
        let pat = format!("glpat-{}", fake(&alnum(), 20, 5));
        check(
            &format!("git clone https://oauth2:{pat}@gitlab.com/x/y.git"),
            "git clone https://oauth2:[REDACTED:gitlab-pat]@gitlab.com/x/y.git",
        );
        let routable = format!(
            "glpat-{}.01{}",
            fake(&alnum(), 27, 6),
            fake(&format!("{LOWER}{DIGITS}"), 7, 7)
        );
        check(
            &format!("token {routable} end"),
            "token [REDACTED:gitlab-pat] end",
        );
        for prefix in ["glptt-", "gldt-", "glft-", "glrt-", "glsoat-", "glffct-"] {
            let tok = format!("{prefix}{}", fake("0123456789abcdef", 40, 8));
            check(&format!("t: {tok}"), "t: [REDACTED:gitlab-token]");
        }
        let reg = format!("GR1348941{}", fake(&alnum(), 20, 9));
        check(&format!("reg {reg}"), "reg [REDACTED:gitlab-token]");
        let job = format!("glcbt-64_{}", fake(&alnum(), 20, 10));
        check(&format!("job {job}"), "job [REDACTED:gitlab-token]");
        let cookie = fake(&format!("{LOWER}{DIGITS}"), 32, 11);
        check(
            &format!("Cookie: _gitlab_session={cookie}"),
            "Cookie: _gitlab_session=[REDACTED:gitlab-session-cookie]",
        );
    }

    #[test]
    fn aws_keys() {
        let upper_digits = format!("{UPPER}{DIGITS}");
        let id = format!("AKIA{}", fake(&upper_digits, 16, 12));
        let session_id = format!("ASIA{}", fake(&upper_digits, 16, 13));
        let secret = fake(&format!("{}+/", alnum()), 40, 14);
        check(
            &format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
            "[default]\naws_access_key_id = [REDACTED:aws-access-key]\naws_secret_access_key = [REDACTED:aws-secret-key]\n",
        );
        check(
            &format!(r#"{{"AccessKeyId": "{session_id}", "SecretAccessKey": "{secret}"}}"#),
            r#"{"AccessKeyId": "[REDACTED:aws-access-key]", "SecretAccessKey": "[REDACTED:aws-secret-key]"}"#,
        );
        check(
            &format!("export AWS_SECRET_ACCESS_KEY={secret}"),
            "export AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-key]",
        );
    }

    #[test]
    fn openai_keys() {
        let an = format!("{}_-", alnum());
        let proj = format!("sk-proj-{}T3BlbkFJ{}", fake(&an, 74, 15), fake(&an, 74, 16));
        check(
            &format!("OPENAI_API_KEY={proj}"),
            "OPENAI_API_KEY=[REDACTED:openai-api-key]",
        );
        let marker = format!(
            "sk-{}T3BlbkFJ{}",
            fake(&alnum(), 20, 17),
            fake(&alnum(), 20, 18)
        );
        check(
            &format!("key is {marker}."),
            "key is [REDACTED:openai-api-key].",
        );
        let legacy = format!("sk-{}", fake(&alnum(), 48, 19));
        check(
            &format!("openai.api_key = '{legacy}'"),
            "openai.api_key = '[REDACTED:openai-api-key]'",
        );
        untouched("pip install scikit-learn; see task-list and sk-learn docs");
    }

    #[test]
    fn anthropic_keys() {
        let an = format!("{}_-", alnum());
        let api = format!("sk-ant-api03-{}AA", fake(&an, 93, 20));
        check(
            &format!("ANTHROPIC_API_KEY={api}\n"),
            "ANTHROPIC_API_KEY=[REDACTED:anthropic-api-key]\n",
        );
        let admin = format!("sk-ant-admin01-{}AA", fake(&an, 93, 21));
        check(
            &format!("x-api-key: {admin}"),
            "x-api-key: [REDACTED:anthropic-admin-key]",
        );
    }

    #[test]
    fn slack_tokens_and_webhooks() {
        for (prefix, seed) in [("xoxb-", 22), ("xoxp-", 23), ("xoxa-2-", 24), ("xoxr-", 25)] {
            let tok = format!(
                "{prefix}{}-{}-{}",
                fake(DIGITS, 12, seed),
                fake(DIGITS, 13, seed + 100),
                fake(&alnum(), 24, seed + 200)
            );
            check(
                &format!("SLACK_BOT={tok} rest"),
                "SLACK_BOT=[REDACTED:slack-token] rest",
            );
        }
        let legacy = format!(
            "xoxs-{}-{}-{}-{}",
            fake(DIGITS, 10, 26),
            fake(DIGITS, 10, 27),
            fake(DIGITS, 10, 28),
            fake("0123456789abcdef", 64, 29)
        );
        check(&legacy, "[REDACTED:slack-token]");
        untouched(
            "see https://indieweb.org/images/2018-xoxo-indieweb-1.jpg and xoxb-your-token-here",
        );
        let up_dig = format!("{UPPER}{DIGITS}");
        let hook = format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            fake(&up_dig, 8, 30),
            fake(&up_dig, 8, 31),
            fake(&alnum(), 24, 32)
        );
        check(
            &format!("curl -X POST {hook} -d '{{}}'"),
            "curl -X POST [REDACTED:slack-webhook-url] -d '{}'",
        );
    }

    #[test]
    fn stripe_keys() {
        for (prefix, seed) in [("sk_live_", 33), ("sk_test_", 34), ("rk_live_", 35)] {
            let tok = format!("{prefix}{}", fake(&alnum(), 24, seed));
            check(
                &format!("Stripe::Key = \"{tok}\";"),
                "Stripe::Key = \"[REDACTED:stripe-key]\";",
            );
        }
        // Publishable keys are public by design; `risk_test_…` is not a key.
        untouched(&format!("pk_live_{}", fake(&alnum(), 24, 36)));
        untouched("fn risk_test_calculation_works() {}");
    }

    #[test]
    fn google_api_key_and_service_account() {
        let key = format!("AIza{}", fake(&format!("{}_-", alnum()), 35, 37));
        check(
            &format!("maps?key={key}&q=x"),
            "maps?key=[REDACTED:gcp-api-key]&q=x",
        );
        let body: String = (0..6)
            .map(|i| fake(&format!("{}+/", alnum()), 64, 38 + i))
            .collect::<Vec<_>>()
            .join("\\n");
        let pem = format!("-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n");
        let json = format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-project\",\n  \"private_key\": \"{pem}\",\n  \"client_email\": \"bot@demo-project.iam.gserviceaccount.com\"\n}}"
        );
        check(
            &json,
            "{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-project\",\n  \"private_key\": \"[REDACTED:private-key]\\n\",\n  \"client_email\": \"bot@demo-project.iam.gserviceaccount.com\"\n}",
        );
    }

    #[test]
    fn huggingface_token() {
        let tok = format!("hf_{}", fake(&format!("{UPPER}{LOWER}"), 34, 44));
        check(
            &format!("HF_TOKEN={tok}"),
            "HF_TOKEN=[REDACTED:huggingface-token]",
        );
    }

    #[test]
    fn package_registry_and_mail_tokens() {
        let b64u = format!("{}_-", alnum());
        let npm = format!("npm_{}", fake(&alnum(), 36, 78));
        check(
            &format!("//registry.npmjs.org/:_authToken={npm}\n"),
            "//registry.npmjs.org/:_authToken=[REDACTED:npm-access-token]\n",
        );
        let pypi = format!("pypi-AgEIcHlwaS5vcmc{}", fake(&b64u, 120, 79));
        check(
            &format!("[pypi]\nusername = __token__\npassword = {pypi}\n"),
            "[pypi]\nusername = __token__\npassword = [REDACTED:pypi-upload-token]\n",
        );
        let sg = format!("SG.{}.{}", fake(&b64u, 22, 80), fake(&b64u, 43, 81));
        check(
            &format!("SENDGRID_API_KEY='{sg}'"),
            "SENDGRID_API_KEY='[REDACTED:sendgrid-api-key]'",
        );
        let org = format!("api_org_{}", fake(&format!("{UPPER}{LOWER}"), 34, 82));
        check(
            &format!("hf org {org}"),
            "hf org [REDACTED:huggingface-token]",
        );
    }

    #[test]
    fn private_key_blocks() {
        let b64 = format!("{}+/", alnum());
        let body: Vec<String> = (0..5).map(|i| fake(&b64, 64, 45 + i)).collect();
        let block = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            body.join("\n")
        );
        check(
            &format!("before\n{block}\nafter\n"),
            "before\n[REDACTED:private-key]\nafter\n",
        );
        let openssh = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            body.join("\n")
        );
        check(&openssh, "[REDACTED:private-key]");
        // Truncated: no END, so everything from BEGIN on is key material.
        let truncated = format!(
            "cat id_ed25519\n-----BEGIN PRIVATE KEY-----\n{}\n{}",
            body[0], body[1]
        );
        check(&truncated, "cat id_ed25519\n[REDACTED:private-key]");
        // A header with no key material is code or docs, not a key.
        untouched(r#"if line.starts_with("-----BEGIN PRIVATE KEY-----") { parse(line) }"#);
        untouched(
            "_SK_START = b\"-----BEGIN OPENSSH PRIVATE KEY-----\"\n\
             _SK_END = b\"-----END OPENSSH PRIVATE KEY-----\"\n",
        );
        untouched(
            "const BEGIN = \"-----BEGIN PRIVATE KEY-----\";\n\
             function extractPrivateKeyFromPemString(pem) { return pem.split(BEGIN)[1]; }\n\
             const END = \"-----END PRIVATE KEY-----\";\n",
        );
        // Encrypted PEM keeps its headers inside the block.
        let encrypted = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{}\n\n{}\n-----END RSA PRIVATE KEY-----",
            fake("0123456789ABCDEF", 32, 83),
            body.join("\n")
        );
        check(&encrypted, "[REDACTED:private-key]");
    }

    #[test]
    fn jwt() {
        let b64u = format!("{}_-", alnum());
        let jwt = format!(
            "eyJ{}.eyJ{}.{}",
            fake(&b64u, 30, 50),
            fake(&b64u, 60, 51),
            fake(&b64u, 43, 52)
        );
        check(
            &format!("{{\"id_token\": \"{jwt}\"}}"),
            "{\"id_token\": \"[REDACTED:jwt]\"}",
        );
        // Inside an Authorization header the more specific rule names the span, once.
        let input = format!("Authorization: Bearer {jwt}");
        let (out, findings) = redact(&input, &Allowlist::default());
        assert_eq!(out, "Authorization: Bearer [REDACTED:jwt]");
        assert_eq!(findings.len(), 1);
        assert_eq!(&input[findings[0].start..findings[0].end], jwt);
    }

    #[test]
    fn bearer_tokens() {
        let tok = fake(&alnum(), 32, 53);
        check(
            &format!("curl -H \"Authorization: Bearer {tok}\" http://127.0.0.1:8400/health"),
            "curl -H \"Authorization: Bearer [REDACTED:bearer]\" http://127.0.0.1:8400/health",
        );
        check(
            &format!("curl -H 'authorization: bearer {tok}' https://api.example.com"),
            "curl -H 'authorization: bearer [REDACTED:bearer]' https://api.example.com",
        );
        check(
            &format!("-H 'X-Upstream: Bearer {tok}'"),
            "-H 'X-Upstream: Bearer [REDACTED:bearer]'",
        );
        check(
            &format!(r#"{{"headers": {{"Authorization": "Bearer {tok}"}}}}"#),
            r#"{"headers": {"Authorization": "Bearer [REDACTED:bearer]"}}"#,
        );
        untouched("Use the Bearer authentication scheme; bearer tokens expire.");
        untouched(r#"curl -H "Authorization: Bearer $TOKEN" https://api.example.com"#);
    }

    #[test]
    fn basic_auth_header() {
        let creds = fake(&format!("{}+/", alnum()), 24, 54);
        check(
            &format!("Authorization: Basic {creds}=="),
            "Authorization: Basic [REDACTED:basic-auth]",
        );
    }

    #[test]
    fn url_credentials() {
        let pw = fake(&alnum(), 16, 55);
        check(
            &format!("DATABASE_URL=postgres://app:{pw}@db:5432/app"),
            "DATABASE_URL=postgres://app:[REDACTED:url-credentials]@db:5432/app",
        );
        untouched("postgres://user:password@localhost/db and ssh://git@github.com/o/r");
        untouched("https://user:$DB_PASS@host/ and https://user:****@host/");
    }

    // ---- keyword rules ----

    #[test]
    fn generic_keyword_forms_keep_key_and_separator() {
        let v = fake(&alnum(), 32, 56);
        let cases = [
            (format!("API_KEY={v}"), "API_KEY=[REDACTED:generic-api-key]"),
            (format!("apikey: {v}"), "apikey: [REDACTED:generic-api-key]"),
            (
                format!("\"client_secret\": \"{v}\","),
                "\"client_secret\": \"[REDACTED:generic-api-key]\",",
            ),
            (
                format!("access_token={v}&scope=repo"),
                "access_token=[REDACTED:generic-api-key]&scope=repo",
            ),
            (
                format!("db_password = '{v}'"),
                "db_password = '[REDACTED:generic-api-key]'",
            ),
            (
                format!("secret := \"{v}\""),
                "secret := \"[REDACTED:generic-api-key]\"",
            ),
            (
                format!("'token' => '{v}',"),
                "'token' => '[REDACTED:generic-api-key]',",
            ),
            (
                format!("mycli login --token {v} --verbose"),
                "mycli login --token [REDACTED:generic-api-key] --verbose",
            ),
            (
                format!("{{\\\"apiKey\\\": \\\"{v}\\\"}}"),
                "{\\\"apiKey\\\": \\\"[REDACTED:generic-api-key]\\\"}",
            ),
        ];
        for (input, expected) in &cases {
            check(input, expected);
        }
        // Short random passwords are caught too: the entropy bar scales with length.
        let short = fake(&alnum(), 10, 57);
        check(
            &format!("PASSWORD={short}"),
            "PASSWORD=[REDACTED:generic-api-key]",
        );
    }

    #[test]
    fn generic_keeps_low_entropy_and_non_secret_values() {
        for input in [
            "password=changeme",
            "token=aaaaaaaaaaaaaaaa",
            "secret: 12345678901234",
            "\"max_tokens\": 4096, \"input_tokens\": 123456789",
            "token_expiry=2025-01-15",
            "api_key: Option<String>,",
            "let token = std::env::var(\"GITHUB_TOKEN\")?;",
            "const apiKey = process.env.OPENAI_API_KEY;",
            "API_KEY=$OPENAI_API_KEY",
            "password: ${{ secrets.DB_PASSWORD }}",
            "token_file=~/.config/gh/hosts.yml",
            "credentials: /home/dev/.aws/credentials",
            "auth_email=someone@example.com",
            "tokenizer: gpt2",
            "API_KEY=[REDACTED:generic-api-key]",
            "let paren_token = parenthesized!(content in input);",
            "or1_token: self.or1_token.clone(),",
            "pub const NL80211_AUTHTYPE_MAX: nl80211_auth_type = 8;",
            "GITHUB_API_KEY=\nDYNATRACE_API_KEY=\n",
            "JFROG_SECRET = $(cat /run/secrets/jfrog_secret)",
            "\"bot_token\": `+fmt.Sprintf(\"%s\", x)",
            "$password = $config.password;",
            "private_key = ed25519.Ed25519PrivateKey.from_private_bytes(data)",
            "self.auth_grant = OAuth2AuthorizationCodeGrant(validator)",
            "auth_str = base64.standard_b64encode(raw)",
            "token_stream: AtomicU32,",
            "const UNEXPECTED_TOKEN = /^Unexpected token/",
            "{token:a.token+\"x\"}, this.$tokenIndex=this.$rowTokens.length-1;",
            "cargo publish --private-key --private-key-subject=x",
        ] {
            untouched(input);
        }
    }

    #[test]
    fn generic_skips_keys_that_name_metadata() {
        let v = fake(&alnum(), 30, 73);
        for input in [
            "credentialsId: '29f63271-dc2f-4734-8221-5b31b5169bac'".to_owned(),
            "kms_key_id: 555ea4a3-d53a-4412-9c66-3a7cb667b0d6".to_owned(),
            "LLM_SECRET_NAME = \"NEXUS-GPT4-API-KEY\"".to_owned(),
            "access_token_url='https://github.com/login/oauth/access_token'".to_owned(),
            "author = \"james.fake@ymail.com\",".to_owned(),
            format!("publicToken = \"{v}\""),
            format!("csrf-token={v}"),
            format!("--token-file {v}"),
        ] {
            untouched(&input);
        }
    }

    #[test]
    fn generic_catches_gitleaks_true_positive_shapes() {
        let v = fake(&alnum(), 30, 74);
        let hex = fake("0123456789abcdef", 64, 75);
        let cases = [
            (
                format!("creds = {v}"),
                "creds = [REDACTED:generic-api-key]".to_owned(),
            ),
            (
                format!("\"credentials\" : \"{hex}\""),
                "\"credentials\" : \"[REDACTED:generic-api-key]\"".to_owned(),
            ),
            (
                format!("mySecretString={v}"),
                "mySecretString=[REDACTED:generic-api-key]".to_owned(),
            ),
            (
                format!("todo_secret_do_not_commit = {v}"),
                "todo_secret_do_not_commit = [REDACTED:generic-api-key]".to_owned(),
            ),
            (
                format!("'access_token': 'eyJ{}=='", fake(&alnum(), 19, 76)),
                "'access_token': '[REDACTED:generic-api-key]'".to_owned(),
            ),
            (
                format!("\"auth\": \"{}=\"", fake(&format!("{}+/", alnum()), 39, 77)),
                "\"auth\": \"[REDACTED:generic-api-key]\"".to_owned(),
            ),
        ];
        for (input, expected) in &cases {
            check(input, expected);
        }
    }

    // ---- must stay untouched ----

    #[test]
    fn prose_is_untouched() {
        untouched(
            "We should rotate the API token tomorrow. The secret is to keep the password \
             manager open. password: see the vault. Token refresh happens every hour, and \
             the auth flow uses a client secret stored elsewhere.",
        );
    }

    #[test]
    fn hashes_uuids_urls_paths_versions_dates_untouched() {
        untouched("commit 3f9c2a1b7e4d8f06a5b1c2d3e4f5061728394a5b");
        untouched("3f9c2a1");
        untouched(
            "3f9c2a1 Refresh auth token handling (#42)\n\
             a5b1c2d secret: redact before write\n\
             e4f5061 Bump version to 1.4.0-rc.1",
        );
        untouched("session 550e8400-e29b-41d4-a716-446655440000 started");
        untouched("curl http://127.0.0.1:8400/health && open https://example.com/docs?page=2");
        untouched("edit src/domain/redact.rs and /usr/local/bin/baton or C:\\Users\\dev\\x.txt");
        untouched("baton 0.1.0, requires rustc >= 1.89.0, semver 2.0.0-beta.3+build.7");
        untouched("2025-01-15T10:30:00Z and 2025-01-15 and 10:30:00+02:00");
    }

    #[test]
    fn markdown_untouched() {
        untouched(
            "# Setup\n\n- `API_KEY`: the key used for uploads (see [docs](https://x.io/a)).\n\
             - **Token:** stored in the vault\n\n| name | secret |\n|---|---|\n| a | no |\n\n\
             ```sh\nexport API_KEY=\"$API_KEY\"\n```\n> password: ask the admin\n",
        );
    }

    #[test]
    fn already_redacted_is_untouched_and_idempotent() {
        untouched("token=[REDACTED:github-pat] and Authorization: Bearer [REDACTED:bearer]");
        untouched("[REDACTED:private-key] [REDACTED:aws-secret-key] [REDACTED:jwt]");
        let tok = format!("ghp_{}", fake(&alnum(), 36, 58));
        let jwt = format!(
            "eyJ{}.eyJ{}.{}",
            fake(&alnum(), 20, 59),
            fake(&alnum(), 40, 60),
            fake(&alnum(), 43, 61)
        );
        let input = format!(
            "GITHUB_TOKEN={tok}\nAuthorization: Bearer {jwt}\npassword = \"{}\"\n",
            fake(&alnum(), 20, 62)
        );
        let once = red(&input);
        assert_ne!(once, input);
        assert_eq!(red(&once), once);
    }

    // ---- allowlist ----

    #[test]
    fn allowlist_exact_and_pattern() {
        let tok = format!("ghp_{}", fake(&alnum(), 36, 63));
        let other = format!("ghp_{}", fake(&alnum(), 36, 64));
        let text = format!("a {tok}\nb {other}\n");
        let allow = Allowlist::new(vec![tok.clone()], vec![]).expect("valid allowlist");
        assert!(allow.allows(&tok));
        let (out, findings) = redact(&text, &allow);
        assert_eq!(out, format!("a {tok}\nb [REDACTED:github-pat]\n"));
        assert_eq!(findings.len(), 1);

        let example = format!("AKIA{}EXAMPLE", fake(&format!("{UPPER}{DIGITS}"), 9, 65));
        let allow = Allowlist::new(vec![], vec!["EXAMPLE$".to_owned()]).expect("valid allowlist");
        untouched_with(&format!("id {example}"), &allow);
        assert!(Allowlist::new(vec![], vec!["(".to_owned()]).is_err());
        assert!(!Allowlist::default().allows("anything"));
    }

    fn untouched_with(input: &str, allow: &Allowlist) {
        let (out, findings) = redact(input, allow);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(out, input);
    }

    // ---- positions and overlaps ----

    #[test]
    fn line_and_column_on_multiline_text() {
        let gh = format!("ghp_{}", fake(&alnum(), 36, 66));
        let aws = format!("AKIA{}", fake(&format!("{UPPER}{DIGITS}"), 16, 67));
        let hf = format!("hf_{}", fake(&format!("{UPPER}{LOWER}"), 34, 68));
        // Non-ASCII before a secret: columns count characters, offsets count bytes.
        let text = format!("first line\n  héllo {gh} and {aws}\n\n{hf}\n");
        let findings = scan(&text, &Allowlist::default());
        let got: Vec<(&str, usize, usize)> = findings
            .iter()
            .map(|f| (f.rule, f.line, f.column))
            .collect();
        assert_eq!(
            got,
            vec![
                ("github-pat", 2, 9),
                ("aws-access-key", 2, 9 + gh.len() + 5),
                ("huggingface-token", 4, 1),
            ]
        );
        assert_eq!(&text[findings[0].start..findings[0].end], gh);
        assert_eq!(&text[findings[1].start..findings[1].end], aws);
        assert_eq!(&text[findings[2].start..findings[2].end], hf);
        assert_eq!(findings[0].start, "first line\n  héllo ".len());
    }

    #[test]
    fn overlapping_matches_replace_once() {
        // The generic rule, the bearer rule and the JWT rule all cover this token.
        let jwt = format!(
            "eyJ{}.eyJ{}.{}",
            fake(&alnum(), 20, 69),
            fake(&alnum(), 40, 70),
            fake(&alnum(), 43, 71)
        );
        check(
            &format!("auth_token: Bearer {jwt}"),
            "auth_token: Bearer [REDACTED:jwt]",
        );
        check(&format!("token={jwt}"), "token=[REDACTED:jwt]");
        let mut spans = merge(vec![
            Candidate {
                start: 0,
                end: 10,
                priority: 3,
            },
            Candidate {
                start: 5,
                end: 30,
                priority: 1,
            },
        ]);
        let s = spans.pop().expect("one span");
        assert!(spans.is_empty());
        assert_eq!((s.start, s.end, s.rule), (0, 30, RULES[1].name));
    }

    #[test]
    fn rule_names_are_stable() {
        // Names end up in written files and in config allowlists: renaming one is a
        // format change, so it should fail here first.
        let mut names: Vec<&str> = RULE_SPECS.iter().map(|r| r.name).collect();
        names.dedup();
        assert_eq!(
            names,
            [
                "private-key",
                "github-fine-grained-pat",
                "github-pat",
                "github-oauth",
                "github-app-token",
                "github-refresh-token",
                "gitlab-pat",
                "gitlab-token",
                "gitlab-session-cookie",
                "aws-access-key",
                "aws-secret-key",
                "anthropic-admin-key",
                "anthropic-api-key",
                "openai-api-key",
                "slack-token",
                "slack-webhook-url",
                "stripe-key",
                "gcp-api-key",
                "huggingface-token",
                "npm-access-token",
                "pypi-upload-token",
                "sendgrid-api-key",
                "jwt",
                "bearer",
                "basic-auth",
                "url-credentials",
                "generic-api-key",
            ]
        );
        assert_eq!(RULES.len(), RULE_SPECS.len());
    }

    // ---- keyword prefilter ----

    /// Both prefilters give the same rules, and the same as the check they replaced (the
    /// direct search is that check, verbatim).
    fn assert_prefilters_agree(text: &str) {
        let lower = text.to_ascii_lowercase();
        let reference = RULE_SPECS
            .iter()
            .enumerate()
            .filter(|(_, r)| r.keywords.iter().any(|k| lower.contains(k)))
            .fold(0, |set, (i, _)| set | 1 << i);
        assert_eq!(rules_present_direct(text), reference, "text: {text:?}");
        assert_eq!(rules_present_automaton(text), reference, "text: {text:?}");
        assert_eq!(rules_present(text), reference, "text: {text:?}");
    }

    #[test]
    fn keywords_are_lower_case_ascii_and_every_rule_has_one() {
        // The prefilter ignores ASCII case; it equals "the lower-cased text contains the
        // keyword" only for lower-case ASCII keywords. A rule without one would never run.
        for r in RULE_SPECS {
            assert!(!r.keywords.is_empty(), "{} has no keyword", r.name);
            for k in r.keywords {
                assert!(!k.is_empty() && k.is_ascii(), "{}: {k:?}", r.name);
                assert_eq!(*k, k.to_ascii_lowercase(), "{}: {k:?}", r.name);
            }
        }
    }

    #[test]
    fn every_rule_compiles() {
        // Rules compile lazily, when their keyword first shows up; a broken pattern must
        // fail here rather than in a user's session.
        for r in RULES.iter() {
            let _ = r.re();
        }
    }

    #[test]
    fn prefilter_matches_the_lower_cased_contains_test() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "a decision worth keeping".into(),
            "measured".into(),
            "2026-11-24T03:01:45Z".into(),
            "Asia/Tokyo and AKIA and a3T".into(),
            "SK-ANT-x sk- Sk-Ant-".into(),
            "PRIVATE KEY, private  key, Private Key".into(),
            "----- -- --- ://".into(),
            "PyPI-AgEIcHlwaS5vcmc HOOKS.SLACK.COM _Gitlab_Session=".into(),
            "héllo KÉY ſecret Kelvin \u{212a}ey".into(),
        ];
        for r in RULE_SPECS {
            for k in r.keywords {
                texts.push((*k).to_owned());
                texts.push(k.to_ascii_uppercase());
                texts.push(format!("x{}y", k.to_ascii_uppercase()));
                // Every keyword but this one's last byte: must not count.
                texts.push(k[..k.len() - 1].to_owned());
            }
        }
        let all: Vec<&str> = RULE_SPECS
            .iter()
            .flat_map(|r| r.keywords.iter().copied())
            .collect();
        texts.push(all.concat());
        texts.push(all.join(" ").to_ascii_uppercase());
        // Long texts take the automaton's path in `rules_present`.
        let padding = "plain words, nothing to see here. ".repeat(DIRECT_SEARCH_MAX / 20);
        let long: Vec<String> = texts.iter().map(|t| format!("{padding}{t}")).collect();
        for t in texts.iter().chain(&long) {
            assert_prefilters_agree(t);
        }
    }

    proptest::proptest! {
        #[test]
        fn prefilter_matches_reference_on_random_text(
            t in "[-a-zA-Z0-9_./:= éK]{0,60}|(?:(?:sk-|ghp_|KEY|Secret|--|://|AKIA|eyJ|Bearer|xox|hf_|_TEST_)[a-z_ -]{0,3}){0,8}"
        ) {
            assert_prefilters_agree(&t);
        }
    }

    #[test]
    fn secrets_are_caught_whatever_the_keyword_case() {
        let v = fake(&alnum(), 32, 80);
        check(
            &format!("Api_Key={v}"),
            "Api_Key=[REDACTED:generic-api-key]",
        );
        check(
            &format!("PassWord: {v}"),
            "PassWord: [REDACTED:generic-api-key]",
        );
        check(
            &format!("mycli --TOKEN {v}"),
            "mycli --TOKEN [REDACTED:generic-api-key]",
        );
        check(
            &format!("AUTHORIZATION: BEARER {v}"),
            "AUTHORIZATION: BEARER [REDACTED:bearer]",
        );
        check(
            &format!("AWS_SECRET_ACCESS_KEY={}", fake(&alnum(), 40, 81)),
            "AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-key]",
        );
        let aws = format!("AKIA{}", fake(&format!("{UPPER}{DIGITS}"), 16, 82));
        check(&format!("id {aws}"), "id [REDACTED:aws-access-key]");
        let gcp = format!("AIza{}", fake(&alnum(), 35, 83));
        check(&format!("key {gcp}"), "key [REDACTED:gcp-api-key]");
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            fake(&alnum(), 64, 84)
        );
        check(&pem, "[REDACTED:private-key]");
        check(
            &format!("see HTTPS://app:{}@db.example.com", fake(&alnum(), 16, 85)),
            "see HTTPS://app:[REDACTED:url-credentials]@db.example.com",
        );
    }

    #[test]
    fn long_texts_with_keywords_in_other_case_are_redacted() {
        let v = fake(&alnum(), 32, 86);
        let aws = format!("ASIA{}", fake(&format!("{UPPER}{DIGITS}"), 16, 87));
        let padding = "plain words, nothing to see here.\n".repeat(DIRECT_SEARCH_MAX / 10);
        let input = format!("{padding}Client_Secret: {v}\n{padding}id={aws}\n");
        assert!(input.len() > DIRECT_SEARCH_MAX);
        check(
            &input,
            &format!(
                "{padding}Client_Secret: [REDACTED:generic-api-key]\n{padding}id=[REDACTED:aws-access-key]\n"
            ),
        );
        let plain = padding.repeat(3);
        assert_eq!(rules_present(&plain), 0);
        assert_eq!(red(&plain), plain);
    }

    #[test]
    fn text_without_keywords_is_returned_unchanged() {
        for text in [
            "a decision worth keeping",
            "measured",
            "2026-11-24T03:01:45Z",
            "Use cursor pagination; offsets drift under concurrent writes.",
            "naïve café, 東京, emoji 🚀 and a long random-looking run 8f3Kq9ZxL2mN7vB4cR1tY6wP0",
        ] {
            assert_eq!(rules_present(text), 0, "{text}");
            let (out, findings) = redact(text, &Allowlist::default());
            assert!(findings.is_empty());
            assert_eq!(out, text);
            // An allowlist changes nothing either.
            let allow = Allowlist::new(vec![text.to_owned()], vec![".".to_owned()])
                .expect("valid allowlist");
            assert_eq!(redact(text, &allow).0, text);
        }
    }

    #[test]
    fn empty_and_plain_text() {
        assert_eq!(redact("", &Allowlist::default()), (String::new(), vec![]));
        untouched("nothing to see here\n");
    }

    #[test]
    fn large_text_is_handled() {
        let line = "3f9c2a1 Refresh auth token handling; see src/domain/redact.rs \
                    {\"input_tokens\": 1234, \"uuid\": \"550e8400-e29b-41d4-a716-446655440000\"}\n";
        let mut text = line.repeat(1_000_000 / line.len());
        let tok = format!("ghp_{}", fake(&alnum(), 36, 72));
        text.push_str(&format!("GH={tok}\n"));
        // Many PEM headers without key material must not make the scan quadratic.
        text.push_str(&"\"-----BEGIN PRIVATE KEY-----\" ".repeat(2_000));
        let (out, findings) = redact(&text, &Allowlist::default());
        assert_eq!(findings.len(), 1);
        assert!(out.contains("GH=[REDACTED:github-pat]\n"));
    }
}
