//! The part of `update` that keeps the memory-server outbox moving: while items wait, ask
//! the runtime for one delivery when the earliest is due; when none wait, ask for nothing
//! (an idle dashboard sets no timer for an empty outbox).

use std::time::Duration;

use crate::sync::memory::FlushReport;

use super::action::Effect;
use super::app::App;

/// The shortest wait between two deliveries the dashboard asks for.
const MIN_WAIT: Duration = Duration::from_secs(1);

impl App {
    /// After a reload: a delivery now if items wait and none is asked for yet.
    pub(super) fn sync_effects(&mut self) -> Option<Effect> {
        if self.board.outbox_waiting == 0 || self.sync_scheduled {
            return None;
        }
        self.sync_scheduled = true;
        Some(Effect::Sync(Duration::ZERO))
    }

    /// A delivery finished: the footer's count, and the next delivery when one is due.
    pub(super) fn on_synced(&mut self, report: FlushReport) -> Vec<Effect> {
        self.sync_scheduled = false;
        if self.board.outbox_waiting != report.waiting {
            self.board.outbox_waiting = report.waiting;
            self.dirty = true;
        }
        if !report.sent.is_empty() {
            let n = report.sent.len();
            self.notice = Some(format!(
                "delivered {n} session{} to the memory server",
                if n == 1 { "" } else { "s" }
            ));
            self.dirty = true;
        }
        match report.next_due {
            Some(due) if report.waiting > 0 => {
                let wait = (due - self.now).to_std().unwrap_or_default().max(MIN_WAIT);
                self.sync_scheduled = true;
                vec![Effect::Sync(wait)]
            }
            _ => Vec::new(),
        }
    }
}
