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
use crate::store::snapshot::{handoff_text, load_board, load_board_newest};

use super::action::{Action, Effect};
use super::app::App;
use super::drafts::{DraftOp, DraftWriter};
use super::ui;
use super::watch::{DirWatcher, Hint};

/// How long the watcher's hints are gathered before one re-read: editors save in bursts
/// (write temp, rename, chmod), and one read per burst is enough.
const DEBOUNCE: Duration = Duration::from_millis(40);

pub async fn run(mut terminal: DefaultTerminal, mut app: App, store: Store) -> std::io::Result<()> {
    super::memory::tune();
    let store = std::sync::Arc::new(store);
    let (task_tx, mut task_rx) = mpsc::unbounded_channel::<Action>();
    let (hint_tx, mut hint_rx) = mpsc::unbounded_channel::<Hint>();
    let mut watcher = DirWatcher::new(app.dir.clone(), hint_tx).ok();
    // Health checks run on their own thread; results come back as actions.
    let health = super::health::Runner::start(task_tx.clone());
    let drafts = DraftWriter::start(store.clone(), task_tx.clone());
    let mut events = EventStream::new();
    let mut signals = Signals::new();

    let mut loads = Loads::default();
    let mut pending_paths: BTreeSet<PathBuf> = BTreeSet::new();
    let mut rescan = false;
    let mut debounce: Option<Instant> = None;
    // The next delivery of the memory-server outbox, only while items wait.
    let mut sync_at: Option<Instant> = None;
    let mut clock = tokio::time::interval_at(next_second(), Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut effects = app.init();
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Load => loads.request(&store, &task_tx),
                Effect::Health(e) => health.run(e),
                Effect::SaveDraft { name, draft } => drafts.send(DraftOp::Save { name, draft }),
                Effect::DeleteDraft(name) => drafts.send(DraftOp::Delete(name)),
                Effect::Sync(after) => {
                    let at = Instant::now() + after;
                    sync_at = Some(sync_at.map_or(at, |t| t.min(at)));
                }
                Effect::EditExternally(text) => {
                    // The dashboard steps aside for the editor, then takes the screen back.
                    drop(events);
                    // Dropping the stream wakes crossterm's shared reader, and nothing is
                    // reading now, so the wake waits. Left there, it would come back in one
                    // batch with the first keys typed after the editor, be handled first, and
                    // leave those keys unread until the next one. Take it now.
                    let _ = crossterm::event::poll(Duration::ZERO);
                    let edited = edit_externally(&text);
                    terminal = super::resume_terminal()?;
                    events = EventStream::new();
                    let _ = task_tx.send(Action::ExternalEdited(edited));
                    app.dirty = true;
                }
                other => spawn_effect(other, &store, &task_tx),
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
            _ = sleep_until(sync_at.unwrap_or_else(Instant::now)), if sync_at.is_some() => {
                sync_at = None;
                let (store, tx) = (store.clone(), task_tx.clone());
                tokio::task::spawn_blocking(move || {
                    let report = crate::sync::memory::flush_due(&store, Utc::now())
                        .unwrap_or_default();
                    let _ = tx.send(Action::Synced(Box::new(report)));
                });
                continue;
            }
            _ = clock.tick() => Action::Tick(Utc::now()),
            Some(done) = task_rx.recv() => {
                log_failure(&store, &done);
                if matches!(done, Action::Loaded(_)) && loads.finished() {
                    loads.request(&store, &task_tx);
                }
                done
            }
            () = signals.recv() => return Ok(()),
        };
        let big_read = matches!(
            action,
            Action::Loaded(_) | Action::HistoryLoaded(_) | Action::TimelineLoaded(_)
        );
        effects = app.update(action);
        if big_read {
            // What the read built is the app's now and what it replaced is freed: give the
            // pages back, off this thread (a trim walks the heaps, a few milliseconds).
            tokio::task::spawn_blocking(super::memory::release_freed);
        }
    }
}

/// Failures also go to `.baton/dashboard.log` (the screen only shows the latest): the
/// dashboard never prints to the terminal it draws on.
fn log_failure(store: &Store, action: &Action) {
    let what = match action {
        Action::Loaded(result) => match result.as_ref() {
            Err(e) => format!("reading the directory failed: {e}"),
            Ok(_) => return,
        },
        Action::Written(Err(e)) => format!("a write failed: {e}"),
        _ => return,
    };
    let path = store.layout.private_dir().join("dashboard.log");
    let line = format!(
        "{} {}",
        crate::domain::time::format_timestamp(Utc::now()),
        crate::domain::logs::one_line(&what)
    );
    let _ = crate::store::fsio::append_line(&path, &line);
}

/// Runs an effect that reads or writes the directory on a blocking task; its answer comes
/// back as an action.
fn spawn_effect(effect: Effect, store: &std::sync::Arc<Store>, tx: &mpsc::UnboundedSender<Action>) {
    let (store, tx) = (store.clone(), tx.clone());
    tokio::task::spawn_blocking(move || {
        let action = match effect {
            Effect::LoadHandoff(file) => {
                let text = handoff_text(&store, &file)
                    .unwrap_or_else(|e| format!("(could not read: {e})"));
                Action::HandoffLoaded { file, text }
            }
            Effect::Write(op) => Action::Written(super::write::run(&store, op, Utc::now())),
            Effect::LoadDrafts => Action::DraftsLoaded(store.load_drafts().unwrap_or_default()),
            Effect::LoadHistory => Action::HistoryLoaded(Box::new(
                crate::store::history::load_history(&store).map_err(|e| e.to_string()),
            )),
            Effect::LoadSessionView(id) => Action::SessionViewLoaded {
                view: Box::new(
                    crate::store::history::session_view(&store, &id).map_err(|e| e.to_string()),
                ),
                id,
            },
            Effect::LoadTimeline(base) => Action::TimelineLoaded(Box::new(
                crate::store::timeline::timeline_of(
                    &store,
                    &base.history,
                    &base.index,
                    Utc::now(),
                    crate::domain::timeline::Order::NewestFirst,
                )
                .map_err(|e| e.to_string()),
            )),
            Effect::Search(query) => {
                let result = crate::domain::search::Query::parse(&query).and_then(|q| {
                    crate::store::history::search(&store, &q, 200).map_err(|e| e.to_string())
                });
                Action::SearchResults {
                    query,
                    result: Box::new(result),
                }
            }
            Effect::CaptureGit { session_id, since } => {
                let window = crate::store::git::capture(&store.layout.root, since, Utc::now());
                Action::GitCaptured {
                    session_id,
                    commits: window.commits,
                    files: window.files,
                }
            }
            Effect::Load
            | Effect::SaveDraft { .. }
            | Effect::DeleteDraft(_)
            | Effect::Quit
            | Effect::EditExternally(_)
            | Effect::Health(_)
            | Effect::Sync(_) => return,
        };
        let _ = tx.send(action);
    });
}

/// Writes `text` to a temp file, runs `$VISUAL` / `$EDITOR` (else `vi`) on it, reads it back.
fn edit_externally(text: &str) -> Option<String> {
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        crossterm::event::DisableBracketedPaste
    );
    ratatui::restore();
    let path = std::env::temp_dir().join(format!("baton-field-{}.md", std::process::id()));
    // Files end with a newline; editors and tools expect one.
    std::fs::write(&path, format!("{text}\n")).ok()?;
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let editor = set("VISUAL")
        .or_else(|| set("EDITOR"))
        .unwrap_or_else(|| "vi".into());
    // The editor may carry arguments (`code --wait`): let the shell split them.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path).ok(),
        _ => None,
    };
    let _ = std::fs::remove_file(&path);
    result
}

/// At most one directory read in flight; changes during it queue exactly one more.
#[derive(Default)]
struct Loads {
    running: bool,
    queued: bool,
    /// The first read has been asked for (it comes in two parts, see `Action::LoadedPreview`).
    started: bool,
}

/// Decisions in the first read's quick part: more than a screen of the timeline shows.
const PREVIEW_DECISIONS: usize = 200;

impl Loads {
    fn request(&mut self, store: &std::sync::Arc<Store>, tx: &mpsc::UnboundedSender<Action>) {
        if self.running {
            self.queued = true;
            return;
        }
        self.running = true;
        let first = !std::mem::replace(&mut self.started, true);
        let (store, tx) = (store.clone(), tx.clone());
        tokio::task::spawn_blocking(move || {
            if first {
                let preview = load_board_newest(&store, PREVIEW_DECISIONS);
                let _ = tx.send(Action::LoadedPreview(Box::new(
                    preview.map_err(|e| e.to_string()),
                )));
            }
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
