//! Durable learner state: the [`LearnerStore`] trait and its embedded default on redb.
//!
//! Per learner the store keeps the sparse mastery vector (one row per node with evidence or
//! derived belief) and the append-only evidence log. Learner ids are opaque strings chosen by
//! the app (1–256 characters, no control characters).

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::evidence::StoredEvent;
use crate::model::{LearnerState, NodeMastery};

/// Why the learner store failed.
#[derive(Debug, thiserror::Error)]
pub enum LearnerStoreError {
    /// The learner id is not acceptable.
    #[error("invalid learner id: {0}")]
    InvalidId(String),
    /// The storage layer failed.
    #[error("learner store: {0}")]
    Storage(String),
}

fn storage(e: impl std::fmt::Display) -> LearnerStoreError {
    LearnerStoreError::Storage(e.to_string())
}

/// Checks a learner id: 1–256 characters, no control characters.
pub fn check_learner_id(id: &str) -> Result<(), LearnerStoreError> {
    if id.is_empty() || id.chars().count() > 256 || id.chars().any(char::is_control) {
        return Err(LearnerStoreError::InvalidId(format!(
            "'{}' must have 1 to 256 characters and no control characters",
            id.escape_debug()
        )));
    }
    Ok(())
}

/// One atomic write for one learner.
#[derive(Clone, Debug, Default)]
pub struct LearnerWrite {
    /// Events to append to the log.
    pub events: Vec<StoredEvent>,
    /// Mastery rows to upsert (node IRI, belief).
    pub mastery: Vec<(String, NodeMastery)>,
    /// Drop every existing mastery row first.
    pub replace_mastery: bool,
}

/// Where learner state lives. The embedded default is [`RedbLearnerStore`]; a shared backend
/// (a key-value cluster, a relational database) can replace it behind this trait.
pub trait LearnerStore: Send + Sync + 'static {
    /// The learner's mastery vector (empty for a learner never seen).
    fn load(&self, learner: &str) -> Result<LearnerState, LearnerStoreError>;
    /// Applies a write atomically and durably; returns when it is on disk.
    fn write(&self, learner: &str, write: LearnerWrite) -> Result<(), LearnerStoreError>;
    /// The learner's evidence log, oldest first.
    fn events(&self, learner: &str) -> Result<Vec<StoredEvent>, LearnerStoreError>;
    /// Erases everything stored about the learner; returns whether there was anything.
    fn erase(&self, learner: &str) -> Result<bool, LearnerStoreError>;
}

/// (learner, node IRI) → encoded [`NodeMastery`].
const MASTERY: TableDefinition<'_, (&str, &str), &[u8]> = TableDefinition::new("mastery");
/// (learner, sequence number) → JSON of a [`StoredEvent`].
const EVENTS: TableDefinition<'_, (&str, u64), &[u8]> = TableDefinition::new("events");

fn encode(m: &NodeMastery) -> [u8; 20] {
    let mut out = [0u8; 20];
    out[0..4].copy_from_slice(&m.p.to_le_bytes());
    out[4..12].copy_from_slice(&m.last_practised.unwrap_or(i64::MIN).to_le_bytes());
    out[12..16].copy_from_slice(&m.attempts.to_le_bytes());
    out[16..20].copy_from_slice(&m.correct.to_le_bytes());
    out
}

fn decode(bytes: &[u8]) -> Option<NodeMastery> {
    let p = f32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?);
    let last = i64::from_le_bytes(bytes.get(4..12)?.try_into().ok()?);
    let attempts = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?);
    let correct = u32::from_le_bytes(bytes.get(16..20)?.try_into().ok()?);
    Some(NodeMastery { p, last_practised: (last != i64::MIN).then_some(last), attempts, correct })
}

struct Job {
    learner: String,
    write: LearnerWrite,
    done: mpsc::SyncSender<Result<(), LearnerStoreError>>,
}

/// The embedded learner store: one redb file. Writes go through one writer thread that
/// commits every write waiting at that moment in one durable transaction (group commit), so
/// many concurrent writers share each disk sync.
pub struct RedbLearnerStore {
    db: Arc<Database>,
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<thread::JoinHandle<()>>,
}

impl Drop for RedbLearnerStore {
    /// Stops the writer thread once the queued writes are done, so the file is released.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl std::fmt::Debug for RedbLearnerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbLearnerStore").finish_non_exhaustive()
    }
}

impl RedbLearnerStore {
    /// Opens (or creates) the store file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LearnerStoreError> {
        let db = Arc::new(Database::create(path.as_ref()).map_err(storage)?);
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(MASTERY).map_err(storage)?;
        tx.open_table(EVENTS).map_err(storage)?;
        tx.commit().map_err(storage)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let writer_db = db.clone();
        let writer = thread::Builder::new()
            .name("tupu-learner-writer".into())
            .spawn(move || writer(&writer_db, &rx))
            .map_err(storage)?;
        Ok(Self { db, jobs: Some(jobs), writer: Some(writer) })
    }
}

fn writer(db: &Database, rx: &mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = apply_batch(db, &batch);
        for job in batch {
            let _ = job.done.send(result.as_ref().map(|_| ()).map_err(|e| LearnerStoreError::Storage(e.clone())));
        }
    }
}

fn apply_batch(db: &Database, batch: &[Job]) -> Result<(), String> {
    let tx = db.begin_write().map_err(|e| e.to_string())?;
    {
        let mut mastery = tx.open_table(MASTERY).map_err(|e| e.to_string())?;
        let mut events = tx.open_table(EVENTS).map_err(|e| e.to_string())?;
        for job in batch {
            let learner = job.learner.as_str();
            if job.write.replace_mastery {
                mastery.retain_in((learner, "")..(learner, "\u{10FFFF}"), |_, _| false).map_err(|e| e.to_string())?;
            }
            for (node, m) in &job.write.mastery {
                mastery.insert((learner, node.as_str()), encode(m).as_slice()).map_err(|e| e.to_string())?;
            }
            if !job.write.events.is_empty() {
                let mut next =
                    match events.range((learner, 0u64)..=(learner, u64::MAX)).map_err(|e| e.to_string())?.next_back() {
                        Some(entry) => entry.map_err(|e| e.to_string())?.0.value().1 + 1,
                        None => 0,
                    };
                for event in &job.write.events {
                    let bytes = serde_json::to_vec(event).map_err(|e| e.to_string())?;
                    events.insert((learner, next), bytes.as_slice()).map_err(|e| e.to_string())?;
                    next += 1;
                }
            }
        }
    }
    tx.commit().map_err(|e| e.to_string())
}

impl LearnerStore for RedbLearnerStore {
    fn load(&self, learner: &str) -> Result<LearnerState, LearnerStoreError> {
        check_learner_id(learner)?;
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(MASTERY).map_err(storage)?;
        let mut state = LearnerState::default();
        for entry in table.range((learner, "")..(learner, "\u{10FFFF}")).map_err(storage)? {
            let (key, value) = entry.map_err(storage)?;
            if let Some(m) = decode(value.value()) {
                state.nodes.insert(key.value().1.into(), m);
            }
        }
        Ok(state)
    }

    fn write(&self, learner: &str, write: LearnerWrite) -> Result<(), LearnerStoreError> {
        check_learner_id(learner)?;
        let (done, wait) = mpsc::sync_channel(1);
        self.jobs
            .as_ref()
            .ok_or_else(|| storage("the store is closing"))?
            .send(Job { learner: learner.to_owned(), write, done })
            .map_err(|_| storage("the writer thread has stopped"))?;
        wait.recv().map_err(|_| storage("the writer thread has stopped"))?
    }

    fn events(&self, learner: &str) -> Result<Vec<StoredEvent>, LearnerStoreError> {
        check_learner_id(learner)?;
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(EVENTS).map_err(storage)?;
        let mut out = Vec::new();
        for entry in table.range((learner, 0u64)..=(learner, u64::MAX)).map_err(storage)? {
            let (_, value) = entry.map_err(storage)?;
            out.push(serde_json::from_slice(value.value()).map_err(storage)?);
        }
        Ok(out)
    }

    fn erase(&self, learner: &str) -> Result<bool, LearnerStoreError> {
        check_learner_id(learner)?;
        let tx = self.db.begin_write().map_err(storage)?;
        let mut found = false;
        {
            let mut mastery = tx.open_table(MASTERY).map_err(storage)?;
            mastery
                .retain_in((learner, "")..(learner, "\u{10FFFF}"), |_, _| {
                    found = true;
                    false
                })
                .map_err(storage)?;
            let mut events = tx.open_table(EVENTS).map_err(storage)?;
            events
                .retain_in((learner, 0u64)..=(learner, u64::MAX), |_, _| {
                    found = true;
                    false
                })
                .map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(score: f32) -> StoredEvent {
        StoredEvent { object: "https://e.org/kp".into(), score, time: 5, verb: "event".into() }
    }

    #[test]
    fn writes_survive_reopening_and_erase_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        {
            let store = RedbLearnerStore::open(&path).unwrap();
            let m = NodeMastery { p: 0.7, last_practised: Some(5), attempts: 2, correct: 1 };
            store
                .write(
                    "ana",
                    LearnerWrite {
                        events: vec![event(1.0), event(0.0)],
                        mastery: vec![("https://e.org/kp".into(), m)],
                        replace_mastery: false,
                    },
                )
                .unwrap();
            store.write("bo", LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }).unwrap();
            store.write("ana", LearnerWrite { events: vec![event(0.5)], ..LearnerWrite::default() }).unwrap();
        }
        let store = RedbLearnerStore::open(&path).unwrap();
        let state = store.load("ana").unwrap();
        assert_eq!(state.nodes["https://e.org/kp"].attempts, 2);
        assert_eq!(state.nodes["https://e.org/kp"].last_practised, Some(5));
        let scores: Vec<f32> = store.events("ana").unwrap().iter().map(|e| e.score).collect();
        assert_eq!(scores, vec![1.0, 0.0, 0.5]);
        assert!(store.erase("ana").unwrap());
        assert!(store.load("ana").unwrap().nodes.is_empty());
        assert!(store.events("ana").unwrap().is_empty());
        assert_eq!(store.events("bo").unwrap().len(), 1);
        assert!(!store.erase("ana").unwrap());
    }

    #[test]
    fn replace_drops_old_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbLearnerStore::open(dir.path().join("l.redb")).unwrap();
        let row = |iri: &str| (iri.to_owned(), NodeMastery::belief(0.5));
        store.write("x", LearnerWrite { mastery: vec![row("a"), row("b")], ..LearnerWrite::default() }).unwrap();
        store
            .write("x", LearnerWrite { mastery: vec![row("c")], replace_mastery: true, ..LearnerWrite::default() })
            .unwrap();
        let mut keys: Vec<String> = store.load("x").unwrap().nodes.into_keys().map(|k| k.to_string()).collect();
        keys.sort();
        assert_eq!(keys, vec!["c".to_owned()]);
    }

    #[test]
    fn bad_ids_are_refused() {
        assert!(check_learner_id("").is_err());
        assert!(check_learner_id("a\u{0}b").is_err());
        assert!(check_learner_id("学生-42").is_ok());
    }
}
