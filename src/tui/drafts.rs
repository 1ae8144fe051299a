//! Form drafts reach the disk through one writer thread, in the order they were made.
//!
//! A draft is saved on every keystroke. Saved on separate tasks, an older draft could be
//! renamed into place after a newer one (nothing types again to fix it), and a draft saved
//! just after its form was cancelled could reappear. One thread applies the operations in
//! order and, when it falls behind, writes only the latest operation of each draft.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::store::Store;

use super::action::Action;

/// What happens to one draft (named by its form).
#[derive(Debug, Clone, PartialEq)]
pub enum DraftOp {
    Save { name: String, draft: Value },
    Delete(String),
}

impl DraftOp {
    fn name(&self) -> &str {
        match self {
            DraftOp::Save { name, .. } | DraftOp::Delete(name) => name,
        }
    }
}

/// The last operation of each draft in `ops`, in the order those last operations came.
/// An earlier operation on the same draft is replaced by the later one, so it can be skipped.
pub fn latest_of_each(ops: Vec<DraftOp>) -> Vec<DraftOp> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        last.insert(op.name(), i);
    }
    let keep: Vec<bool> = (0..ops.len())
        .map(|i| last.get(ops[i].name()) == Some(&i))
        .collect();
    ops.into_iter()
        .zip(keep)
        .filter_map(|(op, keep)| keep.then_some(op))
        .collect()
}

/// The writer thread. Dropping it lets the thread finish what was sent, then joins it, so
/// the dashboard quits only after the last draft is on disk.
pub struct DraftWriter {
    tx: Option<Sender<DraftOp>>,
    thread: Option<JoinHandle<()>>,
}

impl DraftWriter {
    /// A failed save comes back on `tx` as a failed write (it is shown and logged).
    pub fn start(store: Arc<Store>, tx: UnboundedSender<Action>) -> DraftWriter {
        let (ops_tx, ops_rx) = channel();
        let thread = std::thread::Builder::new()
            .name("baton-drafts".into())
            .spawn(move || write_until_closed(&store, &ops_rx, &tx))
            .ok();
        DraftWriter {
            tx: Some(ops_tx),
            thread,
        }
    }

    pub fn send(&self, op: DraftOp) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(op);
        }
    }
}

impl Drop for DraftWriter {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_until_closed(store: &Store, ops: &Receiver<DraftOp>, tx: &UnboundedSender<Action>) {
    while let Ok(first) = ops.recv() {
        let burst: Vec<DraftOp> = std::iter::once(first).chain(ops.try_iter()).collect();
        for op in latest_of_each(burst) {
            let result = match &op {
                DraftOp::Save { name, draft } => store.save_draft(name, draft),
                DraftOp::Delete(name) => store.delete_draft(name),
            };
            if let Err(e) = result {
                let _ = tx.send(Action::Written(Err(format!("draft not kept: {e}"))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn save(name: &str, text: &str) -> DraftOp {
        DraftOp::Save {
            name: name.into(),
            draft: json!({ "text": text }),
        }
    }

    #[test]
    fn only_the_last_operation_of_each_draft_is_kept_in_the_order_they_came() {
        let ops = vec![
            save("decision", "R"),
            save("handoff", "a"),
            save("decision", "Ro"),
            DraftOp::Delete("handoff".into()),
            save("decision", "Rol"),
        ];
        assert_eq!(
            latest_of_each(ops),
            vec![DraftOp::Delete("handoff".into()), save("decision", "Rol")]
        );
        assert_eq!(latest_of_each(Vec::new()), Vec::new());
    }

    #[test]
    fn a_burst_of_saves_leaves_the_last_draft_and_a_delete_after_them_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let text = "Rollbacks are one command";
        let writer = DraftWriter::start(store.clone(), tx.clone());
        for end in 1..=text.len() {
            writer.send(save("decision", &text[..end]));
        }
        drop(writer); // waits for the thread to finish what was sent
        let drafts = store.load_drafts().unwrap();
        assert_eq!(drafts, vec![("decision".into(), json!({ "text": text }))]);

        let writer = DraftWriter::start(store.clone(), tx);
        for end in 1..=text.len() {
            writer.send(save("decision", &text[..end]));
        }
        writer.send(DraftOp::Delete("decision".into()));
        drop(writer);
        assert_eq!(store.load_drafts().unwrap(), Vec::new());
        assert!(rx.try_recv().is_err(), "no save failed");
    }
}
