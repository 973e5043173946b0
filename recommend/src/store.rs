//! Durable learner state: the [`LearnerStore`] trait and its embedded default on redb.
//!
//! Per learner the store keeps the sparse mastery vector (one row per node with evidence or
//! derived belief) and the append-only evidence log. Learner ids are opaque strings chosen by
//! the app (1–256 characters, no control characters).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, PoisonError, RwLock};
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
    /// Moves every learner whose id `map` renames to its new id, so that the old ids are gone
    /// from storage; returns whether any moved. A backend that cannot keeps the default,
    /// which refuses.
    fn rename(&self, map: RenameMap) -> Result<bool, LearnerStoreError> {
        drop(map);
        Err(storage("this learner store cannot rename learners"))
    }
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
/// `"pending"` → erasures committed since the file was last rewritten: while it is there,
/// freed pages of the file may still hold erased rows (see [`RedbLearnerStore`]).
const SCRUB: TableDefinition<'_, &str, u64> = TableDefinition::new("scrub");

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
    /// Move every learner for which the map gives a new id to that id; answers whether any
    /// moved.
    Rename(RenameMap),
}

/// A learner id's new id, or `None` to leave it where it is.
pub type RenameMap = Box<dyn Fn(&str) -> Option<String> + Send>;

struct Job {
    learner: String,
    task: Task,
    done: mpsc::SyncSender<Result<bool, LearnerStoreError>>,
}

/// One learner's write as applied: event sequence numbers resolved, so that replaying it from
/// the log gives the same rows.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
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
    path: PathBuf,
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
        Ok((Self { file, path: path.to_owned(), len }, records))
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

    /// Overwrites the whole log with zeros, then empties it: what it held is gone from the
    /// file's blocks, not only cut off. (The log's own handle appends, so the zeros go
    /// through a second handle that writes from the start.)
    fn shred(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        let size = self.file.metadata()?.len();
        if size > 0 {
            let mut file = std::fs::OpenOptions::new().write(true).open(&self.path)?;
            let zeros = vec![0u8; 1 << 16];
            let mut left = size;
            while left > 0 {
                let n = left.min(zeros.len() as u64) as usize;
                file.write_all(&zeros[..n])?;
                left -= n as u64;
            }
            file.sync_data()?;
        }
        self.reset()
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
///
/// **Erasure leaves nothing behind.** A copy-on-write file keeps deleted rows in its freed
/// pages until they happen to be reused, and the log keeps them until it is emptied. So an
/// erasure (1) syncs the store file and overwrites the log with zeros before emptying it,
/// (2) deletes the learner's rows in a synced transaction that also records that a rewrite
/// is pending, and (3) rewrites the store file: the rows of every other learner are copied
/// from a read snapshot taken just after the erasure into `FILE.scrub`, which then replaces
/// the file by an atomic rename. Writes go on while the copy runs: the writer keeps what it
/// applies meanwhile and applies it to the copy before the rename. The erasure is answered
/// once the file that held the learner is gone; erasures that arrive during a rewrite share
/// the next one. A crash at any point leaves either the old file (its pending mark makes the
/// next open rewrite it before serving) or the new one, and a half-written `FILE.scrub` is
/// deleted at open. Renaming learners ([`LearnerStore::rename`]) ends the same way.
pub struct RedbLearnerStore {
    db: Arc<Current>,
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<thread::JoinHandle<()>>,
}

/// The store file in use; a rewrite swaps it.
type Current = RwLock<Arc<Database>>;

fn current(db: &Current) -> Arc<Database> {
    db.read().unwrap_or_else(PoisonError::into_inner).clone()
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

/// `FILE.SUFFIX` beside the store file.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl RedbLearnerStore {
    /// Opens (or creates) the store file, replaying its log if the last run stopped without a
    /// checkpoint, and finishing a rewrite that an erasure left pending.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LearnerStoreError> {
        let path = path.as_ref().to_owned();
        let mut db = Database::create(&path).map_err(storage)?;
        let wal_path = beside(&path, ".wal");
        let (mut wal, records) =
            Wal::open(&wal_path).map_err(|e| storage(format!("cannot read the log {}: {e}", wal_path.display())))?;
        let tx = db.begin_write().map_err(storage)?;
        {
            let mut mastery = tx.open_table(MASTERY).map_err(storage)?;
            let mut events = tx.open_table(EVENTS).map_err(storage)?;
            for write in records.iter().flatten() {
                apply(&mut mastery, &mut events, write).map_err(storage)?;
            }
            tx.open_table(SCRUB).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        // A rewrite that a crash interrupted is started again from the file.
        match std::fs::remove_file(beside(&path, ".scrub")) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(storage(format!("cannot remove an unfinished rewrite: {e}"))),
        }
        if scrub_pending(&db)? {
            wal.shred().map_err(storage)?;
            let copy = copy_live_rows(&db.begin_read().map_err(storage)?, &beside(&path, ".scrub"))?;
            db = install(&path, copy, &mut Vec::new()).map_err(storage)?.0;
        } else {
            wal.reset().map_err(storage)?;
        }
        let db = Arc::new(RwLock::new(Arc::new(db)));
        let (jobs, rx) = mpsc::channel::<Job>();
        let writer_db = db.clone();
        let writer = thread::Builder::new()
            .name("tupu-learner-writer".into())
            .spawn(move || Writer::new(writer_db, path, wal).run(&rx))
            .map_err(storage)?;
        Ok(Self { db, jobs: Some(jobs), writer: Some(writer) })
    }

    fn db(&self) -> Arc<Database> {
        current(&self.db)
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

/// Whether an erasure or a rename has happened since the file was last rewritten.
fn scrub_pending(db: &Database) -> Result<bool, LearnerStoreError> {
    let tx = db.begin_read().map_err(storage)?;
    let table = tx.open_table(SCRUB).map_err(storage)?;
    Ok(table.get("pending").map_err(storage)?.is_some())
}

/// Records in a write transaction that freed pages may hold erased rows.
fn mark_scrub(tx: &redb::WriteTransaction) -> Result<(), redb::Error> {
    let mut table = tx.open_table(SCRUB)?;
    let count = table.get("pending")?.map_or(0, |v| v.value());
    table.insert("pending", count + 1)?;
    Ok(())
}

/// Copies the learner rows that `source` sees into a new store file `target`, committed
/// durably. The copy has no pending mark: it never held an erased row.
fn copy_live_rows(source: &redb::ReadTransaction, target: &Path) -> Result<Database, LearnerStoreError> {
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
        tx.open_table(SCRUB).map_err(storage)?;
    }
    tx.commit().map_err(storage)?;
    Ok(copy)
}

/// What happened to the store while its copy was being made, to be done again on the copy.
enum Replay {
    Write(Applied),
    Erase(String),
    Rename(RenameMap),
}

/// Applies to the copy (at `FILE.scrub`) what happened while it was made, in one synced
/// transaction, then renames it over the store file and syncs the directory. Returns the
/// copy, now the store file, and whether that replay erased or renamed anything (so the copy
/// needs a rewrite of its own).
fn install(path: &Path, copy: Database, replay: &mut Vec<Replay>) -> Result<(Database, bool), String> {
    let mut dirty = false;
    if !replay.is_empty() {
        let tx = copy.begin_write().map_err(|e| e.to_string())?;
        for op in replay.drain(..) {
            match op {
                Replay::Write(write) => {
                    let mut mastery = tx.open_table(MASTERY).map_err(|e| e.to_string())?;
                    let mut events = tx.open_table(EVENTS).map_err(|e| e.to_string())?;
                    apply(&mut mastery, &mut events, &write).map_err(|e| e.to_string())?;
                }
                Replay::Erase(learner) => dirty |= erase_rows(&tx, &learner).map_err(|e| e.to_string())?,
                Replay::Rename(map) => dirty |= rename_rows(&tx, &*map).map_err(|e| e.to_string())?,
            }
        }
        if dirty {
            mark_scrub(&tx).map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
    }
    std::fs::rename(beside(path, ".scrub"), path).map_err(|e| format!("cannot replace the store file: {e}"))?;
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("cannot sync the directory: {e}"))?;
    }
    Ok((copy, dirty))
}

/// A rewrite of the store file under way (see [`RedbLearnerStore`]).
struct Scrub {
    copy: thread::JoinHandle<Result<Database, LearnerStoreError>>,
    /// What the store did since the copy's snapshot.
    replay: Vec<Replay>,
    /// Erasures and renames the copy's snapshot already leaves out, answered once it is in.
    covered: Vec<Waiter>,
}

/// An erasure or rename committed, waiting for its rewrite: its answer channel and answer.
type Waiter = (mpsc::SyncSender<Result<bool, LearnerStoreError>>, bool);

/// The writer thread's state: group commit, log, checkpoints, rewrites.
struct Writer {
    current: Arc<Current>,
    db: Arc<Database>,
    path: PathBuf,
    wal: Wal,
    scrub: Option<Scrub>,
    /// Erasures and renames committed during a rewrite whose snapshot holds them: the next
    /// rewrite answers them.
    next: Vec<Waiter>,
    checkpointed: Instant,
}

impl Writer {
    fn new(current: Arc<Current>, path: PathBuf, wal: Wal) -> Self {
        let db = crate::store::current(&current);
        Self { current, db, path, wal, scrub: None, next: Vec::new(), checkpointed: Instant::now() }
    }

    fn run(mut self, rx: &mpsc::Receiver<Job>) {
        // Writes in the previous transaction: how many to wait for.
        let mut expected = 1;
        let mut waiting: Option<Job> = None;
        loop {
            let first = match waiting.take() {
                Some(job) => job,
                None if self.scrub.is_some() => match rx.recv_timeout(Duration::from_millis(2)) {
                    Ok(job) => job,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.poll_scrub();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                },
                None => match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            if !matches!(first.task, Task::Write(_)) {
                self.erase_or_rename(first);
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
                if !matches!(job.task, Task::Write(_)) {
                    waiting = Some(job);
                    break;
                }
                batch.push(job);
            }
            expected = batch.len();
            let result = commit_batch(&self.db, &mut self.wal, &mut batch);
            for job in batch {
                let _ = job.done.send(result.as_ref().map(|_| true).map_err(|e| LearnerStoreError::Storage(e.clone())));
            }
            if let Ok(applied) = result {
                if let Some(scrub) = self.scrub.as_mut() {
                    scrub.replay.extend(applied.into_iter().map(Replay::Write));
                }
                if self.wal.len >= CHECKPOINT_BYTES || self.checkpointed.elapsed() >= CHECKPOINT_EVERY {
                    if let Err(e) = checkpoint(&self.db, &mut self.wal) {
                        tracing::warn!("learner store checkpoint failed (the log keeps the writes): {e}");
                    }
                    self.checkpointed = Instant::now();
                }
            }
            self.poll_scrub();
        }
        // Closing: finish the rewrite under way, and one that it left to do.
        while self.scrub.is_some() || !self.next.is_empty() {
            if let Some(Scrub { copy, replay, covered }) = self.scrub.take() {
                self.install(replay, covered, copy.join());
            } else {
                self.start_scrub();
            }
        }
        if let Err(e) = checkpoint(&self.db, &mut self.wal) {
            tracing::warn!("learner store checkpoint at close failed (the log keeps the writes): {e}");
        }
    }

    /// Commits an erasure or a rename durably, then has the file rewritten before answering.
    fn erase_or_rename(&mut self, job: Job) {
        let (replay, result) = match job.task {
            Task::Erase => {
                let result = erase_durably(&self.db, &mut self.wal, &job.learner, &mut |_| {});
                (Replay::Erase(job.learner), result)
            }
            Task::Rename(map) => {
                let result = change_durably(&self.db, &mut self.wal, &mut |_| {}, |tx| rename_rows(tx, &*map));
                (Replay::Rename(map), result)
            }
            Task::Write(_) => unreachable!("writes are committed in batches"),
        };
        self.checkpointed = Instant::now();
        match result {
            // Nothing was deleted or moved: no page holds anything to scrub.
            Ok(false) => {
                let _ = job.done.send(Ok(false));
            }
            Ok(true) => {
                if let Some(scrub) = self.scrub.as_mut() {
                    scrub.replay.push(replay);
                }
                self.next.push((job.done, true));
                if self.scrub.is_none() {
                    self.start_scrub();
                }
            }
            Err(e) => {
                let _ = job.done.send(Err(e));
            }
        }
    }

    /// Starts copying the live rows from a snapshot taken now; the erasures and renames
    /// waiting are those the snapshot leaves out.
    fn start_scrub(&mut self) {
        let covered = std::mem::take(&mut self.next);
        let db = self.db.clone();
        let target = beside(&self.path, ".scrub");
        let (taken, snapshot) = mpsc::sync_channel(1);
        let copy = thread::Builder::new().name("tupu-learner-scrub".into()).spawn(move || {
            let read = db.begin_read().map_err(storage);
            let _ = taken.send(());
            let _ = std::fs::remove_file(&target);
            copy_live_rows(&read?, &target)
        });
        match copy {
            Ok(copy) => {
                // The snapshot must be the state just after the erasures, before more writes.
                let _ = snapshot.recv();
                self.scrub = Some(Scrub { copy, replay: Vec::new(), covered });
            }
            Err(e) => {
                tracing::warn!(
                    "cannot start rewriting the learner store (erased rows stay in free pages until the next start): {e}"
                );
                for (done, found) in covered {
                    let _ = done.send(Ok(found));
                }
            }
        }
    }

    /// Installs the copy once it is made.
    fn poll_scrub(&mut self) {
        if !self.scrub.as_ref().is_some_and(|s| s.copy.is_finished()) {
            return;
        }
        let Scrub { copy, replay, covered } = self.scrub.take().expect("checked above");
        self.install(replay, covered, copy.join());
        if !self.next.is_empty() {
            self.start_scrub();
        }
    }

    fn install(
        &mut self,
        mut replay: Vec<Replay>,
        covered: Vec<Waiter>,
        copy: thread::Result<Result<Database, LearnerStoreError>>,
    ) {
        let copy = match copy {
            Ok(Ok(copy)) => install(&self.path, copy, &mut replay),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the copy panicked".to_owned()),
        };
        match copy {
            Ok((copy, dirty)) => {
                let copy = Arc::new(copy);
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = copy.clone();
                self.db = copy;
                // The new file holds, durably, every write the log holds.
                if let Err(e) = self.wal.reset() {
                    tracing::warn!("cannot empty the learner log after a rewrite: {e}");
                }
                self.checkpointed = Instant::now();
                if dirty && self.next.is_empty() {
                    // Erased during the copy, with nobody left waiting: rewrite again anyway.
                    self.start_scrub();
                }
            }
            Err(e) => {
                let _ = std::fs::remove_file(beside(&self.path, ".scrub"));
                tracing::warn!(
                    "rewriting the learner store failed (erased rows stay in free pages until the next start rewrites them): {e}"
                );
            }
        }
        for (done, found) in covered {
            let _ = done.send(Ok(found));
        }
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
/// written, the transaction is synced instead. Returns the writes as applied.
/// The writes are moved out of the jobs, which keep only their answer channels.
fn commit_batch(db: &Database, wal: &mut Wal, batch: &mut [Job]) -> Result<Vec<Applied>, String> {
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
    Ok(applied)
}

/// The steps of [`erase_durably`], for tests that stop it at each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EraseStep {
    /// The store file holds every write before the erasure.
    Checkpointed,
    /// The log is overwritten and empty.
    LogEmptied,
    /// The erasure is committed and synced.
    Erased,
}

/// Erases a learner so that no crash can bring it back (see [`change_durably`]). A crash
/// before the erasure commits leaves the learner whole (the erasure was not acknowledged);
/// after it, the log holds nothing older to replay over it.
fn erase_durably(
    db: &Database,
    wal: &mut Wal,
    learner: &str,
    step: &mut dyn FnMut(EraseStep),
) -> Result<bool, LearnerStoreError> {
    change_durably(db, wal, step, |tx| erase_rows(tx, learner))
}

/// Deletes or moves rows so that neither the log nor a replay can bring them back: first a
/// checkpoint (the store file takes every logged write, then the log is overwritten and
/// emptied), then `change` in a synced transaction, which also marks the file for a rewrite
/// when `change` says it changed anything.
fn change_durably(
    db: &Database,
    wal: &mut Wal,
    step: &mut dyn FnMut(EraseStep),
    change: impl FnOnce(&redb::WriteTransaction) -> Result<bool, redb::Error>,
) -> Result<bool, LearnerStoreError> {
    let tx = db.begin_write().map_err(storage)?;
    tx.commit().map_err(storage)?;
    step(EraseStep::Checkpointed);
    wal.shred().map_err(storage)?;
    step(EraseStep::LogEmptied);
    let tx = db.begin_write().map_err(storage)?;
    let changed = change(&tx).map_err(storage)?;
    if changed {
        mark_scrub(&tx).map_err(storage)?;
    }
    tx.commit().map_err(storage)?;
    step(EraseStep::Erased);
    Ok(changed)
}

/// Deletes a learner's rows in a write transaction; returns whether there were any.
fn erase_rows(tx: &redb::WriteTransaction, learner: &str) -> Result<bool, redb::Error> {
    let mut found = false;
    let mut mastery = tx.open_table(MASTERY)?;
    mastery.retain_in((learner, "")..(learner, "\u{10FFFF}"), |_, _| {
        found = true;
        false
    })?;
    let mut events = tx.open_table(EVENTS)?;
    events.retain_in((learner, 0u64)..=(learner, u64::MAX), |_, _| {
        found = true;
        false
    })?;
    Ok(found)
}

/// Moves every learner that `map` renames, in a write transaction; returns whether any moved.
fn rename_rows(tx: &redb::WriteTransaction, map: &dyn Fn(&str) -> Option<String>) -> Result<bool, redb::Error> {
    let mut mastery = tx.open_table(MASTERY)?;
    let mut events = tx.open_table(EVENTS)?;
    // Every learner id, once: rows are ordered by learner, so each step seeks past the last
    // id found (`ID\0` is the least id after `ID`).
    let mut ids: Vec<String> = Vec::new();
    let mut after = String::new();
    while let Some(entry) = mastery.range((after.as_str(), "")..)?.next() {
        let id = entry?.0.value().0.to_owned();
        after = format!("{id}\0");
        ids.push(id);
    }
    after.clear();
    while let Some(entry) = events.range((after.as_str(), 0u64)..)?.next() {
        let id = entry?.0.value().0.to_owned();
        after = format!("{id}\0");
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    let mut moved = false;
    for old in ids {
        let Some(new) = map(&old).filter(|new| *new != old) else { continue };
        moved = true;
        let mut rows = Vec::new();
        mastery.retain_in((old.as_str(), "")..(old.as_str(), "\u{10FFFF}"), |k, v| {
            rows.push((k.1.to_owned(), v.to_vec()));
            false
        })?;
        for (node, value) in rows {
            if mastery.get((new.as_str(), node.as_str()))?.is_none() {
                mastery.insert((new.as_str(), node.as_str()), value.as_slice())?;
            }
        }
        let mut moved_events = Vec::new();
        events.retain_in((old.as_str(), 0u64)..=(old.as_str(), u64::MAX), |_, v| {
            moved_events.push(v.to_vec());
            false
        })?;
        if moved_events.is_empty() {
            continue;
        }
        let mut own = Vec::new();
        events.retain_in((new.as_str(), 0u64)..=(new.as_str(), u64::MAX), |_, v| {
            own.push(v.to_vec());
            false
        })?;
        for (seq, value) in (0u64..).zip(moved_events.iter().chain(&own)) {
            events.insert((new.as_str(), seq), value.as_slice())?;
        }
    }
    Ok(moved)
}

impl LearnerStore for RedbLearnerStore {
    fn load(&self, learner: &str) -> Result<LearnerState, LearnerStoreError> {
        check_learner_id(learner)?;
        let tx = self.db().begin_read().map_err(storage)?;
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
        let tx = self.db().begin_read().map_err(storage)?;
        let table = tx.open_table(EVENTS).map_err(storage)?;
        let mut out = Vec::new();
        for entry in table.range((learner, 0u64)..=(learner, u64::MAX)).map_err(storage)? {
            let (_, value) = entry.map_err(storage)?;
            out.push(serde_json::from_slice(value.value()).map_err(storage)?);
        }
        Ok(out)
    }

    fn each_event(&self, visit: &mut dyn FnMut(&str, StoredEvent)) -> Result<(), LearnerStoreError> {
        let tx = self.db().begin_read().map_err(storage)?;
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

    /// Rows and events move; where the new id already has rows, its own mastery rows win and
    /// the moved events come first. One synced transaction, after which the file is rewritten
    /// so the old ids are gone from it.
    fn rename(&self, map: RenameMap) -> Result<bool, LearnerStoreError> {
        self.submit("-", Task::Rename(map))
    }

    /// One read transaction (every acknowledged write is committed in the store, so it is
    /// seen) copied table by table into a new store file, committed durably. O(entries).
    fn backup(&self, target: &Path) -> Result<(), LearnerStoreError> {
        let source = self.db().begin_read().map_err(storage)?;
        copy_live_rows(&source, target).map(drop)
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
    fn a_belief_of_one_and_the_writes_after_it_survive_a_crash() {
        // Propagation can write a belief of exactly 1, whose log-odds are +∞: the log's JSON
        // writes them as null, and replaying must read them, or the record and every one after
        // it would be taken for a torn tail and lost.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let copy = dir.path().join("crashed.redb");
        let store = RedbLearnerStore::open(&path).unwrap();
        let certain = NodeMastery { last_practised: Some(5), attempts: 3, correct: 3, ..NodeMastery::belief(1.0) };
        assert_eq!(certain.logit, f32::INFINITY);
        let write = LearnerWrite { mastery: vec![("a".to_owned(), certain)], ..LearnerWrite::default() };
        store.write("ana", write).unwrap();
        store.write("ana", LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }).unwrap();
        crash_copy(&path, &copy);
        let recovered = RedbLearnerStore::open(&copy).unwrap();
        let loaded = recovered.load("ana").unwrap();
        let a = loaded.stored("a").expect("the belief of one is recovered");
        assert_eq!((a.p, a.log_odds(), a.attempts), (1.0, f32::INFINITY, 3));
        assert_eq!(recovered.events("ana").unwrap().len(), 1, "the write after it is recovered too");
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

    /// Whether `needle` occurs anywhere in the store file or its log.
    fn files_hold(path: &Path, needle: &str) -> bool {
        [path.to_owned(), beside(path, ".wal")].iter().any(|file| {
            let bytes = std::fs::read(file).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
    }

    fn event_on(object: &str, score: f32) -> StoredEvent {
        StoredEvent { object: object.into(), score, time: 5, verb: "event".into() }
    }

    #[test]
    fn an_erased_learner_leaves_no_byte_in_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let store = RedbLearnerStore::open(&path).unwrap();
        let secret_node = "https://e.org/only-ana-7f3c";
        for round in 0..50 {
            let row = (format!("{secret_node}/{round}"), NodeMastery::belief(0.5));
            store
                .write(
                    "ana-7f3c",
                    LearnerWrite {
                        events: vec![event_on(secret_node, 1.0)],
                        mastery: vec![row],
                        replace_mastery: false,
                    },
                )
                .unwrap();
            store
                .write(&format!("bo-{round}"), LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() })
                .unwrap();
        }
        // Checkpointed rows, rows only in the log, and rows in both.
        store
            .write("ana-7f3c", LearnerWrite { events: vec![event_on(secret_node, 0.0)], ..LearnerWrite::default() })
            .unwrap();
        assert!(files_hold(&path, "ana-7f3c") && files_hold(&path, secret_node));
        assert!(store.erase("ana-7f3c").unwrap());
        assert!(!files_hold(&path, "ana-7f3c"), "the learner's id is still in the files");
        assert!(!files_hold(&path, secret_node), "the learner's events are still in the files");
        assert!(!dir.path().join("learners.redb.scrub").exists());
        // Everyone else is whole, and the store goes on working and reopens.
        for round in 0..50 {
            assert_eq!(store.events(&format!("bo-{round}")).unwrap().len(), 1);
        }
        store.write("bo-0", LearnerWrite { events: vec![event(0.5)], ..LearnerWrite::default() }).unwrap();
        drop(store);
        assert!(!files_hold(&path, "ana-7f3c"));
        let store = RedbLearnerStore::open(&path).unwrap();
        assert_eq!(store.events("bo-0").unwrap().len(), 2);
        assert!(store.events("ana-7f3c").unwrap().is_empty());
    }

    #[test]
    fn writes_during_a_rewrite_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let store = Arc::new(RedbLearnerStore::open(&path).unwrap());
        // Enough rows that the copy takes a while.
        for learner in 0..300 {
            let events = (0..20).map(|i| event(i as f32 / 20.0)).collect();
            store.write(&format!("old-{learner}"), LearnerWrite { events, ..LearnerWrite::default() }).unwrap();
        }
        for learner in 0..4 {
            store
                .write(
                    &format!("gone-{learner}-9d2e"),
                    LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() },
                )
                .unwrap();
        }
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                thread::spawn(move || {
                    for i in 0..150 {
                        let row = (format!("n{i}"), NodeMastery::belief(0.25));
                        store
                            .write(
                                &format!("live-{w}"),
                                LearnerWrite { events: vec![event(1.0)], mastery: vec![row], replace_mastery: false },
                            )
                            .unwrap();
                    }
                })
            })
            .collect();
        // Erasures racing the writers and each other's rewrites.
        let erasers: Vec<_> = (0..4)
            .map(|l| {
                let store = store.clone();
                thread::spawn(move || assert!(store.erase(&format!("gone-{l}-9d2e")).unwrap()))
            })
            .collect();
        for t in writers.into_iter().chain(erasers) {
            t.join().unwrap();
        }
        for w in 0..4 {
            assert_eq!(store.events(&format!("live-{w}")).unwrap().len(), 150);
            assert_eq!(store.load(&format!("live-{w}")).unwrap().len(), 150);
        }
        assert_eq!(store.events("old-299").unwrap().len(), 20);
        assert!(!files_hold(&path, "9d2e"));
        drop(store);
        let store = RedbLearnerStore::open(&path).unwrap();
        assert_eq!(store.events("live-3").unwrap().len(), 150);
        assert!(!files_hold(&path, "9d2e"));
    }

    #[test]
    fn renamed_learners_keep_their_rows_and_lose_their_old_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.redb");
        let store = RedbLearnerStore::open(&path).unwrap();
        let row = |iri: &str, p: f32| (iri.to_owned(), NodeMastery::belief(p));
        store
            .write(
                "raw-ana",
                LearnerWrite {
                    events: vec![event(1.0), event(0.0)],
                    mastery: vec![row("a", 0.2), row("b", 0.3)],
                    ..LearnerWrite::default()
                },
            )
            .unwrap();
        // Already has rows under the new id: its own mastery wins, the old events come first.
        store
            .write(
                "new-ana",
                LearnerWrite { events: vec![event(0.5)], mastery: vec![row("b", 0.9)], ..LearnerWrite::default() },
            )
            .unwrap();
        store.write("raw-bo", LearnerWrite { mastery: vec![row("c", 0.4)], ..LearnerWrite::default() }).unwrap();
        store.write("keep", LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }).unwrap();
        let moved = store.rename(Box::new(|id| id.strip_prefix("raw-").map(|rest| format!("new-{rest}")))).unwrap();
        assert!(moved);
        let scores: Vec<f32> = store.events("new-ana").unwrap().iter().map(|e| e.score).collect();
        assert_eq!(scores, vec![1.0, 0.0, 0.5]);
        let ana = store.load("new-ana").unwrap();
        assert_eq!((ana.stored("a").unwrap().p, ana.stored("b").unwrap().p), (0.2, 0.9));
        assert_eq!(store.load("new-bo").unwrap().stored("c").unwrap().p, 0.4);
        assert!(store.load("raw-ana").unwrap().is_empty() && store.events("raw-ana").unwrap().is_empty());
        assert_eq!(store.events("keep").unwrap().len(), 1);
        assert!(!files_hold(&path, "raw-"));
        // A new event goes after the moved ones; nothing left to move the second time.
        store.write("new-ana", LearnerWrite { events: vec![event(0.25)], ..LearnerWrite::default() }).unwrap();
        assert_eq!(store.events("new-ana").unwrap().len(), 4);
        assert!(!store.rename(Box::new(|id| id.strip_prefix("raw-").map(str::to_owned))).unwrap());
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
        for learner in ["ana-1c5e", "bo"] {
            let mut batch = [Job {
                learner: learner.to_owned(),
                task: Task::Write(LearnerWrite { events: vec![event(1.0)], ..LearnerWrite::default() }),
                done: mpsc::sync_channel(1).0,
            }];
            commit_batch(&db, &mut wal, &mut batch).unwrap();
        }
        assert!(wal.len > 0);
        let mut crashes = Vec::new();
        erase_durably(&db, &mut wal, "ana-1c5e", &mut |step| {
            let copy = dir.path().join(format!("crash-{step:?}.redb"));
            crash_copy(&path, &copy);
            crashes.push((step, copy));
        })
        .unwrap();
        for (step, copy) in crashes {
            // A rewrite that the crash cut short is dropped at open.
            std::fs::write(beside(&copy, ".scrub"), b"half a copy").unwrap();
            let recovered = RedbLearnerStore::open(&copy).unwrap();
            assert!(!beside(&copy, ".scrub").exists());
            let ana = recovered.events("ana-1c5e").unwrap().len();
            // Before the erasure commits the learner is whole; from then on, gone for good,
            // and gone from the files too: the open finishes the rewrite the erasure began.
            assert_eq!(ana, if step == EraseStep::Erased { 0 } else { 1 }, "{step:?}");
            assert_eq!(files_hold(&copy, "ana-1c5e"), step != EraseStep::Erased, "{step:?}");
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
