//! One service's health over time, as a pure state machine: checks go in (each carrying its
//! own time), the shown status comes out. A status change needs [`AGREE`] of the last
//! [`WINDOW`] checks to agree, so one blip does not flap the pane; a suspected change is
//! re-checked soon ([`CONFIRM`]) so a real one shows quickly; a service that stays down is
//! checked less and less often (the interval doubles, up to [`MAX_BACKOFF`]).

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::status::{CheckResult, Status};

/// How many recent checks the threshold looks at.
pub const WINDOW: usize = 3;
/// How many of them must agree to change the shown status.
pub const AGREE: usize = 2;
/// Latencies kept for the sparkline.
pub const HISTORY: usize = 60;
/// Whole results kept for the detail view.
pub const LOG: usize = 10;
/// The longest wait between checks of a service that stays down.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// The wait before re-checking when the last check disagrees with the shown status.
pub const CONFIRM: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tracker {
    status: Option<Status>,
    reason: Option<String>,
    since: Option<DateTime<Utc>>,
    /// The last [`WINDOW`] raw statuses, oldest first.
    recent: VecDeque<Status>,
    /// Latency of the last [`HISTORY`] checks (`None`: no answer), oldest first.
    latencies: VecDeque<Option<u64>>,
    /// The last [`LOG`] results, newest first.
    log: VecDeque<CheckResult>,
    /// Consecutive raw DOWN results.
    down_streak: u32,
}

/// The shown status changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl Tracker {
    /// Records one check; returns the change of the shown status, if it changed. The first
    /// check sets the status without a transition (there was nothing to change from).
    pub fn record(&mut self, result: CheckResult) -> Option<Transition> {
        let raw = result.status;
        let at = result.checked_at;
        let reason = result.reason.clone();
        push_capped(&mut self.recent, raw, WINDOW);
        push_capped(&mut self.latencies, result.latency_ms, HISTORY);
        self.log.push_front(result);
        self.log.truncate(LOG);
        self.down_streak = if raw == Status::Down {
            self.down_streak.saturating_add(1)
        } else {
            0
        };
        match self.status {
            None => {
                self.status = Some(raw);
                self.since = Some(at);
                self.reason = reason;
                None
            }
            Some(current) if current == raw => {
                self.reason = reason;
                None
            }
            Some(current) => {
                let agreeing = self.recent.iter().filter(|&&s| s == raw).count();
                if agreeing < AGREE {
                    return None;
                }
                self.status = Some(raw);
                self.since = Some(at);
                self.reason = reason.clone();
                Some(Transition {
                    from: current,
                    to: raw,
                    at,
                    reason,
                })
            }
        }
    }

    /// How long to wait before the next check, given the configured interval.
    pub fn next_delay(&self, interval: Duration) -> Duration {
        let interval = interval.max(Duration::from_secs(1));
        if self.pending().is_some() {
            return interval.min(CONFIRM);
        }
        if self.status == Some(Status::Down) && self.down_streak > 1 {
            let cap = MAX_BACKOFF.max(interval);
            let factor = 1u32 << (self.down_streak - 1).min(16);
            return interval.saturating_mul(factor).min(cap);
        }
        interval
    }

    /// The shown status; `None` until the first check.
    pub fn status(&self) -> Option<Status> {
        self.status
    }

    /// Why the service has the shown status (from the latest check that agreed with it).
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// When the shown status began.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.since
    }

    /// The last check's status when it disagrees with the shown one (a change not yet
    /// confirmed).
    pub fn pending(&self) -> Option<Status> {
        let last = *self.recent.back()?;
        (Some(last) != self.status).then_some(last)
    }

    pub fn last(&self) -> Option<&CheckResult> {
        self.log.front()
    }

    /// The last results, newest first.
    pub fn log(&self) -> impl Iterator<Item = &CheckResult> {
        self.log.iter()
    }

    /// Latencies of the last checks, oldest first (`None`: no answer).
    pub fn latencies(&self) -> impl DoubleEndedIterator<Item = Option<u64>> + ExactSizeIterator {
        self.latencies.iter().copied()
    }
}

fn push_capped<T>(q: &mut VecDeque<T>, item: T, cap: usize) {
    if q.len() == cap {
        q.pop_front();
    }
    q.push_back(item);
}

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A check that got no answer.
pub const NO_ANSWER: char = '×';

/// The last `width` latencies as block characters, scaled to the largest of them but never
/// to less than `floor` ms (so a steady 3 ms service reads flat, not as noise).
pub fn sparkline(latencies: &[Option<u64>], width: usize, floor: u64) -> String {
    let shown = &latencies[latencies.len().saturating_sub(width)..];
    let top = shown
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(floor)
        .max(1);
    shown
        .iter()
        .map(|l| match l {
            None => NO_ANSWER,
            Some(ms) => {
                let level = (ms.saturating_mul(8)).div_ceil(top).clamp(1, 8);
                BLOCKS[level as usize - 1]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::status::Kind;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_287_200 + s, 0).unwrap()
    }

    fn check(status: Status, s: i64) -> CheckResult {
        CheckResult {
            status,
            kind: if status == Status::Up {
                Kind::Ok
            } else {
                Kind::Refused
            },
            reason: (status != Status::Up).then(|| "connection refused".to_string()),
            latency_ms: (status == Status::Up).then_some(10),
            http_status: None,
            checked_at: at(s),
        }
    }

    #[test]
    fn first_check_sets_the_status_without_a_transition() {
        let mut t = Tracker::default();
        assert_eq!(t.status(), None);
        assert_eq!(t.record(check(Status::Down, 0)), None);
        assert_eq!(t.status(), Some(Status::Down));
        assert_eq!(t.since(), Some(at(0)));
        assert_eq!(t.reason(), Some("connection refused"));
    }

    #[test]
    fn one_blip_does_not_flap() {
        let mut t = Tracker::default();
        t.record(check(Status::Up, 0));
        assert_eq!(t.record(check(Status::Down, 30)), None);
        assert_eq!(t.status(), Some(Status::Up));
        assert_eq!(t.pending(), Some(Status::Down));
        assert_eq!(t.record(check(Status::Up, 33)), None);
        assert_eq!(t.pending(), None);
        assert_eq!(t.since(), Some(at(0)));
    }

    #[test]
    fn two_of_three_change_it() {
        let mut t = Tracker::default();
        t.record(check(Status::Up, 0));
        t.record(check(Status::Down, 30));
        let tr = t.record(check(Status::Down, 33)).expect("a transition");
        assert_eq!((tr.from, tr.to, tr.at), (Status::Up, Status::Down, at(33)));
        assert_eq!(t.since(), Some(at(33)));
        // Non-adjacent agreement counts too: down, up, down.
        let mut t = Tracker::default();
        t.record(check(Status::Up, 0));
        t.record(check(Status::Up, 1));
        t.record(check(Status::Down, 2));
        t.record(check(Status::Up, 3));
        assert!(t.record(check(Status::Down, 4)).is_some());
    }

    #[test]
    fn suspected_changes_are_confirmed_soon_and_down_backs_off() {
        let interval = Duration::from_secs(30);
        let mut t = Tracker::default();
        t.record(check(Status::Up, 0));
        assert_eq!(t.next_delay(interval), interval);
        t.record(check(Status::Down, 30));
        assert_eq!(t.next_delay(interval), CONFIRM);
        let mut delays = Vec::new();
        for i in 0..8 {
            t.record(check(Status::Down, 33 + i));
            delays.push(t.next_delay(interval).as_secs());
        }
        assert_eq!(delays, [60, 120, 240, 300, 300, 300, 300, 300]);
        t.record(check(Status::Up, 1000));
        assert_eq!(t.next_delay(interval), CONFIRM);
        t.record(check(Status::Up, 1003));
        assert_eq!(t.status(), Some(Status::Up));
        assert_eq!(t.next_delay(interval), interval);
        // An interval beyond the cap is kept, never shortened by the backoff.
        let mut t = Tracker::default();
        for i in 0..4 {
            t.record(check(Status::Down, i));
        }
        assert_eq!(
            t.next_delay(Duration::from_secs(600)),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn history_and_log_are_bounded() {
        let mut t = Tracker::default();
        for i in 0..100 {
            t.record(check(Status::Up, i));
        }
        assert_eq!(t.latencies().len(), HISTORY);
        assert_eq!(t.log().count(), LOG);
        assert_eq!(t.last().unwrap().checked_at, at(99));
    }

    #[test]
    fn sparkline_scales_and_marks_failures() {
        let l = [Some(10), Some(80), None, Some(40), Some(1)];
        assert_eq!(sparkline(&l, 10, 1), "▁█×▄▁");
        assert_eq!(sparkline(&l, 2, 1), "█▁");
        // A floor keeps small jitter flat.
        assert_eq!(sparkline(&[Some(3), Some(5), Some(4)], 3, 100), "▁▁▁");
        assert_eq!(sparkline(&[], 5, 100), "");
    }
}
