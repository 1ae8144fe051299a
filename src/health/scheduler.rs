//! The dashboard's check timers, on a thread of their own: one small tokio runtime with one
//! task per service, sleeping until its next check. The dashboard's loop only sends
//! "check X after D" and "stop X" and gets results back through a callback, so neither a
//! slow service nor a stuck name lookup can hold up a frame or a directory read. With nothing
//! due, the thread sleeps.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::services::ServiceConfig;

use super::check::{check_once, client};
use super::status::{CheckResult, Kind};

enum Order {
    Schedule {
        service: Box<ServiceConfig>,
        generation: u64,
        after: Duration,
    },
    Stop(String),
}

/// Where results go: (service name, generation, result).
pub type OnResult = dyn Fn(String, u64, CheckResult) + Send + Sync + 'static;

/// Handle to the timer thread; dropping it stops every timer.
pub struct Scheduler {
    tx: mpsc::UnboundedSender<Order>,
}

impl Scheduler {
    /// Starts the thread. If it cannot start, orders are dropped (the pane then keeps saying
    /// "checking…"; nothing else is affected).
    pub fn start(on_result: Box<OnResult>) -> Scheduler {
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = std::thread::Builder::new()
            .name("baton-health".into())
            .spawn(move || run(rx, on_result.into()));
        Scheduler { tx }
    }

    /// Checks `service` once after `after`, replacing its pending timer (and any check of it
    /// still running). The result carries `generation` back.
    pub fn schedule(&self, service: ServiceConfig, generation: u64, after: Duration) {
        let _ = self.tx.send(Order::Schedule {
            service: Box::new(service),
            generation,
            after,
        });
    }

    /// Cancels the service's timer and any running check.
    pub fn stop(&self, name: &str) {
        let _ = self.tx.send(Order::Stop(name.to_string()));
    }
}

fn run(mut rx: mpsc::UnboundedReceiver<Order>, on_result: std::sync::Arc<OnResult>) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        let client = client();
        let mut tasks: HashMap<String, JoinHandle<()>> = HashMap::new();
        while let Some(order) = rx.recv().await {
            tasks.retain(|_, t| !t.is_finished());
            match order {
                Order::Stop(name) => {
                    if let Some(t) = tasks.remove(&name) {
                        t.abort();
                    }
                }
                Order::Schedule {
                    service,
                    generation,
                    after,
                } => {
                    if let Some(t) = tasks.remove(&service.name) {
                        t.abort();
                    }
                    let name = service.name.clone();
                    let client = client.clone();
                    let on_result = on_result.clone();
                    let task = tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let result = match &client {
                            Ok(c) => check_once(c, &service).await,
                            Err(e) => CheckResult::failed(&service, Kind::Other, e, Utc::now()),
                        };
                        on_result(service.name, generation, result);
                    });
                    tasks.insert(name, task);
                }
            }
        }
    });
    // The dashboard is gone: do not wait for a name lookup stuck in the blocking pool.
    rt.shutdown_background();
}
