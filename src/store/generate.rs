//! Generated histories, for benchmarks and `baton demo --sessions N`: N ended sessions of a
//! made-up project, deterministic for a given N (a small xorshift seeded by N, no RNG crate).
//!
//! [`generate_history`] writes what `baton end` would have written for each session, built
//! with the same domain code: the record, [`Knowledge::merge_session`], the archive with its
//! `as_of`, the handoff from [`compose::handoff_draft`], and the lines `end` appends to the
//! seed's logs. [`generate_seed_history`] writes what the seed's hand-made workflow leaves
//! instead: handoffs, the knowledge base, `echo`-style log lines, no `SESSION_LOGS/`.
//!
//! Files are written with plain buffered writes (no fsync per file): this is a generator
//! for fresh directories, and 10,000 sessions must take seconds. Files of the same names
//! are replaced; the directory should be empty.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

use crate::domain::archive::{ArchivedSession, AsOf};
use crate::domain::compose;
use crate::domain::ids::{handoff_file_name, session_id_for};
use crate::domain::items::{Blocker, Decision, PendingItem, Priority};
use crate::domain::knowledge::{Knowledge, LAST_MERGED};
use crate::domain::logs::log_entries;
use crate::domain::session::{Commit, SessionRecord};
use crate::domain::template::Template;
use crate::domain::time::format_timestamp;

use super::fsio::{FsError, io_err};
use super::layout::{self, Layout};

/// Which layout a generated history is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// What baton writes: archives in `SESSION_LOGS/`, tagged JSON-lines logs.
    #[default]
    Baton,
    /// What the seed's hand-made workflow leaves: no archives, `echo`-style logs.
    Seed,
}

/// The day the generated history ends (its last session is on this day).
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 21).expect("valid date")
}

/// `sessions` ended sessions in baton's layout, into `dir` (created if missing).
pub fn generate_history(dir: &Path, sessions: usize) -> Result<(), FsError> {
    generate(dir, sessions, Flavor::Baton)
}

/// `sessions` sessions in the seed's hand-made layout, into `dir` (created if missing).
pub fn generate_seed_history(dir: &Path, sessions: usize) -> Result<(), FsError> {
    generate(dir, sessions, Flavor::Seed)
}

/// `sessions` sessions in `flavor`'s layout, into `dir` (created if missing).
pub fn generate(dir: &Path, sessions: usize, flavor: Flavor) -> Result<(), FsError> {
    let layout = Layout::new(dir);
    let mut dirs = vec![layout.root.clone(), layout.handoffs()];
    if flavor == Flavor::Baton {
        dirs.extend([layout.archive_dir(), layout.active_dir()]);
    }
    for d in &dirs {
        fs::create_dir_all(d).map_err(io_err(d))?;
    }
    let mut out = Writers::open(&layout, flavor)?;
    let mut rng = Rng::new(sessions as u64);
    let mut knowledge = Knowledge::new(initial_knowledge());
    // `core_decisions` is kept out of the knowledge base while merging (only its last entry
    // stays, which is all `merge_session` needs to number the next one): merging stays
    // linear instead of re-reading every earlier decision per session.
    let mut decisions: Vec<Value> = Vec::with_capacity(sessions * 3);
    let mut last: Option<SessionRecord> = None;

    for (index, (date, n)) in schedule(&mut rng, sessions).into_iter().enumerate() {
        let start = session_start(&mut rng, date, last.as_ref());
        let pending = knowledge.pending();
        let record = make_session(&mut rng, index, date, n, start, &pending);

        let tail = decisions.last().cloned();
        let kept = usize::from(tail.is_some());
        knowledge.doc.insert(
            "core_decisions".into(),
            Value::Array(tail.into_iter().collect()),
        );
        knowledge.merge_session(&record);
        if let Some(Value::Array(list)) = knowledge.doc.get_mut("core_decisions") {
            decisions.extend(list.drain(kept..));
        }

        let as_of = AsOf {
            total_sessions: knowledge.totals().sessions,
            total_hours: knowledge.totals().hours,
            pending_work: match knowledge.doc.get("pending_work") {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            },
        };
        let pending_after: Vec<PendingItem> = as_of
            .pending_work
            .iter()
            .cloned()
            .map(PendingItem::from_value)
            .collect();
        let handoff_name = handoff_file_name(&record.session_id, date);
        let handoff = match flavor {
            Flavor::Seed if index % 3 == 2 => seed_style_handoff(&record, &pending_after),
            _ => compose::handoff_draft(&record, &pending_after).render(),
        };
        write(&layout.handoff(&handoff_name), handoff.as_bytes())?;
        out.append(&record)?;
        if flavor == Flavor::Baton {
            let archive = ArchivedSession {
                record,
                handoff_file: Some(handoff_name),
                as_of: Some(as_of),
            };
            write(
                &layout.archived(&archive.record.session_id),
                &pretty(&archive),
            )?;
            last = Some(archive.record);
        } else {
            last = Some(record);
        }
    }

    knowledge
        .doc
        .insert("core_decisions".into(), Value::Array(decisions));
    if flavor == Flavor::Seed {
        knowledge.doc.shift_remove(LAST_MERGED);
        if let Some(record) = &last {
            write(&layout.current_session(), &pretty(&seed_shaped(record)))?;
        }
    }
    write(&layout.knowledge(), knowledge.to_pretty_json().as_bytes())?;
    out.finish()
}

// ---------------------------------------------------------------------------------------
// Randomness and time.

/// xorshift64*: tiny, deterministic, good enough to vary generated text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let s = seed.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        Rng(if s == 0 { 1 } else { s })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(len);
        s
    }
}

/// (day, number of the session that day) for every session, oldest first: 1–3 sessions a
/// day, ending on [`last_day`].
fn schedule(rng: &mut Rng, sessions: usize) -> Vec<(NaiveDate, u32)> {
    let mut per_day = Vec::new();
    let mut total = 0;
    while total < sessions {
        let n = rng.range(1, 3).min(sessions - total);
        per_day.push(n);
        total += n;
    }
    let first = last_day() - Duration::days(per_day.len() as i64 - 1);
    let mut out = Vec::with_capacity(sessions);
    for (offset, n) in per_day.into_iter().enumerate() {
        let date = first + Duration::days(offset as i64);
        out.extend((1..=n as u32).map(|k| (date, k)));
    }
    out
}

fn session_start(rng: &mut Rng, date: NaiveDate, last: Option<&SessionRecord>) -> DateTime<Utc> {
    let morning = Utc.from_utc_datetime(&date.and_hms_opt(8, 0, 0).expect("valid time"))
        + Duration::minutes(rng.below(90) as i64);
    match last.and_then(SessionRecord::ended) {
        Some(end) if end.date_naive() == date => end + Duration::minutes(rng.range(10, 60) as i64),
        _ => morning,
    }
}

// ---------------------------------------------------------------------------------------
// Sessions.

struct Area {
    name: &'static str,
    dir: &'static str,
    things: &'static [&'static str],
}

const AREAS: &[Area] = &[
    Area {
        name: "auth",
        dir: "api/rota/auth",
        things: &[
            "magic-link tokens",
            "session cookies",
            "login attempts",
            "CSRF tokens",
        ],
    },
    Area {
        name: "billing",
        dir: "api/rota/billing",
        things: &["seat counts", "webhook events", "invoices", "grace periods"],
    },
    Area {
        name: "scheduling",
        dir: "api/rota/shifts",
        things: &[
            "shift templates",
            "week views",
            "overlap checks",
            "open shifts",
        ],
    },
    Area {
        name: "swaps",
        dir: "api/rota/swaps",
        things: &["swap requests", "approval links", "expiry jobs"],
    },
    Area {
        name: "reminders",
        dir: "worker/rota_worker",
        things: &[
            "SMS reminders",
            "delivery callbacks",
            "opt-outs",
            "reminder templates",
        ],
    },
    Area {
        name: "reporting",
        dir: "api/rota/reports",
        things: &["hours reports", "payroll exports", "overtime totals"],
    },
    Area {
        name: "imports",
        dir: "api/rota/staff",
        things: &["staff CSV imports", "phone numbers", "shift spreadsheets"],
    },
    Area {
        name: "dashboard",
        dir: "web/src/routes",
        things: &["week view", "staff list", "swap inbox", "settings page"],
    },
    Area {
        name: "infra",
        dir: "infra",
        things: &[
            "staging deploys",
            "database backups",
            "health checks",
            "error tracking",
        ],
    },
    Area {
        name: "audit",
        dir: "api/rota/audit",
        things: &["schedule edit history", "admin actions", "data exports"],
    },
];

const GOALS: &[&str] = &[
    "Build {thing} for {area}",
    "Harden {thing}",
    "Speed up {thing}",
    "Fix bugs in {thing}",
    "Refactor {thing} in {area}",
    "Test coverage for {thing}",
    "Polish {thing} before the pilot",
];

/// (decision, why, impact); `{thing}` and `{n}` are filled in.
const DECISIONS: &[(&str, &str, &str)] = &[
    (
        "Cache {thing} in Redis for {n} s",
        "The same query ran on every page load",
        "p95 of the endpoint down about {n}%",
    ),
    (
        "Move {thing} to a background job",
        "It held the request open for seconds",
        "The API answers 202 and the worker finishes",
    ),
    (
        "Paginate {thing} with keyset cursors",
        "Offset pagination slowed down past page 50",
        "Clients pass ?after=<id>; no page numbers",
    ),
    (
        "Validate {thing} with pydantic models at the boundary",
        "Bad input reached the database layer",
        "422 with field errors instead of 500",
    ),
    (
        "Keep {thing} behind a feature flag until the pilot ends",
        "Pilot clinics must not see half-finished screens",
        "clinics.features gets a new key",
    ),
    (
        "Index {thing} by clinic and date",
        "Sequential scans showed up in the slow query log",
        "Migration adds a composite index, built concurrently",
    ),
    (
        "Retry {thing} with exponential backoff, at most {n} attempts",
        "Provider timeouts are transient",
        "Failures after the last attempt go to the dead-letter list",
    ),
    (
        "Store {thing} per clinic, not globally",
        "Clinics asked for different settings",
        "A clinic_id column and an RLS policy",
    ),
    (
        "Log {thing} as structured JSON with the request id",
        "Grepping free-text logs took too long during incidents",
        "Every log line carries clinic_id and request_id",
    ),
    (
        "Drop the custom code for {thing} in favour of the library default",
        "Our version had two bugs the library fixed long ago",
        "About {n} lines removed",
    ),
];

const INSIGHTS: &[&str] = &[
    "{thing} behave differently on the DST-change weekend; keep one in the fixtures",
    "Most support questions about {thing} come from managers on iPads",
    "The slow part of {thing} was serialization, not the query",
    "{thing} need an idempotency key; the provider retries on timeouts",
    "Pilot clinics read {thing} on Monday mornings; deploy on Tuesdays",
];

/// A bounded set, so `best_practices` stays a list a person can read.
const PRACTICES: &[&str] = &[
    "Read every autogenerated migration before committing it",
    "Run migrations against a fresh database in CI",
    "Test tenant isolation as the application role, never as the owner",
    "Verify webhook signatures against the raw request body",
    "Keep /healthz free of database calls",
    "Inject a clock; never call now() in domain code",
    "Count queries per request in tests",
    "Keep a DST-change week in the fixtures",
    "Put idempotency in the database, not in the scheduler",
    "Deploy on Tuesdays, never before a pilot clinic's rota day",
    "Write the handoff before closing the laptop",
    "Regenerate the API client in CI and fail on a diff",
];

const BLOCKERS: &[(&str, &str, &str)] = &[
    (
        "Tests for {thing} failed only in CI",
        "CI runs in UTC; the test assumed Europe/London",
        "Pin the time zone in every time-dependent test",
    ),
    (
        "Migration for {thing} locked the shifts table for 40 s",
        "Split it: add the column nullable, backfill in batches, then add the constraint",
        "Never rewrite a big table in one migration",
    ),
    (
        "{thing} returned another clinic's rows in one query",
        "The query bypassed the session that sets app.clinic_id; routed it through get_db()",
        "All queries go through the request session",
    ),
    (
        "The staging deploy of {thing} hung on the release command",
        "A long transaction held a lock; added lock_timeout = 5s to migrations",
        "Set lock_timeout in every migration",
    ),
];

const NOTES: &[&str] = &[
    "compiles and tests pass",
    "first version",
    "covers the edge cases found in the pilot data",
    "replaces the old helper",
    "needs review",
];

const AUTHORS: &[&str] = &["Maya Chen", "Tomás Ruiz"];

const FOLLOW_UPS: &[&str] = &["Follow up on", "Finish", "Review", "Document", "Measure"];

const TEMPLATES: &[Template] = &[
    Template::Development,
    Template::Strategic,
    Template::Execution,
];

fn fill(template: &str, thing: &str, n: usize) -> String {
    template
        .replace("{thing}", thing)
        .replace("{n}", &n.to_string())
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn snake(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// One ended session as `end` would archive it. `pending` is the knowledge base's pending
/// work before the session; it finishes some of it, so the list stays a readable length.
fn make_session(
    rng: &mut Rng,
    index: usize,
    date: NaiveDate,
    n: u32,
    start: DateTime<Utc>,
    pending: &[PendingItem],
) -> SessionRecord {
    let area = rng.pick(AREAS);
    let thing = rng.word(area.things);
    // Ticket numbers: decisions and commits +0..2, tests +3, next steps +4..6.
    let ticket = 100 + index * 8;
    let minutes = rng.range(45, 195) as i64;
    let end = start + Duration::minutes(minutes);
    let goal = fill(rng.word(GOALS), thing, 0).replace("{area}", area.name);

    let mut r = SessionRecord {
        session_id: session_id_for(date, n),
        started_at: Some(format_timestamp(start)),
        ended_at: Some(format_timestamp(end)),
        primary_goal: goal.clone(),
        ..SessionRecord::default()
    };
    r.duration_hours = r.hours_until(end);
    if rng.chance(30) {
        let t = *rng.pick(TEMPLATES);
        r.template = Some(t.name().to_string());
        r.checklist = t.checklist();
        for item in r.checklist.iter_mut() {
            item.done = rng.chance(70);
        }
    }

    // Finish older pending work: more when the list is long.
    let finish = match pending.len() {
        0..=4 => rng.below(2),
        5..=8 => rng.range(1, 2),
        _ => rng.range(2, 4),
    };
    let mut done: Vec<String> = Vec::new();
    for _ in 0..finish.min(pending.len()) {
        let task = pending[rng.below(pending.len())].task.clone();
        if !done.contains(&task) {
            done.push(task);
        }
    }
    for task in &done {
        if rng.chance(50) {
            r.achievements.push(task.clone());
        } else {
            r.completed.push(task.clone());
        }
    }
    r.achievements
        .push(format!("{} (ROTA-{ticket})", capitalized(&goal)));
    if rng.chance(50) {
        r.achievements.push(format!(
            "Tests for {thing} in {} (ROTA-{})",
            area.dir,
            ticket + 3
        ));
    }

    for k in 0..rng.range(2, 3) {
        let (d, why, impact) = rng.pick(DECISIONS);
        let n = rng.range(3, 60);
        let mut decision = Decision::new(format!("{} (ROTA-{})", fill(d, thing, n), ticket + k));
        decision.reasoning = Some(fill(why, thing, n));
        if rng.chance(80) {
            decision.impact = Some(fill(impact, thing, n));
        }
        r.decisions_made.push(decision);
    }

    let stem = snake(thing);
    for _ in 0..rng.range(1, 2) {
        let top = area.dir.split('/').next().unwrap_or(area.dir);
        let path = match (top, rng.below(3)) {
            ("web", 0) => format!("{}/{stem}/index.tsx", area.dir),
            ("web", 1) => format!("{}/{stem}/{stem}.test.tsx", area.dir),
            ("web", _) => format!("web/src/api/hooks/use_{stem}.ts"),
            (_, 0) => format!("{}/{stem}.py", area.dir),
            (_, 1) => format!("{top}/tests/test_{stem}.py"),
            _ => format!("{}/{stem}_service.py", area.dir),
        };
        if r.code_created.iter().any(|c| c.starts_with(&path)) {
            continue;
        }
        r.code_created.push(format!("{path} - {}", rng.word(NOTES)));
        r.files_modified.push(path);
    }

    r.insights_gained
        .push(capitalized(&fill(rng.word(INSIGHTS), thing, 0)));
    if rng.chance(25) {
        let p = rng.word(PRACTICES).to_string();
        r.insights_gained.push(p.clone());
        r.best_practices.push(p);
    }
    if rng.chance(30) {
        let (b, solution, lesson) = rng.pick(BLOCKERS);
        let mut blocker = Blocker::new(capitalized(&fill(b, thing, 0)));
        blocker.solution = Some(solution.to_string());
        blocker.lesson = Some(lesson.to_string());
        r.blockers_encountered.push(blocker);
    }

    for k in 0..rng.range(1, 3) {
        let priority = match rng.below(4) {
            0 => Priority::High,
            3 => Priority::Low,
            _ => Priority::Medium,
        };
        let other = rng.pick(AREAS);
        let task = format!(
            "{} {} in {} (ROTA-{})",
            rng.word(FOLLOW_UPS),
            rng.word(other.things),
            other.name,
            ticket + 4 + k
        );
        r.next_steps.push(PendingItem::new(task, priority));
    }

    for k in 0..rng.range(1, 2) {
        let at = start + Duration::minutes((minutes * (k as i64 + 1)) / 4);
        r.commits.push(Commit {
            hash: rng.hex(40),
            author: rng.word(AUTHORS).to_string(),
            date: at.to_rfc3339(),
            subject: format!("{}: {} (ROTA-{})", area.name, thing, ticket + k),
        });
    }

    r.summary = Some(format!(
        "{goal}: {} decisions, {} things done, {} next steps.",
        r.decisions_made.len(),
        r.achievements.len(),
        r.next_steps.len()
    ));
    if rng.chance(40) {
        r.handoff_notes = format!(
            "Start with {} in {}; the rest of {} is stable.",
            r.files_modified.first().map_or(area.dir, String::as_str),
            area.name,
            thing
        );
    }
    r
}

fn initial_knowledge() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "last_updated": null,
        "total_sessions": 0,
        "total_hours": 0,
        "project": {
            "name": "Rota",
            "pitch": "Shift scheduling for small clinics (generated history)"
        },
        "core_decisions": [],
        "architecture_state": {
            "api": {"status": "production", "framework": "FastAPI", "port": 8000},
            "web": {"status": "production", "framework": "React + Vite", "port": 5173},
            "worker": "production",
            "database": {"status": "healthy", "engine": "PostgreSQL 16"}
        },
        "best_practices": [],
        "pending_work": []
    }) else {
        unreachable!("an object literal")
    };
    map
}

/// The seed's "Ending Session" template, filled in (what a person writes by hand).
fn seed_style_handoff(record: &SessionRecord, pending: &[PendingItem]) -> String {
    let date = record
        .ended_at
        .as_deref()
        .map(|s| s.chars().take(10).collect::<String>())
        .unwrap_or_default();
    let mut out = format!("# Session Handoff - {date}\n\n## What Was Done\n");
    for a in &record.achievements {
        out.push_str(&format!("- {a}\n"));
    }
    out.push_str(&format!(
        "\n## Current State\n- {}\n- {} items pending\n\n## Pending Items\n",
        record.primary_goal,
        pending.len()
    ));
    for p in pending {
        out.push_str(&format!("- {} ({})\n", p.task, p.priority.as_str()));
    }
    out.push_str("\n## Key Learnings\n");
    for i in &record.insights_gained {
        out.push_str(&format!("- {i}\n"));
    }
    out.push_str("\n## Next Session Should\n");
    for s in &record.next_steps {
        out.push_str(&format!("- {}\n", s.task));
    }
    out
}

/// The record as the seed's section 1 has it (without what baton adds).
fn seed_shaped(record: &SessionRecord) -> SessionRecord {
    SessionRecord {
        template: None,
        checklist: Vec::new(),
        best_practices: Vec::new(),
        completed: Vec::new(),
        commits: Vec::new(),
        summary: None,
        key_commands: None,
        ..record.clone()
    }
}

// ---------------------------------------------------------------------------------------
// Writing.

fn write(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    fs::write(path, bytes).map_err(io_err(path))
}

fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

struct Log {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Log {
    fn create(path: PathBuf) -> Result<Log, FsError> {
        let file = File::create(&path).map_err(io_err(&path))?;
        Ok(Log {
            out: BufWriter::with_capacity(256 * 1024, file),
            path,
        })
    }

    fn line(&mut self, text: &str) -> Result<(), FsError> {
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(io_err(&self.path))
    }

    fn json(&mut self, value: &Value) -> Result<(), FsError> {
        self.line(&serde_json::to_string(value).unwrap_or_default())
    }

    fn finish(mut self) -> Result<(), FsError> {
        self.out.flush().map_err(io_err(&self.path))
    }
}

/// The seed's log files, open for the whole generation.
struct Writers {
    flavor: Flavor,
    decisions: Log,
    code: Option<Log>,
    insights_db: Option<Log>,
    insights: Log,
    changes: Log,
}

impl Writers {
    fn open(layout: &Layout, flavor: Flavor) -> Result<Writers, FsError> {
        let log = |name| Log::create(layout.path(name));
        let baton = flavor == Flavor::Baton;
        Ok(Writers {
            flavor,
            decisions: log(layout::DECISIONS_LOG)?,
            code: baton.then(|| log(layout::CODE_REGISTRY)).transpose()?,
            insights_db: baton.then(|| log(layout::INSIGHTS_DB)).transpose()?,
            insights: log(layout::INSIGHTS_LOG)?,
            changes: log(layout::CODE_CHANGES_LOG)?,
        })
    }

    /// What `end` appends for a session (baton), or what the seed's `echo`s leave (seed).
    fn append(&mut self, record: &SessionRecord) -> Result<(), FsError> {
        let entries = log_entries(record);
        match self.flavor {
            Flavor::Baton => {
                for line in &entries.decisions {
                    self.decisions.json(line)?;
                }
            }
            Flavor::Seed => {
                // The seed's `echo '{"decision": …, "reasoning": …, "impact": …}'`.
                for d in &record.decisions_made {
                    let mut map = Map::new();
                    map.insert("decision".into(), Value::String(d.decision.clone()));
                    for (key, value) in [("reasoning", &d.reasoning), ("impact", &d.impact)] {
                        if let Some(v) = value {
                            map.insert(key.into(), Value::String(v.clone()));
                        }
                    }
                    self.decisions.json(&Value::Object(map))?;
                }
            }
        }
        if let Some(code) = &mut self.code {
            for line in &entries.code {
                code.json(line)?;
            }
        }
        if let Some(db) = &mut self.insights_db {
            for line in &entries.insights {
                db.json(line)?;
            }
        }
        for line in &entries.insight_lines {
            self.insights.line(line)?;
        }
        for line in &entries.change_lines {
            self.changes.line(line)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<(), FsError> {
        self.decisions.finish()?;
        if let Some(code) = self.code {
            code.finish()?;
        }
        if let Some(db) = self.insights_db {
            db.finish()?;
        }
        self.insights.finish()?;
        self.changes.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::read::{handoffs, read_archived};

    #[test]
    fn schedule_spreads_sessions_over_days_ending_on_the_last_day() {
        let mut rng = Rng::new(500);
        let days = schedule(&mut rng, 500);
        assert_eq!(days.len(), 500);
        assert_eq!(days.last().unwrap().0, last_day());
        let mut per_day = std::collections::BTreeMap::new();
        for (d, n) in &days {
            *per_day.entry(*d).or_insert(0u32) += 1;
            assert!((1..=3).contains(n));
        }
        assert!(per_day.values().all(|c| (1..=3).contains(c)));
    }

    #[test]
    fn knowledge_equals_merging_every_archive_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        generate_history(tmp.path(), 40).unwrap();
        let layout = Layout::new(tmp.path());
        let mut ids: Vec<String> = fs::read_dir(layout.archive_dir())
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".json")
                    .to_string()
            })
            .collect();
        ids.sort();
        let mut k = Knowledge::new(initial_knowledge());
        let mut problems = Vec::new();
        for id in &ids {
            let a = read_archived(&layout, id, &mut problems).unwrap().unwrap();
            k.merge_session(&a.record);
            let as_of = a.as_of.unwrap();
            assert_eq!(as_of.total_sessions, k.totals().sessions);
            assert_eq!(
                Some(&Value::Array(as_of.pending_work)),
                k.doc.get("pending_work")
            );
        }
        assert!(problems.is_empty(), "{problems:?}");
        let written: Value =
            serde_json::from_slice(&fs::read(layout.knowledge()).unwrap()).unwrap();
        assert_eq!(written, Value::Object(k.doc));
        assert_eq!(handoffs(&layout).unwrap().len(), 40);
    }

    #[test]
    fn same_n_same_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate_history(a.path(), 12).unwrap();
        generate_history(b.path(), 12).unwrap();
        for name in [
            layout::KNOWLEDGE,
            layout::DECISIONS_LOG,
            layout::CODE_CHANGES_LOG,
        ] {
            assert_eq!(
                fs::read(a.path().join(name)).unwrap(),
                fs::read(b.path().join(name)).unwrap(),
                "{name}"
            );
        }
    }
}
