//! The dashboard's event loop: waits on terminal input, the watcher, the one-second clock
//! and finished tasks; turns each into an `Action`; runs the `Effect`s that `update`
//! returns; draws only when the app says something changed. With nothing happening it
//! sleeps: the only timer is the clock, once a second.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::store::Store;
use crate::store::snapshot::{handoff_text, load_board};

use super::action::{Action, Effect};
use super::app::App;
use super::ui;
use super::watch::{DirWatcher, Hint};

/// How long the watcher's hints are gathered before one re-read: editors save in bursts
/// (write temp, rename, chmod), and one read per burst is enough.
const DEBOUNCE: Duration = Duration::from_millis(40);

pub async fn run(mut terminal: DefaultTerminal, mut app: App, store: Store) -> std::io::Result<()> {
    let store = std::sync::Arc::new(store);
    let (task_tx, mut task_rx) = mpsc::unbounded_channel::<Action>();
    let (hint_tx, mut hint_rx) = mpsc::unbounded_channel::<Hint>();
    let mut watcher = DirWatcher::new(app.dir.clone(), hint_tx).ok();
    let mut events = EventStream::new();
    let mut signals = Signals::new();

    let mut loads = Loads::default();
    let mut pending_paths: BTreeSet<PathBuf> = BTreeSet::new();
    let mut rescan = false;
    let mut debounce: Option<Instant> = None;
    let mut clock = tokio::time::interval_at(next_second(), Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut effects = app.init();
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Load => loads.request(&store, &task_tx),
                Effect::LoadHandoff(file) => {
                    let (store, tx) = (store.clone(), task_tx.clone());
                    tokio::task::spawn_blocking(move || {
                        let text = handoff_text(&store, &file)
                            .unwrap_or_else(|e| format!("(could not read: {e})"));
                        let _ = tx.send(Action::HandoffLoaded { file, text });
                    });
                }
            }
        }
        if app.dirty {
            terminal.draw(|frame| ui::render(&app, frame))?;
            app.dirty = false;
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(e)) => match terminal_action(e) {
                    Some(a) => a,
                    None => continue,
                },
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(hint) = hint_rx.recv() => {
                match hint {
                    Hint::Paths(paths) => pending_paths.extend(paths),
                    Hint::Rescan => rescan = true,
                }
                debounce.get_or_insert_with(|| Instant::now() + DEBOUNCE);
                continue;
            }
            _ = sleep_until(debounce.unwrap_or_else(Instant::now)), if debounce.is_some() => {
                debounce = None;
                // The directory may have appeared or vanished: watch the right thing.
                if watcher.as_mut().is_some_and(DirWatcher::replan) {
                    rescan = true;
                }
                let paths: Vec<PathBuf> = std::mem::take(&mut pending_paths).into_iter().collect();
                let removed = paths.iter().filter(|p| !p.exists()).cloned().collect();
                Action::FilesChanged { paths, removed, rescan: std::mem::take(&mut rescan), at: Utc::now() }
            }
            _ = clock.tick() => Action::Tick(Utc::now()),
            Some(done) = task_rx.recv() => {
                if matches!(done, Action::Loaded(_)) && loads.finished() {
                    loads.request(&store, &task_tx);
                }
                done
            }
            () = signals.recv() => return Ok(()),
        };
        effects = app.update(action);
    }
}

/// At most one directory read in flight; changes during it queue exactly one more.
#[derive(Default)]
struct Loads {
    running: bool,
    queued: bool,
}

impl Loads {
    fn request(&mut self, store: &std::sync::Arc<Store>, tx: &mpsc::UnboundedSender<Action>) {
        if self.running {
            self.queued = true;
            return;
        }
        self.running = true;
        let (store, tx) = (store.clone(), tx.clone());
        tokio::task::spawn_blocking(move || {
            let result = load_board(&store).map_err(|e| e.to_string());
            let _ = tx.send(Action::Loaded(Box::new(result)));
        });
    }

    /// Marks the running read done; true if another was queued meanwhile.
    fn finished(&mut self) -> bool {
        self.running = false;
        std::mem::take(&mut self.queued)
    }
}

fn next_second() -> Instant {
    let nanos = Utc::now().timestamp_subsec_nanos() as u64;
    Instant::now() + Duration::from_nanos(1_000_000_000 - nanos.min(999_999_999))
}

fn terminal_action(event: Event) -> Option<Action> {
    match event {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Paste(p) => Some(Action::Paste(p)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// SIGTERM and SIGHUP end the dashboard like `q` does, so the terminal is restored.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    async fn recv(&mut self) {
        let Signals { term, hup } = self;
        let term = async {
            match term {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let hup = async {
            match hup {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = term => {}
            () = hup => {}
        }
    }
}
