//! Delivering the outbox to a memory server, and asking it for context.
//!
//! An attempt sends each item with its id as the `Idempotency-Key` header (and `X-API-Key`
//! when `$BATON_MEMORY_KEY` is set), and removes the item only after a 2xx answer; any
//! other answer, a refused connection or no answer in time keeps it, with the failure and
//! the next attempt's time recorded in the item (backoff: 30 s doubling to an hour).
//! Automatic attempts (after `end`, `start`, `context`, and in the dashboard while items
//! wait) respect the backoff, give up on the lock if another process is delivering, and
//! stop after a short budget (`$BATON_SYNC_TIMEOUT_MS`, 2 s by default) so the command
//! that made them stays quick; `baton sync` tries every item at once.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Client;

use crate::domain::outbox::{
    Flavour, OutboxItem, mem0_body, mem0_context_lines, mem0_search_body, seed_body,
    seed_context_lines,
};
use crate::domain::scrub::{scrub_text, scrub_value};
use crate::store::Store;
use crate::store::outbox::{self, MemoryTarget, SyncKind};

/// The longest one request may take, whatever the budget.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// How long automatic attempts and `context`'s question may take:
/// `$BATON_SYNC_TIMEOUT_MS`, default 2000.
pub fn auto_budget() -> Duration {
    std::env::var("BATON_SYNC_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map_or(Duration::from_millis(2000), Duration::from_millis)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushOptions {
    /// Try every item now, ignoring its backoff (`baton sync`).
    pub force: bool,
    /// Stop starting new requests after this long (a request in flight is cut at it too).
    pub budget: Duration,
    /// Wait for another process's delivery to finish (else give up at once).
    pub wait_for_lock: bool,
}

/// What an attempt did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlushReport {
    /// Ids of the items delivered.
    pub sent: Vec<String>,
    /// Items tried and kept: (item id, why).
    pub failed: Vec<(String, String)>,
    /// Items still waiting afterwards.
    pub waiting: usize,
    /// When the next automatic attempt is due (`None`: nothing waits, or nowhere to send).
    pub next_due: Option<DateTime<Utc>>,
    /// Another process was delivering; nothing was tried.
    pub busy: bool,
    /// Items waiting but no memory server configured.
    pub unconfigured: bool,
    /// Why nothing could be tried at all (a bad config, no HTTP client).
    pub error: Option<String>,
}

impl FlushReport {
    /// One line for the footer or stderr: "2 waiting to sync (HTTP 500)".
    pub fn summary(&self) -> String {
        let mut s = format!("{} waiting to sync", self.waiting);
        if let Some(e) = &self.error {
            s.push_str(&format!(" ({e})"));
        } else if self.unconfigured {
            s.push_str(" (no memory server configured)");
        } else if let Some((_, why)) = self.failed.last() {
            s.push_str(&format!(" ({why})"));
        }
        s
    }
}

/// The one HTTP client for memory sync: built like the health checker's (rustls with
/// `ring`, timeouts, limited redirects, no proxy).
pub fn client() -> Result<Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .connect_timeout(crate::health::check::CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(
            crate::health::check::MAX_REDIRECTS,
        ))
        .no_proxy()
        .user_agent(concat!("baton/", env!("CARGO_PKG_VERSION"), " memory sync"))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("async runtime: {e}"))
}

/// Automatic delivery of what is due, for commands and the dashboard: `None` when nothing
/// waits.
pub fn flush_due(store: &Store, now: DateTime<Utc>) -> Option<FlushReport> {
    let waiting = outbox::count(&store.layout);
    if waiting == 0 {
        return None;
    }
    let target = match outbox::target(&store.layout, None, None) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Some(FlushReport {
                waiting,
                unconfigured: true,
                ..FlushReport::default()
            });
        }
        Err(e) => {
            return Some(FlushReport {
                waiting,
                error: Some(e),
                ..FlushReport::default()
            });
        }
    };
    let opts = FlushOptions {
        force: false,
        budget: auto_budget(),
        wait_for_lock: false,
    };
    Some(flush(store, &target, opts, now))
}

/// Delivers the outbox to `target`, oldest item first. Never panics; failures are in the
/// report (and in the items).
pub fn flush(
    store: &Store,
    target: &MemoryTarget,
    opts: FlushOptions,
    now: DateTime<Utc>,
) -> FlushReport {
    let layout = &store.layout;
    let mut report = FlushReport::default();
    let wait = if opts.wait_for_lock {
        crate::store::fsio::lock_timeout()
    } else {
        Duration::ZERO
    };
    let _guard = match outbox::delivery_lock(layout, wait) {
        Ok(Some(g)) => g,
        Ok(None) => {
            report.busy = true;
            report.waiting = outbox::count(layout);
            report.next_due = Some(now + chrono::Duration::seconds(5));
            return report;
        }
        Err(e) => {
            report.error = Some(e.to_string());
            report.waiting = outbox::count(layout);
            return report;
        }
    };
    match deliver(store, target, opts, now, &mut report) {
        Ok(()) => {}
        Err(e) => report.error = Some(e),
    }
    // What is left, and when it is next due.
    let entries = outbox::list(layout).unwrap_or_default();
    report.waiting = entries.len();
    report.next_due = entries
        .iter()
        .filter_map(|e| e.item.as_ref().ok())
        .map(|i| {
            i.next_attempt_at
                .as_deref()
                .and_then(crate::domain::time::parse_timestamp)
                .unwrap_or(now)
        })
        .min();
    let tried = !report.sent.is_empty() || !report.failed.is_empty();
    if tried {
        let outcome = match report.failed.last() {
            None => Ok(()),
            Some((_, why)) => Err(why.as_str()),
        };
        let _ = outbox::record_run(layout, SyncKind::Memory, outcome, now);
    }
    report
}

fn deliver(
    store: &Store,
    target: &MemoryTarget,
    opts: FlushOptions,
    now: DateTime<Utc>,
    report: &mut FlushReport,
) -> Result<(), String> {
    let layout = &store.layout;
    let entries = outbox::list(layout).map_err(|e| e.to_string())?;
    let due: Vec<OutboxItem> = entries
        .into_iter()
        .filter_map(|e| e.item.ok())
        .filter(|i| opts.force || i.is_due(now))
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let client = client()?;
    let rt = runtime()?;
    let start = Instant::now();
    for mut item in due {
        let left = opts.budget.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        // Redacted when queued; again now, with today's rules and allowlist.
        scrub_value(
            &mut item.payload,
            &store.allow,
            "memory sync",
            &mut Vec::new(),
        );
        let answer = rt.block_on(send(&client, target, &item, left.min(REQUEST_TIMEOUT)));
        match answer {
            Ok(()) => {
                failpoint("sync-after-ack");
                outbox::remove(layout, &item.id).map_err(|e| e.to_string())?;
                report.sent.push(item.id);
            }
            Err(why) => {
                let why = scrub_text(&why, &store.allow, "sync error", &mut Vec::new());
                item.failed(&why, now);
                outbox::save(layout, &item).map_err(|e| e.to_string())?;
                report.failed.push((item.id, why));
            }
        }
    }
    // A name lookup stuck in the blocking pool must not hold the command up.
    rt.shutdown_background();
    Ok(())
}

/// Test hook: `BATON_FAILPOINT=sync-after-ack` kills the process right after the server's
/// 2xx and before the item is removed (the crash the idempotency key exists for).
fn failpoint(name: &str) {
    if std::env::var("BATON_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

async fn send(
    client: &Client,
    target: &MemoryTarget,
    item: &OutboxItem,
    timeout: Duration,
) -> Result<(), String> {
    let (url, body) = match target.flavour {
        Flavour::Seed => (
            format!("{}/memory/store-session", target.url),
            seed_body(item),
        ),
        Flavour::Mem0 => (
            format!("{}/memories", target.url),
            mem0_body(item, &target.who),
        ),
    };
    let mut request = client
        .post(&url)
        .timeout(timeout)
        .header("Idempotency-Key", &item.id)
        .json(&body);
    if let Some(key) = &target.key {
        request = request.header("X-API-Key", key);
    }
    exchange(request, timeout).await.and_then(|(status, text)| {
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(http_error(status, &text))
        }
    })
}

/// Sends a request and reads the answer, all within `timeout`: (status, body).
async fn exchange(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let attempt = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, text))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
        Ok(Err(e)) => {
            let (_, why) = crate::health::check::classify(&e);
            Err(if e.is_timeout() {
                format!("no answer within {} ms", timeout.as_millis())
            } else {
                why
            })
        }
        Ok(Ok(answer)) => Ok(answer),
    }
}

fn http_error(status: u16, body: &str) -> String {
    let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let body: String = body.chars().take(160).collect();
    if body.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {body}")
    }
}

/// What the memory server knows, for the context pack: the seed's
/// `GET {URL}/memory/get-context`, or Mem0's `POST {URL}/search` for `query` (Mem0 without
/// a query has nothing to add). Redacted. Bounded by `budget`.
pub fn fetch_context(
    store: &Store,
    target: &MemoryTarget,
    query: Option<&str>,
    budget: Duration,
) -> Result<Vec<String>, String> {
    let client = client()?;
    let request = match (target.flavour, query) {
        (Flavour::Seed, _) => {
            let mut url = reqwest::Url::parse(&format!("{}/memory/get-context", target.url))
                .map_err(|e| format!("{}: {e}", target.url))?;
            if let Some(q) = query {
                url.query_pairs_mut().append_pair("query", q);
            }
            client.get(url)
        }
        (Flavour::Mem0, Some(q)) => client
            .post(format!("{}/search", target.url))
            .json(&mem0_search_body(q, &target.who, 10)),
        (Flavour::Mem0, None) => return Ok(Vec::new()),
    };
    let mut request = request.timeout(budget);
    if let Some(key) = &target.key {
        request = request.header("X-API-Key", key);
    }
    let rt = runtime()?;
    let answer = rt.block_on(exchange(request, budget));
    rt.shutdown_background();
    let (status, text) = answer?;
    if !(200..300).contains(&status) {
        return Err(http_error(status, &text));
    }
    let lines = match target.flavour {
        Flavour::Seed => seed_context_lines(&text),
        Flavour::Mem0 => mem0_context_lines(&text),
    };
    Ok(lines
        .into_iter()
        .map(|l| scrub_text(&l, &store.allow, "memory context", &mut Vec::new()))
        .collect())
}

/// Queues an archived session again (`baton sync --memory --session ID`), even when no
/// memory server is configured for `end`. `Ok(false)` when one is already waiting.
pub fn enqueue_archived(store: &Store, id: &str, now: DateTime<Utc>) -> Result<bool, String> {
    crate::domain::ids::validate_id(id)?;
    let mut problems = Vec::new();
    let archive = crate::store::read::read_archived(&store.layout, id, &mut problems)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| match problems.first() {
            Some(p) => p.to_string(),
            None => format!("no ended session {id} (SESSION_LOGS/{id}.json)"),
        })?;
    let _guard = crate::store::fsio::lock(&store.layout.lock(), crate::store::fsio::lock_timeout())
        .map_err(|e| e.to_string())?;
    outbox::enqueue_session(&store.layout, &store.allow, &archive, now, true)
        .map(|id| id.is_some())
        .map_err(|e| e.to_string())
}
