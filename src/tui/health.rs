//! The Health pane's state: one [`Tracker`] per enabled service, the plan of checks (which
//! service to check when), and what the pane and the detail view say about each. Pure, like
//! the rest of `App`: checks are asked for with [`HealthEffect`]s, and their results come
//! back as `Action::HealthChecked`. The runtime side ([`Runner`]) owns the timers.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use tokio::sync::mpsc::UnboundedSender;

use crate::domain::services::ServiceConfig;
use crate::domain::time::short_age;
use crate::health::scheduler::Scheduler;
use crate::health::tracker::Tracker;
use crate::health::{CheckResult, Status};

use super::action::{Action, Effect};
use super::app::{App, Change};

/// First checks (and re-checks on `r`) are spread this far apart, in file order, so they
/// do not all fire at once.
pub const STAGGER: Duration = Duration::from_millis(250);

/// What the dashboard asks of the health runner.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthEffect {
    /// Check `service` once after `after`, replacing its pending timer.
    Check {
        service: Box<ServiceConfig>,
        generation: u64,
        after: Duration,
    },
    /// Stop checking this service (removed, disabled or renamed).
    Stop(String),
    /// Ring the terminal bell (a status changed and `BATON_BELL=1`).
    Bell,
}

/// One enabled service being watched.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub config: ServiceConfig,
    /// Bumped whenever the plan for this service changes: results of older plans are
    /// ignored.
    pub generation: u64,
    pub tracker: Tracker,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealthState {
    watched: Vec<Watched>,
    next_generation: u64,
    /// The local time zone, for "up since 10:02" (UTC unless set).
    pub offset: Option<FixedOffset>,
    /// Ring the bell on a status change (`BATON_BELL=1`).
    pub bell: bool,
}

impl HealthState {
    /// `BATON_BELL=1` (or `true`/`yes`) rings the bell on status changes; times show in the
    /// local zone.
    pub fn from_env() -> HealthState {
        let bell = std::env::var("BATON_BELL")
            .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
        HealthState {
            bell,
            offset: Some(*chrono::Local::now().offset()),
            ..HealthState::default()
        }
    }

    pub fn get(&self, name: &str) -> Option<&Watched> {
        self.watched.iter().find(|w| w.config.name == name)
    }

    pub fn watched(&self) -> &[Watched] {
        &self.watched
    }

    /// Brings the plan in line with the services as configured now (after every read of
    /// the directory): new or changed services are checked soon, staggered; removed or
    /// disabled ones stop; unchanged ones keep their timers and history. A changed URL or
    /// method starts a fresh history.
    pub fn plan(&mut self, services: &[ServiceConfig]) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut next: Vec<Watched> = Vec::new();
        let mut old = std::mem::take(&mut self.watched);
        for config in services.iter().filter(|s| s.enabled) {
            // Names identify services: a repeated name is checked once.
            if next.iter().any(|w| w.config.name == config.name) {
                continue;
            }
            let previous = old
                .iter()
                .position(|w| w.config.name == config.name)
                .map(|i| old.swap_remove(i));
            let watched = match previous {
                Some(w) if w.config == *config => w,
                previous => {
                    self.next_generation += 1;
                    let tracker = previous
                        .filter(|w| w.config.url == config.url && w.config.method == config.method)
                        .map(|w| w.tracker)
                        .unwrap_or_default();
                    let w = Watched {
                        config: config.clone(),
                        generation: self.next_generation,
                        tracker,
                    };
                    effects.push(check(&w, stagger(next.len())));
                    w
                }
            };
            next.push(watched);
        }
        effects.extend(
            old.into_iter()
                .map(|w| Effect::Health(HealthEffect::Stop(w.config.name))),
        );
        self.watched = next;
        effects
    }

    /// `r`: every service checked now (staggered), whatever its timer said.
    pub fn recheck(&self) -> Vec<Effect> {
        self.watched
            .iter()
            .enumerate()
            .map(|(i, w)| check(w, stagger(i)))
            .collect()
    }

    /// Records a result. Returns the change of the shown status (if any) and the next check;
    /// `None` when the result belongs to an outdated plan.
    pub fn record(
        &mut self,
        name: &str,
        generation: u64,
        result: CheckResult,
    ) -> Option<(Option<String>, Effect)> {
        let w = self
            .watched
            .iter_mut()
            .find(|w| w.config.name == name && w.generation == generation)?;
        let change = w.tracker.record(result).map(|t| {
            let mut what = format!("{} is {}", w.config.name, t.to);
            if let Some(r) = t.reason.as_deref().filter(|_| t.to != Status::Up) {
                what.push_str(&format!(": {r}"));
            }
            what
        });
        let interval = Duration::from_secs(w.config.interval_s);
        let next = check(w, w.tracker.next_delay(interval));
        Some((change, next))
    }

    /// The clock-dependent text of the pane ("down for 4 m"), so a tick redraws when it moves.
    pub fn clock_face(&self, now: DateTime<Utc>) -> String {
        self.watched
            .iter()
            .map(|w| since_text(w, now, self.offset))
            .collect()
    }
}

fn check(w: &Watched, after: Duration) -> Effect {
    Effect::Health(HealthEffect::Check {
        service: Box::new(w.config.clone()),
        generation: w.generation,
        after,
    })
}

fn stagger(i: usize) -> Duration {
    STAGGER.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX))
}

/// "up since 10:02", "down for 4 m", "degraded for 12 s", "checking…".
pub fn since_text(w: &Watched, now: DateTime<Utc>, offset: Option<FixedOffset>) -> String {
    let (Some(status), Some(since)) = (w.tracker.status(), w.tracker.since()) else {
        return "checking…".into();
    };
    match status {
        Status::Up => {
            let offset = offset.unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"));
            let (local, today) = (
                since.with_timezone(&offset),
                now.with_timezone(&offset).date_naive(),
            );
            if local.date_naive() == today {
                format!("up since {}", local.format("%H:%M"))
            } else {
                format!("up since {}", local.format("%b %-d"))
            }
        }
        Status::Degraded | Status::Down => {
            format!("{status} for {}", short_age((now - since).num_seconds()))
        }
    }
}

/// "12 ms", "1.5 s", "—".
pub fn latency_text(ms: Option<u64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 10_000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

/// The status glyph: distinct shapes, so the pane reads without colour too.
pub fn glyph(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Up) => "●",
        Some(Status::Degraded) => "◐",
        Some(Status::Down) => "✕",
        None => "·",
    }
}

impl App {
    /// A check finished: record it; a change of the shown status goes to the footer (and
    /// the bell); the next check is planned.
    pub(super) fn on_health_checked(
        &mut self,
        name: String,
        generation: u64,
        result: CheckResult,
    ) -> Vec<Effect> {
        let at = result.checked_at;
        let Some((change, next)) = self.health.record(&name, generation, result) else {
            return Vec::new();
        };
        self.dirty = true;
        let mut effects = vec![next];
        if let Some(what) = change {
            self.last_change = Some(Change { what, at });
            if self.health.bell {
                effects.push(Effect::Health(HealthEffect::Bell));
            }
        }
        effects
    }
}

/// The runtime's side: starts the timer thread and carries out [`HealthEffect`]s.
pub struct Runner {
    scheduler: Scheduler,
}

impl Runner {
    /// Results arrive on `tx` as `Action::HealthChecked`.
    pub fn start(tx: UnboundedSender<Action>) -> Runner {
        let scheduler = Scheduler::start(Box::new(move |service, generation, result| {
            let _ = tx.send(Action::HealthChecked {
                service,
                generation,
                result: Box::new(result),
            });
        }));
        Runner { scheduler }
    }

    pub fn run(&self, effect: HealthEffect) {
        match effect {
            HealthEffect::Check {
                service,
                generation,
                after,
            } => self.scheduler.schedule(*service, generation, after),
            HealthEffect::Stop(name) => self.scheduler.stop(&name),
            HealthEffect::Bell => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Kind;
    use serde_json::json;

    fn svc(name: &str, extra: serde_json::Value) -> ServiceConfig {
        let mut v = json!({"name": name, "url": format!("http://127.0.0.1:1/{name}")});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    fn checks(effects: &[Effect]) -> Vec<(String, u64, Duration)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Health(HealthEffect::Check {
                    service,
                    generation,
                    after,
                }) => Some((service.name.clone(), *generation, *after)),
                _ => None,
            })
            .collect()
    }

    fn stops(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Health(HealthEffect::Stop(n)) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn plan_staggers_new_services_and_diffs_edits() {
        let mut h = HealthState::default();
        let a = svc("a", json!({}));
        let b = svc("b", json!({}));
        let off = svc("off", json!({"enabled": false}));
        let e = h.plan(&[a.clone(), off.clone(), b.clone()]);
        assert_eq!(
            checks(&e),
            [("a".into(), 1, Duration::ZERO), ("b".into(), 2, STAGGER)]
        );
        // The same services again (any other file changed): nothing to do.
        assert!(h.plan(&[a.clone(), off.clone(), b.clone()]).is_empty());
        // b's interval changes, a disappears, c is new.
        let b2 = svc("b", json!({"interval_s": 5}));
        let c = svc("c", json!({}));
        let e = h.plan(&[b2.clone(), c.clone()]);
        assert_eq!(
            checks(&e),
            [("b".into(), 3, Duration::ZERO), ("c".into(), 4, STAGGER)]
        );
        assert_eq!(stops(&e), ["a"]);
        // Disabling stops it.
        let e = h.plan(&[svc("b", json!({"interval_s": 5, "enabled": false})), c]);
        assert_eq!(stops(&e), ["b"]);
        assert!(checks(&e).is_empty());
    }

    fn result(status: Status, at: i64) -> CheckResult {
        CheckResult {
            status,
            kind: if status == Status::Down {
                Kind::Refused
            } else {
                Kind::Ok
            },
            reason: (status == Status::Down).then(|| "connection refused".into()),
            latency_ms: (status != Status::Down).then_some(7),
            http_status: None,
            checked_at: DateTime::from_timestamp(1_763_287_200 + at, 0).unwrap(),
        }
    }

    #[test]
    fn results_of_outdated_plans_are_ignored_and_changes_reported() {
        let mut h = HealthState::default();
        h.plan(&[svc("a", json!({"interval_s": 30}))]);
        assert!(h.record("a", 99, result(Status::Up, 0)).is_none());
        assert!(h.record("zzz", 1, result(Status::Up, 0)).is_none());
        let (change, next) = h.record("a", 1, result(Status::Up, 0)).unwrap();
        assert_eq!(change, None);
        assert_eq!(checks(&[next]), [("a".into(), 1, Duration::from_secs(30))]);
        let (change, next) = h.record("a", 1, result(Status::Down, 30)).unwrap();
        assert_eq!(change, None);
        assert_eq!(checks(&[next])[0].2, crate::health::tracker::CONFIRM);
        let (change, _) = h.record("a", 1, result(Status::Down, 33)).unwrap();
        assert_eq!(change.as_deref(), Some("a is down: connection refused"));
    }

    #[test]
    fn since_reads_as_a_time_or_a_duration() {
        let mut h = HealthState::default();
        h.plan(&[svc("a", json!({}))]);
        let now = DateTime::from_timestamp(1_763_287_200 + 300, 0).unwrap();
        assert_eq!(since_text(&h.watched()[0], now, None), "checking…");
        h.record("a", 1, result(Status::Up, 0));
        // 1_763_287_200 is 2025-11-16T10:00:00Z.
        assert_eq!(since_text(&h.watched()[0], now, None), "up since 10:00");
        let plus2 = FixedOffset::east_opt(2 * 3600);
        assert_eq!(since_text(&h.watched()[0], now, plus2), "up since 12:00");
        let next_day = now + chrono::Duration::days(1);
        assert_eq!(
            since_text(&h.watched()[0], next_day, None),
            "up since Nov 16"
        );
        h.record("a", 1, result(Status::Down, 10));
        h.record("a", 1, result(Status::Down, 60));
        assert_eq!(since_text(&h.watched()[0], now, None), "down for 4 m");
        assert_eq!(latency_text(Some(12)), "12 ms");
        assert_eq!(latency_text(Some(12_345)), "12.3 s");
        assert_eq!(latency_text(None), "—");
    }
}
