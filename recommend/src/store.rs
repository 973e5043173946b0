//! Durable learner state: the [`LearnerStore`] trait and its embedded default on redb.
//!
//! Per learner the store keeps the sparse mastery vector (one row per node with evidence or
//! derived belief) and the append-only evidence log. Learner ids are opaque strings chosen by
//! the app (1–256 characters, no control characters).

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

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
    /// Visits every stored event, learner by learner, each learner's oldest first (fitting
    /// BKT parameters from the whole log reads it this way, without holding it in memory).
    fn each_event(&self, visit: &mut dyn FnMut(&str, StoredEvent)) -> Result<(), LearnerStoreError>;
    /// Erases everything stored about the learner; returns whether there was anything.
    fn erase(&self, learner: &str) -> Result<bool, LearnerStoreError>;
    /// Writes a consistent copy of the whole store to a new file `target`, while the store
    /// stays in use. A backend with backups of its own keeps the default, which refuses.
    fn backup(&self, target: &Path) -> Result<(), LearnerStoreError> {
        Err(storage(format!("this learner store does not write backups (asked for {})", target.display())))
    }
}

/// (learner, node IRI) → encoded [`NodeMastery`].
const MASTERY: TableDefinition<'_, (&str, &str), &[u8]> = TableDefinition::new("mastery");
/// (learner, sequence number) → JSON of a [`StoredEvent`].
const EVENTS: TableDefinition<'_, (&str, u64), &[u8]> = TableDefinition::new("events");

/// Belief, last practice, attempts, correct answers, then the log-odds (rows written before
/// the log-odds were kept have 20 bytes: their belief is read from `p`).
fn encode(m: &NodeMastery) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[0..4].copy_from_slice(&m.p.to_le_bytes());
    out[4..12].copy_from_slice(&m.last_practised.unwrap_or(i64::MIN).to_le_bytes());
    out[12..16].copy_from_slice(&m.attempts.to_le_bytes());
    out[16..20].copy_from_slice(&m.correct.to_le_bytes());
    out[20..24].copy_from_slice(&m.logit.to_le_bytes());
    out
}

fn decode(bytes: &[u8]) -> Option<NodeMastery> {
    let p = f32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?);
    let last = i64::from_le_bytes(bytes.get(4..12)?.try_into().ok()?);
    let attempts = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?);
    let correct = u32::from_le_bytes(bytes.get(16..20)?.try_into().ok()?);
    let logit = bytes.get(20..24).map_or(f32::NAN, |b| f32::from_le_bytes(b.try_into().unwrap_or_default()));
    Some(NodeMastery { p, logit, last_practised: (last != i64::MIN).then_some(last), attempts, correct })
}

/// What the writer thread is asked to do.
enum Task {
    Write(LearnerWrite),
    /// Erase a learner; answers whether there was anything.
    Erase,
}

struct Job {
    learner: String,
    task: Task,
    done: mpsc::SyncSender<Result<bool, LearnerStoreError>>,
}

/// One learner's write as applied: event sequence numbers resolved, so that replaying it from
/// the log gives the same rows.
#[derive(serde::Serialize, serde::Deserialize)]
struct Applied {
    learner: String,
    replace: bool,
    mastery: Vec<(String, NodeMastery)>,
    first_event: u64,
    events: Vec<StoredEvent>,
}

/// The write-ahead log beside the store file. Each record is one transaction's writes:
/// `[length: u32 LE][CRC-32 of the payload: u32 LE][payload: JSON array of writes]`.
struct Wal {
    file: std::fs::File,
    len: u64,
}

impl Wal {
    /// Opens the log and reads its complete records; a torn or corrupt tail (a write that was
    /// never acknowledged) ends the reading.
    fn open(path: &Path) -> std::io::Result<(Self, Vec<Vec<Applied>>)> {
        use std::io::Read;
        let mut file = std::fs::OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut records = Vec::new();
        let mut at = 0;
        while let Some(header) = bytes.get(at..at + 8) {
            let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
            let crc = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
            let Some(payload) = bytes.get(at + 8..at + 8 + len) else { break };
            if crc32fast::hash(payload) != crc {
                break;
            }
            let Ok(record) = serde_json::from_slice::<Vec<Applied>>(payload) else { break };
            records.push(record);
            at += 8 + len;
        }
        let len = bytes.len() as u64;
        Ok((Self { file, len }, records))
    }

    /// Appends one record and waits until it is on disk.
    fn append(&mut self, writes: &[Applied]) -> std::io::Result<()> {
        use std::io::Write;
        let payload = serde_json::to_vec(writes)?;
        let mut record = Vec::with_capacity(payload.len() + 8);
        record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        record.extend_from_slice(&payload);
        self.file.write_all(&record)?;
        self.file.sync_data()?;
        self.len += record.len() as u64;
        Ok(())
    }

    /// Empties the log once the store file holds everything in it.
    fn reset(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_data()?;
        self.len = 0;
        Ok(())
    }
}

/// The embedded learner store: one redb file and its write-ahead log (`FILE.wal`).
///
/// Writes go through one writer thread. It applies every write waiting at that moment in one
/// transaction (group commit), appends the transaction to the log and syncs the log: a write
/// is acknowledged once its log record is on disk. The store file itself is synced at
/// checkpoints (every [`CHECKPOINT_EVERY`] or [`CHECKPOINT_BYTES`] of log, when an erasure
/// is committed, and when the store closes), after which the log is emptied; opening the
/// store replays what the log holds. One sequential append and sync per transaction costs
/// far less than writing the transaction's pages of the store file durably.
///
/// Writers that were just acknowledged need a moment to send their next write, so when the
/// last transaction held several writes the writer waits for as many again, at most
/// [`GROUP_LINGER`], before it commits (as a database's commit delay does); a lone
/// sequential writer, whose transactions hold one write, never waits.
pub struct RedbLearnerStore {
    db: Arc<Database>,
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<thread::JoinHandle<()>>,
}

impl Drop for RedbLearnerStore {
    /// Stops the writer thread once the queued writes are done and checkpointed, so the file
    /// is released and the log is empty.
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

/// Longest wait for more writes before a commit (see [`RedbLearnerStore`]).
pub const GROUP_LINGER: Duration = Duration::from_micros(500);

/// Longest time between checkpoints while writes arrive (see [`RedbLearnerStore`]).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Largest log before a checkpoint (see [`RedbLearnerStore`]).
pub const CHECKPOINT_BYTES: u64 = 16 << 20;

/// Most writes in one transaction.
const MAX_BATCH: usize = 4096;

impl RedbLearnerStore {
    /// Opens (or creates) the store file, replaying its log if the last run stopped without a
    /// checkpoint.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LearnerStoreError> {
        let path = path.as_ref();
        let db = Arc::new(Database::create(path).map_err(storage)?);
        let mut wal_path = path.as_os_str().to_owned();
        wal_path.push(".wal");
        let (mut wal, records) = Wal::open(Path::new(&wal_path))
            .map_err(|e| storage(format!("cannot read the log {}: {e}", Path::new(&wal_path).display())))?;
        let tx = db.begin_write().map_err(storage)?;
        {
            let mut mastery = tx.open_table(MASTERY).map_err(storage)?;
            let mut events = tx.open_table(EVENTS).map_err(storage)?;
            for write in records.iter().flatten() {
                apply(&mut mastery, &mut events, write).map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)?;
        wal.reset().map_err(storage)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let writer_db = db.clone();
        let writer = thread::Builder::new()
            .name("tupu-learner-writer".into())
            .spawn(move || writer(&writer_db, wal, &rx))
            .map_err(storage)?;
        Ok(Self { db, jobs: Some(jobs), writer: Some(writer) })
    }

    fn submit(&self, learner: &str, task: Task) -> Result<bool, LearnerStoreError> {
        check_learner_id(learner)?;
        let (done, wait) = mpsc::sync_channel(1);
        self.jobs
            .as_ref()
            .ok_or_else(|| storage("the store is closing"))?
            .send(Job { learner: learner.to_owned(), task, done })
            .map_err(|_| storage("the writer thread has stopped"))?;
        wait.recv().map_err(|_| storage("the writer thread has stopped"))?
    }
}

type MasteryTable<'t> = redb::Table<'t, (&'static str, &'static str), &'static [u8]>;
type EventTable<'t> = redb::Table<'t, (&'static str, u64), &'static [u8]>;

/// Applies one write (fresh or replayed from the log) to the open tables.
fn apply(mastery: &mut MasteryTable<'_>, events: &mut EventTable<'_>, write: &Applied) -> Result<(), redb::Error> {
    let learner = write.learner.as_str();
    if write.replace {
        mastery.retain_in((learner, "")..(learner, "\u{10FFFF}"), |_, _| false)?;
    }
    for (node, m) in &write.mastery {
        mastery.insert((learner, node.as_str()), encode(m).as_slice())?;
    }
    for (seq, event) in (write.first_event..).zip(&write.events) {
        let bytes = serde_json::to_vec(event).expect("an event always serialises");
        events.insert((learner, seq), bytes.as_slice())?;
    }
    Ok(())
}

/// The writer thread: group commit, log, checkpoints (see [`RedbLearnerStore`]).
fn writer(db: &Database, mut wal: Wal, rx: &mpsc::Receiver<Job>) {
    // Writes in the previous transaction: how many to wait for.
    let mut expected = 1;
    let mut checkpointed = Instant::now();
    let mut waiting: Option<Job> = None;
    loop {
        let first = match waiting.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        if matches!(first.task, Task::Erase) {
            let result = erase_durably(db, &mut wal, &first.learner, &mut |_| {});
            checkpointed = Instant::now();
            let _ = first.done.send(result);
            continue;
        }
        let mut batch = vec![first];
        let deadline = Instant::now() + GROUP_LINGER;
        while batch.len() < MAX_BATCH {
            let job = match rx.try_recv() {
                Ok(job) => job,
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if batch.len() >= expected || left.is_zero() {
                        break;
                    }
                    match rx.recv_timeout(left) {
                        Ok(job) => job,
                        Err(_) => break,
                    }
                }
            };
            // An erasure checkpoints: it waits for the writes before it.
            if matches!(job.task, Task::Erase) {
                waiting = Some(job);
                break;
            }
            batch.push(job);
        }
        expected = batch.len();
        let result = commit_batch(db, &mut wal, &mut batch);
        for job in batch {
            let _ = job.done.send(result.clone().map(|()| true).map_err(LearnerStoreError::Storage));
        }
        if result.is_ok() && (wal.len >= CHECKPOINT_BYTES || checkpointed.elapsed() >= CHECKPOINT_EVERY) {
            if let Err(e) = checkpoint(db, &mut wal) {
                tracing::warn!("learner store checkpoint failed (the log keeps the writes): {e}");
            }
            checkpointed = Instant::now();
        }
    }
    if let Err(e) = checkpoint(db, &mut wal) {
        tracing::warn!("learner store checkpoint at close failed (the log keeps the writes): {e}");
    }
}

/// Syncs the store file, then empties the log.
fn checkpoint(db: &Database, wal: &mut Wal) -> Result<(), String> {
    if wal.len == 0 {
        return Ok(());
    }
    let tx = db.begin_write().map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    wal.reset().map_err(|e| e.to_string())
}

/// Applies a batch in one transaction that is not synced, then logs it; if the log cannot be
/// written, the transaction is synced instead.
/// The writes are moved out of the jobs, which keep only their answer channels.
fn commit_batch(db: &Database, wal: &mut Wal, batch: &mut [Job]) -> Result<(), String> {
    let mut tx = db.begin_write().map_err(|e| e.to_string())?;
    tx.set_durability(redb::Durability::None).map_err(|e| e.to_string())?;
    let mut applied = Vec::with_capacity(batch.len());
    {
        let mut mastery = tx.open_table(MASTERY).map_err(|e| e.to_string())?;
        let mut events = tx.open_table(EVENTS).map_err(|e| e.to_string())?;
        for job in batch {
            let Task::Write(write) = &mut job.task else { continue };
            let learner = job.learner.as_str();
            let first_event = if write.events.is_empty() {
                0
            } else {
                match events.range((learner, 0u64)..=(learner, u64::MAX)).map_err(|e| e.to_string())?.next_back() {
                    Some(entry) => entry.map_err(|e| e.to_string())?.0.value().1 + 1,
                    None => 0,
                }
            };
            let write = Applied {
                learner: job.learner.clone(),
                replace: write.replace_mastery,
                mastery: std::mem::take(&mut write.mastery),
                first_event,
                events: std::mem::take(&mut write.events),
            };
            apply(&mut mastery, &mut events, &write).map_err(|e| e.to_string())?;
            applied.push(write);
        }
    }
    tx.commit().map_err(|e| e.to_string())?;
    if let Err(e) = wal.append(&applied) {
        tracing::warn!("learner store log append failed, syncing the store file instead: {e}");
        let tx = db.begin_write().map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The steps of [`erase_durably`], for tests that stop it at each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EraseStep {
    /// The store file holds every write before the erasure.
    Checkpointed,
    /// The log is empty.
    LogEmptied,
    /// The erasure is committed and synced.
    Erased,
}

/// Erases a learner so that no crash can bring it back: first a checkpoint (the store file
/// takes every logged write, then the log is emptied), then the erasure in a synced
/// transaction. A crash before the erasure commits leaves the learner whole (the erasure was
/// not acknowledged); after it, the log holds nothing older to replay over it.
fn erase_durably(
    db: &Database,
    wal: &mut Wal,
    learner: &str,
    step: &mut dyn FnMut(EraseStep),
) -> Result<bool, LearnerStoreError> {
    let tx = db.begin_write().map_err(storage)?;
    tx.commit().map_err(storage)?;
    step(EraseStep::Checkpointed);
    wal.reset().map_err(storage)?;
    step(EraseStep::LogEmptied);
    let found = erase(db, learner)?;
    step(EraseStep::Erased);
    Ok(found)
}

/// Erases a learner in a synced transaction (which also syncs every write before it).
fn erase(db: &Database, learner: &str) -> Result<bool, LearnerStoreError> {
    let tx = db.begin_write().map_err(storage)?;
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

impl LearnerStore for RedbLearnerStore {
    fn load(&self, learner: &str) -> Result<LearnerState, LearnerStoreError> {
        check_learner_id(learner)?;
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(MASTERY).map_err(storage)?;
        let mut state = LearnerState::default();
        for entry in table.range((learner, "")..(learner, "\u{10FFFF}")).map_err(storage)? {
            let (key, value) = entry.map_err(storage)?;
            if let Some(m) = decode(value.value()) {
                state.insert(key.value().1, m);
            }
        }
        Ok(state)
    }

    fn write(&self, learner: &str, write: LearnerWrite) -> Result<(), LearnerStoreError> {
        self.submit(learner, Task::Write(write)).map(|_| ())
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

    fn each_event(&self, visit: &mut dyn FnMut(&str, StoredEvent)) -> Result<(), LearnerStoreError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(EVENTS).map_err(storage)?;
        for entry in table.iter().map_err(storage)? {
            let (key, value) = entry.map_err(storage)?;
            visit(key.value().0, serde_json::from_slice(value.value()).map_err(storage)?);
        }
        Ok(())
    }

    fn erase(&self, learner: &str) -> Result<bool, LearnerStoreError> {
        self.submit(learner, Task::Erase)
    }

    /// One read transaction (every acknowledged write is committed in the store, so it is
    /// seen) copied table by table into a new store file, committed durably. O(entries).
    fn backup(&self, target: &Path) -> Result<(), LearnerStoreError> {
        let source = self.db.begin_read().map_err(storage)?;
        let copy = Database::create(target).map_err(storage)?;
        let tx = copy.begin_write().map_err(storage)?;
        {
            let mut mastery = tx.open_table(MASTERY).map_err(storage)?;
            for entry in source.open_table(MASTERY).map_err(storage)?.iter().map_err(storage)? {
                let (key, value) = entry.map_err(storage)?;
                mastery.insert(key.value(), value.value()).map_err(storage)?;
            }
            let mut events = tx.open_table(EVENTS).map_err(storage)?;
            for entry in source.open_table(EVENTS).map_err(storage)?.iter().map_err(storage)? {
                let (key, value) = entry.map_err(storage)?;
                events.insert(key.value(), value.value()).map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)
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
            let m = NodeMastery { last_practised: Some(5), attempts: 2, correct: 1, ..NodeMastery::belief(0.7) };
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
        let kp = state.stored("https://e.org/kp").unwrap();
        assert_eq!((kp.attempts, kp.last_practised), (2, Some(5)));
        let scores: Vec<f32> = store.events("ana").unwrap().iter().map(|e| e.score).collect();
        assert_eq!(scores, vec![1.0, 0.0, 0.5]);
        assert!(store.erase("ana").unwrap());
        assert!(store.load("ana").unwrap().is_empty());
        assert!(store.events("ana").unwrap().is_empty());
        assert_eq!(store.events("bo").unwrap().len(), 1);
        assert!(!store.erase("ana").unwrap());
        let mut seen = Vec::new();
        store.each_event(&mut |learner, event| seen.push((learner.to_owned(), event.score))).unwrap();
        assert_eq!(seen, vec![("bo".to_owned(), 1.0)]);
    }

    /// A copy of the files taken while the store runs is what a crash leaves behind: the
    /// store file as of the last checkpoint, and the log.
    fn crash_copy(from: &Path, to: &Path) {
        for suffix in ["", ".wal"] {
            let mut a = from.as_os_str().to_owned();
            a.push(suffix);
            let mut b = to.as_os_str().to_owned();
            b.push(suffix);
            std::fs::copy(&a, &b).unwrap();
        }
    }

    #[test]
    fn acknowledged_writes_survive_a_crash_through_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let copy = dir.path().join("crashed.redb");
        let store = RedbLearnerStore::open(&path).unwrap();
        let row = |iri: &str, p: f32| (iri.to_owned(), NodeMastery::belief(p));
        store
            .write("ana", LearnerWrite { mastery: vec![row("a", 0.2), row("b", 0.4)], ..LearnerWrite::default() })
            .unwrap();
        for score in [1.0, 0.0, 0.5] {
            store.write("ana", LearnerWrite { events: vec![event(score)], ..LearnerWrite::default() }).unwrap();
        }
        store
            .write(
                "ana",
                LearnerWrite { mastery: vec![row("c", 0.9)], replace_mastery: true, ..LearnerWrite::default() },
            )
            .unwrap();
        crash_copy(&path, &copy);
        // The log holds what the store file does not yet.
        assert!(std::fs::metadata(dir.path().join("learners.redb.wal")).unwrap().len() > 0);
        // A torn last record (a write never acknowledged) is ignored.
        {
            use std::io::Write;
            let mut wal = std::fs::OpenOptions::new().append(true).open(dir.path().join("crashed.redb.wal")).unwrap();
            wal.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, b'[']).unwrap();
        }
        let recovered = RedbLearnerStore::open(&copy).unwrap();
        let keys: Vec<String> = recovered.load("ana").unwrap().iter().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(keys, vec!["c".to_owned()]);
        let scores: Vec<f32> = recovered.events("ana").unwrap().iter().map(|e| e.score).collect();
        assert_eq!(scores, vec![1.0, 0.0, 0.5]);
        // Replayed and checkpointed: the log is empty, and a write goes on from there.
        assert_eq!(std::fs::metadata(dir.path().join("crashed.redb.wal")).unwrap().len(), 0);
        recovered.write("ana", LearnerWrite { events: vec![event(0.25)], ..LearnerWrite::default() }).unwrap();
        assert_eq!(recovered.events("ana").unwrap().len(), 4);
        // A clean close checkpoints: the log is empty and the store file holds everything.
        drop(store);
        assert_eq!(std::fs::metadata(dir.path().join("learners.redb.wal")).unwrap().len(), 0);
        assert_eq!(RedbLearnerStore::open(&path).unwrap().events("ana").unwrap().len(), 3);
    }

    #[test]
    fn an_erasure_is_not_undone_by_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let store = RedbLearnerStore::open(&path).unwrap();
        store.write("ana", LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }).unwrap();
        store.write("bo", LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }).unwrap();
        assert!(store.erase("ana").unwrap());
        let copy = dir.path().join("crashed.redb");
        crash_copy(&path, &copy);
        let recovered = RedbLearnerStore::open(&copy).unwrap();
        assert!(recovered.events("ana").unwrap().is_empty());
        assert_eq!(recovered.events("bo").unwrap().len(), 1);
    }

    #[test]
    fn an_erasure_stopped_at_any_step_never_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let db = Database::create(&path).unwrap();
        {
            let tx = db.begin_write().unwrap();
            tx.open_table(MASTERY).unwrap();
            tx.open_table(EVENTS).unwrap();
            tx.commit().unwrap();
        }
        let (mut wal, _) = Wal::open(&dir.path().join("learners.redb.wal")).unwrap();
        // Logged but not checkpointed writes, as the writer leaves them.
        for learner in ["ana", "bo"] {
            let mut batch = [Job {
                learner: learner.to_owned(),
                task: Task::Write(LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }),
                done: mpsc::sync_channel(1).0,
            }];
            commit_batch(&db, &mut wal, &mut batch).unwrap();
        }
        assert!(wal.len > 0);
        let mut crashes = Vec::new();
        erase_durably(&db, &mut wal, "ana", &mut |step| {
            let copy = dir.path().join(format!("crash-{step:?}.redb"));
            crash_copy(&path, &copy);
            crashes.push((step, copy));
        })
        .unwrap();
        for (step, copy) in crashes {
            let recovered = RedbLearnerStore::open(&copy).unwrap();
            let ana = recovered.events("ana").unwrap().len();
            // Before the erasure commits the learner is whole; from then on, gone for good.
            assert_eq!(ana, if step == EraseStep::Erased { 0 } else { 1 }, "{step:?}");
            assert_eq!(recovered.events("bo").unwrap().len(), 1, "{step:?}");
        }
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
        let mut keys: Vec<String> = store.load("x").unwrap().iter().map(|(k, _)| k.to_owned()).collect();
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
